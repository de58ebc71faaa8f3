//! `sin` and `cos`: Cody–Waite reduction by π/2 with a three-part constant and FMA (the first
//! step is exact), the reduced argument carried as a double-word `rh + rl`, and
//! Taylor (f32) / fdlibm (f64) kernels on `[-π/4, π/4]`. Lanes with `|x| >` [`Prim::TRIG_MAX`]
//! (where three parts of π/2 no longer suffice) are computed by the scalar libm function.

use pulp::Simd;

use super::{any, c, poly, round_even, Prim};
use crate::simd::{ScalarMath, SimdElement};

/// Reduction constants and kernel coefficients of one element type.
pub(crate) struct TrigCoeffs {
    /// π/2 as a sum of three floats of the element type.
    pub pio2: [f64; 3],
    /// `sin r = r + r³·S(r²)`, coefficients of `S` from degree 0.
    pub sin: &'static [f64],
    /// `cos r = 1 − r²/2 + r⁴·C(r²)`, coefficients of `C` from degree 0.
    pub cos: &'static [f64],
}

/// f32: Taylor series (truncation < 3e-9 relative on |r| ≤ π/4).
pub(crate) const TRIG_F32: TrigCoeffs = TrigCoeffs {
    pio2: [
        1.5707963705062866,
        -4.371138828673793e-08,
        -1.715124510005882e-15,
    ],
    sin: &[-1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0, 1.0 / 362_880.0],
    cos: &[1.0 / 24.0, -1.0 / 720.0, 1.0 / 40320.0, -1.0 / 3_628_800.0],
};

/// f64: fdlibm `__kernel_sin`/`__kernel_cos` minimax coefficients.
pub(crate) const TRIG_F64: TrigCoeffs = TrigCoeffs {
    pio2: [
        core::f64::consts::FRAC_PI_2,
        6.123233995736766e-17,
        -1.4973849048591698e-33,
    ],
    sin: &[
        -0.16666666666666632,
        0.00833333333332249,
        -0.0001984126982985795,
        2.7557313707070068e-06,
        -2.5050760253406863e-08,
        1.58969099521155e-10,
    ],
    cos: &[
        0.0416666666666666,
        -0.001388888888887411,
        2.480158728947673e-05,
        -2.7557314351390663e-07,
        2.087572321298175e-09,
        -1.1359647557788195e-11,
    ],
};

/// `(k, rh, rl)` with `|x| = k·π/2 + rh + rl`.
#[inline(always)]
fn reduce<S: Simd, E: Prim>(s: S, a: E::V<S>) -> (E::V<S>, E::V<S>, E::V<S>) {
    let t = &E::TRIG;
    let k = round_even::<S, E>(
        s,
        <E as SimdElement>::mul(s, a, c::<S, E>(s, core::f64::consts::FRAC_2_PI)),
    );
    let nk = <E as SimdElement>::neg(s, k);
    // Exact: both terms are multiples of ulp(π/2 part 1) and the difference is below 2.
    let r1 = E::fma(s, nk, c::<S, E>(s, t.pio2[0]), a);
    // k·part2 = ph + pl exactly; r1 − ph by TwoSum (they may cancel or not).
    let c2 = c::<S, E>(s, t.pio2[1]);
    let ph = <E as SimdElement>::mul(s, k, c2);
    let pl = E::fma(s, k, c2, <E as SimdElement>::neg(s, ph));
    let sum = <E as SimdElement>::sub(s, r1, ph);
    let bb = <E as SimdElement>::sub(s, sum, r1);
    let err = <E as SimdElement>::add(
        s,
        <E as SimdElement>::sub(s, r1, <E as SimdElement>::sub(s, sum, bb)),
        <E as SimdElement>::sub(s, <E as SimdElement>::neg(s, ph), bb),
    );
    let tail = E::fma(
        s,
        nk,
        c::<S, E>(s, t.pio2[2]),
        <E as SimdElement>::sub(s, err, pl),
    );
    // Fast2Sum: |sum| >= |tail|.
    let rh = <E as SimdElement>::add(s, sum, tail);
    let rl = <E as SimdElement>::sub(s, tail, <E as SimdElement>::sub(s, rh, sum));
    (k, rh, rl)
}

/// `(sin r, cos r)` for `r = rh + rl`, `|r| ≤ π/4`.
#[inline(always)]
fn kernels<S: Simd, E: Prim>(s: S, rh: E::V<S>, rl: E::V<S>) -> (E::V<S>, E::V<S>) {
    let t = &E::TRIG;
    let z = <E as SimdElement>::mul(s, rh, rh);
    let half = c::<S, E>(s, 0.5);
    let hz = <E as SimdElement>::mul(s, half, z);
    // sin: rh + (rh·z·S(z) + rl·(1 − z/2)).
    let sp = <E as SimdElement>::mul(
        s,
        <E as SimdElement>::mul(s, rh, z),
        poly::<S, E>(s, z, t.sin),
    );
    let one = c::<S, E>(s, 1.0);
    let small = E::fma(s, rl, <E as SimdElement>::sub(s, one, hz), sp);
    let sin = <E as SimdElement>::add(s, rh, small);
    // cos: w + (((1 − w) − hz) + (z²·C(z) − rh·rl)) with w = 1 − hz (fdlibm).
    let w = <E as SimdElement>::sub(s, one, hz);
    let tail = E::fma(
        s,
        <E as SimdElement>::mul(s, z, z),
        poly::<S, E>(s, z, t.cos),
        <E as SimdElement>::neg(s, <E as SimdElement>::mul(s, rh, rl)),
    );
    let corr = <E as SimdElement>::add(
        s,
        <E as SimdElement>::sub(s, <E as SimdElement>::sub(s, one, w), hz),
        tail,
    );
    let cos = <E as SimdElement>::add(s, w, corr);
    (sin, cos)
}

/// `sin(|x|)` (`shift = 0`) or `cos(|x|)` (`shift = 1`) from the quadrant `k + shift`.
#[inline(always)]
fn sin_quadrant<S: Simd, E: Prim>(s: S, a: E::V<S>, shift: f64) -> E::V<S> {
    let (k, rh, rl) = reduce::<S, E>(s, a);
    let (sn, cs) = kernels::<S, E>(s, rh, rl);
    let q = <E as SimdElement>::add(s, k, c::<S, E>(s, shift));
    let v = E::select(s, E::int_bit(s, q, 1), cs, sn);
    let negate = E::select(
        s,
        E::int_bit(s, q, 2),
        E::splat(s, -E::ZERO),
        E::splat(s, E::ZERO),
    );
    E::xor_bits(s, v, negate)
}

/// Sine.
#[inline(always)]
pub(crate) fn sin<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let a = <E as SimdElement>::abs(s, x);
    let v = sin_quadrant::<S, E>(s, a, 0.0);
    let sign = E::and_bits(s, x, E::splat(s, -E::ZERO));
    let res = E::xor_bits(s, v, sign);
    let huge = <E as SimdElement>::gt(s, a, c::<S, E>(s, E::TRIG_MAX));
    if any::<S, E>(s, huge) {
        E::select(
            s,
            huge,
            E::map_lanes(s, huge, x, <E as ScalarMath>::sin),
            res,
        )
    } else {
        res
    }
}

/// Cosine.
#[inline(always)]
pub(crate) fn cos<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let a = <E as SimdElement>::abs(s, x);
    let res = sin_quadrant::<S, E>(s, a, 1.0);
    let huge = <E as SimdElement>::gt(s, a, c::<S, E>(s, E::TRIG_MAX));
    if any::<S, E>(s, huge) {
        E::select(
            s,
            huge,
            E::map_lanes(s, huge, x, <E as ScalarMath>::cos),
            res,
        )
    } else {
        res
    }
}
