//! The row kernels of softmax and log-softmax, forward and backward, over contiguous rows.
//!
//! They are written once, generic over the element and over the few per-register functions
//! where f32 has a faster form ([`RowMath`]): the exponential of `x − m ≤ 0` (or of a
//! log-probability) and the maximum. [`Exact`] serves every element; `fast_f32::FastF32`
//! gives f32 its specialised exponential. The trait's functions are `#[inline(always)]`
//! associated functions rather than closures, so they compile inside the dispatch's target
//! features (a closure the optimiser declines to inline is compiled without them).

use core::marker::PhantomData;

use pulp::{Simd, WithSimd};

use super::Kind;
use crate::simd::{ScalarMath, SimdElement};

/// The per-register functions a row kernel may specialise.
pub(super) trait RowMath<E: SimdElement> {
    /// `e^(x − m)` per lane, `m` being the row's maximum (so `x − m ≤ 0` unless a lane is NaN
    /// or the row holds `+inf`): `-inf` lanes give 0, NaN propagates.
    fn exp_shifted<S: Simd>(s: S, m: E::V<S>, x: E::V<S>) -> E::V<S>;
    /// `e^y` for a log-softmax output `y` (`≤ 0` when it came from the forward, but any value
    /// is computed correctly).
    fn exp_log_prob<S: Simd>(s: S, y: E::V<S>) -> E::V<S>;
    /// A lane-wise maximum free to order NaN either way: a row holding NaN (or `+inf`, via
    /// `inf − inf`) turns into NaN in the exp pass whatever its maximum is.
    fn max<S: Simd>(s: S, a: E::V<S>, b: E::V<S>) -> E::V<S>;
    /// The largest lane of a register the folds of [`RowMath::max`] produced.
    fn reduce_max<S: Simd>(s: S, a: E::V<S>) -> E;
}

/// The element's own `exp` (1 ulp over its whole range) and a NaN-skipping maximum.
pub(super) struct Exact;

impl<E: SimdElement> RowMath<E> for Exact {
    #[inline(always)]
    fn exp_shifted<S: Simd>(s: S, m: E::V<S>, x: E::V<S>) -> E::V<S> {
        <E as SimdElement>::exp(s, <E as SimdElement>::sub(s, x, m))
    }
    #[inline(always)]
    fn exp_log_prob<S: Simd>(s: S, y: E::V<S>) -> E::V<S> {
        <E as SimdElement>::exp(s, y)
    }
    /// `if b > a { b } else { a }`: one compare and one blend, where the NaN-propagating `max`
    /// costs several instructions; a NaN `b` never wins.
    #[inline(always)]
    fn max<S: Simd>(s: S, a: E::V<S>, b: E::V<S>) -> E::V<S> {
        <E as SimdElement>::select(s, <E as SimdElement>::gt(s, b, a), b, a)
    }
    #[inline(always)]
    fn reduce_max<S: Simd>(s: S, a: E::V<S>) -> E {
        <E as SimdElement>::reduce_max(s, a)
    }
}

/// Maximum of a row by [`RowMath::max`] (padding lanes hold `-inf`); `-inf` for an empty row.
#[inline(always)]
fn row_max<S: Simd, E: SimdElement, M: RowMath<E>>(s: S, x: &[E]) -> E {
    let (head, tail) = <E as SimdElement>::as_simd::<S>(x);
    let ninf = <E as SimdElement>::splat(s, E::NEG_INFINITY);
    let (mut a0, mut a1, mut a2, mut a3) = (ninf, ninf, ninf, ninf);
    let mut chunks = head.chunks_exact(4);
    for c in &mut chunks {
        a0 = M::max(s, a0, c[0]);
        a1 = M::max(s, a1, c[1]);
        a2 = M::max(s, a2, c[2]);
        a3 = M::max(s, a3, c[3]);
    }
    for &v in chunks.remainder() {
        a0 = M::max(s, a0, v);
    }
    let t = <E as SimdElement>::partial_load(s, tail, E::NEG_INFINITY);
    a1 = M::max(s, a1, t);
    M::reduce_max(s, M::max(s, M::max(s, a0, a1), M::max(s, a2, a3)))
}

/// `out = e^(x − m)` (stored only when `STORE`: log-softmax needs just the sum); returns the
/// sum and the maximum of `next`, the following row (empty for the last row, else as long as
/// `x`), or `-inf` when `next` is empty.
///
/// Finding the next row's maximum here overlaps its memory reads with this row's exp, which is
/// compute-bound, instead of a separate memory-bound pass; the row is then in L1 for its own
/// exp pass.
#[inline(always)]
fn exp_sum_next_max<S: Simd, E: SimdElement, M: RowMath<E>, const STORE: bool>(
    s: S,
    x: &[E],
    m: E,
    out: &mut [E],
    next: &[E],
) -> (E, E) {
    let mv = <E as SimdElement>::splat(s, m);
    let ninf = <E as SimdElement>::splat(s, E::NEG_INFINITY);
    let zero = <E as SimdElement>::splat(s, E::ZERO);
    let (xh, xt) = <E as SimdElement>::as_simd::<S>(x);
    let (oh, ot) = <E as SimdElement>::as_mut_simd::<S>(out);
    let (nh, nt) = <E as SimdElement>::as_simd::<S>(next);
    let (mut s0, mut s1) = (zero, zero);
    let (mut a0, mut a1) = (ninf, ninf);
    // `next` runs out at once (last row) or together with this row: one loop serves both, and
    // the branch on it always goes the same way.
    let mut next_pairs = nh.chunks_exact(2);
    for (xc, oc) in xh.chunks_exact(2).zip(oh.chunks_exact_mut(2)) {
        let (e0, e1) = (M::exp_shifted(s, mv, xc[0]), M::exp_shifted(s, mv, xc[1]));
        if STORE {
            oc[0] = e0;
            oc[1] = e1;
        }
        s0 = <E as SimdElement>::add(s, s0, e0);
        s1 = <E as SimdElement>::add(s, s1, e1);
        if let Some(nc) = next_pairs.next() {
            a0 = M::max(s, a0, nc[0]);
            a1 = M::max(s, a1, nc[1]);
        }
    }
    for &v in next_pairs.remainder() {
        a0 = M::max(s, a0, v);
    }
    if !nt.is_empty() {
        // Padding lanes load -inf, which never wins.
        let v = <E as SimdElement>::partial_load(s, nt, E::NEG_INFINITY);
        a1 = M::max(s, a1, v);
    }
    if xh.len() % 2 == 1 {
        let i = xh.len() - 1;
        let e = M::exp_shifted(s, mv, xh[i]);
        if STORE {
            oh[i] = e;
        }
        s0 = <E as SimdElement>::add(s, s0, e);
    }
    if !xt.is_empty() {
        // Padding lanes load -inf so exp gives exactly 0 and the sum is unaffected.
        let v = <E as SimdElement>::partial_load(s, xt, E::NEG_INFINITY);
        let e = M::exp_shifted(s, mv, v);
        if STORE {
            <E as SimdElement>::partial_store(s, ot, e);
        }
        s1 = <E as SimdElement>::add(s, s1, e);
    }
    let sum = <E as SimdElement>::reduce_sum(s, <E as SimdElement>::add(s, s0, s1));
    (sum, M::reduce_max(s, M::max(s, a0, a1)))
}

/// `out[i] = a[i] * b + c` over a row.
#[inline(always)]
fn scale_shift<S: Simd, E: SimdElement>(s: S, a: &[E], b: E, c: E, out: &mut [E]) {
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

/// `out[i] *= b` over a row.
#[inline(always)]
fn scale_in_place<S: Simd, E: SimdElement>(s: S, out: &mut [E], b: E) {
    let bv = <E as SimdElement>::splat(s, b);
    let (oh, ot) = <E as SimdElement>::as_mut_simd::<S>(out);
    for o in oh.iter_mut() {
        *o = <E as SimdElement>::mul(s, *o, bv);
    }
    if !ot.is_empty() {
        let v = <E as SimdElement>::partial_load(s, ot, E::ZERO);
        <E as SimdElement>::partial_store(s, ot, <E as SimdElement>::mul(s, v, bv));
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
fn row_sum<S: Simd, E: SimdElement>(s: S, a: &[E]) -> E {
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

/// The output of a backward pass per register, from `y` and `g`. (A trait, not a closure: see
/// the module documentation.)
trait GradOp<S: Simd, E: SimdElement> {
    fn apply(&self, s: S, y: E::V<S>, g: E::V<S>) -> E::V<S>;
}

/// Softmax: `y ⊙ (g − d)`, `d = ⟨g, y⟩`.
struct SoftmaxGrad<S: Simd, E: SimdElement> {
    d: E::V<S>,
}

impl<S: Simd, E: SimdElement> GradOp<S, E> for SoftmaxGrad<S, E> {
    #[inline(always)]
    fn apply(&self, s: S, y: E::V<S>, g: E::V<S>) -> E::V<S> {
        <E as SimdElement>::mul(s, y, <E as SimdElement>::sub(s, g, self.d))
    }
}

/// Log-softmax: `g − e^y · t`, `t = Σ g`.
struct LogSoftmaxGrad<S: Simd, E: SimdElement, M> {
    t: E::V<S>,
    math: PhantomData<M>,
}

impl<S: Simd, E: SimdElement, M: RowMath<E>> GradOp<S, E> for LogSoftmaxGrad<S, E, M> {
    #[inline(always)]
    fn apply(&self, s: S, y: E::V<S>, g: E::V<S>) -> E::V<S> {
        let e = M::exp_log_prob(s, y);
        <E as SimdElement>::sub(s, g, <E as SimdElement>::mul(s, e, self.t))
    }
}

/// `out = op(y, g)` register by register over a row (the tail padded with zeros).
#[inline(always)]
fn grad_row<S: Simd, E: SimdElement>(s: S, y: &[E], g: &[E], out: &mut [E], op: impl GradOp<S, E>) {
    let (yh, yt) = <E as SimdElement>::as_simd::<S>(y);
    let (gh, gt) = <E as SimdElement>::as_simd::<S>(g);
    let (oh, ot) = <E as SimdElement>::as_mut_simd::<S>(out);
    for ((o, &yv), &gv) in oh.iter_mut().zip(yh).zip(gh) {
        *o = op.apply(s, yv, gv);
    }
    if !yt.is_empty() {
        let yv = <E as SimdElement>::partial_load(s, yt, E::ZERO);
        let gv = <E as SimdElement>::partial_load(s, gt, E::ZERO);
        <E as SimdElement>::partial_store(s, ot, op.apply(s, yv, gv));
    }
}

/// The forward kernel over the contiguous rows of `cols` in `x`, written to `out` (as long).
///
/// Per row: the maximum `m` (fused into the previous row's exp pass), one pass computing
/// `e^(x − m)` and its sum, one pass over the L1-hot row writing the result.
pub(super) struct Forward<'a, E, M> {
    pub(super) x: &'a [E],
    pub(super) out: &'a mut [E],
    pub(super) cols: usize,
    pub(super) kind: Kind,
    pub(super) math: PhantomData<M>,
}

impl<E: SimdElement, M: RowMath<E>> WithSimd for Forward<'_, E, M> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let cols = self.cols;
        let Some(first) = self.x.get(..cols) else {
            return;
        };
        // Row i's maximum comes from row i − 1's exp pass.
        let mut m = row_max::<S, E, M>(s, first);
        for (i, out) in self.out.chunks_exact_mut(cols).enumerate() {
            let x = &self.x[i * cols..(i + 1) * cols];
            let next = self.x.get((i + 1) * cols..(i + 2) * cols).unwrap_or(&[]);
            m = match self.kind {
                Kind::Softmax => {
                    let (sum, next_max) = exp_sum_next_max::<S, E, M, true>(s, x, m, out, next);
                    scale_in_place::<S, E>(s, out, E::ONE / sum);
                    next_max
                }
                Kind::LogSoftmax => {
                    let (sum, next_max) = exp_sum_next_max::<S, E, M, false>(s, x, m, out, next);
                    // x − m − ln Σ, exact ln (no epsilon, unlike MiniTorch).
                    let shift = -(m + <E as ScalarMath>::ln(sum));
                    scale_shift::<S, E>(s, x, E::ONE, shift, out);
                    next_max
                }
            };
        }
    }
}

/// The backward kernel over contiguous rows of `cols`, given the forward output `y` and the
/// upstream gradient `g`. Per row: softmax `⟨g, y⟩` then `y ⊙ (g − ⟨g, y⟩)`; log-softmax
/// `Σ g` then `g − e^y · Σ g`, the second pass reading the row from L1. (Fusing the next row's
/// `⟨g, y⟩` into this row's store pass, as the forward does with its maximum, measured slower:
/// 0.23–0.30 against 0.18–0.20 ms on [1024, 1024].)
pub(super) struct Backward<'a, E, M> {
    pub(super) y: &'a [E],
    pub(super) g: &'a [E],
    pub(super) out: &'a mut [E],
    pub(super) cols: usize,
    pub(super) kind: Kind,
    pub(super) math: PhantomData<M>,
}

impl<E: SimdElement, M: RowMath<E>> WithSimd for Backward<'_, E, M> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let cols = self.cols;
        let rows = self.y.chunks_exact(cols).zip(self.g.chunks_exact(cols));
        for ((y, g), out) in rows.zip(self.out.chunks_exact_mut(cols)) {
            match self.kind {
                Kind::Softmax => {
                    let d = <E as SimdElement>::splat(s, dot::<S, E>(s, y, g));
                    grad_row(s, y, g, out, SoftmaxGrad::<S, E> { d });
                }
                Kind::LogSoftmax => {
                    let t = <E as SimdElement>::splat(s, row_sum::<S, E>(s, g));
                    let op = LogSoftmaxGrad::<S, E, M> {
                        t,
                        math: PhantomData,
                    };
                    grad_row(s, y, g, out, op);
                }
            }
        }
    }
}
