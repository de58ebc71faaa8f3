//! Tensor-level ops: the drivers that run generated kernels on tensors of any layout
//! ([`Tensor::map`](crate::Tensor::map), [`Tensor::zip`](crate::Tensor::zip) with NumPy broadcasting, [`Tensor::reduce`](crate::Tensor::reduce) and
//! [`Tensor::reduce_all`](crate::Tensor::reduce_all), their `_into` and in-place variants), the built-in ops declared with
//! the kernel DSL ([`builtins`], [`compare`]), and operator overloading.
//!
//! ```
//! use simdgrad::Tensor;
//!
//! let x = Tensor::<f32>::from_vec(vec![1.0, -2.0, 3.0, -4.0], &[2, 2]).unwrap();
//! let b = Tensor::<f32>::from_vec(vec![0.5, 1.0], &[2]).unwrap();
//! let y = (&x.relu().unwrap() * &b).sum(-1).unwrap(); // keeps the dim: shape [2, 1]
//! assert_eq!((y.shape(), y.to_vec()), (&[2, 1][..], vec![0.5, 1.5]));
//! ```
//!
//! # How a call runs
//! Each call picks a path from the layouts of its operands:
//! - **contiguous**: dense operands with one memory order (contiguous, or all permuted the same
//!   way) are processed in storage order as one slice, and the output keeps their strides (as
//!   PyTorch keeps the memory format);
//! - **blocks**: otherwise the output is row-major and the operands are walked in runs along
//!   their innermost (merged) dim; a run with stride 1 goes to the slice kernel, a broadcast
//!   run (stride 0) to its scalar-operand form;
//! - **general**: runs with other strides (or very short ones) are gathered through an index
//!   walk into small stack buffers, and the SIMD kernel runs on those.
//!
//! The paths give bit-identical results (the kernels are lane-wise; reductions fold each
//! output element in an order fixed by the layout alone). Work above
//! [`crate::parallel::Parallelism::min_work_per_task`] elements is split into thread tasks;
//! results never depend on the thread count.
//!
//! # Autograd
//! Every op records itself (when grad mode is on and an input requires grad) with a backward
//! built from the kernel's *derived* derivative: `MapKernel::backward` (or
//! `backward_with_output` for `exp`, `sigmoid`, `tanh`, `sqrt`), `ZipKernel::backward` then
//! [`Tensor::sum_to_shape`](crate::Tensor::sum_to_shape) for broadcast inputs, `ReduceKernel::backward` per reduced slice.
//! The `_into` and in-place variants are not recorded.

mod arith;
pub mod builtins;
pub mod compare;
mod drive;
mod map;
mod plan;
mod reduce;
mod walk;
mod zip;

#[doc(hidden)]
pub use drive::{Exec, Path};
