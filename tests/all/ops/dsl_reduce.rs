//! `#[simdgrad::reduce]` folds declared as a user crate would: pattern detection, SIMD fold
//! against a sequential fold, and the gradient of the fold for the sum, max (first index on
//! ties), min and general (product, log-sum-exp) rules.

use super::dsl_support::*;
use rand::Rng;
use simdgrad::kernel::{ReduceKernel, ReducePattern};

#[simdgrad::reduce(identity = 0.0)]
fn total(acc: f32, x: f32) -> f32 {
    acc + x
}

/// The example.
#[simdgrad::reduce(identity = f32::NEG_INFINITY)]
fn running_max(acc: f32, x: f32) -> f32 {
    if x > acc {
        x
    } else {
        acc
    }
}

#[simdgrad::reduce(identity = f32::INFINITY)]
fn smallest(acc: f32, x: f32) -> f32 {
    acc.min(x)
}

#[simdgrad::reduce(identity = 1)]
fn product(acc: f32, x: f32) -> f32 {
    acc * x
}

/// `ln(e^acc + e^x)`, stable; `-inf` is the identity.
#[simdgrad::reduce(identity = -f32::INFINITY)]
fn log_sum_exp(acc: f32, x: f32) -> f32 {
    let m = max(acc, x);
    if m == f32::NEG_INFINITY {
        m
    } else {
        m + ln(exp(acc - m) + exp(x - m))
    }
}

#[test]
fn patterns_are_detected() {
    assert_eq!(Total::PATTERN, ReducePattern::Sum);
    assert_eq!(RunningMax::PATTERN, ReducePattern::Max);
    assert_eq!(Smallest::PATTERN, ReducePattern::Min);
    assert_eq!(Product::PATTERN, ReducePattern::General);
    assert_eq!(LogSumExp::PATTERN, ReducePattern::General);
    assert_eq!(RunningMax::identity::<f64>(), f64::NEG_INFINITY);
    assert_eq!(LogSumExp::identity::<f32>(), f32::NEG_INFINITY);
}

#[test]
fn folds_match_a_sequential_fold_at_every_length() {
    let mut r = rng(5);
    for n in 0..=67 {
        let x: Vec<f64> = (0..n).map(|_| r.gen_range(-3.0..3.0)).collect();
        let seq = |k: &dyn Fn(f64, f64) -> f64, id: f64| x.iter().fold(id, |a, &v| k(a, v));
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
        assert!(close(Total.fold(&x), seq(&|a, v| a + v, 0.0)));
        assert_eq!(
            RunningMax.fold(&x),
            seq(&running_max_f64, f64::NEG_INFINITY)
        );
        assert_eq!(
            Smallest.fold(&x),
            seq(&|a: f64, v: f64| a.min(v), f64::INFINITY)
        );
        assert!(close(Product.fold(&x), seq(&|a, v| a * v, 1.0)));
        let lse = x.iter().map(|v| v.exp()).sum::<f64>().ln();
        if n > 0 {
            assert!(
                close(LogSumExp.fold(&x), lse),
                "{} vs {lse}",
                LogSumExp.fold(&x)
            );
        } else {
            assert_eq!(LogSumExp.fold(&x), f64::NEG_INFINITY);
        }
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        assert_eq!(
            RunningMax.fold(&x32),
            x32.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v))
        );
    }
}

fn running_max_f64(acc: f64, x: f64) -> f64 {
    RunningMax::scalar(acc, x)
}

#[test]
fn sum_backward_broadcasts_the_gradient() {
    let x = [1.0f32, -2.0, 3.0];
    let mut g = [0.0f32; 3];
    Total.backward(&x, 2.5, &mut g).unwrap();
    assert_eq!(g, [2.5; 3]);
}

#[test]
fn max_and_min_backward_send_the_gradient_to_the_first_extreme_only() {
    let x = [1.0f32, 5.0, -2.0, 5.0, -2.0];
    let mut g = [9.0f32; 5];
    RunningMax.backward(&x, 1.5, &mut g).unwrap();
    assert_eq!(g, [0.0, 1.5, 0.0, 0.0, 0.0]);
    Smallest.backward(&x, 1.0, &mut g).unwrap();
    assert_eq!(g, [0.0, 0.0, 1.0, 0.0, 0.0]);
}

#[test]
fn general_folds_backward_match_finite_differences() {
    let mut r = rng(6);
    for n in [1usize, 2, 7, 33] {
        let x: Vec<f64> = (0..n).map(|_| r.gen_range(0.5..1.5)).collect();
        reduce_backward_matches_finite_differences::<Product>(&x, 1.3);
        let y: Vec<f64> = (0..n).map(|_| r.gen_range(-3.0..3.0)).collect();
        reduce_backward_matches_finite_differences::<LogSumExp>(&y, 0.7);
        // Softmax is the gradient of log-sum-exp.
        let mut g = vec![0.0; n];
        LogSumExp.backward(&y, 1.0, &mut g).unwrap();
        let z: f64 = y.iter().map(|v| v.exp()).sum();
        for i in 0..n {
            assert!((g[i] - y[i].exp() / z).abs() < 1e-12);
        }
    }
}

#[test]
fn the_fold_partials_are_derived() {
    let (da, dx) = Product::scalar_partials::<f64>(3.0, 4.0);
    assert_eq!((da, dx), (4.0, 3.0));
    let (da, dx) = RunningMax::scalar_partials::<f64>(2.0, 2.0);
    assert_eq!(
        (da, dx),
        (1.0, 0.0),
        "a tie keeps the accumulator (the earlier element)"
    );
}
