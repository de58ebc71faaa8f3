//! 2-D average and max pooling on strided slices: any window, stride (≠ window allowed) and
//! per-side padding, forward and input gradient; plus the `tile` ("tensor origami") reference.
//!
//! ```
//! use simdgrad::conv::StridedRef;
//! use simdgrad::pool::{self, PoolShape};
//!
//! let x: Vec<f32> = (1..=16).map(|v| v as f32).collect(); // the 4×4 grid 1..16
//! let s = PoolShape::new([1, 1, 4, 4], [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
//! let mut out = [0.0f32; 4];
//! pool::maxpool2d_forward(&s, StridedRef::contiguous(&x, [1, 1, 4, 4]), &mut out).unwrap();
//! assert_eq!(out, [6.0, 8.0, 14.0, 16.0]);
//! pool::avgpool2d_forward(&s, StridedRef::contiguous(&x, [1, 1, 4, 4]), &mut out).unwrap();
//! assert_eq!(out, [3.5, 5.5, 11.5, 13.5]);
//! ```
//!
//! Conventions: output `(y, x)` covers input rows `y·sh − ph_before .. + kh` and columns
//! likewise. Padding never wins a max (it is −∞) and counts as zeros in an average, whose
//! divisor is always `kh·kw` (PyTorch's default `count_include_pad`). Each padding must be
//! smaller than the window, so every window holds at least one input element. Max propagates
//! NaN, and its gradient goes to the *first* maximum of each window in row-major order (the
//! first NaN if there is one), so `sum(maxpool)` has a gradient summing to the number of windows.
//! A max or min forward can save which element that is (its argmax, see
//! [`backward_from_argmax`]), so the backward need not read the input again.

mod argmax;
mod decl;
pub mod declared;
mod engine;
pub(crate) mod lanes;
mod origami;
mod pair;
mod pair_index;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_argmax;

pub use argmax::{backward_from_argmax, forward_argmax_dynamic, ARGMAX_WINDOW_LIMIT};
pub use decl::PoolKernel;
pub(crate) use decl::{dims, pool_tensor, pool_tensor_argmax};
pub use engine::{Dynamic, Fixed, Geometry};
pub use origami::{avgpool2d, maxpool2d, tile};

use std::sync::Mutex;

use crate::conv::StridedRef;
use crate::kernel::arch;
use crate::parallel;
use crate::{Element, Error, Result};

/// The validated extents of a 2-D pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PoolShape {
    /// Input `(B, C, H, W)`.
    pub input: [usize; 4],
    /// Window `(kh, kw)`.
    pub window: [usize; 2],
    /// Stride `(sh, sw)`.
    pub stride: [usize; 2],
    /// Padding `[[top, bottom], [left, right]]`.
    pub padding: [[usize; 2]; 2],
    /// Output `(OH, OW)`.
    pub out: [usize; 2],
}

impl PoolShape {
    /// Validates a pooling of `input` `(B, C, H, W)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the shapes if a window or stride is zero, a padding is
    /// not smaller than the window, or the window is larger than the padded input.
    pub fn new(
        input: [usize; 4],
        window: [usize; 2],
        stride: [usize; 2],
        padding: [[usize; 2]; 2],
    ) -> Result<Self> {
        let bad = |message: String| Error::InvalidArgument {
            op: "pool2d",
            message,
        };
        let mut out = [0; 2];
        for a in 0..2 {
            let (len, k, s, [pb, pa]) = (input[2 + a], window[a], stride[a], padding[a]);
            let what = format!(
                "input {input:?}, window {window:?}, stride {stride:?}, padding {padding:?}"
            );
            if k == 0 || s == 0 {
                return Err(bad(format!(
                    "window and stride must be at least 1 ({what})"
                )));
            }
            if pb >= k || pa >= k {
                return Err(bad(format!(
                    "padding must be smaller than the window ({what})"
                )));
            }
            let Some(padded) = len.checked_add(pb).and_then(|l| l.checked_add(pa)) else {
                return Err(bad(format!(
                    "the padded input size overflows usize ({what})"
                )));
            };
            if k > padded {
                return Err(bad(format!(
                    "window {k} is larger than the padded input {padded} ({what})"
                )));
            }
            out[a] = (padded - k) / s + 1;
        }
        // Callers multiply these freely (window area, output and input element counts).
        let counts = [
            window[0].checked_mul(window[1]),
            crate::shape::checked_numel(&input).ok(),
            crate::shape::checked_numel(&[input[0], input[1], out[0], out[1]]).ok(),
        ];
        if counts.iter().any(Option::is_none) {
            return Err(bad(format!(
                "input {input:?}, window {window:?}, stride {stride:?}, padding {padding:?}: \
                 the window area or the output size {:?} overflows usize",
                [input[0], input[1], out[0], out[1]]
            )));
        }
        Ok(Self {
            input,
            window,
            stride,
            padding,
            out,
        })
    }

    /// `(B, C, OH, OW)`.
    pub fn output_shape(&self) -> [usize; 4] {
        [self.input[0], self.input[1], self.out[0], self.out[1]]
    }

    /// Input range (clipped to the input) covered by output `o` along axis `a`.
    #[inline(always)]
    fn span(&self, a: usize, o: usize) -> (usize, usize) {
        let start = o * self.stride[a];
        let lo = start.saturating_sub(self.padding[a][0]);
        let hi = (start + self.window[a])
            .saturating_sub(self.padding[a][0])
            .min(self.input[2 + a]);
        (lo, hi)
    }

    fn check(
        &self,
        op: &'static str,
        what: &str,
        v: &StridedRef<'_, impl Copy, 4>,
        shape: [usize; 4],
    ) -> Result<()> {
        if v.shape != shape {
            return Err(Error::InvalidArgument {
                op,
                message: format!(
                    "{what} has shape {:?}, expected {shape:?} ({self:?})",
                    v.shape
                ),
            });
        }
        v.check(op, what)
    }

    fn check_len(
        op: &'static str,
        what: &'static str,
        len: usize,
        shape: [usize; 4],
    ) -> Result<()> {
        let expected = shape.iter().product();
        if len == expected {
            Ok(())
        } else {
            Err(Error::LengthMismatch {
                op,
                what,
                expected,
                got: len,
            })
        }
    }
}

/// Runs `f(plane, dst)` for every `(b, c)` plane, `dst` being that plane's `per_plane` elements of
/// `out`, split over threads by the parallelism setting.
fn for_planes<E: Send>(
    out: &mut [E],
    planes: usize,
    per_plane: usize,
    work: usize,
    f: impl Fn(usize, &mut [E]) + Sync,
) {
    // A second output of zero-sized elements: split alike, never allocated.
    let mut none = vec![(); out.len()];
    for_planes_pair(out, &mut none, planes, per_plane, work, |p, dst, _| {
        f(p, dst)
    });
}

/// [`for_planes`] over two outputs split alike: `per_plane` elements of `out` and of `idx` per
/// plane (a forward's values and their argmax).
fn for_planes_pair<E: Send, I: Send>(
    out: &mut [E],
    idx: &mut [I],
    planes: usize,
    per_plane: usize,
    work: usize,
    f: impl Fn(usize, &mut [E], &mut [I]) + Sync,
) {
    let tasks = parallel::tasks_for(work).min(planes).max(1);
    if per_plane == 0 {
        return;
    }
    let mut chunks = Vec::with_capacity(tasks);
    let (mut rest, mut rest_idx) = (out, idx);
    for t in 0..tasks {
        let n = ((t + 1) * planes / tasks - t * planes / tasks) * per_plane;
        let (head, tail) = rest.split_at_mut(n);
        let (head_idx, tail_idx) = rest_idx.split_at_mut(n);
        chunks.push(Mutex::new((head, head_idx)));
        (rest, rest_idx) = (tail, tail_idx);
    }
    parallel::run_tasks(tasks, |t| {
        let mut chunk = chunks[t].lock().unwrap_or_else(|e| e.into_inner());
        let (dst, at) = &mut *chunk;
        let first = t * planes / tasks;
        let pairs = dst
            .chunks_exact_mut(per_plane)
            .zip(at.chunks_exact_mut(per_plane));
        for (i, (d, a)) in pairs.enumerate() {
            f(first + i, d, a);
        }
    });
}

/// NaN-propagating maximum that keeps `a` on ties (so the first maximum wins); written with
/// selects only, so loops over it vectorise.
#[inline(always)]
fn max_first<E: Element>(a: E, b: E) -> E {
    let m = if b > a { b } else { a };
    if b.is_nan() {
        b
    } else {
        m
    }
}

/// `true` if `v` replaces `best` as the first maximum of a window scanned in order.
#[inline(always)]
fn beats<E: Element>(v: E, best: E) -> bool {
    v > best || (v.is_nan() && !best.is_nan())
}

/// `true` when the windows are exactly the 2×2 blocks of the input (stride 2, no padding), the
/// case the bench card times; its backward writes every gradient element once.
fn is_2x2_tiling(s: &PoolShape, x_col_stride: usize) -> bool {
    s.window == [2, 2]
        && s.stride == [2, 2]
        && s.padding == [[0, 0]; 2]
        && s.input[2].is_multiple_of(2)
        && s.input[3].is_multiple_of(2)
        && x_col_stride == 1
}

/// Max pooling forward; `out` is contiguous `s.output_shape()`.
///
/// # Errors
/// [`Error::InvalidArgument`] if `x`'s shape differs from `s.input` or it does not fit its
/// slice; [`Error::LengthMismatch`] for a wrong output length.
pub fn maxpool2d_forward<E: Element>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    out: &mut [E],
) -> Result<()> {
    const OP: &str = "maxpool2d forward";
    s.check(OP, "input", &x, s.input)?;
    PoolShape::check_len(OP, "output", out.len(), s.output_shape())?;
    window_forward(s, x, out, E::NEG_INFINITY, max_first, |m| m)
}

/// Average pooling forward (divisor `kh·kw`); `out` is contiguous `s.output_shape()`.
///
/// # Errors
/// As [`maxpool2d_forward`].
pub fn avgpool2d_forward<E: Element>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    out: &mut [E],
) -> Result<()> {
    const OP: &str = "avgpool2d forward";
    s.check(OP, "input", &x, s.input)?;
    PoolShape::check_len(OP, "output", out.len(), s.output_shape())?;
    let scale = E::ONE / E::from_usize(s.window[0] * s.window[1]);
    window_forward(s, x, out, E::ZERO, |a, b| a + b, move |v| v * scale)
}

/// Shared forward: rows of the window are combined into a row accumulator (contiguous, so the
/// compiler vectorises it), then each output reads its columns from that row.
fn window_forward<E: Element>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    out: &mut [E],
    identity: E,
    combine: impl Fn(E, E) -> E + Sync + Copy,
    finish: impl Fn(E) -> E + Sync,
) -> Result<()> {
    let [b, c, h, w] = s.input;
    let [oh, ow] = s.out;
    if is_2x2_tiling(s, x.strides[3]) {
        // The bench-card case: one pass, two input rows per output row, no row buffer.
        for_planes(out, b * c, oh * ow, b * c * h * w, |plane, dst| {
            arch().dispatch(|| {
                let (bi, ci) = (plane / c, plane % c);
                for (y, orow) in dst.chunks_exact_mut(ow).enumerate() {
                    let f0 = x.position([bi, ci, 2 * y, 0]);
                    let f1 = x.position([bi, ci, 2 * y + 1, 0]);
                    let (x0, x1) = (&x.data[f0..f0 + w], &x.data[f1..f1 + w]);
                    for ((o, a), b) in orow
                        .iter_mut()
                        .zip(x0.chunks_exact(2))
                        .zip(x1.chunks_exact(2))
                    {
                        let v =
                            combine(combine(combine(combine(identity, a[0]), a[1]), b[0]), b[1]);
                        *o = finish(v);
                    }
                }
            })
        });
        return Ok(());
    }
    for_planes(out, b * c, oh * ow, b * c * h * w, |plane, dst| {
        arch().dispatch(|| forward_plane(s, &x, plane, dst, identity, combine, &finish))
    });
    Ok(())
}

#[inline(always)]
fn forward_plane<E: Element>(
    s: &PoolShape,
    x: &StridedRef<'_, E, 4>,
    plane: usize,
    dst: &mut [E],
    identity: E,
    combine: impl Fn(E, E) -> E + Copy,
    finish: &impl Fn(E) -> E,
) {
    let [_, c, _, w] = s.input;
    let ow = s.out[1];
    let (kw, sw, pw) = (s.window[1], s.stride[1], s.padding[1][0]);
    let padded_w = (ow - 1) * sw + kw;
    {
        let (bi, ci) = (plane / c, plane % c);
        let mut row = vec![identity; padded_w];
        for (y, orow) in dst.chunks_exact_mut(ow).enumerate() {
            row.fill(identity);
            let (r0, r1) = s.span(0, y);
            for r in r0..r1 {
                let from = x.position([bi, ci, r, 0]);
                let hi = (w + pw).min(padded_w);
                let dst = &mut row[pw..hi];
                if x.strides[3] == 1 {
                    for (a, &v) in dst.iter_mut().zip(&x.data[from..from + (hi - pw)]) {
                        *a = combine(*a, v);
                    }
                } else {
                    for (j, a) in dst.iter_mut().enumerate() {
                        *a = combine(*a, x.data[from + j * x.strides[3]]);
                    }
                }
            }
            if sw == 2 && kw == 2 {
                for (o, pair) in orow.iter_mut().zip(row.chunks_exact(2)) {
                    *o = finish(combine(pair[0], pair[1]));
                }
            } else {
                for (xo, o) in orow.iter_mut().enumerate() {
                    let win = &row[xo * sw..xo * sw + kw];
                    *o = finish(win.iter().fold(identity, |a, &v| combine(a, v)));
                }
            }
        }
    }
}

/// Max pooling input gradient: each window's gradient goes to the first maximum of its window
/// (recomputed from `x`); overlapping windows add. `grad_input` is contiguous `s.input`.
///
/// # Errors
/// As [`maxpool2d_forward`], for `x` and `grad_out` (shape `s.output_shape()`).
pub fn maxpool2d_backward<E: Element>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    grad_out: StridedRef<'_, E, 4>,
    grad_input: &mut [E],
) -> Result<()> {
    const OP: &str = "maxpool2d backward";
    s.check(OP, "input", &x, s.input)?;
    s.check(OP, "grad_output", &grad_out, s.output_shape())?;
    PoolShape::check_len(OP, "grad_input", grad_input.len(), s.input)?;
    let [b, c, h, w] = s.input;
    let [oh, ow] = s.out;
    if is_2x2_tiling(s, x.strides[3]) {
        for_planes(grad_input, b * c, h * w, b * c * h * w, |plane, dst| {
            arch().dispatch(|| maxpool_backward_2x2(s, &x, &grad_out, plane, dst))
        });
        return Ok(());
    }
    for_planes(grad_input, b * c, h * w, b * c * h * w, |plane, dst| {
        let (bi, ci) = (plane / c, plane % c);
        dst.fill(E::ZERO);
        for y in 0..oh {
            let (r0, r1) = s.span(0, y);
            for xo in 0..ow {
                let (c0, c1) = s.span(1, xo);
                let mut best = (E::NEG_INFINITY, usize::MAX);
                for r in r0..r1 {
                    let from = x.position([bi, ci, r, 0]);
                    for j in c0..c1 {
                        let v = x.data[from + j * x.strides[3]];
                        if best.1 == usize::MAX || beats(v, best.0) {
                            best = (v, r * w + j);
                        }
                    }
                }
                if best.1 != usize::MAX {
                    dst[best.1] += grad_out.data[grad_out.position([bi, ci, y, xo])];
                }
            }
        }
    });
    Ok(())
}

/// The 2×2 / stride-2 max-pool backward: each gradient element is written once, the first
/// maximum of its block chosen with selects.
#[inline(always)]
fn maxpool_backward_2x2<E: Element>(
    s: &PoolShape,
    x: &StridedRef<'_, E, 4>,
    g: &StridedRef<'_, E, 4>,
    plane: usize,
    dst: &mut [E],
) {
    let [_, c, _, w] = s.input;
    let ow = s.out[1];
    let (bi, ci) = (plane / c, plane % c);
    for (y, rows) in dst.chunks_exact_mut(2 * w).enumerate() {
        let (d0, d1) = rows.split_at_mut(w);
        let f0 = x.position([bi, ci, 2 * y, 0]);
        let f1 = x.position([bi, ci, 2 * y + 1, 0]);
        let (x0, x1) = (&x.data[f0..f0 + w], &x.data[f1..f1 + w]);
        let gf = g.position([bi, ci, y, 0]);
        let gs = g.strides[3];
        for xo in 0..ow {
            let gv = g.data[gf + xo * gs];
            let (a, b2, c2, d) = (x0[2 * xo], x0[2 * xo + 1], x1[2 * xo], x1[2 * xo + 1]);
            let mut best = a;
            let mut at = 0u8;
            if beats(b2, best) {
                best = b2;
                at = 1;
            }
            if beats(c2, best) {
                best = c2;
                at = 2;
            }
            if beats(d, best) {
                at = 3;
            }
            let pick = |k: u8| if at == k { gv } else { E::ZERO };
            d0[2 * xo] = pick(0);
            d0[2 * xo + 1] = pick(1);
            d1[2 * xo] = pick(2);
            d1[2 * xo + 1] = pick(3);
        }
    }
}

/// Average pooling input gradient: every input element of a window receives `g / (kh·kw)`;
/// overlapping windows add. `grad_input` is contiguous `s.input`.
///
/// # Errors
/// As [`maxpool2d_forward`], for `grad_out` (shape `s.output_shape()`).
pub fn avgpool2d_backward<E: Element>(
    s: &PoolShape,
    grad_out: StridedRef<'_, E, 4>,
    grad_input: &mut [E],
) -> Result<()> {
    const OP: &str = "avgpool2d backward";
    s.check(OP, "grad_output", &grad_out, s.output_shape())?;
    PoolShape::check_len(OP, "grad_input", grad_input.len(), s.input)?;
    let [b, c, h, w] = s.input;
    let [oh, ow] = s.out;
    let scale = E::ONE / E::from_usize(s.window[0] * s.window[1]);
    if is_2x2_tiling(s, 1) {
        for_planes(grad_input, b * c, h * w, b * c * h * w, |plane, dst| {
            arch().dispatch(|| {
                let (bi, ci) = (plane / c, plane % c);
                for (y, rows) in dst.chunks_exact_mut(2 * w).enumerate() {
                    let gf = grad_out.position([bi, ci, y, 0]);
                    let (d0, d1) = rows.split_at_mut(w);
                    for (xo, (p0, p1)) in d0
                        .chunks_exact_mut(2)
                        .zip(d1.chunks_exact_mut(2))
                        .enumerate()
                    {
                        let v = grad_out.data[gf + xo * grad_out.strides[3]] * scale;
                        p0.fill(v);
                        p1.fill(v);
                    }
                }
            })
        });
        return Ok(());
    }
    for_planes(grad_input, b * c, h * w, b * c * h * w, |plane, dst| {
        let (bi, ci) = (plane / c, plane % c);
        dst.fill(E::ZERO);
        for y in 0..oh {
            let (r0, r1) = s.span(0, y);
            for xo in 0..ow {
                let (c0, c1) = s.span(1, xo);
                let g = grad_out.data[grad_out.position([bi, ci, y, xo])] * scale;
                for r in r0..r1 {
                    for v in &mut dst[r * w + c0..r * w + c1] {
                        *v += g;
                    }
                }
            }
        }
    });
    Ok(())
}

/// Forward of fold `R` (divided by `kh·kw` when `MEAN`) with window and stride read at run
/// time: the fallback for sizes no `pool!` declaration covers.
///
/// # Errors
/// As [`maxpool2d_forward`].
pub fn forward_dynamic<
    R: crate::kernel::ReduceKernel,
    E: crate::simd::SimdElement,
    const MEAN: bool,
>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    out: &mut [E],
) -> Result<()> {
    const OP: &str = "pool2d forward";
    s.check(OP, "input", &x, s.input)?;
    PoolShape::check_len(OP, "output", out.len(), s.output_shape())?;
    engine::forward::<R, E, Dynamic, MEAN>(s, x, out)
}

/// Input gradient matching [`forward_dynamic`].
///
/// # Errors
/// As [`maxpool2d_backward`].
pub fn backward_dynamic<
    R: crate::kernel::ReduceKernel,
    E: crate::simd::SimdElement,
    const MEAN: bool,
>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    grad_out: StridedRef<'_, E, 4>,
    grad_input: &mut [E],
) -> Result<()> {
    const OP: &str = "pool2d backward";
    s.check(OP, "input", &x, s.input)?;
    s.check(OP, "grad_output", &grad_out, s.output_shape())?;
    PoolShape::check_len(OP, "grad_input", grad_input.len(), s.input)?;
    engine::backward::<R, E, Dynamic, MEAN>(s, x, grad_out, grad_input)
}
