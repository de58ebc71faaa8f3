//! `Tensor::matmul` at 1024² f32 on 1 and 2 threads, against the peak FMA rate measured in the
//! same process (`simdgrad_workspace::limits`); plus a batch of small products and the backward.
//!
//! Criterion reports FLOP/s as "elem/s". After criterion (under `cargo bench`), a summary
//! prints each row's median, GFLOP/s, fraction of the measured peak and the 2-thread speed-up.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use simdgrad::parallel::{self, Parallelism};
use simdgrad::Tensor;
use simdgrad_workspace::limits::{self, Isa};
use simdgrad_workspace::measure::{self, Plan};

const N: usize = 1024;

fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    let before = parallel::get();
    parallel::set(Parallelism { threads, ..before });
    let r = f();
    parallel::set(before);
    r
}

fn operands(shape_a: &[usize], shape_b: &[usize]) -> (Tensor<f32>, Tensor<f32>) {
    (
        Tensor::randn_seeded(shape_a, 1).unwrap(),
        Tensor::randn_seeded(shape_b, 2).unwrap(),
    )
}

fn matmul_square(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul/1024x1024x1024/f32");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements((2 * N * N * N) as u64));
    let (a, b) = operands(&[N, N], &[N, N]);
    for threads in [1, 2] {
        g.bench_function(format!("threads={threads}"), |bench| {
            with_threads(threads, || bench.iter(|| black_box(a.matmul(&b).unwrap())))
        });
    }
    let at = a.transpose(0, 1).unwrap();
    g.bench_function("transposed_lhs/threads=1", |bench| {
        with_threads(1, || bench.iter(|| black_box(at.matmul(&b).unwrap())))
    });
    g.finish();
}

fn matmul_batched_small(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul/batch256x32x32x32/f32");
    g.sample_size(20).measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements((2 * 256 * 32 * 32 * 32) as u64));
    let (a, b) = operands(&[256, 32, 32], &[32, 32]);
    for threads in [1, 2] {
        g.bench_function(format!("threads={threads}"), |bench| {
            with_threads(threads, || bench.iter(|| black_box(a.matmul(&b).unwrap())))
        });
    }
    g.finish();
}

fn matmul_backward(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul/1024x1024x1024/f32/forward+backward");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements((3 * 2 * N * N * N) as u64));
    let (a, b) = operands(&[N, N], &[N, N]);
    let (a, b) = (a.requires_grad_(true), b.requires_grad_(true));
    let seed = Tensor::<f32>::ones(&[N, N]).unwrap();
    for threads in [1, 2] {
        g.bench_function(format!("threads={threads}"), |bench| {
            with_threads(threads, || {
                bench.iter(|| {
                    a.matmul(&b).unwrap().backward_with(&seed).unwrap();
                    a.zero_grad();
                    b.zero_grad();
                })
            })
        });
    }
    g.finish();
}

/// The bench-card summary: medians of ≥ 10 calls against the peak measured now.
fn summary() {
    let plan = Plan {
        reps: 15,
        ..Plan::DEFAULT
    };
    let flops = (2 * N * N * N) as f64;
    let (a, b) = operands(&[N, N], &[N, N]);
    let mut rates = Vec::new();
    println!(
        "\nmatmul summary (median of {} calls; peak = register-only FMA chains, measured now):",
        plan.reps
    );
    for threads in [1, 2] {
        let peak = limits::peak_fma_gflops(Isa::Avx512, threads, Plan::QUICK)
            .or_else(|| limits::peak_fma_gflops(Isa::Avx2, threads, Plan::QUICK));
        let t = with_threads(threads, || {
            measure::time(plan, || {
                black_box(a.matmul(&b).unwrap());
            })
        });
        let rate = t.giga_per_s(flops);
        rates.push(rate);
        let frac = peak.map_or("n/a".to_string(), |p| {
            format!("{:.0}% of {p:.0}", 100.0 * rate / p)
        });
        println!(
            "  1024^3 f32, {threads} thread(s): {:.3} ms, {rate:.1} GFLOP/s ({frac} GFLOP/s peak)",
            t.median_ms
        );
        println!(
            "BENCH simdgrad matmul 1024x1024x1024 {threads} {:.4} {rate:.2} GFLOPs",
            t.median_ms
        );
    }
    println!("  2 threads / 1 thread: {:.2}x", rates[1] / rates[0]);
    let (a, b) = operands(&[256, 32, 32], &[32, 32]);
    let mut times = Vec::new();
    for threads in [1, 2] {
        let t = with_threads(threads, || {
            measure::time(plan, || {
                black_box(a.matmul(&b).unwrap());
            })
        });
        println!(
            "  batch 256 of 32^3 f32, {threads} thread(s): {:.4} ms, {:.1} GFLOP/s",
            t.median_ms,
            t.giga_per_s((2 * 256 * 32 * 32 * 32) as f64)
        );
        times.push(t.median_ms);
    }
    println!(
        "  batched 2 threads / 1 thread: {:.2}x",
        times[0] / times[1]
    );
}

criterion_group!(
    benches,
    matmul_square,
    matmul_batched_small,
    matmul_backward
);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if std::env::args().any(|a| a == "--bench") {
        summary();
    }
}
