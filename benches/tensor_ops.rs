//! Tensor-level drivers on strided and broadcast tensors against the contiguous case, and the
//! thread scaling of an L3-sized map.
//!
//! `cargo bench --bench tensor_ops`. Outputs are written with the `_into` variants (no
//! allocation in the timed loop) unless the row says `alloc`. Path rows run on one thread.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use simdgrad::ops::builtins::{Add, Exp, Relu, Sum};
use simdgrad::ops::Exec;
use simdgrad::parallel::Parallelism;
use simdgrad::Tensor;

const N: usize = 1024;

fn one_thread() -> Exec {
    threads(1)
}

fn threads(n: usize) -> Exec {
    Exec {
        parallelism: Some(Parallelism {
            threads: n,
            min_work_per_task: 1 << 16,
        }),
        ..Exec::default()
    }
}

/// The layouts compared: contiguous, transposed (dense, permuted), narrowed (blocks of 1024 in
/// rows of 1040).
fn inputs() -> Vec<(&'static str, Tensor<f32>)> {
    let c = Tensor::<f32>::randn_seeded(&[N, N], 1).unwrap();
    let t = Tensor::<f32>::randn_seeded(&[N, N], 2)
        .unwrap()
        .transpose(0, 1)
        .unwrap();
    let b = Tensor::<f32>::randn_seeded(&[N, N + 16], 3)
        .unwrap()
        .narrow(1, 8, N)
        .unwrap();
    vec![("contiguous", c), ("permuted", t), ("blocks", b)]
}

/// An output in the memory order the allocating op would choose: transposed for a transposed
/// input, row-major otherwise.
fn out_like(x: &Tensor<f32>) -> Tensor<f32> {
    if x.strides()[0] == 1 {
        Tensor::<f32>::zeros(&[N, N])
            .unwrap()
            .transpose(0, 1)
            .unwrap()
    } else {
        Tensor::<f32>::zeros(&[N, N]).unwrap()
    }
}

fn map(c: &mut Criterion) {
    let mut g = c.benchmark_group("map_relu_1024x1024");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Bytes((8 * N * N) as u64));
    for (name, x) in inputs() {
        let mut out = out_like(&x);
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| x.map_into_exec(Relu, &mut out, one_thread()).unwrap())
        });
    }
    let x = &inputs()[0].1;
    g.bench_function(BenchmarkId::from_parameter("contiguous_alloc"), |b| {
        b.iter(|| x.map_exec(Relu, one_thread()).unwrap())
    });
    g.finish();
}

fn zip(c: &mut Criterion) {
    let mut g = c.benchmark_group("zip_add_1024x1024");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Bytes((12 * N * N) as u64));
    let ins = inputs();
    let row = Tensor::<f32>::randn_seeded(&[N], 4).unwrap();
    let cases: Vec<(&str, &Tensor<f32>, &Tensor<f32>)> = vec![
        ("contiguous", &ins[0].1, &ins[0].1),
        ("permuted", &ins[1].1, &ins[1].1),
        ("blocks", &ins[2].1, &ins[0].1),
        ("broadcast_row", &ins[0].1, &row),
    ];
    for (name, a, b2) in cases {
        let mut out = out_like(a);
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| a.zip_into_exec(b2, Add, &mut out, one_thread()).unwrap())
        });
    }
    g.finish();
}

fn reduce(c: &mut Criterion) {
    let mut g = c.benchmark_group("reduce_sum_1024x1024");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Bytes((4 * (N * N + N)) as u64));
    for (name, x) in inputs() {
        for dim in [-1isize, 0] {
            let id = format!("{name}_dim{}", if dim == 0 { "0" } else { "-1" });
            g.bench_function(BenchmarkId::from_parameter(id), |b| {
                b.iter(|| x.reduce_exec(Sum, dim, one_thread()).unwrap())
            });
        }
    }
    g.finish();
}

fn scaling(c: &mut Criterion) {
    // 2^21 f32 elements: 8 MiB in + 8 MiB out, L3-resident.
    let n = 1usize << 21;
    let x = Tensor::<f32>::randn_seeded(&[n], 5).unwrap();
    let mut out = Tensor::<f32>::zeros(&[n]).unwrap();
    for (kernel, label) in [(0, "exp"), (1, "relu")] {
        let mut g = c.benchmark_group(format!("map_{label}_2^21_threads"));
        g.sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .throughput(Throughput::Bytes((8 * n) as u64));
        for t in [1, 2] {
            g.bench_function(BenchmarkId::from_parameter(t), |b| {
                b.iter(|| match kernel {
                    0 => x.map_into_exec(Exp, &mut out, threads(t)).unwrap(),
                    _ => x.map_into_exec(Relu, &mut out, threads(t)).unwrap(),
                })
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = map, zip, reduce, scaling
}
criterion_main!(benches);
