//! Parameter-free activation layers, thin wrappers over the generated elementwise ops.

use super::Module;
use crate::simd::SimdElement;
use crate::{Result, Tensor};

macro_rules! activation {
    ($(#[$doc:meta])* $name:ident => $method:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl<E: SimdElement> Module<E> for $name {
            fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
                x.$method()
            }
        }
    };
}

activation!(
    /// `max(0, x)`; gradient 1 where x > 0, else 0 (so relu'(0) = 0).
    ReLU => relu
);
activation!(
    /// The logistic sigmoid, numerically stable; gradient `s(1 − s)` from the saved output.
    Sigmoid => sigmoid
);
activation!(
    /// Hyperbolic tangent; gradient `1 − t²` from the saved output.
    Tanh => tanh
);
activation!(
    /// GELU, tanh approximation (as PyTorch's `approximate="tanh"`).
    GELU => gelu
);
