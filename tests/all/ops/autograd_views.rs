//! Backward of the views (permute, transpose, view, reshape, contiguous, narrow, slice,
//! select, squeeze, unsqueeze, broadcast_to/expand, as_strided), checked with `check_grads`
//! in f64 at rtol 1e-6, plus the "scrambled view gradient" trap of semantics.md.

use simdgrad::check_grads::{check_grads, GradCheckOptions};
use simdgrad::{Result, Tensor};

fn randn(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::randn_seeded(shape, seed).unwrap()
}

/// A tensor of `shape` whose storage is laid out in another dim order (non-contiguous).
fn permuted(shape: &[usize], seed: u64) -> Tensor<f64> {
    let n = shape.len();
    let rev: Vec<usize> = (0..n).rev().collect();
    let stored: Vec<usize> = rev.iter().map(|&d| shape[d]).collect();
    randn(&stored, seed).permute(&rev).unwrap()
}

fn check(f: impl Fn(&[Tensor<f64>]) -> Result<Tensor<f64>>, inputs: &[Tensor<f64>]) {
    let options = GradCheckOptions::default();
    assert!(options.rtol <= 1e-6);
    if let Err(e) = check_grads(f, inputs, options) {
        panic!("{e}");
    }
}

#[test]
fn permute_gradient_is_permuted_back_by_the_inverse_order() {
    check(|x| x[0].permute(&[2, 0, 1]), &[randn(&[2, 3, 4], 1)]);
    check(|x| x[0].permute(&[1, 2, 0]), &[permuted(&[2, 3, 4], 2)]);
    check(|x| x[0].permute(&[0, 2, 1]), &[randn(&[3, 0, 2], 3)]);
}

#[test]
fn transpose_gradient() {
    check(|x| x[0].transpose(0, -1), &[randn(&[2, 3, 4], 4)]);
    check(|x| x[0].transpose(1, 1), &[permuted(&[3, 1], 5)]);
}

#[test]
fn view_and_reshape_gradients_keep_logical_order() {
    check(|x| x[0].view(&[3, 2, 2]), &[randn(&[2, 6], 6)]);
    check(|x| x[0].reshape(&[4, 6]), &[permuted(&[2, 3, 4], 7)]); // copies
    check(|x| x[0].reshape(&[24]), &[randn(&[2, 3, 4], 8)]); // a view
    check(|x| x[0].reshape(&[0, 5]), &[randn(&[5, 0], 9)]);
}

#[test]
fn contiguous_gradient_is_the_identity() {
    check(|x| Ok(x[0].contiguous()), &[permuted(&[3, 4], 10)]);
    check(|x| Ok(x[0].contiguous()), &[randn(&[3, 4], 11)]);
}

#[test]
fn narrow_slice_and_select_place_the_gradient_into_zeros() {
    check(|x| x[0].narrow(1, 1, 2), &[randn(&[3, 4], 12)]);
    check(|x| x[0].narrow(-1, 0, 0), &[permuted(&[3, 4], 13)]);
    check(|x| x[0].slice(0, 1..6, 2), &[randn(&[7, 2], 14)]);
    check(|x| x[0].slice(-1, .., 3), &[permuted(&[2, 7], 15)]);
    check(|x| x[0].select(1, 2), &[permuted(&[2, 3, 4], 16)]);
    check(|x| x[0].select(0, 0), &[randn(&[1], 17)]);
}

#[test]
fn squeeze_and_unsqueeze_gradients() {
    check(|x| x[0].squeeze(1), &[randn(&[3, 1, 2], 18)]);
    check(|x| x[0].squeeze(0), &[randn(&[3, 1, 2], 19)]); // size 3: unchanged view
    check(|x| Ok(x[0].squeeze_all()), &[permuted(&[1, 3, 1, 2], 20)]);
    check(
        |x| x[0].unsqueeze(-1)?.unsqueeze(0),
        &[permuted(&[3, 2], 21)],
    );
}

#[test]
fn broadcast_gradient_is_summed_back_to_the_input_shape() {
    // MiniTorch's cases: (1,) → (5, 5); (5, 1, 5, 1) → (5, 5, 5, 5); a bias (4, 1, 1).
    check(|x| x[0].broadcast_to(&[5, 5]), &[randn(&[1], 22)]);
    check(|x| x[0].expand(&[5, 5, 5, 5]), &[randn(&[5, 1, 5, 1], 23)]);
    check(|x| x[0].expand(&[2, 4, 3, 3]), &[randn(&[4, 1, 1], 24)]);
    check(|x| x[0].expand(&[3, 0, 2]), &[randn(&[1, 2], 25)]);
    check(|x| x[0].broadcast_to(&[2, 3, 4]), &[permuted(&[3, 4], 26)]);
}

#[test]
fn sum_of_broadcast_gradient_is_exact_for_a_uniform_seed() {
    let b = Tensor::<f64>::zeros(&[3]).unwrap().requires_grad_(true);
    let y = b.expand(&[4, 3]).unwrap();
    y.backward_with(&Tensor::ones(&[4, 3]).unwrap()).unwrap();
    assert_eq!(b.grad().unwrap().to_vec(), vec![4.0; 3]);
}

#[test]
fn as_strided_gradient_sums_overlapping_windows() {
    check(|x| x[0].as_strided(&[3, 2], &[1, 1], 0), &[randn(&[4], 27)]);
    let x = Tensor::<f64>::zeros(&[4]).unwrap().requires_grad_(true);
    let w = x.as_strided(&[3, 2], &[1, 1], 0).unwrap();
    w.backward_with(&Tensor::ones(&[3, 2]).unwrap()).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 2.0, 2.0, 1.0]);
}

#[test]
fn chains_of_views_compose() {
    check(
        |x| {
            x[0].permute(&[1, 0, 2])?
                .narrow(0, 1, 2)?
                .reshape(&[2, 8])?
                .unsqueeze(1)?
                .expand(&[2, 3, 8])?
                .select(-1, 5)
        },
        &[permuted(&[2, 3, 4], 28)],
    );
}

/// MiniTorch's `tile`: (B,C,H,W) → contiguous → view (B,C,H/kh,kh,W/kw,kw) → permute
/// (0,1,2,4,3,5) → contiguous → view (B,C,H/kh,W/kw,kh·kw).
fn tile(x: &Tensor<f64>, kh: usize, kw: usize) -> Result<Tensor<f64>> {
    let s = x.shape().to_vec();
    let (b, c, h, w) = (s[0], s[1], s[2], s[3]);
    x.contiguous()
        .view(&[b, c, h / kh, kh, w / kw, kw])?
        .permute(&[0, 1, 2, 4, 3, 5])?
        .contiguous()
        .view(&[b, c, h / kh, w / kw, kh * kw])
}

#[test]
fn tile_gradient_is_not_scrambled_by_view() {
    // semantics.md: a 4×4 input tiled (2, 2); tile-gradient 0..15 maps back to rows
    // [0,1,4,5], [2,3,6,7], [8,9,12,13], [10,11,14,15].
    let x = Tensor::<f64>::arange(1.0, 17.0, 1.0)
        .unwrap()
        .view(&[1, 1, 4, 4])
        .unwrap();
    let x = x.requires_grad_(true);
    let t = tile(&x, 2, 2).unwrap();
    assert_eq!(t.shape(), &[1, 1, 2, 2, 4]);
    assert_eq!(
        t.select(3, 0).unwrap().select(2, 0).unwrap().to_vec(),
        vec![1.0, 2.0, 5.0, 6.0]
    );
    let g = Tensor::<f64>::arange(0.0, 16.0, 1.0)
        .unwrap()
        .view(&[1, 1, 2, 2, 4])
        .unwrap();
    t.backward_with(&g).unwrap();
    let grad = x.grad().unwrap();
    assert_eq!(grad.shape(), &[1, 1, 4, 4]);
    assert_eq!(
        grad.to_vec(),
        vec![
            0.0, 1.0, 4.0, 5.0, //
            2.0, 3.0, 6.0, 7.0, //
            8.0, 9.0, 12.0, 13.0, //
            10.0, 11.0, 14.0, 15.0,
        ]
    );
    // And through check_grads, on a non-square, permuted input with (1, 2) tiles.
    check(|x| tile(&x[0], 1, 2), &[permuted(&[2, 1, 3, 4], 29)]);
    check(|x| tile(&x[0], 2, 2), &[randn(&[1, 2, 4, 6], 30)]);
}
