//! Optimisers: SGD (momentum, weight decay) and Adam / AdamW. They update parameters in place,
//! outside the autograd graph, from the gradients the last `backward` accumulated.

use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

/// Something that updates parameters from their gradients.
pub trait Optimizer<E: SimdElement> {
    /// One update of every parameter that has a gradient.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a parameter is not a contiguous leaf tensor.
    fn step(&mut self) -> Result<()>;
    /// Clears the gradients of every parameter.
    fn zero_grad(&self);
}

/// Runs `update(param, grad)` over the elements of `p` and its gradient, in place.
fn update_in_place<E: SimdElement>(
    p: &Tensor<E>,
    mut update: impl FnMut(&mut [E], &[E]),
) -> Result<bool> {
    let Some(g) = p.grad() else {
        return Ok(false);
    };
    if !p.is_contiguous() {
        return Err(Error::InvalidArgument {
            op: "optimizer step",
            message: format!(
                "parameters must be contiguous, got shape {:?} strides {:?}",
                p.shape(),
                p.strides()
            ),
        });
    }
    if g.shape() != p.shape() {
        return Err(Error::ShapeMismatch {
            op: "optimizer step: parameter vs gradient",
            lhs: p.shape().to_vec(),
            rhs: g.shape().to_vec(),
        });
    }
    let g = g.contiguous();
    let (go, n, po) = (g.offset(), p.numel(), p.offset());
    let g_data = g.storage().read();
    let grad = &g_data[go..go + n];
    let mut p_data = p.storage().write();
    update(&mut p_data[po..po + n], grad);
    Ok(true)
}

/// Stochastic gradient descent with optional momentum (PyTorch's formulation) and L2 weight
/// decay.
///
/// ```
/// use simdgrad::nn::optim::{Optimizer, Sgd};
/// use simdgrad::Tensor;
///
/// let w = Tensor::<f64>::from_vec(vec![1.0, -2.0], &[2]).unwrap().requires_grad_(true);
/// w.mul(&w).unwrap().sum_all().unwrap().backward().unwrap(); // grad = 2w
/// let mut opt = Sgd::new(vec![w.clone()], 0.1);
/// opt.step().unwrap();
/// assert_eq!(w.to_vec(), vec![0.8, -1.6]);
/// ```
pub struct Sgd<E: SimdElement> {
    params: Vec<Tensor<E>>,
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor (0 = plain SGD).
    pub momentum: f64,
    /// L2 penalty added to the gradient.
    pub weight_decay: f64,
    velocity: Vec<Option<Vec<E>>>,
}

impl<E: SimdElement> Sgd<E> {
    /// Plain SGD over `params` with learning rate `lr`.
    pub fn new(params: Vec<Tensor<E>>, lr: f64) -> Self {
        let velocity = vec![None; params.len()];
        Self {
            params,
            lr,
            momentum: 0.0,
            weight_decay: 0.0,
            velocity,
        }
    }

    /// Sets the momentum factor.
    pub fn with_momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Sets the weight decay.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<E: SimdElement> Optimizer<E> for Sgd<E> {
    fn step(&mut self) -> Result<()> {
        let lr = E::from_f64(self.lr);
        let wd = E::from_f64(self.weight_decay);
        let mu = E::from_f64(self.momentum);
        for (p, vel) in self.params.iter().zip(&mut self.velocity) {
            let momentum = self.momentum != 0.0;
            update_in_place(p, |w, g| {
                let v =
                    vel.get_or_insert_with(|| vec![E::ZERO; if momentum { w.len() } else { 0 }]);
                for i in 0..w.len() {
                    let mut d = g[i] + wd * w[i];
                    if momentum {
                        v[i] = mu * v[i] + d;
                        d = v[i];
                    }
                    w[i] -= lr * d;
                }
            })?;
        }
        Ok(())
    }

    fn zero_grad(&self) {
        self.params.iter().for_each(Tensor::zero_grad);
    }
}

/// Adam, and AdamW when `decoupled_weight_decay` is set (PyTorch's formulations, with bias
/// correction).
pub struct Adam<E: SimdElement> {
    params: Vec<Tensor<E>>,
    /// Learning rate.
    pub lr: f64,
    /// Exponential decay rates of the first and second moment estimates.
    pub betas: (f64, f64),
    /// Added to the denominator for stability.
    pub eps: f64,
    /// Weight decay: L2 (Adam) or decoupled (AdamW).
    pub weight_decay: f64,
    /// `true` for AdamW.
    pub decoupled_weight_decay: bool,
    step: u64,
    moments: Vec<Option<(Vec<E>, Vec<E>)>>,
}

impl<E: SimdElement> Adam<E> {
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay.
    pub fn new(params: Vec<Tensor<E>>, lr: f64) -> Self {
        let moments = vec![None; params.len()];
        Self {
            params,
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            step: 0,
            moments,
        }
    }

    /// AdamW with PyTorch's defaults (weight decay 0.01).
    pub fn adamw(params: Vec<Tensor<E>>, lr: f64) -> Self {
        Self {
            weight_decay: 0.01,
            decoupled_weight_decay: true,
            ..Self::new(params, lr)
        }
    }
}

impl<E: SimdElement> Optimizer<E> for Adam<E> {
    fn step(&mut self) -> Result<()> {
        self.step += 1;
        let (b1, b2) = self.betas;
        let t = self.step as i32;
        let (bc1, bc2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
        let (lr, eps, wd) = (self.lr, self.eps, self.weight_decay);
        let decoupled = self.decoupled_weight_decay;
        // PyTorch's arrangement of the bias corrections: one division and one square root per
        // element (dividing m and v by their corrections too took three divisions, and Adam's
        // step was 4% of LeNet training).
        let step_size = lr / bc1;
        let inv_sqrt_bc2 = 1.0 / bc2.sqrt();
        for (p, state) in self.params.iter().zip(&mut self.moments) {
            update_in_place(p, |w, g| {
                let (m, v) =
                    state.get_or_insert_with(|| (vec![E::ZERO; w.len()], vec![E::ZERO; w.len()]));
                for (((w, &g), m), v) in w.iter_mut().zip(g.iter()).zip(m).zip(v) {
                    let mut wi = w.to_f64();
                    let mut gi = g.to_f64();
                    if decoupled {
                        wi -= lr * wd * wi;
                    } else {
                        gi += wd * wi;
                    }
                    let mi = b1 * m.to_f64() + (1.0 - b1) * gi;
                    let vi = b2 * v.to_f64() + (1.0 - b2) * gi * gi;
                    *m = E::from_f64(mi);
                    *v = E::from_f64(vi);
                    wi -= step_size * mi / (vi.sqrt() * inv_sqrt_bc2 + eps);
                    *w = E::from_f64(wi);
                }
            })?;
        }
        Ok(())
    }

    fn zero_grad(&self) {
        self.params.iter().for_each(Tensor::zero_grad);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quadratic_loss(w: &Tensor<f64>) -> Tensor<f64> {
        // (w - 3)^2 summed: minimum at 3.
        let d = w.sub_scalar(3.0).unwrap();
        d.mul(&d).unwrap().sum_all().unwrap()
    }

    #[test]
    fn sgd_with_momentum_and_adam_converge_on_a_quadratic() {
        let make = || {
            Tensor::<f64>::from_vec(vec![0.0, 10.0], &[2])
                .unwrap()
                .requires_grad_(true)
        };
        let w1 = make();
        let mut sgd = Sgd::new(vec![w1.clone()], 0.05).with_momentum(0.9);
        let w2 = make();
        let mut adam = Adam::new(vec![w2.clone()], 0.2);
        for _ in 0..300 {
            for (w, opt) in [(&w1, &mut sgd as &mut dyn Optimizer<f64>), (&w2, &mut adam)] {
                opt.zero_grad();
                quadratic_loss(w).backward().unwrap();
                opt.step().unwrap();
            }
        }
        for w in [w1, w2] {
            for v in w.to_vec() {
                assert!((v - 3.0).abs() < 1e-3, "{v}");
            }
        }
    }

    #[test]
    fn adam_first_step_moves_each_weight_by_lr() {
        // With bias correction, Adam's first step is lr · g/|g| (up to eps).
        let w = Tensor::<f64>::from_vec(vec![1.0, -1.0], &[2])
            .unwrap()
            .requires_grad_(true);
        quadratic_loss(&w).backward().unwrap();
        let mut adam = Adam::new(vec![w.clone()], 0.1);
        adam.step().unwrap();
        let got = w.to_vec();
        assert!(
            (got[0] - 1.1).abs() < 1e-6 && (got[1] + 0.9).abs() < 1e-6,
            "{got:?}"
        );
    }

    #[test]
    fn adamw_decays_weights_without_gradient_scaling() {
        let w = Tensor::<f64>::from_vec(vec![3.0], &[1])
            .unwrap()
            .requires_grad_(true);
        quadratic_loss(&w).backward().unwrap(); // gradient 0 at the minimum
        let mut opt = Adam::adamw(vec![w.clone()], 0.1);
        opt.step().unwrap();
        assert!((w.to_vec()[0] - 3.0 * (1.0 - 0.1 * 0.01)).abs() < 1e-12);
    }
}
