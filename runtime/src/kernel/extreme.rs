//! Fast paths of the max and min folds ([`ReducePattern::Max`](super::ReducePattern::Max) and
//! `Min`), bit-identical to the exact kernels or declined.
//!
//! The exact NaN-propagating `max` the DSL derives (compare, tie and NaN selects) costs six
//! vector instructions per step and sits on the accumulator's dependency chain. These paths
//! take the plain `select(a < x, x, a)` instead (two instructions) and keep an independent
//! *guard* sum of the inputs beside it. A fast result is returned only when it cannot differ
//! from the exact fold's:
//! - the guard is not NaN, so no input was NaN (a NaN input makes the sum NaN for good; a sum
//!   of non-NaN values is NaN only when both infinities occur, which merely declines);
//! - the result is not zero (only a zero's sign depends on how ties were broken) and not NaN.
//!
//! Otherwise the caller runs the exact kernel, so NaN propagation and signed zeros stay exactly
//! as the kernel defines them. Any other result is the unique extreme value of the inputs and
//! the identity, which has the same bits whatever order or lanes the fold used.

use pulp::Simd;

use super::rows::{fold_block, RowStep};
use crate::simd::SimdElement;

/// `v` if it lies further than `a` in the fold's direction, else `a` (a NaN `v` is not taken:
/// the guard reports it). Also the fast step of the 2-wide pools (`pool/pair.rs`).
#[inline(always)]
pub(crate) fn pick<S: Simd, E: SimdElement, const MAX: bool>(
    s: S,
    a: E::V<S>,
    v: E::V<S>,
) -> E::V<S> {
    let further = if MAX {
        <E as SimdElement>::lt(s, a, v)
    } else {
        <E as SimdElement>::gt(s, a, v)
    };
    E::select(s, further, v, a)
}

/// Whether a fast result is the exact fold's: neither zero nor NaN.
#[inline(always)]
fn settled<E: SimdElement>(v: E) -> bool {
    v != E::ZERO && !v.is_nan()
}

/// `true` if the guard saw a NaN (or both infinities).
#[inline(always)]
fn tripped<S: Simd, E: SimdElement>(s: S, g0: E::V<S>, g1: E::V<S>) -> bool {
    E::reduce_sum(s, <E as SimdElement>::add(s, g0, g1)).is_nan()
}

/// The max (`MAX`) or min fold of `x` from `id`, or `None` where the exact fold must decide.
#[inline(always)]
pub(super) fn fold<S: Simd, E: SimdElement, const MAX: bool>(s: S, x: &[E], id: E) -> Option<E> {
    let (xh, xt) = E::as_simd::<S>(x);
    let idv = E::splat(s, id);
    let zero = E::splat(s, E::ZERO);
    let (mut a0, mut a1, mut a2, mut a3) = (idv, idv, idv, idv);
    let (mut g0, mut g1) = (zero, zero);
    let mut chunks = xh.chunks_exact(4);
    for c in &mut chunks {
        a0 = pick::<S, E, MAX>(s, a0, c[0]);
        a1 = pick::<S, E, MAX>(s, a1, c[1]);
        a2 = pick::<S, E, MAX>(s, a2, c[2]);
        a3 = pick::<S, E, MAX>(s, a3, c[3]);
        g0 = <E as SimdElement>::add(s, g0, <E as SimdElement>::add(s, c[0], c[1]));
        g1 = <E as SimdElement>::add(s, g1, <E as SimdElement>::add(s, c[2], c[3]));
    }
    for &v in chunks.remainder() {
        a0 = pick::<S, E, MAX>(s, a0, v);
        g0 = <E as SimdElement>::add(s, g0, v);
    }
    if !xt.is_empty() {
        a1 = pick::<S, E, MAX>(s, a1, E::partial_load(s, xt, id));
        g1 = <E as SimdElement>::add(s, g1, E::partial_load(s, xt, E::ZERO));
    }
    if tripped::<S, E>(s, g0, g1) {
        return None;
    }
    let v = pick::<S, E, MAX>(
        s,
        pick::<S, E, MAX>(s, a0, a1),
        pick::<S, E, MAX>(s, a2, a3),
    );
    // The lanes hold no NaN from the input; a NaN or zero from the identity, or a zero of
    // either sign, is declined below, so any lane reduction gives the exact result.
    let r = if MAX {
        E::reduce_max(s, v)
    } else {
        E::reduce_min(s, v)
    };
    settled(r).then_some(r)
}

/// The fast step of the max/min over rows: [`pick`] on the accumulators, and the inputs
/// summed into two guard registers off their dependency chain.
struct Guarded<S: Simd, E: SimdElement, const MAX: bool> {
    g0: E::V<S>,
    g1: E::V<S>,
    /// The fold's identity, which pads a partial register.
    id: E,
}

impl<S: Simd, E: SimdElement, const MAX: bool> RowStep<S, E> for Guarded<S, E, MAX> {
    #[inline(always)]
    fn four(&mut self, s: S, a: E::V<S>, v: [E::V<S>; 4]) -> E::V<S> {
        let p = pick::<S, E, MAX>(
            s,
            pick::<S, E, MAX>(s, v[0], v[1]),
            pick::<S, E, MAX>(s, v[2], v[3]),
        );
        self.g0 = <E as SimdElement>::add(s, self.g0, <E as SimdElement>::add(s, v[0], v[1]));
        self.g1 = <E as SimdElement>::add(s, self.g1, <E as SimdElement>::add(s, v[2], v[3]));
        pick::<S, E, MAX>(s, a, p)
    }

    #[inline(always)]
    fn one(&mut self, s: S, a: E::V<S>, v: E::V<S>) -> E::V<S> {
        self.g0 = <E as SimdElement>::add(s, self.g0, v);
        pick::<S, E, MAX>(s, a, v)
    }

    #[inline(always)]
    fn tail(&mut self, s: S, a: E::V<S>, t: &[E]) -> E::V<S> {
        // Padded with zeros for the guard (an infinity could make it NaN for nothing).
        self.g1 = <E as SimdElement>::add(s, self.g1, E::partial_load(s, t, E::ZERO));
        pick::<S, E, MAX>(s, a, E::partial_load(s, t, self.id))
    }
}

/// `out[i]` = the max (`MAX`) or min from `id` of `x[r·stride + i]` over `r < rows`; `false`
/// (with `out` in an unspecified state) where the exact fold must decide. `rows ≥ 1` and `x`
/// holds every row.
#[inline(always)]
pub(super) fn fold_rows<S: Simd, E: SimdElement, const MAX: bool>(
    s: S,
    x: &[E],
    stride: usize,
    rows: usize,
    out: &mut [E],
    id: E,
) -> bool {
    let zero = E::splat(s, E::ZERO);
    let mut step = Guarded::<S, E, MAX> {
        g0: zero,
        g1: zero,
        id,
    };
    fold_block(s, x, (stride, rows), out, id, &mut step);
    !tripped::<S, E>(s, step.g0, step.g1) && out.iter().all(|&v| settled(v))
}
