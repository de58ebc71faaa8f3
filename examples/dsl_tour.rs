//! A tour of the kernel DSL: `#[simdgrad::map]`, `#[simdgrad::zip]` and `#[simdgrad::reduce]`
//! turn scalar functions into SIMD kernels *and* their derived derivative kernels.
//!
//! Run with `cargo run --example dsl_tour`.

use simdgrad::kernel::{MapKernel, ReduceKernel, ZipKernel};

/// GELU (tanh approximation). The macro keeps this function and adds the kernel type `Gelu`.
#[simdgrad::map]
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + tanh(0.797_884_6 * (x + 0.044_715 * x * x * x)))
}

/// Smooth L1 loss of a prediction against a target: `if` becomes a per-lane select.
#[simdgrad::zip]
pub fn smooth_l1(a: f32, b: f32) -> f32 {
    let d = a - b;
    if abs(d) < 1.0 {
        0.5 * d * d
    } else {
        abs(d) - 0.5
    }
}

/// A max fold: detected as the `Max` pattern, so its backward sends the gradient to the
/// first maximal element only.
#[simdgrad::reduce(identity = f32::NEG_INFINITY)]
pub fn running_max(acc: f32, x: f32) -> f32 {
    if x > acc {
        x
    } else {
        acc
    }
}

/// Ops compose: `gelu` is called through its kernel, and differentiated through its derivative.
#[simdgrad::map(name = GatedGelu)]
pub fn gated(x: f32) -> f32 {
    gelu(x) * sigmoid(2.0 * x)
}

fn main() -> simdgrad::Result<()> {
    // The annotated functions are still plain scalar functions.
    println!("gelu(1.0) = {}", gelu(1.0));

    // The kernel: SIMD forward over slices (AVX-512 / AVX2 / NEON / scalar, chosen at run time).
    let x: Vec<f32> = (-4..=4).map(|i| i as f32 * 0.5).collect();
    let mut y = vec![0.0; x.len()];
    Gelu.forward(&x, &mut y)?;

    // The derived backward: grad_x[i] = grad_y[i] * gelu'(x[i]).
    let grad_y = vec![1.0; x.len()];
    let mut grad_x = vec![0.0; x.len()];
    Gelu.backward(&x, &grad_y, &mut grad_x)?;
    for ((x, y), g) in x.iter().zip(&y).zip(&grad_x) {
        println!("  x = {x:5.2}   gelu = {y:8.5}   gelu' = {g:8.5}");
    }

    // One declaration serves f64 too.
    let x64 = [0.5f64, 1.5];
    let mut y64 = [0.0f64; 2];
    Gelu.forward(&x64, &mut y64)?;
    println!("f64: gelu({:?}) = {:?}", x64, y64);

    // The derived formula, as text (also in the rustdoc of `Gelu`).
    println!("{}: f(x) = {}", Gelu::NAME, Gelu::FORMULA);
    println!("    d/dx = {}", Gelu::DERIVATIVE);

    // A zip: both partials.
    let (a, b) = ([0.0f32, 3.0], [0.5f32, 0.5]);
    let mut loss = [0.0f32; 2];
    SmoothL1.forward(&a, &b, &mut loss)?;
    let (mut grad_a, mut grad_b) = ([0.0f32; 2], [0.0f32; 2]);
    SmoothL1.backward(&a, &b, &[1.0, 1.0], &mut grad_a, &mut grad_b)?;
    println!("smooth_l1 = {loss:?}, d/da = {grad_a:?}, d/db = {grad_b:?}");
    println!("    ∂/∂a = {}", SmoothL1::DERIVATIVE_A);

    // A reduce: fold a slice, then the gradient of the fold with respect to every element.
    let v = [1.0f32, 7.0, -3.0, 7.0];
    let m = RunningMax.fold(&v);
    let mut grad_v = [0.0f32; 4];
    RunningMax.backward(&v, 1.0, &mut grad_v)?;
    println!(
        "running_max = {m}, pattern = {:?}, gradient = {grad_v:?}",
        RunningMax::PATTERN
    );

    // Composition.
    println!("gated: d/dx = {}", GatedGelu::DERIVATIVE);
    let mut dg = [0.0f32; 1];
    GatedGelu.backward(&[0.3], &[1.0], &mut dg)?;
    println!("gated'(0.3) = {}", dg[0]);
    Ok(())
}
