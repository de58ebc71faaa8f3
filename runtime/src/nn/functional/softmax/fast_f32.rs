//! f32's [`RowMath`]: the row kernels' exponential specialised to the arguments `d ≤ 0` they
//! feed it (`x − m`, or a log-probability), and the backend's one-instruction `max`.
//!
//! The exp pass is compute-bound (a 1024-wide row sits in L1), so its cost is the number of
//! vector operations per register. The general `exp` spends about four of them on a range test
//! of `|x|`; here `d ≤ 0` is known, so one compare `d ≥ −86.5` (NaN fails it) is enough:
//! `k = round(d·log2 e)` then lies in `[−125, 0]`, where the general exp's fast formula
//! (`math::exp_fast`: one-FMA rounding, `1 + r·(1 + r·Q(r))` with a minimax `Q`, `2^k` added
//! to the exponent field) still gives a normal `p·2^k` (`p ≥ 2^−½`) and no clamp could act,
//! so it returns the general `exp`'s bits.
//!
//! In a register with a lane below `−86.5` (underflow, `−inf`) or NaN, those lanes take the
//! general `exp`, so `−inf` entries still give exactly 0 and NaN propagates. Accuracy: within
//! 1 ulp of the correctly rounded `e^d` (tested on every backend over a dense sample of
//! `[−86.5, 0]`); all backends evaluate the same fused operations, so they agree bit for bit.
//!
//! The row maximum uses the backend's plain `max` (one instruction) instead of an exact
//! NaN-propagating fold: whichever way a backend orders NaN, a row holding NaN (or `+inf`, via
//! `inf − inf`) ends up NaN through the exp pass, as in the generic kernel.

use pulp::Simd;

use super::rows::RowMath;
use crate::simd::math;
use crate::simd::SimdElement;

/// Smallest `d` of the fast path.
const FAST_MIN: f32 = -86.5;

/// `e^d` for `d ≤ 0` (or NaN); see the module documentation.
#[inline(always)]
fn exp_nonpositive<S: Simd>(s: S, d: S::f32s) -> S::f32s {
    let fast = <f32 as SimdElement>::ge(s, d, s.splat_f32s(FAST_MIN));
    exp_where(s, d, fast)
}

/// `e^d` for any `d`: the fast formula on the lanes of `fast` (which must lie in
/// `[−86.5, 0]`), the general `exp` on the others.
#[inline(always)]
fn exp_where<S: Simd>(s: S, d: S::f32s, fast: S::m32s) -> S::f32s {
    let e = math::exp_fast::<S, f32>(s, d);
    if <f32 as SimdElement>::first_true(s, <f32 as SimdElement>::not(s, fast))
        < <f32 as SimdElement>::lanes::<S>()
    {
        // Per lane, so that a lane's bits never depend on its neighbours (or on the backend's
        // register width).
        return <f32 as SimdElement>::select(s, fast, e, <f32 as SimdElement>::exp(s, d));
    }
    e
}

/// `e^y` for a log-softmax output `y`, which is `≤ 0` when it came from the forward; a caller's
/// `y > 0` takes the general `exp`.
#[inline(always)]
fn exp_log_prob<S: Simd>(s: S, y: S::f32s) -> S::f32s {
    let fast = <f32 as SimdElement>::and(
        s,
        <f32 as SimdElement>::ge(s, y, s.splat_f32s(FAST_MIN)),
        <f32 as SimdElement>::le(s, y, s.splat_f32s(0.0)),
    );
    exp_where(s, y, fast)
}

/// f32's row functions: the specialised exponential and the backend's plain `max`.
pub(super) struct FastF32;

impl RowMath<f32> for FastF32 {
    #[inline(always)]
    fn exp_shifted<S: Simd>(s: S, m: S::f32s, x: S::f32s) -> S::f32s {
        exp_nonpositive(s, s.sub_f32s(x, m))
    }
    #[inline(always)]
    fn exp_log_prob<S: Simd>(s: S, y: S::f32s) -> S::f32s {
        exp_log_prob(s, y)
    }
    /// One instruction (see the module documentation for NaN).
    #[inline(always)]
    fn max<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.max_f32s(a, b)
    }
    #[inline(always)]
    fn reduce_max<S: Simd>(s: S, a: S::f32s) -> f32 {
        s.reduce_max_f32s(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulp::WithSimd;

    /// `exp_nonpositive` (or, with the flag, `exp_log_prob`) over every lane of `d`, on
    /// backend `S`.
    struct Eval<'a>(&'a [f32], bool);

    impl WithSimd for Eval<'_> {
        type Output = Vec<f32>;
        #[inline(always)]
        fn with_simd<S: Simd>(self, s: S) -> Vec<f32> {
            let lanes = <f32 as SimdElement>::lanes::<S>();
            let mut out = vec![0.0; self.0.len()];
            for (d, o) in self.0.chunks(lanes).zip(out.chunks_mut(lanes)) {
                let v = <f32 as SimdElement>::partial_load(s, d, 0.0);
                let e = if self.1 {
                    exp_log_prob(s, v)
                } else {
                    exp_nonpositive(s, v)
                };
                <f32 as SimdElement>::partial_store(s, o, e);
            }
            out
        }
    }

    /// Every backend this machine runs, each evaluating `d`.
    fn on_every_backend(d: &[f32]) -> Vec<Vec<f32>> {
        backends(d, false)
    }

    fn backends(d: &[f32], log_prob: bool) -> Vec<Vec<f32>> {
        crate::simd::on_each_backend(|| Eval(d, log_prob))
    }

    /// Distance in ulps between two positive finite f32 (or 0 for equal bits).
    fn ulps(a: f32, b: f32) -> u32 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn exp_nonpositive_is_within_one_ulp_and_identical_on_every_backend() {
        // A dense sample of the fast range and past it (the general exp's path), with exact
        // values at 0 and the break points.
        let mut d: Vec<f32> = (0..200_000)
            .map(|i| -(i as f32) * (104.0 / 200_000.0))
            .collect();
        let zero_at = d.len();
        d.extend([
            0.0, -0.0, -1e-30, -86.5, -86.500_01, -86.499_99, -87.0, -87.000_01, -86.999_99,
            -103.97, -104.0, -200.0,
        ]);
        d.extend((1..2000).map(|i| -f32::from_bits(0x3c00_0000 + i * 4099)));
        let outs = on_every_backend(&d);
        for (i, &x) in d.iter().enumerate() {
            let want = (x as f64).exp() as f32;
            for o in &outs {
                assert!(ulps(o[i], want) <= 1, "e^{x}: {} vs {want}", o[i]);
                assert_eq!(
                    o[i].to_bits(),
                    outs[0][i].to_bits(),
                    "backends differ at {x}"
                );
            }
        }
        assert!(outs
            .iter()
            .all(|o| o[zero_at] == 1.0 && o[zero_at + 1] == 1.0));
    }

    #[test]
    fn exp_nonpositive_keeps_the_special_values() {
        let d = [
            f32::NEG_INFINITY,
            f32::NAN,
            -1.0,
            -0.5,
            0.0,
            -150.0,
            -1e30,
            -2.0,
        ];
        for o in on_every_backend(&d) {
            assert_eq!(o[0], 0.0);
            assert!(o[1].is_nan());
            assert_eq!(o[4], 1.0);
            assert_eq!(o[5], 0.0);
            assert_eq!(o[6], 0.0);
            assert!(ulps(o[2], (-1.0f64).exp() as f32) <= 1);
        }
    }

    #[test]
    fn exp_of_a_log_probability_takes_the_general_exp_above_zero() {
        let d = [
            -3.0,
            0.0,
            1e-30,
            0.5,
            1.0,
            88.0,
            89.0,
            f32::INFINITY,
            f32::NAN,
            -1e4,
        ];
        for o in backends(&d, true) {
            for (&x, &e) in d.iter().zip(&o) {
                let want = (x as f64).exp() as f32;
                assert!(
                    e.to_bits() == want.to_bits()
                        || ulps(e, want) <= 1
                        || (x.is_nan() && e.is_nan()),
                    "e^{x}: {e} vs {want}"
                );
            }
        }
    }

    /// The f32 kernels against the generic kernel in f64 on the same values (the tolerance is
    /// f32's own: `x − m` rounds when `x` and `m` differ in sign): every width from
    /// 1 to 40 (register tails on every backend) and around 1024, over the last dim and over
    /// dim 0 (a strided input), with `-inf` entries and a row of large values.
    #[test]
    fn f32_kernels_match_f64_over_widths_dims_and_layouts() {
        use crate::nn::functional::log_softmax_backward;
        use crate::Tensor;
        let widths = (1..=40).chain([1000, 1023, 1024, 1025]);
        for cols in widths {
            let mut v: Vec<f32> = Tensor::<f32>::randn_seeded(&[3, cols], cols as u64)
                .unwrap()
                .to_vec()
                .iter()
                .map(|x| x * 6.0)
                .collect();
            if cols > 1 {
                // (A row of only -inf is NaN, tested with the edge values.)
                v[cols / 2] = f32::NEG_INFINITY;
            }
            v[2 * cols..].iter_mut().for_each(|x| *x += 1e4);
            let g: Vec<f32> = Tensor::<f32>::randn_seeded(&[3, cols], 7).unwrap().to_vec();
            let x32 = Tensor::from_vec(v.clone(), &[3, cols]).unwrap();
            let g32 = Tensor::from_vec(g.clone(), &[3, cols]).unwrap();
            let wide = |t: &[f32]| t.iter().map(|&a| a as f64).collect::<Vec<_>>();
            let x64 = Tensor::from_vec(wide(&v), &[3, cols]).unwrap();
            let g64 = Tensor::from_vec(wide(&g), &[3, cols]).unwrap();
            for dim in [1isize, 0] {
                let sm = x32.softmax(dim).unwrap().to_vec();
                let want = x64.softmax(dim).unwrap().to_vec();
                for (a, b) in sm.iter().zip(&want) {
                    let err = (*a as f64 - b).abs();
                    assert!(err <= 1e-5 * b + 1e-38, "softmax {cols} {dim}: {a} vs {b}");
                }
                let ls = x32.log_softmax(dim).unwrap();
                let want = x64.log_softmax(dim).unwrap();
                for (a, b) in ls.to_vec().iter().zip(want.to_vec()) {
                    // x − (m + ln Σ) rounds at the inputs' magnitude (1e4 in the last row).
                    let close = (*a as f64 - b).abs() <= 1e-5 * (1.0 + b.abs()) + 2.5e-3;
                    assert!(
                        close || (a.is_infinite() && *a as f64 == b),
                        "log {a} vs {b}"
                    );
                }
                let dx = log_softmax_backward(&ls, &g32, dim).unwrap().to_vec();
                // The backward on the same (f32) log-probabilities, widened.
                let ls64 = Tensor::from_vec(wide(&ls.to_vec()), &[3, cols]).unwrap();
                let want = log_softmax_backward(&ls64, &g64, dim).unwrap().to_vec();
                let scale: f64 = g.iter().map(|v| v.abs() as f64).sum();
                for (a, b) in dx.iter().zip(&want) {
                    let err = (*a as f64 - b).abs();
                    assert!(err <= 1e-5 * scale, "log backward {cols} {dim}: {a} vs {b}");
                }
            }
        }
    }
}
