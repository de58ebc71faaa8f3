//! Accuracy and edge-value tests of the vector math functions on every pulp backend of this
//! machine (dispatch, AVX2, AVX-512, scalar): a dense sample of the whole domain plus an edge
//! table, against f64 references (rounded to f32 for f32). The exhaustive f32 sweep is the
//! `#[ignore]`d test in `exhaustive.rs`.

use crate::common::{
    backends, edge_values_f32, edge_values_f64, powf_sample, reference, reference_in, run, scalar,
    ulp, Backend, Func, Rng, TestFloat, UNARY,
};

/// Inputs for f32: the edge table, every 32749th bit pattern, random bit patterns and uniform
/// samples of [-20, 20].
fn inputs_f32() -> Vec<f32> {
    let mut v = edge_values_f32();
    let mut bits = 0u64;
    while bits < 1 << 32 {
        v.push(f32::from_bits(bits as u32));
        bits += 32749;
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..40_000 {
        v.push(f32::from_bits(rng.next_u64() as u32));
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        v.push((40.0 * u - 20.0) as f32);
    }
    v
}

/// Inputs for f64: the edge table, random bit patterns, and uniform samples of [-40, 40] and of
/// [-1, 1].
fn inputs_f64() -> Vec<f64> {
    let mut v = edge_values_f64();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..60_000 {
        v.push(f64::from_bits(rng.next_u64()));
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        v.push(80.0 * u - 40.0);
        v.push(2.0 * u - 1.0);
    }
    v
}

fn check<E: TestFloat>(f: Func, bound: u64, x: &[E], y: &[E]) {
    if let Some(e) = try_check(f, bound, x, y) {
        panic!("{e}");
    }
}

/// As [`check`], returning the failure message instead of panicking: `f` on every backend
/// within `bound` ulp of its [`reference_in`] the element type, and the same bits (or NaN) on
/// every backend.
fn try_check<E: TestFloat>(f: Func, bound: u64, x: &[E], y: &[E]) -> Option<String> {
    let name = E::NAME;
    let mut first: Option<(Backend, Vec<E>)> = None;
    for b in backends() {
        let out = run::<E>(b, f, x, y);
        // (ulp, index) of the worst lane; the first one on ties.
        let mut worst = (0u64, 0usize);
        for i in 0..x.len() {
            let d = ulp(out[i], reference_in(f, x[i], y[i]));
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > bound {
            let i = worst.1;
            return Some(format!(
                "{f:?} {name} on {b:?}: {} ulp at x = {:e} ({:#x}), y = {:e}: got {:e}, want {:e}",
                worst.0,
                x[i],
                x[i].bits(),
                y[i],
                out[i],
                reference_in(f, x[i], y[i])
            ));
        }
        match &first {
            None => first = Some((b, out)),
            Some((b0, o0)) => {
                for i in 0..x.len() {
                    let same = o0[i].bits() == out[i].bits() || (o0[i].is_nan() && out[i].is_nan());
                    if !same {
                        return Some(format!(
                            "{f:?} {name} differs between {b0:?} ({:e}) and {b:?} ({:e}) at x = {:e}",
                            o0[i], out[i], x[i]
                        ));
                    }
                }
            }
        }
    }
    None
}

#[test]
fn unary_functions_f32_are_within_their_ulp_bound_on_every_backend() {
    let x = inputs_f32();
    let y = vec![1.0f32; x.len()];
    let failures: Vec<String> = UNARY
        .iter()
        .filter_map(|&(f, b32, _)| try_check(f, b32, &x, &y))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unary_functions_f64_are_within_their_ulp_bound_on_every_backend() {
    let x = inputs_f64();
    let y = vec![1.0f64; x.len()];
    let failures: Vec<String> = UNARY
        .iter()
        .filter_map(|&(f, _, b64)| try_check(f, b64, &x, &y))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Pairs covering IEEE `pow`'s special cases.
fn pow_pairs() -> Vec<(f64, f64)> {
    let specials = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        2.0,
        -2.0,
        3.0,
        -3.0,
        2.5,
        -2.5,
        1e-3,
        1e3,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1e-310,
        100.0,
        -100.0,
    ];
    let mut v = Vec::new();
    for &a in &specials {
        for &b in &specials {
            v.push((a, b));
        }
    }
    v
}

#[test]
fn powf_follows_ieee_edge_cases_and_stays_accurate() {
    let pairs = pow_pairs();
    let mut x32: Vec<f32> = pairs.iter().map(|p| p.0 as f32).collect();
    let mut y32: Vec<f32> = pairs.iter().map(|p| p.1 as f32).collect();
    let mut x64: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let mut y64: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let (sx32, sy32, sx64, sy64) = powf_sample(&mut Rng(7), 20_000);
    x32.extend(sx32);
    y32.extend(sy32);
    x64.extend(sx64);
    y64.extend(sy64);
    check(Func::Powf, 2, &x32, &y32);
    check(Func::Powf, 2, &x64, &y64);
}

/// Bases and exponents at the ends of the formats: huge and tiny magnitudes, values next to 1,
/// odd and even integers beyond the fraction width, and the specials.
fn pow_extremes() -> (Vec<f64>, Vec<f64>) {
    let mut bases = vec![
        0.0,
        f64::MIN_POSITIVE,
        1e-300,
        1e-40,
        4e-45,
        1e-30,
        1e-10,
        0.5,
        1.0 - f64::EPSILON,
        1.0 - 1e-7,
        1.0,
        1.0 + f64::EPSILON,
        1.0 + 1.2e-7,
        2.0,
        10.0,
        1e10,
        1e30,
        3e38,
        1e300,
        f64::MAX,
        f64::INFINITY,
    ];
    bases.extend(bases.clone().iter().map(|b| -b));
    bases.push(f64::NAN);
    let mut exps = vec![
        0.0,
        1e-45,
        1e-10,
        0.5,
        1.0,
        1.5,
        2.0,
        3.0,
        16_777_215.0,
        16_777_216.0,
        9_007_199_254_740_991.0,
        1e10,
        1e20,
        3e38,
        1e300,
        f64::MAX,
        f64::INFINITY,
    ];
    exps.extend(exps.clone().iter().map(|e| -e));
    exps.push(f64::NAN);
    (bases, exps)
}

/// The pairs where `powf` on backend `b` is not within 2 ulp of std's `powf` (finite non-zero
/// results) or not the same bits (0, ±inf, NaN).
fn powf_std_mismatches<E: TestFloat>(
    b: Backend,
    x: &[E],
    y: &[E],
    std: fn(E, E) -> E,
) -> Vec<String> {
    let out = run::<E>(b, Func::Powf, x, y);
    let name = E::NAME;
    let mut failures = Vec::new();
    for i in 0..x.len() {
        let want = std(x[i], y[i]);
        let ok = if want.to_f64().is_finite() && want != E::ZERO {
            ulp(out[i], want) <= 2
        } else {
            out[i].bits() == want.bits() || (out[i].is_nan() && want.is_nan())
        };
        if !ok {
            failures.push(format!(
                "{name} {b:?}: powf({:e}, {:e}) = {:e}, std {want:e}",
                x[i], y[i], out[i]
            ));
        }
    }
    failures
}

/// `powf` against std's `powf` of the same type on every backend: within 2 ulp where std's
/// result is finite and non-zero, bit for bit (sign included) where it is 0, ±inf or NaN.
#[test]
fn powf_matches_std_at_huge_and_tiny_bases_and_exponents() {
    let (bases, exps) = pow_extremes();
    let (mut x32, mut y32, mut x64, mut y64) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &b in &bases {
        for &e in &exps {
            x32.push(b as f32);
            y32.push(e as f32);
            x64.push(b);
            y64.push(e);
        }
    }
    let mut failures = Vec::new();
    for b in backends() {
        failures.extend(powf_std_mismatches(b, &x32, &y32, f32::powf));
        failures.extend(powf_std_mismatches(b, &x64, &y64, f64::powf));
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}

#[test]
fn powi_matches_repeated_products_and_powf() {
    let x32 = inputs_f32();
    let x64 = inputs_f64();
    for n in [-3, -2, -1, 0, 1, 2, 3, 4, 5, 7, 16, 31] {
        let y32 = vec![n as f32; x32.len()];
        let y64 = vec![n as f64; x64.len()];
        // Products of two/three roundings are within 2 ulp; powf-based ones within 1.
        check(Func::Powi(n), 2, &x32, &y32);
        check(Func::Powi(n), 2, &x64, &y64);
    }
}

#[test]
fn max_min_propagate_nan_and_order_signed_zeros_on_every_backend() {
    let e = edge_values_f32();
    let mut x = Vec::new();
    let mut y = Vec::new();
    for &a in &e {
        for &b in &e {
            x.push(a);
            y.push(b);
        }
    }
    for f in [Func::Max, Func::Min] {
        for b in backends() {
            let out = run::<f32>(b, f, &x, &y);
            for i in 0..x.len() {
                let want = scalar::<f32>(f, x[i], y[i]);
                assert!(
                    out[i].to_bits() == want.to_bits() || (out[i].is_nan() && want.is_nan()),
                    "{f:?} on {b:?}: ({:e}, {:e}) gave {:e}, scalar twin {:e}",
                    x[i],
                    y[i],
                    out[i],
                    want
                );
                if x[i].is_nan() || y[i].is_nan() {
                    assert!(out[i].is_nan());
                }
            }
        }
    }
    let z = run::<f32>(Backend::Dispatch, Func::Max, &[-0.0, 0.0], &[0.0, -0.0]);
    assert_eq!(z.map_or_bits(), [0u32, 0]);
}

trait Bits {
    fn map_or_bits(&self) -> Vec<u32>;
}
impl Bits for Vec<f32> {
    fn map_or_bits(&self) -> Vec<u32> {
        self.iter().map(|v| v.to_bits()).collect()
    }
}

#[test]
fn exact_functions_agree_bitwise_with_their_scalar_twins() {
    let x32 = inputs_f32();
    let x64 = inputs_f64();
    for f in [
        Func::Abs,
        Func::Signum,
        Func::Relu,
        Func::Floor,
        Func::Ceil,
        Func::Round,
        Func::Sqrt,
        Func::Recip,
    ] {
        for b in backends() {
            assert_exact_as_scalar_twin(b, f, &x32);
            assert_exact_as_scalar_twin(b, f, &x64);
        }
    }
}

/// `f` on backend `b` gives its scalar twin's bits (or NaN where the twin is NaN) at every `x`.
fn assert_exact_as_scalar_twin<E: TestFloat>(b: Backend, f: Func, x: &[E]) {
    let out = run::<E>(b, f, x, x);
    for (i, &v) in out.iter().enumerate() {
        let want = scalar::<E>(f, x[i], x[i]);
        assert!(
            v.bits() == want.bits() || (v.is_nan() && want.is_nan()),
            "{f:?} {} on {b:?} at {:e}: {:e} vs scalar {:e}",
            E::NAME,
            x[i],
            v,
            want
        );
    }
}

#[test]
fn scalar_twins_are_within_one_ulp_and_share_special_values() {
    let x32 = inputs_f32();
    let x64 = inputs_f64();
    for &(f, _, _) in UNARY {
        assert_scalar_twin_within_one_ulp(f, &x32);
        assert_scalar_twin_within_one_ulp(f, &x64);
    }
}

/// The scalar twin of `f` is within 1 ulp of the reference at every `x`.
fn assert_scalar_twin_within_one_ulp<E: TestFloat>(f: Func, x: &[E]) {
    for &x in x {
        let got = scalar::<E>(f, x, E::ONE);
        let want = reference_in(f, x, E::ONE);
        assert!(
            ulp(got, want) <= 1,
            "scalar {f:?}({x:e}) {} = {got:e}, want {want:e}",
            E::NAME
        );
    }
}

#[test]
fn special_values_are_exact() {
    use Func::*;
    let inf = f32::INFINITY;
    let cases: &[(Func, f32, f32)] = &[
        (Exp, inf, inf),
        (Exp, -inf, 0.0),
        (Exp, 89.0, inf),
        (Exp, -104.0, 0.0),
        (Exp, 0.0, 1.0),
        (Exp, -0.0, 1.0),
        (Exp2, 128.0, inf),
        (Exp2, -149.0, f32::from_bits(1)),
        (Exp2, -126.0, f32::MIN_POSITIVE),
        (Ln, 0.0, -inf),
        (Ln, -0.0, -inf),
        (Ln, inf, inf),
        (Ln, 1.0, 0.0),
        (Log2, f32::from_bits(1), -149.0),
        (Log2, 1024.0, 10.0),
        (Log1p, -1.0, -inf),
        (Log1p, -0.0, -0.0),
        (Log1p, inf, inf),
        (Expm1, -0.0, -0.0),
        (Expm1, -inf, -1.0),
        (Expm1, inf, inf),
        (Tanh, -0.0, -0.0),
        (Tanh, 10.0, 1.0),
        (Tanh, -inf, -1.0),
        // Both sides of the saturation thresholds, f32's 9.1 and f64's 19.5 (tanh clamps |x|
        // to them, without a branch), and far past them; the f64 rows below check the cases
        // whose correctly rounded f64 result is also ±1 (the 19.5 ones).
        (Tanh, 9.1, 1.0),
        (Tanh, -9.100_001, -1.0),
        (Tanh, 9.099_999, 1.0),
        (Tanh, 19.5, 1.0),
        (Tanh, -19.500_002, -1.0),
        (Tanh, 19.499_998, 1.0),
        (Tanh, 1e30, 1.0),
        (Tanh, -f32::MAX, -1.0),
        (Tanh, inf, 1.0),
        (Sigmoid, -inf, 0.0),
        (Sigmoid, inf, 1.0),
        (Sigmoid, 0.0, 0.5),
        (Erf, -0.0, -0.0),
        (Erf, inf, 1.0),
        (Erf, -inf, -1.0),
        (Sin, -0.0, -0.0),
        (Cos, 0.0, 1.0),
        (Sqrt, -0.0, -0.0),
        (Rsqrt, 0.0, inf),
        (Rsqrt, inf, 0.0),
        (Recip, -0.0, -inf),
        (Signum, -0.0, -0.0),
        (Relu, -0.0, 0.0),
        (Floor, -0.5, -1.0),
        (Ceil, -0.5, -0.0),
        (Round, -0.5, -1.0),
        (Round, 2.5, 3.0),
    ];
    for b in backends() {
        for &(f, x, want) in cases {
            let got = run::<f32>(b, f, &[x], &[1.0])[0];
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{f:?}({x:e}) on {b:?}: {got:e}"
            );
            let got64 = run::<f64>(b, f, &[x as f64], &[1.0])[0];
            if reference(f, x as f64, 1.0).to_bits() == (want as f64).to_bits() {
                assert_eq!(
                    got64.to_bits(),
                    (want as f64).to_bits(),
                    "{f:?}({x:e}) f64 on {b:?}: {got64:e}"
                );
            }
        }
        for f in [
            Exp, Exp2, Ln, Log2, Log1p, Expm1, Tanh, Sigmoid, Erf, Sin, Cos, Rsqrt,
        ] {
            assert!(
                run::<f32>(b, f, &[f32::NAN], &[1.0])[0].is_nan(),
                "{f:?}(NaN)"
            );
            assert!(
                run::<f64>(b, f, &[f64::NAN], &[1.0])[0].is_nan(),
                "{f:?}(NaN)"
            );
        }
        for f in [Ln, Log2, Log1p, Sqrt, Rsqrt] {
            assert!(run::<f32>(b, f, &[-2.0], &[1.0])[0].is_nan(), "{f:?}(-2)");
            assert!(run::<f64>(b, f, &[-2.0], &[1.0])[0].is_nan(), "{f:?}(-2)");
        }
    }
}

/// Loads a register with lane `at` set (if in range), and a half-filled register padded with
/// `-7`: returns `(first_true, padding_ok, pulp's own first_true_m32s)`.
struct MaskProbe {
    at: usize,
}

impl pulp::WithSimd for MaskProbe {
    type Output = (usize, bool, usize);
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, s: S) -> (usize, bool, usize) {
        use simdgrad::simd::SimdElement;
        let lanes = <f32 as SimdElement>::lanes::<S>();
        let mut buf = vec![0.0f32; lanes];
        if self.at < lanes {
            buf[self.at] = 1.0;
        }
        let v = <f32 as SimdElement>::partial_load(s, &buf, 0.0);
        let m = <f32 as SimdElement>::gt(s, v, <f32 as SimdElement>::splat(s, 0.5));
        let first = <f32 as SimdElement>::first_true(s, m);
        let part = <f32 as SimdElement>::partial_load(s, &buf[..lanes / 2], -7.0);
        let mut out = vec![0.0f32; lanes];
        <f32 as SimdElement>::partial_store(s, &mut out, part);
        let padding_ok = out[lanes / 2..].iter().all(|&x| x == -7.0);
        (first, padding_ok, s.first_true_m32s(m))
    }
}

#[test]
fn first_true_finds_the_lowest_set_lane_and_partial_load_pads_with_fill() {
    for b in backends() {
        let lanes = match b {
            Backend::Scalar => 1,
            Backend::V3 => 8,
            Backend::V4 => 16,
            Backend::Dispatch => pulp::Arch::new().dispatch(LaneCount),
        };
        for at in 0..=lanes {
            let probe = MaskProbe { at };
            let (first, padding_ok, pulp_first) = match b {
                Backend::Dispatch => pulp::Arch::new().dispatch(probe),
                Backend::V3 => pulp::Simd::vectorize(pulp::x86::V3::try_new().unwrap(), probe),
                Backend::V4 => pulp::Simd::vectorize(pulp::x86::V4::try_new().unwrap(), probe),
                Backend::Scalar => pulp::Simd::vectorize(pulp::Scalar::new(), probe),
            };
            if std::env::var_os("SIMD_SHOW_PULP_FIRST_TRUE").is_some() {
                eprintln!("{b:?} lane {at}: ours {first}, pulp {pulp_first}");
            }
            assert_eq!(first, at, "{b:?} lane {at}");
            assert!(
                padding_ok,
                "{b:?}: partial_load padding is not the fill value"
            );
        }
    }
}

struct LaneCount;
impl pulp::WithSimd for LaneCount {
    type Output = usize;
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _s: S) -> usize {
        <f32 as simdgrad::simd::SimdElement>::lanes::<S>()
    }
}
