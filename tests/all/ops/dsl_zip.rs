//! `#[simdgrad::zip]` ops declared as a user crate would: SIMD forward against scalar (every
//! length 0..=67, broadcast operands, edge values, f32 and f64) and both generated partials
//! against f64 central differences.

use super::dsl_support::*;
use simdgrad::kernel::ZipKernel;

/// The example.
#[simdgrad::zip]
fn smooth_l1(a: f32, b: f32) -> f32 {
    let d = a - b;
    if abs(d) < 1.0 {
        0.5 * d * d
    } else {
        abs(d) - 0.5
    }
}

#[simdgrad::zip]
fn half_diff_of_squares(a: f32, b: f32) -> f32 {
    (a - b) * (a + b) / 2.0
}

#[simdgrad::zip]
fn soft_norm(a: f32, b: f32) -> f32 {
    sqrt(a * a + b * b + 1.0)
}

#[simdgrad::zip]
fn power(a: f32, b: f32) -> f32 {
    a.powf(b)
}

#[simdgrad::zip]
fn max_minus_min(a: f32, b: f32) -> f32 {
    max(a, b) - 0.5 * min(a, b)
}

#[simdgrad::map]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + tanh(0.797_884_6 * (x + 0.044_715 * x * x * x)))
}

/// Composition of a zip op and a map op.
#[simdgrad::zip]
fn mixed(a: f32, b: f32) -> f32 {
    smooth_l1(a, b) * gelu(a) + half_diff_of_squares(b, a)
}

fn check<K: ZipKernel + Default>(domain: (f64, f64), ulps: f64, kink: impl Fn(f64, f64) -> bool) {
    zip_forward_matches_scalar::<K, f32>(domain, ulps);
    zip_forward_matches_scalar::<K, f64>(domain, ulps);
    zip_backward_matches_finite_differences::<K>(domain, kink);
}

#[test]
fn smooth_l1_matches_scalar_and_finite_differences() {
    check::<SmoothL1>((-3.0, 3.0), 0.0, |a, b| ((a - b).abs() - 1.0).abs() < 1e-3);
    assert_eq!(smooth_l1(0.0, 0.5), 0.125);
    assert_eq!(smooth_l1(3.0, 0.5), 2.0);
    assert!(
        SmoothL1::DERIVATIVE_A.contains("if"),
        "{}",
        SmoothL1::DERIVATIVE_A
    );
}

#[test]
fn arithmetic_zips_are_bitwise_identical_to_scalar() {
    check::<HalfDiffOfSquares>((-100.0, 100.0), 0.0, |_, _| false);
    check::<SoftNorm>((-100.0, 100.0), 0.0, |_, _| false);
    check::<MaxMinusMin>((-10.0, 10.0), 0.0, |a, b| (a - b).abs() < 1e-3);
}

#[test]
fn powf_partials_are_y_x_pow_y_minus_1_and_ln_x_x_pow_y() {
    // Edge values left out: the SIMD powf returned -inf for powf(0.5, 3e38) where the scalar
    // one returns 0 (reported to the SIMD-math owner).
    zip_forward_check::<Power, f32>((0.1, 4.0), 16.0, false);
    zip_forward_check::<Power, f64>((0.1, 4.0), 16.0, false);
    zip_backward_matches_finite_differences::<Power>((0.1, 4.0), |_, _| false);
    let (da, db) = Power::scalar_partials::<f64>(2.0, 3.0);
    assert!((da - 12.0).abs() < 1e-12);
    assert!((db - 8.0 * std::f64::consts::LN_2).abs() < 1e-12);
}

#[test]
fn max_min_ties_send_the_gradient_to_the_first_argument() {
    let (da, db) = MaxMinusMin::scalar_partials::<f32>(1.0, 1.0);
    assert_eq!((da, db), (0.5, 0.0));
}

#[test]
fn composed_zip_differentiates_through_both_kernels() {
    check::<Mixed>((-3.0, 3.0), 64.0, |a, b| ((a - b).abs() - 1.0).abs() < 1e-3);
}
