//! `tanh` and `sigmoid` from `expm1`/`exp`: saturation to exactly `±1`/`0`/`1`, `tanh(±0) = ±0`,
//! and no overflow for any input.

use pulp::Simd;

use super::exp_log::{exp, expm1_dw};
use super::{c, copysign, Prim};
use crate::simd::SimdElement;

/// Hyperbolic tangent: `e/(e+2)` with `e = expm1(2|x|)` (double-word), sign restored, saturated past
/// [`Prim::TANH_SAT`].
#[inline(always)]
pub(crate) fn tanh<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let a = <E as SimdElement>::abs(s, x);
    let sat = c::<S, E>(s, E::TANH_SAT);
    let big = <E as SimdElement>::gt(s, a, sat);
    let ac = E::select(s, big, sat, a);
    let (eh, el) = expm1_dw::<S, E>(s, <E as SimdElement>::add(s, ac, ac));
    // (eh+el)/(eh+el+2): the denominator kept exact (TwoSum), then one correction of the
    // quotient from its exact residual, so only a final rounding remains on top of expm1's
    // double-word error.
    let two = c::<S, E>(s, 2.0);
    let dh = <E as SimdElement>::add(s, eh, two);
    let bb = <E as SimdElement>::sub(s, dh, eh);
    let dl = <E as SimdElement>::add(
        s,
        <E as SimdElement>::sub(s, eh, <E as SimdElement>::sub(s, dh, bb)),
        <E as SimdElement>::sub(s, two, bb),
    );
    let dl = <E as SimdElement>::add(s, dl, el);
    let t0 = <E as SimdElement>::div(s, eh, dh);
    let nt0 = <E as SimdElement>::neg(s, t0);
    let res = <E as SimdElement>::add(s, E::fma(s, nt0, dh, eh), el);
    let res = E::fma(s, nt0, dl, res);
    let t = <E as SimdElement>::add(s, t0, <E as SimdElement>::div(s, res, dh));
    let t = E::select(s, big, c::<S, E>(s, 1.0), t);
    copysign::<S, E>(s, t, x)
}

/// Logistic sigmoid: `z = e^-|x|`, then `1/(1+z)` for `x >= 0` and `z/(1+z)` for `x < 0` (one
/// division), so neither branch overflows.
#[inline(always)]
pub(crate) fn sigmoid<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let a = <E as SimdElement>::abs(s, x);
    let z = exp::<S, E>(s, <E as SimdElement>::neg(s, a));
    let one = c::<S, E>(s, 1.0);
    let num = E::select(s, <E as SimdElement>::lt(s, x, c::<S, E>(s, 0.0)), z, one);
    <E as SimdElement>::div(s, num, <E as SimdElement>::add(s, one, z))
}
