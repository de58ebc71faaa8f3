//! Exhaustive f32 sweeps: every one of the 2^32 inputs of a function through the vector path
//! (pulp's dispatch, i.e. AVX-512 on a machine that has it) against the f64 reference rounded
//! to f32. Ignored by default (minutes per function); run with
//!
//! ```text
//! cargo test --release -p simdgrad --test simd -- --ignored --nocapture exhaustive::
//! SIMD_SWEEP=exp,ln cargo test --release -p simdgrad --test simd -- --ignored --nocapture exhaustive::
//! ```
//!
//! It also prints the maximum ulp error over the dense sample for every function, f32 and f64.

use crate::common::{max_ulp, powf_sample, reference, run, ulp, Backend, Func, Rng, UNARY};

fn name(f: Func) -> String {
    format!("{f:?}").to_lowercase()
}

/// Max ulp error of `f` over all 2^32 f32 inputs (two threads), with a worst input.
fn sweep(f: Func) -> (u64, f32) {
    let threads = 2u64;
    let per = (1u64 << 32) / threads;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let mut worst = (0u64, 0.0f32);
                let chunk = 1u64 << 16;
                let mut x = vec![0.0f32; chunk as usize];
                let mut start = t * per;
                while start < (t + 1) * per {
                    for (i, v) in x.iter_mut().enumerate() {
                        *v = f32::from_bits((start + i as u64) as u32);
                    }
                    let out = run::<f32>(Backend::Dispatch, f, &x, &x);
                    for (i, &o) in out.iter().enumerate() {
                        let r = reference(f, x[i] as f64, 1.0) as f32;
                        let d = ulp::<f32>(o, r);
                        if d > worst.0 {
                            worst = (d, x[i]);
                        }
                    }
                    start += chunk;
                }
                worst
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("sweep thread"))
        .max_by_key(|w| w.0)
        .expect("two threads")
}

#[test]
#[ignore = "exhaustive: minutes per function in release mode"]
fn exhaustive_f32_sweep_stays_within_the_documented_bound() {
    let only = std::env::var("SIMD_SWEEP").ok();
    for &(f, bound, _) in UNARY {
        if let Some(list) = &only
            && !list.split(',').any(|n| n == name(f))
        {
            continue;
        }
        let t = std::time::Instant::now();
        let (ulp, at) = sweep(f);
        println!(
            "{:8} max {ulp} ulp (at {at:e} = {:#010x}), {:.0?}",
            name(f),
            at.to_bits(),
            t.elapsed()
        );
        assert!(ulp <= bound, "{f:?}: {ulp} ulp at {at:e}");
    }
}

#[test]
#[ignore = "prints the dense-sample error table"]
fn print_dense_sample_error_table() {
    let mut rng = Rng(11);
    let mut x32 = Vec::new();
    let mut x64 = Vec::new();
    for _ in 0..1_000_000 {
        x32.push(f32::from_bits(rng.next_u64() as u32));
        x64.push(f64::from_bits(rng.next_u64()));
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        x32.push((60.0 * u - 30.0) as f32);
        x64.push(60.0 * u - 30.0);
    }
    for &(f, _, _) in UNARY {
        let m32 = max_ulp(f, &x32, &x32);
        let m64 = max_ulp(f, &x64, &x64);
        println!("{:8} f32 {m32} ulp, f64 {m64} ulp", name(f));
    }
    // powf: bases exp(U[-30, 30]) of either sign, exponents U[-20, 20] and integers, plus
    // bases near 1 with exponents spanning the whole exp range.
    let (b32, e32, b64, e64) = powf_sample(&mut rng, 1_000_000);
    let m32 = max_ulp(Func::Powf, &b32, &e32);
    let m64 = max_ulp(Func::Powf, &b64, &e64);
    println!("powf     f32 {m32} ulp, f64 {m64} ulp");
}
