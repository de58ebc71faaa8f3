//! softmax, log-softmax, argmax, dropout and the losses: values against f64 references,
//! gradients through `check_grads`, and the edge values semantics.md fixes.

use simdgrad::check_grads::{check_grads, GradCheckOptions};
use simdgrad::nn::functional::{bce_with_logits, cross_entropy, dropout, nll_loss};
use simdgrad::nn::init::seeded_rng;
use simdgrad::Tensor;

fn reference_softmax(row: &[f64]) -> Vec<f64> {
    let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = row.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

#[test]
fn softmax_and_log_softmax_match_a_reference_over_every_dim_and_width() {
    // Widths cover SIMD tails (1..=37) on both f32 and f64 lanes.
    for cols in [1usize, 2, 7, 16, 17, 37] {
        let x = Tensor::<f64>::randn_seeded(&[3, cols], cols as u64)
            .unwrap()
            .mul_scalar(4.0)
            .unwrap();
        let v = x.to_vec();
        let sm = x.softmax(1).unwrap().to_vec();
        let lsm = x.log_softmax(-1).unwrap().to_vec();
        for r in 0..3 {
            let want = reference_softmax(&v[r * cols..(r + 1) * cols]);
            for (c, &w) in want.iter().enumerate() {
                let i = r * cols + c;
                assert!(
                    (sm[i] - w).abs() <= 1e-15 + 4e-16 * w,
                    "{cols}: {} vs {w}",
                    sm[i]
                );
                assert!(
                    (lsm[i] - w.ln()).abs() <= 1e-13,
                    "{cols}: {} vs {}",
                    lsm[i],
                    w.ln()
                );
            }
        }
        // Over dim 0 = over dim 1 of the transpose.
        let a = x.softmax(0).unwrap();
        let b = x
            .transpose(0, 1)
            .unwrap()
            .softmax(1)
            .unwrap()
            .transpose(0, 1)
            .unwrap();
        assert_eq!(a.to_vec(), b.to_vec());
    }
}

#[test]
fn softmax_f32_is_within_a_few_ulp_of_f64() {
    let x64 = Tensor::<f64>::randn_seeded(&[8, 1024], 3)
        .unwrap()
        .mul_scalar(5.0)
        .unwrap();
    let x32 = Tensor::<f32>::from_vec(x64.to_vec().iter().map(|&v| v as f32).collect(), &[8, 1024])
        .unwrap();
    let want =
        Tensor::<f64>::from_vec(x32.to_vec().iter().map(|&v| v as f64).collect(), &[8, 1024])
            .unwrap()
            .softmax(1)
            .unwrap()
            .to_vec();
    let got = x32.softmax(1).unwrap().to_vec();
    for (g, w) in got.iter().zip(&want) {
        let rel = ((*g as f64) - w).abs() / w.abs().max(f64::MIN_POSITIVE);
        assert!(rel < 1e-5, "{g} vs {w}");
    }
}

#[test]
fn softmax_edge_values_follow_pytorch() {
    let inf = f32::INFINITY;
    let x = Tensor::<f32>::from_vec(
        vec![
            0.0,
            -inf,
            0.0,
            -inf,
            -inf,
            -inf,
            1.0,
            f32::NAN,
            2.0,
            1e30,
            -1e30,
            0.0,
        ],
        &[4, 3],
    )
    .unwrap();
    let s = x.softmax(1).unwrap().to_vec();
    assert_eq!(&s[0..3], &[0.5, 0.0, 0.5]); // -inf entries give exactly 0
    assert!(s[3..6].iter().all(|v| v.is_nan())); // a row of all -inf gives NaN
    assert!(s[6..9].iter().all(|v| v.is_nan())); // NaN propagates through the row
    assert_eq!(&s[9..12], &[1.0, 0.0, 0.0]); // huge finite values are stable
    let l = x.log_softmax(1).unwrap().to_vec();
    assert_eq!(l[1], -inf);
    assert_eq!(l[0], -(2.0f32.ln()));
}

#[test]
fn a_nan_or_plus_inf_anywhere_in_a_row_makes_the_row_nan() {
    // Every position of rows wide enough to have SIMD head, remainder and masked tail, with
    // the special value first, last, and beside -inf entries; other rows stay finite.
    for cols in [1usize, 3, 17, 67, 130] {
        for bad in [f32::NAN, f32::INFINITY] {
            for at in 0..cols {
                let mut v: Vec<f32> = (0..2 * cols).map(|i| (i % 7) as f32 - 3.0).collect();
                v[cols + at] = bad;
                if cols > 2 {
                    v[cols + (at + 1) % cols] = f32::NEG_INFINITY;
                }
                let x = Tensor::<f32>::from_vec(v, &[2, cols]).unwrap();
                for y in [x.softmax(1).unwrap(), x.log_softmax(1).unwrap()] {
                    let y = y.to_vec();
                    assert!(y[..cols].iter().all(|v| v.is_finite()), "{cols} {bad} {at}");
                    assert!(y[cols..].iter().all(|v| v.is_nan()), "{cols} {bad} {at}");
                }
            }
        }
    }
}

#[test]
fn softmax_and_log_softmax_gradients_match_finite_differences() {
    let x = Tensor::<f64>::randn_seeded(&[3, 5, 4], 9).unwrap();
    for dim in [0isize, 1, 2, -1] {
        check_grads(
            |a| a[0].softmax(dim),
            std::slice::from_ref(&x),
            GradCheckOptions::default(),
        )
        .unwrap();
        check_grads(
            |a| a[0].log_softmax(dim),
            std::slice::from_ref(&x),
            GradCheckOptions::default(),
        )
        .unwrap();
    }
    // A permuted (non-contiguous) input.
    let p = x.permute(&[2, 0, 1]).unwrap();
    check_grads(|a| a[0].softmax(2), &[p], GradCheckOptions::default()).unwrap();
}

#[test]
fn argmax_is_a_one_hot_mask_at_the_first_maximum() {
    let x = Tensor::<f32>::from_vec(vec![1.0, 5.0, 5.0, 2.0, 9.0, 0.0], &[2, 3]).unwrap();
    assert_eq!(
        x.argmax(1).unwrap().to_vec(),
        vec![0.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    );
    assert_eq!(
        x.argmax(0).unwrap().to_vec(),
        vec![0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    );
    assert_eq!(x.argmax_indices(1).unwrap(), vec![1, 1]);
    assert!(x.argmax(2).is_err());
}

#[test]
fn dropout_rates_zero_and_one_and_eval_mode() {
    let x = Tensor::<f64>::randn_seeded(&[64], 1).unwrap();
    let mut rng = seeded_rng(5);
    assert_eq!(
        dropout(&x, 0.0, true, &mut rng).unwrap().to_vec(),
        x.to_vec()
    );
    assert!(dropout(&x, 1.0, true, &mut rng)
        .unwrap()
        .to_vec()
        .iter()
        .all(|&v| v == 0.0));
    assert_eq!(
        dropout(&x, 0.5, false, &mut rng).unwrap().to_vec(),
        x.to_vec()
    );
    assert!(dropout(&x, 1.5, true, &mut rng).is_err());
    // Same seed, same mask.
    let a = dropout(&x, 0.3, true, &mut seeded_rng(11))
        .unwrap()
        .to_vec();
    let b = dropout(&x, 0.3, true, &mut seeded_rng(11))
        .unwrap()
        .to_vec();
    assert_eq!(a, b);
    // The gradient is the mask.
    check_grads(
        |t| dropout(&t[0], 0.3, true, &mut seeded_rng(11)),
        &[x],
        GradCheckOptions::default(),
    )
    .unwrap();
}

#[test]
fn losses_match_references_and_their_gradients() {
    let logits = Tensor::<f64>::randn_seeded(&[4, 5], 2)
        .unwrap()
        .mul_scalar(3.0)
        .unwrap();
    let targets = [0usize, 4, 2, 2];
    let v = logits.to_vec();
    let mut want = 0.0;
    for (i, &t) in targets.iter().enumerate() {
        want -= reference_softmax(&v[i * 5..i * 5 + 5])[t].ln();
    }
    want /= 4.0;
    let ce = cross_entropy(&logits, &targets).unwrap().item().unwrap();
    assert!((ce - want).abs() < 1e-12, "{ce} vs {want}");
    let nll = nll_loss(&logits.log_softmax(1).unwrap(), &targets)
        .unwrap()
        .item()
        .unwrap();
    assert!((nll - want).abs() < 1e-12);
    check_grads(
        |a| cross_entropy(&a[0], &targets),
        std::slice::from_ref(&logits),
        GradCheckOptions::default(),
    )
    .unwrap();
    check_grads(
        |a| nll_loss(&a[0].log_softmax(1)?, &targets),
        std::slice::from_ref(&logits),
        GradCheckOptions::default(),
    )
    .unwrap();
    assert!(cross_entropy(&logits, &[0, 1]).is_err());
    let err = cross_entropy(&logits, &[0, 1, 2, 5])
        .unwrap_err()
        .to_string();
    assert!(err.contains("target 5") && err.contains("[4, 5]"), "{err}");

    let t = Tensor::<f64>::rand_seeded(&[4, 5], 3).unwrap();
    let bce = bce_with_logits(&logits, &t).unwrap().item().unwrap();
    let tv = t.to_vec();
    let want: f64 = v
        .iter()
        .zip(&tv)
        .map(|(&x, &y)| {
            let p = 1.0 / (1.0 + (-x).exp());
            -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
        })
        .sum::<f64>()
        / 20.0;
    assert!((bce - want).abs() < 1e-10, "{bce} vs {want}");
    check_grads(
        |a| bce_with_logits(&a[0], &a[1]),
        &[logits, t],
        GradCheckOptions::default(),
    )
    .unwrap();
    // The derivative at exactly 0 is sigmoid(0) - t = 0.5 - t.
    let z = Tensor::<f64>::zeros(&[1]).unwrap().requires_grad_(true);
    bce_with_logits(&z, &Tensor::from_vec(vec![0.25], &[1]).unwrap())
        .unwrap()
        .backward()
        .unwrap();
    assert_eq!(z.grad().unwrap().to_vec(), vec![0.25]);
}

#[test]
fn isolated_backward_kernels_match_autograd_and_check_shapes() {
    use simdgrad::nn::functional::{log_softmax_backward, softmax_backward};
    let x = Tensor::<f64>::randn_seeded(&[3, 6], 4).unwrap();
    let g = Tensor::<f64>::randn_seeded(&[3, 6], 5).unwrap();
    for (log, y) in [
        (false, x.softmax(1).unwrap()),
        (true, x.log_softmax(1).unwrap()),
    ] {
        let leaf = x.detach().requires_grad_(true);
        let out = if log {
            leaf.log_softmax(1)
        } else {
            leaf.softmax(1)
        }
        .unwrap();
        out.backward_with(&g).unwrap();
        let isolated = if log {
            log_softmax_backward(&y, &g, 1)
        } else {
            softmax_backward(&y, &g, -1)
        }
        .unwrap();
        assert_eq!(isolated.to_vec(), leaf.grad().unwrap().to_vec());
    }
    let err = softmax_backward(&x, &g.narrow(1, 0, 5).unwrap(), 1).unwrap_err();
    assert!(
        err.to_string().contains("[3, 6]") && err.to_string().contains("[3, 5]"),
        "{err}"
    );
}
