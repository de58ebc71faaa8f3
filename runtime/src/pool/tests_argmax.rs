//! Tests of the argmax pools: the forward's values are those of the forward without argmax and
//! the backward from the argmax is the input-reading backward, bit for bit, over random
//! geometries, layouts and edge values (ties, NaN, ±inf, ±0), in f32 and f64; plus the tensor op
//! and the errors.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::declared::{Max2x2S2, Max3x3S1, Max3x3S2};
use super::*;
use crate::ops::builtins::{Max, Min};
use crate::simd::SimdElement;
use crate::{Error, Tensor};

simdgrad_macros::pool! { min_2x2_s2: reduce = min, window = [2, 2], stride = [2, 2] }
simdgrad_macros::pool! { avg_2x2: reduce = avg, window = [2, 2], stride = [2, 2] }

/// How a test input lies in memory.
#[derive(Clone, Copy, Debug)]
enum Layout {
    Contiguous,
    /// Rows further apart than their length (unit-stride columns, not contiguous).
    RowPadded,
    /// `(B, H, W, C)` storage: columns `C` apart.
    ChannelsLast,
}

/// `vals` (logical `(B, C, H, W)` order) stored in `layout`: the buffer and its strides.
fn lay_out<E: Copy + Default>(
    vals: &[E],
    shape: [usize; 4],
    layout: Layout,
) -> (Vec<E>, [usize; 4]) {
    let [b, c, h, w] = shape;
    let (strides, len) = match layout {
        Layout::Contiguous => ([c * h * w, h * w, w, 1], b * c * h * w),
        Layout::RowPadded => {
            let rw = w + 3;
            ([c * h * rw, h * rw, rw, 1], b * c * h * rw)
        }
        Layout::ChannelsLast => ([h * w * c, 1, w * c, c], b * c * h * w),
    };
    let mut data = vec![E::default(); len];
    let mut i = 0;
    for bi in 0..b {
        for ci in 0..c {
            for r in 0..h {
                for col in 0..w {
                    let at = bi * strides[0] + ci * strides[1] + r * strides[2] + col * strides[3];
                    data[at] = vals[i];
                    i += 1;
                }
            }
        }
    }
    (data, strides)
}

fn view<E>(data: &[E], shape: [usize; 4], strides: [usize; 4]) -> StridedRef<'_, E, 4> {
    StridedRef {
        data,
        offset: 0,
        shape,
        strides,
    }
}

/// A value drawn to make ties, zeros of both signs, infinities and NaN frequent.
fn edge_value<E: SimdElement>(rng: &mut StdRng, nan_rate: f64) -> E {
    let v = match rng.gen_range(0..100) {
        _ if rng.gen_bool(nan_rate) => f64::NAN,
        0..=4 => f64::INFINITY,
        5..=9 => f64::NEG_INFINITY,
        10..=19 => 0.0,
        20..=29 => -0.0,
        30..=49 => f64::from(rng.gen_range(-2i32..=2)),
        _ => rng.gen_range(-10.0..10.0),
    };
    E::from_f64(v)
}

fn bits<E: SimdElement>(v: &[E]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

/// The forward/backward pair under test: with and without the argmax.
trait Pair<E: SimdElement> {
    fn fwd(&self, s: &PoolShape, x: StridedRef<'_, E, 4>, out: &mut [E]) -> Result<()>;
    fn fwd_argmax(
        &self,
        s: &PoolShape,
        x: StridedRef<'_, E, 4>,
        out: &mut [E],
        at: &mut [u8],
    ) -> Result<()>;
    fn bwd(
        &self,
        s: &PoolShape,
        x: StridedRef<'_, E, 4>,
        g: StridedRef<'_, E, 4>,
        gx: &mut [E],
    ) -> Result<()>;
    fn bwd_argmax(
        &self,
        s: &PoolShape,
        at: &[u8],
        g: StridedRef<'_, E, 4>,
        gx: &mut [E],
    ) -> Result<()>;
}

struct Declared<K>(K);
impl<E: SimdElement, K: PoolKernel> Pair<E> for Declared<K> {
    fn fwd(&self, s: &PoolShape, x: StridedRef<'_, E, 4>, out: &mut [E]) -> Result<()> {
        self.0.forward(s, x, out)
    }
    fn fwd_argmax(
        &self,
        s: &PoolShape,
        x: StridedRef<'_, E, 4>,
        out: &mut [E],
        at: &mut [u8],
    ) -> Result<()> {
        self.0.forward_argmax(s, x, out, at)
    }
    fn bwd(
        &self,
        s: &PoolShape,
        x: StridedRef<'_, E, 4>,
        g: StridedRef<'_, E, 4>,
        gx: &mut [E],
    ) -> Result<()> {
        self.0.backward(s, x, g, gx)
    }
    fn bwd_argmax(
        &self,
        s: &PoolShape,
        at: &[u8],
        g: StridedRef<'_, E, 4>,
        gx: &mut [E],
    ) -> Result<()> {
        self.0.backward_from_argmax(s, at, g, gx)
    }
}

struct Runtime<R>(R);
impl<E: SimdElement, R: crate::kernel::ReduceKernel> Pair<E> for Runtime<R> {
    fn fwd(&self, s: &PoolShape, x: StridedRef<'_, E, 4>, out: &mut [E]) -> Result<()> {
        forward_dynamic::<R, E, false>(s, x, out)
    }
    fn fwd_argmax(
        &self,
        s: &PoolShape,
        x: StridedRef<'_, E, 4>,
        out: &mut [E],
        at: &mut [u8],
    ) -> Result<()> {
        forward_argmax_dynamic::<R, E>(s, x, out, at)
    }
    fn bwd(
        &self,
        s: &PoolShape,
        x: StridedRef<'_, E, 4>,
        g: StridedRef<'_, E, 4>,
        gx: &mut [E],
    ) -> Result<()> {
        backward_dynamic::<R, E, false>(s, x, g, gx)
    }
    fn bwd_argmax(
        &self,
        s: &PoolShape,
        at: &[u8],
        g: StridedRef<'_, E, 4>,
        gx: &mut [E],
    ) -> Result<()> {
        backward_from_argmax(s, at, g, gx)
    }
}

/// One random case of `k` on `s`: values unchanged, argmax backward == input backward.
fn check_case<E: SimdElement>(k: &dyn Pair<E>, s: &PoolShape, rng: &mut StdRng, what: &str) {
    let n: usize = s.input.iter().product();
    let m: usize = s.output_shape().iter().product();
    let nan_rate = [0.0, 0.01, 0.2][rng.gen_range(0..3)];
    let vals: Vec<E> = (0..n).map(|_| edge_value::<E>(rng, nan_rate)).collect();
    let layout = [Layout::Contiguous, Layout::RowPadded, Layout::ChannelsLast][rng.gen_range(0..3)];
    let (data, strides) = lay_out(&vals, s.input, layout);
    let x = view(&data, s.input, strides);
    let overlap = s.stride != s.window;
    // Overlapping windows add in another order than the input backward does: whole numbers add
    // exactly in any order, so the comparison stays bit for bit.
    let g: Vec<E> = (0..m)
        .map(|_| match (overlap, rng.gen_range(0..10)) {
            (true, _) => E::from_f64(f64::from(rng.gen_range(-8i32..=8))),
            (false, 0) => E::from_f64(-0.0),
            (false, _) => E::from_f64(rng.gen_range(-3.0..3.0)),
        })
        .collect();
    let g_layout = [Layout::Contiguous, Layout::RowPadded][rng.gen_range(0..2)];
    let (gdata, gstrides) = lay_out(&g, s.output_shape(), g_layout);
    let gv = view(&gdata, s.output_shape(), gstrides);
    let ctx = format!("{what} {s:?} {layout:?} g {g_layout:?} nan {nan_rate}");

    let mut want = vec![E::from_f64(7.0); m];
    k.fwd(s, x, &mut want).unwrap();
    let mut got = vec![E::from_f64(5.0); m];
    let mut at = vec![99u8; m];
    k.fwd_argmax(s, x, &mut got, &mut at).unwrap();
    assert_eq!(bits(&got), bits(&want), "forward values, {ctx}");

    let mut want = vec![E::from_f64(7.0); n];
    k.bwd(s, x, gv, &mut want).unwrap();
    let mut got = vec![E::from_f64(5.0); n];
    k.bwd_argmax(s, &at, gv, &mut got).unwrap();
    assert_eq!(bits(&got), bits(&want), "backward, {ctx}");
}

fn random_shape(rng: &mut StdRng, s: [usize; 2], k: [usize; 2], pad: bool) -> PoolShape {
    loop {
        let mut p = |a: usize| if pad { rng.gen_range(0..k[a]) } else { 0 };
        let padding = [[p(0), p(0)], [p(1), p(1)]];
        // Wide rows too, so the whole-register kernels run (16 f32 lanes on AVX-512).
        let w = if rng.gen_bool(0.5) {
            rng.gen_range(1..=12)
        } else {
            rng.gen_range(30..=75)
        };
        let input = [
            rng.gen_range(1..=2),
            rng.gen_range(1..=3),
            rng.gen_range(1..=9),
            w,
        ];
        if let Ok(shape) = PoolShape::new(input, k, s, padding) {
            return shape;
        }
    }
}

fn argmax_matches_the_input_backward<E: SimdElement>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for case in 0..40 {
        let pad = case % 3 == 2;
        let shapes = [
            (random_shape(&mut rng, [2, 2], [2, 2], pad), 0),
            (random_shape(&mut rng, [2, 2], [3, 3], pad), 1),
            (random_shape(&mut rng, [1, 1], [3, 3], pad), 2),
        ];
        for (s, which) in shapes {
            let declared: &dyn Pair<E> = match which {
                0 => &Declared(Max2x2S2),
                1 => &Declared(Max3x3S2),
                _ => &Declared(Max3x3S1),
            };
            check_case::<E>(declared, &s, &mut rng, "declared max");
            check_case::<E>(&Runtime(Max), &s, &mut rng, "dynamic max");
        }
        let s = random_shape(&mut rng, [2, 2], [2, 2], pad);
        check_case::<E>(&Declared(Min2x2S2), &s, &mut rng, "declared min");
        // Window ≠ stride both ways, non-square, odd sizes.
        let k = [rng.gen_range(1..=4), rng.gen_range(1..=4)];
        let st = [rng.gen_range(1..=4), rng.gen_range(1..=4)];
        let s = random_shape(&mut rng, st, k, pad);
        check_case::<E>(&Runtime(Max), &s, &mut rng, "dynamic max");
        check_case::<E>(&Runtime(Min), &s, &mut rng, "dynamic min");
        let s = random_shape(&mut rng, [1, 2], [2, 2], pad);
        check_case::<E>(&Runtime(Max), &s, &mut rng, "dynamic max 2x2/s(1,2)");
    }
}

/// Planes whose output rows are narrower than a register (LeNet's 10×10 → 5×5, and 28×28 →
/// 14×14 on 16 lanes) run as one row through stage buffers; odd sizes leave rows and columns no
/// window covers. Every layout, both folds, f32 and f64.
fn narrow_rows_match_the_input_backward<E: SimdElement>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let inputs = [
        [2, 3, 10, 10],
        [1, 2, 28, 28],
        [1, 2, 9, 7],
        [2, 1, 33, 3],
        [1, 1, 4, 4],
    ];
    for input in inputs {
        for stride in [[2, 2], [3, 2]] {
            let Ok(s) = PoolShape::new(input, [2, 2], stride, [[0, 0]; 2]) else {
                continue;
            };
            for _ in 0..3 {
                if stride == [2, 2] {
                    check_case::<E>(&Declared(Max2x2S2), &s, &mut rng, "narrow declared max");
                }
                check_case::<E>(&Runtime(Max), &s, &mut rng, "narrow dynamic max");
                check_case::<E>(&Runtime(Min), &s, &mut rng, "narrow dynamic min");
            }
        }
    }
}

#[test]
fn narrow_rows_f32() {
    narrow_rows_match_the_input_backward::<f32>(21);
}

#[test]
fn narrow_rows_f64() {
    narrow_rows_match_the_input_backward::<f64>(22);
}

#[test]
fn argmax_forward_and_backward_match_the_input_reading_kernels_f32() {
    argmax_matches_the_input_backward::<f32>(31);
}

#[test]
fn argmax_forward_and_backward_match_the_input_reading_kernels_f64() {
    argmax_matches_the_input_backward::<f64>(32);
}

#[test]
fn argmax_is_the_first_maximum_its_first_nan_and_never_padding() {
    // Row-major offsets count the padded positions; 2×2 windows every 2 with one padded row and
    // column on top and left.
    let s = PoolShape::new([1, 1, 3, 3], [2, 2], [2, 2], [[1, 0], [1, 0]]).unwrap();
    let x = [
        -5.0f32,
        f32::NAN,
        -0.0,
        0.0,
        f32::NEG_INFINITY,
        f32::NAN,
        -1.0,
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
    ];
    let (mut out, mut at) = ([0.0f32; 4], [0u8; 4]);
    forward_argmax_dynamic::<Max, f32>(&s, view(&x, [1, 1, 3, 3], [9, 9, 3, 1]), &mut out, &mut at)
        .unwrap();
    // Window 0 is [pad pad / pad −5]: −5 at offset 3. Window 1 is [pad pad / NaN −0]: the NaN.
    // Window 2 is [pad 0 / pad −1]. Window 3 is [−inf NaN / −inf −inf]: the NaN at offset 1.
    assert_eq!(at, [3, 2, 1, 1]);
    assert!(out[1].is_nan() && out[3].is_nan());
    // −0.0 and +0.0 tie: the first one wins.
    let x = [-0.0f64, 0.0, 0.0, -0.0];
    let s = PoolShape::new([1, 1, 2, 2], [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
    let (mut out, mut at) = ([1.0f64], [9u8]);
    Max2x2S2
        .forward_argmax(&s, view(&x, [1, 1, 2, 2], [4, 4, 2, 1]), &mut out, &mut at)
        .unwrap();
    assert_eq!(at, [0]);
    // All −inf: the first element, still not padding.
    let x = [f64::NEG_INFINITY; 4];
    let s = PoolShape::new([1, 1, 2, 2], [2, 2], [2, 2], [[1, 1], [1, 1]]).unwrap();
    let mut out = [0.0f64; 4];
    let mut at = [9u8; 4];
    forward_argmax_dynamic::<Max, f64>(&s, view(&x, [1, 1, 2, 2], [4, 4, 2, 1]), &mut out, &mut at)
        .unwrap();
    assert_eq!(at, [3, 2, 1, 0]);
}

#[test]
fn max_pool2d_gradients_come_from_the_argmax_and_pass_check_grads() {
    for (kernel, stride, padding) in [
        ([2, 2], [2, 2], [0, 0]),
        ([3, 3], [2, 2], [1, 1]),
        ([3, 3], [1, 1], [1, 1]),
        ([2, 3], [1, 2], [1, 0]),
    ] {
        // Rows of 20: the 2×2 whole-register kernels run in f64 too.
        let x = Tensor::<f64>::randn_seeded(&[2, 2, 6, 20], 5).unwrap();
        let f = |v: &[Tensor<f64>]| v[0].max_pool2d(kernel, stride, padding);
        crate::check_grads::check_grads(f, std::slice::from_ref(&x), Default::default())
            .unwrap_or_else(|e| panic!("{kernel:?} {stride:?} {padding:?}: {e}"));
        // The tensor op's gradient is the input-reading kernel's.
        let x = x.requires_grad_(true);
        let y = x.max_pool2d(kernel, stride, padding).unwrap();
        // Whole numbers: overlapping windows add exactly in any order.
        let g: Vec<f64> = Tensor::<f64>::randn_seeded(y.shape(), 6).unwrap().to_vec();
        let g = Tensor::from_vec(g.iter().map(|v| (3.0 * v).round()).collect(), y.shape()).unwrap();
        y.backward_with(&g).unwrap();
        let s = PoolShape::new(
            [2, 2, 6, 20],
            kernel,
            stride,
            [[padding[0]; 2], [padding[1]; 2]],
        )
        .unwrap();
        let (xs, gs) = (x.to_vec(), g.to_vec());
        let mut want = vec![0.0; xs.len()];
        backward_dynamic::<Max, f64, false>(
            &s,
            StridedRef::contiguous(&xs, s.input),
            StridedRef::contiguous(&gs, s.output_shape()),
            &mut want,
        )
        .unwrap();
        assert_eq!(
            x.grad().unwrap().to_vec(),
            want,
            "{kernel:?} {stride:?} {padding:?}"
        );
    }
}

#[test]
fn argmax_errors_name_the_problem() {
    let s = PoolShape::new([1, 1, 2, 4], [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
    let x = [0.0f32; 8];
    let xv = StridedRef::contiguous(&x, [1, 1, 2, 4]);
    let g = [1.0f32; 2];
    let gv = StridedRef::contiguous(&g, [1, 1, 1, 2]);
    let (mut out, mut gx) = ([0.0f32; 2], [0.0f32; 8]);
    let e = Max2x2S2
        .forward_argmax(&s, xv, &mut out, &mut [0u8; 3])
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::LengthMismatch {
                what: "argmax",
                expected: 2,
                got: 3,
                ..
            }
        ),
        "{e}"
    );
    let e = backward_from_argmax(&s, &[0u8; 1], gv, &mut gx).unwrap_err();
    assert!(
        matches!(e, Error::LengthMismatch { what: "argmax", .. }),
        "{e}"
    );
    let e = backward_from_argmax(&s, &[0u8; 2], gv, &mut [0.0f32; 7]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LengthMismatch {
                what: "grad_input",
                ..
            }
        ),
        "{e}"
    );
    // An offset outside its 2×2 window, then one on padding: errors naming the output.
    let e = backward_from_argmax(&s, &[0u8, 4], gv, &mut gx).unwrap_err();
    assert!(
        e.to_string().contains("argmax 4 of output [0, 0, 0, 1]"),
        "{e}"
    );
    let sp = PoolShape::new([1, 1, 2, 3], [2, 2], [2, 2], [[1, 1], [0, 1]]).unwrap();
    let e = backward_from_argmax(
        &sp,
        &[0u8, 2, 0, 0],
        StridedRef::contiguous(&[1.0f32; 4], [1, 1, 2, 2]),
        &mut [0.0f32; 6],
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("argmax 0 of output [0, 0, 0, 0]"),
        "{e}"
    );
    // Folds without an argmax, windows too large for a byte, another declaration's geometry.
    let e = Avg2x2
        .forward_argmax(&s, xv, &mut out, &mut [0u8; 2])
        .unwrap_err();
    assert!(e.to_string().contains("only for max and min"), "{e}");
    let e = Avg2x2
        .backward_from_argmax(&s, &[0u8; 2], gv, &mut gx)
        .unwrap_err();
    assert!(e.to_string().contains("only for max and min"), "{e}");
    let e =
        forward_argmax_dynamic::<crate::ops::builtins::Sum, f32>(&s, xv, &mut out, &mut [0u8; 2])
            .unwrap_err();
    assert!(e.to_string().contains("only for max and min"), "{e}");
    let big = PoolShape::new([1, 1, 17, 16], [17, 16], [1, 1], [[0, 0]; 2]).unwrap();
    let e = forward_argmax_dynamic::<Max, f32>(
        &big,
        StridedRef::contiguous(&[0.0f32; 272], [1, 1, 17, 16]),
        &mut [0.0],
        &mut [0u8],
    )
    .unwrap_err();
    assert!(e.to_string().contains("272 positions"), "{e}");
    let s3 = PoolShape::new([1, 1, 3, 3], [3, 3], [3, 3], [[0, 0]; 2]).unwrap();
    let e = Max2x2S2
        .backward_from_argmax(
            &s3,
            &[0u8],
            StridedRef::contiguous(&[1.0f32], [1, 1, 1, 1]),
            &mut [0.0f32; 9],
        )
        .unwrap_err();
    assert!(e.to_string().contains("declared for window"), "{e}");
}

#[test]
fn max_pool2d_on_windows_too_large_for_a_byte_keeps_the_input_backward() {
    let x = Tensor::<f32>::randn_seeded(&[1, 1, 17, 17], 3)
        .unwrap()
        .requires_grad_(true);
    let y = x.max_pool2d([17, 16], [1, 1], [0, 0]).unwrap();
    y.sum_all().unwrap().backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec().iter().sum::<f32>(), 2.0);
}
