//! The 2×2 / stride-2 pools on the bench-card shape `[8, 64, 56, 56]` (1 thread) next to their
//! bandwidth roofs measured in the same run: a SIMD copy moving the forward's bytes (input read,
//! a quarter of it written) and one moving the backward's (input and upstream gradient read,
//! input gradient written), so the ratio to the roof reads straight off one report.
//! Throughput: bytes as the bench card counts them for the input-reading kernels; the max
//! backward is timed both reading x (`maxpool2d_bwd`) and from the saved argmax
//! (`maxpool2d_bwd_argmax`, what `max_pool2d`'s node runs) in the same group.

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use simdgrad::conv::StridedRef;
use simdgrad::parallel::{self, Parallelism};
use simdgrad::pool::declared::{Avg2x2S2, Max2x2S2};
use simdgrad::pool::{self, PoolKernel, PoolShape};
use simdgrad_workspace::cases::input;
use simdgrad_workspace::limits::{Stream, StreamBench};

fn pools(c: &mut Criterion) {
    parallel::set(Parallelism {
        threads: 1,
        ..parallel::get()
    });
    let dims = [8usize, 64, 56, 56];
    let s = PoolShape::new(dims, [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
    let n: usize = dims.iter().product();
    let (x, g) = (input(n, 8), input(n / 4, 9));
    let xv = StridedRef::contiguous(&x, dims);
    let gv = StridedRef::contiguous(&g, s.output_shape());
    let (mut out, mut gx) = (vec![0.0f32; n / 4], vec![0.0f32; n]);

    let mut fwd = c.benchmark_group("pool_fwd/8x64x56x56_k2s2");
    fwd.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .throughput(Throughput::Bytes(4 * (n + n / 4) as u64));
    // Two arrays of 5n/8 f32: the forward's 5n bytes.
    let mut copy = StreamBench::new(Stream::Copy, n * 5 / 8, 1);
    fwd.bench_function("copy_roof", |b| b.iter(|| copy.run()));
    fwd.bench_function("maxpool2d", |b| {
        b.iter(|| Max2x2S2.forward(&s, xv, black_box(&mut out)).unwrap())
    });
    // The forward `max_pool2d` runs when x requires grad: values and one-byte offsets (filled
    // here too, so the backward from them reads real offsets whatever the filter).
    let mut at = vec![0u8; n / 4];
    Max2x2S2.forward_argmax(&s, xv, &mut out, &mut at).unwrap();
    fwd.bench_function("maxpool2d_argmax", |b| {
        b.iter(|| {
            Max2x2S2
                .forward_argmax(&s, xv, black_box(&mut out), black_box(&mut at))
                .unwrap()
        })
    });
    fwd.bench_function("avgpool2d", |b| {
        b.iter(|| Avg2x2S2.forward(&s, xv, black_box(&mut out)).unwrap())
    });
    fwd.bench_function("maxpool2d_old_scalar", |b| {
        b.iter(|| pool::maxpool2d_forward(&s, xv, black_box(&mut out)).unwrap())
    });
    fwd.finish();

    let mut bwd = c.benchmark_group("pool_bwd/8x64x56x56_k2s2");
    bwd.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .throughput(Throughput::Bytes(4 * (2 * n + n / 4) as u64));
    // Two arrays of 9n/8 f32: the backward's 9n bytes.
    let mut copy = StreamBench::new(Stream::Copy, n * 9 / 8, 1);
    bwd.bench_function("copy_roof", |b| b.iter(|| copy.run()));
    bwd.bench_function("maxpool2d_bwd", |b| {
        b.iter(|| Max2x2S2.backward(&s, xv, gv, black_box(&mut gx)).unwrap())
    });
    // The backward `max_pool2d`'s node runs: from the saved argmax, x not read (5.25n bytes
    // moved against the 9n of the group's throughput figure).
    bwd.bench_function("maxpool2d_bwd_argmax", |b| {
        b.iter(|| {
            Max2x2S2
                .backward_from_argmax(&s, &at, gv, black_box(&mut gx))
                .unwrap()
        })
    });
    bwd.bench_function("avgpool2d_bwd", |b| {
        b.iter(|| Avg2x2S2.backward(&s, xv, gv, black_box(&mut gx)).unwrap())
    });
    bwd.bench_function("maxpool2d_bwd_old_scalar", |b| {
        b.iter(|| pool::maxpool2d_backward(&s, xv, gv, black_box(&mut gx)).unwrap())
    });
    bwd.finish();
}

criterion_group!(benches, pools);
criterion_main!(benches);
