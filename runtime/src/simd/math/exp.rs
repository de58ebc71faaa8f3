//! `exp`, `exp2`, `expm1` and the double-word `exp_dw`/`expm1_dw` behind `powf` and `tanh`:
//! Cody–Waite reduction by `ln 2` (FMA, so the first reduction step is exact), a Taylor
//! polynomial, and a two-factor `2^k` scale so overflow and gradual underflow round once, like
//! the correctly rounded result.
//!
//! Each function has an exact path (argument clamps, two-factor scale) and a fast path taken
//! when every lane of the register lies where no clamp acts and a single `2^k` factor keeps the
//! result normal ([`Prim::POW2_FAST_K`]). There the clamps are no-ops and
//! `(p·2^k1)·2^k2 = p·2^k` exactly, so both paths return the same bits (tested bit for bit,
//! f32 exhaustively). NaN and ±inf fail the range test and take the exact path.

use pulp::Simd;

use super::{c, clamp_keep_nan, poly, round_even, two_sum, Prim};
use crate::simd::SimdElement;

const LOG2E: f64 = core::f64::consts::LOG2_E;

/// Largest `|x|` for which `e^x` takes the fast path: `|round(x·log2 e)| <= POW2_FAST_K`.
#[inline(always)]
pub(crate) fn exp_fast_max<E: Prim>() -> f64 {
    E::POW2_FAST_K * core::f64::consts::LN_2
}

/// True when every lane of `x` has `|x| <= bound` (never for a NaN lane).
#[inline(always)]
pub(crate) fn all_within<S: Simd, E: Prim>(s: S, x: E::V<S>, bound: f64) -> bool {
    let ax = <E as SimdElement>::abs(s, x);
    E::all_lanes(s, <E as SimdElement>::le(s, ax, c::<S, E>(s, bound)))
}

/// `e^r` for `|r| <= ln2/2 (+ a little)`.
#[inline(always)]
fn exp_poly<S: Simd, E: Prim>(s: S, r: E::V<S>) -> E::V<S> {
    let q = expm1_poly::<S, E>(s, r);
    <E as SimdElement>::add(s, q, c::<S, E>(s, 1.0))
}

/// `e^r − 1` for `|r| <= ln2/2 (+ a little)`.
#[inline(always)]
pub(crate) fn expm1_poly<S: Simd, E: Prim>(s: S, r: E::V<S>) -> E::V<S> {
    let p = poly::<S, E>(s, r, E::EXP_POLY);
    E::fma(s, <E as SimdElement>::mul(s, r, r), p, r)
}

/// `(k, r)` with `x = k·ln2 + r`, `|r| <= ln2/2`, `k` integer-valued.
#[inline(always)]
fn reduce_ln2<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>) {
    let k = round_even::<S, E>(s, <E as SimdElement>::mul(s, x, c::<S, E>(s, LOG2E)));
    let nk = <E as SimdElement>::neg(s, k);
    let r = E::fma(s, nk, c::<S, E>(s, E::LN2_HI), x);
    let r = E::fma(s, nk, c::<S, E>(s, E::LN2_LO), r);
    (k, r)
}

/// [`reduce_ln2`] with the constants negated instead of `k` (one operation fewer): `−k·c` and
/// `k·(−c)` are the same exact product, so `r` has the same bits.
#[inline(always)]
pub(crate) fn reduce_ln2_fast<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>) {
    let k = round_even::<S, E>(s, <E as SimdElement>::mul(s, x, c::<S, E>(s, LOG2E)));
    let r = E::fma(s, k, c::<S, E>(s, -E::LN2_HI), x);
    let r = E::fma(s, k, c::<S, E>(s, -E::LN2_LO), r);
    (k, r)
}

/// `p · 2^k` for `|k|` up to twice the exponent range, rounding once at the end (so subnormal
/// and overflowing results come out as the correctly rounded product would).
#[inline(always)]
fn scale<S: Simd, E: Prim>(s: S, p: E::V<S>, k: E::V<S>) -> E::V<S> {
    let k1 = round_even::<S, E>(s, <E as SimdElement>::mul(s, k, c::<S, E>(s, 0.5)));
    let k2 = <E as SimdElement>::sub(s, k, k1);
    <E as SimdElement>::mul(
        s,
        <E as SimdElement>::mul(s, p, E::pow2i(s, k1)),
        E::pow2i(s, k2),
    )
}

/// `e^x`.
#[inline(always)]
pub(crate) fn exp<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    if all_within::<S, E>(s, x, exp_fast_max::<E>()) {
        exp_fast::<S, E>(s, x)
    } else {
        exp_exact::<S, E>(s, x)
    }
}

/// `e^x` for `|x| <= exp_fast_max()`: one `2^k` factor, no clamp.
#[inline(always)]
pub(crate) fn exp_fast<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (k, r) = reduce_ln2_fast::<S, E>(s, x);
    <E as SimdElement>::mul(s, exp_poly::<S, E>(s, r), E::pow2i(s, k))
}

/// `e^x` for every `x`: clamped argument, two-factor scale.
#[inline(always)]
pub(crate) fn exp_exact<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (lo, hi) = E::EXP_RANGE;
    let xc = clamp_keep_nan::<S, E>(s, x, lo, hi);
    let (k, r) = reduce_ln2::<S, E>(s, xc);
    scale::<S, E>(s, exp_poly::<S, E>(s, r), k)
}

/// `e^(h + l)` for a double-word argument (`|l| <= ulp(h)`; `l` must be finite).
#[inline(always)]
pub(crate) fn exp_dw<S: Simd, E: Prim>(s: S, h: E::V<S>, l: E::V<S>) -> E::V<S> {
    if all_within::<S, E>(s, h, exp_fast_max::<E>()) {
        exp_dw_fast::<S, E>(s, h, l)
    } else {
        exp_dw_exact::<S, E>(s, h, l)
    }
}

/// [`exp_dw`] for `|h| <= exp_fast_max()`: one `2^k` factor, no clamp.
#[inline(always)]
pub(crate) fn exp_dw_fast<S: Simd, E: Prim>(s: S, h: E::V<S>, l: E::V<S>) -> E::V<S> {
    let (k, r) = reduce_ln2_fast::<S, E>(s, h);
    let r = <E as SimdElement>::add(s, r, l);
    <E as SimdElement>::mul(s, exp_poly::<S, E>(s, r), E::pow2i(s, k))
}

/// [`exp_dw`] for every `h`: clamped argument, two-factor scale.
#[inline(always)]
pub(crate) fn exp_dw_exact<S: Simd, E: Prim>(s: S, h: E::V<S>, l: E::V<S>) -> E::V<S> {
    let (lo, hi) = E::EXP_RANGE;
    let hc = clamp_keep_nan::<S, E>(s, h, lo, hi);
    // Where h was clamped the result is 0 or +inf whatever l is, and l (up to ulp(h), huge for
    // h near the format's maximum) must not leak into the reduced argument.
    let l = E::select(s, <E as SimdElement>::eq(s, hc, h), l, c::<S, E>(s, 0.0));
    let (k, r) = reduce_ln2::<S, E>(s, hc);
    let r = <E as SimdElement>::add(s, r, l);
    scale::<S, E>(s, exp_poly::<S, E>(s, r), k)
}

/// `2^x`.
#[inline(always)]
pub(crate) fn exp2<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    if all_within::<S, E>(s, x, E::POW2_FAST_K) {
        exp2_fast::<S, E>(s, x)
    } else {
        exp2_exact::<S, E>(s, x)
    }
}

/// `2^x` for `|x| <= POW2_FAST_K`: one `2^k` factor, no clamp.
#[inline(always)]
pub(crate) fn exp2_fast<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let k = round_even::<S, E>(s, x);
    let (p, rl) = exp2_frac::<S, E>(s, <E as SimdElement>::sub(s, x, k));
    <E as SimdElement>::mul(s, E::fma(s, p, rl, p), E::pow2i(s, k))
}

/// `(p, rl)` with `2^r ≈ p·(1 + rl)` for `|r| <= 1/2`: `r·ln2` as a double-word `rh + rl`,
/// `p = e^rh`.
#[inline(always)]
fn exp2_frac<S: Simd, E: Prim>(s: S, r: E::V<S>) -> (E::V<S>, E::V<S>) {
    let ln2 = c::<S, E>(s, E::LN2_HI);
    let rh = <E as SimdElement>::mul(s, r, ln2);
    let rl = E::fma(s, r, ln2, <E as SimdElement>::neg(s, rh));
    let rl = E::fma(s, r, c::<S, E>(s, E::LN2_LO), rl);
    (exp_poly::<S, E>(s, rh), rl)
}

/// `2^x` for every `x`: clamped argument, two-factor scale.
#[inline(always)]
pub(crate) fn exp2_exact<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (lo, hi) = E::EXP_RANGE;
    let xc = clamp_keep_nan::<S, E>(s, x, lo * LOG2E, hi * LOG2E);
    let k = round_even::<S, E>(s, xc);
    let (p, rl) = exp2_frac::<S, E>(s, <E as SimdElement>::sub(s, xc, k));
    scale::<S, E>(s, E::fma(s, p, rl, p), k)
}

/// Largest `|x|` for which [`expm1_dw`] takes its fast path (no clamp acts, `|k| <= 60`).
pub(crate) const EXPM1_FAST_MAX: f64 = 41.0;

/// `e^x − 1` as a double-word `hi + lo` (relative error ~2^-60 before the final sum), for
/// `x <= 41` (NaN propagates; very negative `x` gives `−1`).
#[inline(always)]
pub(crate) fn expm1_dw<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>) {
    if all_within::<S, E>(s, x, EXPM1_FAST_MAX) {
        expm1_dw_fast::<S, E>(s, x)
    } else {
        expm1_dw_exact::<S, E>(s, x)
    }
}

/// [`expm1_dw`] for `|x| <= EXPM1_FAST_MAX`, where neither clamp of the exact path acts.
#[inline(always)]
pub(crate) fn expm1_dw_fast<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>) {
    let (k, r) = reduce_ln2_fast::<S, E>(s, x);
    expm1_dw_tail::<S, E>(s, k, r)
}

/// [`expm1_dw`] for every `x <= 41`.
#[inline(always)]
pub(crate) fn expm1_dw_exact<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>) {
    let (lo, _) = E::EXP_RANGE;
    let xc = clamp_keep_nan::<S, E>(s, x, lo, EXPM1_FAST_MAX);
    let (k, r) = reduce_ln2::<S, E>(s, xc);
    // k is limited so 2^k stays normal; below that the result is −1 anyway.
    let kk = clamp_keep_nan::<S, E>(s, k, -60.0, 60.0);
    expm1_dw_tail::<S, E>(s, kk, r)
}

/// `2^k·(e^r − 1) + (2^k − 1)` as a double-word, for `|k| <= 60`.
#[inline(always)]
fn expm1_dw_tail<S: Simd, E: Prim>(s: S, k: E::V<S>, r: E::V<S>) -> (E::V<S>, E::V<S>) {
    // q = r + r²·P(r) and the rounding error of that last FMA (r − qh is exact by Sterbenz).
    let r2 = <E as SimdElement>::mul(s, r, r);
    let p = poly::<S, E>(s, r, E::EXP_POLY);
    let qh = E::fma(s, r2, p, r);
    let ql = E::fma(s, r2, p, <E as SimdElement>::sub(s, r, qh));
    // 2^k·q + (2^k − 1): the product by a power of two and 2^k − 1 are exact for the k that
    // matter (|k| <= 53); the sum is split exactly by TwoSum.
    let t = E::pow2i(s, k);
    let one = c::<S, E>(s, 1.0);
    let pm = <E as SimdElement>::mul(s, t, qh);
    let u = <E as SimdElement>::sub(s, t, one);
    let (hi, err) = two_sum::<S, E>(s, pm, u);
    (hi, E::fma(s, t, ql, err))
}

/// `e^x − 1`.
#[inline(always)]
pub(crate) fn expm1<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    // Both parts take their fast paths together: EXPM1_FAST_MAX < exp_fast_max().
    let (hi, lo, big) = if all_within::<S, E>(s, x, EXPM1_FAST_MAX) {
        let (hi, lo) = expm1_dw_fast::<S, E>(s, x);
        (hi, lo, exp_fast::<S, E>(s, x))
    } else {
        let (hi, lo) = expm1_dw_exact::<S, E>(s, x);
        (hi, lo, exp_exact::<S, E>(s, x))
    };
    let small = <E as SimdElement>::add(s, hi, lo);
    // Large x: e^x − 1 rounds like e^x, which may overflow.
    let res = E::select(
        s,
        <E as SimdElement>::gt(s, x, c::<S, E>(s, E::EXPM1_BIG)),
        big,
        small,
    );
    let tiny = <E as SimdElement>::lt(s, <E as SimdElement>::abs(s, x), c::<S, E>(s, E::TINY));
    E::select(s, tiny, x, res)
}
