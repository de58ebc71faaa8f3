//! SIMD abstraction over `f32`/`f64` on top of pulp, and the scalar twins of every vector op.
//!
//! [`SimdElement`] gives generated kernels one vocabulary for both element types: arithmetic,
//! comparisons producing masks, selects, memory access and the transcendental functions of the
//! kernel DSL. Every method is `#[inline(always)]` so it is compiled under the instruction set
//! pulp's dispatch selected. [`ScalarMath`] holds the scalar versions with the *same* edge-value
//! semantics (NaN propagation of `max`/`min`, `relu(NaN) = NaN`, …), used by the scalar forward
//! of a generated op.
//!
//! Accuracy of the vector math functions is stated (and tested) in [`math`].

use crate::Element;
use pulp::Simd;

#[macro_use]
mod forward;
mod backend;
mod impl_f32;
mod impl_f64;
pub mod math;
mod nan_watch;

pub(crate) use backend::backend_is;
#[cfg(test)]
pub(crate) use backend::on_each_backend;
pub(crate) use nan_watch::NanWatch;

/// Scalar math with the semantics the kernel DSL documents (same NaN / ±0 / ±inf behaviour as the
/// vector functions of [`SimdElement`]).
///
/// Transcendentals call the platform's libm (std or the `libm` crate), which is within 1 ulp;
/// the vector versions are within the ulp bounds stated in [`math`].
pub trait ScalarMath: Element {
    /// `e^x`.
    fn exp(x: Self) -> Self;
    /// `2^x`.
    fn exp2(x: Self) -> Self;
    /// Natural logarithm.
    fn ln(x: Self) -> Self;
    /// Base-2 logarithm.
    fn log2(x: Self) -> Self;
    /// `ln(1 + x)`, accurate near 0.
    fn log1p(x: Self) -> Self;
    /// `e^x − 1`, accurate near 0.
    fn expm1(x: Self) -> Self;
    /// Square root.
    fn sqrt(x: Self) -> Self;
    /// `1 / sqrt(x)`.
    fn rsqrt(x: Self) -> Self;
    /// `1 / x`.
    fn recip(x: Self) -> Self;
    /// Absolute value.
    fn abs(x: Self) -> Self;
    /// `1` for x > 0, `-1` for x < 0, `0` for ±0 (sign kept), NaN for NaN (as PyTorch's `sign`).
    fn signum(x: Self) -> Self;
    /// Maximum; NaN if either operand is NaN (PyTorch's `maximum`).
    fn max(a: Self, b: Self) -> Self;
    /// Minimum; NaN if either operand is NaN (PyTorch's `minimum`).
    fn min(a: Self, b: Self) -> Self;
    /// `min(max(x, lo), hi)` with NaN propagation.
    fn clamp(x: Self, lo: Self, hi: Self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(x: Self) -> Self;
    /// Logistic sigmoid `1 / (1 + e^-x)`, numerically stable for any input.
    fn sigmoid(x: Self) -> Self;
    /// `max(0, x)` with `relu(NaN) = NaN`.
    fn relu(x: Self) -> Self;
    /// Sine.
    fn sin(x: Self) -> Self;
    /// Cosine.
    fn cos(x: Self) -> Self;
    /// Error function.
    fn erf(x: Self) -> Self;
    /// Round toward −inf.
    fn floor(x: Self) -> Self;
    /// Round toward +inf.
    fn ceil(x: Self) -> Self;
    /// Round half away from zero (as `f32::round`).
    fn round(x: Self) -> Self;
    /// `x^y` with IEEE `pow` edge cases.
    fn powf(x: Self, y: Self) -> Self;
    /// `x^n` for an integer `n`.
    fn powi(x: Self, n: i32) -> Self;
    /// `a·b + c` with one rounding (a true fused multiply-add on every target, as the vector
    /// [`SimdElement::fused_mul_add`]), so generated scalar twins stay bit-identical to the SIMD code.
    fn fused_mul_add(a: Self, b: Self, c: Self) -> Self;
}

/// Vector operations on `f32`/`f64` lanes for any pulp [`Simd`] backend.
///
/// `V<S>` is the register type (`S::f32s` or `S::f64s`), `M<S>` the mask type.
pub trait SimdElement: ScalarMath {
    /// A vector register of lanes of `Self`.
    type V<S: Simd>: Copy;
    /// A lane mask, as produced by comparisons.
    type M<S: Simd>: Copy;

    /// Number of lanes of `V<S>`.
    fn lanes<S: Simd>() -> usize;
    /// Splits a slice into whole registers and a tail.
    fn as_simd<S: Simd>(slice: &[Self]) -> (&[Self::V<S>], &[Self]);
    /// Splits a mutable slice into whole registers and a tail.
    fn as_mut_simd<S: Simd>(slice: &mut [Self]) -> (&mut [Self::V<S>], &mut [Self]);
    /// Loads `slice.len() <= lanes` values; the remaining lanes hold `fill`
    /// (pass the identity of a reduction, never rely on zero padding).
    fn partial_load<S: Simd>(s: S, slice: &[Self], fill: Self) -> Self::V<S>;
    /// Stores the first `slice.len() <= lanes` lanes.
    fn partial_store<S: Simd>(s: S, slice: &mut [Self], v: Self::V<S>);
    /// All lanes set to `x`.
    fn splat<S: Simd>(s: S, x: Self) -> Self::V<S>;

    /// `a + b`.
    fn add<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// `a - b`.
    fn sub<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// `a * b`.
    fn mul<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// `a / b` (IEEE division).
    fn div<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// `-a` (flips the sign bit, so `-0.0` and NaN behave as in scalar Rust).
    fn neg<S: Simd>(s: S, a: Self::V<S>) -> Self::V<S>;
    /// `a * b + c`, fused where the ISA has FMA.
    fn mul_add<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>, c: Self::V<S>) -> Self::V<S>;
    /// `a * b + c` with one rounding on every backend (in software on pulp's scalar one), so
    /// its results are the same bits on every ISA; generated kernels contract with it.
    fn fused_mul_add<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>, c: Self::V<S>) -> Self::V<S>;

    /// `a < b` (false if either is NaN).
    fn lt<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::M<S>;
    /// `a <= b`.
    fn le<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::M<S>;
    /// `a > b`.
    fn gt<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::M<S>;
    /// `a >= b`.
    fn ge<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::M<S>;
    /// `a == b`.
    fn eq<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::M<S>;
    /// `a != b` (true if either is NaN, as in scalar Rust).
    fn ne<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::M<S>;
    /// Lane-wise `a && b`.
    fn and<S: Simd>(s: S, a: Self::M<S>, b: Self::M<S>) -> Self::M<S>;
    /// Lane-wise `a || b`.
    fn or<S: Simd>(s: S, a: Self::M<S>, b: Self::M<S>) -> Self::M<S>;
    /// Lane-wise `!a`.
    fn not<S: Simd>(s: S, a: Self::M<S>) -> Self::M<S>;
    /// `if m { a } else { b }` per lane.
    fn select<S: Simd>(s: S, m: Self::M<S>, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// Index of the first set lane, or `lanes` if none is set.
    fn first_true<S: Simd>(s: S, m: Self::M<S>) -> usize;

    /// Sum of the lanes.
    fn reduce_sum<S: Simd>(s: S, a: Self::V<S>) -> Self;
    /// Maximum of the lanes; NaN if any lane is NaN.
    fn reduce_max<S: Simd>(s: S, a: Self::V<S>) -> Self;
    /// Minimum of the lanes; NaN if any lane is NaN.
    fn reduce_min<S: Simd>(s: S, a: Self::V<S>) -> Self;

    /// Vector [`ScalarMath::exp`].
    fn exp<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::exp2`].
    fn exp2<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::ln`].
    fn ln<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::log2`].
    fn log2<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::log1p`].
    fn log1p<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::expm1`].
    fn expm1<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::sqrt`] (correctly rounded).
    fn sqrt<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::rsqrt`].
    fn rsqrt<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::recip`] (correctly rounded).
    fn recip<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::abs`].
    fn abs<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::signum`].
    fn signum<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::max`] (NaN-propagating on every ISA).
    fn max<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::min`] (NaN-propagating on every ISA).
    fn min<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// The larger of `a` and `b` in one instruction where the ISA has one (x86 `vmaxps`,
    /// NEON `fmax`), for folds that watch for NaN off their dependency chain and settle
    /// signed-zero ties themselves. Exact when neither operand is NaN and they are not
    /// zeros of opposite signs; otherwise the lane is unspecified (either operand or a NaN,
    /// depending on the ISA). [`SimdElement::max`] is the NaN-propagating maximum.
    ///
    /// ```
    /// use pulp::Simd;
    /// use simdgrad::simd::SimdElement;
    ///
    /// let s = pulp::Scalar::new();
    /// let m = <f32 as SimdElement>::max_loose(s, s.splat_f32s(-1.5), s.splat_f32s(2.0));
    /// assert_eq!(<f32 as SimdElement>::reduce_max(s, m), 2.0);
    /// ```
    fn max_loose<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// The smaller of `a` and `b` in one instruction where the ISA has one; exact under the
    /// same conditions as [`SimdElement::max_loose`], unspecified otherwise.
    fn min_loose<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::clamp`].
    fn clamp<S: Simd>(s: S, x: Self::V<S>, lo: Self::V<S>, hi: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::tanh`].
    fn tanh<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::sigmoid`].
    fn sigmoid<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::relu`].
    fn relu<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::sin`].
    fn sin<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::cos`].
    fn cos<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::erf`].
    fn erf<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::floor`].
    fn floor<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::ceil`].
    fn ceil<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::round`].
    fn round<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::powf`].
    fn powf<S: Simd>(s: S, x: Self::V<S>, y: Self::V<S>) -> Self::V<S>;
    /// Vector [`ScalarMath::powi`].
    fn powi<S: Simd>(s: S, x: Self::V<S>, n: i32) -> Self::V<S>;
}
