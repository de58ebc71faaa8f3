//! Fused, numerically stable softmax and log-softmax over one dim, forward and backward, SIMD.
//!
//! Forward per row: one pass for the maximum `m`, one computing `e = exp(x − m)` (stored) and
//! its sum, one rescaling — three passes beat the online two-pass form on 1024-wide rows
//! (performance.md). A row containing `+inf` or NaN gives NaN (as PyTorch); `-inf` entries give
//! exactly 0 (log-softmax: `-inf`); a row of all `-inf` gives NaN, as PyTorch does.
//!
//! A 1024-wide row (4 KB in f32) stays in L1 between its passes, so the input is read from
//! memory once and the output written once; the exp pass is the cost (`benches/softmax.rs`
//! times each part). Outputs come from [`output_buffer`]: a recycled buffer when a tensor of the
//! same size was freed, so a call in a loop neither zero-fills nor page-faults its output.
//! Backward, per row: softmax `⟨g, y⟩` then `y ⊙ (g − ⟨g, y⟩)`; log-softmax `Σ g` then
//! `g − exp(y)·Σ g`, the second pass reading the row from L1. (Fusing the next row's `⟨g, y⟩`
//! into this row's store pass, as the forward does with its maximum, measured slower: 0.23–0.30
//! against 0.18–0.20 ms on [1024, 1024].)
//!
//! The f32 forward runs [`fast_f32`], whose exponential is specialised to the arguments
//! `x − m ≤ 0` (0.34 → 0.29 ms on [1024, 1024], one thread); f64 runs the generic kernel here.

use std::any::Any;
use std::ops::Range;

use pulp::{Simd, WithSimd};

use crate::kernel::arch;
use crate::parallel;
use crate::simd::SimdElement;
use crate::tensor::output_buffer;
use crate::{autograd, Error, Result, Tensor};

mod fast_f32;

/// Which of the two functions a row kernel computes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Softmax,
    LogSoftmax,
}

/// `if x > m { x } else { m }` per lane: one compare and one blend, where the NaN-propagating
/// `max` costs several instructions. A NaN lane is skipped here, but it still turns the row into
/// NaN through `exp(NaN − m)` in the next pass, as does `+inf` through `exp(inf − inf)`.
#[inline(always)]
fn max_skip_nan<S: Simd, E: SimdElement>(s: S, m: E::V<S>, x: E::V<S>) -> E::V<S> {
    <E as SimdElement>::select(s, <E as SimdElement>::gt(s, x, m), x, m)
}

/// Maximum of a row, ignoring NaN (padding lanes hold -inf); see [`max_skip_nan`] for why that
/// still gives a NaN row for a row holding NaN.
#[inline(always)]
fn row_max<S: Simd, E: SimdElement>(s: S, x: &[E]) -> E {
    let (head, tail) = <E as SimdElement>::as_simd::<S>(x);
    let ninf = <E as SimdElement>::splat(s, E::NEG_INFINITY);
    let (mut a0, mut a1, mut a2, mut a3) = (ninf, ninf, ninf, ninf);
    let mut chunks = head.chunks_exact(4);
    for c in &mut chunks {
        a0 = max_skip_nan::<S, E>(s, a0, c[0]);
        a1 = max_skip_nan::<S, E>(s, a1, c[1]);
        a2 = max_skip_nan::<S, E>(s, a2, c[2]);
        a3 = max_skip_nan::<S, E>(s, a3, c[3]);
    }
    for &v in chunks.remainder() {
        a0 = max_skip_nan::<S, E>(s, a0, v);
    }
    a1 = max_skip_nan::<S, E>(
        s,
        a1,
        <E as SimdElement>::partial_load(s, tail, E::NEG_INFINITY),
    );
    let m = max_skip_nan::<S, E>(
        s,
        max_skip_nan::<S, E>(s, a0, a1),
        max_skip_nan::<S, E>(s, a2, a3),
    );
    <E as SimdElement>::reduce_max(s, m)
}

/// `out = exp(x − m)` (stored only when `STORE`: log-softmax needs just the sum); returns the
/// sum and the maximum of `next`, the following row of the same length (ignoring NaN, as
/// [`row_max`]), or `-inf` when `next` is empty.
///
/// Finding the next row's maximum here overlaps its memory reads with this row's exp, which is
/// compute-bound, instead of a separate memory-bound pass; the row is then in L1 for its own
/// exp pass.
#[inline(always)]
fn exp_sum_next_max<S: Simd, E: SimdElement, const STORE: bool>(
    s: S,
    x: &[E],
    m: E,
    out: &mut [E],
    next: &[E],
) -> (E, E) {
    let mv = <E as SimdElement>::splat(s, m);
    let ninf = <E as SimdElement>::splat(s, E::NEG_INFINITY);
    let zero = <E as SimdElement>::splat(s, E::ZERO);
    let exp_at = |v: E::V<S>| <E as SimdElement>::exp(s, <E as SimdElement>::sub(s, v, mv));
    let (xh, xt) = <E as SimdElement>::as_simd::<S>(x);
    let (oh, ot) = <E as SimdElement>::as_mut_simd::<S>(out);
    let (mut s0, mut s1) = (zero, zero);
    let (mut a0, mut a1) = (ninf, ninf);
    let (nh, nt) = <E as SimdElement>::as_simd::<S>(next);
    // `next` is empty (the last row) or as long as `x`: its pairs run out at once or together
    // with this row's, so one loop serves both; the branch on them always goes the same way.
    let mut next_pairs = nh.chunks_exact(2);
    for (xc, oc) in xh.chunks_exact(2).zip(oh.chunks_exact_mut(2)) {
        let (e0, e1) = (exp_at(xc[0]), exp_at(xc[1]));
        if STORE {
            oc[0] = e0;
            oc[1] = e1;
        }
        s0 = <E as SimdElement>::add(s, s0, e0);
        s1 = <E as SimdElement>::add(s, s1, e1);
        if let Some(nc) = next_pairs.next() {
            a0 = max_skip_nan::<S, E>(s, a0, nc[0]);
            a1 = max_skip_nan::<S, E>(s, a1, nc[1]);
        }
    }
    for &v in next_pairs.remainder() {
        a0 = max_skip_nan::<S, E>(s, a0, v);
    }
    if !nt.is_empty() {
        // Padding lanes load -inf, which never wins.
        let v = <E as SimdElement>::partial_load(s, nt, E::NEG_INFINITY);
        a1 = max_skip_nan::<S, E>(s, a1, v);
    }
    if xh.len() % 2 == 1 {
        let i = xh.len() - 1;
        let e = exp_at(xh[i]);
        if STORE {
            oh[i] = e;
        }
        s0 = <E as SimdElement>::add(s, s0, e);
    }
    if !xt.is_empty() {
        // Padding lanes load -inf so exp gives exactly 0 and the sum is unaffected.
        let e = exp_at(<E as SimdElement>::partial_load(s, xt, E::NEG_INFINITY));
        if STORE {
            <E as SimdElement>::partial_store(s, ot, e);
        }
        s1 = <E as SimdElement>::add(s, s1, e);
    }
    let sum = <E as SimdElement>::reduce_sum(s, <E as SimdElement>::add(s, s0, s1));
    let next_max = <E as SimdElement>::reduce_max(s, max_skip_nan::<S, E>(s, a0, a1));
    (sum, next_max)
}

/// `out[i] = a[i] * b + c` over a row.
#[inline(always)]
pub(super) fn scale_shift<S: Simd, E: SimdElement>(s: S, a: &[E], b: E, c: E, out: &mut [E]) {
    let (bv, cv) = (
        <E as SimdElement>::splat(s, b),
        <E as SimdElement>::splat(s, c),
    );
    let (ah, at) = <E as SimdElement>::as_simd::<S>(a);
    let (oh, ot) = <E as SimdElement>::as_mut_simd::<S>(out);
    for (o, &v) in oh.iter_mut().zip(ah) {
        *o = <E as SimdElement>::mul_add(s, v, bv, cv);
    }
    if !at.is_empty() {
        let v = <E as SimdElement>::partial_load(s, at, E::ZERO);
        <E as SimdElement>::partial_store(s, ot, <E as SimdElement>::mul_add(s, v, bv, cv));
    }
}

/// Dot product of two rows.
#[inline(always)]
fn dot<S: Simd, E: SimdElement>(s: S, a: &[E], b: &[E]) -> E {
    let (ah, at) = <E as SimdElement>::as_simd::<S>(a);
    let (bh, bt) = <E as SimdElement>::as_simd::<S>(b);
    let zero = <E as SimdElement>::splat(s, E::ZERO);
    let (mut s0, mut s1) = (zero, zero);
    let mut pairs = ah.chunks_exact(2).zip(bh.chunks_exact(2));
    for (x, y) in &mut pairs {
        s0 = <E as SimdElement>::mul_add(s, x[0], y[0], s0);
        s1 = <E as SimdElement>::mul_add(s, x[1], y[1], s1);
    }
    if ah.len() % 2 == 1 {
        let i = ah.len() - 1;
        s0 = <E as SimdElement>::mul_add(s, ah[i], bh[i], s0);
    }
    if !at.is_empty() {
        let x = <E as SimdElement>::partial_load(s, at, E::ZERO);
        let y = <E as SimdElement>::partial_load(s, bt, E::ZERO);
        s1 = <E as SimdElement>::mul_add(s, x, y, s1);
    }
    <E as SimdElement>::reduce_sum(s, <E as SimdElement>::add(s, s0, s1))
}

/// Sum of a row.
#[inline(always)]
pub(super) fn row_sum<S: Simd, E: SimdElement>(s: S, a: &[E]) -> E {
    let (ah, at) = <E as SimdElement>::as_simd::<S>(a);
    let zero = <E as SimdElement>::splat(s, E::ZERO);
    let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
    let mut chunks = ah.chunks_exact(4);
    for c in &mut chunks {
        s0 = <E as SimdElement>::add(s, s0, c[0]);
        s1 = <E as SimdElement>::add(s, s1, c[1]);
        s2 = <E as SimdElement>::add(s, s2, c[2]);
        s3 = <E as SimdElement>::add(s, s3, c[3]);
    }
    for &v in chunks.remainder() {
        s0 = <E as SimdElement>::add(s, s0, v);
    }
    s1 = <E as SimdElement>::add(s, s1, <E as SimdElement>::partial_load(s, at, E::ZERO));
    let t = <E as SimdElement>::add(
        s,
        <E as SimdElement>::add(s, s0, s1),
        <E as SimdElement>::add(s, s2, s3),
    );
    <E as SimdElement>::reduce_sum(s, t)
}

struct Forward<'a, E> {
    x: &'a [E],
    out: &'a mut [E],
    cols: usize,
    kind: Kind,
}

impl<E: SimdElement> WithSimd for Forward<'_, E> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let cols = self.cols;
        let Some(first) = self.x.get(..cols) else {
            return;
        };
        // Row i's maximum comes from row i − 1's exp pass (see `exp_sum_next_max`).
        let mut m = row_max::<S, E>(s, first);
        for (i, out) in self.out.chunks_exact_mut(cols).enumerate() {
            let x = &self.x[i * cols..(i + 1) * cols];
            let next = self.x.get((i + 1) * cols..(i + 2) * cols).unwrap_or(&[]);
            match self.kind {
                Kind::Softmax => {
                    let (sum, next_max) = exp_sum_next_max::<S, E, true>(s, x, m, out, next);
                    let inv = E::ONE / sum;
                    let (oh, ot) = <E as SimdElement>::as_mut_simd::<S>(out);
                    let iv = <E as SimdElement>::splat(s, inv);
                    for o in oh.iter_mut() {
                        *o = <E as SimdElement>::mul(s, *o, iv);
                    }
                    if !ot.is_empty() {
                        let v = <E as SimdElement>::partial_load(s, ot, E::ZERO);
                        <E as SimdElement>::partial_store(s, ot, <E as SimdElement>::mul(s, v, iv));
                    }
                    m = next_max;
                }
                Kind::LogSoftmax => {
                    let (sum, next_max) = exp_sum_next_max::<S, E, false>(s, x, m, out, next);
                    // x − m − ln Σ, exact ln (no epsilon, unlike MiniTorch).
                    let shift = -(m + <E as crate::simd::ScalarMath>::ln(sum));
                    scale_shift::<S, E>(s, x, E::ONE, shift, out);
                    m = next_max;
                }
            }
        }
    }
}

struct Backward<'a, E> {
    y: &'a [E],
    g: &'a [E],
    out: &'a mut [E],
    cols: usize,
    kind: Kind,
}

impl<E: SimdElement> WithSimd for Backward<'_, E> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let rows = self
            .y
            .chunks_exact(self.cols)
            .zip(self.g.chunks_exact(self.cols));
        for ((y, g), out) in rows.zip(self.out.chunks_exact_mut(self.cols)) {
            let (yh, yt) = <E as SimdElement>::as_simd::<S>(y);
            let (gh, gt) = <E as SimdElement>::as_simd::<S>(g);
            let (oh, ot) = <E as SimdElement>::as_mut_simd::<S>(out);
            match self.kind {
                // dx = y ⊙ (g − ⟨g, y⟩)
                Kind::Softmax => {
                    let d = <E as SimdElement>::splat(s, dot::<S, E>(s, y, g));
                    for ((o, &yv), &gv) in oh.iter_mut().zip(yh).zip(gh) {
                        *o = <E as SimdElement>::mul(s, yv, <E as SimdElement>::sub(s, gv, d));
                    }
                    if !yt.is_empty() {
                        let yv = <E as SimdElement>::partial_load(s, yt, E::ZERO);
                        let gv = <E as SimdElement>::partial_load(s, gt, E::ZERO);
                        <E as SimdElement>::partial_store(
                            s,
                            ot,
                            <E as SimdElement>::mul(s, yv, <E as SimdElement>::sub(s, gv, d)),
                        );
                    }
                }
                // dx = g − exp(y) · Σ g   (y is the log-softmax output)
                Kind::LogSoftmax => {
                    let t = <E as SimdElement>::splat(s, row_sum::<S, E>(s, g));
                    for ((o, &yv), &gv) in oh.iter_mut().zip(yh).zip(gh) {
                        *o = <E as SimdElement>::sub(
                            s,
                            gv,
                            <E as SimdElement>::mul(s, <E as SimdElement>::exp(s, yv), t),
                        );
                    }
                    if !yt.is_empty() {
                        let yv = <E as SimdElement>::partial_load(s, yt, E::ZERO);
                        let gv = <E as SimdElement>::partial_load(s, gt, E::ZERO);
                        <E as SimdElement>::partial_store(
                            s,
                            ot,
                            <E as SimdElement>::sub(
                                s,
                                gv,
                                <E as SimdElement>::mul(s, <E as SimdElement>::exp(s, yv), t),
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// Elements of a task before [`for_rows`] hands rows to a second thread, as a multiple of the
/// user's `min_work_per_task` (2^16 by default, sized for a copy): a softmax task of 2^17
/// elements takes about 50 µs on one core, enough to repay waking a thread.
const TASK_WORK_FACTOR: usize = 2;

/// Runs a row kernel over `rows` rows of `cols`, split into contiguous row ranges by the
/// parallelism setting (each row is computed the same way whatever the split).
fn for_rows<E: SimdElement>(
    rows: usize,
    cols: usize,
    out: &mut [E],
    f: impl Fn(core::ops::Range<usize>, &mut [E]) + Sync,
) {
    use rayon::prelude::*;
    let work = rows * cols / TASK_WORK_FACTOR;
    let tasks = parallel::tasks_for(work).min(rows.max(1));
    if tasks <= 1 {
        f(0..rows, out);
        return;
    }
    let per = rows.div_ceil(tasks);
    parallel::pool(tasks).install(|| {
        out.par_chunks_mut(per * cols)
            .enumerate()
            .for_each(|(i, chunk)| f(i * per..i * per + chunk.len() / cols, chunk));
    });
}

/// The forward kernel over `rows` contiguous rows of `cols` in `x[xr]`, written to `out[or]`
/// (same length). The buffers come whole so that an f32 pair can be recognised without
/// `unsafe` (a `Vec<E>` downcasts, a slice does not) and run the f32 kernel of [`fast_f32`].
fn forward_rows<E: SimdElement>(
    (x, xr): (&Vec<E>, Range<usize>),
    (out, or): (&mut Vec<E>, Range<usize>),
    (rows, cols): (usize, usize),
    kind: Kind,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    let f32s = (
        (x as &dyn Any).downcast_ref::<Vec<f32>>(),
        (&mut *out as &mut dyn Any).downcast_mut::<Vec<f32>>(),
    );
    if let (Some(x), Some(out)) = f32s {
        let x = &x[xr];
        for_rows(rows, cols, &mut out[or], |r, o| {
            arch().dispatch(fast_f32::Forward {
                x: &x[r.start * cols..r.end * cols],
                out: o,
                cols,
                kind,
            });
        });
        return;
    }
    let x = &x[xr];
    for_rows(rows, cols, &mut out[or], |r, o| {
        arch().dispatch(Forward {
            x: &x[r.start * cols..r.end * cols],
            out: o,
            cols,
            kind,
        });
    });
}

/// Moves `dim` last and makes the tensor contiguous: returns it with (rows, cols).
fn rows_last<E: SimdElement>(x: &Tensor<E>, dim: usize) -> Result<(Tensor<E>, usize, usize)> {
    let nd = x.ndim();
    let mut order: Vec<usize> = (0..nd).filter(|&d| d != dim).collect();
    order.push(dim);
    let moved = x.permute(&order)?.contiguous();
    let cols = x.shape()[dim];
    let rows = x.numel().checked_div(cols).unwrap_or(0);
    Ok((moved, rows, cols))
}

/// Inverse of the permutation used by [`rows_last`].
fn restore_order(nd: usize, dim: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..nd).filter(|&d| d != dim).collect();
    order.push(dim);
    let mut inv = vec![0; nd];
    for (i, &o) in order.iter().enumerate() {
        inv[o] = i;
    }
    inv
}

/// Computes the kind over `dim` of a tensor with no autograd recording.
pub(crate) fn forward_raw<E: SimdElement>(
    x: &Tensor<E>,
    dim: usize,
    kind: Kind,
) -> Result<Tensor<E>> {
    let (moved, rows, cols) = rows_last(x, dim)?;
    // Every element is written below, so a recycled buffer's old contents never show.
    let n = moved.numel();
    let mut out = output_buffer(n);
    {
        let data = moved.storage().read();
        let start = moved.offset();
        forward_rows(
            (&data, start..start + n),
            (&mut out, 0..n),
            (rows, cols),
            kind,
        );
    }
    let moved_shape = moved.shape().to_vec();
    Tensor::from_vec(out, &moved_shape)?.permute(&restore_order(x.ndim(), dim))
}

/// Backward of the kind given its forward output `y` and upstream `g`, over `dim`.
pub(crate) fn backward_raw<E: SimdElement>(
    y: &Tensor<E>,
    g: &Tensor<E>,
    dim: usize,
    kind: Kind,
) -> Result<Tensor<E>> {
    let (ym, rows, cols) = rows_last(y, dim)?;
    let (gm, _, _) = rows_last(g, dim)?;
    // Every element is written below (no zero-fill needed).
    let mut out = output_buffer(ym.numel());
    if rows > 0 && cols > 0 {
        let yd = ym.storage().read();
        // `g` may be `y` itself (or share its storage): a second read guard is fine.
        let gd = gm.storage().read();
        let ys = &yd[ym.offset()..ym.offset() + ym.numel()];
        let gs = &gd[gm.offset()..gm.offset() + gm.numel()];
        // Log-softmax in f32 runs the kernel with the specialised exp (`fast_f32`).
        let f32s = (
            (&*yd as &dyn Any).downcast_ref::<Vec<f32>>(),
            (&*gd as &dyn Any).downcast_ref::<Vec<f32>>(),
            (&mut out as &mut dyn Any).downcast_mut::<Vec<f32>>(),
        );
        match (kind, f32s) {
            (Kind::LogSoftmax, (Some(yd), Some(gd), Some(out))) => {
                let ys = &yd[ym.offset()..ym.offset() + ym.numel()];
                let gs = &gd[gm.offset()..gm.offset() + gm.numel()];
                for_rows(rows, cols, out, |r, o| {
                    arch().dispatch(fast_f32::LogBackward {
                        y: &ys[r.start * cols..r.end * cols],
                        g: &gs[r.start * cols..r.end * cols],
                        out: o,
                        cols,
                    });
                });
            }
            _ => for_rows(rows, cols, &mut out, |r, o| {
                arch().dispatch(Backward {
                    y: &ys[r.start * cols..r.end * cols],
                    g: &gs[r.start * cols..r.end * cols],
                    out: o,
                    cols,
                    kind,
                });
            }),
        }
    }
    let shape = ym.shape().to_vec();
    Tensor::from_vec(out, &shape)?.permute(&restore_order(y.ndim(), dim))
}

/// [`Tensor::softmax_into`] / [`Tensor::log_softmax_into`].
fn forward_into<E: SimdElement>(
    x: &Tensor<E>,
    dim: isize,
    out: &mut Tensor<E>,
    kind: Kind,
) -> Result<()> {
    let op = match kind {
        Kind::Softmax => "softmax_into",
        Kind::LogSoftmax => "log_softmax_into",
    };
    let d = crate::shape::normalize_dim(op, dim, x.shape())?;
    if out.shape() != x.shape() {
        return Err(Error::ShapeMismatch {
            op,
            lhs: x.shape().to_vec(),
            rhs: out.shape().to_vec(),
        });
    }
    if !out.is_contiguous() {
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "the output must be contiguous; it has shape {:?} and strides {:?}",
                out.shape(),
                out.strides()
            ),
        });
    }
    let n = out.numel();
    let start = out.offset();
    if d + 1 == x.ndim() && x.is_contiguous() && !out.shares_storage_with(x) {
        let cols = x.shape()[d];
        let rows = n.checked_div(cols).unwrap_or(0);
        let data = x.storage().read();
        let mut guard = out.storage().write();
        forward_rows(
            (&data, x.offset()..x.offset() + n),
            (&mut guard, start..start + n),
            (rows, cols),
            kind,
        );
        return Ok(());
    }
    // Another dim, a strided input, or `out` aliasing `x`: compute aside, then copy in.
    let tmp = forward_raw(x, d, kind)?.to_vec();
    out.storage().write()[start..start + n].copy_from_slice(&tmp);
    Ok(())
}

/// The isolated softmax backward kernel over `dim`: `dx = y ⊙ (g − ⟨g, y⟩)` given the forward
/// output `y` and the upstream gradient `g` (what autograd runs; public for benchmarks and for
/// users fusing their own graphs).
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] if `y` and `g` differ in shape; a bad dim.
pub fn softmax_backward<E: SimdElement>(
    y: &Tensor<E>,
    g: &Tensor<E>,
    dim: isize,
) -> Result<Tensor<E>> {
    checked_backward("softmax_backward", y, g, dim, Kind::Softmax)
}

/// The isolated log-softmax backward kernel over `dim`: `dx = g − exp(y) · Σ g` given the
/// forward output `y` and the upstream gradient `g`.
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] if `y` and `g` differ in shape; a bad dim.
pub fn log_softmax_backward<E: SimdElement>(
    y: &Tensor<E>,
    g: &Tensor<E>,
    dim: isize,
) -> Result<Tensor<E>> {
    checked_backward("log_softmax_backward", y, g, dim, Kind::LogSoftmax)
}

fn checked_backward<E: SimdElement>(
    op: &'static str,
    y: &Tensor<E>,
    g: &Tensor<E>,
    dim: isize,
    kind: Kind,
) -> Result<Tensor<E>> {
    if y.shape() != g.shape() {
        return Err(crate::Error::ShapeMismatch {
            op,
            lhs: y.shape().to_vec(),
            rhs: g.shape().to_vec(),
        });
    }
    let d = crate::shape::normalize_dim(op, dim, y.shape())?;
    backward_raw(y, g, d, kind)
}

fn recorded<E: SimdElement>(x: &Tensor<E>, dim: isize, kind: Kind) -> Result<Tensor<E>> {
    let name = match kind {
        Kind::Softmax => "softmax",
        Kind::LogSoftmax => "log_softmax",
    };
    let d = crate::shape::normalize_dim(name, dim, x.shape())?;
    let y = forward_raw(x, d, kind)?;
    let saved = y.detach();
    Ok(autograd::record(name, y, &[x], move |g| {
        Ok(vec![Some(backward_raw(&saved, g, d, kind)?)])
    }))
}

impl<E: SimdElement> Tensor<E> {
    /// Softmax over `dim` (negative dims count from the end): `exp(x − m) / Σ exp(x − m)` with
    /// `m` the maximum over `dim`, fused and SIMD; differentiable.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], &[1, 3]).unwrap();
    /// let y = x.softmax(-1).unwrap().to_vec();
    /// let z: f64 = [1.0f64, 2.0, 3.0].iter().map(|v| v.exp()).sum();
    /// assert!((y[2] - 3.0f64.exp() / z).abs() < 1e-15);
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::DimOutOfRange`] for a bad dim.
    pub fn softmax(&self, dim: isize) -> Result<Tensor<E>> {
        recorded(self, dim, Kind::Softmax)
    }

    /// Log-softmax over `dim`: `x − m − ln Σ exp(x − m)` (exact ln), fused and SIMD;
    /// differentiable.
    ///
    /// # Errors
    /// [`crate::Error::DimOutOfRange`] for a bad dim.
    pub fn log_softmax(&self, dim: isize) -> Result<Tensor<E>> {
        recorded(self, dim, Kind::LogSoftmax)
    }

    /// [`Tensor::softmax`] written into `out` (same shape, contiguous) instead of a new tensor,
    /// for a loop that reuses its output. Not recorded for autograd.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::from_vec(vec![0.0, 0.0, 1.0, f32::NEG_INFINITY], &[2, 2]).unwrap();
    /// let mut out = Tensor::<f32>::zeros(&[2, 2]).unwrap();
    /// x.softmax_into(-1, &mut out).unwrap();
    /// assert_eq!(out.to_vec(), vec![0.5, 0.5, 1.0, 0.0]);
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::DimOutOfRange`] for a bad dim; [`crate::Error::ShapeMismatch`] if `out`
    /// has another shape; [`crate::Error::InvalidArgument`] if `out` is not contiguous.
    pub fn softmax_into(&self, dim: isize, out: &mut Tensor<E>) -> Result<()> {
        forward_into(self, dim, out, Kind::Softmax)
    }

    /// [`Tensor::log_softmax`] written into `out` (same shape, contiguous). Not recorded for
    /// autograd.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f64>::from_vec(vec![1.0, 1.0], &[2]).unwrap();
    /// let mut out = Tensor::<f64>::zeros(&[2]).unwrap();
    /// x.log_softmax_into(0, &mut out).unwrap();
    /// // The SIMD ln is within 1 ulp of the correctly rounded value.
    /// assert!(out.to_vec().iter().all(|v| (v + 2.0f64.ln()).abs() <= 2.0 * f64::EPSILON));
    /// ```
    ///
    /// # Errors
    /// As [`Tensor::softmax_into`].
    pub fn log_softmax_into(&self, dim: isize, out: &mut Tensor<E>) -> Result<()> {
        forward_into(self, dim, out, Kind::LogSoftmax)
    }
}
