//! Losses: negative log-likelihood, cross-entropy from logits (fused with log-softmax) and
//! binary cross-entropy with logits (a DSL op, so its gradient is derived by the macro).

use crate::autograd;
use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

use super::softmax::{forward_raw, Kind};

fn check_targets(op: &'static str, scores: &[usize], targets: &[usize]) -> Result<(usize, usize)> {
    if scores.len() != 2 {
        return Err(Error::InvalidArgument {
            op,
            message: format!("expects (batch, classes) scores, got shape {scores:?}"),
        });
    }
    let (b, c) = (scores[0], scores[1]);
    if targets.len() != b {
        return Err(Error::LengthMismatch {
            op,
            what: "targets",
            expected: b,
            got: targets.len(),
        });
    }
    if let Some((i, &t)) = targets.iter().enumerate().find(|&(_, &t)| t >= c) {
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "target {t} at position {i} is out of range for {c} classes (scores {scores:?})"
            ),
        });
    }
    Ok((b, c))
}

/// Mean negative log-likelihood of `targets` under log-probabilities `log_probs` of shape
/// `(batch, classes)` — pair it with `log_softmax(1)` as MiniTorch's MNIST network does. The
/// mean over an empty batch is NaN, as in PyTorch.
///
/// # Errors
/// Shape errors naming the shapes; a target out of range.
pub fn nll_loss<E: SimdElement>(log_probs: &Tensor<E>, targets: &[usize]) -> Result<Tensor<E>> {
    let (b, c) = check_targets("nll_loss", log_probs.shape(), targets)?;
    // Pick the target entries instead of multiplying by a one-hot mask: a `-inf` in another
    // class would give `-inf · 0 = NaN` there (PyTorch reads only the target, and so do we).
    let lp = log_probs.contiguous_for("nll_loss")?.to_vec();
    let total: f64 = targets
        .iter()
        .enumerate()
        .map(|(i, &t)| -lp[i * c + t].to_f64())
        .sum();
    // An empty batch gives 0/0 = NaN, as PyTorch's mean reduction does.
    let loss = Tensor::scalar(E::from_f64(total / b as f64));
    let targets = targets.to_vec();
    Ok(autograd::record("nll_loss", loss, &[log_probs], move |g| {
        let s = E::from_f64(-g.item()?.to_f64() / b.max(1) as f64);
        let mut grad = vec![E::ZERO; b * c];
        for (i, &t) in targets.iter().enumerate() {
            grad[i * c + t] = s;
        }
        Ok(vec![Some(Tensor::from_vec(grad, &[b, c])?)])
    }))
}

/// Cross-entropy of `targets` given raw `logits` `(batch, classes)`, fused with log-softmax:
/// forward `mean_i(−log_softmax(logits)[i, t_i])`, backward `(softmax − onehot) / batch` in one
/// pass, without materialising the log-softmax graph. The mean over an empty batch is NaN, as
/// in PyTorch.
///
/// ```
/// use simdgrad::{nn::functional::cross_entropy, Tensor};
/// let logits = Tensor::<f64>::from_vec(vec![2.0, 0.0, 0.0, 2.0], &[2, 2]).unwrap();
/// let loss = cross_entropy(&logits, &[0, 1]).unwrap().item().unwrap();
/// assert!((loss - (1.0 + (-2.0f64).exp()).ln()).abs() < 1e-12);
/// ```
///
/// # Errors
/// Shape errors naming the shapes; a target out of range.
pub fn cross_entropy<E: SimdElement>(logits: &Tensor<E>, targets: &[usize]) -> Result<Tensor<E>> {
    let (b, c) = check_targets("cross_entropy", logits.shape(), targets)?;
    let logp = forward_raw(logits, 1, Kind::LogSoftmax)?.contiguous();
    let lp = logp.to_vec();
    let mut total = 0.0f64;
    for (i, &t) in targets.iter().enumerate() {
        total -= lp[i * c + t].to_f64();
    }
    // An empty batch gives 0/0 = NaN, as PyTorch's mean reduction does.
    let loss = Tensor::scalar(E::from_f64(total / b as f64));
    let targets = targets.to_vec();
    Ok(autograd::record(
        "cross_entropy",
        loss,
        &[logits],
        move |g| {
            let scale = g.item()?.to_f64() / b.max(1) as f64;
            let mut grad: Vec<E> = lp
                .iter()
                .map(|&v| <E as crate::simd::ScalarMath>::exp(v))
                .collect();
            for (i, &t) in targets.iter().enumerate() {
                grad[i * c + t] -= E::ONE;
            }
            let s = E::from_f64(scale);
            grad.iter_mut().for_each(|v| *v *= s);
            Ok(vec![Some(Tensor::from_vec(grad, &[b, c])?)])
        },
    ))
}

/// `max(x, 0) − x·t + ln(1 + e^(−|x|))`, written per sign so the derivative is exact at 0
/// (`sigmoid(x) − t`); the macro derives it.
#[simdgrad_macros::zip]
pub(crate) fn bce_logits(x: f32, t: f32) -> f32 {
    if x > 0.0 {
        x - x * t + log1p(exp(-x))
    } else {
        log1p(exp(x)) - x * t
    }
}

/// Mean binary cross-entropy between `sigmoid(logits)` and `targets` (same shape, values in
/// [0, 1]), computed stably from the logits as PyTorch's `BCEWithLogitsLoss`.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the shapes differ.
pub fn bce_with_logits<E: SimdElement>(
    logits: &Tensor<E>,
    targets: &Tensor<E>,
) -> Result<Tensor<E>> {
    if logits.shape() != targets.shape() {
        return Err(Error::ShapeMismatch {
            op: "bce_with_logits",
            lhs: logits.shape().to_vec(),
            rhs: targets.shape().to_vec(),
        });
    }
    logits.zip(targets, BceLogits)?.mean_all()
}
