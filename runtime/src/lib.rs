//! # simdgrad
//!
//! SIMD kernels *and their derivatives*, generated at compile time from scalar Rust functions,
//! with strided tensors, autograd and neural-network layers on top.
//!
//! ```
//! use simdgrad::Tensor;
//!
//! let x = Tensor::<f32>::arange(0.0, 6.0, 1.0).unwrap().view(&[2, 3]).unwrap();
//! let t = x.permute(&[1, 0]).unwrap();
//! assert_eq!(t.shape(), &[3, 2]);
//! assert_eq!(t.to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
//! assert!(t.view(&[6]).is_err()); // a view needs a contiguous tensor
//! ```
#![warn(missing_docs)]

// Lets the kernel macros' absolute `::simdgrad::…` paths resolve inside this crate (the built-in
// ops in `ops::builtins` are declared with them).
extern crate self as simdgrad;

pub mod autograd;
pub mod check_grads;
pub mod conv;
pub mod edge_values;
pub mod element;
pub mod error;
pub mod io;
pub mod layout;
pub mod linalg;
pub mod matmul;
pub mod nn;
pub mod parallel;
pub mod pool;
pub mod shape;
pub mod tensor;
// Enabled by the SIMD-math work (see simd/mod.rs, kernel.rs):
pub mod kernel;
pub mod ops;
pub mod simd;

pub use element::Element;
pub use error::{Error, Result};
/// Convolution declarations: `simdgrad::conv! { pub conv3x3: kernel = [3, 3], padding = 1 }`
/// generates a kernel type (implementing [`conv::ConvDecl`] and [`conv::ConvKernel`]) and a
/// differentiable tensor op `conv3x3(&x, &w, bias)`. See the `simdgrad-macros` crate docs.
pub use simdgrad_macros::conv;
/// Kernel-DSL attribute macros: `#[simdgrad::map]`, `#[simdgrad::zip]`, `#[simdgrad::reduce]`
/// compile a scalar function into SIMD kernels and their symbolically derived derivative
/// kernels (implementing [`kernel::MapKernel`], [`kernel::ZipKernel`], [`kernel::ReduceKernel`]).
/// See the `simdgrad-macros` crate docs for the body language and the generated items.
pub use simdgrad_macros::{map, pool, reduce, zip};
pub use tensor::Tensor;

#[doc(hidden)]
pub mod __private;
