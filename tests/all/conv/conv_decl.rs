//! `simdgrad::conv!` declarations: the generated kernels agree with the run-time (generic)
//! kernel and the naive loop on random run-time sizes, parameters, layouts, biases and fused
//! activations; MiniTorch's worked values; exact gradients (f64 `check_grads`) through the
//! generated tensor op; and errors, never panics, for shapes the declaration does not accept.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use simdgrad::check_grads::{check_grads, GradCheckOptions};
use simdgrad::conv::{naive, ConvDecl, ConvKernel, ConvParams, ConvShape, Dynamic, StridedRef};
use simdgrad::ops::builtins::Relu;
use simdgrad::{Error, Tensor};

/// A smooth activation written with the DSL, so finite differences see no kink.
#[simdgrad::map]
pub fn swish(x: f32) -> f32 {
    x * sigmoid(x)
}

simdgrad::conv! {
    /// MiniTorch's conv2d convention.
    pub conv3x3: rank = 2, kernel = [3, 3], stride = 1, padding = anchored_top_left;
    pub conv5x5_same: rank = 2, kernel = [5, 5], padding = [2, 2];
    pub conv3x3_s2: kernel = [3, 3], stride = 2, padding = 1, bias = true, activation = Relu;
    pub conv2x3_odd: kernel = [2, 3], stride = [1, 2], padding = [[0, 2], [1, 0]], dilation = [2, 1];
    pub conv1x1_swish: kernel = [1, 1], activation = Swish;
    pub conv1d_k4_end: rank = 1, kernel = [4], padding = anchored_end, bias = false;
    pub conv1d_k3: rank = 1, kernel = [3], padding = anchored_left;
    pub conv1d_k5_swish: kernel = [5], padding = same, dilation = 2, activation = Swish;
    pub conv3x3_any: kernel = [3, 3], params = runtime;
    // Stride and dilation as constants of the unrolled 3×3 / 2×2 tiles, and of the table walk.
    pub conv3x3_s2_d2: kernel = [3, 3], stride = 2, dilation = 2, padding = 2;
    pub conv3x3_s21_d12: kernel = [3, 3], stride = [2, 1], dilation = [1, 2], padding = [[1, 0], [2, 2]];
    pub conv2x2_s2: kernel = [2, 2], stride = 2;
    pub conv1d_k3_s3_d3: rank = 1, kernel = [3], stride = 3, dilation = 3, padding = 4
}

fn fill(rng: &mut StdRng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-11 * (1.0 + w.abs()),
            "{what}: element {i}: got {g}, want {w}"
        );
    }
}

/// A tensor holding `logical` (row-major `shape`) whose storage order is `order`: a permuted
/// view, not a contiguous tensor.
fn permuted(logical: &[f64], shape: &[usize], order: &[usize]) -> Tensor<f64> {
    let stored_shape: Vec<usize> = order.iter().map(|&d| shape[d]).collect();
    let t = Tensor::from_vec(logical.to_vec(), shape).unwrap();
    // Make storage in `order`, then view it back in the logical dim order.
    let stored = t.permute(order).unwrap().contiguous();
    assert_eq!(stored.shape(), &stored_shape[..]);
    let mut inverse = vec![0; order.len()];
    for (k, &d) in order.iter().enumerate() {
        inverse[d] = k;
    }
    let v = stored.permute(&inverse).unwrap();
    assert_eq!(v.to_vec(), logical);
    v
}

/// Runs one random case of the declaration `D` (`op` is its tensor op): the slice forward, the
/// tensor op on permuted inputs, and both backward kernels, against naive and generic kernels.
fn check_decl<D: ConvDecl + ConvKernel>(
    rng: &mut StdRng,
    act: fn(f64) -> f64,
    op: impl Fn(&Tensor<f64>, &Tensor<f64>, Option<&Tensor<f64>>) -> simdgrad::Result<Tensor<f64>>,
    forward: impl Fn(&ConvShape, &[f64], &[f64], Option<&[f64]>, &mut [f64]) -> simdgrad::Result<()>,
) {
    let [kh, kw] = D::KERNEL;
    let params = D::PARAMS.unwrap();
    for case in 0..12 {
        let (b, c, o) = (
            rng.gen_range(1..=2),
            rng.gen_range(1..=5),
            rng.gen_range(1..=11),
        );
        let h = if D::RANK == 1 {
            1
        } else {
            rng.gen_range(1..=9)
        };
        let w = rng.gen_range(1..=12);
        let Ok(s) = ConvShape::conv2d([b, c, h, w], [o, c, kh, kw], params) else {
            continue;
        };
        let what = format!("{} case {case}: {s}", D::NAME);
        let x = fill(rng, b * c * h * w);
        let wt = fill(rng, o * c * kh * kw);
        let bias = match D::BIAS {
            simdgrad::conv::BiasRule::Forbidden => None,
            simdgrad::conv::BiasRule::Required => Some(fill(rng, o)),
            simdgrad::conv::BiasRule::Optional => (case % 2 == 0).then(|| fill(rng, o)),
        };
        let n_out: usize = s.output_shape().iter().product();
        let xv = StridedRef::contiguous(&x[..], s.input_shape());
        let wv = StridedRef::contiguous(&wt[..], s.weight_shape());

        let mut plain = vec![0.0; n_out];
        naive::forward(&s, xv, wv, bias.as_deref(), &mut plain).unwrap();
        let want: Vec<f64> = plain.iter().map(|&z| act(z)).collect();
        let mut generic = vec![f64::NAN; n_out];
        Dynamic::forward(&s, xv, wv, bias.as_deref(), &mut generic).unwrap();
        assert_close(&generic, &plain, &format!("generic {what}"));
        let mut got = vec![f64::NAN; n_out];
        forward(&s, &x, &wt, bias.as_deref(), &mut got).unwrap();
        assert_close(&got, &want, &format!("declared forward {what}"));
        let mut raw = vec![f64::NAN; n_out];
        D::forward(&s, xv, wv, bias.as_deref(), &mut raw).unwrap();
        assert_close(&raw, &plain, &format!("ConvKernel forward {what}"));

        // The tensor op on permuted input and weight.
        let (xshape, wshape): (Vec<usize>, Vec<usize>) = if D::RANK == 1 {
            (vec![b, c, w], vec![o, c, kw])
        } else {
            (s.input_shape().to_vec(), s.weight_shape().to_vec())
        };
        let order: Vec<usize> = if D::RANK == 1 {
            vec![0, 2, 1]
        } else {
            vec![0, 2, 3, 1]
        };
        let xt = permuted(&x, &xshape, &order);
        let wt_t = permuted(
            &wt,
            &wshape,
            &order.iter().rev().copied().collect::<Vec<_>>(),
        );
        let bt = bias
            .as_ref()
            .map(|v| Tensor::from_vec(v.clone(), &[o]).unwrap());
        let y = op(&xt, &wt_t, bt.as_ref()).unwrap();
        assert_close(&y.to_vec(), &want, &format!("tensor op {what}"));

        // Backward kernels of the plain conv.
        let g = fill(rng, n_out);
        let gv = StridedRef::contiguous(&g[..], s.output_shape());
        let mut want_gx = vec![0.0; x.len()];
        naive::backward_input(&s, gv, wv, &mut want_gx).unwrap();
        let mut gx = vec![f64::NAN; x.len()];
        D::backward_input(&s, gv, wv, &mut gx).unwrap();
        assert_close(&gx, &want_gx, &format!("backward_input {what}"));
        let mut want_gw = vec![0.0; wt.len()];
        naive::backward_weight(&s, xv, gv, &mut want_gw).unwrap();
        let mut gw = vec![f64::NAN; wt.len()];
        D::backward_weight(&s, xv, gv, &mut gw).unwrap();
        assert_close(&gw, &want_gw, &format!("backward_weight {what}"));
    }
}

fn relu(z: f64) -> f64 {
    z.max(0.0)
}

fn swish64(z: f64) -> f64 {
    z / (1.0 + (-z).exp())
}

macro_rules! check {
    ($rng:expr, $ty:ident, $op:ident, $act:expr, 4) => {
        check_decl::<$ty>($rng, $act, $op, |s, x, w, b, out| {
            $ty.forward(
                s,
                StridedRef::contiguous(x, s.input_shape()),
                StridedRef::contiguous(w, s.weight_shape()),
                b,
                out,
            )
        })
    };
    ($rng:expr, $ty:ident, $op:ident, $act:expr, 3) => {
        check_decl::<$ty>($rng, $act, $op, |s, x, w, b, out| {
            $ty.forward(
                s,
                StridedRef::contiguous(x, [s.batch, s.in_channels, s.in_w]),
                StridedRef::contiguous(w, [s.out_channels, s.in_channels, s.kernel_w]),
                b,
                out,
            )
        })
    };
}

#[test]
fn declared_kernels_match_generic_and_naive_on_random_sizes_layouts_and_activations() {
    let rng = &mut StdRng::seed_from_u64(11);
    let id = |z| z;
    check!(rng, Conv3x3, conv3x3, id, 4);
    check!(rng, Conv5x5Same, conv5x5_same, id, 4);
    check!(rng, Conv3x3S2, conv3x3_s2, relu, 4);
    check!(rng, Conv2x3Odd, conv2x3_odd, id, 4);
    check!(rng, Conv1x1Swish, conv1x1_swish, swish64, 4);
    check!(rng, Conv1dK4End, conv1d_k4_end, id, 3);
    check!(rng, Conv1dK3, conv1d_k3, id, 3);
    check!(rng, Conv1dK5Swish, conv1d_k5_swish, swish64, 3);
    check!(rng, Conv3x3S2D2, conv3x3_s2_d2, id, 4);
    check!(rng, Conv3x3S21D12, conv3x3_s21_d12, id, 4);
    check!(rng, Conv2x2S2, conv2x2_s2, id, 4);
    check!(rng, Conv1dK3S3D3, conv1d_k3_s3_d3, id, 3);
}

/// Declared stride, padding and dilation are const generics of the declaration's kernel; a
/// run-time `params = runtime` declaration keeps the kernel that reads them from the shape.
#[test]
fn declared_parameters_are_compile_time_constants_of_the_kernel() {
    use simdgrad::conv::{Fixed, Specialised};
    use std::any::TypeId;
    fn kernel<D: ConvDecl>() -> TypeId {
        TypeId::of::<D::Kernel>()
    }
    assert_eq!(
        kernel::<Conv3x3S2D2>(),
        TypeId::of::<Specialised<3, 3, 2, 2, 2, 2, 2, 2>>()
    );
    assert_eq!(
        kernel::<Conv3x3S21D12>(),
        TypeId::of::<Specialised<3, 3, 2, 1, 1, 2, 1, 2>>()
    );
    assert_eq!(
        kernel::<Conv1dK3S3D3>(),
        TypeId::of::<Specialised<1, 3, 1, 3, 1, 3, 0, 4>>()
    );
    assert_eq!(kernel::<Conv3x3Any>(), TypeId::of::<Fixed<3, 3>>());
    // The specialised kernel refuses a shape with other parameters instead of computing it.
    let s = ConvShape::conv2d([1, 2, 6, 6], [3, 2, 3, 3], [ConvParams::padded(2); 2]).unwrap();
    let (x, w) = (vec![0.0f32; 72], vec![0.0f32; 54]);
    let mut out = vec![0.0f32; 3 * 8 * 8];
    let xv = StridedRef::contiguous(&x[..], s.input_shape());
    let wv = StridedRef::contiguous(&w[..], s.weight_shape());
    let e = <Conv3x3S2D2 as ConvDecl>::Kernel::forward(&s, xv, wv, None, &mut out).unwrap_err();
    assert!(invalid(e).contains("specialised for stride [2, 2], dilation [2, 2]"));
}

#[test]
fn declarations_compute_the_declared_parameters() {
    let p = |stride, before, after, dilation| ConvParams {
        stride,
        padding_before: before,
        padding_after: after,
        dilation,
    };
    assert_eq!(Conv3x3::PARAMS, Some([p(1, 0, 2, 1); 2]));
    assert_eq!(Conv5x5Same::PARAMS, Some([p(1, 2, 2, 1); 2]));
    assert_eq!(Conv3x3S2::PARAMS, Some([p(2, 1, 1, 1); 2]));
    assert_eq!(Conv2x3Odd::PARAMS, Some([p(1, 0, 2, 2), p(2, 1, 0, 1)]));
    assert_eq!(
        Conv1dK4End::PARAMS,
        Some([ConvParams::valid(), p(1, 3, 0, 1)])
    );
    // `same` with dilation 2 and width 5: a window of 9, 4 zeros each side.
    assert_eq!(
        Conv1dK5Swish::PARAMS,
        Some([ConvParams::valid(), p(1, 4, 4, 2)])
    );
    assert_eq!(Conv3x3Any::PARAMS, None);
    assert_eq!((Conv1dK3::RANK, Conv1dK3::KERNEL), (1, [1, 3]));
    assert!(Conv3x3S2::DECLARATION.contains("fused activation `Relu`"));
    assert!(Conv1dK4End::DECLARATION.contains("no bias"));
}

#[test]
fn minitorch_worked_values_through_the_generated_ops() {
    // conv1d([0,1,2,3], [1,2,3]) = [8,14,8,3]; grad_input for grad_output [0,1,2,3] = [0,1,4,10].
    let x = Tensor::<f64>::from_vec(vec![0.0, 1.0, 2.0, 3.0], &[1, 1, 4])
        .unwrap()
        .requires_grad_(true);
    let w = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], &[1, 1, 3]).unwrap();
    let y = conv1d_k3(&x, &w, None).unwrap();
    assert_eq!(y.to_vec(), vec![8.0, 14.0, 8.0, 3.0]);
    let g = Tensor::<f64>::from_vec(vec![0.0, 1.0, 2.0, 3.0], &[1, 1, 4]).unwrap();
    y.backward_with(&g).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 4.0, 10.0]);
    // Input [1..6], weight [5,2,3] gives [18,28,38,48,37,30].
    let x = Tensor::<f64>::from_vec((1..=6).map(f64::from).collect(), &[1, 1, 6]).unwrap();
    let w = Tensor::<f64>::from_vec(vec![5.0, 2.0, 3.0], &[1, 1, 3]).unwrap();
    let y = conv1d_k3(&x, &w, None).unwrap();
    assert_eq!(y.to_vec(), vec![18.0, 28.0, 38.0, 48.0, 37.0, 30.0]);
    // conv2d of a 4×4 whose rows are [0,1,2,3] with a 3×3 ones weight, anchored top-left:
    // row sums of three columns [3,6,5,3], over three rows, two, then one.
    let x = Tensor::<f64>::from_vec([0.0, 1.0, 2.0, 3.0].repeat(4), &[1, 1, 4, 4]).unwrap();
    let w = Tensor::<f64>::ones(&[1, 1, 3, 3]).unwrap();
    let y = conv3x3(&x, &w, None).unwrap().to_vec();
    assert_eq!(&y[..4], &[9.0, 18.0, 15.0, 9.0]);
    assert_eq!(&y[8..], &[6.0, 12.0, 10.0, 6.0, 3.0, 6.0, 5.0, 3.0]);
}

fn opts() -> GradCheckOptions {
    GradCheckOptions {
        rtol: 1e-5,
        atol: 1e-6,
        ..GradCheckOptions::default()
    }
}

#[test]
fn generated_ops_have_exact_gradients_with_bias_activation_and_permuted_input() {
    let x = Tensor::<f64>::randn_seeded(&[2, 3, 5, 6], 1).unwrap();
    let w = Tensor::<f64>::randn_seeded(&[4, 3, 1, 1], 2).unwrap();
    let b = Tensor::<f64>::randn_seeded(&[4], 3).unwrap();
    check_grads(
        |t| conv1x1_swish(&t[0], &t[1], Some(&t[2])),
        &[x, w, b],
        opts(),
    )
    .unwrap();

    let x = Tensor::<f64>::randn_seeded(&[2, 3, 9], 4).unwrap();
    let w = Tensor::<f64>::randn_seeded(&[2, 3, 5], 5).unwrap();
    let b = Tensor::<f64>::randn_seeded(&[2], 6).unwrap();
    check_grads(
        |t| {
            conv1d_k5_swish(
                &t[0].permute(&[0, 2, 1])?.permute(&[0, 2, 1])?,
                &t[1],
                Some(&t[2]),
            )
        },
        &[x, w, b],
        opts(),
    )
    .unwrap();

    let x = Tensor::<f64>::randn_seeded(&[1, 2, 6, 7], 7).unwrap();
    let w = Tensor::<f64>::randn_seeded(&[3, 2, 2, 3], 8).unwrap();
    check_grads(|t| conv2x3_odd(&t[0], &t[1], None), &[x, w], opts()).unwrap();

    // A permuted (B, W, C) input fed as (B, C, W), as MiniTorch's SST-2 model does.
    let x = Tensor::<f64>::randn_seeded(&[2, 7, 3], 9).unwrap();
    let w = Tensor::<f64>::randn_seeded(&[2, 3, 4], 10).unwrap();
    check_grads(
        |t| conv1d_k4_end(&t[0].permute(&[0, 2, 1])?, &t[1], None),
        &[x, w],
        opts(),
    )
    .unwrap();

    let x = Tensor::<f64>::randn_seeded(&[1, 2, 7, 6], 11).unwrap();
    let w = Tensor::<f64>::randn_seeded(&[3, 2, 3, 3], 12).unwrap();
    let params = [
        ConvParams::padded(1).with_stride(2),
        ConvParams::anchored_end(3),
    ];
    check_grads(|t| conv3x3_any(&t[0], &t[1], None, params), &[x, w], opts()).unwrap();
}

#[test]
fn fused_relu_op_matches_conv_then_relu_and_its_gradient() {
    let x = Tensor::<f64>::randn_seeded(&[2, 3, 8, 8], 21)
        .unwrap()
        .requires_grad_(true);
    let w = Tensor::<f64>::randn_seeded(&[5, 3, 3, 3], 22)
        .unwrap()
        .requires_grad_(true);
    let b = Tensor::<f64>::randn_seeded(&[5], 23)
        .unwrap()
        .requires_grad_(true);
    let fused = conv3x3_s2(&x, &w, Some(&b)).unwrap();
    let params = [ConvParams::padded(1).with_stride(2); 2];
    let separate = x.conv2d(&w, Some(&b), params).unwrap().relu().unwrap();
    assert_close(&fused.to_vec(), &separate.to_vec(), "fused relu forward");
    let g = Tensor::<f64>::randn_seeded(fused.shape(), 24).unwrap();
    fused.backward_with(&g).unwrap();
    let fused_grads: Vec<Vec<f64>> = [&x, &w, &b]
        .iter()
        .map(|t| t.grad().unwrap().to_vec())
        .collect();
    for t in [&x, &w, &b] {
        t.zero_grad();
    }
    separate.backward_with(&g).unwrap();
    for (t, want) in [&x, &w, &b].iter().zip(&fused_grads) {
        assert_close(&t.grad().unwrap().to_vec(), want, "fused relu gradient");
    }
}

fn invalid(e: Error) -> String {
    match e {
        Error::InvalidArgument { message, .. } => message,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn shapes_the_declaration_does_not_accept_are_errors_naming_them() {
    let x = Tensor::<f32>::zeros(&[1, 2, 6, 6]).unwrap();
    let w5 = Tensor::<f32>::zeros(&[3, 2, 5, 5]).unwrap();
    let msg = invalid(conv3x3(&x, &w5, None).unwrap_err());
    assert!(msg.contains("3x3") && msg.contains("5x5"), "{msg}");
    let w = Tensor::<f32>::zeros(&[3, 2, 3, 3]).unwrap();
    let msg = invalid(conv1d_k3(&x, &w, None).unwrap_err());
    assert!(
        msg.contains("rank-1") && msg.contains("[1, 2, 6, 6]"),
        "{msg}"
    );
    let msg = invalid(conv3x3_s2(&x, &w, None).unwrap_err());
    assert!(msg.contains("bias = true"), "{msg}");
    let x1 = Tensor::<f32>::zeros(&[1, 2, 6]).unwrap();
    let w1 = Tensor::<f32>::zeros(&[3, 2, 4]).unwrap();
    let b = Tensor::<f32>::zeros(&[3]).unwrap();
    let msg = invalid(conv1d_k4_end(&x1, &w1, Some(&b)).unwrap_err());
    assert!(msg.contains("bias = false"), "{msg}");
    let wc = Tensor::<f32>::zeros(&[3, 4, 3, 3]).unwrap();
    assert!(conv3x3(&x, &wc, None).is_err());
    // A shape built with other parameters is refused by the slice kernels too.
    let s = ConvShape::conv2d([1, 2, 6, 6], [3, 2, 3, 3], [ConvParams::padded(1); 2]).unwrap();
    let (xd, wd) = (vec![0.0f32; 72], vec![0.0f32; 54]);
    let mut out = vec![0.0f32; 108];
    let err = Conv3x3.forward(
        &s,
        StridedRef::contiguous(&xd[..], s.input_shape()),
        StridedRef::contiguous(&wd[..], s.weight_shape()),
        None,
        &mut out,
    );
    assert!(invalid(err.unwrap_err()).contains("declared with params"));
}
