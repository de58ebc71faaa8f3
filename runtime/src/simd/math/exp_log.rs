//! `exp`, `exp2`, `expm1`, `ln`, `log2`, `log1p`: Cody–Waite reduction by `ln 2` (FMA, so the
//! first reduction step is exact), Taylor/fdlibm polynomials, and a two-factor `2^k` scale so
//! overflow and gradual underflow round once, like the correctly rounded result.

use pulp::Simd;

use super::{c, clamp_keep_nan, poly, round_even, Prim};
use crate::simd::SimdElement;

const LOG2E: f64 = core::f64::consts::LOG2_E;

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

/// `(k, r)` with `x = k·ln2 + r`, `|r| <= ln2/2`, `k` integer-valued.
#[inline(always)]
fn reduce_ln2<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>) {
    let k = round_even::<S, E>(s, <E as SimdElement>::mul(s, x, c::<S, E>(s, LOG2E)));
    let nk = <E as SimdElement>::neg(s, k);
    let r = E::fma(s, nk, c::<S, E>(s, E::LN2_HI), x);
    let r = E::fma(s, nk, c::<S, E>(s, E::LN2_LO), r);
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
    let (lo, hi) = E::EXP_RANGE;
    let xc = clamp_keep_nan::<S, E>(s, x, lo, hi);
    let (k, r) = reduce_ln2::<S, E>(s, xc);
    scale::<S, E>(s, exp_poly::<S, E>(s, r), k)
}

/// `e^(h + l)` for a double-word argument (`|l|` tiny against `h`; `l` must be finite).
#[inline(always)]
pub(crate) fn exp_dw<S: Simd, E: Prim>(s: S, h: E::V<S>, l: E::V<S>) -> E::V<S> {
    let (lo, hi) = E::EXP_RANGE;
    let hc = clamp_keep_nan::<S, E>(s, h, lo, hi);
    let (k, r) = reduce_ln2::<S, E>(s, hc);
    let r = <E as SimdElement>::add(s, r, l);
    scale::<S, E>(s, exp_poly::<S, E>(s, r), k)
}

/// `2^x`.
#[inline(always)]
pub(crate) fn exp2<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (lo, hi) = E::EXP_RANGE;
    let xc = clamp_keep_nan::<S, E>(s, x, lo * LOG2E, hi * LOG2E);
    let k = round_even::<S, E>(s, xc);
    let r = <E as SimdElement>::sub(s, xc, k);
    // r·ln2 as a double-word rh + rl.
    let ln2 = c::<S, E>(s, E::LN2_HI);
    let rh = <E as SimdElement>::mul(s, r, ln2);
    let rl = E::fma(s, r, ln2, <E as SimdElement>::neg(s, rh));
    let rl = E::fma(s, r, c::<S, E>(s, E::LN2_LO), rl);
    let p = exp_poly::<S, E>(s, rh);
    scale::<S, E>(s, E::fma(s, p, rl, p), k)
}

/// `e^x − 1` as a double-word `hi + lo` (relative error ~2^-60 before the final sum), for
/// `x <= 41` (NaN propagates; very negative `x` gives `−1`).
#[inline(always)]
pub(crate) fn expm1_dw<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>) {
    let (lo, _) = E::EXP_RANGE;
    let xc = clamp_keep_nan::<S, E>(s, x, lo, 41.0);
    let (k, r) = reduce_ln2::<S, E>(s, xc);
    // q = r + r²·P(r) and the rounding error of that last FMA (r − qh is exact by Sterbenz).
    let r2 = <E as SimdElement>::mul(s, r, r);
    let p = poly::<S, E>(s, r, E::EXP_POLY);
    let qh = E::fma(s, r2, p, r);
    let ql = E::fma(s, r2, p, <E as SimdElement>::sub(s, r, qh));
    // 2^k·q + (2^k − 1): the product by a power of two and 2^k − 1 are exact for the k that
    // matter (|k| <= 53); the sum is split exactly by TwoSum. k is limited so 2^k stays normal;
    // below that the result is −1 anyway.
    let kk = clamp_keep_nan::<S, E>(s, k, -60.0, 60.0);
    let t = E::pow2i(s, kk);
    let one = c::<S, E>(s, 1.0);
    let pm = <E as SimdElement>::mul(s, t, qh);
    let u = <E as SimdElement>::sub(s, t, one);
    let hi = <E as SimdElement>::add(s, pm, u);
    let bb = <E as SimdElement>::sub(s, hi, pm);
    let err = <E as SimdElement>::add(
        s,
        <E as SimdElement>::sub(s, pm, <E as SimdElement>::sub(s, hi, bb)),
        <E as SimdElement>::sub(s, u, bb),
    );
    (hi, E::fma(s, t, ql, err))
}

/// `e^x − 1`.
#[inline(always)]
pub(crate) fn expm1<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (hi, lo) = expm1_dw::<S, E>(s, x);
    let small = <E as SimdElement>::add(s, hi, lo);
    // Large x: e^x − 1 rounds like e^x, which may overflow.
    let big = exp::<S, E>(s, x);
    let res = E::select(
        s,
        <E as SimdElement>::gt(s, x, c::<S, E>(s, E::EXPM1_BIG)),
        big,
        small,
    );
    let tiny = <E as SimdElement>::lt(s, <E as SimdElement>::abs(s, x), c::<S, E>(s, E::TINY));
    E::select(s, tiny, x, res)
}

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
