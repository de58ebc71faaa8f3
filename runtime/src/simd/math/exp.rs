//! `exp`, `exp2`, `expm1` and the double-word `exp_dw`/`expm1_dw` behind `powf` and `tanh`:
//! Cody–Waite reduction by `ln 2` (FMA, so the first reduction step is exact), a polynomial,
//! and a two-factor `2^k` scale so overflow and gradual underflow round once, like the
//! correctly rounded result.
//!
//! Each function has an exact path (argument clamps, two-factor scale) and a fast path taken
//! when every lane of the register lies where no clamp acts and a single `2^k` factor keeps the
//! result normal ([`Prim::POW2_FAST_K`]). There the clamps are no-ops and
//! `(p·2^k1)·2^k2 = p·2^k` exactly, so both paths return the same bits (tested bit for bit,
//! f32 exhaustively). NaN and ±inf fail the range test and take the exact path.
//!
//! `exp` itself, the DSL's most used transcendental (and `sigmoid`'s and softmax's), is
//! trimmed for its fast path's dependency chain, which bounds its loop more than the FMA
//! pipes do: `k` rounded by one FMA whose sum also carries `2^k` for the scale, a five-term
//! minimax `Q` in `1 + r·(1 + r·Q(r))` evaluated in Estrin's split, and (f32) `2^k` added to
//! the exponent field by one integer operation. Measured on an AVX2 Zen 3, 2^15 L2-resident
//! inputs, fastest of 8 alternating runs per build (2026-11-27): `exp` 14.3 → 11.3 µs,
//! `sigmoid` 20.6 → 17.2 µs; typical medians of those runs (the machine is often contended)
//! 20 → 16.5 and 29.5 → 22.6 µs. Every f32 `exp` is still within 1 ulp and `sigmoid` within
//! 2 (exhaustive sweeps).

use pulp::Simd;

use super::{c, clamp_keep_nan, poly, poly_estrin, round_even, two_sum, Prim};
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
fn expm1_poly<S: Simd, E: Prim>(s: S, r: E::V<S>) -> E::V<S> {
    let p = poly::<S, E>(s, r, E::EXP_POLY);
    E::fma(s, <E as SimdElement>::mul(s, r, r), p, r)
}

/// `(k, r)` with `x = k·ln2 + r`, `|r| <= ln2/2`, `k` integer-valued: `k` rounded by
/// [`round_even`] after a separate product (the double-word paths' reduction; `exp` itself has
/// [`exp_reduce`]).
#[inline(always)]
fn reduce_ln2<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>) {
    let k = round_even::<S, E>(s, <E as SimdElement>::mul(s, x, c::<S, E>(s, LOG2E)));
    (k, cody_waite::<S, E>(s, k, x))
}

/// `x − k·ln2` in two FMAs with the constants negated (`k·(−c)` is the same exact product as
/// `−k·c`, one negation fewer): the first step is exact, the second adds `ln2`'s rounding
/// error.
#[inline(always)]
fn cody_waite<S: Simd, E: Prim>(s: S, k: E::V<S>, x: E::V<S>) -> E::V<S> {
    let r = E::fma(s, k, c::<S, E>(s, -E::LN2_HI), x);
    E::fma(s, k, c::<S, E>(s, -E::LN2_LO), r)
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
    let (km, k, r) = exp_reduce::<S, E>(s, x);
    E::mul_pow2_rounded(s, exp_reduced::<S, E>(s, r), km, k)
}

/// `e^x` for every `x`: clamped argument, two-factor scale.
#[inline(always)]
pub(crate) fn exp_exact<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (lo, hi) = E::EXP_RANGE;
    let xc = clamp_keep_nan::<S, E>(s, x, lo, hi);
    let (_, k, r) = exp_reduce::<S, E>(s, xc);
    scale::<S, E>(s, exp_reduced::<S, E>(s, r), k)
}

/// `exp`'s reduction `x = k·ln2 + r`, returned with `km = k + 1.5·2^MANT_BITS`: one FMA puts
/// `x·log2 e` where the format's spacing is 1, so its single rounding is the round to the
/// nearest integer (the add-and-subtract of [`round_even`] after a separate product rounds
/// twice and is one operation longer), and `km`'s low bits hold `k` for
/// [`Prim::mul_pow2_rounded`]. `|r| <= ln2/2` up to the rounding of `log2 e`.
#[inline(always)]
pub(crate) fn exp_reduce<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>, E::V<S>) {
    let magic = c::<S, E>(s, 1.5 * (1u64 << E::MANT_BITS) as f64);
    let km = E::fma(s, x, c::<S, E>(s, LOG2E), magic);
    let k = <E as SimdElement>::sub(s, km, magic);
    (km, k, cody_waite::<S, E>(s, k, x))
}

/// `e^r = 1 + r·(1 + r·Q(r))` for `|r| <= ln2/2` ([`Prim::EXP_Q`]); nested so that `e^0` is
/// exactly 1 and the last two roundings act on numbers near 1.
#[inline(always)]
fn exp_reduced<S: Simd, E: Prim>(s: S, r: E::V<S>) -> E::V<S> {
    let one = c::<S, E>(s, 1.0);
    let r2 = <E as SimdElement>::mul(s, r, r);
    let q = poly_estrin::<S, E>(s, r, r2, E::EXP_Q);
    E::fma(s, E::fma(s, q, r, one), r, one)
}

/// `e^r − 1 = r + r²·P(r)` for `|r| <= ln2/2`: [`expm1_poly`] in Estrin's split. It keeps the
/// Taylor `P` ([`Prim::EXP_POLY`]), whose error vanishes with `r` like the result does; with
/// [`exp_reduced`]'s minimax `Q` (small error relative to `e^r`, not to `e^r − 1`) f32 `tanh`
/// reached 3 ulp at `x = −0.0304` (exhaustive sweep, 2026-11-27).
#[inline(always)]
pub(crate) fn expm1_reduced<S: Simd, E: Prim>(s: S, r: E::V<S>) -> E::V<S> {
    let r2 = <E as SimdElement>::mul(s, r, r);
    E::fma(s, r2, poly_estrin::<S, E>(s, r, r2, E::EXP_POLY), r)
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
    let (k, r) = reduce_ln2::<S, E>(s, h);
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
    let (k, r) = reduce_ln2::<S, E>(s, x);
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
