//! Tests of the pooling kernels: semantics.md's worked values, origami == kernels, first-maximum
//! gradients, NaN propagation, finite differences and errors.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::Tensor;

fn grid() -> Vec<f64> {
    (1..=16).map(f64::from).collect()
}

fn c4<E: Copy>(data: &[E], shape: [usize; 4]) -> StridedRef<'_, E, 4> {
    StridedRef::contiguous(data, shape)
}

#[test]
fn tile_and_origami_pools_match_the_worked_values() {
    let t = Tensor::from_vec(grid(), &[1, 1, 4, 4]).unwrap();
    let tiled = tile(&t, [2, 2]).unwrap();
    assert_eq!(tiled.shape(), &[1, 1, 2, 2, 4]);
    assert_eq!(tiled.to_vec()[..4], [1.0, 2.0, 5.0, 6.0]);
    let tiled = tile(&t, [1, 2]).unwrap();
    assert_eq!(tiled.to_vec()[..4], [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(
        avgpool2d(&t, [2, 2]).unwrap().to_vec(),
        [3.5, 5.5, 11.5, 13.5]
    );
    assert_eq!(
        maxpool2d(&t, [2, 2]).unwrap().to_vec(),
        [6.0, 8.0, 14.0, 16.0]
    );
}

#[test]
fn kernels_match_the_worked_values_and_the_origami_path_exactly() {
    let x = grid();
    let s = PoolShape::new([1, 1, 4, 4], [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
    let mut out = [0.0; 4];
    avgpool2d_forward(&s, c4(&x, [1, 1, 4, 4]), &mut out).unwrap();
    assert_eq!(out, [3.5, 5.5, 11.5, 13.5]);
    maxpool2d_forward(&s, c4(&x, [1, 1, 4, 4]), &mut out).unwrap();
    assert_eq!(out, [6.0, 8.0, 14.0, 16.0]);

    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..30 {
        let (kh, kw) = (rng.gen_range(1..=3), rng.gen_range(1..=3));
        let shape = [
            rng.gen_range(1..=2),
            rng.gen_range(1..=3),
            kh * rng.gen_range(1..=4),
            kw * rng.gen_range(1..=4),
        ];
        let x: Vec<f32> = (0..shape.iter().product())
            .map(|_| rng.gen_range(-10.0..10.0))
            .collect();
        let t = Tensor::from_vec(x.clone(), &shape).unwrap();
        let s = PoolShape::new(shape, [kh, kw], [kh, kw], [[0, 0]; 2]).unwrap();
        let mut out = vec![0.0f32; s.output_shape().iter().product()];
        maxpool2d_forward(&s, c4(&x, shape), &mut out).unwrap();
        assert_eq!(
            out,
            maxpool2d(&t, [kh, kw]).unwrap().to_vec(),
            "max {shape:?} {kh}x{kw}"
        );
        avgpool2d_forward(&s, c4(&x, shape), &mut out).unwrap();
        let want = avgpool2d(&t, [kh, kw]).unwrap().to_vec();
        for (a, b) in out.iter().zip(&want) {
            // Same terms, different summation order: equal to within rounding.
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "avg {shape:?}: {a} vs {b}"
            );
        }
    }
}

/// Plain definition of the pools over the padded input, with the gradient of each window going
/// to its first maximum; the reference for the kernels with stride ≠ window and padding.
fn reference(s: &PoolShape, x: &[f64], g: &[f64], max: bool) -> (Vec<f64>, Vec<f64>) {
    let [b, c, h, w] = s.input;
    let [oh, ow] = s.out;
    let mut out = vec![0.0; b * c * oh * ow];
    let mut gx = vec![0.0; x.len()];
    let n = (s.window[0] * s.window[1]) as f64;
    let mut k = 0;
    for plane in 0..b * c {
        for y in 0..oh {
            for xo in 0..ow {
                let mut cells = vec![];
                for p in 0..s.window[0] {
                    for q in 0..s.window[1] {
                        let r = (y * s.stride[0] + p).checked_sub(s.padding[0][0]);
                        let cc = (xo * s.stride[1] + q).checked_sub(s.padding[1][0]);
                        if let (Some(r), Some(cc)) = (r, cc)
                            && r < h
                            && cc < w
                        {
                            cells.push(plane * h * w + r * w + cc);
                        }
                    }
                }
                if max {
                    let first = cells.iter().copied().fold(cells[0], |best, i| {
                        if x[i] > x[best] || (x[i].is_nan() && !x[best].is_nan()) {
                            i
                        } else {
                            best
                        }
                    });
                    out[k] = if cells.iter().any(|&i| x[i].is_nan()) {
                        f64::NAN
                    } else {
                        x[first]
                    };
                    gx[first] += g[k];
                } else {
                    out[k] = cells.iter().map(|&i| x[i]).sum::<f64>() / n;
                    for &i in &cells {
                        gx[i] += g[k] / n;
                    }
                }
                k += 1;
            }
        }
    }
    (out, gx)
}

#[test]
fn stride_other_than_window_padding_and_permuted_inputs_match_the_definition() {
    let mut rng = StdRng::seed_from_u64(9);
    let mut tested = 0;
    while tested < 60 {
        let window = [rng.gen_range(1..=4), rng.gen_range(1..=4)];
        let stride = [rng.gen_range(1..=3), rng.gen_range(1..=3)];
        let padding = [
            [rng.gen_range(0..window[0]), rng.gen_range(0..window[0])],
            [rng.gen_range(0..window[1]), rng.gen_range(0..window[1])],
        ];
        let input = [
            rng.gen_range(1..=2),
            rng.gen_range(1..=3),
            rng.gen_range(1..=9),
            rng.gen_range(1..=9),
        ];
        let Ok(s) = PoolShape::new(input, window, stride, padding) else {
            continue;
        };
        tested += 1;
        // Small integers make ties common: the first-maximum rule is exercised.
        let x: Vec<f64> = (0..input.iter().product())
            .map(|_| rng.gen_range(0..4) as f64)
            .collect();
        let g: Vec<f64> = (0..s.output_shape().iter().product())
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        // Channels-last storage: a permuted view.
        let [b, c, h, w] = input;
        let mut xs = vec![0.0; x.len()];
        for bi in 0..b {
            for ci in 0..c {
                for r in 0..h {
                    for j in 0..w {
                        xs[((bi * h + r) * w + j) * c + ci] = x[((bi * c + ci) * h + r) * w + j];
                    }
                }
            }
        }
        let xv = StridedRef {
            data: &xs[..],
            offset: 0,
            shape: input,
            strides: [h * w * c, 1, w * c, c],
        };
        let gv = c4(&g, s.output_shape());
        for max in [true, false] {
            let (want, want_gx) = reference(&s, &x, &g, max);
            let mut out = vec![f64::NAN; want.len()];
            let mut gx = vec![f64::NAN; x.len()];
            if max {
                maxpool2d_forward(&s, xv, &mut out).unwrap();
                maxpool2d_backward(&s, xv, gv, &mut gx).unwrap();
            } else {
                avgpool2d_forward(&s, xv, &mut out).unwrap();
                avgpool2d_backward(&s, gv, &mut gx).unwrap();
            }
            for (a, e) in out.iter().zip(&want).chain(gx.iter().zip(&want_gx)) {
                assert!((a - e).abs() <= 1e-12, "{s:?} max={max}: {a} vs {e}");
            }
        }
    }
}

#[test]
fn max_gradient_goes_to_the_first_maximum_and_nan_propagates() {
    let s = PoolShape::new([1, 1, 2, 4], [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
    let x = [1.0, 5.0, f64::NAN, 2.0, 5.0, 5.0, 3.0, f64::NAN];
    let mut out = [0.0; 2];
    maxpool2d_forward(&s, c4(&x, [1, 1, 2, 4]), &mut out).unwrap();
    assert_eq!(out[0], 5.0);
    assert!(out[1].is_nan());
    let mut gx = [0.0; 8];
    maxpool2d_backward(
        &s,
        c4(&x, [1, 1, 2, 4]),
        c4(&[10.0, 20.0], [1, 1, 1, 2]),
        &mut gx,
    )
    .unwrap();
    assert_eq!(gx, [0.0, 10.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn pool_gradients_match_central_differences() {
    let mut rng = StdRng::seed_from_u64(21);
    let s = PoolShape::new([1, 2, 5, 6], [3, 2], [2, 1], [[1, 1], [1, 0]]).unwrap();
    // Distinct values: the max is differentiable everywhere.
    let x: Vec<f64> = (0..60)
        .map(|i| i as f64 * 0.37 + rng.gen_range(0.0..0.1))
        .map(|v| (v * 7.1).sin())
        .collect();
    let g: Vec<f64> = (0..s.output_shape().iter().product())
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let n_out = g.len();
    for max in [true, false] {
        let f = |x: &[f64]| {
            let mut out = vec![0.0; n_out];
            if max {
                maxpool2d_forward(&s, c4(x, s.input), &mut out).unwrap()
            } else {
                avgpool2d_forward(&s, c4(x, s.input), &mut out).unwrap()
            }
            out.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>()
        };
        let mut gx = vec![0.0; x.len()];
        if max {
            maxpool2d_backward(&s, c4(&x, s.input), c4(&g, s.output_shape()), &mut gx).unwrap();
        } else {
            avgpool2d_backward(&s, c4(&g, s.output_shape()), &mut gx).unwrap();
        }
        for i in 0..x.len() {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[i] += 1e-6;
            xm[i] -= 1e-6;
            let fd = (f(&xp) - f(&xm)) / 2e-6;
            assert!(
                (fd - gx[i]).abs() <= 1e-6,
                "max={max} dx[{i}]: {fd} vs {}",
                gx[i]
            );
        }
    }
}

#[test]
fn bad_pool_shapes_are_clear_errors() {
    let e = PoolShape::new([1, 1, 3, 3], [5, 2], [1, 1], [[0, 0]; 2]).unwrap_err();
    assert!(
        e.to_string()
            .contains("window 5 is larger than the padded input 3"),
        "{e}"
    );
    assert!(PoolShape::new([1, 1, 4, 4], [2, 2], [2, 2], [[2, 0], [0, 0]]).is_err());
    assert!(PoolShape::new([1, 1, 4, 4], [2, 2], [0, 2], [[0, 0]; 2]).is_err());
    let t = Tensor::<f64>::zeros(&[1, 1, 5, 4]).unwrap();
    let e = tile(&t, [2, 2]).unwrap_err();
    assert!(
        e.to_string().contains("does not divide") && e.to_string().contains("[1, 1, 5, 4]"),
        "{e}"
    );
    let s = PoolShape::new([1, 1, 4, 4], [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
    let mut out = [0.0f32; 3];
    assert!(maxpool2d_forward(&s, c4(&[0.0f32; 16], [1, 1, 4, 4]), &mut out).is_err());
}

/// The tensor ops draw their output and input-gradient buffers from the recycling cache, whose
/// buffers hold whatever a dropped tensor held: every element must be written, for tiling
/// windows (with and without uncovered strips), overlapping windows and padding.
#[test]
fn pool_tensor_ops_overwrite_recycled_buffers() {
    let cases = [
        ([4, 8, 100, 102], [2, 2], [2, 2], [0, 0]),
        ([4, 8, 101, 103], [2, 2], [2, 2], [0, 0]),
        ([4, 8, 100, 102], [3, 3], [2, 2], [1, 1]),
        ([4, 8, 100, 102], [3, 3], [1, 1], [0, 0]),
    ];
    for (dims, k, st, pad) in cases {
        let x = Tensor::<f32>::randn_seeded(&dims, 11)
            .unwrap()
            .requires_grad_(true);
        for max in [true, false] {
            let run = || {
                x.zero_grad();
                let y = if max {
                    x.max_pool2d(k, st, pad)
                } else {
                    x.avg_pool2d(k, st, pad)
                }
                .unwrap();
                let g = Tensor::<f32>::randn_seeded(y.shape(), 12).unwrap();
                y.backward_with(&g).unwrap();
                (y.to_vec(), x.grad().unwrap().to_vec())
            };
            let (y0, gx0) = run();
            // Both sizes are above the cache's minimum: NaN-filled buffers of each go back to
            // the cache, for the second run to draw.
            assert!(y0.len() * 4 >= 256 << 10);
            drop(Tensor::<f32>::full(&[y0.len()], f32::NAN).unwrap());
            drop(Tensor::<f32>::full(&[gx0.len()], f32::NAN).unwrap());
            let (y1, gx1) = run();
            assert!(y1.iter().chain(&gx1).all(|v| !v.is_nan()), "{dims:?} {k:?}");
            assert_eq!((y0, gx0), (y1, gx1), "{dims:?} {k:?} {st:?} {pad:?}");
        }
    }
}
