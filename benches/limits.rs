//! This machine's roofs under criterion: peak FMA (AVX-512, AVX2; 1 and 2 threads) in FLOP/s
//! (criterion's "elem/s" are FLOP/s here) and STREAM-like read / copy / triad / memcpy bandwidth
//! at L2-, L3- and DRAM-resident working sets. After criterion, prints the same roofs measured
//! by `simdgrad_workspace::limits` (the figures the bench card divides by) as one table.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use simdgrad_workspace::limits::{self, Isa, Level, Stream, StreamBench};
use simdgrad_workspace::measure::Clock;

fn peak_fma(c: &mut Criterion) {
    let mut g = c.benchmark_group("limits/peak_fma");
    g.sample_size(10).measurement_time(Duration::from_secs(2));
    for isa in [Isa::Avx512, Isa::Avx2] {
        if limits::fma_call(isa, 1).is_none() {
            eprintln!("limits: this CPU lacks {}, skipped", isa.name());
            continue;
        }
        for threads in [1, 2] {
            g.throughput(Throughput::Elements(limits::fma_flops(isa, threads) as u64));
            g.bench_function(format!("{}/threads={threads}", isa.name()), |b| {
                b.iter(|| black_box(limits::fma_call(isa, threads)))
            });
        }
    }
    g.finish();
}

fn bandwidth(c: &mut Criterion) {
    let mut g = c.benchmark_group("limits/bandwidth");
    g.sample_size(20).measurement_time(Duration::from_secs(2));
    let mut cases: Vec<(Level, Stream, usize)> = Vec::new();
    for level in Level::ALL {
        for kernel in [Stream::Read, Stream::Copy, Stream::Triad, Stream::Memcpy] {
            cases.push((level, kernel, 1));
        }
    }
    cases.push((Level::Dram, Stream::Read, 2));
    cases.push((Level::Dram, Stream::Triad, 2));
    for (level, kernel, threads) in cases {
        let n = limits::n_for_working_set(kernel, level.bytes());
        let mut bench = StreamBench::new(kernel, n, threads);
        g.throughput(Throughput::Bytes(bench.bytes() as u64));
        let id = format!("{}/{}/threads={threads}", kernel.name(), level.name());
        g.bench_function(id, |b| b.iter(|| bench.run()));
    }
    g.finish();
}

criterion_group!(benches, peak_fma, bandwidth);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --benches` runs this binary too: keep the extra table for `cargo bench`.
    if std::env::args().any(|a| a == "--bench") {
        println!("\nroofs (simdgrad_workspace::limits, median of >= 10 calls):");
        print!("{}", limits::Limits::measure(true, Clock::Wall).table());
    }
}
