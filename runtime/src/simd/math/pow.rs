//! `powf` (double-word `exp(y·ln|x|)` plus the IEEE special cases), `powi` and `rsqrt`.

use pulp::Simd;

use super::exact::floor;
use super::exp::exp_dw;
use super::{c, poly, two_sum, Prim};
use crate::simd::{ScalarMath, SimdElement};

/// `ln|x|` as a double-word `(hi, lo)` (relative error ~2^-(2p-8)) for finite positive `x`:
/// `x = 2^e·m`, `s = (m−1)/(m+1)` as a double-word, `ln m = 2s + s³·T(s²)` with the leading
/// terms carried in extra precision.
#[inline(always)]
fn ln_dw<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>) {
    let mant = E::MANT_BITS;
    let one = c::<S, E>(s, 1.0);
    let two = c::<S, E>(s, 2.0);
    let sub = <E as SimdElement>::lt(s, x, c::<S, E>(s, E::MIN_POSITIVE));
    let xs = E::select(
        s,
        sub,
        <E as SimdElement>::mul(s, x, c::<S, E>(s, (1u64 << (mant + 1)) as f64)),
        x,
    );
    let eadj = E::select(
        s,
        sub,
        c::<S, E>(s, -((mant + 1) as f64)),
        c::<S, E>(s, 0.0),
    );
    let e = <E as SimdElement>::add(s, E::exponent(s, xs), eadj);
    let m = E::or_bits(
        s,
        E::and_bits(s, xs, E::splat_bits(s, (1u64 << mant) - 1)),
        one,
    );
    let big = <E as SimdElement>::gt(s, m, c::<S, E>(s, core::f64::consts::SQRT_2));
    let m = E::select(s, big, <E as SimdElement>::mul(s, m, c::<S, E>(s, 0.5)), m);
    let e = E::select(s, big, <E as SimdElement>::add(s, e, one), e);
    let f = <E as SimdElement>::sub(s, m, one);
    // s = f/(2+f): denominator by Fast2Sum, quotient corrected from its exact residual.
    let dh = <E as SimdElement>::add(s, two, f);
    let dl = <E as SimdElement>::sub(s, f, <E as SimdElement>::sub(s, dh, two));
    let sh = <E as SimdElement>::div(s, f, dh);
    let nsh = <E as SimdElement>::neg(s, sh);
    let rem = E::fma(s, nsh, dl, E::fma(s, nsh, dh, f));
    let sl = <E as SimdElement>::div(s, rem, dh);
    // s³ and T(z) = 2/3 + z·T'(z), each as a double-word.
    let zh = <E as SimdElement>::mul(s, sh, sh);
    let zl = E::fma(s, sh, sh, <E as SimdElement>::neg(s, zh));
    let s3 = <E as SimdElement>::mul(s, sh, zh);
    let s3l = E::fma(s, sh, zl, E::fma(s, sh, zh, <E as SimdElement>::neg(s, s3)));
    let c_hi = E::from_f64(2.0 / 3.0).to_f64();
    let c_lo = (2.0 / 3.0 - c_hi) + 3.700743415417188e-17;
    let w = E::fma(
        s,
        zh,
        poly::<S, E>(s, zh, E::POW_LOG_POLY),
        c::<S, E>(s, c_lo),
    );
    let ch = c::<S, E>(s, c_hi);
    let th = <E as SimdElement>::add(s, ch, w);
    let tl = <E as SimdElement>::add(s, <E as SimdElement>::sub(s, ch, th), w);
    let tail = <E as SimdElement>::mul(s, s3, th);
    let tail_l = E::fma(s, s3, th, <E as SimdElement>::neg(s, tail));
    let tail_l = E::fma(s, s3, tl, tail_l);
    let tail_l = E::fma(s, s3l, th, tail_l);
    // d(2s³/3)/ds · sl = 2s²·sl.
    let tail_l = E::fma(s, <E as SimdElement>::add(s, zh, zh), sl, tail_l);
    // e·ln2 as a double-word.
    let l2 = c::<S, E>(s, E::LN2_HI);
    let eh = <E as SimdElement>::mul(s, e, l2);
    let el = E::fma(s, e, l2, <E as SimdElement>::neg(s, eh));
    let el = E::fma(s, e, c::<S, E>(s, E::LN2_LO), el);
    // eh + 2sh by TwoSum, then + tail by Fast2Sum (|eh + 2sh| >= 0.34 > tail unless e = 0,
    // where 2sh > tail).
    let s2 = <E as SimdElement>::add(s, sh, sh);
    let (h0, err0) = two_sum::<S, E>(s, eh, s2);
    let h1 = <E as SimdElement>::add(s, h0, tail);
    let err1 = <E as SimdElement>::sub(s, tail, <E as SimdElement>::sub(s, h1, h0));
    let lo = <E as SimdElement>::add(s, err0, err1);
    let lo = <E as SimdElement>::add(s, lo, el);
    let lo = E::fma(s, c::<S, E>(s, 2.0), sl, lo);
    let lo = <E as SimdElement>::add(s, lo, tail_l);
    let hi = <E as SimdElement>::add(s, h1, lo);
    let lo = <E as SimdElement>::sub(s, lo, <E as SimdElement>::sub(s, hi, h1));
    (hi, lo)
}

/// `x^y` with the IEEE `pow` edge cases: `exp(y·ln|x|)` in double-word arithmetic, then the
/// sign for negative bases with odd integer exponents, NaN for negative bases with non-integer
/// exponents, and `pow(x, ±0) = pow(1, y) = pow(-1, ±inf) = 1`.
#[inline(always)]
pub(crate) fn powf<S: Simd, E: Prim>(s: S, x: E::V<S>, y: E::V<S>) -> E::V<S> {
    let zero = c::<S, E>(s, 0.0);
    let one = c::<S, E>(s, 1.0);
    let inf = c::<S, E>(s, f64::INFINITY);
    let ax = <E as SimdElement>::abs(s, x);
    let (lh, ll) = ln_dw::<S, E>(s, ax);
    let lh = E::select(
        s,
        <E as SimdElement>::eq(s, ax, zero),
        <E as SimdElement>::neg(s, inf),
        lh,
    );
    let lh = E::select(s, <E as SimdElement>::eq(s, ax, inf), inf, lh);
    let finite_l = <E as SimdElement>::lt(s, <E as SimdElement>::abs(s, lh), inf);
    let ll = E::select(s, finite_l, ll, zero);
    // y·(lh + ll) = ph + pl.
    let ph = <E as SimdElement>::mul(s, y, lh);
    let pl = E::fma(s, y, lh, <E as SimdElement>::neg(s, ph));
    let pl = E::fma(s, y, ll, pl);
    let finite_p = <E as SimdElement>::lt(s, <E as SimdElement>::abs(s, ph), inf);
    let pl = E::select(s, finite_p, pl, zero);
    let mag = exp_dw::<S, E>(s, ph, pl);
    // Signs and special cases.
    let y_int = <E as SimdElement>::eq(s, floor::<S, E>(s, y), y);
    let half = <E as SimdElement>::mul(s, y, c::<S, E>(s, 0.5));
    let y_odd = E::and(
        s,
        y_int,
        E::not(s, <E as SimdElement>::eq(s, floor::<S, E>(s, half), half)),
    );
    // Sign bit of x (also for -0 and -inf): ±1 with x's sign, compared with 0.
    let sign_one = E::or_bits(s, E::and_bits(s, x, E::splat(s, -E::ZERO)), one);
    let x_neg = <E as SimdElement>::lt(s, sign_one, zero);
    let res = E::select(
        s,
        E::and(s, y_odd, x_neg),
        <E as SimdElement>::neg(s, mag),
        mag,
    );
    let neg_finite = E::and(
        s,
        <E as SimdElement>::lt(s, x, zero),
        <E as SimdElement>::gt(s, x, <E as SimdElement>::neg(s, inf)),
    );
    let nan = c::<S, E>(s, f64::NAN);
    let res = E::select(s, E::and(s, neg_finite, E::not(s, y_int)), nan, res);
    let any_nan = E::or(
        s,
        <E as SimdElement>::ne(s, x, x),
        <E as SimdElement>::ne(s, y, y),
    );
    let res = E::select(s, any_nan, nan, res);
    let unit = E::and(
        s,
        <E as SimdElement>::eq(s, ax, one),
        <E as SimdElement>::eq(s, <E as SimdElement>::abs(s, y), inf),
    );
    let unit = E::or(
        s,
        unit,
        E::or(
            s,
            <E as SimdElement>::eq(s, x, one),
            <E as SimdElement>::eq(s, y, zero),
        ),
    );
    E::select(s, unit, one, res)
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
