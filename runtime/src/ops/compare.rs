//! Comparisons `lt`, `gt`, `eq`: zip kernels declared with the DSL that produce `1.0` where the
//! comparison holds and `0.0` elsewhere. Both branches are constants, so the derived gradient
//! is zero everywhere.

use simdgrad_macros::zip;

use crate::simd::SimdElement;
use crate::{Result, Tensor};

use super::drive::Exec;
use super::zip::zip_recorded;

/// `1` if `a < b`, else `0` (`0` if either is NaN).
#[zip]
pub fn lt(a: f32, b: f32) -> f32 {
    if a < b {
        1.0
    } else {
        0.0
    }
}

/// `1` if `a > b`, else `0` (`0` if either is NaN).
#[zip]
pub fn gt(a: f32, b: f32) -> f32 {
    if a > b {
        1.0
    } else {
        0.0
    }
}

/// `1` if `a == b`, else `0` (`0` if either is NaN). The kernel is named `Equal` so that it
/// does not shadow the prelude's `Eq`.
#[zip(name = Equal)]
pub fn eq(a: f32, b: f32) -> f32 {
    if a == b {
        1.0
    } else {
        0.0
    }
}

impl<E: SimdElement> Tensor<E> {
    /// `1.0` where `self < other`, else `0.0`, broadcasting (a float mask, as MiniTorch's
    /// `lt`). Its gradient is zero.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let a = Tensor::<f32>::from_vec(vec![1.0, 5.0, 3.0], &[3]).unwrap();
    /// let b = Tensor::scalar(3.0f32);
    /// assert_eq!(a.lt(&b).unwrap().to_vec(), vec![1.0, 0.0, 0.0]);
    /// assert_eq!(a.gt(&b).unwrap().to_vec(), vec![0.0, 1.0, 0.0]);
    /// assert_eq!(a.eq(&b).unwrap().to_vec(), vec![0.0, 0.0, 1.0]);
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::Broadcast`] naming both shapes if they do not broadcast.
    pub fn lt(&self, other: &Tensor<E>) -> Result<Tensor<E>> {
        zip_recorded(self, other, Lt, Exec::default())
    }

    /// `1.0` where `self > other`, else `0.0`, broadcasting. Its gradient is zero.
    ///
    /// # Errors
    /// [`crate::Error::Broadcast`] naming both shapes if they do not broadcast.
    pub fn gt(&self, other: &Tensor<E>) -> Result<Tensor<E>> {
        zip_recorded(self, other, Gt, Exec::default())
    }

    /// `1.0` where `self == other`, else `0.0`, broadcasting. Its gradient is zero.
    ///
    /// # Errors
    /// [`crate::Error::Broadcast`] naming both shapes if they do not broadcast.
    pub fn eq(&self, other: &Tensor<E>) -> Result<Tensor<E>> {
        zip_recorded(self, other, Equal, Exec::default())
    }
}
