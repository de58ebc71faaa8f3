//! Functional forms of the layers that hold no parameters: softmax / log-softmax, argmax,
//! dropout and the losses. All differentiable through autograd.

pub(crate) mod conv;
mod loss;
mod pool;
mod softmax;

pub use loss::{bce_with_logits, cross_entropy, nll_loss};
pub use softmax::{log_softmax_backward, softmax_backward};

use rand::Rng;

use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

/// Inverted dropout: in training, keeps each element where `rate < U[0,1)` and scales the kept
/// ones by `1/(1 − rate)` (what PyTorch users expect; MiniTorch does not rescale); `rate = 1`
/// gives exact zeros, `rate = 0` the input unchanged. With `training = false` it is the identity.
/// The mask comes from `rng`, so a seeded generator reproduces a run.
///
/// ```
/// use simdgrad::{nn::functional::dropout, Tensor};
/// let x = Tensor::<f32>::ones(&[1000]).unwrap();
/// let y = dropout(&x, 0.25, true, &mut simdgrad::nn::init::seeded_rng(0)).unwrap().to_vec();
/// assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
/// let kept = y.iter().filter(|&&v| v != 0.0).count();
/// assert!((700..800).contains(&kept));
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] if `rate` is outside `[0, 1]`.
pub fn dropout<E: SimdElement, R: Rng + ?Sized>(
    x: &Tensor<E>,
    rate: f64,
    training: bool,
    rng: &mut R,
) -> Result<Tensor<E>> {
    if !(0.0..=1.0).contains(&rate) {
        return Err(Error::InvalidArgument {
            op: "dropout",
            message: format!("rate must be in [0, 1], got {rate}"),
        });
    }
    if !training || rate == 0.0 {
        return Ok(x.clone());
    }
    let scale = if rate >= 1.0 {
        E::ZERO
    } else {
        E::from_f64(1.0 / (1.0 - rate))
    };
    let mask: Vec<E> = (0..x.numel())
        .map(|_| {
            if rate < rng.r#gen::<f64>() {
                scale
            } else {
                E::ZERO
            }
        })
        .collect();
    x.mul(&Tensor::from_vec(mask, x.shape())?)
}

impl<E: SimdElement> Tensor<E> {
    /// A one-hot float mask of `self`'s shape with `1` at the first maximum along `dim`
    /// (MiniTorch's `argmax`; NaN counts as the maximum, as `max` propagates it). Not
    /// differentiable (a constant).
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::from_vec(vec![1.0, 3.0, 3.0, 0.0], &[2, 2]).unwrap();
    /// assert_eq!(x.argmax(1).unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
    /// ```
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`] for a bad dim.
    pub fn argmax(&self, dim: isize) -> Result<Tensor<E>> {
        let d = crate::shape::normalize_dim("argmax", dim, self.shape())?;
        let idx = self.argmax_indices(dim)?;
        let shape = self.shape().to_vec();
        let inner: usize = shape[d + 1..].iter().product();
        let n = shape[d];
        let mut out = vec![E::ZERO; self.numel()];
        for (slot, &i) in idx.iter().enumerate() {
            let (outer, inn) = (slot / inner.max(1), slot % inner.max(1));
            out[(outer * n + i) * inner + inn] = E::ONE;
        }
        Tensor::from_vec(out, &shape)
    }

    /// Index of the first maximum along `dim` for every slice, in row-major order of the other
    /// dims (PyTorch's `argmax(dim)` flattened). Empty slices are an error.
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`] for a bad dim, [`Error::InvalidArgument`] if `dim` has size 0.
    pub fn argmax_indices(&self, dim: isize) -> Result<Vec<usize>> {
        let d = crate::shape::normalize_dim("argmax", dim, self.shape())?;
        let shape = self.shape();
        let n = shape[d];
        if n == 0 {
            return Err(Error::InvalidArgument {
                op: "argmax",
                message: format!("dim {d} of shape {shape:?} is empty"),
            });
        }
        let inner: usize = shape[d + 1..].iter().product();
        let outer: usize = shape[..d].iter().product();
        let v = self.contiguous_for("argmax")?.to_vec();
        let mut out = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                let at = |k: usize| v[(o * n + k) * inner + i];
                let mut best = 0;
                for k in 1..n {
                    let (b, c) = (at(best), at(k));
                    if !b.is_nan() && (c > b || c.is_nan()) {
                        best = k;
                    }
                }
                out.push(best);
            }
        }
        Ok(out)
    }
}
