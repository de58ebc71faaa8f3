//! `tanh` and `sigmoid` from `expm1`/`exp`: saturation to exactly `±1`/`0`/`1`, `tanh(±0) = ±0`,
//! and no overflow for any input.

use pulp::Simd;

use super::exp_log::{exp, expm1};
use super::{c, copysign, Prim};
use crate::simd::SimdElement;

/// Hyperbolic tangent: `e/(e+2)` with `e = expm1(2|x|)`, sign restored, saturated past
/// [`Prim::TANH_SAT`].
#[inline(always)]
pub(crate) fn tanh<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let a = <E as SimdElement>::abs(s, x);
    let sat = c::<S, E>(s, E::TANH_SAT);
    let big = <E as SimdElement>::gt(s, a, sat);
    let ac = E::select(s, big, sat, a);
    let e = expm1::<S, E>(s, <E as SimdElement>::add(s, ac, ac));
    let t = <E as SimdElement>::div(s, e, <E as SimdElement>::add(s, e, c::<S, E>(s, 2.0)));
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
