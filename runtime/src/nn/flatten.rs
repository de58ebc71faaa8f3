//! Shape layers: [`Flatten`] `(B, …) → (B, ∏…)` and [`View`] `(B, …) → (B, shape…)`.

use super::Module;
use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

/// Flattens every dim but the first: `(B, d1, …, dn)` → `(B, d1·…·dn)`. Copies only when the
/// input is not contiguous.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten;

impl<E: SimdElement> Module<E> for Flatten {
    fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
        let Some((&b, rest)) = x.shape().split_first() else {
            return Err(Error::InvalidArgument {
                op: "Flatten",
                message: "expected at least a batch dim, got a 0-d tensor".into(),
            });
        };
        x.reshape(&[b, rest.iter().product()])
    }
}

/// Reshapes every sample: `(B, …)` → `(B, shape…)` (the batch dim is kept, MiniTorch's
/// `view(batch, …)`). Copies only when the input is not contiguous.
#[derive(Clone, Debug)]
pub struct View {
    /// The per-sample shape.
    pub shape: Vec<usize>,
}

impl View {
    /// A layer reshaping each sample to `shape`.
    pub fn new(shape: &[usize]) -> Self {
        Self {
            shape: shape.to_vec(),
        }
    }
}

impl<E: SimdElement> Module<E> for View {
    fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
        let b = x.shape().first().copied().unwrap_or(1);
        let mut shape = vec![b];
        shape.extend(&self.shape);
        x.reshape(&shape)
    }
}
