//! The whole-register row kernels of windows two columns wide at column stride 2 (`pool/pair.rs`)
//! on rows long enough to use them (≥ one register of outputs, f32 and f64): forward bit for bit
//! against a naive row-major fold, gradients against the naive first-extreme rule, with ties,
//! ±0, ±inf and NaN, odd sizes, padding, window ≠ stride, and strided planes and rows; both
//! through `pool!`-declared (compile-time) kernels and the run-time (`Dynamic`) engine.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use simdgrad::conv::StridedRef;
use simdgrad::kernel::{ReduceKernel, ReducePattern};
use simdgrad::ops::builtins::{Max, Min, Sum};
use simdgrad::pool::{self, PoolKernel, PoolShape};
use simdgrad::simd::SimdElement;

simdgrad::pool! { max2x2: reduce = max, window = [2, 2], stride = [2, 2] }
simdgrad::pool! { min2x2: reduce = min, window = [2, 2], stride = [2, 2] }
simdgrad::pool! { avg2x2: reduce = avg, window = [2, 2], stride = [2, 2] }
simdgrad::pool! { sum2x2: reduce = sum, window = [2, 2], stride = [2, 2] }
simdgrad::pool! { max3x2s12: reduce = max, window = [3, 2], stride = [1, 2] }
simdgrad::pool! { avg3x2: reduce = avg, window = [3, 2], stride = [3, 2] }
simdgrad::pool! { min1x2: reduce = min, window = [1, 2], stride = [1, 2] }

/// A pooling under test: its fold, whether it averages, and its geometry.
struct Case<E: SimdElement> {
    name: &'static str,
    fold: fn(E, E) -> E,
    identity: E,
    pattern: ReducePattern,
    mean: bool,
    window: [usize; 2],
    stride: [usize; 2],
    fwd: Fwd<E>,
    bwd: Bwd<E>,
}

type Fwd<E> = fn(&PoolShape, StridedRef<'_, E, 4>, &mut [E]) -> simdgrad::Result<()>;
type Bwd<E> =
    fn(&PoolShape, StridedRef<'_, E, 4>, StridedRef<'_, E, 4>, &mut [E]) -> simdgrad::Result<()>;

fn declared<K: PoolKernel + Default, E: SimdElement>(name: &'static str) -> Case<E> {
    Case {
        name,
        fold: K::Reduce::scalar::<E>,
        identity: K::Reduce::identity::<E>(),
        pattern: K::Reduce::PATTERN,
        mean: K::MEAN,
        window: K::WINDOW,
        stride: K::STRIDE,
        fwd: |s, x, out| K::default().forward(s, x, out),
        bwd: |s, x, g, gx| K::default().backward(s, x, g, gx),
    }
}

fn dynamic<R: ReduceKernel, E: SimdElement, const MEAN: bool>(
    name: &'static str,
    window: [usize; 2],
    stride: [usize; 2],
) -> Case<E> {
    Case {
        name,
        fold: R::scalar::<E>,
        identity: R::identity::<E>(),
        pattern: R::PATTERN,
        mean: MEAN,
        window,
        stride,
        fwd: pool::forward_dynamic::<R, E, MEAN>,
        bwd: pool::backward_dynamic::<R, E, MEAN>,
    }
}

fn cases<E: SimdElement>() -> Vec<Case<E>> {
    vec![
        declared::<Max2x2, E>("max2x2"),
        declared::<Min2x2, E>("min2x2"),
        declared::<Avg2x2, E>("avg2x2"),
        declared::<Sum2x2, E>("sum2x2"),
        declared::<Max3x2s12, E>("max3x2s12"),
        declared::<Avg3x2, E>("avg3x2"),
        declared::<Min1x2, E>("min1x2"),
        dynamic::<Max, E, false>("dyn max 2x2", [2, 2], [2, 2]),
        dynamic::<Sum, E, true>("dyn avg 2x2", [2, 2], [2, 2]),
        dynamic::<Min, E, false>("dyn min 4x2 s(2,2)", [4, 2], [2, 2]),
    ]
}

/// Bit-equal, or both NaN.
fn same<E: SimdElement>(a: E, b: E) -> bool {
    a.to_f64().to_bits() == b.to_f64().to_bits() || (a.is_nan() && b.is_nan())
}

fn close<E: SimdElement>(a: E, b: E) -> bool {
    let (a, b) = (a.to_f64(), b.to_f64());
    a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-5 * (1.0 + a.abs().max(b.abs()))
}

/// A value drawn from a mix of ordinary numbers, small-integer ties, ±0, ±inf and NaN.
fn value<E: SimdElement>(rng: &mut StdRng, edges: bool) -> E {
    let v = if edges {
        match rng.gen_range(0..10) {
            0 => 0.0,
            1 => -0.0,
            2 => f64::INFINITY,
            3 => f64::NEG_INFINITY,
            4 if rng.gen_bool(0.3) => f64::NAN,
            5 | 6 => f64::from(rng.gen_range(-2..=2)),
            _ => rng.gen_range(-5.0..5.0),
        }
    } else if rng.gen_bool(0.3) {
        f64::from(rng.gen_range(-2..=2))
    } else {
        rng.gen_range(-5.0..5.0)
    };
    E::from_f64(v)
}

/// The naive pooling of the logical `(B, C, H, W)` values `at(b, c, r, col)` and its input
/// gradient (contiguous) for upstream `g`.
fn naive<E: SimdElement>(
    c: &Case<E>,
    s: &PoolShape,
    at: &dyn Fn([usize; 4]) -> E,
    g: &[E],
) -> (Vec<E>, Vec<E>) {
    let [b, ch, h, w] = s.input;
    let [oh, ow] = s.out;
    let n = E::from_usize(c.window[0] * c.window[1]);
    let mut out = Vec::new();
    let mut gx = vec![E::ZERO; b * ch * h * w];
    for bi in 0..b {
        for ci in 0..ch {
            for y in 0..oh {
                for xo in 0..ow {
                    let mut win = Vec::new();
                    for p in 0..c.window[0] {
                        for q in 0..c.window[1] {
                            let r = (y * c.stride[0] + p).checked_sub(s.padding[0][0]);
                            let col = (xo * c.stride[1] + q).checked_sub(s.padding[1][0]);
                            if let (Some(r), Some(col)) = (r, col) {
                                if r < h && col < w {
                                    win.push((r, col, at([bi, ci, r, col])));
                                }
                            }
                        }
                    }
                    let v = win.iter().fold(c.identity, |a, &(_, _, v)| (c.fold)(a, v));
                    out.push(if c.mean { v / n } else { v });
                    let gv = g[((bi * ch + ci) * oh + y) * ow + xo];
                    let plane = (bi * ch + ci) * h * w;
                    match c.pattern {
                        ReducePattern::Sum => {
                            for &(r, col, _) in &win {
                                gx[plane + r * w + col] += if c.mean { gv / n } else { gv };
                            }
                        }
                        _ => {
                            let i = win
                                .iter()
                                .position(|&(_, _, u)| u == v || (u.is_nan() && v.is_nan()))
                                .expect("the fold is one of the window's values");
                            gx[plane + win[i].0 * w + win[i].1] += gv;
                        }
                    }
                }
            }
        }
    }
    (out, gx)
}

/// A strided view of random values: planes in `(C, B)` order and, with `gap`, rows longer than
/// the width and a leading offset, so only the columns are unit-stride (`wide` doubles the
/// column stride instead, which takes the per-window path).
struct View<E> {
    data: Vec<E>,
    offset: usize,
    strides: [usize; 4],
}

impl<E: SimdElement> View<E> {
    fn new(rng: &mut StdRng, shape: [usize; 4], edges: bool) -> Self {
        let [b, c, h, w] = shape;
        let (offset, cs) = (rng.gen_range(0..3), if rng.gen_bool(0.2) { 2 } else { 1 });
        let rs = w * cs + rng.gen_range(0..4);
        let plane = h * rs;
        let strides = if rng.gen_bool(0.5) {
            [c * plane, plane, rs, cs]
        } else {
            [plane, b * plane, rs, cs]
        };
        let len = offset + b * c * plane + 1;
        let data = (0..len).map(|_| value(rng, edges)).collect();
        Self {
            data,
            offset,
            strides,
        }
    }

    fn get(&self, i: [usize; 4]) -> E {
        let at = self.offset + (0..4).map(|a| i[a] * self.strides[a]).sum::<usize>();
        self.data[at]
    }
}

fn check<E: SimdElement>(seed: u64, edges: bool) {
    let mut rng = StdRng::seed_from_u64(seed);
    for c in cases::<E>() {
        for trial in 0..16 {
            let padding = if trial % 3 == 0 {
                [0, 1].map(|a| [rng.gen_range(0..c.window[a]), rng.gen_range(0..c.window[a])])
            } else {
                [[0, 0]; 2]
            };
            // Rows of 16..=80 columns: one or more registers of outputs, odd and even.
            let shape = [
                rng.gen_range(1..=2),
                rng.gen_range(1..=3),
                rng.gen_range(c.window[0]..c.window[0] + 7),
                rng.gen_range(16..=80),
            ];
            let s = PoolShape::new(shape, c.window, c.stride, padding).unwrap();
            let v = View::<E>::new(&mut rng, shape, edges);
            let xv = StridedRef {
                data: &v.data,
                offset: v.offset,
                shape,
                strides: v.strides,
            };
            let out_len = s.output_shape().iter().product();
            let g: Vec<E> = (0..out_len)
                .map(|_| E::from_f64(rng.gen_range(-1.0..1.0)))
                .collect();
            let (want, want_g) = naive(&c, &s, &|i| v.get(i), &g);
            let what = format!("{} {shape:?} {padding:?} {:?}", c.name, v.strides);
            let mut out = vec![E::from_f64(7.0); out_len];
            (c.fwd)(&s, xv, &mut out).unwrap();
            for (i, (a, b)) in out.iter().zip(&want).enumerate() {
                assert!(same(*a, *b), "{what}: output {i} {a:?} vs naive {b:?}");
            }
            // A dirty gradient buffer: every element must be written.
            let mut gx = vec![E::from_f64(9.0); want_g.len()];
            let gv = StridedRef::contiguous(&g, s.output_shape());
            (c.bwd)(&s, xv, gv, &mut gx).unwrap();
            let disjoint = c.window == c.stride;
            for (i, (a, b)) in gx.iter().zip(&want_g).enumerate() {
                let ok = if disjoint {
                    same(*a, *b)
                } else {
                    close(*a, *b)
                };
                assert!(ok, "{what}: grad {i} {a:?} vs naive {b:?}");
            }
        }
    }
}

#[test]
fn wide_rows_match_the_naive_loop_f32() {
    check::<f32>(11, false);
}

#[test]
fn wide_rows_match_the_naive_loop_f64() {
    check::<f64>(12, false);
}

#[test]
fn wide_rows_keep_nan_inf_and_signed_zero_exact_f32() {
    check::<f32>(13, true);
}

#[test]
fn wide_rows_keep_nan_inf_and_signed_zero_exact_f64() {
    check::<f64>(14, true);
}
