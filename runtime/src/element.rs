//! The element types a tensor or kernel can hold: `f32` and `f64`, behind a sealed trait.

use core::fmt::{Debug, Display, LowerExp};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point element type: `f32` or `f64`.
///
/// The trait is sealed: simdgrad's kernels, SIMD math and file formats are written for exactly
/// these two types. Its SIMD half lives in [`crate::simd::SimdElement`], which every `Element`
/// also implements.
///
/// ```
/// use simdgrad::Element;
/// assert_eq!(<f32 as Element>::DTYPE, "float32");
/// assert_eq!(f64::from_f64(0.5).to_f64(), 0.5);
/// ```
pub trait Element:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + 'static
    + Default
    + PartialEq
    + PartialOrd
    + Debug
    + Display
    + LowerExp
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
{
    /// The name PyTorch and numpy print for this type (`"float32"`, `"float64"`).
    const DTYPE: &'static str;
    /// Size in bytes.
    const SIZE: usize;
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Negative infinity.
    const NEG_INFINITY: Self;
    /// A quiet NaN.
    const NAN: Self;
    /// Machine epsilon.
    const EPSILON: Self;

    /// Converts from `f64`, rounding to nearest (the identity for `f64`).
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Converts from `usize` (rounding to nearest for large values).
    fn from_usize(v: usize) -> Self {
        Self::from_f64(v as f64)
    }
    /// `true` if the value is NaN.
    fn is_nan(self) -> bool;
}

macro_rules! impl_element {
    ($t:ident, $name:literal) => {
        impl Element for $t {
            const DTYPE: &'static str = $name;
            const SIZE: usize = core::mem::size_of::<$t>();
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const INFINITY: Self = $t::INFINITY;
            const NEG_INFINITY: Self = $t::NEG_INFINITY;
            const NAN: Self = $t::NAN;
            const EPSILON: Self = $t::EPSILON;

            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
        }
    };
}

impl_element!(f32, "float32");
impl_element!(f64, "float64");
