//! Tests of the convolution kernels: MiniTorch's worked values, fast == generic == naive on
//! random shapes, parameters and permuted layouts, exact gradients, and error reporting.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

fn c1(data: &[f64], shape: [usize; 3]) -> StridedRef<'_, f64, 3> {
    StridedRef::contiguous(data, shape)
}

fn c4<E: Copy>(data: &[E], shape: [usize; 4]) -> StridedRef<'_, E, 4> {
    StridedRef::contiguous(data, shape)
}

/// `logical` (row-major `shape`) stored with the dims in storage order `order` (outermost
/// first) after `pad` junk elements; returns the storage and the view's strides.
fn permuted_storage(
    logical: &[f64],
    shape: [usize; 4],
    order: [usize; 4],
    pad: usize,
) -> (Vec<f64>, [usize; 4]) {
    let mut strides = [0; 4];
    let mut acc = 1;
    for &d in order.iter().rev() {
        strides[d] = acc;
        acc *= shape[d];
    }
    let mut storage = vec![f64::NAN; pad + acc];
    let mut i = 0;
    for a in 0..shape[0] {
        for b in 0..shape[1] {
            for c in 0..shape[2] {
                for d in 0..shape[3] {
                    let pos =
                        pad + a * strides[0] + b * strides[1] + c * strides[2] + d * strides[3];
                    storage[pos] = logical[i];
                    i += 1;
                }
            }
        }
    }
    (storage, strides)
}

fn view(
    storage: &[f64],
    shape: [usize; 4],
    strides: [usize; 4],
    pad: usize,
) -> StridedRef<'_, f64, 4> {
    StridedRef {
        data: storage,
        offset: pad,
        shape,
        strides,
    }
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}: element {i}: got {g}, want {w}"
        );
    }
}

#[test]
fn conv1d_matches_minitorch_worked_examples() {
    let s = ConvShape::conv1d([1, 1, 4], [1, 1, 3], ConvParams::anchored_start(3)).unwrap();
    let x = [0.0, 1.0, 2.0, 3.0];
    let w = [1.0, 2.0, 3.0];
    let mut out = [0.0; 4];
    conv1d_forward(&s, c1(&x, [1, 1, 4]), c1(&w, [1, 1, 3]), None, &mut out).unwrap();
    assert_eq!(out, [8.0, 14.0, 8.0, 3.0]);

    let g = [0.0, 1.0, 2.0, 3.0];
    let mut gx = [0.0; 4];
    conv1d_backward_input(&s, c1(&g, [1, 1, 4]), c1(&w, [1, 1, 3]), &mut gx).unwrap();
    assert_eq!(gx, [0.0, 1.0, 4.0, 10.0]);

    let s6 = ConvShape::conv1d([1, 1, 6], [1, 1, 3], ConvParams::anchored_start(3)).unwrap();
    let x6 = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let mut out6 = [0.0; 6];
    conv1d_forward(
        &s6,
        c1(&x6, [1, 1, 6]),
        c1(&[5.0, 2.0, 3.0], [1, 1, 3]),
        None,
        &mut out6,
    )
    .unwrap();
    assert_eq!(out6, [18.0, 28.0, 38.0, 48.0, 37.0, 30.0]);

    let s2 = ConvShape::conv1d([1, 2, 4], [1, 2, 3], ConvParams::anchored_start(3)).unwrap();
    let x2 = [0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0];
    let w2 = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0];
    let mut out2 = [0.0; 4];
    conv1d_forward(&s2, c1(&x2, [1, 2, 4]), c1(&w2, [1, 2, 3]), None, &mut out2).unwrap();
    assert_eq!(out2, [16.0, 28.0, 16.0, 6.0]);
}

#[test]
fn conv2d_matches_minitorch_worked_example() {
    let s = ConvShape::conv2d(
        [1, 1, 4, 4],
        [1, 1, 2, 2],
        [ConvParams::anchored_start(2); 2],
    )
    .unwrap();
    let x: Vec<f32> = (0..16).map(|i| (i % 4) as f32).collect();
    let w = [1.0f32; 4];
    let mut out = [0.0f32; 16];
    conv2d_forward(
        &s,
        c4(&x, [1, 1, 4, 4]),
        c4(&w, [1, 1, 2, 2]),
        None,
        &mut out,
    )
    .unwrap();
    let row = [2.0, 6.0, 10.0, 6.0];
    assert_eq!(out[..12], [row, row, row].concat()[..]);
    assert_eq!(out[12..], [1.0, 3.0, 5.0, 3.0]);
}

/// MiniTorch's `reverse` form: `out[t] = Σ_k in[t−k] · w[k]`.
fn minitorch_reverse(x: &[f64], w: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|t| {
            (0..w.len())
                .filter(|&k| k <= t)
                .map(|k| x[t - k] * w[k])
                .sum()
        })
        .collect()
}

#[test]
fn reverse_anchoring_is_anchored_end_with_flipped_weight_and_is_the_input_gradient() {
    let x = [1.0, -2.0, 0.5, 3.0, 4.0, -1.0, 2.0];
    let w = [0.25, 2.0, -3.0];
    let flipped: Vec<f64> = w.iter().rev().copied().collect();
    let s = ConvShape::conv1d([1, 1, 7], [1, 1, 3], ConvParams::anchored_end(3)).unwrap();
    let mut out = [0.0; 7];
    conv1d_forward(
        &s,
        c1(&x, [1, 1, 7]),
        c1(&flipped, [1, 1, 3]),
        None,
        &mut out,
    )
    .unwrap();
    assert_close(&out, &minitorch_reverse(&x, &w), 1e-15, "reverse");

    // The input gradient of the start-anchored conv is the reverse-anchored conv (semantics.md).
    let fwd = ConvShape::conv1d([1, 1, 7], [1, 1, 3], ConvParams::anchored_start(3)).unwrap();
    let mut gx = [0.0; 7];
    conv1d_backward_input(&fwd, c1(&x, [1, 1, 7]), c1(&w, [1, 1, 3]), &mut gx).unwrap();
    assert_close(&gx, &minitorch_reverse(&x, &w), 1e-15, "grad_input");
}

#[derive(Debug)]
struct Case {
    s: ConvShape,
    x: Vec<f64>,
    w: Vec<f64>,
    g: Vec<f64>,
    bias: Option<Vec<f64>>,
}

fn random_case(rng: &mut StdRng, max_extent: usize) -> Case {
    loop {
        let k = |rng: &mut StdRng| *[1usize, 2, 3, 3, 4, 5, 5].get(rng.gen_range(0..7)).unwrap();
        let (kh, kw) = if rng.gen_bool(0.3) {
            (1, k(rng))
        } else {
            (k(rng), k(rng))
        };
        let p = |rng: &mut StdRng| ConvParams {
            stride: rng.gen_range(1..=3),
            padding_before: rng.gen_range(0..=3),
            padding_after: rng.gen_range(0..=3),
            dilation: rng.gen_range(1..=2),
        };
        let (b, c, o) = (
            rng.gen_range(1..=2),
            rng.gen_range(1..=4),
            rng.gen_range(1..=10),
        );
        let (h, w) = (rng.gen_range(1..=max_extent), rng.gen_range(1..=max_extent));
        let Ok(s) = ConvShape::conv2d([b, c, h, w], [o, c, kh, kw], [p(rng), p(rng)]) else {
            continue;
        };
        let mut fill = |n: usize| {
            (0..n)
                .map(|_| rng.gen_range(-1.0..1.0))
                .collect::<Vec<f64>>()
        };
        let x = fill(b * c * h * w);
        let wt = fill(o * c * kh * kw);
        let g = fill(s.output_shape().iter().product());
        let bias = Some(fill(o));
        return Case {
            s,
            x,
            w: wt,
            g,
            bias,
        };
    }
}

#[test]
fn specialised_generic_and_naive_agree_on_random_shapes_params_and_layouts() {
    let mut rng = StdRng::seed_from_u64(5);
    let orders = [[0, 1, 2, 3], [0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 3, 2]];
    for case_no in 0..150 {
        let Case { s, x, w, g, bias } = random_case(&mut rng, 11);
        let order = orders[case_no % orders.len()];
        let (xs, xst) = permuted_storage(&x, s.input_shape(), order, 3);
        let (ws, wst) = permuted_storage(&w, s.weight_shape(), orders[(case_no + 1) % 4], 1);
        let (gs, gst) = permuted_storage(&g, s.output_shape(), orders[(case_no + 2) % 4], 2);
        let xv = view(&xs, s.input_shape(), xst, 3);
        let wv = view(&ws, s.weight_shape(), wst, 1);
        let gv = view(&gs, s.output_shape(), gst, 2);
        let bias = if case_no % 3 == 0 {
            None
        } else {
            bias.as_deref()
        };
        let n_out: usize = s.output_shape().iter().product();
        let what = format!("case {case_no}: {s}, params {:?}", s.params);

        let mut want = vec![0.0; n_out];
        naive::forward(&s, xv, wv, bias, &mut want).unwrap();
        let mut fast = vec![f64::NAN; n_out];
        conv2d_forward(&s, xv, wv, bias, &mut fast).unwrap();
        assert_close(&fast, &want, 1e-12, &format!("forward {what}"));
        let mut generic = vec![f64::NAN; n_out];
        Dynamic::forward(&s, xv, wv, bias, &mut generic).unwrap();
        assert_close(&generic, &want, 1e-12, &format!("generic forward {what}"));

        let mut want_gx = vec![0.0; x.len()];
        naive::backward_input(&s, gv, wv, &mut want_gx).unwrap();
        let mut gx = vec![f64::NAN; x.len()];
        conv2d_backward_input(&s, gv, wv, &mut gx).unwrap();
        assert_close(&gx, &want_gx, 1e-12, &format!("backward_input {what}"));
        Dynamic::backward_input(&s, gv, wv, &mut gx).unwrap();
        assert_close(
            &gx,
            &want_gx,
            1e-12,
            &format!("generic backward_input {what}"),
        );

        let mut want_gw = vec![0.0; w.len()];
        naive::backward_weight(&s, xv, gv, &mut want_gw).unwrap();
        let mut gw = vec![f64::NAN; w.len()];
        conv2d_backward_weight(&s, xv, gv, &mut gw).unwrap();
        assert_close(&gw, &want_gw, 1e-12, &format!("backward_weight {what}"));
    }
}

/// The weight gradient packs the batch in L2-sized chunks and sums each chunk in registers:
/// 7 batch elements of this size (f64, about 110 KB packed each) make chunks of 2 or 3 and a
/// short last one, here with a strided output gradient.
#[test]
fn weight_gradient_sums_over_several_batch_chunks() {
    let mut rng = StdRng::seed_from_u64(11);
    let s = ConvShape::conv2d([7, 4, 40, 40], [3, 4, 3, 3], [ConvParams::padded(1); 2]).unwrap();
    let mut fill = |n: usize| {
        (0..n)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect::<Vec<f64>>()
    };
    let x = fill(s.input_shape().iter().product());
    let g = fill(s.output_shape().iter().product());
    let (gs, gst) = permuted_storage(&g, s.output_shape(), [3, 2, 1, 0], 2);
    let (xv, gv) = (c4(&x, s.input_shape()), view(&gs, s.output_shape(), gst, 2));
    let mut want = vec![0.0; 3 * 4 * 9];
    naive::backward_weight(&s, xv, gv, &mut want).unwrap();
    let mut got = vec![f64::NAN; want.len()];
    conv2d_backward_weight(&s, xv, gv, &mut got).unwrap();
    assert_close(&got, &want, 1e-12, "chunked backward_weight");
}

#[test]
fn f32_kernels_agree_with_f64_naive_on_bench_like_shapes() {
    let mut rng = StdRng::seed_from_u64(7);
    for (input, weight, p) in [
        ([2, 8, 14, 14], [16, 8, 3, 3], ConvParams::padded(1)),
        ([3, 1, 28, 28], [6, 1, 5, 5], ConvParams::padded(2)),
        ([2, 6, 14, 14], [16, 6, 5, 5], ConvParams::padded(2)),
        ([2, 16, 1, 40], [16, 16, 1, 5], ConvParams::padded(2)),
        (
            [1, 5, 9, 13],
            [7, 5, 1, 1],
            ConvParams::valid().with_stride(2),
        ),
    ] {
        let params = if input[2] == 1 {
            [ConvParams::valid(), p]
        } else {
            [p; 2]
        };
        let s = ConvShape::conv2d(input, weight, params).unwrap();
        let x: Vec<f64> = (0..input.iter().product())
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let w: Vec<f64> = (0..weight.iter().product())
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let g: Vec<f64> = (0..s.output_shape().iter().product())
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let f = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
        let up = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<f64>>();
        let (xf, wf, gf) = (f(&x), f(&w), f(&g));
        let (xd, wd, gd) = (up(&xf), up(&wf), up(&gf));

        let mut want = vec![0.0; g.len()];
        naive::forward(&s, c4(&xd, input), c4(&wd, weight), None, &mut want).unwrap();
        let mut got = vec![0.0f32; g.len()];
        conv2d_forward(&s, c4(&xf, input), c4(&wf, weight), None, &mut got).unwrap();
        assert_close(&up(&got), &want, 1e-5, &format!("f32 forward {s}"));

        let mut want = vec![0.0; x.len()];
        naive::backward_input(&s, c4(&gd, s.output_shape()), c4(&wd, weight), &mut want).unwrap();
        let mut got = vec![0.0f32; x.len()];
        conv2d_backward_input(&s, c4(&gf, s.output_shape()), c4(&wf, weight), &mut got).unwrap();
        assert_close(&up(&got), &want, 1e-5, &format!("f32 backward_input {s}"));

        let mut want = vec![0.0; w.len()];
        naive::backward_weight(&s, c4(&xd, input), c4(&gd, s.output_shape()), &mut want).unwrap();
        let mut got = vec![0.0f32; w.len()];
        conv2d_backward_weight(&s, c4(&xf, input), c4(&gf, s.output_shape()), &mut got).unwrap();
        assert_close(&up(&got), &want, 1e-4, &format!("f32 backward_weight {s}"));
    }
}

/// `⟨g, conv(x, w)⟩`, the scalar whose gradients the backward kernels compute.
fn loss(s: &ConvShape, x: &[f64], w: &[f64], g: &[f64]) -> f64 {
    let mut out = vec![0.0; g.len()];
    naive::forward(
        s,
        c4(x, s.input_shape()),
        c4(w, s.weight_shape()),
        None,
        &mut out,
    )
    .unwrap();
    out.iter().zip(g).map(|(a, b)| a * b).sum()
}

#[test]
fn backward_kernels_match_central_differences_at_every_index() {
    let mut rng = StdRng::seed_from_u64(11);
    let eps = 1e-6;
    for _ in 0..25 {
        let Case { s, x, w, g, .. } = random_case(&mut rng, 6);
        let mut gx = vec![0.0; x.len()];
        conv2d_backward_input(
            &s,
            c4(&g, s.output_shape()),
            c4(&w, s.weight_shape()),
            &mut gx,
        )
        .unwrap();
        let mut gw = vec![0.0; w.len()];
        conv2d_backward_weight(
            &s,
            c4(&x, s.input_shape()),
            c4(&g, s.output_shape()),
            &mut gw,
        )
        .unwrap();
        for i in 0..x.len() {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[i] += eps;
            xm[i] -= eps;
            let fd = (loss(&s, &xp, &w, &g) - loss(&s, &xm, &w, &g)) / (2.0 * eps);
            assert!(
                (fd - gx[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
                "{s} dx[{i}]: {fd} vs {}",
                gx[i]
            );
        }
        for i in 0..w.len() {
            let (mut wp, mut wm) = (w.clone(), w.clone());
            wp[i] += eps;
            wm[i] -= eps;
            let fd = (loss(&s, &x, &wp, &g) - loss(&s, &x, &wm, &g)) / (2.0 * eps);
            assert!(
                (fd - gw[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
                "{s} dw[{i}]: {fd} vs {}",
                gw[i]
            );
        }
    }
}

#[test]
fn bias_gradient_sums_over_batch_and_positions() {
    let s = ConvShape::conv2d([2, 1, 3, 3], [2, 1, 3, 3], [ConvParams::padded(1); 2]).unwrap();
    let g: Vec<f64> = (0..36).map(f64::from).collect();
    let mut gb = [0.0; 2];
    conv2d_backward_bias(&s, c4(&g, [2, 2, 3, 3]), &mut gb).unwrap();
    let sum = |r: core::ops::Range<usize>| r.map(|i| i as f64).sum::<f64>();
    assert_eq!(gb, [sum(0..9) + sum(18..27), sum(9..18) + sum(27..36)]);
}

/// The contiguous-plane path (a SIMD fold per plane) and the strided walk give the exact
/// sums: integer-valued data, so any summation order is exact.
#[test]
fn bias_gradient_is_exact_on_contiguous_and_strided_views() {
    let s = ConvShape::conv2d([3, 2, 9, 11], [2, 2, 3, 3], [ConvParams::padded(1); 2]).unwrap();
    let shape = s.output_shape();
    let n: usize = shape.iter().product();
    let g: Vec<f64> = (0..n).map(|i| ((i * 7919) % 103) as f64 - 51.0).collect();
    let plane = shape[2] * shape[3];
    let expected: Vec<f64> = (0..shape[1])
        .map(|o| {
            (0..shape[0])
                .flat_map(|b| g[(b * shape[1] + o) * plane..][..plane].iter())
                .sum()
        })
        .collect();
    let mut gb = [0.0; 2];
    conv2d_backward_bias(&s, c4(&g, shape), &mut gb).unwrap();
    assert_eq!(gb.to_vec(), expected);
    for order in [[0, 1, 3, 2], [2, 3, 0, 1]] {
        let (gs, gst) = permuted_storage(&g, shape, order, 2);
        let mut gb = [0.0; 2];
        conv2d_backward_bias(&s, view(&gs, shape, gst, 2), &mut gb).unwrap();
        assert_eq!(gb.to_vec(), expected, "storage order {order:?}");
    }
}

#[test]
fn shape_errors_name_the_shapes_and_never_panic() {
    let e = ConvShape::conv2d([1, 3, 8, 8], [4, 2, 3, 3], [ConvParams::padded(1); 2]).unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("[1, 3, 8, 8]") && m.contains("[4, 2, 3, 3]") && m.contains("channels"),
        "{m}"
    );

    let e = ConvShape::conv2d([1, 1, 2, 8], [1, 1, 5, 3], [ConvParams::padded(1); 2]).unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("larger than the padded input of 4") && m.contains("height"),
        "{m}"
    );

    for p in [
        ConvParams::valid().with_stride(0),
        ConvParams::valid().with_dilation(0),
    ] {
        assert!(ConvShape::conv2d([1, 1, 8, 8], [1, 1, 3, 3], [p; 2]).is_err());
    }
    assert!(ConvShape::conv1d([1, 1, 8], [1, 1, 0], ConvParams::valid()).is_err());
}

#[test]
fn buffer_and_view_errors_are_reported() {
    let s = ConvShape::conv2d([1, 2, 4, 4], [3, 2, 3, 3], [ConvParams::padded(1); 2]).unwrap();
    let x = vec![0.0f32; 32];
    let w = vec![0.0f32; 54];
    let mut out = vec![0.0f32; 48];
    // Output too short.
    let e = conv2d_forward(
        &s,
        c4(&x, [1, 2, 4, 4]),
        c4(&w, [3, 2, 3, 3]),
        None,
        &mut out[..47],
    );
    assert!(
        matches!(e, Err(Error::LengthMismatch { what: "output", .. })),
        "{e:?}"
    );
    // A view that does not fit its slice.
    let short = c4(&x[..31], [1, 2, 4, 4]);
    let e = conv2d_forward(&s, short, c4(&w, [3, 2, 3, 3]), None, &mut out).unwrap_err();
    assert!(e.to_string().contains("does not fit its slice"), "{e}");
    // A view whose shape disagrees with the conv.
    let e = conv2d_forward(
        &s,
        c4(&x, [2, 1, 4, 4]),
        c4(&w, [3, 2, 3, 3]),
        None,
        &mut out,
    )
    .unwrap_err();
    assert!(e.to_string().contains("[2, 1, 4, 4]"), "{e}");
    // Wrong bias length.
    let e = conv2d_forward(
        &s,
        c4(&x, [1, 2, 4, 4]),
        c4(&w, [3, 2, 3, 3]),
        Some(&[0.0; 2]),
        &mut out,
    );
    assert!(matches!(e, Err(Error::LengthMismatch { what: "bias", .. })));
    // A specialised kernel asked to run another extent.
    let e = Fixed::<5, 5>::forward(
        &s,
        c4(&x, [1, 2, 4, 4]),
        c4(&w, [3, 2, 3, 3]),
        None,
        &mut out,
    )
    .unwrap_err();
    assert!(e.to_string().contains("specialised for 5x5"), "{e}");
}

#[test]
fn empty_batch_and_zero_channels_are_fine() {
    let s = ConvShape::conv2d([0, 2, 4, 4], [3, 2, 3, 3], [ConvParams::padded(1); 2]).unwrap();
    let w = vec![1.0f32; 54];
    conv2d_forward(
        &s,
        c4(&[], [0, 2, 4, 4]),
        c4(&w, [3, 2, 3, 3]),
        None,
        &mut [],
    )
    .unwrap();
    let s = ConvShape::conv2d([1, 0, 4, 4], [3, 0, 3, 3], [ConvParams::padded(1); 2]).unwrap();
    let mut out = vec![f32::NAN; 48];
    conv2d_forward(
        &s,
        c4(&[], [1, 0, 4, 4]),
        c4(&[], [3, 0, 3, 3]),
        Some(&[1.0, 2.0, 3.0]),
        &mut out,
    )
    .unwrap();
    assert!(out[..16].iter().all(|&v| v == 1.0) && out[32..].iter().all(|&v| v == 3.0));
}

fn check_fixed<K: ConvKernel>(s: &ConvShape, rng: &mut StdRng) {
    let fill = |n: usize, rng: &mut StdRng| {
        (0..n)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect::<Vec<f64>>()
    };
    let x = fill(s.input_shape().iter().product(), rng);
    let w = fill(s.weight_shape().iter().product(), rng);
    let g = fill(s.output_shape().iter().product(), rng);
    let (xv, wv, gv) = (
        c4(&x, s.input_shape()),
        c4(&w, s.weight_shape()),
        c4(&g, s.output_shape()),
    );
    let mut want = vec![0.0; g.len()];
    naive::forward(s, xv, wv, None, &mut want).unwrap();
    let mut got = vec![f64::NAN; g.len()];
    K::forward(s, xv, wv, None, &mut got).unwrap();
    assert_close(&got, &want, 1e-12, &format!("fixed forward {s}"));
    let mut want = vec![0.0; x.len()];
    naive::backward_input(s, gv, wv, &mut want).unwrap();
    let mut got = vec![f64::NAN; x.len()];
    K::backward_input(s, gv, wv, &mut got).unwrap();
    assert_close(&got, &want, 1e-12, &format!("fixed backward_input {s}"));
    let mut want = vec![0.0; w.len()];
    naive::backward_weight(s, xv, gv, &mut want).unwrap();
    let mut got = vec![f64::NAN; w.len()];
    K::backward_weight(s, xv, gv, &mut got).unwrap();
    assert_close(&got, &want, 1e-12, &format!("fixed backward_weight {s}"));
}

#[test]
fn every_specialised_kernel_matches_naive_with_strides_padding_and_dilation() {
    let mut rng = StdRng::seed_from_u64(13);
    let p = ConvParams {
        stride: 2,
        padding_before: 1,
        padding_after: 2,
        dilation: 2,
    };
    for params in [
        [ConvParams::padded(2); 2],
        [p; 2],
        [ConvParams::anchored_start(5); 2],
    ] {
        let s = ConvShape::conv2d([2, 3, 11, 12], [7, 3, 5, 5], params).unwrap();
        check_fixed::<Fixed<5, 5>>(&s, &mut rng);
        let s = ConvShape::conv2d([2, 3, 11, 12], [9, 3, 3, 3], params).unwrap();
        check_fixed::<Fixed<3, 3>>(&s, &mut rng);
        let s = ConvShape::conv2d([2, 3, 11, 12], [5, 3, 1, 1], params).unwrap();
        check_fixed::<Fixed<1, 1>>(&s, &mut rng);
        if params == [p; 2] {
            // The declared form: constants checked, then the same engine as `Fixed`.
            let s = ConvShape::conv2d([2, 3, 11, 12], [7, 3, 5, 5], params).unwrap();
            check_fixed::<Specialised<5, 5, 2, 2, 2, 2, 1, 1>>(&s, &mut rng);
            let s = ConvShape::conv2d([2, 3, 11, 12], [9, 3, 3, 3], params).unwrap();
            check_fixed::<Specialised<3, 3, 2, 2, 2, 2, 1, 1>>(&s, &mut rng);
        }
        for k in [3, 4, 5] {
            let s = ConvShape::conv1d([2, 4, 23], [6, 4, k], params[1]).unwrap();
            match k {
                3 => check_fixed::<Fixed<1, 3>>(&s, &mut rng),
                4 => check_fixed::<Fixed<1, 4>>(&s, &mut rng),
                _ => check_fixed::<Fixed<1, 5>>(&s, &mut rng),
            }
        }
    }
}

/// The tiling the output-channel engine runs on this machine, whatever [`channels::wins`]
/// would pick; `None` only on a backend with fewer than 8 `f32` lanes (never on x86 with AVX2).
fn forced_tiling(plan: &Plan) -> Option<channels::Tiling> {
    let t = channels::dispatched(plan);
    #[cfg(target_arch = "x86_64")]
    assert!(
        t.is_some() || !std::is_x86_feature_detected!("avx2"),
        "the channel engine must run on AVX2 and AVX-512"
    );
    t
}

/// The output-channel engine run directly on `plan` (whatever [`channels::wins`] would pick),
/// with the AVX2 tiles when `avx2` (they run wherever AVX2 does, AVX-512 machines included);
/// `false` if this machine has no channel engine.
fn channel_forward<A: Epilogue>(
    (plan, avx2): (&Plan, bool),
    x: StridedRef<'_, f32, 4>,
    weight: &impl Fn(usize, usize, usize, usize) -> f32,
    bias: Option<&[f32]>,
    out: &mut [f32],
    pre: Option<&mut [f32]>,
) -> bool {
    let Some(t) = forced_tiling(plan) else {
        return false;
    };
    let t = if avx2 {
        channels::Tiling::avx2(plan)
    } else {
        t
    };
    assert!(channels::forward::<f32, A>(
        plan, t, x, weight, bias, out, pre
    ));
    true
}

/// A random shape for the output-channel engine: `o` output channels, odd widths from 1 to 23
/// (one tile, near-equal tiles, tiles narrower than the narrowest tile shape), strides,
/// padding, dilation.
fn channel_case(rng: &mut StdRng, o: usize) -> ConvShape {
    loop {
        let k = |rng: &mut StdRng| *[1usize, 2, 3, 5].get(rng.gen_range(0..4)).unwrap();
        let p = |rng: &mut StdRng| ConvParams {
            stride: rng.gen_range(1..=2),
            padding_before: rng.gen_range(0..=2),
            padding_after: rng.gen_range(0..=2),
            dilation: rng.gen_range(1..=2),
        };
        let (b, c) = (rng.gen_range(1..=3), rng.gen_range(1..=5));
        let (h, w) = (rng.gen_range(1..=9), 2 * rng.gen_range(0..=11) + 1);
        if let Ok(s) = ConvShape::conv2d([b, c, h, w], [o, c, k(rng), k(rng)], [p(rng), p(rng)]) {
            return s;
        }
    }
}

/// `n` random values exactly representable in `f32`, as `f64`.
fn fill32(n: usize, rng: &mut StdRng) -> Vec<f64> {
    (0..n).map(|_| rng.gen_range(-1.0f32..1.0) as f64).collect()
}

fn to32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&a| a as f32).collect()
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&a| a as f64).collect()
}

/// The same view over `f32` storage.
fn view32<'a>(storage: &'a [f32], v: &StridedRef<'_, f64, 4>) -> StridedRef<'a, f32, 4> {
    StridedRef {
        data: storage,
        offset: v.offset,
        shape: v.shape,
        strides: v.strides,
    }
}

#[test]
fn channel_engine_matches_naive_on_random_shapes_params_and_layouts() {
    let mut rng = StdRng::seed_from_u64(17);
    let orders = [[0, 1, 2, 3], [0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 3, 2]];
    let tol = 1e-5;
    for case_no in 0..96 {
        let o = [8, 16, 32, 48][case_no % 4];
        let s = channel_case(&mut rng, o);
        let x = fill32(s.input_shape().iter().product(), &mut rng);
        let w = fill32(s.weight_shape().iter().product(), &mut rng);
        let bias = fill32(o, &mut rng);
        let bias = (case_no % 3 != 0).then_some(&bias[..]);
        let bias32 = bias.map(to32);
        let bias32 = bias32.as_deref();
        // Permuted (non-contiguous) input and weight, with junk before them.
        let (xs, xst) = permuted_storage(&x, s.input_shape(), orders[case_no % 4], 3);
        let (ws, wst) = permuted_storage(&w, s.weight_shape(), orders[(case_no + 1) % 4], 1);
        let xv = view(&xs, s.input_shape(), xst, 3);
        let wv = view(&ws, s.weight_shape(), wst, 1);
        let (xs32, ws32) = (to32(&xs), to32(&ws));
        let (xv32, wv32) = (view32(&xs32, &xv), view32(&ws32, &wv));
        let weight = |o, c, p, q| wv32.data[wv32.position([o, c, p, q])];
        let n_out: usize = s.output_shape().iter().product();
        let what = format!("case {case_no}: {s}, params {:?}", s.params);
        // Every other case on the AVX2 tiles (8 lanes, at most 12 pixels).
        let plan = (&Plan::forward(&s).unwrap(), case_no % 8 >= 4);

        let mut want = vec![0.0; n_out];
        naive::forward(&s, xv, wv, bias, &mut want).unwrap();
        let mut got = vec![f32::NAN; n_out];
        if !channel_forward::<NoActivation>(plan, xv32, &weight, bias32, &mut got, None) {
            return;
        }
        assert_close(&to64(&got), &want, tol, &format!("channel forward {what}"));

        // With the activation fused and the pre-activation kept, or not.
        let relu: Vec<f64> = want.iter().map(|&v| v.max(0.0)).collect();
        type Relu = Activated<crate::ops::builtins::Relu>;
        let (mut got, mut pre) = (vec![f32::NAN; n_out], vec![f32::NAN; n_out]);
        channel_forward::<Relu>(plan, xv32, &weight, bias32, &mut got, Some(&mut pre));
        assert_close(&to64(&pre), &want, tol, &format!("channel pre {what}"));
        assert_close(&to64(&got), &relu, tol, &format!("channel relu {what}"));
        let mut got = vec![f32::NAN; n_out];
        channel_forward::<Relu>(plan, xv32, &weight, bias32, &mut got, None);
        assert_close(&to64(&got), &relu, tol, &format!("relu in place {what}"));
        let (mut got, mut pre) = (vec![f32::NAN; n_out], vec![f32::NAN; n_out]);
        channel_forward::<NoActivation>(plan, xv32, &weight, bias32, &mut got, Some(&mut pre));
        assert_close(&to64(&got), &want, tol, &format!("identity, kept {what}"));
        assert_close(&to64(&pre), &want, tol, &format!("identity pre {what}"));

        // The input gradient is a forward conv of another plan (upsampled by the stride).
        let g = fill32(n_out, &mut rng);
        let g32 = to32(&g);
        let mut want = vec![0.0; x.len()];
        naive::backward_input(&s, c4(&g, s.output_shape()), wv, &mut want).unwrap();
        let (kh, kw) = (s.kernel_h, s.kernel_w);
        let flipped = |c, o, p, q| wv32.data[wv32.position([o, c, kh - 1 - p, kw - 1 - q])];
        let mut got = vec![f32::NAN; x.len()];
        let gv = c4(&g32, s.output_shape());
        let up = Plan::backward_input(&s).unwrap();
        channel_forward::<NoActivation>((&up, plan.1), gv, &flipped, None, &mut got, None);
        assert_close(&to64(&got), &want, tol, &format!("backward_input {what}"));
    }
}

/// Shapes the channel engine wins, through the public entry points (plain, and fused with an
/// activation by a declared kernel), against the `f64` reference.
#[test]
fn public_f32_forward_takes_the_channel_engine_and_matches_naive() {
    let mut rng = StdRng::seed_from_u64(23);
    let mut ran = 0;
    for (i, (o, c, hw, k)) in [
        (16, 6, 14, 5),
        (16, 3, 27, 3),
        (32, 4, 9, 3),
        (48, 2, 20, 5),
    ]
    .into_iter()
    .enumerate()
    {
        let pad = [ConvParams::padded(k / 2); 2];
        let s = ConvShape::conv2d([3, c, hw, hw], [o, c, k, k], pad).unwrap();
        if channels::wins(&Plan::forward(&s).unwrap()).is_none() {
            continue;
        }
        ran += 1;
        let x = fill32(s.input_shape().iter().product(), &mut rng);
        let w = fill32(s.weight_shape().iter().product(), &mut rng);
        let bias = fill32(o, &mut rng);
        let (x32, w32, b32) = (to32(&x), to32(&w), to32(&bias));
        let n_out: usize = s.output_shape().iter().product();
        let (xs, ws) = (s.input_shape(), s.weight_shape());
        let mut want = vec![0.0; n_out];
        naive::forward(&s, c4(&x, xs), c4(&w, ws), Some(&bias), &mut want).unwrap();
        let mut got = vec![f32::NAN; n_out];
        conv2d_forward(&s, c4(&x32, xs), c4(&w32, ws), Some(&b32), &mut got).unwrap();
        assert_close(&to64(&got), &want, 1e-5, &format!("shape {i}: {s}"));
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        assert!(ran >= 2, "only {ran} shapes took the channel engine");
    }
}

#[test]
fn channel_engine_runs_conv2d_c_and_not_the_shapes_the_position_engine_wins() {
    let shape = |x, w, p| {
        Plan::forward(&ConvShape::conv2d(x, w, [ConvParams::padded(p); 2]).unwrap()).unwrap()
    };
    let c = shape([64, 6, 14, 14], [16, 6, 5, 5], 2);
    let a = shape([8, 64, 56, 56], [64, 64, 3, 3], 1);
    let b = shape([64, 1, 28, 28], [6, 1, 5, 5], 2);
    let s1 = ConvShape::conv1d([32, 64, 256], [64, 64, 5], ConvParams::padded(2)).unwrap();
    let conv1d = Plan::forward(&s1).unwrap();
    // On 16 f32 lanes (AVX-512) a 14-wide output row wastes 2 lanes in 16 of the position
    // engine, and conv2d_C's 16 output channels fill the channel engine's lanes exactly. On 8
    // lanes (AVX2) the position engine's waste is smaller and the choice follows
    // `position_engine_use` (not asserted here); a scalar or 4-lane backend keeps every shape.
    let lanes = crate::kernel::arch().dispatch(LanesF32);
    if lanes != 8 {
        assert_eq!(channels::wins(&c).is_some(), lanes >= 16, "conv2d_C");
    }
    for (name, plan) in [("conv2d_A", a), ("conv2d_B", b), ("conv1d", conv1d)] {
        assert!(channels::wins(&plan).is_none(), "{name}");
    }
    // f64 stays on the position engine even where f32 takes the channel engine.
    let s = ConvShape::conv2d([1, 6, 14, 14], [16, 6, 5, 5], [ConvParams::padded(2); 2]).unwrap();
    let (x, w) = (vec![0.5f64; 6 * 14 * 14], vec![0.25f64; 16 * 6 * 25]);
    let (xv, wv) = (c4(&x, s.input_shape()), c4(&w, s.weight_shape()));
    let weight = |o, c, p, q| wv.data[wv.position([o, c, p, q])];
    let mut out = vec![f64::NAN; 16 * 14 * 14];
    let plan = Plan::forward(&s).unwrap();
    let done = channels::try_forward::<f64, NoActivation>(&plan, xv, &weight, None, &mut out, None);
    assert!(!done && out.iter().all(|v| v.is_nan()));
}

struct LanesF32;
impl pulp::WithSimd for LanesF32 {
    type Output = usize;
    fn with_simd<S: pulp::Simd>(self, _: S) -> usize {
        <f32 as crate::simd::SimdElement>::lanes::<S>()
    }
}

/// A stride far beyond the kernel's extent packs only the phases the windows read (the packed
/// size no longer grows with the stride: 2^16 used to ask for 34 GB), and a padding and
/// dilation that would pack more than `MAX_PACKED` elements per image are an error, not an
/// allocation that aborts.
#[test]
fn huge_strides_pack_little_and_huge_padded_inputs_are_errors() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut fill = |n: usize| {
        (0..n)
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect::<Vec<f64>>()
    };
    for stride in [4, 1 << 16, 1 << 40, usize::MAX] {
        let p = ConvParams::valid().with_stride(stride);
        let s = ConvShape::conv2d([2, 2, 5, 7], [3, 2, 3, 2], [p, p]).unwrap();
        assert_eq!(
            Plan::forward(&s).unwrap().phases,
            [stride.min(3), stride.min(2)]
        );
        let n_out: usize = s.output_shape().iter().product();
        let (x, w, g) = (fill(2 * 2 * 5 * 7), fill(3 * 2 * 3 * 2), fill(n_out));
        let xv = StridedRef::contiguous(&x, s.input_shape());
        let wv = StridedRef::contiguous(&w, s.weight_shape());
        let gv = StridedRef::contiguous(&g, s.output_shape());
        let (mut want, mut got) = (vec![0.0; n_out], vec![f64::NAN; n_out]);
        naive::forward(&s, xv, wv, None, &mut want).unwrap();
        conv2d_forward(&s, xv, wv, None, &mut got).unwrap();
        assert_close(&got, &want, 1e-12, &format!("forward, stride {stride}"));
        let (mut want, mut got) = (vec![0.0; x.len()], vec![f64::NAN; x.len()]);
        naive::backward_input(&s, gv, wv, &mut want).unwrap();
        conv2d_backward_input(&s, gv, wv, &mut got).unwrap();
        assert_close(
            &got,
            &want,
            1e-12,
            &format!("backward_input, stride {stride}"),
        );
        let (mut want, mut got) = (vec![0.0; w.len()], vec![f64::NAN; w.len()]);
        naive::backward_weight(&s, xv, gv, &mut want).unwrap();
        conv2d_backward_weight(&s, xv, gv, &mut got).unwrap();
        assert_close(
            &got,
            &want,
            1e-12,
            &format!("backward_weight, stride {stride}"),
        );
    }
    let p = ConvParams::padded(1 << 20).with_dilation(1 << 20);
    let s = ConvShape::conv2d([1, 1, 1, 1], [1, 1, 3, 3], [p, p]).unwrap();
    let (x, w) = ([1.0f32], [1.0f32; 9]);
    let xv = StridedRef::contiguous(&x, s.input_shape());
    let wv = StridedRef::contiguous(&w, s.weight_shape());
    let e = conv2d_forward(&s, xv, wv, None, &mut [0.0])
        .unwrap_err()
        .to_string();
    assert!(e.contains("packed") && e.contains("not supported"), "{e}");
    // A large image alone is no reason: 2048 channels of 1024×1024 pack 2^31 elements, beyond
    // MAX_PACKED but within a few times the data (the plan only, nothing is allocated).
    let s = ConvShape::conv2d(
        [1, 2048, 1024, 1024],
        [1, 2048, 3, 3],
        [ConvParams::padded(1); 2],
    )
    .unwrap();
    assert!(Plan::forward(&s).is_ok() && Plan::backward_input(&s).is_ok());
}
