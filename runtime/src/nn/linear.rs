//! [`Linear`]: `y = x Wᵀ + b`, PyTorch's layout and initialisation.

use rand::Rng;

use super::{init, Module};
use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

/// A fully connected layer: `y = x · weightᵀ + bias` with `weight` of shape
/// `(out_features, in_features)` and `bias` of shape `(out_features)`, as in PyTorch, so
/// checkpoints map one to one. Inputs are `(..., in_features)`.
#[derive(Clone)]
pub struct Linear<E: SimdElement> {
    /// `(out_features, in_features)`.
    pub weight: Tensor<E>,
    /// `(out_features)`, if the layer has a bias.
    pub bias: Option<Tensor<E>>,
}

impl<E: SimdElement> Linear<E> {
    /// A layer with PyTorch's default initialisation: weight and bias uniform in
    /// `±1/sqrt(in_features)` (Kaiming-uniform with a = √5).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a size is 0.
    pub fn new<R: Rng + ?Sized>(
        in_features: usize,
        out_features: usize,
        rng: &mut R,
    ) -> Result<Self> {
        if in_features == 0 || out_features == 0 {
            return Err(Error::InvalidArgument {
                op: "Linear::new",
                message: format!("sizes must be positive, got {in_features} -> {out_features}"),
            });
        }
        let bound = 1.0 / (in_features as f64).sqrt();
        let weight = init::uniform(&[out_features, in_features], -bound, bound, rng)?;
        let bias = init::uniform(&[out_features], -bound, bound, rng)?;
        Self::from_parameters(weight, Some(bias))
    }

    /// A layer with the given parameters (they are marked as requiring grad).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `weight` is not 2-D or `bias` does not match its rows.
    pub fn from_parameters(weight: Tensor<E>, bias: Option<Tensor<E>>) -> Result<Self> {
        if weight.ndim() != 2 {
            return Err(Error::InvalidArgument {
                op: "Linear",
                message: format!(
                    "weight must be 2-D (out, in), got shape {:?}",
                    weight.shape()
                ),
            });
        }
        if let Some(b) = &bias
            && b.shape() != [weight.shape()[0]]
        {
            return Err(Error::ShapeMismatch {
                op: "Linear bias",
                lhs: weight.shape().to_vec(),
                rhs: b.shape().to_vec(),
            });
        }
        Ok(Self {
            weight: weight.detach().requires_grad_(true),
            bias: bias.map(|b| b.detach().requires_grad_(true)),
        })
    }

    /// `in_features`.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// `out_features`.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl<E: SimdElement> Module<E> for Linear<E> {
    fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
        let last = x.shape().last().copied().unwrap_or(0);
        if x.ndim() == 0 || last != self.in_features() {
            return Err(Error::ShapeMismatch {
                op: "Linear: input (..., in_features) vs weight (out, in)",
                lhs: x.shape().to_vec(),
                rhs: self.weight.shape().to_vec(),
            });
        }
        let y = x.matmul(&self.weight.transpose(0, 1)?)?;
        match &self.bias {
            Some(b) => y.add(b),
            None => Ok(y),
        }
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<E>)> {
        let mut v = vec![("weight".to_string(), self.weight.clone())];
        if let Some(b) = &self.bias {
            v.push(("bias".to_string(), b.clone()));
        }
        v
    }
}
