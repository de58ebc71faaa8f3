//! Accuracy of the SIMD math functions against f64 references on every backend this machine
//! has: a dense sample (every run), the `powf` overflow/underflow boundaries, and the
//! `#[ignore]`d exhaustive f32 sweeps. One binary, so the math kernels are monomorphised once.

mod common;

mod accuracy;
mod exhaustive;
mod pow_boundary;
