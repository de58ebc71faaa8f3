//! The benchmark ops, declared with the kernel DSL from outside simdgrad, as a user's crate
//! would, plus the two reduction paths the benchmarks time for them.
//!
//! Names carry a `bench_` prefix so no op shadows the DSL builtin it calls (`relu`, `exp`, …);
//! the generated kernel types are `BenchRelu`, `BenchAdd`, `BenchSum`, ….

use simdgrad::kernel::ReduceKernel;
use simdgrad::{Error, Result};

/// `max(0, x)`.
#[simdgrad::map]
pub fn bench_relu(x: f32) -> f32 {
    relu(x)
}

/// `e^x`.
#[simdgrad::map]
pub fn bench_exp(x: f32) -> f32 {
    exp(x)
}

/// Logistic sigmoid.
#[simdgrad::map]
pub fn bench_sigmoid(x: f32) -> f32 {
    sigmoid(x)
}

/// `tanh(x)`.
#[simdgrad::map]
pub fn bench_tanh(x: f32) -> f32 {
    tanh(x)
}

/// GELU, tanh approximation: the example `0.5·x·(1 + tanh(k·(x + c·x³)))` with the
/// cube factored, `h·(1 + tanh(x·(k + k·c·x²)))` for `h = x/2`, as a user who counts
/// operations writes it. Every baseline (naive, plain, hand-written pulp) evaluates this same
/// factoring, so the rows compare code generation, not algebra: the macro never reassociates
/// (that would change the results' rounding).
#[simdgrad::map]
pub fn bench_gelu(x: f32) -> f32 {
    let h = 0.5 * x;
    h * (1.0 + tanh(x * (0.797_884_6 + 0.035_677_407 * (x * x))))
}

/// `a + b`.
#[simdgrad::zip]
pub fn bench_add(a: f32, b: f32) -> f32 {
    a + b
}

/// `a · b`.
#[simdgrad::zip]
pub fn bench_mul(a: f32, b: f32) -> f32 {
    a * b
}

/// Sum fold.
#[simdgrad::reduce(identity = 0.0)]
pub fn bench_sum(acc: f32, x: f32) -> f32 {
    acc + x
}

/// Max fold (NaN-propagating `max`).
#[simdgrad::reduce(identity = f32::NEG_INFINITY)]
pub fn bench_max(acc: f32, x: f32) -> f32 {
    max(acc, x)
}

/// Reduction over the last dim of a row-major `[out.len(), cols]` matrix: one generated
/// [`ReduceKernel::fold`] per row.
///
/// # Errors
/// [`Error::LengthMismatch`] if `x.len() != out.len() · cols`.
pub fn fold_last<K: ReduceKernel>(k: K, x: &[f32], cols: usize, out: &mut [f32]) -> Result<()> {
    if x.len() != out.len() * cols {
        return Err(Error::LengthMismatch {
            op: K::NAME,
            what: "input",
            expected: out.len() * cols,
            got: x.len(),
        });
    }
    if cols == 0 {
        out.fill(K::identity());
        return Ok(());
    }
    for (o, row) in out.iter_mut().zip(x.chunks_exact(cols)) {
        *o = k.fold(row);
    }
    Ok(())
}

/// Reduction over the first dim of a row-major `[rows, out.len()]` matrix with the generated
/// [`ReduceKernel::fold_rows`] (rows accumulated into L1-resident blocks of the output).
///
/// # Errors
/// [`Error::InvalidArgument`] if `x.len()` is not a whole number of rows of `out.len()`.
pub fn fold_dim0<K: ReduceKernel>(k: K, x: &[f32], out: &mut [f32]) -> Result<()> {
    let cols = out.len();
    if x.len().checked_rem(cols) != Some(0) {
        if cols == 0 && x.is_empty() {
            return Ok(());
        }
        return Err(Error::InvalidArgument {
            op: K::NAME,
            message: format!(
                "an input of {} elements is not a whole number of rows of {cols}",
                x.len()
            ),
        });
    }
    k.fold_rows(x, cols, x.len().checked_div(cols).unwrap_or(0), out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::pulp_hand::{self, Fold};
    use simdgrad::kernel::{MapKernel, ZipKernel};

    fn data(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.07)
            .collect()
    }

    #[test]
    fn generated_relu_and_add_agree_with_the_hand_written_kernels() {
        let (x, y) = (data(1000), data(1003)[3..].to_vec());
        let (mut got, mut want) = (vec![0.0; 1000], vec![0.0; 1000]);
        BenchRelu.forward(&x, &mut got).unwrap();
        pulp_hand::map(pulp_hand::Relu, &x, &mut want).unwrap();
        assert_eq!(got, want);
        BenchAdd.forward(&x, &y, &mut got).unwrap();
        pulp_hand::zip(pulp_hand::Add, &x, &y, &mut want).unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn generated_reductions_over_each_dim_agree_with_the_hand_written_ones() {
        let (rows, cols) = (9, 70);
        let x = data(rows * cols);
        let (mut got, mut want) = (vec![0.0; rows], vec![0.0; rows]);
        fold_last(BenchMax, &x, cols, &mut got).unwrap();
        pulp_hand::fold_last(Fold::Max, &x, cols, &mut want).unwrap();
        assert_eq!(got, want);
        let (mut got, mut want) = (vec![0.0; cols], vec![0.0; cols]);
        fold_dim0(BenchSum, &x, &mut got).unwrap();
        pulp_hand::fold_dim0(Fold::Sum, &x, &mut want).unwrap();
        assert!(got.iter().zip(&want).all(|(g, w)| (g - w).abs() < 1e-4));
        assert!(fold_dim0(BenchSum, &x[1..], &mut got).is_err());
    }
}
