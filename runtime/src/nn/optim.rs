//! Optimisers: SGD (momentum, weight decay) and Adam / AdamW. They update parameters in place,
//! outside the autograd graph, from the gradients the last `backward` accumulated.

use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

/// Something that updates parameters from their gradients.
pub trait Optimizer<E: SimdElement> {
    /// One update of every parameter that has a gradient (a parameter without one, such as a
    /// leaf that took no part in the last backward, is left as it is, as in PyTorch).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a hyper-parameter is out of its range (they are public
    /// fields, so they are checked at every step, before anything is updated) or a parameter
    /// is not a contiguous leaf tensor.
    fn step(&mut self) -> Result<()>;
    /// Clears the gradients of every parameter.
    fn zero_grad(&self);
}

/// `Err` naming the optimiser, the hyper-parameter and its accepted range unless `ok`.
fn check_hyper(op: &'static str, name: &str, value: f64, ok: bool, range: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            op,
            message: format!("{name} must be {range}, got {value}"),
        })
    }
}

/// [`check_hyper`] for the hyper-parameters that must be finite and `≥ 0`.
fn check_non_negative(op: &'static str, name: &str, value: f64) -> Result<()> {
    let ok = value.is_finite() && value >= 0.0;
    check_hyper(op, name, value, ok, "a finite number >= 0")
}

/// Checks that every parameter is a leaf and that those with a gradient are contiguous with a
/// gradient of their shape, so that a step fails before it has updated anything.
fn check_params<E: SimdElement>(op: &'static str, params: &[Tensor<E>]) -> Result<()> {
    for p in params {
        // A non-leaf never holds a gradient, so without this check it would be skipped
        // silently (PyTorch refuses to optimise one too).
        if !p.is_leaf() {
            return Err(Error::InvalidArgument {
                op,
                message: format!(
                    "parameters must be leaf tensors, got one of shape {:?} computed by `{}` \
                     (optimise the tensor it was computed from, or `detach()` it)",
                    p.shape(),
                    p.grad_fn_name().unwrap_or("?")
                ),
            });
        }
        let Some(g) = p.grad() else { continue };
        if !p.is_contiguous() {
            return Err(Error::InvalidArgument {
                op,
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
    }
    Ok(())
}

/// Runs `update(param, grad)` over the elements of `p` (checked by [`check_params`]) and its
/// gradient, in place; nothing if `p` has no gradient.
fn update_in_place<E: SimdElement>(p: &Tensor<E>, update: impl FnOnce(&mut [E], &[E])) {
    let Some(g) = p.grad() else { return };
    let g = g.contiguous();
    let (go, n, po) = (g.offset(), p.numel(), p.offset());
    let g_data = g.storage().read();
    let grad = &g_data[go..go + n];
    let mut p_data = p.storage().write();
    update(&mut p_data[po..po + n], grad);
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
///
/// opt.lr = f64::NAN; // hyper-parameters are checked at every step
/// assert!(opt.step().is_err());
/// ```
pub struct Sgd<E: SimdElement> {
    params: Vec<Tensor<E>>,
    /// Learning rate (finite, `≥ 0`).
    pub lr: f64,
    /// Momentum factor (finite, `≥ 0`; 0 = plain SGD). It may be changed between steps: a
    /// parameter's velocity starts at its first step with momentum.
    pub momentum: f64,
    /// L2 penalty added to the gradient (finite, `≥ 0`).
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
        const OP: &str = "Sgd::step";
        check_non_negative(OP, "lr", self.lr)?;
        check_non_negative(OP, "momentum", self.momentum)?;
        check_non_negative(OP, "weight_decay", self.weight_decay)?;
        let lr = E::from_f64(self.lr);
        let wd = E::from_f64(self.weight_decay);
        let mu = E::from_f64(self.momentum);
        let momentum = self.momentum != 0.0;
        check_params(OP, &self.params)?;
        for (p, vel) in self.params.iter().zip(&mut self.velocity) {
            update_in_place(p, |w, g| {
                if momentum {
                    let v = vel.get_or_insert_with(|| vec![E::ZERO; w.len()]);
                    for ((w, &g), v) in w.iter_mut().zip(g).zip(v.iter_mut()) {
                        *v = mu * *v + (g + wd * *w);
                        *w -= lr * *v;
                    }
                } else {
                    for (w, &g) in w.iter_mut().zip(g) {
                        *w -= lr * (g + wd * *w);
                    }
                }
            });
        }
        Ok(())
    }

    fn zero_grad(&self) {
        self.params.iter().for_each(Tensor::zero_grad);
    }
}

/// The op name of Adam's errors.
const ADAM_STEP: &str = "Adam::step";

/// Adam's state of one parameter: its own step count (PyTorch's per-parameter `step`, so a
/// step in which the parameter has no gradient does not advance its bias correction) and the
/// two moment estimates.
struct AdamState<E> {
    step: i32,
    m: Vec<E>,
    v: Vec<E>,
}

/// Adam, and AdamW when `decoupled_weight_decay` is set (PyTorch's formulations, with bias
/// correction).
///
/// ```
/// use simdgrad::nn::optim::{Adam, Optimizer};
/// use simdgrad::Tensor;
///
/// let w = Tensor::<f64>::from_vec(vec![1.0, -2.0], &[2]).unwrap().requires_grad_(true);
/// w.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
/// let mut opt = Adam::new(vec![w.clone()], 0.1);
/// opt.step().unwrap(); // the first step moves each weight by lr against its gradient's sign
/// assert!((w.to_vec()[0] - 0.9).abs() < 1e-6 && (w.to_vec()[1] + 1.9).abs() < 1e-6);
///
/// opt.betas = (1.0, 0.999); // a beta must lie in [0, 1)
/// assert!(opt.step().is_err());
/// ```
pub struct Adam<E: SimdElement> {
    params: Vec<Tensor<E>>,
    /// Learning rate (finite, `≥ 0`).
    pub lr: f64,
    /// Exponential decay rates of the first and second moment estimates, each in `[0, 1)`.
    pub betas: (f64, f64),
    /// Added to the denominator for stability (finite, `> 0`: with 0 a zero gradient gives
    /// `0 / 0`).
    pub eps: f64,
    /// Weight decay: L2 (Adam) or decoupled (AdamW) (finite, `≥ 0`).
    pub weight_decay: f64,
    /// `true` for AdamW.
    pub decoupled_weight_decay: bool,
    state: Vec<Option<AdamState<E>>>,
}

impl<E: SimdElement> Adam<E> {
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay.
    pub fn new(params: Vec<Tensor<E>>, lr: f64) -> Self {
        let state = params.iter().map(|_| None).collect();
        Self {
            params,
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            state,
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

    fn check_hyper_parameters(&self) -> Result<()> {
        check_non_negative(ADAM_STEP, "lr", self.lr)?;
        check_non_negative(ADAM_STEP, "weight_decay", self.weight_decay)?;
        let eps_ok = self.eps.is_finite() && self.eps > 0.0;
        check_hyper(ADAM_STEP, "eps", self.eps, eps_ok, "a finite number > 0")?;
        for (name, beta) in [("betas.0", self.betas.0), ("betas.1", self.betas.1)] {
            check_hyper(
                ADAM_STEP,
                name,
                beta,
                (0.0..1.0).contains(&beta),
                "in [0, 1)",
            )?;
        }
        Ok(())
    }
}

impl<E: SimdElement> Optimizer<E> for Adam<E> {
    fn step(&mut self) -> Result<()> {
        self.check_hyper_parameters()?;
        check_params(ADAM_STEP, &self.params)?;
        let (b1, b2) = self.betas;
        let (lr, eps, wd) = (self.lr, self.eps, self.weight_decay);
        let decoupled = self.decoupled_weight_decay;
        for (p, state) in self.params.iter().zip(&mut self.state) {
            update_in_place(p, |w, g| {
                let st = state.get_or_insert_with(|| AdamState {
                    step: 0,
                    m: vec![E::ZERO; w.len()],
                    v: vec![E::ZERO; w.len()],
                });
                st.step = st.step.saturating_add(1);
                let (bc1, bc2) = (1.0 - b1.powi(st.step), 1.0 - b2.powi(st.step));
                // PyTorch's arrangement of the bias corrections: one division and one square
                // root per element (dividing m and v by their corrections too took three
                // divisions, and Adam's step was 4% of LeNet training).
                let step_size = lr / bc1;
                let inv_sqrt_bc2 = 1.0 / bc2.sqrt();
                let moments = st.m.iter_mut().zip(st.v.iter_mut());
                for ((w, &g), (m, v)) in w.iter_mut().zip(g).zip(moments) {
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
            });
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

    /// `w = [1, -2]` with the gradient of `Σ w²` (that is, `2w`).
    fn weights_with_grad() -> Tensor<f64> {
        let w = Tensor::<f64>::from_vec(vec![1.0, -2.0], &[2])
            .unwrap()
            .requires_grad_(true);
        w.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
        w
    }

    #[test]
    fn sgd_momentum_can_be_switched_on_after_plain_steps() {
        let w = weights_with_grad();
        let mut opt = Sgd::new(vec![w.clone()], 0.1);
        opt.step().unwrap();
        assert_eq!(w.to_vec(), vec![0.8, -1.6]);
        opt.momentum = 0.9;
        for expected in [[0.64, -1.28], [0.368, -0.736]] {
            opt.zero_grad();
            w.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
            opt.step().unwrap();
            // First momentum step: v = g = 2w; second: v = 0.9·v + 2w.
            for (got, want) in w.to_vec().into_iter().zip(expected) {
                assert!((got - want).abs() < 1e-12, "{got} vs {want}");
            }
        }
    }

    /// Sets one hyper-parameter out of its range.
    type Spoil<T> = fn(&mut T);

    #[test]
    fn out_of_range_hyper_parameters_are_errors_and_update_nothing() {
        let sgd_cases: [(&str, Spoil<Sgd<f64>>); 5] = [
            ("lr", |o| o.lr = f64::NAN),
            ("lr", |o| o.lr = -0.1),
            ("momentum", |o| o.momentum = f64::INFINITY),
            ("momentum", |o| o.momentum = -0.5),
            ("weight_decay", |o| o.weight_decay = f64::NAN),
        ];
        for (name, spoil) in sgd_cases {
            let w = weights_with_grad();
            let mut opt = Sgd::new(vec![w.clone()], 0.1);
            spoil(&mut opt);
            let e = opt.step().unwrap_err().to_string();
            assert!(e.contains(name) && e.contains("Sgd::step"), "{e}");
            assert_eq!(w.to_vec(), vec![1.0, -2.0]);
        }
        let adam_cases: [(&str, Spoil<Adam<f64>>); 8] = [
            ("lr", |o| o.lr = f64::INFINITY),
            ("betas.0", |o| o.betas.0 = 1.0),
            ("betas.0", |o| o.betas.0 = -0.5),
            ("betas.1", |o| o.betas.1 = 1.5),
            ("betas.1", |o| o.betas.1 = f64::NAN),
            ("eps", |o| o.eps = 0.0),
            ("eps", |o| o.eps = -1e-8),
            ("weight_decay", |o| o.weight_decay = -0.01),
        ];
        for (name, spoil) in adam_cases {
            let w = weights_with_grad();
            let mut opt = Adam::new(vec![w.clone()], 0.1);
            spoil(&mut opt);
            let e = opt.step().unwrap_err().to_string();
            assert!(e.contains(name) && e.contains("Adam::step"), "{e}");
            assert_eq!(w.to_vec(), vec![1.0, -2.0]);
        }
    }

    #[test]
    fn a_non_leaf_parameter_is_an_error_and_nothing_is_updated() {
        let ok = weights_with_grad();
        let leaf = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2])
            .unwrap()
            .requires_grad_(true);
        let view = leaf.transpose(0, 1).unwrap();
        view.mul(&view)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let opts: [Box<dyn Optimizer<f64>>; 2] = [
            Box::new(Sgd::new(vec![ok.clone(), view.clone()], 0.1)),
            Box::new(Adam::new(vec![ok.clone(), view.clone()], 0.1)),
        ];
        for mut opt in opts {
            let e = opt.step().unwrap_err().to_string();
            assert!(e.contains("leaf") && e.contains("[2, 2]"), "{e}");
            assert_eq!(ok.to_vec(), vec![1.0, -2.0]);
            assert_eq!(leaf.to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
        }
    }

    #[test]
    fn adam_counts_steps_per_parameter_when_it_has_a_gradient() {
        // A step before any backward updates nothing, so it must not advance the bias
        // correction: both runs end bit for bit at the same weights.
        let run = |early_step: bool| {
            let w = Tensor::<f64>::from_vec(vec![1.0, -2.0], &[2])
                .unwrap()
                .requires_grad_(true);
            let mut opt = Adam::new(vec![w.clone()], 0.1);
            if early_step {
                opt.step().unwrap();
            }
            for _ in 0..3 {
                opt.zero_grad();
                w.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
                opt.step().unwrap();
            }
            w.to_vec()
        };
        assert_eq!(run(true), run(false));
    }
}
