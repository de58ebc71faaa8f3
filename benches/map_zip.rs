//! Generated map and zip kernels against the naive index loop, the plain loop and hand-written
//! pulp, at N = 2^20 (L3-resident) and 2^24 (DRAM); and each map's generated backward against
//! its forward, out of place and in place (overwriting the upstream gradient, as autograd does
//! when it owns it; the gradient is refreshed outside the timed call); and `tanh` on inputs that
//! straddle its saturation threshold. Throughput counts each input read once and the output
//! written once.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};
use simdgrad::kernel::MapKernel;
use simdgrad::Result;
use simdgrad_workspace::cases::{input, Impl, MapOp, ZipOp};
use simdgrad_workspace::ops;

const SIZES: [usize; 2] = [1 << 20, 1 << 24];

/// Modest settings so `cargo bench` stays within minutes; the 2^24 cases (milliseconds to
/// hundreds of milliseconds per call for the naive loop) use flat sampling and fewer samples.
fn configure(g: &mut BenchmarkGroup<'_, WallTime>, n: usize) {
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_millis(1500));
    if n >= 1 << 24 {
        g.sampling_mode(SamplingMode::Flat).sample_size(10);
    } else {
        g.sample_size(20);
    }
}

fn maps(c: &mut Criterion) {
    for n in SIZES {
        let x = input(n, 1);
        let mut out = vec![0.0; n];
        for op in MapOp::ALL {
            let mut g = c.benchmark_group(format!("map/{}/n={n}", op.name()));
            configure(&mut g, n);
            g.throughput(Throughput::Bytes(MapOp::bytes(n) as u64));
            for imp in Impl::ALL {
                g.bench_function(imp.name(), |b| b.iter(|| op.run(imp, &x, &mut out)));
            }
            g.finish();
        }
    }
}

fn zips(c: &mut Criterion) {
    for n in SIZES {
        let (a, b) = (input(n, 2), input(n, 3));
        let mut out = vec![0.0; n];
        for op in ZipOp::ALL {
            let mut g = c.benchmark_group(format!("zip/{}/n={n}", op.name()));
            configure(&mut g, n);
            g.throughput(Throughput::Bytes(ZipOp::bytes(n) as u64));
            for imp in Impl::ALL {
                g.bench_function(imp.name(), |bch| bch.iter(|| op.run(imp, &a, &b, &mut out)));
            }
            g.finish();
        }
    }
}

/// The generated in-place backward `g ← g · f'(x)`.
fn backward_in_place(op: MapOp, x: &[f32], g: &mut [f32]) -> Result<()> {
    match op {
        MapOp::Relu => ops::BenchRelu.backward_in_place(x, g),
        MapOp::Exp => ops::BenchExp.backward_in_place(x, g),
        MapOp::Sigmoid => ops::BenchSigmoid.backward_in_place(x, g),
        MapOp::Tanh => ops::BenchTanh.backward_in_place(x, g),
        MapOp::Gelu => ops::BenchGelu.backward_in_place(x, g),
    }
}

fn map_backward(c: &mut Criterion) {
    for n in SIZES {
        let (x, grad) = (input(n, 4), input(n, 5));
        let mut out = vec![0.0; n];
        for op in MapOp::ALL {
            let mut g = c.benchmark_group(format!("map_backward/{}/n={n}", op.name()));
            configure(&mut g, n);
            g.throughput(Throughput::Bytes(MapOp::bytes(n) as u64));
            g.bench_function("generated_forward", |b| {
                b.iter(|| op.run(Impl::Generated, &x, &mut out))
            });
            g.throughput(Throughput::Bytes(MapOp::backward_bytes(n) as u64));
            g.bench_function("generated_backward", |b| {
                b.iter(|| op.backward(&x, &grad, &mut out))
            });
            g.throughput(Throughput::Bytes(8 * n as u64));
            g.bench_function("generated_backward_in_place", |b| {
                b.iter_batched_ref(
                    || grad.clone(),
                    |gr| backward_in_place(op, &x, gr),
                    BatchSize::LargeInput,
                )
            });
            g.finish();
        }
    }
}

/// `tanh` on 2^20 inputs spread over `[-10, 10)`: about half of the 8- or 16-lane registers
/// mix lanes past f32's saturation threshold (9.1) with lanes below it, so any per-register
/// branch on the range is unpredictable. Against the plain loop and the hand-written kernel on
/// the same data.
fn map_straddling(c: &mut Criterion) {
    let n = 1 << 20;
    let x: Vec<f32> = input(n, 1).iter().map(|v| 2.0 * v).collect();
    let mut out = vec![0.0; n];
    let op = MapOp::Tanh;
    let mut g = c.benchmark_group(format!("map_straddling/{}/n={n}", op.name()));
    configure(&mut g, n);
    g.throughput(Throughput::Bytes(MapOp::bytes(n) as u64));
    for imp in [Impl::Generated, Impl::Plain, Impl::PulpHand] {
        g.bench_function(imp.name(), |b| b.iter(|| op.run(imp, &x, &mut out)));
    }
    g.finish();
}

criterion_group!(benches, maps, zips, map_backward, map_straddling);
criterion_main!(benches);
