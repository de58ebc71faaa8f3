//! `ln`, `log2`, `log1p`: fdlibm's reduction `x = 2^e·(1+f)`, `1+f ∈ [√½, √2)`, its polynomial
//! in `s = f/(2+f)`, and `e·ln 2` in two parts so the sum stays exact until the last addition.

use pulp::Simd;

use super::{c, poly, Prim};
use crate::simd::SimdElement;

const LOG2E: f64 = core::f64::consts::LOG2_E;

/// Parts of `ln x` for positive finite `x`: `(e, f, s, R, hfsq)` with `x = 2^e·(1+f)`,
/// `1+f ∈ [√½, √2)`, `s = f/(2+f)`, `R` the fdlibm polynomial, `hfsq = f²/2`.
#[inline(always)]
#[allow(clippy::type_complexity)]
fn ln_parts<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>, E::V<S>, E::V<S>, E::V<S>) {
    let mant = E::MANT_BITS;
    // Subnormal inputs are scaled into the normal range first.
    let sub = <E as SimdElement>::lt(s, x, c::<S, E>(s, E::MIN_POSITIVE));
    let up = c::<S, E>(s, (1u64 << (mant + 1)) as f64);
    let xs = E::select(s, sub, <E as SimdElement>::mul(s, x, up), x);
    let eadj = E::select(
        s,
        sub,
        c::<S, E>(s, -((mant + 1) as f64)),
        c::<S, E>(s, 0.0),
    );
    let e = <E as SimdElement>::add(s, E::exponent(s, xs), eadj);
    let mant_mask = E::splat_bits(s, (1u64 << mant) - 1);
    let one = c::<S, E>(s, 1.0);
    let m = E::or_bits(s, E::and_bits(s, xs, mant_mask), one);
    let big = <E as SimdElement>::gt(s, m, c::<S, E>(s, core::f64::consts::SQRT_2));
    let m = E::select(s, big, <E as SimdElement>::mul(s, m, c::<S, E>(s, 0.5)), m);
    let e = E::select(s, big, <E as SimdElement>::add(s, e, one), e);
    let f = <E as SimdElement>::sub(s, m, one);
    let sv = <E as SimdElement>::div(s, f, <E as SimdElement>::add(s, f, c::<S, E>(s, 2.0)));
    let z = <E as SimdElement>::mul(s, sv, sv);
    let r = <E as SimdElement>::mul(s, z, poly::<S, E>(s, z, E::LN_POLY));
    let hfsq = <E as SimdElement>::mul(s, <E as SimdElement>::mul(s, c::<S, E>(s, 0.5), f), f);
    (e, f, sv, r, hfsq)
}

/// `ln x` for positive finite `x`, without special cases.
#[inline(always)]
fn ln_raw<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (e, f, sv, r, hfsq) = ln_parts::<S, E>(s, x);
    // fdlibm: s·(hfsq+R) + e·ln2_lo − hfsq + f + e·ln2_hi, in that order.
    let t = E::fma(
        s,
        sv,
        <E as SimdElement>::add(s, hfsq, r),
        <E as SimdElement>::mul(s, e, c::<S, E>(s, E::LN2_LO_TRUNC)),
    );
    let t = <E as SimdElement>::add(s, <E as SimdElement>::sub(s, t, hfsq), f);
    E::fma(s, e, c::<S, E>(s, E::LN2_HI_TRUNC), t)
}

/// ln's special values: `+inf → +inf`, `±0 → −inf`, negative or NaN → NaN.
#[inline(always)]
fn ln_specials<S: Simd, E: Prim>(s: S, x: E::V<S>, res: E::V<S>) -> E::V<S> {
    let inf = c::<S, E>(s, f64::INFINITY);
    let zero = c::<S, E>(s, 0.0);
    let res = E::select(s, <E as SimdElement>::eq(s, x, inf), inf, res);
    let res = E::select(
        s,
        <E as SimdElement>::eq(s, x, zero),
        <E as SimdElement>::neg(s, inf),
        res,
    );
    E::select(
        s,
        E::not(s, <E as SimdElement>::ge(s, x, zero)),
        c::<S, E>(s, f64::NAN),
        res,
    )
}

/// Natural logarithm.
#[inline(always)]
pub(crate) fn ln<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    ln_specials::<S, E>(s, x, ln_raw::<S, E>(s, x))
}

/// Base-2 logarithm: `e + ln(1+f)·log2(e)`, the product carried as a double-word.
#[inline(always)]
pub(crate) fn log2<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (e, f, sv, r, hfsq) = ln_parts::<S, E>(s, x);
    // ln(1+f) = (f − hfsq) + s·(hfsq + R) as a double-word yh + yl (Fast2Sum: |f| > hfsq).
    let yh = <E as SimdElement>::sub(s, f, hfsq);
    let yl = <E as SimdElement>::sub(s, <E as SimdElement>::sub(s, f, yh), hfsq);
    let yl = E::fma(s, sv, <E as SimdElement>::add(s, hfsq, r), yl);
    let l2h = c::<S, E>(s, LOG2E);
    let l2l = c::<S, E>(
        s,
        2.0355273740931033e-17 + (LOG2E - E::from_f64(LOG2E).to_f64()),
    );
    let p = <E as SimdElement>::mul(s, yh, l2h);
    let pl = E::fma(s, yh, l2h, <E as SimdElement>::neg(s, p));
    let pl = E::fma(s, yh, l2l, pl);
    let pl = E::fma(s, yl, l2h, pl);
    let hi = <E as SimdElement>::add(s, e, p);
    // Fast2Sum correction: |e| >= |p| whenever e != 0, and hi == p exactly when e == 0.
    let lo = <E as SimdElement>::add(
        s,
        <E as SimdElement>::add(s, <E as SimdElement>::sub(s, e, hi), p),
        pl,
    );
    ln_specials::<S, E>(s, x, <E as SimdElement>::add(s, hi, lo))
}

/// `ln(1 + x)`: `ln(u) + (x − (u − 1))/u` with `u = 1 + x` rounded.
#[inline(always)]
pub(crate) fn log1p<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let one = c::<S, E>(s, 1.0);
    let u = <E as SimdElement>::add(s, one, x);
    let corr = <E as SimdElement>::div(
        s,
        <E as SimdElement>::sub(s, x, <E as SimdElement>::sub(s, u, one)),
        u,
    );
    let res = <E as SimdElement>::add(s, ln_raw::<S, E>(s, u), corr);
    let res = ln_specials::<S, E>(s, u, res);
    let tiny = <E as SimdElement>::lt(s, <E as SimdElement>::abs(s, x), c::<S, E>(s, E::TINY));
    E::select(s, tiny, x, res)
}
