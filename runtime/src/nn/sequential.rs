//! [`Sequential`]: modules applied one after another.

use super::Module;
use crate::simd::SimdElement;
use crate::{Result, Tensor};

/// Applies its children in order; parameters are named `"<index>.<child name>"` as PyTorch does.
#[derive(Default)]
pub struct Sequential<E: SimdElement> {
    layers: Vec<Box<dyn Module<E>>>,
}

impl<E: SimdElement> Sequential<E> {
    /// An empty container (its forward is the identity).
    pub fn new() -> Self {
        Self { layers: Vec::new() }
    }

    /// Appends a layer.
    #[allow(clippy::should_implement_trait)]
    pub fn push(mut self, layer: impl Module<E> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// `true` if there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl<E: SimdElement> Module<E> for Sequential<E> {
    fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
        let mut h = x.clone();
        for layer in &self.layers {
            h = layer.forward(&h)?;
        }
        Ok(h)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<E>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| {
                l.named_parameters()
                    .into_iter()
                    .map(move |(n, p)| (format!("{i}.{n}"), p))
            })
            .collect()
    }

    fn set_training(&mut self, training: bool) {
        for l in &mut self.layers {
            l.set_training(training);
        }
    }
}
