//! The "plain loop" baseline: the idiomatic contiguous Rust loop a user would write by hand.
//!
//! Iterator chains over slices with std math (`f32::exp`, `f32::tanh`, `f32::max`), compiled for
//! the default target (no `target-cpu`), so whatever the autovectoriser makes of them is what a
//! user gets. Reductions use `iter().sum()` and `fold`, which keep strict left-to-right order and
//! therefore stay scalar; the dim-0 reductions accumulate row by row into the output row, which
//! the autovectoriser does handle.

use super::{check_len, scalar};
use simdgrad::{Error, Result};

fn map(op: &'static str, x: &[f32], out: &mut [f32], f: impl Fn(f32) -> f32) -> Result<()> {
    check_len(op, "output", x.len(), out.len())?;
    out.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x));
    Ok(())
}

fn zip(
    op: &'static str,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
    f: impl Fn(f32, f32) -> f32,
) -> Result<()> {
    check_len(op, "b", a.len(), b.len())?;
    check_len(op, "output", a.len(), out.len())?;
    out.iter_mut()
        .zip(a.iter().zip(b))
        .for_each(|(o, (&a, &b))| *o = f(a, b));
    Ok(())
}

/// `out[i] = max(x[i], 0)`.
///
/// # Errors
/// [`simdgrad::Error::LengthMismatch`] if the slices differ in length (likewise below).
pub fn relu(x: &[f32], out: &mut [f32]) -> Result<()> {
    map("plain::relu", x, out, scalar::relu)
}

/// `out[i] = e^x[i]`.
///
/// # Errors
/// As [`relu`].
pub fn exp(x: &[f32], out: &mut [f32]) -> Result<()> {
    map("plain::exp", x, out, scalar::exp)
}

/// `out[i] = 1 / (1 + e^-x[i])`.
///
/// # Errors
/// As [`relu`].
pub fn sigmoid(x: &[f32], out: &mut [f32]) -> Result<()> {
    map("plain::sigmoid", x, out, scalar::sigmoid)
}

/// `out[i] = tanh(x[i])`.
///
/// # Errors
/// As [`relu`].
pub fn tanh(x: &[f32], out: &mut [f32]) -> Result<()> {
    map("plain::tanh", x, out, scalar::tanh)
}

/// GELU, tanh approximation.
///
/// # Errors
/// As [`relu`].
pub fn gelu(x: &[f32], out: &mut [f32]) -> Result<()> {
    map("plain::gelu", x, out, scalar::gelu)
}

/// `out[i] = a[i] + b[i]`.
///
/// # Errors
/// As [`relu`].
pub fn add(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    zip("plain::add", a, b, out, scalar::add)
}

/// `out[i] = a[i] · b[i]`.
///
/// # Errors
/// As [`relu`].
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    zip("plain::mul", a, b, out, scalar::mul)
}

/// `x.iter().sum()`.
pub fn sum(x: &[f32]) -> f32 {
    x.iter().sum()
}

/// `x.iter().fold(-inf, f32::max)`.
pub fn max(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

fn rows(
    op: &'static str,
    x: &[f32],
    cols: usize,
    out: &mut [f32],
    f: impl Fn(&[f32]) -> f32,
) -> Result<()> {
    check_len(op, "input", out.len() * cols, x.len())?;
    if cols == 0 {
        out.iter_mut().for_each(|o| *o = f(&[]));
        return Ok(());
    }
    out.iter_mut()
        .zip(x.chunks_exact(cols))
        .for_each(|(o, row)| *o = f(row));
    Ok(())
}

/// Sum over the last dim of a row-major `[out.len(), cols]` matrix: `out[r] = Σ_c x[r, c]`.
///
/// # Errors
/// [`simdgrad::Error::LengthMismatch`] if `x.len() != out.len() · cols` (likewise below).
pub fn sum_last(x: &[f32], cols: usize, out: &mut [f32]) -> Result<()> {
    rows("plain::sum_last", x, cols, out, sum)
}

/// Max over the last dim of a row-major `[out.len(), cols]` matrix.
///
/// # Errors
/// As [`sum_last`].
pub fn max_last(x: &[f32], cols: usize, out: &mut [f32]) -> Result<()> {
    rows("plain::max_last", x, cols, out, max)
}

fn dim0(
    op: &'static str,
    x: &[f32],
    out: &mut [f32],
    identity: f32,
    f: impl Fn(f32, f32) -> f32,
) -> Result<()> {
    let cols = out.len();
    if x.len().checked_rem(cols) != Some(0) {
        if cols == 0 && x.is_empty() {
            return Ok(());
        }
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "an input of {} elements is not a whole number of rows of {cols}",
                x.len()
            ),
        });
    }
    out.fill(identity);
    for row in x.chunks_exact(cols) {
        out.iter_mut().zip(row).for_each(|(o, &v)| *o = f(*o, v));
    }
    Ok(())
}

/// Sum over the first dim of a row-major `[rows, out.len()]` matrix, row by row into `out`.
///
/// # Errors
/// As [`sum_last`], if `x.len()` is not a multiple of `out.len()`.
pub fn sum_dim0(x: &[f32], out: &mut [f32]) -> Result<()> {
    dim0("plain::sum_dim0", x, out, 0.0, scalar::add)
}

/// Max over the first dim of a row-major `[rows, out.len()]` matrix, row by row into `out`.
///
/// # Errors
/// As [`sum_dim0`].
pub fn max_dim0(x: &[f32], out: &mut [f32]) -> Result<()> {
    dim0("plain::max_dim0", x, out, f32::NEG_INFINITY, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_apply_the_scalar_formula() {
        let x = [-2.0, -0.5, 0.0, 0.5, 2.0];
        let mut out = [0.0; 5];
        relu(&x, &mut out).unwrap();
        assert_eq!(out, [0.0, 0.0, 0.0, 0.5, 2.0]);
        sigmoid(&x, &mut out).unwrap();
        assert_eq!(out[2], 0.5);
        gelu(&x, &mut out).unwrap();
        assert!((out[4] - 1.954_597_7).abs() < 1e-5, "{}", out[4]);
    }

    #[test]
    fn zips_combine_elementwise() {
        let mut out = [0.0; 3];
        add(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], &mut out).unwrap();
        assert_eq!(out, [5.0, 7.0, 9.0]);
        mul(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], &mut out).unwrap();
        assert_eq!(out, [4.0, 10.0, 18.0]);
    }

    #[test]
    fn mismatched_lengths_are_errors() {
        let mut out = [0.0; 2];
        assert!(relu(&[1.0; 3], &mut out).is_err());
        assert!(add(&[1.0; 2], &[1.0; 3], &mut out).is_err());
        assert!(sum_last(&[1.0; 5], 2, &mut out).is_err());
        assert!(sum_dim0(&[1.0; 5], &mut out).is_err());
    }

    #[test]
    fn reductions_over_either_dim_of_a_matrix() {
        let x = [1.0, 5.0, 3.0, 4.0, 2.0, 6.0];
        let mut r = [0.0; 2];
        sum_last(&x, 3, &mut r).unwrap();
        assert_eq!(r, [9.0, 12.0]);
        max_last(&x, 3, &mut r).unwrap();
        assert_eq!(r, [5.0, 6.0]);
        let mut c = [0.0; 3];
        sum_dim0(&x, &mut c).unwrap();
        assert_eq!(c, [5.0, 7.0, 9.0]);
        max_dim0(&x, &mut c).unwrap();
        assert_eq!(c, [4.0, 5.0, 6.0]);
    }
}
