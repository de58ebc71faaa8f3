//! The [`Module`] trait every layer implements.

use crate::simd::SimdElement;
use crate::{Result, Tensor};

/// A layer or network: a forward function plus named parameters and a train/eval mode.
pub trait Module<E: SimdElement>: Send + Sync {
    /// Applies the module.
    ///
    /// # Errors
    /// Shape errors from the underlying ops, naming the shapes involved.
    fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>>;

    /// The parameters with dotted names (`"0.weight"`, `"fc1.bias"`), in a fixed order.
    fn named_parameters(&self) -> Vec<(String, Tensor<E>)> {
        Vec::new()
    }

    /// The parameters, in the order of [`Module::named_parameters`].
    fn parameters(&self) -> Vec<Tensor<E>> {
        self.named_parameters()
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// Switches training mode on (`true`) or off (evaluation). Only layers whose behaviour
    /// differs (dropout) need to override it; containers forward it to their children.
    fn set_training(&mut self, _training: bool) {}

    /// Clears the gradients of every parameter.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }
}
