//! Max and min pooling that remember where each window's result came from: a forward that also
//! writes every window's *argmax* (for a min fold, its argmin), and the input gradient computed
//! from those offsets and the upstream gradient alone, without reading the input again.
//!
//! The argmax of output `(b, c, y, x)` is the offset `p·kw + q` of the chosen element inside
//! its window, row-major over the whole window *including* padded positions, one `u8` per
//! output (so windows of at most [`ARGMAX_WINDOW_LIMIT`] positions). The chosen element is the
//! one the input-reading backward picks: the first element equal to the window's result in
//! row-major order, the first NaN when the result is NaN; padding never wins.
//!
//! Why: on a 2×2 / stride-2 pool the input-reading backward moves the input (`4·n` bytes for
//! `f32`), the upstream gradient (`n`) and the input gradient (`4·n`); from the argmax it
//! moves `n/4` bytes of offsets instead of the input, 9·n → 5.25·n bytes for `f32`, as PyTorch
//! and onnxruntime do.
//!
//! ```
//! use simdgrad::conv::StridedRef;
//! use simdgrad::pool::{self, declared::Max2x2S2, PoolKernel, PoolShape};
//!
//! let x: Vec<f32> = vec![1.0, 9.0, 7.0, 7.0, 3.0, 0.0, 2.0, 5.0]; // two rows of four
//! let s = PoolShape::new([1, 1, 2, 4], [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
//! let (mut out, mut at) = ([0.0f32; 2], [0u8; 2]);
//! let xv = StridedRef::contiguous(&x, [1, 1, 2, 4]);
//! Max2x2S2.forward_argmax(&s, xv, &mut out, &mut at).unwrap();
//! assert_eq!((out, at), ([9.0, 7.0], [1, 0])); // the tie 7, 7 goes to the first
//! let g = [10.0f32, 20.0];
//! let mut gx = [0.0f32; 8];
//! pool::backward_from_argmax(&s, &at, StridedRef::contiguous(&g, [1, 1, 1, 2]), &mut gx).unwrap();
//! assert_eq!(gx, [0.0, 10.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
//! ```

use std::sync::atomic::{AtomicBool, Ordering};

use pulp::{Simd, WithSimd};

use super::engine::{self, Geometry};
use super::{for_planes, for_planes_pair, pair, pair_index, PoolShape};
use crate::conv::StridedRef;
use crate::kernel::{arch, ReduceKernel, ReducePattern};
use crate::simd::SimdElement;
use crate::{Element, Error, Result};

/// The most window positions (`kh·kw`) an argmax can address: its offsets are `u8`.
pub const ARGMAX_WINDOW_LIMIT: usize = 256;

/// Checks that `R` is a max or min fold and the window fits a `u8` offset.
pub(super) fn check_argmax<R: ReduceKernel>(op: &'static str, s: &PoolShape) -> Result<()> {
    if !matches!(R::PATTERN, ReducePattern::Max | ReducePattern::Min) {
        return Err(Error::InvalidArgument {
            op,
            message: format!("an argmax exists only for max and min folds ({s:?})"),
        });
    }
    check_window(op, s)
}

fn check_window(op: &'static str, s: &PoolShape) -> Result<()> {
    let [kh, kw] = s.window;
    if kh * kw > ARGMAX_WINDOW_LIMIT {
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "window {kh}x{kw} has {} positions; a u8 argmax addresses at most \
                 {ARGMAX_WINDOW_LIMIT} ({s:?})",
                kh * kw
            ),
        });
    }
    Ok(())
}

/// Forward of max or min fold `R` that also writes each window's argmax: `out` and `argmax`
/// are contiguous `s.output_shape()`; `out` is bit for bit what the forward without argmax
/// writes. Window and stride are read at run time (the `pool!` kernels'
/// [`PoolKernel::forward_argmax`](super::PoolKernel::forward_argmax) fixes them).
///
/// ```
/// use simdgrad::conv::StridedRef;
/// use simdgrad::ops::builtins::Max;
/// use simdgrad::pool::{self, PoolShape};
///
/// // One row of five, windows of 3 every 2 with one padded column each side.
/// let x = [4.0f64, 1.0, 4.0, 7.0, 7.0];
/// let s = PoolShape::new([1, 1, 1, 5], [1, 3], [1, 2], [[0, 0], [1, 1]]).unwrap();
/// let (mut out, mut at) = ([0.0; 3], [0u8; 3]);
/// let xv = StridedRef::contiguous(&x, [1, 1, 1, 5]);
/// pool::forward_argmax_dynamic::<Max, f64>(&s, xv, &mut out, &mut at).unwrap();
/// assert_eq!(out, [4.0, 7.0, 7.0]);
/// assert_eq!(at, [1, 2, 0]); // offsets count the padded column: window 0 is [pad, 4, 1]
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] for a fold other than max or min, a window of more than
/// [`ARGMAX_WINDOW_LIMIT`] positions, or an input whose shape differs from `s.input`;
/// [`Error::LengthMismatch`] for a wrong `out` or `argmax` length.
pub fn forward_argmax_dynamic<R: ReduceKernel, E: SimdElement>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    out: &mut [E],
    argmax: &mut [u8],
) -> Result<()> {
    const OP: &str = "pool2d forward_argmax";
    check_argmax::<R>(OP, s)?;
    s.check(OP, "input", &x, s.input)?;
    PoolShape::check_len(OP, "output", out.len(), s.output_shape())?;
    PoolShape::check_len(OP, "argmax", argmax.len(), s.output_shape())?;
    forward::<R, E, engine::Dynamic>(s, x, out, argmax);
    Ok(())
}

/// The argmax forward; shapes, fold and window checked by the caller.
pub(super) fn forward<R: ReduceKernel, E: SimdElement, G: Geometry>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    out: &mut [E],
    argmax: &mut [u8],
) {
    let [b, c, h, w] = s.input;
    let [oh, ow] = s.out;
    for_planes_pair(
        out,
        argmax,
        b * c,
        oh * ow,
        b * c * h * w,
        |plane, dst, at| {
            arch().dispatch(ForwardPlane::<R, E, G> {
                s,
                x: &x,
                plane,
                dst,
                at,
                _k: core::marker::PhantomData,
            })
        },
    );
}

struct ForwardPlane<'a, 'x, R, E, G> {
    s: &'a PoolShape,
    x: &'a StridedRef<'x, E, 4>,
    plane: usize,
    dst: &'a mut [E],
    at: &'a mut [u8],
    _k: core::marker::PhantomData<(R, G)>,
}

/// `true` when every window lies inside the input and its columns are unit-stride.
fn interior(s: &PoolShape, col_stride: usize) -> bool {
    let ([kh, kw], [sh, sw], [oh, ow]) = (s.window, s.stride, s.out);
    col_stride == 1
        && s.padding == [[0, 0]; 2]
        && (oh - 1) * sh + kh <= s.input[2]
        && (ow - 1) * sw + kw <= s.input[3]
}

impl<R: ReduceKernel, E: SimdElement, G: Geometry> WithSimd for ForwardPlane<'_, '_, R, E, G> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self {
            s,
            x,
            plane,
            dst,
            at,
            ..
        } = self;
        let ([kh, kw], [sh, sw]) = (G::window(s), G::stride(s));
        let ow = s.out[1];
        // 2×2 windows side by side over contiguous, unpadded rows: the pair kernels' case.
        let pairs = kh == 2 && kw == 2 && sw == 2 && interior(s, x.strides[3]);
        if pairs && pair::fits::<S, E>(ow) {
            // The CNN case: value and offset of each window from one read of its rows.
            let (c, rs) = (s.input[1], x.strides[2]);
            let base = x.position([plane / c, plane % c, 0, 0]);
            let rows = dst.chunks_exact_mut(ow).zip(at.chunks_exact_mut(ow));
            for (y, (orow, arow)) in rows.enumerate() {
                let top = base + y * sh * rs;
                let (r0, r1) = (&x.data[top..][..2 * ow], &x.data[top + rs..][..2 * ow]);
                pair_index::forward_row::<S, R, E>(simd, orow, arow, r0, r1);
            }
            return;
        }
        if pairs && narrow::<S, E>(s) {
            // Rows narrower than a register: the windows' top rows and bottom rows, staged
            // each as one contiguous run, make the plane's windows a single row of `oh·ow`.
            let (c, rs, n) = (s.input[1], x.strides[2], 2 * ow);
            let base = x.position([plane / c, plane % c, 0, 0]);
            let (mut top, mut bottom) = ([E::ZERO; NARROW_STAGE], [E::ZERO; NARROW_STAGE]);
            let rows = top.chunks_exact_mut(n).zip(bottom.chunks_exact_mut(n));
            for (y, (t, b)) in rows.take(s.out[0]).enumerate() {
                let row = base + y * sh * rs;
                t.copy_from_slice(&x.data[row..][..n]);
                b.copy_from_slice(&x.data[row + rs..][..n]);
            }
            let len = s.out[0] * n;
            pair_index::forward_row::<S, R, E>(simd, dst, at, &top[..len], &bottom[..len]);
            return;
        }
        engine::forward_plane::<S, R, E, G, false>(simd, s, x, plane, dst);
        offsets_plane(s, x, plane, dst, at);
    }
}

/// Elements of each stage buffer of the narrow-row 2×2 kernels (LeNet's 28×28 → 14×14 pool on
/// 16 lanes stages 14 rows of 28).
const NARROW_STAGE: usize = 512;

/// `true` when 2×2 windows' output rows are narrower than a register but the plane's `oh·ow`
/// windows fill one and their rows fit the stage buffers: the plane then runs as one row.
#[inline(always)]
fn narrow<S: Simd, E: SimdElement>(s: &PoolShape) -> bool {
    let [oh, ow] = s.out;
    !pair::fits::<S, E>(ow) && pair::fits::<S, E>(oh * ow) && oh * 2 * ow <= NARROW_STAGE
}

/// The offsets of one plane's windows given their results `out`: the first element equal to
/// the result (NaN matching NaN). A result equal to no element cannot come from a max or min;
/// should a fold marked as one produce it, the window's first element inside the input is taken.
fn offsets_plane<E: Element>(
    s: &PoolShape,
    x: &StridedRef<'_, E, 4>,
    plane: usize,
    out: &[E],
    at: &mut [u8],
) {
    let ([_, c, h, w], [kh, kw], [sh, sw]) = (s.input, s.window, s.stride);
    let ([ph, pw], ow) = ([s.padding[0][0], s.padding[1][0]], s.out[1]);
    let (bi, ci) = (plane / c, plane % c);
    for (o, (&m, a)) in out.iter().zip(at.iter_mut()).enumerate() {
        let (y, xo) = (o / ow, o % ow);
        let mut first = None;
        let mut found = None;
        'window: for p in 0..kh {
            let Some(r) = (y * sh + p).checked_sub(ph).filter(|&r| r < h) else {
                continue;
            };
            for q in 0..kw {
                let Some(col) = (xo * sw + q).checked_sub(pw).filter(|&col| col < w) else {
                    continue;
                };
                let v = x.data[x.position([bi, ci, r, col])];
                first.get_or_insert(p * kw + q);
                if v == m || (v.is_nan() && m.is_nan()) {
                    found = Some(p * kw + q);
                    break 'window;
                }
            }
        }
        *a = found.or(first).unwrap_or(0) as u8;
    }
}

/// Input gradient of a max or min pooling from the argmax its forward wrote
/// ([`forward_argmax_dynamic`], [`PoolKernel::forward_argmax`](super::PoolKernel::forward_argmax)):
/// each window's `grad_out` goes to the element at its offset. `argmax` is contiguous
/// `s.output_shape()`, `grad_input` contiguous `s.input`, fully overwritten.
///
/// When windows do not overlap (stride = window) every gradient element is written exactly once
/// in one pass (its window's `g` or zero, zeros in the bottom and right strips no window
/// covers); the 2×2 / stride-2 windows run in SIMD registers. Overlapping windows zero each
/// plane and then add the `g` of its windows in row-major output order.
///
/// ```
/// use simdgrad::conv::StridedRef;
/// use simdgrad::pool::{self, PoolShape};
///
/// // 3×3 input, 2×2 windows every 1: the centre is the maximum of all four windows.
/// let s = PoolShape::new([1, 1, 3, 3], [2, 2], [1, 1], [[0, 0]; 2]).unwrap();
/// let at = [3u8, 2, 1, 0];
/// let g = [1.0f32, 2.0, 3.0, 4.0];
/// let mut gx = [9.0f32; 9];
/// pool::backward_from_argmax(&s, &at, StridedRef::contiguous(&g, [1, 1, 2, 2]), &mut gx).unwrap();
/// assert_eq!(gx, [0.0, 0.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0]);
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] if `grad_out`'s shape differs from `s.output_shape()`, the window
/// has more than [`ARGMAX_WINDOW_LIMIT`] positions, or an offset lies outside its window or on
/// a padded position (named with its output; `grad_input` is then fully written but holds no
/// gradient for that window); [`Error::LengthMismatch`] for a wrong `argmax` or `grad_input`
/// length.
pub fn backward_from_argmax<E: SimdElement>(
    s: &PoolShape,
    argmax: &[u8],
    grad_out: StridedRef<'_, E, 4>,
    grad_input: &mut [E],
) -> Result<()> {
    const OP: &str = "pool2d backward_from_argmax";
    check_window(OP, s)?;
    s.check(OP, "grad_output", &grad_out, s.output_shape())?;
    PoolShape::check_len(OP, "argmax", argmax.len(), s.output_shape())?;
    PoolShape::check_len(OP, "grad_input", grad_input.len(), s.input)?;
    let [b, c, h, w] = s.input;
    let [oh, ow] = s.out;
    let bad = AtomicBool::new(false);
    for_planes(grad_input, b * c, h * w, b * c * h * w, |plane, dst| {
        let ok = arch().dispatch(BackwardPlane {
            s,
            at: &argmax[plane * oh * ow..][..oh * ow],
            gout: &grad_out,
            plane,
            dst,
        });
        if !ok {
            bad.store(true, Ordering::Relaxed);
        }
    });
    match bad.into_inner() {
        false => Ok(()),
        true => Err(bad_offset(OP, s, argmax)),
    }
}

/// The input position `(row, col)` of offset `k` of output `(y, xo)`'s window, if inside.
#[inline(always)]
fn target(s: &PoolShape, y: usize, xo: usize, k: usize) -> Option<(usize, usize)> {
    let [kh, kw] = s.window;
    if k >= kh * kw {
        return None;
    }
    let r = (y * s.stride[0] + k / kw).checked_sub(s.padding[0][0])?;
    let col = (xo * s.stride[1] + k % kw).checked_sub(s.padding[1][0])?;
    (r < s.input[2] && col < s.input[3]).then_some((r, col))
}

/// The error naming the first offset outside its window or on padding.
fn bad_offset(op: &'static str, s: &PoolShape, argmax: &[u8]) -> Error {
    let [oh, ow] = s.out;
    let per_plane = oh * ow;
    let found = argmax.iter().enumerate().find(|&(i, &k)| {
        let o = i % per_plane;
        target(s, o / ow, o % ow, usize::from(k)).is_none()
    });
    let message = match found {
        Some((i, &k)) => {
            let (plane, o) = (i / per_plane, i % per_plane);
            let c = s.input[1];
            format!(
                "argmax {k} of output {:?} is not a position of its {:?} window inside the \
                 input ({s:?})",
                [plane / c, plane % c, o / ow, o % ow],
                s.window
            )
        }
        None => format!("argmax holds an offset outside its window ({s:?})"),
    };
    Error::InvalidArgument { op, message }
}

struct BackwardPlane<'a, 'x, E> {
    s: &'a PoolShape,
    at: &'a [u8],
    gout: &'a StridedRef<'x, E, 4>,
    plane: usize,
    dst: &'a mut [E],
}

impl<E: SimdElement> WithSimd for BackwardPlane<'_, '_, E> {
    /// `false` if some offset of the plane was outside its window or on padding.
    type Output = bool;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> bool {
        let Self {
            s,
            at,
            gout,
            plane,
            dst,
        } = self;
        let ([_, c, h, w], [kh, kw], [sh, sw]) = (s.input, s.window, s.stride);
        let [oh, ow] = s.out;
        let (ph, pw) = (s.padding[0][0], s.padding[1][0]);
        let (bi, ci) = (plane / c, plane % c);
        let disjoint = sh == kh && sw == kw;
        if disjoint {
            // Every covered element is written once below; only the uncovered strips need zeros
            // (padding only adds windows past the top and left edges).
            let hc = ((oh - 1) * sh + kh).saturating_sub(ph).min(h);
            let wc = ((ow - 1) * sw + kw).saturating_sub(pw).min(w);
            dst[hc * w..].fill(E::ZERO);
            for r in dst[..hc * w].chunks_exact_mut(w) {
                r[wc..].fill(E::ZERO);
            }
        } else {
            dst.fill(E::ZERO);
        }
        let mut ok = true;
        // Disjoint 2×2 windows, unpadded, with contiguous gradient rows: the pair kernels' case.
        let pairs =
            disjoint && [kh, kw] == [2, 2] && s.padding == [[0, 0]; 2] && gout.strides[3] == 1;
        if pairs && pair::fits::<S, E>(ow) {
            for (y, arow) in at.chunks_exact(ow).enumerate() {
                let grad = &gout.data[gout.position([bi, ci, y, 0])..][..ow];
                let (d0, d1) = dst[2 * y * w..].split_at_mut(w);
                ok &= pair_index::backward_row::<S, E>(simd, grad, arow, d0, d1);
            }
            return ok;
        }
        if pairs && (oh == 1 || gout.strides[2] == ow) && narrow::<S, E>(s) {
            // As the narrow forward: the plane's windows as one row, through stage buffers.
            let n = 2 * ow;
            let (mut top, mut bottom) = ([E::ZERO; NARROW_STAGE], [E::ZERO; NARROW_STAGE]);
            let grad = &gout.data[gout.position([bi, ci, 0, 0])..][..oh * ow];
            let len = oh * n;
            let ok = pair_index::backward_row::<S, E>(
                simd,
                grad,
                at,
                &mut top[..len],
                &mut bottom[..len],
            );
            let rows = top.chunks_exact(n).zip(bottom.chunks_exact(n));
            for (y, (t, b)) in rows.take(oh).enumerate() {
                dst[2 * y * w..][..n].copy_from_slice(t);
                dst[(2 * y + 1) * w..][..n].copy_from_slice(b);
            }
            return ok;
        }
        for (o, &k) in at.iter().enumerate() {
            let (y, xo) = (o / ow, o % ow);
            let g = gout.data[gout.position([bi, ci, y, xo])];
            let hit = target(s, y, xo, usize::from(k));
            ok &= hit.is_some();
            if disjoint {
                // Write the whole window: `g` at the offset, zero at its other inside elements.
                for p in 0..kh {
                    let Some(r) = (y * sh + p).checked_sub(ph).filter(|&r| r < h) else {
                        continue;
                    };
                    for q in 0..kw {
                        if let Some(col) = (xo * sw + q).checked_sub(pw).filter(|&col| col < w) {
                            dst[r * w + col] = if hit == Some((r, col)) { g } else { E::ZERO };
                        }
                    }
                }
            } else if let Some((r, col)) = hit {
                dst[r * w + col] += g;
            }
        }
        ok
    }
}
