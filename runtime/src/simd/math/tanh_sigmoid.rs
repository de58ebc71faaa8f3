//! `tanh` and `sigmoid` from `expm1`/`exp`: saturation to exactly `±1`/`0`/`1`, `tanh(±0) = ±0`,
//! and no overflow for any input. Like the exp family, each takes a fast path when every lane
//! of the register is in the range where the exact path's clamps and selects are no-ops.
//!
//! `tanh` has two algorithms, chosen per element type by [`Prim::TANH_SPLIT`]: `f32` splits at
//! a break point into a polynomial and an exp quotient with one division (`tanh_poly.rs`);
//! `f64` uses the double-word `expm1` quotient everywhere.

use pulp::Simd;

use super::exp::{exp_exact, exp_fast, exp_fast_max, expm1_dw, expm1_dw_fast};
use super::tanh_poly::TanhSplit;
use super::{any, c, copysign, poly, two_sum, Prim};
use crate::simd::SimdElement;

/// Hyperbolic tangent, sign restored, saturated past [`Prim::TANH_SAT`].
#[inline(always)]
pub(crate) fn tanh<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let a = <E as SimdElement>::abs(s, x);
    if E::all_lanes(s, <E as SimdElement>::le(s, a, c::<S, E>(s, E::TANH_SAT))) {
        tanh_fast::<S, E>(s, x, a)
    } else {
        tanh_exact::<S, E>(s, x)
    }
}

/// [`tanh`] for `|x| <= TANH_SAT` (`a = |x|`): no lane saturates and
/// `2|x| <= EXPM1_FAST_MAX`.
#[inline(always)]
pub(crate) fn tanh_fast<S: Simd, E: Prim>(s: S, x: E::V<S>, a: E::V<S>) -> E::V<S> {
    let t = tanh_magnitude::<S, E>(s, a, false);
    // The magnitude is never negative (+0 at x = ±0), so or-ing in x's sign bit is `copysign`.
    E::or_bits(s, t, E::and_bits(s, x, E::splat(s, -E::ZERO)))
}

/// [`tanh`] for every `x`.
#[inline(always)]
pub(crate) fn tanh_exact<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let a = <E as SimdElement>::abs(s, x);
    let sat = c::<S, E>(s, E::TANH_SAT);
    let big = <E as SimdElement>::gt(s, a, sat);
    // NaN is not > sat and stays NaN through either algorithm.
    let ac = E::select(s, big, sat, a);
    let t = tanh_magnitude::<S, E>(s, ac, true);
    let t = E::select(s, big, c::<S, E>(s, 1.0), t);
    copysign::<S, E>(s, t, x)
}

/// `tanh(a)` for `0 <= a <= TANH_SAT` (or NaN), by the element type's algorithm; `exact` is
/// the caller's path (it picks `expm1_dw`'s own dispatch for the NaN lanes of `f64`).
#[inline(always)]
fn tanh_magnitude<S: Simd, E: Prim>(s: S, a: E::V<S>, exact: bool) -> E::V<S> {
    match E::TANH_SPLIT {
        Some(split) => tanh_split::<S, E>(s, a, split),
        None => {
            let a2 = <E as SimdElement>::add(s, a, a);
            let (eh, el) = if exact {
                expm1_dw::<S, E>(s, a2)
            } else {
                expm1_dw_fast::<S, E>(s, a2)
            };
            tanh_quotient::<S, E>(s, eh, el)
        }
    }
}

/// The split algorithm: only the side(s) of the break present in the register are computed,
/// and a mixed register selects per lane, so a lane's bits never depend on its neighbours.
#[inline(always)]
fn tanh_split<S: Simd, E: Prim>(s: S, a: E::V<S>, split: TanhSplit) -> E::V<S> {
    let small = <E as SimdElement>::lt(s, a, c::<S, E>(s, split.brk));
    if E::all_lanes(s, small) {
        tanh_small::<S, E>(s, a, split.poly)
    } else if !any::<S, E>(s, small) {
        tanh_large::<S, E>(s, a)
    } else {
        let lo = tanh_small::<S, E>(s, a, split.poly);
        E::select(s, small, lo, tanh_large::<S, E>(s, a))
    }
}

/// `a + a³·P(a²)` for `0 <= a < brk`: tiny and subnormal `a` (and `+0`) come back unchanged
/// because the correction underflows below half an ulp of `a`.
#[inline(always)]
fn tanh_small<S: Simd, E: Prim>(s: S, a: E::V<S>, coeffs: &[f64]) -> E::V<S> {
    let z = <E as SimdElement>::mul(s, a, a);
    let p = poly::<S, E>(s, z, coeffs);
    E::fma(s, <E as SimdElement>::mul(s, a, z), p, a)
}

/// `1 − 2/(e^{2a} + 1)` for `brk <= a <= TANH_SAT` (or NaN): `2a` is within `exp`'s fast range.
#[inline(always)]
fn tanh_large<S: Simd, E: Prim>(s: S, a: E::V<S>) -> E::V<S> {
    let one = c::<S, E>(s, 1.0);
    let e = exp_fast::<S, E>(s, <E as SimdElement>::add(s, a, a));
    let q = <E as SimdElement>::div(s, c::<S, E>(s, 2.0), <E as SimdElement>::add(s, e, one));
    <E as SimdElement>::sub(s, one, q)
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
