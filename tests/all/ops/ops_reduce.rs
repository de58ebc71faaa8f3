//! Reductions against a scalar f64 reference on random shapes and layouts (the reduced dim kept
//! with size 1), MiniTorch's sum/mean cases, empty dims, NaN propagation, and `sum_to_shape`.

use super::ops_util::{make, normal, random_shape, rng, values, KINDS};
use simdgrad::simd::SimdElement;
use simdgrad::Tensor;

type ReduceOp<E> = fn(&Tensor<E>, isize) -> simdgrad::Result<Tensor<E>>;

/// The reference reduction of `x` over `d`, keeping the dim: (values, shape).
fn reference(x: &[f64], shape: &[usize], d: usize, init: f64, f: fn(f64, f64) -> f64) -> Vec<f64> {
    let outer: usize = shape[..d].iter().product();
    let n = shape[d];
    let inner: usize = shape[d + 1..].iter().product();
    let mut out = vec![init; outer * inner];
    for o in 0..outer {
        for i in 0..n {
            for k in 0..inner {
                let slot = &mut out[o * inner + k];
                *slot = f(*slot, x[(o * n + i) * inner + k]);
            }
        }
    }
    out
}

fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

fn check<E: SimdElement>(seed: u64) {
    let mut r = rng(seed);
    let eps = E::EPSILON.to_f64();
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, ReduceOp<E>, f64, fn(f64, f64) -> f64)> = vec![
        ("sum", Tensor::sum, 0.0, |a, b| a + b),
        ("max", Tensor::max, f64::NEG_INFINITY, nan_max),
        ("min", Tensor::min, f64::INFINITY, nan_min),
        ("prod", Tensor::prod, 1.0, |a, b| a * b),
    ];
    for trial in 0..60 {
        let shape = random_shape(&mut r);
        if shape.is_empty() {
            continue;
        }
        let kind = KINDS[trial % KINDS.len()];
        // Values near ±1 keep long products finite.
        let mut gen = |r: &mut rand::rngs::StdRng| 1.0 + 0.1 * normal(r);
        let x = make::<E>(&shape, kind, &mut r, &mut gen);
        let xv = values(&x);
        for d in 0..shape.len() {
            for (name, op, init, f) in &cases {
                let got = op(&x, d as isize).unwrap();
                let mut kept = shape.clone();
                kept[d] = 1;
                assert_eq!(got.shape(), &kept[..], "{name} keeps dim {d}");
                let want = reference(&xv, &shape, d, *init, *f);
                // Error bound of a floating-point fold of n terms.
                let n = shape[d] as f64;
                for (i, (&g, &w)) in values(&got).iter().zip(&want).enumerate() {
                    let tol = match *name {
                        "sum" => {
                            n * eps
                                * reference(
                                    &xv.iter().map(|v| v.abs()).collect::<Vec<_>>(),
                                    &shape,
                                    d,
                                    0.0,
                                    |a, b| a + b,
                                )[i]
                        }
                        "prod" => 2.0 * n * eps * w.abs(),
                        _ => 0.0,
                    };
                    assert!(
                        (g - w).abs() <= tol || g == w,
                        "{name} {} {shape:?} {kind:?} dim {d} element {i}: got {g}, want {w}",
                        E::DTYPE
                    );
                }
            }
        }
        let all = x.sum_all().unwrap();
        assert_eq!(all.ndim(), 0);
        let want: f64 = xv.iter().sum();
        let bound: f64 = xv.iter().map(|v| v.abs()).sum::<f64>() * xv.len() as f64 * eps;
        assert!((all.item().unwrap().to_f64() - want).abs() <= bound.max(1e-300));
    }
}

#[test]
fn reductions_match_the_f64_reference_in_f32() {
    check::<f32>(21);
}

#[test]
fn reductions_match_the_f64_reference_in_f64() {
    check::<f64>(22);
}

#[test]
fn sum_and_mean_keep_the_reduced_dim_as_in_minitorch() {
    let t = Tensor::<f64>::from_vec(vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0], &[2, 3]).unwrap();
    let s0 = t.sum(0).unwrap();
    assert_eq!(
        (s0.shape(), s0.to_vec()),
        (&[1, 3][..], vec![7.0, 9.0, 11.0])
    );
    let s1 = t.sum(1).unwrap();
    assert_eq!((s1.shape(), s1.to_vec()), (&[2, 1][..], vec![9.0, 18.0]));
    let m1 = t.mean(-1).unwrap();
    assert_eq!((m1.shape(), m1.to_vec()), (&[2, 1][..], vec![3.0, 6.0]));
    let m0 = t.mean(0).unwrap();
    assert_eq!(m0.to_vec(), vec![3.5, 4.5, 5.5]);
    // Keeping the dim makes `x / x.sum(d)` broadcast.
    let normalised = t.div(&s1).unwrap();
    assert_eq!(normalised.sum(1).unwrap().to_vec(), vec![1.0, 1.0]);
    assert_eq!(t.mean_all().unwrap().item().unwrap(), 4.5);
    assert_eq!(t.sum_all().unwrap().shape(), &[] as &[usize]);
}

#[test]
fn an_empty_dim_reduces_to_the_identity() {
    let x = Tensor::<f32>::zeros(&[3, 0]).unwrap();
    assert_eq!(x.sum(1).unwrap().to_vec(), vec![0.0; 3]);
    assert_eq!(x.max(1).unwrap().to_vec(), vec![f32::NEG_INFINITY; 3]);
    assert_eq!(x.min(-1).unwrap().to_vec(), vec![f32::INFINITY; 3]);
    assert_eq!(x.prod(1).unwrap().to_vec(), vec![1.0; 3]);
    assert!(x.mean(1).unwrap().to_vec().iter().all(|v| v.is_nan()));
    let e = x.sum(0).unwrap();
    assert_eq!((e.shape(), e.numel()), (&[1, 0][..], 0));
    assert_eq!(x.sum_all().unwrap().item().unwrap(), 0.0);
}

#[test]
fn max_and_min_propagate_nan_and_handle_values_below_minus_1e9() {
    let x = Tensor::<f32>::from_vec(vec![-3e9, -2e9, -5e9, f32::NAN, 2.0, 0.0], &[2, 3]).unwrap();
    assert_eq!(x.max(1).unwrap().to_vec()[0], -2e9);
    assert!(x.max(1).unwrap().to_vec()[1].is_nan());
    let m0 = x.min(0).unwrap().to_vec();
    assert!(m0[0].is_nan());
    assert_eq!(&m0[1..], &[-2e9, -5e9]);
    assert!(x.max_all().unwrap().item().unwrap().is_nan());
    // A NaN in a long row (the SIMD fold with four accumulators) still propagates.
    let mut v = vec![1.0f32; 1000];
    v[777] = f32::NAN;
    let long = Tensor::from_vec(v, &[1000]).unwrap();
    assert!(long.max(0).unwrap().item().unwrap().is_nan());
    assert!(long.min_all().unwrap().item().unwrap().is_nan());
}

#[test]
fn reduce_rejects_a_bad_dim() {
    let x = Tensor::<f32>::zeros(&[2, 3]).unwrap();
    assert!(matches!(
        x.sum(2),
        Err(simdgrad::Error::DimOutOfRange { dim: 2, .. })
    ));
    assert!(x.sum(-3).is_err());
    assert!(Tensor::scalar(1.0f32).sum(0).is_err());
}

#[test]
fn sum_to_shape_sums_over_the_broadcast_dims() {
    let mut r = rng(23);
    let g = make::<f64>(
        &[4, 3, 5, 2],
        super::ops_util::Kind::Permuted,
        &mut r,
        &mut normal,
    );
    let gv = values(&g);
    for target in [
        vec![3, 1, 2],
        vec![1, 3, 1, 1],
        vec![2],
        vec![4, 1, 5, 1],
        vec![],
    ] {
        let s = g.sum_to_shape(&target).unwrap();
        assert_eq!(s.shape(), &target[..]);
        // Reference: add each element of g into its broadcast source.
        let src = Tensor::<f64>::zeros(&target).unwrap();
        let view = src.broadcast_to(g.shape()).unwrap();
        let mut want = vec![0.0; src.numel()];
        let n = g.numel();
        let strides = view.strides().to_vec();
        let mut index = [0usize; 4];
        for (i, &v) in gv.iter().enumerate().take(n) {
            let mut rest = i;
            for d in (0..4).rev() {
                index[d] = rest % g.shape()[d];
                rest /= g.shape()[d];
            }
            let p: usize = index.iter().zip(&strides).map(|(a, b)| a * b).sum();
            want[p] += v;
        }
        for (a, b) in values(&s).iter().zip(&want) {
            assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{target:?}");
        }
    }
    assert!(g.sum_to_shape(&[3, 3]).is_err());
}
