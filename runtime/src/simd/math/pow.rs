//! `powf`, `powi` and `rsqrt`.

use pulp::Simd;

use super::{all_lanes, c, Prim};
use crate::simd::{ScalarMath, SimdElement};

/// `x^y` with IEEE `pow` edge cases (per lane through the platform `powf`).
#[inline(always)]
pub(crate) fn powf<S: Simd, E: Prim>(s: S, x: E::V<S>, y: E::V<S>) -> E::V<S> {
    E::map_lanes2(s, all_lanes::<S, E>(s), x, y, <E as ScalarMath>::powf)
}

/// `x^n`: exact products for `n ∈ {-1, 0, 1, 2, 3, 4}` (at most two roundings), else
/// `powf(x, n)`.
#[inline(always)]
pub(crate) fn powi<S: Simd, E: Prim>(s: S, x: E::V<S>, n: i32) -> E::V<S> {
    match n {
        0 => c::<S, E>(s, 1.0),
        1 => x,
        2 => <E as SimdElement>::mul(s, x, x),
        3 => <E as SimdElement>::mul(s, <E as SimdElement>::mul(s, x, x), x),
        4 => {
            let x2 = <E as SimdElement>::mul(s, x, x);
            <E as SimdElement>::mul(s, x2, x2)
        }
        -1 => <E as SimdElement>::div(s, c::<S, E>(s, 1.0), x),
        _ => powf::<S, E>(s, x, c::<S, E>(s, n as f64)),
    }
}

/// Scalar twin of [`powi`].
#[inline(always)]
pub(crate) fn scalar_powi<E: Prim>(x: E, n: i32) -> E {
    match n {
        0 => E::ONE,
        1 => x,
        2 => x * x,
        3 => x * x * x,
        4 => (x * x) * (x * x),
        -1 => E::ONE / x,
        _ => <E as ScalarMath>::powf(x, E::from_f64(n as f64)),
    }
}

/// `1/sqrt(x)`: correctly rounded square root, then a correctly rounded division (≤ 1 ulp).
#[inline(always)]
pub(crate) fn rsqrt<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    <E as SimdElement>::div(s, c::<S, E>(s, 1.0), <E as SimdElement>::sqrt(s, x))
}
