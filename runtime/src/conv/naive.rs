//! Naive nested-loop convolutions: the reference every fast kernel is tested against, and the
//! baseline the benchmarks compare with. They read straight from the strided views, one
//! multiply-add at a time, in the order of the defining formulas.

use super::{check_backward_input, check_backward_weight, check_forward, ConvShape, StridedRef};
use crate::{Element, Result};

/// Input position read by output position `out` through tap `k`, if it lies inside the input.
#[inline(always)]
fn tap(
    out: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
    len: usize,
) -> Option<usize> {
    (out * stride + k * dilation)
        .checked_sub(pad)
        .filter(|&i| i < len)
}

/// Output position that reads input position `i` through tap `k`, if any (the gather form of
/// the backward pass: `i = out·stride + k·dilation − pad`).
#[inline(always)]
fn source(
    i: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
    len: usize,
) -> Option<usize> {
    let t = (i + pad).checked_sub(k * dilation)?;
    (t % stride == 0 && t / stride < len).then_some(t / stride)
}

/// `out[b,o,y,x] = bias[o] + Σ_c Σ_p Σ_q x[b,c,y·sh+p·dh−ph, x·sw+q·dw−pw] · w[o,c,p,q]`.
///
/// # Errors
/// As [`super::conv2d_forward`].
pub fn forward<E: Element>(
    s: &ConvShape,
    x: StridedRef<'_, E, 4>,
    w: StridedRef<'_, E, 4>,
    bias: Option<&[E]>,
    out: &mut [E],
) -> Result<()> {
    check_forward(s, "conv naive forward", &x, &w, bias, out.len())?;
    let [ph, pw] = s.params;
    let mut idx = 0;
    for b in 0..s.batch {
        for o in 0..s.out_channels {
            for y in 0..s.out_h {
                for xo in 0..s.out_w {
                    let mut acc = bias.map_or(E::ZERO, |bias| bias[o]);
                    for c in 0..s.in_channels {
                        for p in 0..s.kernel_h {
                            let Some(iy) =
                                tap(y, p, ph.stride, ph.dilation, ph.padding_before, s.in_h)
                            else {
                                continue;
                            };
                            for q in 0..s.kernel_w {
                                if let Some(ix) =
                                    tap(xo, q, pw.stride, pw.dilation, pw.padding_before, s.in_w)
                                {
                                    acc += x.data[x.position([b, c, iy, ix])]
                                        * w.data[w.position([o, c, p, q])];
                                }
                            }
                        }
                    }
                    out[idx] = acc;
                    idx += 1;
                }
            }
        }
    }
    Ok(())
}

/// `grad_x[b,c,i,j] = Σ_o Σ_p Σ_q g[b,o,y,x] · w[o,c,p,q]` over the output positions `(y, x)`
/// that read `(i, j)` through tap `(p, q)` (gather form).
///
/// # Errors
/// As [`super::conv2d_backward_input`].
pub fn backward_input<E: Element>(
    s: &ConvShape,
    grad_out: StridedRef<'_, E, 4>,
    w: StridedRef<'_, E, 4>,
    grad_input: &mut [E],
) -> Result<()> {
    check_backward_input(
        s,
        "conv naive backward_input",
        &grad_out,
        &w,
        grad_input.len(),
    )?;
    let [ph, pw] = s.params;
    let mut idx = 0;
    for b in 0..s.batch {
        for c in 0..s.in_channels {
            for i in 0..s.in_h {
                for j in 0..s.in_w {
                    let mut acc = E::ZERO;
                    for o in 0..s.out_channels {
                        for p in 0..s.kernel_h {
                            let Some(y) =
                                source(i, p, ph.stride, ph.dilation, ph.padding_before, s.out_h)
                            else {
                                continue;
                            };
                            for q in 0..s.kernel_w {
                                if let Some(xo) =
                                    source(j, q, pw.stride, pw.dilation, pw.padding_before, s.out_w)
                                {
                                    acc += grad_out.data[grad_out.position([b, o, y, xo])]
                                        * w.data[w.position([o, c, p, q])];
                                }
                            }
                        }
                    }
                    grad_input[idx] = acc;
                    idx += 1;
                }
            }
        }
    }
    Ok(())
}

/// `grad_w[o,c,p,q] = Σ_b Σ_y Σ_x g[b,o,y,x] · x[b,c,y·sh+p·dh−ph, x·sw+q·dw−pw]`.
///
/// # Errors
/// As [`super::conv2d_backward_weight`].
pub fn backward_weight<E: Element>(
    s: &ConvShape,
    x: StridedRef<'_, E, 4>,
    grad_out: StridedRef<'_, E, 4>,
    grad_weight: &mut [E],
) -> Result<()> {
    check_backward_weight(
        s,
        "conv naive backward_weight",
        &x,
        &grad_out,
        grad_weight.len(),
    )?;
    let [ph, pw] = s.params;
    let mut idx = 0;
    for o in 0..s.out_channels {
        for c in 0..s.in_channels {
            for p in 0..s.kernel_h {
                for q in 0..s.kernel_w {
                    let mut acc = E::ZERO;
                    for b in 0..s.batch {
                        for y in 0..s.out_h {
                            let Some(iy) =
                                tap(y, p, ph.stride, ph.dilation, ph.padding_before, s.in_h)
                            else {
                                continue;
                            };
                            for xo in 0..s.out_w {
                                if let Some(ix) =
                                    tap(xo, q, pw.stride, pw.dilation, pw.padding_before, s.in_w)
                                {
                                    acc += grad_out.data[grad_out.position([b, o, y, xo])]
                                        * x.data[x.position([b, c, iy, ix])];
                                }
                            }
                        }
                    }
                    grad_weight[idx] = acc;
                    idx += 1;
                }
            }
        }
    }
    Ok(())
}
