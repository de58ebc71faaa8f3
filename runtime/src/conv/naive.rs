//! Naive nested-loop convolutions: the reference every fast kernel is tested against, and the
//! baseline the benchmarks compare with. They read straight from the strided views, one
//! multiply-add at a time, in the order of the defining formulas.

use super::{
    check_backward_input, check_backward_weight, check_forward, ConvParams, ConvShape, StridedRef,
};
use crate::{Element, Result};

/// One step along a spatial axis: output position `out` reads input position `inp` through
/// kernel tap `k` (`inp = out·stride + k·dilation − padding`).
#[derive(Clone, Copy)]
struct Tap {
    out: usize,
    k: usize,
    inp: usize,
}

/// Every [`Tap`] of one axis whose input position lies inside the input (padding reads
/// nothing), in `(k, out)` order.
fn axis_taps(out_len: usize, k_len: usize, in_len: usize, p: ConvParams) -> Vec<Tap> {
    let mut taps = Vec::new();
    for k in 0..k_len {
        for out in 0..out_len {
            let inp = (out * p.stride + k * p.dilation).checked_sub(p.padding_before);
            if let Some(inp) = inp.filter(|&i| i < in_len) {
                taps.push(Tap { out, k, inp });
            }
        }
    }
    taps
}

/// `taps` bucketed by `key` (`0..len`), each bucket keeping the order of `taps`.
fn grouped(taps: &[Tap], len: usize, key: fn(&Tap) -> usize) -> Vec<Vec<Tap>> {
    let mut groups = vec![Vec::new(); len];
    for t in taps {
        groups[key(t)].push(*t);
    }
    groups
}

/// The array a pass writes, which decides how the terms are grouped and ordered.
#[derive(Clone, Copy)]
enum Dest {
    /// `out[b, o, y, x]`, summing over `c`, `p`, `q`.
    Output,
    /// `grad_x[b, c, iy, ix]`, summing over `o`, `p`, `q`.
    Input,
    /// `grad_w[o, c, p, q]`, summing over `b`, `y`, `x`.
    Weight,
}

/// One term of the convolution: `x[b, c, h.inp, w.inp] · w[o, c, h.k, w.k]` contributes to
/// `out[b, o, h.out, w.out]`.
struct Term {
    b: usize,
    o: usize,
    c: usize,
    h: Tap,
    w: Tap,
}

/// Calls `f(index, term)` for every term of the convolution, where `index` is the element of
/// `dest` (row-major) the term belongs to: the destinations in row-major order, each one's terms
/// consecutively and in the order of its formula's sums (so each pass's rounding is that of the
/// plain nested loops). A destination without terms (reading only padding) is skipped.
fn for_each_term(s: &ConvShape, dest: Dest, mut f: impl FnMut(usize, Term)) {
    let [ph, pw] = s.params;
    let h = axis_taps(s.out_h, s.kernel_h, s.in_h, ph);
    let w = axis_taps(s.out_w, s.kernel_w, s.in_w, pw);
    // The destination's two leading dims, its spatial dims and the summed channel-like dim.
    let (n0, n1, summed, key, (dh, dw)): (_, _, _, fn(&Tap) -> usize, _) = match dest {
        Dest::Output => (
            s.batch,
            s.out_channels,
            s.in_channels,
            |t| t.out,
            (s.out_h, s.out_w),
        ),
        Dest::Input => (
            s.batch,
            s.in_channels,
            s.out_channels,
            |t| t.inp,
            (s.in_h, s.in_w),
        ),
        Dest::Weight => (
            s.out_channels,
            s.in_channels,
            s.batch,
            |t| t.k,
            (s.kernel_h, s.kernel_w),
        ),
    };
    let (h, w) = (grouped(&h, dh, key), grouped(&w, dw, key));
    let mut index = 0;
    for a0 in 0..n0 {
        for a1 in 0..n1 {
            for hs in &h {
                for ws in &w {
                    for m in 0..summed {
                        let (b, o, c) = match dest {
                            Dest::Output => (a0, a1, m),
                            Dest::Input => (a0, m, a1),
                            Dest::Weight => (m, a0, a1),
                        };
                        for &th in hs {
                            for &tw in ws {
                                f(
                                    index,
                                    Term {
                                        b,
                                        o,
                                        c,
                                        h: th,
                                        w: tw,
                                    },
                                );
                            }
                        }
                    }
                    index += 1;
                }
            }
        }
    }
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
    let plane = s.out_h * s.out_w;
    for (i, v) in out.iter_mut().enumerate() {
        *v = bias.map_or(E::ZERO, |bias| bias[i / plane % s.out_channels]);
    }
    for_each_term(s, Dest::Output, |i, t| {
        out[i] += x.data[x.position([t.b, t.c, t.h.inp, t.w.inp])]
            * w.data[w.position([t.o, t.c, t.h.k, t.w.k])];
    });
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
    grad_input.fill(E::ZERO);
    for_each_term(s, Dest::Input, |i, t| {
        grad_input[i] += grad_out.data[grad_out.position([t.b, t.o, t.h.out, t.w.out])]
            * w.data[w.position([t.o, t.c, t.h.k, t.w.k])];
    });
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
    grad_weight.fill(E::ZERO);
    for_each_term(s, Dest::Weight, |i, t| {
        grad_weight[i] += grad_out.data[grad_out.position([t.b, t.o, t.h.out, t.w.out])]
            * x.data[x.position([t.b, t.c, t.h.inp, t.w.inp])];
    });
    Ok(())
}
