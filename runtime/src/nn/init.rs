//! Parameter initialisers: uniform, Kaiming- and Xavier-uniform, MiniTorch's `RParam`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::{Element, Error, Result, Tensor};

/// A seeded random generator, for reproducible initialisation.
pub fn seeded_rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Values uniform in `[low, high)`.
///
/// # Errors
/// [`Error::InvalidArgument`] if `low > high` or either is not finite in `E`; shape errors as
/// [`Tensor::zeros`].
pub fn uniform<E: Element, R: Rng + ?Sized>(
    shape: &[usize],
    low: f64,
    high: f64,
    rng: &mut R,
) -> Result<Tensor<E>> {
    let finite_in_e = |b: f64| E::from_f64(b).to_f64().is_finite();
    if !(finite_in_e(low) && finite_in_e(high) && low <= high) {
        return Err(Error::InvalidArgument {
            op: "init::uniform",
            message: format!(
                "bounds must be finite {} numbers with low <= high, got [{low}, {high})",
                E::DTYPE
            ),
        });
    }
    let u = Tensor::<f64>::rand(shape, rng)?;
    let width = high - low;
    // Bounds of opposite signs near f64::MAX overflow the width; the weighted form cannot.
    let lerp = |v: f64| {
        if width.is_finite() {
            low + width * v
        } else {
            low * (1.0 - v) + high * v
        }
    };
    let data = u
        .to_vec()
        .into_iter()
        .map(|v| E::from_f64(lerp(v)))
        .collect();
    Tensor::from_vec(data, shape)
}

/// `(fan_in, fan_out)` of a weight: `(in, out)` for a 2-D `(out, in)` weight; for a conv
/// weight `(out, in, k...)` both are multiplied by the kernel's size.
fn fans(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(Error::InvalidArgument {
            op: "init",
            message: format!("fan-based initialisation needs a weight of >= 2 dims, got {shape:?}"),
        });
    }
    crate::shape::checked_numel(shape)?;
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

/// Kaiming (He) uniform for ReLU networks: `U(±sqrt(6 / fan_in))`.
///
/// # Errors
/// As [`uniform`]; also if the shape has fewer than 2 dims.
pub fn kaiming_uniform<E: Element, R: Rng + ?Sized>(
    shape: &[usize],
    rng: &mut R,
) -> Result<Tensor<E>> {
    let (fan_in, _) = fans(shape)?;
    let bound = (6.0 / fan_in.max(1) as f64).sqrt();
    uniform(shape, -bound, bound, rng)
}

/// Xavier (Glorot) uniform: `U(±sqrt(6 / (fan_in + fan_out)))`.
///
/// # Errors
/// As [`kaiming_uniform`].
pub fn xavier_uniform<E: Element, R: Rng + ?Sized>(
    shape: &[usize],
    rng: &mut R,
) -> Result<Tensor<E>> {
    let (fan_in, fan_out) = fans(shape)?;
    let bound = (6.0 / (fan_in as f64 + fan_out as f64).max(1.0)).sqrt();
    uniform(shape, -bound, bound, rng)
}

/// MiniTorch's `RParam`: `0.1 · (U[0,1) − 0.5)`, i.e. uniform in `[−0.05, 0.05)`.
///
/// # Errors
/// As [`uniform`].
pub fn minitorch_uniform<E: Element, R: Rng + ?Sized>(
    shape: &[usize],
    rng: &mut R,
) -> Result<Tensor<E>> {
    uniform(shape, -0.05, 0.05, rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initialisers_respect_their_bounds_and_seed() {
        let mut rng = seeded_rng(7);
        let w = kaiming_uniform::<f64, _>(&[16, 8, 3, 3], &mut rng).unwrap();
        let bound = (6.0f64 / 72.0).sqrt();
        assert!(w.to_vec().iter().all(|v| v.abs() <= bound));
        let x = xavier_uniform::<f32, _>(&[10, 20], &mut rng).unwrap();
        assert!(x
            .to_vec()
            .iter()
            .all(|v| (v.abs() as f64) <= (6.0f64 / 30.0).sqrt()));
        let a = minitorch_uniform::<f64, _>(&[5], &mut seeded_rng(1))
            .unwrap()
            .to_vec();
        let b = minitorch_uniform::<f64, _>(&[5], &mut seeded_rng(1))
            .unwrap()
            .to_vec();
        assert_eq!(a, b);
        assert!(a.iter().all(|v| (-0.05..0.05).contains(v)));
        assert!(kaiming_uniform::<f32, _>(&[3], &mut rng).is_err());
        assert!(uniform::<f32, _>(&[3], 1.0, 0.0, &mut rng).is_err());
    }

    #[test]
    fn overflowing_shapes_and_bounds_are_errors_or_finite() {
        let mut rng = seeded_rng(3);
        assert!(kaiming_uniform::<f32, _>(&[1, usize::MAX, 2], &mut rng).is_err());
        assert!(xavier_uniform::<f32, _>(&[1 << 63, 1 << 63], &mut rng).is_err());
        // The width 2·f64::MAX overflows; every value must still lie within the bounds.
        let w = uniform::<f64, _>(&[64], -f64::MAX, f64::MAX, &mut rng).unwrap();
        assert!(w.to_vec().iter().all(|v| v.is_finite()), "{:?}", w.to_vec());
        // Bounds beyond f32's range would give infinite f32 weights.
        let e = uniform::<f32, _>(&[3], -1e300, 1e300, &mut rng)
            .unwrap_err()
            .to_string();
        assert!(e.contains("finite float32"), "{e}");
    }
}
