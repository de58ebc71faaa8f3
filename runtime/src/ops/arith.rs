//! Operator overloading: `&a + &b`, `a * b`, `&a * 2.0`, `2.0 - &a`, `-&a`, … for tensors, by
//! reference or by value. Each operator is the matching method ([`Tensor::add`], …) with
//! broadcasting and autograd recording.
//!
//! # Panics
//! An operator cannot return a `Result`: on shapes that do not broadcast it panics with the
//! message of the [`crate::Error::Broadcast`] the method returns (which names both shapes).
//! Use the methods to handle the error instead.
//!
//! ```
//! use simdgrad::Tensor;
//! let a = Tensor::<f32>::from_vec(vec![1.0, 2.0], &[2]).unwrap();
//! let b = Tensor::<f32>::from_vec(vec![10.0, 20.0], &[2]).unwrap();
//! assert_eq!((&a + &b).to_vec(), vec![11.0, 22.0]);
//! assert_eq!((&a * 2.0).to_vec(), vec![2.0, 4.0]);
//! assert_eq!((1.0 - &a).to_vec(), vec![0.0, -1.0]);
//! assert_eq!((-&a).to_vec(), vec![-1.0, -2.0]);
//! ```

use core::ops;

use crate::simd::SimdElement;
use crate::{Result, Tensor};

use super::builtins::{Add, Div, Mul, Sub};
use super::drive::Exec;
use super::zip::zip_recorded;

/// Unwraps an operator's result, panicking with the error's message.
fn unwrap_op<E: SimdElement>(r: Result<Tensor<E>>) -> Tensor<E> {
    r.unwrap_or_else(|e| panic!("{e}"))
}

macro_rules! binary_ops {
    ($($trait:ident, $method:ident => $kernel:ident;)*) => {$(
        impl<E: SimdElement> ops::$trait<&Tensor<E>> for &Tensor<E> {
            type Output = Tensor<E>;
            /// # Panics
            /// If the shapes do not broadcast.
            fn $method(self, rhs: &Tensor<E>) -> Tensor<E> {
                unwrap_op(zip_recorded(self, rhs, $kernel, Exec::default()))
            }
        }

        impl<E: SimdElement> ops::$trait<Tensor<E>> for &Tensor<E> {
            type Output = Tensor<E>;
            /// # Panics
            /// If the shapes do not broadcast.
            fn $method(self, rhs: Tensor<E>) -> Tensor<E> {
                ops::$trait::$method(self, &rhs)
            }
        }

        impl<E: SimdElement> ops::$trait<&Tensor<E>> for Tensor<E> {
            type Output = Tensor<E>;
            /// # Panics
            /// If the shapes do not broadcast.
            fn $method(self, rhs: &Tensor<E>) -> Tensor<E> {
                ops::$trait::$method(&self, rhs)
            }
        }

        impl<E: SimdElement> ops::$trait<Tensor<E>> for Tensor<E> {
            type Output = Tensor<E>;
            /// # Panics
            /// If the shapes do not broadcast.
            fn $method(self, rhs: Tensor<E>) -> Tensor<E> {
                ops::$trait::$method(&self, &rhs)
            }
        }

        impl<E: SimdElement> ops::$trait<E> for &Tensor<E> {
            type Output = Tensor<E>;
            fn $method(self, rhs: E) -> Tensor<E> {
                ops::$trait::$method(self, &Tensor::scalar(rhs))
            }
        }

        impl<E: SimdElement> ops::$trait<E> for Tensor<E> {
            type Output = Tensor<E>;
            fn $method(self, rhs: E) -> Tensor<E> {
                ops::$trait::$method(&self, &Tensor::scalar(rhs))
            }
        }

        scalar_lhs!($trait, $method, f32);
        scalar_lhs!($trait, $method, f64);
    )*};
}

/// `scalar op tensor` for one concrete element type (a foreign type on the left cannot be
/// generic).
macro_rules! scalar_lhs {
    ($trait:ident, $method:ident, $t:ty) => {
        impl ops::$trait<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn $method(self, rhs: &Tensor<$t>) -> Tensor<$t> {
                ops::$trait::$method(&Tensor::scalar(self), rhs)
            }
        }

        impl ops::$trait<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn $method(self, rhs: Tensor<$t>) -> Tensor<$t> {
                ops::$trait::$method(&Tensor::scalar(self), &rhs)
            }
        }
    };
}

binary_ops! {
    Add, add => Add;
    Sub, sub => Sub;
    Mul, mul => Mul;
    Div, div => Div;
}

impl<E: SimdElement> ops::Neg for &Tensor<E> {
    type Output = Tensor<E>;
    fn neg(self) -> Tensor<E> {
        unwrap_op(Tensor::neg(self))
    }
}

impl<E: SimdElement> ops::Neg for Tensor<E> {
    type Output = Tensor<E>;
    fn neg(self) -> Tensor<E> {
        -&self
    }
}
