//! Fast paths of the max and min folds ([`ReducePattern::Max`](super::ReducePattern::Max) and
//! `Min`), bit-identical to the exact kernels or declined.
//!
//! The exact NaN-propagating `max` the DSL derives (compare, tie and NaN selects) costs six
//! vector instructions per step and sits on the accumulator's dependency chain. These paths
//! put the ISA's own max/min on the chain instead ([`SimdElement::max_loose`], one
//! instruction) and watch every input for NaN beside it ([`NanWatch`], a sum no later step of
//! the chain waits for). A fast result is returned only when it cannot differ from
//! the exact fold's:
//! - no input was NaN (the watch is checked once per call, or per block of outputs);
//! - the result is not zero (only a zero's sign depends on how ties were broken) and not NaN.
//!
//! Otherwise the caller runs the exact kernel, so NaN propagation and signed zeros stay exactly
//! as the kernel defines them. Any other result is the unique extreme value of the inputs and
//! the identity, which has the same bits whatever order, lanes or ISA instruction the fold used.

use pulp::Simd;

use super::rows::{fold_block, RowStep};
use crate::simd::{NanWatch, SimdElement};

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

/// `a` or `v`, whichever lies further in the fold's direction, by [`SimdElement::max_loose`]
/// (or `min_loose`): exact unless a lane holds a NaN or a ±0 tie, which the callers decline.
#[inline(always)]
fn loose<S: Simd, E: SimdElement, const MAX: bool>(s: S, a: E::V<S>, v: E::V<S>) -> E::V<S> {
    if MAX {
        E::max_loose(s, a, v)
    } else {
        E::min_loose(s, a, v)
    }
}

/// The max (`MAX`) or min fold of `x` from `id`, or `None` where the exact fold must decide.
#[inline(always)]
pub(super) fn fold<S: Simd, E: SimdElement, const MAX: bool>(s: S, x: &[E], id: E) -> Option<E> {
    // A NaN identity would sit on the chain, where the loose step may drop it.
    if id.is_nan() {
        return None;
    }
    let (xh, xt) = E::as_simd::<S>(x);
    let idv = E::splat(s, id);
    let (mut a0, mut a1, mut a2, mut a3) = (idv, idv, idv, idv);
    let mut nan = NanWatch::<S, E>::new(s);
    let mut chunks = xh.chunks_exact(4);
    for c in &mut chunks {
        a0 = loose::<S, E, MAX>(s, a0, c[0]);
        a1 = loose::<S, E, MAX>(s, a1, c[1]);
        a2 = loose::<S, E, MAX>(s, a2, c[2]);
        a3 = loose::<S, E, MAX>(s, a3, c[3]);
        nan.watch4(s, [c[0], c[1], c[2], c[3]]);
    }
    for &v in chunks.remainder() {
        a0 = loose::<S, E, MAX>(s, a0, v);
        nan.watch(s, v);
    }
    if !xt.is_empty() {
        let t = E::partial_load(s, xt, id);
        a1 = loose::<S, E, MAX>(s, a1, t);
        nan.watch(s, t);
    }
    if nan.seen(s) {
        return None;
    }
    let v = loose::<S, E, MAX>(
        s,
        loose::<S, E, MAX>(s, a0, a1),
        loose::<S, E, MAX>(s, a2, a3),
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

/// The fast step of the max/min over rows: [`loose`] on the accumulators, every input watched
/// for NaN off their dependency chain.
struct Watched<S: Simd, E: SimdElement, const MAX: bool> {
    nan: NanWatch<S, E>,
    /// The fold's identity, which pads a partial register.
    id: E,
}

impl<S: Simd, E: SimdElement, const MAX: bool> RowStep<S, E> for Watched<S, E, MAX> {
    #[inline(always)]
    fn four(&mut self, s: S, a: E::V<S>, v: [E::V<S>; 4]) -> E::V<S> {
        // The rows combine among themselves first, so the chain through `a` is one step per
        // pass; values are exact here, so the order cannot change a kept result.
        let p = loose::<S, E, MAX>(
            s,
            loose::<S, E, MAX>(s, v[0], v[1]),
            loose::<S, E, MAX>(s, v[2], v[3]),
        );
        self.nan.watch4(s, v);
        loose::<S, E, MAX>(s, a, p)
    }

    #[inline(always)]
    fn one(&mut self, s: S, a: E::V<S>, v: E::V<S>) -> E::V<S> {
        self.nan.watch(s, v);
        loose::<S, E, MAX>(s, a, v)
    }

    #[inline(always)]
    fn tail(&mut self, s: S, a: E::V<S>, t: &[E]) -> E::V<S> {
        let v = E::partial_load(s, t, self.id);
        self.nan.watch(s, v);
        loose::<S, E, MAX>(s, a, v)
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
    if id.is_nan() {
        return false;
    }
    let mut step = Watched::<S, E, MAX> {
        nan: NanWatch::new(s),
        id,
    };
    fold_block(s, x, (stride, rows), out, id, &mut step);
    !step.nan.seen(s) && out.iter().all(|&v| settled(v))
}
