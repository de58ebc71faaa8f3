//! [`check_grads`]: compares the gradients autograd computes with central finite differences,
//! in `f64`, and reports the first element where they disagree.

use core::fmt;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::autograd::no_grad;
use crate::autograd::view_backward::is_non_overlapping;
use crate::tensor::Storage;
use crate::{Error, Result, Tensor};

/// Settings of [`check_grads`].
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheckOptions {
    /// Relative finite-difference step: element `x` is moved by `±eps · max(1, |x|)`.
    pub eps: f64,
    /// Relative tolerance: the check passes where `|analytic − numeric| ≤ atol + rtol ·
    /// max(|analytic|, |numeric|)`.
    pub rtol: f64,
    /// Absolute tolerance (covers gradients that are zero up to rounding).
    pub atol: f64,
    /// Inputs with at most this many elements are checked element by element; larger ones
    /// along [`GradCheckOptions::directions`] random directions.
    pub max_elements_for_full_check: usize,
    /// Number of random directions per large input.
    pub directions: usize,
    /// Compare the gradients of `sum(f(x) · w)` for a fixed random `w` (true, the default)
    /// rather than of `sum(f(x))`. A random projection weighs every output element
    /// differently, so a backward that moves gradients to the wrong output position (a
    /// scrambled view, a transposed index) fails the check; with `sum` every upstream
    /// gradient is 1 and such bugs are invisible.
    pub random_projection: bool,
    /// Seed of the projection weights and the random directions.
    pub seed: u64,
}

impl Default for GradCheckOptions {
    /// `eps = 1e-6`, `rtol = 1e-6`, `atol = 1e-7`, full checks up to 4096 elements, 8
    /// directions beyond, random projection on, seed 0.
    fn default() -> Self {
        Self {
            eps: 1e-6,
            rtol: 1e-6,
            atol: 1e-7,
            max_elements_for_full_check: 4096,
            directions: 8,
            random_projection: true,
            seed: 0,
        }
    }
}

/// Where a gradient check failed: one element, or one random direction of a large input.
#[derive(Clone, Debug, PartialEq)]
pub enum Location {
    /// The multi-index of the element.
    Index(Vec<usize>),
    /// The number of the random direction (directional derivatives are compared).
    Direction(usize),
}

/// Why [`check_grads`] failed.
#[derive(Clone, Debug, PartialEq)]
pub enum GradCheckFailure {
    /// An analytic gradient disagrees with its finite-difference estimate.
    Mismatch {
        /// Position of the input in the `inputs` slice.
        argument: usize,
        /// The input's shape.
        shape: Vec<usize>,
        /// The element (or direction) compared.
        location: Location,
        /// The gradient from backward.
        analytic: f64,
        /// The central-difference estimate.
        numeric: f64,
        /// `|analytic − numeric| / max(|analytic|, |numeric|)`.
        relative_error: f64,
    },
    /// `f` or the backward pass returned an error, or `f` returned differently shaped outputs
    /// for perturbed inputs.
    Error(Error),
}

impl From<Error> for GradCheckFailure {
    fn from(e: Error) -> Self {
        GradCheckFailure::Error(e)
    }
}

impl fmt::Display for GradCheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GradCheckFailure::Mismatch {
                argument,
                shape,
                location,
                analytic,
                numeric,
                relative_error,
            } => {
                write!(f, "check_grads: argument {argument} (shape {shape:?}) ")?;
                match location {
                    Location::Index(index) => write!(f, "at index {index:?}")?,
                    Location::Direction(d) => write!(f, "along random direction {d}")?,
                }
                write!(
                    f,
                    ": analytic gradient {analytic:e} vs numeric {numeric:e} \
                     (relative error {relative_error:.3e})"
                )
            }
            GradCheckFailure::Error(e) => write!(f, "check_grads: {e}"),
        }
    }
}

impl std::error::Error for GradCheckFailure {}

/// Checks the gradients autograd computes for `f` at `inputs` against central finite
/// differences, all in `f64`.
///
/// Every input is copied to a fresh leaf that requires grad (keeping its strides, so a
/// permuted input reaches `f` permuted), `y = f(inputs)` is computed, and backward is run
/// from `L = sum(y · w)` (see [`GradCheckOptions::random_projection`]). Each analytic
/// gradient element is then compared with `(L(x + h) − L(x − h)) / 2h`, where only that
/// element is moved, in a fresh copy of the input (views sharing storage are never perturbed
/// in place). Inputs larger than [`GradCheckOptions::max_elements_for_full_check`] are
/// compared along random directions `v` instead: `⟨grad, v⟩` against
/// `(L(x + hv) − L(x − hv)) / 2h`. The finite differences are summed as `Σ (y₊ − y₋)·w`
/// with compensated summation, so output elements that do not move add no rounding noise.
///
/// ```
/// use simdgrad::check_grads::{check_grads, GradCheckOptions};
/// use simdgrad::Tensor;
///
/// let a = Tensor::<f64>::randn_seeded(&[3, 4], 1).unwrap();
/// let b = Tensor::<f64>::randn_seeded(&[3, 5], 2).unwrap();
/// // aᵀ·b, with a transposed view as input to matmul.
/// let f = |x: &[Tensor<f64>]| x[0].transpose(0, 1)?.matmul(&x[1]);
/// check_grads(f, &[a.clone(), b.clone()], GradCheckOptions::default()).unwrap();
///
/// // A wrong derivative is caught and located: `detach` hides `a` from autograd.
/// let wrong = |x: &[Tensor<f64>]| x[0].detach().transpose(0, 1)?.matmul(&x[1]);
/// let err = check_grads(wrong, &[a, b], GradCheckOptions::default()).unwrap_err();
/// assert!(err.to_string().starts_with("check_grads: argument 0 (shape [3, 4]) at index [0, 0]"));
/// ```
///
/// # Errors
/// [`GradCheckFailure::Mismatch`] for the first element (or direction) out of tolerance;
/// [`GradCheckFailure::Error`] if `f` or backward fails, or with [`Error::InvalidArgument`] for
/// options that cannot check anything (`eps` not finite and positive, a tolerance negative or
/// not finite, no `directions`).
pub fn check_grads<F>(
    f: F,
    inputs: &[Tensor<f64>],
    options: GradCheckOptions,
) -> Result<(), GradCheckFailure>
where
    F: Fn(&[Tensor<f64>]) -> Result<Tensor<f64>>,
{
    check_grads_of(&f, inputs, options)
}

/// Options under which a check would fail spuriously (a NaN difference quotient) or pass
/// vacuously (no direction checked) are errors.
fn check_options(o: &GradCheckOptions) -> Result<()> {
    let bad = if !(o.eps.is_finite() && o.eps > 0.0) {
        Some(format!("eps must be finite and > 0, got {}", o.eps))
    } else if !(o.rtol.is_finite() && o.rtol >= 0.0 && o.atol.is_finite() && o.atol >= 0.0) {
        Some(format!(
            "rtol and atol must be finite and >= 0, got {} and {}",
            o.rtol, o.atol
        ))
    } else if o.directions == 0 {
        Some("directions must be at least 1 (inputs above max_elements_for_full_check are checked along them)".to_owned())
    } else {
        None
    };
    bad.map_or(Ok(()), |message| {
        Err(Error::InvalidArgument {
            op: "check_grads",
            message,
        })
    })
}

/// The function under test, behind a pointer: [`check_grads`]'s body is compiled once, in this
/// crate, instead of once per closure in every test crate (it was 4.5% of the integration
/// tests' LLVM IR, one copy per call site).
type Fun<'a> = &'a dyn Fn(&[Tensor<f64>]) -> Result<Tensor<f64>>;

fn check_grads_of(
    f: Fun<'_>,
    inputs: &[Tensor<f64>],
    options: GradCheckOptions,
) -> Result<(), GradCheckFailure> {
    check_options(&options)?;
    // Analytic gradients.
    let leaves: Vec<Tensor<f64>> = inputs
        .iter()
        .map(|x| fresh_copy(x, None).map(|t| t.requires_grad_(true)))
        .collect::<Result<_>>()?;
    let y = f(&leaves)?;
    let w = if options.random_projection {
        Tensor::<f64>::randn_seeded(y.shape(), options.seed)?
    } else {
        Tensor::<f64>::ones(y.shape())?
    };
    if y.requires_grad() {
        y.backward_with(&w)?;
    }
    let w = w.to_vec();
    let out_shape = y.shape().to_vec();
    drop(y);

    // Finite differences, without recording graphs.
    no_grad(|| {
        let bases: Vec<Tensor<f64>> = inputs
            .iter()
            .map(|x| fresh_copy(x, None))
            .collect::<Result<_>>()?;
        let eval_loss_diff = |arg: usize, plus: Tensor<f64>, minus: Tensor<f64>| -> Result<f64> {
            let mut args = bases.clone();
            args[arg] = plus;
            let yp = checked_eval(f, &args, &out_shape)?;
            args[arg] = minus;
            let ym = checked_eval(f, &args, &out_shape)?;
            Ok(compensated_sum(
                yp.iter().zip(&ym).zip(&w).map(|((p, m), w)| (p - m) * w),
            ))
        };
        for (arg, (x, leaf)) in inputs.iter().zip(&leaves).enumerate() {
            let n = x.numel();
            if n == 0 {
                continue;
            }
            let grad = leaf
                .grad()
                .map(|g| g.to_vec())
                .unwrap_or_else(|| vec![0.0; n]);
            let values = x.to_vec();
            let mismatch = |location: Location, analytic: f64, numeric: f64| {
                let scale = analytic.abs().max(numeric.abs());
                let diff = (analytic - numeric).abs();
                // Written so that a NaN on either side fails the check.
                let within = diff <= options.atol + options.rtol * scale;
                if !within {
                    return Some(GradCheckFailure::Mismatch {
                        argument: arg,
                        shape: x.shape().to_vec(),
                        location,
                        analytic,
                        numeric,
                        relative_error: if scale > 0.0 { diff / scale } else { diff },
                    });
                }
                None
            };
            if n <= options.max_elements_for_full_check {
                for (j, &v) in values.iter().enumerate() {
                    let h = options.eps * v.abs().max(1.0);
                    let (vp, vm) = (v + h, v - h);
                    let index = x.layout().index_of(j)?;
                    let plus = fresh_copy(x, Some(&|t: &Tensor<f64>| t.set(&index, vp)))?;
                    let minus = fresh_copy(x, Some(&|t: &Tensor<f64>| t.set(&index, vm)))?;
                    let numeric = eval_loss_diff(arg, plus, minus)? / (vp - vm);
                    if let Some(fail) = mismatch(Location::Index(index), grad[j], numeric) {
                        return Err(fail);
                    }
                }
            } else {
                let scale = values.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                let h = options.eps * scale;
                for d in 0..options.directions {
                    let seed = options.seed
                        ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(1 + (arg * 1031 + d) as u64));
                    let dir =
                        Tensor::<f64>::randn(x.shape(), &mut StdRng::seed_from_u64(seed))?.to_vec();
                    let moved = |sign: f64| -> Result<Tensor<f64>> {
                        let data: Vec<f64> = values
                            .iter()
                            .zip(&dir)
                            .map(|(v, u)| v + sign * h * u)
                            .collect();
                        let moved = Tensor::from_vec(data, x.shape())?;
                        fresh_copy(x, Some(&|t: &Tensor<f64>| copy_logical(t, &moved)))
                    };
                    let numeric = eval_loss_diff(arg, moved(1.0)?, moved(-1.0)?)? / (2.0 * h);
                    let analytic = compensated_sum(grad.iter().zip(&dir).map(|(g, u)| g * u));
                    if let Some(fail) = mismatch(Location::Direction(d), analytic, numeric) {
                        return Err(fail);
                    }
                }
            }
        }
        Ok(())
    })
}

/// `f(args)` as a vector, checking that its shape is the one of the unperturbed evaluation.
fn checked_eval(f: Fun<'_>, args: &[Tensor<f64>], shape: &[usize]) -> Result<Vec<f64>> {
    let y = f(args)?;
    if y.shape() != shape {
        return Err(Error::ShapeMismatch {
            op: "check_grads (f returned a different shape for perturbed inputs)",
            lhs: y.shape().to_vec(),
            rhs: shape.to_vec(),
        });
    }
    Ok(y.to_vec())
}

/// An in-place change applied to a fresh copy (one perturbed element, a moved input).
type Edit<'a> = &'a dyn Fn(&Tensor<f64>) -> Result<()>;

/// A copy of `x` in fresh storage, with `x`'s strides when its elements do not overlap (so
/// `f` sees the same layout), else contiguous; then `edit` is applied to it.
fn fresh_copy(x: &Tensor<f64>, edit: Option<Edit<'_>>) -> Result<Tensor<f64>> {
    let t = if is_non_overlapping(x.layout()) {
        let data = x.storage().read().clone();
        Tensor::from_parts(Arc::new(Storage::new(data)), x.layout().clone())
    } else {
        Tensor::from_vec(x.to_vec(), x.shape())?
    };
    if let Some(edit) = edit {
        edit(&t)?;
    }
    Ok(t)
}

/// Writes `src`'s elements into `dst` in logical order (same shapes).
fn copy_logical(dst: &Tensor<f64>, src: &Tensor<f64>) -> Result<()> {
    let values = src.to_vec();
    let mut data = dst.storage().write();
    for (p, v) in dst.layout().positions().zip(values) {
        data[p] = v;
    }
    Ok(())
}

/// Neumaier's compensated sum.
fn compensated_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            comp += (sum - t) + v;
        } else {
            comp += (v - t) + sum;
        }
        sum = t;
    }
    sum + comp
}
