//! Exact functions (`max`, `min`, `relu`, `signum`, `floor`, `ceil`, `round`) built from
//! compares and selects, so NaN and signed-zero results are the same on every ISA and in the
//! scalar twins.
//!
//! * `max`/`min`: NaN if either operand is NaN (PyTorch `maximum`/`minimum`); for equal operands
//!   `max(-0, +0) = +0` and `min(-0, +0) = -0` in either order (IEEE 754-2019 `maximum`).
//! * `relu(x)`: `x` for `x > 0`, NaN for NaN, `+0` for every other input (including `-0`).
//! * `signum`: `±1`, `±0` kept, NaN kept.

use pulp::Simd;

use super::{c, copysign, Prim};
use crate::simd::SimdElement;

/// NaN-propagating maximum.
#[inline(always)]
pub(crate) fn max<S: Simd, E: Prim>(s: S, a: E::V<S>, b: E::V<S>) -> E::V<S> {
    let m = E::select(s, <E as SimdElement>::gt(s, a, b), a, b);
    // Equal operands (only ±0 differ in bits): and-ing clears the sign unless both are -0.
    let m = E::select(s, <E as SimdElement>::eq(s, a, b), E::and_bits(s, a, b), m);
    E::select(s, <E as SimdElement>::ne(s, a, a), a, m)
}

/// NaN-propagating minimum.
#[inline(always)]
pub(crate) fn min<S: Simd, E: Prim>(s: S, a: E::V<S>, b: E::V<S>) -> E::V<S> {
    let m = E::select(s, <E as SimdElement>::lt(s, a, b), a, b);
    let m = E::select(s, <E as SimdElement>::eq(s, a, b), E::or_bits(s, a, b), m);
    E::select(s, <E as SimdElement>::ne(s, a, a), a, m)
}

/// `max(0, x)` with `relu(NaN) = NaN` and `relu(-0) = +0`.
#[inline(always)]
pub(crate) fn relu<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let zero = c::<S, E>(s, 0.0);
    E::select(s, <E as SimdElement>::le(s, x, zero), zero, x)
}

/// Sign: `±1`, `±0` and NaN returned unchanged.
#[inline(always)]
pub(crate) fn signum<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let zero = c::<S, E>(s, 0.0);
    let r = E::select(s, <E as SimdElement>::lt(s, x, zero), c::<S, E>(s, -1.0), x);
    E::select(s, <E as SimdElement>::gt(s, x, zero), c::<S, E>(s, 1.0), r)
}

/// `|x|` rounded to the nearest integer (ties to even) where `|x| < 2^MANT_BITS`, plus the mask
/// of those lanes (the others, and NaN, are already integers or not numbers).
#[inline(always)]
fn round_abs<S: Simd, E: Prim>(s: S, x: E::V<S>) -> (E::V<S>, E::V<S>, E::M<S>) {
    let big = c::<S, E>(s, (1u64 << E::MANT_BITS) as f64);
    let a = <E as SimdElement>::abs(s, x);
    let r = <E as SimdElement>::sub(s, <E as SimdElement>::add(s, a, big), big);
    (a, r, <E as SimdElement>::lt(s, a, big))
}

/// Round toward −inf.
#[inline(always)]
pub(crate) fn floor<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (_, r, m) = round_abs::<S, E>(s, x);
    let rn = copysign::<S, E>(s, r, x);
    let one = c::<S, E>(s, 1.0);
    let f = E::select(
        s,
        <E as SimdElement>::gt(s, rn, x),
        <E as SimdElement>::sub(s, rn, one),
        rn,
    );
    E::select(s, m, copysign::<S, E>(s, f, x), x)
}

/// Round toward +inf.
#[inline(always)]
pub(crate) fn ceil<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (_, r, m) = round_abs::<S, E>(s, x);
    let rn = copysign::<S, E>(s, r, x);
    let one = c::<S, E>(s, 1.0);
    let f = E::select(
        s,
        <E as SimdElement>::lt(s, rn, x),
        <E as SimdElement>::add(s, rn, one),
        rn,
    );
    E::select(s, m, copysign::<S, E>(s, f, x), x)
}

/// Round half away from zero.
#[inline(always)]
pub(crate) fn round<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let (a, r, m) = round_abs::<S, E>(s, x);
    let one = c::<S, E>(s, 1.0);
    let fl = E::select(
        s,
        <E as SimdElement>::gt(s, r, a),
        <E as SimdElement>::sub(s, r, one),
        r,
    );
    let up = <E as SimdElement>::ge(s, <E as SimdElement>::sub(s, a, fl), c::<S, E>(s, 0.5));
    let res = E::select(s, up, <E as SimdElement>::add(s, fl, one), fl);
    E::select(s, m, copysign::<S, E>(s, res, x), x)
}

/// Scalar twin of [`max`].
#[inline(always)]
pub(crate) fn scalar_max<E: Prim>(a: E, b: E) -> E {
    if a.is_nan() || b.is_nan() {
        E::NAN
    } else if a == b {
        // ±0 tie: +0 wins (the other equal case is the same value either way).
        if a == E::ZERO && (E::ONE / a) < E::ZERO {
            b
        } else {
            a
        }
    } else if a > b {
        a
    } else {
        b
    }
}

/// Scalar twin of [`min`].
#[inline(always)]
pub(crate) fn scalar_min<E: Prim>(a: E, b: E) -> E {
    if a.is_nan() || b.is_nan() {
        E::NAN
    } else if a == b {
        if a == E::ZERO && (E::ONE / a) > E::ZERO {
            b
        } else {
            a
        }
    } else if a < b {
        a
    } else {
        b
    }
}

/// Scalar twin of [`relu`].
#[inline(always)]
pub(crate) fn scalar_relu<E: Prim>(x: E) -> E {
    if x <= E::ZERO {
        E::ZERO
    } else {
        x
    }
}

/// Scalar twin of [`signum`].
#[inline(always)]
pub(crate) fn scalar_signum<E: Prim>(x: E) -> E {
    if x > E::ZERO {
        E::ONE
    } else if x < E::ZERO {
        -E::ONE
    } else {
        x
    }
}
