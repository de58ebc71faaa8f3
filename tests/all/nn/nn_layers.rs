//! The convolution, pooling, dropout, shape and softmax layers: MiniTorch's worked values and
//! test_nn cases, every layer's gradient through `check_grads` in f64, and the errors a user
//! sees for bad shapes.

use simdgrad::check_grads::{check_grads, GradCheckOptions};
use simdgrad::conv::ConvParams;
use simdgrad::nn::init::seeded_rng;
use simdgrad::nn::{
    AvgPool2d, Conv1d, Conv2d, Dropout, Flatten, LogSoftmax, MaxPool2d, Module, Softmax, View,
};
use simdgrad::Tensor;

fn t64(v: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

fn grid_1_to_16() -> Tensor<f64> {
    Tensor::<f64>::arange(1.0, 17.0, 1.0)
        .unwrap()
        .view(&[1, 1, 4, 4])
        .unwrap()
}

fn ok(f: impl Fn(&[Tensor<f64>]) -> simdgrad::Result<Tensor<f64>>, inputs: &[Tensor<f64>]) {
    if let Err(e) = check_grads(f, inputs, GradCheckOptions::default()) {
        panic!("{e}");
    }
}

// ---- MiniTorch's worked convolution values, through the tensor ops ----

#[test]
fn conv1d_reproduces_minitorchs_worked_values() {
    let anchored = ConvParams::anchored_start(3);
    let x = t64(&[0.0, 1.0, 2.0, 3.0], &[1, 1, 4]);
    let w = t64(&[1.0, 2.0, 3.0], &[1, 1, 3]);
    assert_eq!(
        x.conv1d(&w, None, anchored).unwrap().to_vec(),
        [8.0, 14.0, 8.0, 3.0]
    );
    let x6 = t64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[1, 1, 6]);
    let w6 = t64(&[5.0, 2.0, 3.0], &[1, 1, 3]);
    assert_eq!(
        x6.conv1d(&w6, None, anchored).unwrap().to_vec(),
        [18.0, 28.0, 38.0, 48.0, 37.0, 30.0]
    );
    let x2 = t64(&[0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0], &[1, 2, 4]);
    let w2 = t64(&[1.0, 2.0, 3.0, 1.0, 2.0, 3.0], &[1, 2, 3]);
    assert_eq!(
        x2.conv1d(&w2, None, anchored).unwrap().to_vec(),
        [16.0, 28.0, 16.0, 6.0]
    );
}

#[test]
fn conv1d_input_gradient_matches_minitorchs_worked_value() {
    let x = t64(&[0.0, 1.0, 2.0, 3.0], &[1, 1, 4]).requires_grad_(true);
    let w = t64(&[1.0, 2.0, 3.0], &[1, 1, 3]);
    let y = x.conv1d(&w, None, ConvParams::anchored_start(3)).unwrap();
    y.backward_with(&t64(&[0.0, 1.0, 2.0, 3.0], &[1, 1, 4]))
        .unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), [0.0, 1.0, 4.0, 10.0]);
}

#[test]
fn conv2d_reproduces_minitorchs_worked_grid() {
    let x = t64(&[0.0, 1.0, 2.0, 3.0].repeat(4), &[1, 1, 4, 4]);
    let w = Tensor::<f64>::ones(&[1, 1, 2, 2]).unwrap();
    let y = x
        .conv2d(&w, None, [ConvParams::anchored_start(2); 2])
        .unwrap()
        .to_vec();
    let mut want = [2.0, 6.0, 10.0, 6.0].repeat(3);
    want.extend([1.0, 3.0, 5.0, 3.0]);
    assert_eq!(y, want);
}

#[test]
fn conv2d_bias_is_added_per_output_channel() {
    let x = Tensor::<f64>::zeros(&[2, 1, 3, 3]).unwrap();
    let w = Tensor::<f64>::ones(&[2, 1, 3, 3]).unwrap();
    let b = t64(&[1.5, -2.0], &[2]);
    let y = x.conv2d(&w, Some(&b), [ConvParams::padded(1); 2]).unwrap();
    assert_eq!(y.shape(), &[2, 2, 3, 3]);
    let v = y.to_vec();
    assert!(v[..9].iter().all(|&e| e == 1.5));
    assert!(v[9..18].iter().all(|&e| e == -2.0));
}

// ---- gradients ----

#[test]
fn conv2d_gradients_pass_check_grads_with_stride_padding_dilation_and_bias() {
    let cases = [
        [ConvParams::anchored_start(3); 2],
        [ConvParams::padded(1).with_stride(2); 2],
        [
            ConvParams::valid().with_dilation(2),
            ConvParams::padded(2).with_padding(1, 2),
        ],
    ];
    for (seed, params) in cases.into_iter().enumerate() {
        let seed = seed as u64;
        let x = Tensor::<f64>::randn_seeded(&[2, 3, 6, 5], seed).unwrap();
        let w = Tensor::<f64>::randn_seeded(&[4, 3, 3, 3], seed + 10).unwrap();
        let b = Tensor::<f64>::randn_seeded(&[4], seed + 20).unwrap();
        ok(|v| v[0].conv2d(&v[1], Some(&v[2]), params), &[x, w, b]);
    }
}

#[test]
fn conv1d_gradients_pass_check_grads_on_a_permuted_input() {
    // MiniTorch's SST-2 model feeds embeddings (B, L, E) permuted to (B, E, L).
    let emb = Tensor::<f64>::randn_seeded(&[2, 9, 4], 1).unwrap();
    let w = Tensor::<f64>::randn_seeded(&[3, 4, 4], 2).unwrap();
    let b = Tensor::<f64>::randn_seeded(&[3], 3).unwrap();
    ok(
        |v| {
            v[0].permute(&[0, 2, 1])?
                .conv1d(&v[1], Some(&v[2]), ConvParams::valid())
        },
        &[emb.clone(), w.clone(), b],
    );
    // A permuted weight too, and MiniTorch's anchoring.
    ok(
        |v| {
            let w = v[1].permute(&[1, 0, 2])?; // (3, 4, 4) read as (4, 3, 4)
            v[0].permute(&[0, 2, 1])?.narrow(1, 0, 3)?.conv1d(
                &w,
                None,
                ConvParams::anchored_start(4),
            )
        },
        &[emb, w],
    );
}

#[test]
fn conv_layers_match_the_tensor_ops_and_name_their_parameters() {
    let mut rng = seeded_rng(0);
    let c2 = Conv2d::<f64>::new(2, 3, [3, 3], &mut rng)
        .unwrap()
        .with_padding(1);
    let x = Tensor::<f64>::randn_seeded(&[2, 2, 5, 5], 4).unwrap();
    let y = c2.forward(&x).unwrap();
    assert_eq!(y.shape(), &[2, 3, 5, 5]);
    let names: Vec<String> = c2.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weight", "bias"]);
    // PyTorch's default bound 1/sqrt(fan_in) = 1/sqrt(18).
    let bound = 1.0 / 18f64.sqrt();
    assert!(c2.weight.to_vec().iter().all(|v| v.abs() <= bound));
    // The layer is exactly the tensor op on its parameters.
    let direct = x
        .conv2d(&c2.weight, c2.bias.as_ref(), [ConvParams::padded(1); 2])
        .unwrap();
    assert_eq!(y.to_vec(), direct.to_vec());
    let params = c2.params;
    ok(
        |v| v[0].conv2d(&v[1], Some(&v[2]), params),
        &[x, c2.weight.detach(), c2.bias.clone().unwrap().detach()],
    );
    let c1 = Conv1d::<f64>::new(4, 2, 3, &mut rng).unwrap();
    let y = c1
        .forward(&Tensor::<f64>::randn_seeded(&[3, 4, 7], 5).unwrap())
        .unwrap();
    assert_eq!(y.shape(), &[3, 2, 5]);
    assert_eq!(c1.parameters().len(), 2);
}

#[test]
fn pooling_gradients_pass_check_grads_including_stride_not_equal_to_window_and_padding() {
    let x = Tensor::<f64>::randn_seeded(&[2, 3, 6, 7], 7).unwrap();
    for (kernel, stride, padding) in [
        ([2, 2], [2, 2], [0, 0]),
        ([3, 3], [2, 2], [1, 1]),
        ([3, 2], [1, 2], [0, 1]),
    ] {
        ok(
            |v| v[0].avg_pool2d(kernel, stride, padding),
            std::slice::from_ref(&x),
        );
        ok(
            |v| v[0].max_pool2d(kernel, stride, padding),
            std::slice::from_ref(&x),
        );
    }
    // Through the layers, on a permuted (non-contiguous) input.
    ok(
        |v| MaxPool2d::new([2, 2]).forward(&v[0].permute(&[0, 1, 3, 2])?),
        std::slice::from_ref(&x),
    );
    ok(
        |v| AvgPool2d::new([2, 3]).forward(&v[0]),
        std::slice::from_ref(&x),
    );
}

#[test]
fn shape_and_softmax_layers_pass_check_grads() {
    let x = Tensor::<f64>::randn_seeded(&[3, 2, 2, 2], 8).unwrap();
    ok(
        |v| Softmax::new(1).forward(&Flatten.forward(&v[0])?),
        std::slice::from_ref(&x),
    );
    ok(
        |v| LogSoftmax::new(-1).forward(&View::new(&[4, 2]).forward(&v[0])?),
        std::slice::from_ref(&x),
    );
    // Flatten of a permuted input copies in the right order.
    let p = x.permute(&[0, 2, 3, 1]).unwrap();
    assert_eq!(
        Flatten.forward(&p).unwrap().to_vec(),
        p.contiguous().to_vec()
    );
}

#[test]
fn dropout_layer_passes_check_grads_with_a_fixed_mask() {
    // A fresh layer per evaluation draws the same mask, so the function is deterministic.
    let x = Tensor::<f64>::randn_seeded(&[4, 5], 9).unwrap();
    ok(
        |v| Dropout::new(0.4, 11)?.forward(&v[0]),
        std::slice::from_ref(&x),
    );
}

// ---- MiniTorch's test_nn cases ----

#[test]
fn avgpool_and_maxpool_on_the_grid_1_to_16_give_minitorchs_values() {
    let t = grid_1_to_16();
    assert_eq!(
        t.avg_pool2d([2, 2], [2, 2], [0, 0]).unwrap().to_vec(),
        [3.5, 5.5, 11.5, 13.5]
    );
    assert_eq!(
        t.max_pool2d([2, 2], [2, 2], [0, 0]).unwrap().to_vec(),
        [6.0, 8.0, 14.0, 16.0]
    );
    // The kernels agree with the origami reference.
    assert_eq!(
        t.max_pool2d([2, 2], [2, 2], [0, 0]).unwrap().to_vec(),
        simdgrad::pool::maxpool2d(&t, [2, 2]).unwrap().to_vec()
    );
    assert_eq!(
        t.avg_pool2d([1, 2], [1, 2], [0, 0]).unwrap().to_vec(),
        simdgrad::pool::avgpool2d(&t, [1, 2]).unwrap().to_vec()
    );
}

#[test]
fn tile_lays_out_each_block_along_the_last_axis() {
    let t = grid_1_to_16();
    let tiled = t.tile(2, 2).unwrap();
    assert_eq!(tiled.shape(), &[1, 1, 2, 2, 4]);
    assert_eq!(&tiled.to_vec()[..4], &[1.0, 2.0, 5.0, 6.0]);
    let t12 = t.tile(1, 2).unwrap();
    assert_eq!(&t12.to_vec()[..4], &[1.0, 2.0, 3.0, 4.0]);
    // The gradient through tile lands back in block order (semantics.md's trap).
    let x = grid_1_to_16().requires_grad_(true);
    let seed = Tensor::<f64>::arange(0.0, 16.0, 1.0)
        .unwrap()
        .view(&[1, 1, 2, 2, 4])
        .unwrap();
    x.tile(2, 2).unwrap().backward_with(&seed).unwrap();
    assert_eq!(
        x.grad().unwrap().to_vec(),
        [0.0, 1.0, 4.0, 5.0, 2.0, 3.0, 6.0, 7.0, 8.0, 9.0, 12.0, 13.0, 10.0, 11.0, 14.0, 15.0]
    );
}

#[test]
fn max_pool_backward_sends_each_windows_gradient_to_one_maximum() {
    let x = Tensor::<f64>::ones(&[1, 1, 4, 4])
        .unwrap()
        .requires_grad_(true);
    let y = x.max_pool2d([2, 2], [2, 2], [0, 0]).unwrap();
    y.sum_all().unwrap().backward().unwrap();
    let g = x.grad().unwrap().to_vec();
    assert_eq!(g.iter().sum::<f64>(), 4.0);
    // The first maximum of each window in row-major order.
    assert_eq!(
        g,
        [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    // Overlapping windows (stride 1) add their gradients on a shared maximum.
    let z = grid_1_to_16().requires_grad_(true);
    z.max_pool2d([2, 2], [1, 1], [0, 0])
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    assert_eq!(z.grad().unwrap().to_vec().iter().sum::<f64>(), 9.0);
}

#[test]
fn dropout_rate_zero_is_identity_rate_one_is_zero_and_eval_mode_is_identity() {
    let x = Tensor::<f64>::randn_seeded(&[10, 10], 1).unwrap();
    let keep = Dropout::new(0.0, 0).unwrap();
    assert_eq!(keep.forward(&x).unwrap().to_vec(), x.to_vec());
    let drop = Dropout::new(1.0, 0).unwrap();
    assert!(drop.forward(&x).unwrap().to_vec().iter().all(|&v| v == 0.0));
    let mut half = Dropout::new(0.5, 3).unwrap();
    let y = half.forward(&x).unwrap().to_vec();
    let kept = y.iter().filter(|&&v| v != 0.0).count();
    assert!((30..70).contains(&kept), "kept {kept}");
    for (a, b) in x.to_vec().iter().zip(&y) {
        assert!(*b == 0.0 || (b - 2.0 * a).abs() < 1e-12);
    }
    // Same seed, same masks; a second call draws a new one.
    let again = Dropout::new(0.5, 3).unwrap().forward(&x).unwrap().to_vec();
    assert_eq!(y, again);
    assert_ne!(y, half.forward(&x).unwrap().to_vec());
    Module::<f64>::set_training(&mut half, false);
    assert_eq!(half.forward(&x).unwrap().to_vec(), x.to_vec());
    assert!(Dropout::new(1.5, 0).is_err());
}

#[test]
fn softmax_rows_sum_to_one_and_logsoftmax_exponentiates_to_one() {
    let x = Tensor::<f64>::randn_seeded(&[4, 7], 2)
        .unwrap()
        .mul_scalar(10.0)
        .unwrap();
    let s = Softmax::new(1)
        .forward(&x)
        .unwrap()
        .sum(1)
        .unwrap()
        .to_vec();
    assert!(s.iter().all(|v| (v - 1.0).abs() < 1e-12));
    let ls = LogSoftmax::new(1)
        .forward(&x)
        .unwrap()
        .exp()
        .unwrap()
        .sum(1)
        .unwrap()
        .to_vec();
    assert!(ls.iter().all(|v| (v - 1.0).abs() < 1e-12));
    let col = Softmax::new(0)
        .forward(&x)
        .unwrap()
        .sum(0)
        .unwrap()
        .to_vec();
    assert!(col.iter().all(|v| (v - 1.0).abs() < 1e-12));
}

// ---- errors ----

#[test]
fn channel_mismatch_is_a_clear_error_naming_both_shapes() {
    let x = Tensor::<f64>::zeros(&[1, 3, 8, 8]).unwrap();
    let w = Tensor::<f64>::zeros(&[4, 2, 3, 3]).unwrap();
    let msg = x
        .conv2d(&w, None, [ConvParams::valid(); 2])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("3 input channels"), "{msg}");
    assert!(msg.contains("[4, 2, 3, 3]"), "{msg}");
    let x1 = Tensor::<f64>::zeros(&[1, 3, 8]).unwrap();
    let w1 = Tensor::<f64>::zeros(&[4, 2, 3]).unwrap();
    let msg = x1
        .conv1d(&w1, None, ConvParams::valid())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("expects 2"), "{msg}");
}

#[test]
fn window_larger_than_input_is_a_clear_error() {
    let x = Tensor::<f64>::zeros(&[1, 1, 2, 8]).unwrap();
    let w = Tensor::<f64>::zeros(&[1, 1, 3, 3]).unwrap();
    let msg = x
        .conv2d(&w, None, [ConvParams::valid(); 2])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("larger than the padded input"), "{msg}");
    let msg = x
        .max_pool2d([3, 3], [1, 1], [0, 0])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("larger than the padded input"), "{msg}");
}

#[test]
fn wrong_ranks_and_bias_shapes_are_errors_not_panics() {
    let x = Tensor::<f64>::zeros(&[1, 1, 5, 5]).unwrap();
    let w = Tensor::<f64>::zeros(&[2, 1, 3, 3]).unwrap();
    let bad_bias = Tensor::<f64>::zeros(&[3]).unwrap();
    let msg = x
        .conv2d(&w, Some(&bad_bias), [ConvParams::valid(); 2])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("bias"), "{msg}");
    assert!(x
        .conv1d(&w, None, ConvParams::valid())
        .unwrap_err()
        .to_string()
        .contains("3-D"));
    assert!(Tensor::<f64>::zeros(&[5, 5])
        .unwrap()
        .avg_pool2d([2, 2], [2, 2], [0, 0])
        .is_err());
    assert!(Conv2d::<f64>::new(0, 1, [3, 3], &mut seeded_rng(0)).is_err());
}
