//! `Tensor::matmul`: forward against a plain f64 reference (2-D, batched with broadcasting,
//! vectors, transposed and permuted operands, size-1 and size-0 dims), backward through
//! `check_grads`, and shape errors that name both shapes.

use simdgrad::check_grads::{check_grads, GradCheckOptions};
use simdgrad::{parallel, Error, Tensor};

fn randn(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::randn_seeded(shape, seed).unwrap()
}

/// A tensor of `shape` stored with its last two dims swapped (a transposed view).
fn transposed(shape: &[usize], seed: u64) -> Tensor<f64> {
    let n = shape.len();
    let mut stored = shape.to_vec();
    stored.swap(n - 2, n - 1);
    randn(&stored, seed).transpose(-2, -1).unwrap()
}

/// Reference batched matmul of 2+-D operands with broadcast batch dims, by index arithmetic.
fn reference(a: &Tensor<f64>, b: &Tensor<f64>) -> (Vec<usize>, Vec<f64>) {
    let (na, nb) = (a.ndim(), b.ndim());
    let (m, k, n) = (a.shape()[na - 2], a.shape()[na - 1], b.shape()[nb - 1]);
    let batch =
        simdgrad::shape::broadcast_shapes(&a.shape()[..na - 2], &b.shape()[..nb - 2]).unwrap();
    let mut out_shape = batch.clone();
    out_shape.extend([m, n]);
    let mut ashape = batch.clone();
    ashape.extend([m, k]);
    let mut bshape = batch.clone();
    bshape.extend([k, n]);
    let a = a.broadcast_to(&ashape).unwrap();
    let b = b.broadcast_to(&bshape).unwrap();
    let nbatch: usize = batch.iter().product();
    let mut out = Vec::new();
    for bi in 0..nbatch {
        let mut idx = vec![0; batch.len()];
        let mut r = bi;
        for d in (0..batch.len()).rev() {
            idx[d] = r % batch[d];
            r /= batch[d];
        }
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for p in 0..k {
                    let mut ia = idx.clone();
                    ia.extend([i, p]);
                    let mut ib = idx.clone();
                    ib.extend([p, j]);
                    s += a.get(&ia).unwrap() * b.get(&ib).unwrap();
                }
                out.push(s);
            }
        }
    }
    (out_shape, out)
}

fn assert_matches_reference(a: &Tensor<f64>, b: &Tensor<f64>) {
    let c = a.matmul(b).unwrap();
    let (shape, want) = reference(a, b);
    assert_eq!(
        c.shape(),
        shape.as_slice(),
        "{:?} · {:?}",
        a.shape(),
        b.shape()
    );
    for (x, y) in c.to_vec().iter().zip(&want) {
        assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "{x} vs {y}");
    }
}

fn check(f: impl Fn(&[Tensor<f64>]) -> simdgrad::Result<Tensor<f64>>, inputs: &[Tensor<f64>]) {
    if let Err(e) = check_grads(f, inputs, GradCheckOptions::default()) {
        panic!("{e}");
    }
}

fn mm(x: &[Tensor<f64>]) -> simdgrad::Result<Tensor<f64>> {
    x[0].matmul(&x[1])
}

const CASES: &[(&[usize], &[usize])] = &[
    (&[3, 4], &[4, 5]),
    (&[1, 1], &[1, 1]),
    (&[5, 1], &[1, 3]),
    (&[1, 7], &[7, 1]),
    (&[2, 3, 4], &[2, 4, 5]),
    (&[2, 3, 4], &[4, 5]),
    (&[3, 4], &[2, 4, 5]),
    (&[2, 1, 3, 4], &[5, 4, 2]),
    (&[1, 3, 4], &[6, 4, 2]),
    (&[0, 3], &[3, 4]),
    (&[3, 0], &[0, 4]),
    (&[3, 4], &[4, 0]),
    (&[0, 3, 4], &[4, 2]),
    (&[2, 0, 4], &[2, 4, 3]),
];

#[test]
fn forward_matches_reference_for_plain_transposed_and_broadcast_operands() {
    for (i, &(sa, sb)) in CASES.iter().enumerate() {
        let seed = 10 * i as u64;
        assert_matches_reference(&randn(sa, seed), &randn(sb, seed + 1));
        assert_matches_reference(&transposed(sa, seed + 2), &transposed(sb, seed + 3));
    }
}

#[test]
fn forward_accepts_stride_zero_operands() {
    let a = randn(&[1, 4], 1).expand(&[3, 4]).unwrap();
    let b = randn(&[4, 1], 2).expand(&[4, 5]).unwrap();
    assert_matches_reference(&a, &b);
    let batched = randn(&[3, 4], 3).expand(&[6, 3, 4]).unwrap();
    assert_matches_reference(&batched, &b);
}

#[test]
fn forward_on_permuted_batched_operands() {
    // [4, 2, 3] stored as [2, 3, 4] and permuted: strides (1, 12, 4).
    let a = randn(&[2, 3, 4], 5).permute(&[2, 0, 1]).unwrap();
    let b = randn(&[3, 4, 5], 6)
        .permute(&[1, 0, 2])
        .unwrap()
        .narrow(2, 1, 3)
        .unwrap();
    assert_eq!((a.shape(), b.shape()), (&[4, 2, 3][..], &[4, 3, 3][..]));
    assert_matches_reference(&a, &b);
}

#[test]
fn vectors_follow_numpy_rules() {
    let v = randn(&[4], 1);
    let m = randn(&[4, 3], 2);
    let batched = randn(&[2, 3, 4], 3);
    assert_eq!(v.matmul(&v).unwrap().shape(), &[] as &[usize]);
    let dot: f64 = v.to_vec().iter().map(|x| x * x).sum();
    assert!((v.matmul(&v).unwrap().item().unwrap() - dot).abs() < 1e-12);
    assert_eq!(v.matmul(&m).unwrap().shape(), &[3]);
    assert_eq!(batched.matmul(&v).unwrap().shape(), &[2, 3]);
    assert_eq!(v.matmul(&randn(&[5, 4, 2], 4)).unwrap().shape(), &[5, 2]);
    let mv = m.transpose(0, 1).unwrap().matmul(&v).unwrap();
    let (_, want) = reference(&m.transpose(0, 1).unwrap(), &v.view(&[4, 1]).unwrap());
    for (x, y) in mv.to_vec().iter().zip(&want) {
        assert!((x - y).abs() < 1e-12);
    }
}

#[test]
fn shape_errors_name_both_shapes() {
    let err = randn(&[2, 3], 1).matmul(&randn(&[2, 3], 2)).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { op: "matmul", .. }));
    assert!(
        err.to_string().contains("[2, 3]") && err.to_string().contains("3 columns"),
        "{err}"
    );
    let err = randn(&[2, 2, 3], 1)
        .matmul(&randn(&[3, 3, 4], 2))
        .unwrap_err();
    assert!(matches!(err, Error::Broadcast { .. }));
    assert!(
        err.to_string().contains("[2, 2, 3]") && err.to_string().contains("[3, 3, 4]"),
        "{err}"
    );
    let err = Tensor::scalar(1.0f64).matmul(&randn(&[2], 1)).unwrap_err();
    assert!(
        err.to_string().contains("[]") && err.to_string().contains("[2]"),
        "{err}"
    );
    let err = randn(&[3], 1).matmul(&randn(&[2, 5], 2)).unwrap_err();
    assert!(
        err.to_string().contains("[3]") && err.to_string().contains("[2, 5]"),
        "{err}"
    );
}

#[test]
fn gradients_of_2d_and_batched_products() {
    for (i, &(sa, sb)) in CASES.iter().enumerate() {
        let seed = 100 + 10 * i as u64;
        check(mm, &[randn(sa, seed), randn(sb, seed + 1)]);
        check(mm, &[transposed(sa, seed + 2), transposed(sb, seed + 3)]);
    }
}

#[test]
fn gradients_with_transposed_views_taken_inside_the_function() {
    check(
        |x| x[0].transpose(0, 1)?.matmul(&x[1].permute(&[1, 0])?),
        &[randn(&[4, 3], 1), randn(&[5, 4], 2)],
    );
    check(
        |x| x[0].permute(&[2, 0, 1])?.matmul(&x[1]),
        &[randn(&[3, 4, 2], 3), randn(&[4, 2], 4)],
    );
}

#[test]
fn gradients_of_vector_products() {
    check(mm, &[randn(&[4], 1), randn(&[4], 2)]);
    check(mm, &[randn(&[4], 3), randn(&[2, 4, 3], 4)]);
    check(mm, &[randn(&[2, 3, 4], 5), randn(&[4], 6)]);
}

#[test]
fn gradient_of_an_operand_used_on_both_sides() {
    check(
        |x| x[0].matmul(&x[0].transpose(0, 1)?),
        &[randn(&[3, 4], 7)],
    );
    check(|x| x[0].matmul(&x[0]), &[randn(&[2, 3, 3], 8)]);
}

#[test]
fn only_operands_that_require_grad_get_a_gradient() {
    let a = randn(&[2, 3], 1).requires_grad_(true);
    let b = randn(&[3, 4], 2);
    let y = a.matmul(&b).unwrap();
    assert_eq!(y.grad_fn_name(), Some("matmul"));
    y.backward_with(&Tensor::ones(&[2, 4]).unwrap()).unwrap();
    assert!(a.grad().is_some() && b.grad().is_none());
}

#[test]
fn large_batched_and_threaded_products_match_single_threaded_ones() {
    let a = randn(&[64, 16, 24], 1);
    let b = randn(&[24, 32], 2);
    let big_a = randn(&[300, 200], 3);
    let big_b = randn(&[200, 250], 4);
    let mut results = Vec::new();
    for threads in [1, 2] {
        let p = parallel::Parallelism {
            threads,
            ..parallel::get()
        };
        results.push(crate::with_parallelism(p, || {
            (
                a.matmul(&b).unwrap().to_vec(),
                big_a.matmul(&big_b).unwrap().to_vec(),
            )
        }));
    }
    assert_matches_reference(&a, &b);
    for (x, y) in results[0].0.iter().zip(&results[1].0) {
        assert!((x - y).abs() <= 1e-12 * (1.0 + x.abs()));
    }
    for (x, y) in results[0].1.iter().zip(&results[1].1) {
        assert!((x - y).abs() <= 1e-11 * (1.0 + x.abs()));
    }
}

#[test]
fn large_inputs_are_checked_along_random_directions() {
    let options = GradCheckOptions {
        max_elements_for_full_check: 100,
        ..Default::default()
    };
    check_grads(mm, &[randn(&[16, 20], 1), randn(&[3, 20, 8], 2)], options).unwrap();
}

#[test]
fn f32_products_are_close_to_f64() {
    let a = randn(&[2, 17, 33], 1);
    let b = randn(&[33, 9], 2);
    let want = a.matmul(&b).unwrap().to_vec();
    let a32 =
        Tensor::<f32>::from_vec(a.to_vec().iter().map(|&v| v as f32).collect(), a.shape()).unwrap();
    let b32 =
        Tensor::<f32>::from_vec(b.to_vec().iter().map(|&v| v as f32).collect(), b.shape()).unwrap();
    let got = a32.matmul(&b32).unwrap().to_vec();
    for (x, y) in got.iter().zip(&want) {
        // k = 33 products of N(0,1) values: the f32 error is a few ulps of the sum of |terms|.
        assert!(
            (*x as f64 - y).abs() <= 33.0 * 1e-6 * (1.0 + y.abs()),
            "{x} vs {y}"
        );
    }
}
