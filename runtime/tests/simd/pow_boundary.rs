//! `powf` next to the ends of the exponent range, on every pulp backend of this machine: pairs
//! `(x, y)` with `y·log2|x|` swept densely across the overflow threshold (`128` for f32, `1024`
//! for f64), the normal/subnormal threshold (`-126` / `-1022`) and the underflow-to-zero
//! threshold (`-149` / `-1074`), against std's `powf` of the same type.
//!
//! An earlier session saw f32 `powf` give `2.957e38` where std gives `inf`; whichever side of a
//! threshold a result falls on must match std. Each pair is run twice: among its neighbours
//! (registers whose lanes straddle the threshold) and alone in a full register (so a register
//! takes the fast or the exact path as a whole, the way a kernel over one repeated value does).

use crate::common::{backends, run, ulp, Func};

/// The documented `powf` bound (runtime/src/simd/math/mod.rs), in ulps of the result.
const BOUND: u64 = 2;

/// Lanes of the widest register (AVX-512 f32), so one value fills any backend's register.
const REG: usize = 16;

/// Positive bases spanning the format: near 1 (huge exponents), moderate, and near the ends.
fn bases(max_exp: i32) -> Vec<f64> {
    let mut v = vec![
        1.0 + 2f64.powi(-20),
        1.0 + 1e-3,
        1.1,
        1.5,
        2.0,
        std::f64::consts::E,
        3.0,
        7.25,
        10.0,
        1e3,
        12345.678,
        1e10,
    ];
    // Powers of two up to the format's top, and just off them.
    for k in [16, 31, 47, 63, 64, 100, 127, 200, 511, 1000, 1023] {
        if k < max_exp {
            v.push(2f64.powi(k));
            v.push(2f64.powi(k) * 1.3);
        }
    }
    let recips: Vec<f64> = v.iter().map(|b| 1.0 / b).collect();
    v.extend(recips);
    v
}

/// `(x, y)` pairs with `y·log2(x)` swept over `[lo, hi]` in `steps` steps for every base, with
/// `y` rounded by `round` to the element type; bases that do not reach the window (`|y|` would
/// exceed `max_y`) are skipped. Integer exponents are added with the base negated too (odd ones
/// give a negative result).
fn sweep(
    bases: &[f64],
    lo: f64,
    hi: f64,
    steps: usize,
    round: impl Fn(f64) -> f64,
) -> Vec<(f64, f64)> {
    let mut pairs = Vec::new();
    for &x in bases {
        let t = x.log2();
        for i in 0..=steps {
            let z = lo + (hi - lo) * i as f64 / steps as f64;
            let y = round(z / t);
            if !y.is_finite() {
                continue;
            }
            pairs.push((x, y));
            if y == y.trunc() {
                pairs.push((-x, y));
            }
        }
        // The integer exponents inside the window, exactly.
        let (a, b) = ((lo / t).min(hi / t), (lo / t).max(hi / t));
        let mut n = a.ceil();
        while n <= b.floor() && n - a.ceil() < 64.0 {
            pairs.push((x, round(n)));
            pairs.push((-x, round(n)));
            n += 1.0;
        }
    }
    pairs
}

/// The f32 pairs near overflow, the subnormal threshold and underflow to zero.
fn pairs_f32() -> Vec<(f32, f32)> {
    let b: Vec<f64> = bases(128)
        .into_iter()
        .map(|x| x as f32 as f64)
        .filter(|x| x.is_finite() && *x > 0.0 && *x != 1.0)
        .collect();
    let r = |v: f64| v as f32 as f64;
    let mut p = sweep(&b, 127.9, 128.1, 4000, r);
    p.extend(sweep(&b, -126.1, -125.9, 2000, r));
    p.extend(sweep(&b, -150.1, -148.9, 4000, r));
    p.into_iter().map(|(x, y)| (x as f32, y as f32)).collect()
}

/// The f64 pairs near overflow, the subnormal threshold and underflow to zero.
fn pairs_f64() -> Vec<(f64, f64)> {
    let b: Vec<f64> = bases(1024).into_iter().filter(|x| *x != 1.0).collect();
    let mut p = sweep(&b, 1023.9, 1024.1, 4000, |v| v);
    p.extend(sweep(&b, -1022.1, -1021.9, 2000, |v| v));
    p.extend(sweep(&b, -1075.1, -1073.9, 4000, |v| v));
    p
}

/// Whether `got` matches std's `want`: the same infinity (sign included), the same NaN-ness,
/// else within [`BOUND`] ulps (zero and the smallest subnormal are one ulp apart).
fn agrees(got: f64, want: f64, ulps: u64) -> bool {
    if got.is_infinite() || want.is_infinite() || got.is_nan() || want.is_nan() {
        return got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan());
    }
    ulps <= BOUND
}

/// Runs `pairs` in both arrangements on every backend; returns the mismatches and the largest
/// ulp error among results std gives as finite.
fn check<E: simdgrad::simd::SimdElement + Copy>(
    pairs: &[(E, E)],
    std_pow: impl Fn(E, E) -> E,
    ulp: impl Fn(E, E) -> u64,
    to_f64: impl Fn(E) -> f64,
) -> (Vec<String>, u64) {
    let x: Vec<E> = pairs.iter().map(|p| p.0).collect();
    let y: Vec<E> = pairs.iter().map(|p| p.1).collect();
    let xr: Vec<E> = x.iter().flat_map(|&v| [v; REG]).collect();
    let yr: Vec<E> = y.iter().flat_map(|&v| [v; REG]).collect();
    let (mut bad, mut worst) = (Vec::new(), 0);
    for b in backends() {
        let mixed = run::<E>(b, Func::Powf, &x, &y);
        let alone = run::<E>(b, Func::Powf, &xr, &yr);
        for (i, &(px, py)) in pairs.iter().enumerate() {
            let want = std_pow(px, py);
            for (how, got) in [("mixed", mixed[i]), ("alone", alone[i * REG])] {
                let u = ulp(got, want);
                if to_f64(want).is_finite() {
                    worst = worst.max(u);
                }
                if !agrees(to_f64(got), to_f64(want), u) {
                    bad.push(format!(
                        "{b:?} {how}: powf({:e}, {:e}) = {:e}, std {:e} ({u} ulp)",
                        to_f64(px),
                        to_f64(py),
                        to_f64(got),
                        to_f64(want)
                    ));
                }
            }
        }
    }
    (bad, worst)
}

fn report(what: &str, n: usize, bad: &[String], worst: u64) {
    println!("{what}: {n} pairs, max {worst} ulp from std");
    assert!(
        bad.is_empty(),
        "{what}: {} mismatches:\n{}",
        bad.len(),
        bad[..bad.len().min(40)].join("\n")
    );
}

#[test]
fn f32_powf_matches_std_across_overflow_and_underflow_thresholds() {
    let pairs = pairs_f32();
    let (bad, worst) = check(&pairs, f32::powf, ulp::<f32>, |v| v as f64);
    report("f32", pairs.len(), &bad, worst);
}

#[test]
fn f64_powf_matches_std_across_overflow_and_underflow_thresholds() {
    let pairs = pairs_f64();
    let (bad, worst) = check(&pairs, f64::powf, ulp::<f64>, |v| v);
    report("f64", pairs.len(), &bad, worst);
}
