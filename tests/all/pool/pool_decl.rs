//! `simdgrad::pool!` declared as a user crate would: the generated kernels agree with the
//! `tile` (origami) reference and a naive loop exactly, on random shapes, permuted inputs,
//! stride ≠ window, padding and NaN; gradients agree with the naive ones (first maximum) and
//! pass f64 `check_grads`; bad shapes are errors naming them.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use simdgrad::check_grads::{check_grads, GradCheckOptions};
use simdgrad::kernel::{ReduceKernel, ReducePattern};
use simdgrad::{pool, Error, Tensor};

/// `ln(e^acc + e^x)`, stable; `-inf` is the identity.
#[simdgrad::reduce(identity = -f32::INFINITY)]
pub fn my_logsumexp(acc: f32, x: f32) -> f32 {
    let m = max(acc, x);
    if m == f32::NEG_INFINITY {
        m
    } else {
        m + ln(exp(acc - m) + exp(x - m))
    }
}

simdgrad::pool! { pub maxpool2x2: reduce = max, window = [2, 2], stride = [2, 2] }
simdgrad::pool! { avgpool2x2: reduce = avg, window = [2, 2] }
simdgrad::pool! { maxpool3x2: reduce = max, window = [3, 2] }
simdgrad::pool! { avgpool3x3: reduce = mean, window = [3, 3] }
simdgrad::pool! { pub soft_pool: reduce = my_logsumexp, window = [3, 3], stride = [1, 1] }
simdgrad::pool! { max3s2p1: reduce = max, window = [3, 3], stride = [2, 2], padding = [1, 1] }
simdgrad::pool! { avg3s1p1: reduce = avg, window = [3, 3], stride = [1, 1], padding = [1, 1] }
simdgrad::pool! { min2x3: reduce = min, window = [2, 3], stride = [1, 2], padding = [1, 0] }
simdgrad::pool! { sum2s3: reduce = sum, window = [2, 2], stride = [3, 3] }
simdgrad::pool! { lse2s2p1: reduce = my_logsumexp, window = [2, 3], stride = [2, 2], padding = [1, 1] }

type Op = fn(&Tensor<f64>) -> simdgrad::Result<Tensor<f64>>;
type Op32 = fn(&Tensor<f32>) -> simdgrad::Result<Tensor<f32>>;

/// A declared pool with its parameters, for the naive reference.
struct Case {
    name: &'static str,
    op: Op,
    op32: Op32,
    fold: fn(f64, f64) -> f64,
    partials: fn(f64, f64) -> (f64, f64),
    identity: f64,
    pattern: ReducePattern,
    mean: bool,
    window: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
}

fn case<K: ReduceKernel>(
    name: &'static str,
    (op, op32): (Op, Op32),
    mean: bool,
    window: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
) -> Case {
    Case {
        name,
        op,
        op32,
        fold: K::scalar::<f64>,
        partials: K::scalar_partials::<f64>,
        identity: K::identity::<f64>(),
        pattern: K::PATTERN,
        mean,
        window,
        stride,
        padding,
    }
}

fn cases() -> Vec<Case> {
    use simdgrad::ops::builtins::{Max, Min, Sum};
    vec![
        case::<Max>(
            "maxpool2x2",
            (maxpool2x2, maxpool2x2),
            false,
            [2, 2],
            [2, 2],
            [0, 0],
        ),
        case::<Sum>(
            "avgpool2x2",
            (avgpool2x2, avgpool2x2),
            true,
            [2, 2],
            [2, 2],
            [0, 0],
        ),
        case::<Max>(
            "maxpool3x2",
            (maxpool3x2, maxpool3x2),
            false,
            [3, 2],
            [3, 2],
            [0, 0],
        ),
        case::<Sum>(
            "avgpool3x3",
            (avgpool3x3, avgpool3x3),
            true,
            [3, 3],
            [3, 3],
            [0, 0],
        ),
        case::<MyLogsumexp>(
            "soft_pool",
            (soft_pool, soft_pool),
            false,
            [3, 3],
            [1, 1],
            [0, 0],
        ),
        case::<Max>(
            "max3s2p1",
            (max3s2p1, max3s2p1),
            false,
            [3, 3],
            [2, 2],
            [1, 1],
        ),
        case::<Sum>(
            "avg3s1p1",
            (avg3s1p1, avg3s1p1),
            true,
            [3, 3],
            [1, 1],
            [1, 1],
        ),
        case::<Min>("min2x3", (min2x3, min2x3), false, [2, 3], [1, 2], [1, 0]),
        case::<Sum>("sum2s3", (sum2s3, sum2s3), false, [2, 2], [3, 3], [0, 0]),
        case::<MyLogsumexp>(
            "lse2s2p1",
            (lse2s2p1, lse2s2p1),
            false,
            [2, 3],
            [2, 2],
            [1, 1],
        ),
    ]
}

/// Positions `(row, col)` of output `(y, x)`'s window inside the input, row-major.
fn window(c: &Case, [h, w]: [usize; 2], y: usize, x: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for p in 0..c.window[0] {
        for q in 0..c.window[1] {
            let r = (y * c.stride[0] + p).checked_sub(c.padding[0]);
            let col = (x * c.stride[1] + q).checked_sub(c.padding[1]);
            if let (Some(r), Some(col)) = (r, col) {
                if r < h && col < w {
                    out.push((r, col));
                }
            }
        }
    }
    out
}

fn out_hw(c: &Case, [h, w]: [usize; 2]) -> [usize; 2] {
    [0, 1].map(|a| ([h, w][a] + 2 * c.padding[a] - c.window[a]) / c.stride[a] + 1)
}

/// The naive pool of a contiguous `(B, C, H, W)` buffer and its input gradient for upstream
/// `g`: each window folded from the identity in row-major order.
fn naive(c: &Case, x: &[f64], shape: [usize; 4], g: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let [b, ch, h, w] = shape;
    let [oh, ow] = out_hw(c, [h, w]);
    let n = (c.window[0] * c.window[1]) as f64;
    let mut out = Vec::new();
    let mut gx = vec![0.0; x.len()];
    for plane in 0..b * ch {
        let at = |(r, col): (usize, usize)| plane * h * w + r * w + col;
        for y in 0..oh {
            for xo in 0..ow {
                let win = window(c, [h, w], y, xo);
                let vals: Vec<f64> = win.iter().map(|&p| x[at(p)]).collect();
                let v = vals.iter().fold(c.identity, |a, &v| (c.fold)(a, v));
                out.push(if c.mean { v / n } else { v });
                let gv = g[(plane * oh + y) * ow + xo];
                match c.pattern {
                    ReducePattern::Sum => {
                        for &p in &win {
                            gx[at(p)] += if c.mean { gv / n } else { gv };
                        }
                    }
                    ReducePattern::Max | ReducePattern::Min => {
                        let i = vals
                            .iter()
                            .position(|&u| u == v || (u.is_nan() && v.is_nan()))
                            .unwrap();
                        gx[at(win[i])] += gv;
                    }
                    ReducePattern::General => {
                        let mut pre = vec![c.identity];
                        for &u in &vals {
                            pre.push((c.fold)(*pre.last().unwrap(), u));
                        }
                        let mut suffix = gv;
                        for i in (0..vals.len()).rev() {
                            let (da, dx) = (c.partials)(pre[i], vals[i]);
                            gx[at(win[i])] += suffix * dx;
                            suffix *= da;
                        }
                    }
                }
            }
        }
    }
    (out, gx)
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn close(a: f64, b: f64) -> bool {
    same(a, b) || (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

/// Random `(B, C, H, W)` data, as a contiguous tensor and, half of the time, as a permuted
/// (non-contiguous) view of the same values.
fn input(rng: &mut StdRng, shape: [usize; 4], ties: bool, nans: bool) -> (Vec<f64>, Tensor<f64>) {
    let n = shape.iter().product();
    let x: Vec<f64> = (0..n)
        .map(|_| {
            if nans && rng.gen_bool(0.1) {
                f64::NAN
            } else if ties {
                f64::from(rng.gen_range(-3..3))
            } else {
                rng.gen_range(-5.0..5.0)
            }
        })
        .collect();
    let [b, c, h, w] = shape;
    let t = if rng.gen_bool(0.5) {
        // Stored as (W, B, H, C), viewed back as (B, C, H, W): no unit stride anywhere.
        let mut stored = vec![0.0; n];
        for (i, &v) in x.iter().enumerate() {
            let (bi, ci, hi, wi) = (i / (c * h * w), i / (h * w) % c, i / w % h, i % w);
            stored[((wi * b + bi) * h + hi) * c + ci] = v;
        }
        Tensor::from_vec(stored, &[w, b, h, c])
            .unwrap()
            .permute(&[1, 3, 2, 0])
            .unwrap()
    } else {
        Tensor::from_vec(x.clone(), &shape).unwrap()
    };
    assert!(t.to_vec().iter().zip(&x).all(|(a, b)| same(*a, *b)));
    (x, t)
}

fn random_shape(rng: &mut StdRng, c: &Case) -> [usize; 4] {
    let lo = [0, 1].map(|a| c.window[a].saturating_sub(2 * c.padding[a]).max(1));
    [
        rng.gen_range(1..=2),
        rng.gen_range(1..=3),
        rng.gen_range(lo[0]..lo[0] + 12),
        rng.gen_range(lo[1]..lo[1] + 40),
    ]
}

fn check_against_naive(seed: u64, ties: bool, nans: bool) {
    let mut rng = StdRng::seed_from_u64(seed);
    for c in cases() {
        for _ in 0..12 {
            let shape = random_shape(&mut rng, &c);
            let (x, t) = input(&mut rng, shape, ties, nans);
            let t = t.requires_grad_(true);
            let y = (c.op)(&t).unwrap();
            let [oh, ow] = out_hw(&c, [shape[2], shape[3]]);
            assert_eq!(y.shape(), &[shape[0], shape[1], oh, ow], "{}", c.name);
            let g: Vec<f64> = (0..y.numel()).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let (want, want_g) = naive(&c, &x, shape, &g);
            let exact = c.pattern != ReducePattern::General;
            for (i, (a, b)) in y.to_vec().iter().zip(&want).enumerate() {
                let ok = if exact { same(*a, *b) } else { close(*a, *b) };
                assert!(ok, "{} {shape:?} output {i}: {a} vs naive {b}", c.name);
            }
            y.backward_with(&Tensor::from_vec(g, y.shape()).unwrap())
                .unwrap();
            let got = t.grad().unwrap().to_vec();
            for (i, (a, b)) in got.iter().zip(&want_g).enumerate() {
                assert!(
                    close(*a, *b),
                    "{} {shape:?} grad {i}: {a} vs naive {b}",
                    c.name
                );
            }
        }
    }
}

#[test]
fn generated_pools_match_the_naive_loop_on_random_and_permuted_inputs() {
    check_against_naive(1, false, false);
}

#[test]
fn max_and_min_gradients_go_to_the_first_extreme_among_ties() {
    check_against_naive(2, true, false);
}

#[test]
fn nan_propagates_and_takes_the_gradient() {
    check_against_naive(3, false, true);
}

#[test]
fn declared_pools_match_the_origami_reference_exactly() {
    let mut rng = StdRng::seed_from_u64(4);
    for _ in 0..20 {
        for nans in [false, true] {
            let shape = [
                rng.gen_range(1..=2),
                rng.gen_range(1..=3),
                6 * rng.gen_range(1..=3),
                6 * rng.gen_range(1..=8),
            ];
            let (x, t) = input(&mut rng, shape, false, nans);
            let dense = Tensor::from_vec(x, &shape).unwrap();
            let pairs: [(Op, [usize; 2], bool); 4] = [
                (maxpool2x2, [2, 2], true),
                (avgpool2x2, [2, 2], false),
                (maxpool3x2, [3, 2], true),
                (avgpool3x3, [3, 3], false),
            ];
            for (op, k, is_max) in pairs {
                let got = op(&t).unwrap().to_vec();
                let want = if is_max {
                    pool::maxpool2d(&dense, k).unwrap()
                } else {
                    pool::avgpool2d(&dense, k).unwrap()
                };
                assert!(
                    got.iter().zip(want.to_vec()).all(|(a, b)| same(*a, b)),
                    "{k:?} {shape:?}: {got:?} vs {:?}",
                    want.to_vec()
                );
            }
        }
    }
}

#[test]
fn runtime_layers_match_the_naive_loop_for_declared_and_run_time_sizes() {
    use simdgrad::ops::builtins::{Max, Sum};
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..60 {
        let window = [rng.gen_range(1..=4), rng.gen_range(1..=4)];
        let (window, stride) = if rng.gen_bool(0.4) {
            let k = [[2, 2], [3, 3]][rng.gen_range(0..2)];
            (k, [[1, 1], [2, 2]][rng.gen_range(0..2)])
        } else {
            (window, [rng.gen_range(1..=3), rng.gen_range(1..=3)])
        };
        let padding = [rng.gen_range(0..window[0]), rng.gen_range(0..window[1])];
        let is_max = rng.gen_bool(0.5);
        let base = if is_max {
            case::<Max>(
                "max_pool2d",
                (maxpool2x2, maxpool2x2),
                false,
                window,
                stride,
                padding,
            )
        } else {
            case::<Sum>(
                "avg_pool2d",
                (avgpool2x2, avgpool2x2),
                true,
                window,
                stride,
                padding,
            )
        };
        let shape = random_shape(&mut rng, &base);
        let (x, t) = input(&mut rng, shape, is_max, false);
        let t = t.requires_grad_(true);
        let y = if is_max {
            t.max_pool2d(window, stride, padding)
        } else {
            t.avg_pool2d(window, stride, padding)
        }
        .unwrap();
        let g: Vec<f64> = (0..y.numel()).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let (want, want_g) = naive(&base, &x, shape, &g);
        let what = format!(
            "{} {shape:?} k{window:?} s{stride:?} p{padding:?}",
            base.name
        );
        assert!(
            y.to_vec().iter().zip(&want).all(|(a, b)| same(*a, *b)),
            "{what}"
        );
        y.backward_with(&Tensor::from_vec(g, y.shape()).unwrap())
            .unwrap();
        let got = t.grad().unwrap().to_vec();
        assert!(
            got.iter().zip(&want_g).all(|(a, b)| close(*a, *b)),
            "{what} grad"
        );
    }
}

#[test]
fn every_declared_pool_passes_check_grads_in_f64() {
    for (k, c) in cases().into_iter().enumerate() {
        let shape = [2, 2, 7, 9];
        let x = Tensor::<f64>::randn_seeded(&shape, 10 + k as u64).unwrap();
        check_grads(
            |a: &[Tensor<f64>]| (c.op)(&a[0]),
            &[x],
            GradCheckOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", c.name));
    }
}

#[test]
fn declared_kernels_run_on_f32_slices() {
    use simdgrad::conv::StridedRef;
    use simdgrad::pool::PoolKernel;
    let x: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let s = Maxpool2x2.shape([1, 1, 4, 4]).unwrap();
    let mut out = [0.0f32; 4];
    Maxpool2x2
        .forward(&s, StridedRef::contiguous(&x, [1, 1, 4, 4]), &mut out)
        .unwrap();
    assert_eq!(out, [6.0, 8.0, 14.0, 16.0]);
    let mut gx = [0.0f32; 16];
    let g = [1.0f32, 2.0, 3.0, 4.0];
    Maxpool2x2
        .backward(
            &s,
            StridedRef::contiguous(&x, [1, 1, 4, 4]),
            StridedRef::contiguous(&g, [1, 1, 2, 2]),
            &mut gx,
        )
        .unwrap();
    let mut want = [0.0f32; 16];
    (want[5], want[7], want[13], want[15]) = (1.0, 2.0, 3.0, 4.0);
    assert_eq!(gx, want);
    assert_eq!(<SoftPool as PoolKernel>::REDUCE, "my_logsumexp");
    // Another geometry than the declared one is refused.
    let other = simdgrad::pool::PoolShape::new([1, 1, 4, 4], [2, 2], [1, 1], [[0, 0]; 2]).unwrap();
    let mut out = [0.0f32; 9];
    let err = Maxpool2x2
        .forward(&other, StridedRef::contiguous(&x, [1, 1, 4, 4]), &mut out)
        .unwrap_err();
    assert!(err.to_string().contains("stride"), "{err}");
}

#[test]
fn bad_shapes_are_errors_naming_them() {
    let small = Tensor::<f32>::zeros(&[1, 1, 2, 5]).unwrap();
    let err = soft_pool(&small).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("[1, 1, 2, 5]") && msg.contains("larger"),
        "{msg}"
    );
    let err = maxpool2x2(&Tensor::<f32>::zeros(&[4, 4]).unwrap()).unwrap_err();
    assert!(err.to_string().contains("[4, 4]"), "{err}");
    let err = pool::tile(&Tensor::<f32>::zeros(&[1, 1, 5, 4]).unwrap(), [2, 2]).unwrap_err();
    assert!(err.to_string().contains("does not divide"), "{err}");
    let err = pool::maxpool2d(&Tensor::<f32>::zeros(&[1, 1, 4, 3]).unwrap(), [2, 2]).unwrap_err();
    assert!(err.to_string().contains("[1, 1, 4, 3]"), "{err}");
}

#[test]
fn f32_kernels_match_the_naive_loop() {
    let mut rng = StdRng::seed_from_u64(6);
    for c in cases() {
        for _ in 0..12 {
            let shape = random_shape(&mut rng, &c);
            let nans = rng.gen_bool(0.3);
            let (x, _) = input(&mut rng, shape, true, nans);
            // Small integers: every sum, mean and max is exact in f32 too.
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let t = Tensor::from_vec(x32, &shape).unwrap().requires_grad_(true);
            let y = (c.op32)(&t).unwrap();
            let g: Vec<f64> = (0..y.numel())
                .map(|_| f64::from(rng.gen_range(-4..4)))
                .collect();
            let (want, want_g) = naive(&c, &x, shape, &g);
            let exact = matches!(c.pattern, ReducePattern::Max | ReducePattern::Min);
            for (a, b) in y.to_vec().iter().zip(&want) {
                let (a, b) = (f64::from(*a), *b);
                let ok = if exact {
                    same(a, b)
                } else {
                    same(a, b) || (a - b).abs() <= 1e-5 * (1.0 + b.abs())
                };
                assert!(ok, "{} {shape:?}: {a} vs naive {b}", c.name);
            }
            let g32: Vec<f32> = g.iter().map(|&v| v as f32).collect();
            y.backward_with(&Tensor::from_vec(g32, y.shape()).unwrap())
                .unwrap();
            for (a, b) in t.grad().unwrap().to_vec().iter().zip(&want_g) {
                let (a, b) = (f64::from(*a), *b);
                let ok = same(a, b) || (a - b).abs() <= 1e-5 * (1.0 + b.abs());
                assert!(ok, "{} {shape:?} grad: {a} vs naive {b}", c.name);
            }
        }
    }
}
