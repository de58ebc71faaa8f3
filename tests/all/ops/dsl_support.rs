//! Shared checks of the kernel-DSL tests: SIMD against scalar at every length 0..=67 and on edge
//! values, and generated derivatives against `f64` central differences.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use simdgrad::kernel::{MapKernel, ReduceKernel, ZipKernel};
use simdgrad::simd::SimdElement;
use simdgrad::Element;

/// Edge values every kernel must handle like its scalar twin.
pub const EDGES: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    1e-40,  // f32 subnormal
    -1e-42, // f32 subnormal
    1e-310, // f64 subnormal
    3.0e38, // near f32::MAX
    -1e300, // huge (inf in f32)
    1e30,
    88.7,
    -103.0,
];

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Distance in units in the last place of `E` (0 for equal values or two NaNs).
pub fn ulps<E: Element>(a: E, b: E) -> f64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0.0;
    }
    if a.is_nan() || b.is_nan() {
        return f64::INFINITY;
    }
    let (a, b) = (a.to_f64(), b.to_f64());
    let eps = E::EPSILON.to_f64();
    let min_normal = if E::SIZE == 4 {
        f32::MIN_POSITIVE as f64
    } else {
        f64::MIN_POSITIVE
    };
    let scale = a.abs().max(b.abs()).max(min_normal);
    // One ulp of the larger magnitude.
    let ulp = eps * 2f64.powi(scale.log2().floor() as i32);
    (a - b).abs() / ulp
}

/// `true` if SIMD value `v` agrees with scalar value `s` computed at an input of magnitude
/// `input`: bitwise when `max_ulps == 0` (NaN matches NaN), else within `max_ulps` ulp of the
/// result or, where the formula cancels (`1 + tanh(…)` near −1), within `max_ulps` ulp of the
/// input's magnitude — the error a few ulp in an intermediate of that size can leave.
pub fn agrees<E: Element>(v: E, s: E, max_ulps: f64, input: f64) -> bool {
    if max_ulps == 0.0 {
        return v.to_f64().to_bits() == s.to_f64().to_bits() || (v.is_nan() && s.is_nan());
    }
    let scale = input.abs().max(1.0);
    let err = (v.to_f64() - s.to_f64()).abs();
    ulps(v, s) <= max_ulps || (scale.is_finite() && err <= max_ulps * E::EPSILON.to_f64() * scale)
}

fn random_vec<E: Element>(r: &mut StdRng, n: usize, lo: f64, hi: f64) -> Vec<E> {
    (0..n).map(|_| E::from_f64(r.gen_range(lo..hi))).collect()
}

/// Map: SIMD forward (slice driver) equals the scalar forward at every length 0..=67 and on
/// the edge values.
pub fn map_forward_matches_scalar<K: MapKernel + Default, E: SimdElement>(
    domain: (f64, f64),
    max_ulps: f64,
) {
    map_forward_check::<K, E>(domain, max_ulps, true);
}

/// As [`map_forward_matches_scalar`], optionally without the edge values.
pub fn map_forward_check<K: MapKernel + Default, E: SimdElement>(
    domain: (f64, f64),
    max_ulps: f64,
    with_edges: bool,
) {
    let mut r = rng(1);
    let mut inputs: Vec<Vec<E>> = (0..=67)
        .map(|n| random_vec(&mut r, n, domain.0, domain.1))
        .collect();
    if with_edges {
        inputs.push(EDGES.iter().map(|&v| E::from_f64(v)).collect());
    }
    for x in inputs {
        let mut out = vec![E::ZERO; x.len()];
        K::default().forward(&x, &mut out).unwrap();
        for (i, (&xi, &o)) in x.iter().zip(&out).enumerate() {
            let s = K::scalar(xi);
            assert!(
                agrees(o, s, max_ulps, xi.to_f64()),
                "{} {}: simd {o:e} vs scalar {s:e} at x = {xi:e} (len {}, index {i})",
                K::NAME,
                E::DTYPE,
                x.len()
            );
        }
    }
}

/// Central difference of `f` at `x` in `f64`.
pub fn central_difference(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// Map: the generated backward (`f64` kernel) equals g · (central difference), away from the
/// `kinks`; the `f32` kernel agrees with the `f64` one; `backward_with_output` with `backward`.
pub fn map_backward_matches_finite_differences<K: MapKernel + Default>(
    domain: (f64, f64),
    kinks: &[f64],
) {
    let mut r = rng(2);
    let n = 67;
    let x: Vec<f64> = (0..n)
        .map(|_| loop {
            let v = r.gen_range(domain.0..domain.1);
            if kinks.iter().all(|k| (v - k).abs() > 1e-3) {
                break v;
            }
        })
        .collect();
    let g: Vec<f64> = (0..n).map(|_| r.gen_range(-2.0..2.0)).collect();
    let mut gi = vec![0.0; n];
    K::default().backward(&x, &g, &mut gi).unwrap();
    let mut y = vec![0.0; n];
    K::default().forward(&x, &mut y).unwrap();
    let mut gy = vec![0.0; n];
    K::default()
        .backward_with_output(&x, &y, &g, &mut gy)
        .unwrap();
    for i in 0..n {
        let fd = g[i] * central_difference(K::scalar::<f64>, x[i]);
        let tol = 1e-6 * (1.0 + fd.abs());
        assert!(
            (gi[i] - fd).abs() <= tol,
            "{}: backward {} vs finite difference {fd} at x = {}",
            K::NAME,
            gi[i],
            x[i]
        );
        assert!(
            (gy[i] - gi[i]).abs() <= 1e-12 * (1.0 + gi[i].abs()),
            "{}: backward_with_output {} vs backward {} at x = {}",
            K::NAME,
            gy[i],
            gi[i],
            x[i]
        );
        let d = K::scalar_derivative::<f64>(x[i]);
        assert!((g[i] * d - gi[i]).abs() <= 1e-12 * (1.0 + gi[i].abs()));
    }
    // f32 kernel against the f64 one.
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let g32: Vec<f32> = g.iter().map(|&v| v as f32).collect();
    let mut gi32 = vec![0.0f32; n];
    K::default().backward(&x32, &g32, &mut gi32).unwrap();
    for i in 0..n {
        let want = g32[i] as f64 * K::scalar_derivative::<f64>(x32[i] as f64);
        assert!(
            (gi32[i] as f64 - want).abs() <= 1e-4 * (1.0 + want.abs()),
            "{} f32: backward {} vs {want} at x = {}",
            K::NAME,
            gi32[i],
            x32[i]
        );
    }
}

/// Zip: SIMD forward equals scalar at every length, with slice and broadcast operands.
pub fn zip_forward_matches_scalar<K: ZipKernel + Default, E: SimdElement>(
    domain: (f64, f64),
    max_ulps: f64,
) {
    zip_forward_check::<K, E>(domain, max_ulps, true);
}

/// As [`zip_forward_matches_scalar`], optionally without the edge values.
pub fn zip_forward_check<K: ZipKernel + Default, E: SimdElement>(
    domain: (f64, f64),
    max_ulps: f64,
    with_edges: bool,
) {
    let mut r = rng(3);
    for n in 0..=67 {
        let a: Vec<E> = random_vec(&mut r, n, domain.0, domain.1);
        let b: Vec<E> = random_vec(&mut r, n, domain.0, domain.1);
        let mut out = vec![E::ZERO; n];
        K::default().forward(&a, &b, &mut out).unwrap();
        for i in 0..n {
            let s = K::scalar(a[i], b[i]);
            let m = a[i].to_f64().abs().max(b[i].to_f64().abs());
            assert!(
                agrees(out[i], s, max_ulps, m),
                "{} {}: {:e} vs {s:e}",
                K::NAME,
                E::DTYPE,
                out[i]
            );
        }
        if n > 0 {
            K::default().forward_rhs_scalar(&a, b[0], &mut out).unwrap();
            for i in 0..n {
                let m = a[i].to_f64().abs().max(b[0].to_f64().abs());
                assert!(agrees(out[i], K::scalar(a[i], b[0]), max_ulps, m));
            }
            K::default().forward_lhs_scalar(a[0], &b, &mut out).unwrap();
            for i in 0..n {
                let m = a[0].to_f64().abs().max(b[i].to_f64().abs());
                assert!(agrees(out[i], K::scalar(a[0], b[i]), max_ulps, m));
            }
        }
    }
    if !with_edges {
        return;
    }
    let edges: Vec<E> = EDGES.iter().map(|&v| E::from_f64(v)).collect();
    for &b in &edges {
        let bs = vec![b; edges.len()];
        let mut out = vec![E::ZERO; edges.len()];
        K::default().forward(&edges, &bs, &mut out).unwrap();
        for i in 0..edges.len() {
            let s = K::scalar(edges[i], b);
            let m = edges[i].to_f64().abs().max(b.to_f64().abs());
            assert!(
                agrees(out[i], s, max_ulps, m),
                "{} {}: simd {:e} vs scalar {s:e} at ({:e}, {b:e})",
                K::NAME,
                E::DTYPE,
                out[i],
                edges[i]
            );
        }
    }
}

/// Zip: both generated partials (`f64`) against central differences, away from points where
/// `kink(a, b)` says the op is not differentiable.
pub fn zip_backward_matches_finite_differences<K: ZipKernel + Default>(
    domain: (f64, f64),
    kink: impl Fn(f64, f64) -> bool,
) {
    let mut r = rng(4);
    let n = 67;
    let mut a = Vec::new();
    let mut b = Vec::new();
    while a.len() < n {
        let (p, q) = (
            r.gen_range(domain.0..domain.1),
            r.gen_range(domain.0..domain.1),
        );
        if !kink(p, q) {
            a.push(p);
            b.push(q);
        }
    }
    let g: Vec<f64> = (0..n).map(|_| r.gen_range(-2.0..2.0)).collect();
    let (mut ga, mut gb) = (vec![0.0; n], vec![0.0; n]);
    K::default().backward(&a, &b, &g, &mut ga, &mut gb).unwrap();
    for i in 0..n {
        let fa = g[i] * central_difference(|v| K::scalar::<f64>(v, b[i]), a[i]);
        let fb = g[i] * central_difference(|v| K::scalar::<f64>(a[i], v), b[i]);
        assert!(
            (ga[i] - fa).abs() <= 1e-6 * (1.0 + fa.abs()),
            "{}: d/da {} vs {fa} at ({}, {})",
            K::NAME,
            ga[i],
            a[i],
            b[i]
        );
        assert!(
            (gb[i] - fb).abs() <= 1e-6 * (1.0 + fb.abs()),
            "{}: d/db {} vs {fb} at ({}, {})",
            K::NAME,
            gb[i],
            a[i],
            b[i]
        );
    }
}

/// Reduce: the gradient of `fold` (`f64`) against central differences of `fold` itself.
pub fn reduce_backward_matches_finite_differences<K: ReduceKernel + Default>(x: &[f64], g: f64) {
    let mut gi = vec![0.0; x.len()];
    K::default().backward(x, g, &mut gi).unwrap();
    for i in 0..x.len() {
        let fd = g * central_difference(
            |v| {
                let mut y = x.to_vec();
                y[i] = v;
                K::default().fold(&y)
            },
            x[i],
        );
        assert!(
            (gi[i] - fd).abs() <= 1e-6 * (1.0 + fd.abs()),
            "{}: d/dx[{i}] {} vs finite difference {fd}",
            K::NAME,
            gi[i]
        );
    }
}
