//! The SST-2-style conv1d example learns its generated task: keyword-only sentences almost
//! perfectly, the full compositional language clearly above the keyword rule. Small instances
//! (a few seconds at the test profile's opt-level 1); the example's module doc has the full
//! run's figures. Also: the f32 path of the model's pieces (conv1d on a permuted input with
//! MiniTorch's anchoring, ReLU, max over time) matches the f64 path that `check_grads`
//! verifies, at the example's shapes, so a poor accuracy is not a kernel bug.

#[path = "../../../examples/sst_conv1d.rs"]
mod sst;

use simdgrad::conv::ConvParams;
use simdgrad::Tensor;
use sst::{train, Args};

fn small(keywords_only: bool, train_sentences: usize, channels: usize, lr: f64) -> Args {
    Args {
        epochs: 2,
        train: train_sentences,
        valid: 1000,
        batch_size: 32,
        lr,
        channels,
        embed: 50,
        dropout: 0.25,
        keywords_only,
        threads: None,
        seed: 0,
    }
}

#[test]
fn keyword_only_sentences_are_learnt_almost_perfectly() {
    // Max over time of a width-3..5 detector is exactly "is a positive / negative word
    // present": the architecture must solve this (measured: 96.6% on clean labels).
    let s = train(&small(true, 3000, 8, 0.01), |_| {}).unwrap();
    assert!(s.model.clean >= 0.92, "{s:?}");
    assert_eq!(s.keyword.clean, 1.0, "the rule is the keyword rule here");
}

#[test]
fn the_compositional_task_beats_the_keyword_rule() {
    // Measured: 80.1% on clean labels against the keyword rule's 73.3% and the majority
    // class's ~50%.
    let s = train(&small(false, 8000, 16, 0.003), |_| {}).unwrap();
    assert!(s.majority.clean < 0.56, "{s:?}");
    assert!(s.model.clean > s.keyword.clean + 0.03, "{s:?}");
    assert!(s.model.noisy > s.keyword.noisy, "{s:?}");
}

#[test]
fn bad_arguments_are_errors() {
    for args in [
        Args {
            epochs: 0,
            ..small(true, 10, 2, 0.01)
        },
        Args {
            lr: f64::NAN,
            ..small(true, 10, 2, 0.01)
        },
        Args {
            dropout: 1.0,
            ..small(true, 10, 2, 0.01)
        },
    ] {
        let e = train(&args, |_| {}).unwrap_err().to_string();
        assert!(e.contains("sst_conv1d"), "{e}");
    }
}

fn to_f64(t: &Tensor<f32>) -> Tensor<f64> {
    let v = t.to_vec().into_iter().map(f64::from).collect();
    Tensor::from_vec(v, t.shape()).unwrap()
}

fn max_abs_diff(a: &Tensor<f32>, b: &Tensor<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    let (a, b) = (a.to_vec(), b.to_vec());
    a.iter()
        .zip(&b)
        .map(|(&x, &y)| (f64::from(x) - y).abs())
        .fold(0.0, f64::max)
}

/// `relu(conv1d(emb^T)).max(2)` and its gradients for one precision.
fn pooled_conv<E: simdgrad::simd::SimdElement>(
    emb: &Tensor<E>,
    w: &Tensor<E>,
    b: &Tensor<E>,
    upstream: &Tensor<E>,
    k: usize,
) -> [Tensor<E>; 4] {
    let [emb, w, b] = [emb, w, b].map(|t| t.detach().requires_grad_(true));
    let y = emb
        .permute(&[0, 2, 1])
        .unwrap()
        .conv1d(&w, Some(&b), ConvParams::anchored_start(k))
        .unwrap()
        .relu()
        .unwrap()
        .max(2)
        .unwrap();
    y.mul(upstream)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let grad = |t: &Tensor<E>| t.grad().expect("a gradient");
    [y.detach(), grad(&emb), grad(&w), grad(&b)]
}

#[test]
fn f32_model_pieces_match_the_f64_path() {
    // (batch, embedding, length, channels): the example's default and test shapes, and a
    // ragged one that leaves SIMD tails.
    for (batch, embed, len, channels) in [(32, 50, 16, 32), (32, 50, 16, 16), (7, 13, 11, 5)] {
        for k in [3, 4, 5] {
            let seed = (batch * 1000 + channels * 10 + k) as u64;
            let emb = Tensor::<f32>::randn_seeded(&[batch, len, embed], seed).unwrap();
            let w = Tensor::<f32>::randn_seeded(&[channels, embed, k], seed + 1).unwrap();
            let b = Tensor::<f32>::randn_seeded(&[channels], seed + 2).unwrap();
            let g = Tensor::<f32>::randn_seeded(&[batch, channels, 1], seed + 3).unwrap();
            let single = pooled_conv(&emb, &w, &b, &g, k);
            let double = pooled_conv(&to_f64(&emb), &to_f64(&w), &to_f64(&b), &to_f64(&g), k);
            for (name, (s, d)) in ["output", "d emb", "d weight", "d bias"]
                .iter()
                .zip(single.iter().zip(&double))
            {
                let diff = max_abs_diff(s, d);
                assert!(
                    diff < 1e-3,
                    "{name}, shape {batch}x{embed}x{len}, {channels} channels, k {k}: {diff}"
                );
            }
        }
    }
}
