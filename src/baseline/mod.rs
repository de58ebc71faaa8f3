//! Baselines the generated kernels are measured against: MiniTorch's general index loop
//! ([`naive`]), idiomatic Rust loops ([`plain`]) and hand-written pulp kernels ([`pulp_hand`]);
//! for convolutions, im2col + GEMM ([`im2col`]).
//!
//! All three compute the same ops on `f32` with the same formulas ([`scalar`]), so a benchmark
//! row compares implementations, not definitions.

pub mod im2col;
pub mod naive;
pub mod plain;
pub mod pulp_hand;

use simdgrad::{Error, Result};

/// The scalar definitions of the benchmark ops, shared by the naive and plain baselines.
pub mod scalar {
    /// `sqrt(2/π)`, the GELU tanh-approximation constant.
    pub const GELU_K: f32 = 0.797_884_6;
    /// The cubic coefficient of the GELU tanh approximation.
    pub const GELU_C: f32 = 0.044_715;

    /// `max(x, 0)` (std `f32::max`: `relu(NaN) = 0` here, which costs nothing extra).
    #[inline(always)]
    pub fn relu(x: f32) -> f32 {
        x.max(0.0)
    }
    /// `e^x`.
    #[inline(always)]
    pub fn exp(x: f32) -> f32 {
        x.exp()
    }
    /// `1 / (1 + e^-x)`.
    #[inline(always)]
    pub fn sigmoid(x: f32) -> f32 {
        1.0 / (1.0 + (-x).exp())
    }
    /// `tanh(x)`.
    #[inline(always)]
    pub fn tanh(x: f32) -> f32 {
        x.tanh()
    }
    /// GELU, tanh approximation `0.5·x·(1 + tanh(k·(x + c·x³)))`, with the cube factored as
    /// the generated kernel's declaration has it (`crate::ops::bench_gelu`):
    /// `h·(1 + tanh(x·(k + k·c·x²)))`, `h = x/2`.
    #[inline(always)]
    pub fn gelu(x: f32) -> f32 {
        let h = 0.5 * x;
        h * (1.0 + (x * (GELU_K + GELU_K * GELU_C * (x * x))).tanh())
    }
    /// `a + b`.
    #[inline(always)]
    pub fn add(a: f32, b: f32) -> f32 {
        a + b
    }
    /// `a · b`.
    #[inline(always)]
    pub fn mul(a: f32, b: f32) -> f32 {
        a * b
    }
}

fn check_len(op: &'static str, what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            op,
            what,
            expected,
            got,
        })
    }
}
