//! The cost of autograd bookkeeping: the same forward at 2^20 f32 elements with gradient
//! tracking (inputs that require grad: every op records a node, saving handles, not data)
//! and without (inside `no_grad`). Target: tracked ≤ 1.1× untracked.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use simdgrad::autograd::no_grad;
use simdgrad::Tensor;
use simdgrad_workspace::measure::{self, Plan};

const ROWS: usize = 1024;
const COLS: usize = 1024;

struct Inputs {
    x: Tensor<f32>,
    w: Tensor<f32>,
    b: Tensor<f32>,
}

fn inputs() -> Inputs {
    Inputs {
        x: Tensor::randn_seeded(&[ROWS, COLS], 1)
            .unwrap()
            .requires_grad_(true),
        w: Tensor::randn_seeded(&[ROWS, COLS], 2)
            .unwrap()
            .requires_grad_(true),
        b: Tensor::randn_seeded(&[COLS], 3)
            .unwrap()
            .requires_grad_(true),
    }
}

/// Elementwise forward: relu(x · w + b) summed over the last dim, through a transposed view
/// (5 recorded ops, each a full pass over 2^20 elements except the views).
fn forward(i: &Inputs) -> Tensor<f32> {
    let h = i.x.mul(&i.w).unwrap().add(&i.b).unwrap().relu().unwrap();
    h.transpose(0, 1).unwrap().sum(0).unwrap()
}

fn overhead(c: &mut Criterion) {
    let i = inputs();
    let mut g = c.benchmark_group("autograd/forward_2^20/f32");
    g.sample_size(30).measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements((ROWS * COLS) as u64));
    g.bench_function("tracked", |bench| bench.iter(|| black_box(forward(&i))));
    g.bench_function("no_grad", |bench| {
        bench.iter(|| black_box(no_grad(|| forward(&i))))
    });
    g.bench_function("tracked+backward", |bench| {
        bench.iter(|| {
            forward(&i).sum_all().unwrap().backward().unwrap();
            for t in [&i.x, &i.w, &i.b] {
                t.zero_grad();
            }
        })
    });
    g.finish();
}

fn summary() {
    let i = inputs();
    let plan = Plan {
        reps: 40,
        ..Plan::DEFAULT
    };
    // Interleave the two measurements so drift on the shared machine hits both alike.
    let mut ratios = Vec::new();
    let (mut tracked, mut untracked) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let t = measure::time(plan, || {
            black_box(forward(&i));
        });
        let u = measure::time(plan, || {
            black_box(no_grad(|| forward(&i)));
        });
        ratios.push(t.median_ms / u.median_ms);
        tracked.push(t.median_ms);
        untracked.push(u.median_ms);
    }
    let t = measure::median(&tracked).unwrap_or(f64::NAN);
    let u = measure::median(&untracked).unwrap_or(f64::NAN);
    println!(
        "\nautograd bookkeeping at 2^20 f32 (x*w+b, relu, transpose, sum; median of 3 rounds of {} calls):",
        plan.reps
    );
    println!(
        "  tracked {t:.4} ms, no_grad {u:.4} ms, ratio {:.3} (per round: {:?})",
        t / u,
        ratios
            .iter()
            .map(|r| (r * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    );
}

criterion_group!(benches, overhead);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if std::env::args().any(|a| a == "--bench") {
        summary();
    }
}
