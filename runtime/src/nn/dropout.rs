//! [`Dropout`]: inverted dropout with its own seeded generator, the identity in eval mode.

use std::sync::{Mutex, PoisonError};

use rand::rngs::StdRng;

use super::{functional, init, Module};
use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

/// Inverted dropout (see [`functional::dropout`]). The generator lives in the layer behind a
/// mutex, so a network built with the same seed draws the same masks; in eval mode
/// (`set_training(false)`) the layer is the identity.
///
/// ```
/// use simdgrad::nn::{Dropout, Module};
/// use simdgrad::Tensor;
/// let mut d = Dropout::new(0.5, 7).unwrap();
/// let x = Tensor::<f32>::ones(&[100]).unwrap();
/// assert!(d.forward(&x).unwrap().to_vec().contains(&0.0));
/// d.set_training(false);
/// assert_eq!(d.forward(&x).unwrap().to_vec(), x.to_vec());
/// ```
pub struct Dropout {
    rate: f64,
    training: bool,
    rng: Mutex<StdRng>,
}

impl Dropout {
    /// A dropout layer in training mode dropping each element with probability `rate`, its
    /// masks drawn from a generator seeded with `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `rate` is outside `[0, 1]`.
    pub fn new(rate: f64, seed: u64) -> Result<Self> {
        if !(0.0..=1.0).contains(&rate) {
            return Err(Error::InvalidArgument {
                op: "Dropout::new",
                message: format!("rate must be in [0, 1], got {rate}"),
            });
        }
        Ok(Self {
            rate,
            training: true,
            rng: Mutex::new(init::seeded_rng(seed)),
        })
    }

    /// The drop probability.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Switches training mode (`false`: the layer is the identity). The same as
    /// [`Module::set_training`], without having to name the element type.
    pub fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    /// `true` in training mode.
    pub fn is_training(&self) -> bool {
        self.training
    }
}

impl<E: SimdElement> Module<E> for Dropout {
    fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
        if !self.training {
            return Ok(x.clone());
        }
        // A panic elsewhere cannot leave a generator in an invalid state.
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        functional::dropout(x, self.rate, true, &mut *rng)
    }

    fn set_training(&mut self, training: bool) {
        Dropout::set_training(self, training);
    }
}
