//! Sum and max over the last dim and over the first dim of a [1024, 1024] matrix: generated
//! kernel against the naive index loop, the plain loop and hand-written pulp. Benchmark ids name
//! the path measured (see `ReduceOp::path_id`): the tensor-level reduce drivers are benchmarked
//! with their own issue. Throughput: `4·(rows·cols + outputs)` bytes.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use simdgrad_workspace::cases::{input, Impl, ReduceOp};

const ROWS: usize = 1024;
const COLS: usize = 1024;

fn reductions(c: &mut Criterion) {
    let x = input(ROWS * COLS, 6);
    for op in ReduceOp::ALL {
        let mut out = vec![0.0; op.out_len(ROWS, COLS)];
        let mut g = c.benchmark_group(format!("reduce/{}/{ROWS}x{COLS}", op.name()));
        g.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_millis(1500))
            .sample_size(20)
            .throughput(Throughput::Bytes(op.bytes(ROWS, COLS) as u64));
        for imp in Impl::ALL {
            g.bench_function(op.path_id(imp), |b| {
                b.iter(|| op.run(imp, &x, ROWS, COLS, &mut out))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, reductions);
criterion_main!(benches);
