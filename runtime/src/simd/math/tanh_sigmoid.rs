//! `tanh` and `sigmoid` from `expm1`/`exp`: saturation to exactly `±1`/`0`/`1`, `tanh(±0) = ±0`,
//! and no overflow for any input. Like the exp family, each takes a fast path when every lane
//! of the register is in the range where the exact path's clamps and selects are no-ops, except
//! `tanh`: its clamp costs as much as the range test, so it runs on every register and there is
//! no branch to mispredict on inputs that straddle the saturation threshold.
//!
//! `tanh(a) = m/(m + 2)` with `m = e^{2a} − 1`, `a = |x|`, in one of two precisions chosen by
//! [`Prim::TANH_FMA_EXPM1`]. `f32`: `m` rounded once (one FMA after the exp polynomial) and one
//! division, within 2 ulp (every f32 checked). `f64`: `m` as a double-word and a corrected
//! quotient (two divisions), within 2 ulp of glibc.
//!
//! Measured and not kept for `f32` (2026-11-27): an odd polynomial `a + a³·P(a²)` below 0.55
//! (a fitted five-term `P`) and `1 − 2/(e^{2a} + 1)` above, blended per lane, was within 1 ulp
//! but both halves run on almost every register of mixed inputs: 0.45 ms for 2^20 inputs where
//! this single formula takes 0.31–0.35 ms.

use pulp::Simd;

#[cfg(test)]
use super::copysign;
use super::exp::{
    exp_exact, exp_fast, exp_fast_max, exp_reduce, expm1_dw, expm1_dw_fast, expm1_reduced,
};
use super::{c, two_sum, Prim};
use crate::simd::SimdElement;

/// Hyperbolic tangent, sign restored, saturated past [`Prim::TANH_SAT`]: `|x|` is clamped to
/// `TANH_SAT`, where the fast formula already rounds to exactly 1 (f32: `m + 2` rounds to `m`;
/// f64: the corrected quotient `1 − 2.3e-17` rounds to 1), and a NaN `|x|` fails the compare and
/// stays NaN. So there is no branch: a compare and a blend replace the range test that chose
/// between a fast and an exact path, which registers mixing saturated and unsaturated lanes
/// mispredicted about half the time. 2^20 inputs straddling the threshold (AVX2 Zen 3,
/// 2026-11-27, medians of a scratch harness calling `Tanh.forward`, old and new builds
/// alternated; the criterion figures, `map_straddling`, are in BENCHMARKS.md): f32 over `[−10, 10]` 1.43–1.51 ms with the branch, 0.68–0.86 ms
/// without; f64 over `[−23, 23]` 5.36–5.66 against 4.34–4.64 ms. In-range inputs run as fast
/// as before.
#[inline(always)]
pub(crate) fn tanh<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let a = <E as SimdElement>::abs(s, x);
    let sat = c::<S, E>(s, E::TANH_SAT);
    let a = E::select(s, <E as SimdElement>::gt(s, a, sat), sat, a);
    tanh_fast::<S, E>(s, x, a)
}

/// [`tanh`] for `|x| <= TANH_SAT` (`a = |x|`): no lane saturates and
/// `2|x| <= EXPM1_FAST_MAX`.
#[inline(always)]
pub(crate) fn tanh_fast<S: Simd, E: Prim>(s: S, x: E::V<S>, a: E::V<S>) -> E::V<S> {
    let t = tanh_magnitude::<S, E>(s, a, false);
    // The magnitude is never negative (+0 at x = ±0), so or-ing in x's sign bit is `copysign`.
    E::or_bits(s, t, E::and_bits(s, x, E::splat(s, -E::ZERO)))
}

/// `tanh` for every `x` by the exact `expm1` on clamped lanes and a select of 1 for the
/// saturated ones: the reference the branchless [`tanh`] is tested against, bit for bit.
#[cfg(test)]
#[inline(always)]
pub(crate) fn tanh_exact<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let a = <E as SimdElement>::abs(s, x);
    let sat = c::<S, E>(s, E::TANH_SAT);
    let big = <E as SimdElement>::gt(s, a, sat);
    // NaN is not > sat and stays NaN through either precision.
    let ac = E::select(s, big, sat, a);
    let t = tanh_magnitude::<S, E>(s, ac, true);
    let t = E::select(s, big, c::<S, E>(s, 1.0), t);
    copysign::<S, E>(s, t, x)
}

/// `tanh(a)` for `0 <= a <= TANH_SAT` (or NaN) in the element type's precision; `exact` is the
/// caller's path (the double-word `expm1` then dispatches itself, as it always did for `f64`).
#[inline(always)]
fn tanh_magnitude<S: Simd, E: Prim>(s: S, a: E::V<S>, exact: bool) -> E::V<S> {
    let a2 = <E as SimdElement>::add(s, a, a);
    if E::TANH_FMA_EXPM1 {
        let m = expm1_fma::<S, E>(s, a2);
        return <E as SimdElement>::div(s, m, <E as SimdElement>::add(s, m, c::<S, E>(s, 2.0)));
    }
    let (eh, el) = if exact {
        expm1_dw::<S, E>(s, a2)
    } else {
        expm1_dw_fast::<S, E>(s, a2)
    };
    tanh_quotient::<S, E>(s, eh, el)
}

/// `e^x − 1` for `0 <= x <= 2·TANH_SAT` (or NaN), rounded once: `2^k·q + (2^k − 1)` in one FMA,
/// where `e^r − 1 = q = r + r²·P(r)` ([`expm1_reduced`]: the Taylor `P` in Estrin's split)
/// after `exp`'s reduction `x = k·ln2 + r` ([`exp_reduce`]). The shorter dependency chain took
/// `tanh` of 2^15 L2-resident inputs from 23.5 to 21.5 µs on an AVX2 Zen 3 (fastest of 8
/// alternating runs per build, 2026-11-27). `2^k − 1` is exact up to `k = 24`; past it only the
/// rounding of a result that `tanh` turns into 1 changes. For `k = 0` (`x < ln2/2`) `m = q`
/// keeps `q`'s small relative error, so tiny and subnormal `x` give `tanh(a) = 2a/2 = a`
/// exactly.
#[inline(always)]
fn expm1_fma<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (_, k, r) = exp_reduce::<S, E>(s, x);
    let q = expm1_reduced::<S, E>(s, r);
    let t = E::pow2i(s, k);
    E::fma(s, t, q, <E as SimdElement>::sub(s, t, c::<S, E>(s, 1.0)))
}

/// `(eh+el)/(eh+el+2)` for `eh + el = expm1(2|x|) >= 0`: the denominator kept exact (TwoSum),
/// then one correction of the quotient from its exact residual, so only a final rounding
/// remains on top of expm1's double-word error.
#[inline(always)]
fn tanh_quotient<S: Simd, E: Prim>(s: S, eh: E::V<S>, el: E::V<S>) -> E::V<S> {
    let two = c::<S, E>(s, 2.0);
    let (dh, dl) = two_sum::<S, E>(s, eh, two);
    let dl = <E as SimdElement>::add(s, dl, el);
    let t0 = <E as SimdElement>::div(s, eh, dh);
    let nt0 = <E as SimdElement>::neg(s, t0);
    let res = <E as SimdElement>::add(s, E::fma(s, nt0, dh, eh), el);
    let res = E::fma(s, nt0, dl, res);
    <E as SimdElement>::add(s, t0, <E as SimdElement>::div(s, res, dh))
}

/// Logistic sigmoid: `z = e^-|x|`, then `1/(1+z)` for `x >= 0` and `z/(1+z)` for `x < 0` (one
/// division), so neither branch overflows.
#[inline(always)]
pub(crate) fn sigmoid<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let lo = c::<S, E>(s, -exp_fast_max::<E>());
    if E::all_lanes(s, <E as SimdElement>::ge(s, neg_abs::<S, E>(s, x), lo)) {
        sigmoid_fast::<S, E>(s, x)
    } else {
        sigmoid_exact::<S, E>(s, x)
    }
}

/// [`sigmoid`] for `|x| <= exp_fast_max()`.
#[inline(always)]
pub(crate) fn sigmoid_fast<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let na = neg_abs::<S, E>(s, x);
    sigmoid_from_z::<S, E>(s, x, exp_fast::<S, E>(s, na))
}

/// [`sigmoid`] for every `x`.
#[inline(always)]
pub(crate) fn sigmoid_exact<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let na = neg_abs::<S, E>(s, x);
    sigmoid_from_z::<S, E>(s, x, exp_exact::<S, E>(s, na))
}

/// `−|x|` in one operation: the sign bit set.
#[inline(always)]
fn neg_abs<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    E::or_bits(s, x, E::splat(s, -E::ZERO))
}

/// `1/(1+z)` for `x >= 0`, `z/(1+z)` for `x < 0`, with `z = e^-|x|`.
#[inline(always)]
fn sigmoid_from_z<S: Simd, E: Prim>(s: S, x: E::V<S>, z: E::V<S>) -> E::V<S> {
    let one = c::<S, E>(s, 1.0);
    let num = E::select(s, <E as SimdElement>::lt(s, x, c::<S, E>(s, 0.0)), z, one);
    <E as SimdElement>::div(s, num, <E as SimdElement>::add(s, one, z))
}
