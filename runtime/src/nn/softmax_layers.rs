//! [`Softmax`] and [`LogSoftmax`] layers over one dim (the fused SIMD kernels).

use super::Module;
use crate::simd::SimdElement;
use crate::{Result, Tensor};

/// Softmax over `dim` (negative counts from the end).
#[derive(Clone, Copy, Debug)]
pub struct Softmax {
    /// The dim normalised.
    pub dim: isize,
}

impl Softmax {
    /// Softmax over `dim`.
    pub fn new(dim: isize) -> Self {
        Self { dim }
    }
}

impl<E: SimdElement> Module<E> for Softmax {
    fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
        x.softmax(self.dim)
    }
}

/// Log-softmax over `dim` (MiniTorch's network ends with `logsoftmax(dim 1)`).
#[derive(Clone, Copy, Debug)]
pub struct LogSoftmax {
    /// The dim normalised.
    pub dim: isize,
}

impl LogSoftmax {
    /// Log-softmax over `dim`.
    pub fn new(dim: isize) -> Self {
        Self { dim }
    }
}

impl<E: SimdElement> Module<E> for LogSoftmax {
    fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
        x.log_softmax(self.dim)
    }
}
