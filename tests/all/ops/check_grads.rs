//! `check_grads` itself: it passes on correct gradients, and on wrong ones it fails naming the
//! argument, the index (or direction), analytic vs numeric and the relative error.

use simdgrad::check_grads::{check_grads, GradCheckFailure, GradCheckOptions, Location};
use simdgrad::{Error, Tensor};

fn randn(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::randn_seeded(shape, seed).unwrap()
}

#[test]
fn passes_on_correct_gradients() {
    let f = |x: &[Tensor<f64>]| x[0].matmul(&x[1]);
    check_grads(
        f,
        &[randn(&[3, 4], 1), randn(&[4, 2], 2)],
        GradCheckOptions::default(),
    )
    .unwrap();
}

#[test]
fn reports_argument_index_values_and_relative_error_on_a_missing_gradient() {
    // y = a·b, but b's gradient is cut by detach.
    let f = |x: &[Tensor<f64>]| x[0].matmul(&x[1].detach());
    let err = check_grads(
        f,
        &[randn(&[2, 3], 1), randn(&[3, 2], 2)],
        GradCheckOptions::default(),
    )
    .unwrap_err();
    match &err {
        GradCheckFailure::Mismatch {
            argument,
            shape,
            location,
            analytic,
            numeric,
            relative_error,
        } => {
            assert_eq!((*argument, shape.as_slice()), (1, &[3, 2][..]));
            assert_eq!(location, &Location::Index(vec![0, 0]));
            assert_eq!(*analytic, 0.0);
            assert!(numeric.abs() > 1e-3);
            assert_eq!(*relative_error, 1.0);
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.starts_with("check_grads: argument 1 (shape [3, 2]) at index [0, 0]: analytic gradient 0e0 vs numeric"),
        "{text}"
    );
    assert!(text.contains("relative error 1.000e0"), "{text}");
}

#[test]
fn a_gradient_missing_at_one_element_is_located() {
    // The output depends on row 2 of x, but only through a detached copy.
    let f = |x: &[Tensor<f64>]| {
        let kept = x[0].narrow(0, 0, 2)?;
        let hidden = x[0]
            .detach()
            .narrow(0, 2, 1)?
            .matmul(&Tensor::ones(&[4, 1])?)?; // [1, 1]
        kept.matmul(&Tensor::ones(&[4, 1])?)?.matmul(&hidden)
    };
    let err = check_grads(f, &[randn(&[3, 4], 4)], GradCheckOptions::default()).unwrap_err();
    let GradCheckFailure::Mismatch {
        location, argument, ..
    } = err
    else {
        panic!("{err}")
    };
    assert_eq!((argument, location), (0, Location::Index(vec![2, 0])));
}

#[test]
fn both_projection_modes_pass_on_a_correct_backward() {
    // Both modes pass on a correct backward (the ops tests show what the projection catches).
    let f = |x: &[Tensor<f64>]| x[0].transpose(0, 1);
    let sum_only = GradCheckOptions {
        random_projection: false,
        ..Default::default()
    };
    check_grads(f, &[randn(&[3, 3], 5)], sum_only).unwrap();
    check_grads(f, &[randn(&[3, 3], 5)], GradCheckOptions::default()).unwrap();
}

#[test]
fn large_inputs_fail_along_a_direction() {
    let f = |x: &[Tensor<f64>]| x[0].matmul(&x[1].detach());
    let options = GradCheckOptions {
        max_elements_for_full_check: 10,
        directions: 3,
        ..Default::default()
    };
    let err = check_grads(f, &[randn(&[4, 4], 1), randn(&[4, 4], 2)], options).unwrap_err();
    let GradCheckFailure::Mismatch {
        argument, location, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((*argument, location), (1, &Location::Direction(0)));
    assert!(
        err.to_string().contains("along random direction 0"),
        "{err}"
    );
}

#[test]
fn errors_of_f_are_reported() {
    let f = |x: &[Tensor<f64>]| x[0].matmul(&x[0]);
    let err = check_grads(f, &[randn(&[2, 3], 1)], GradCheckOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            GradCheckFailure::Error(Error::InvalidArgument { op: "matmul", .. })
        ),
        "{err}"
    );
}

#[test]
fn inputs_are_not_modified_and_keep_their_layout_inside_f() {
    let x = randn(&[3, 4], 1).transpose(0, 1).unwrap();
    let before = x.to_vec();
    let f = |xs: &[Tensor<f64>]| {
        assert_eq!(xs[0].strides(), &[1, 4], "f sees the permuted layout");
        xs[0].matmul(&Tensor::ones(&[3, 2])?)
    };
    check_grads(f, std::slice::from_ref(&x), GradCheckOptions::default()).unwrap();
    assert_eq!(x.to_vec(), before);
    assert!(!x.requires_grad());
}

#[test]
fn unused_inputs_and_empty_tensors_pass() {
    let f = |x: &[Tensor<f64>]| Ok(x[0].clone());
    check_grads(
        f,
        &[randn(&[2], 1), randn(&[3], 2)],
        GradCheckOptions::default(),
    )
    .unwrap();
    check_grads(f, &[randn(&[0, 3], 1)], GradCheckOptions::default()).unwrap();
}

#[test]
fn options_that_cannot_check_anything_are_errors() {
    let x = Tensor::<f64>::randn_seeded(&[3], 0).unwrap();
    let f = |x: &[Tensor<f64>]| x[0].exp();
    let spoilt: [fn(&mut GradCheckOptions); 5] = [
        |o| o.eps = 0.0,
        |o| o.eps = f64::NAN,
        |o| o.rtol = f64::NAN,
        |o| o.atol = -1.0,
        |o| o.directions = 0,
    ];
    for spoil in spoilt {
        let mut o = GradCheckOptions::default();
        spoil(&mut o);
        match check_grads(f, std::slice::from_ref(&x), o) {
            Err(GradCheckFailure::Error(e)) => {
                assert!(e.to_string().contains("check_grads"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
    check_grads(f, &[x], GradCheckOptions::default()).unwrap();
}
