//! The generated map, zip and reduce rows. One thread: the generated kernel's slice driver
//! against the naive, plain and hand-written pulp baselines (and the generated backward for
//! maps). Two threads: the same kernels through the tensor drivers (`Tensor::map_into`, …,
//! outputs reused), which split the work over `simdgrad::parallel`'s threads; the tensor driver
//! is also timed on one thread so the speed-up compares like with like.

use std::time::{Duration, Instant};

use simdgrad::parallel::{self, Parallelism};
use simdgrad::Tensor;
use simdgrad_workspace::cases::{input, Impl, MapOp, ReduceOp, ZipOp};
use simdgrad_workspace::limits::Stream;
use simdgrad_workspace::measure::{self, Clock, Timing};

use crate::card::{Line, Unit};
use crate::roofs::Roofs;
use crate::Options;

pub const SIZES: [usize; 2] = [1 << 20, 1 << 24];
const ROWS: usize = 1024;
const COLS: usize = 1024;

/// The bench card's map rows, in its order; `tanh` is measured for the summary only.
const CARD_MAPS: [MapOp; 4] = [MapOp::Relu, MapOp::Sigmoid, MapOp::Exp, MapOp::Gelu];

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Map,
    Zip,
    Reduce,
}

/// One map / zip / reduce row with its comparisons.
pub struct KernelRow {
    /// The generated kernel on one thread (the `BENCH … 1 …` line).
    pub line: Line,
    /// Printed as a `BENCH` line (tanh is not a bench-card row).
    pub card: bool,
    /// `(implementation, timing)` on one thread, generated first.
    pub times: Vec<(Impl, Timing)>,
    /// Generated backward, for maps.
    pub backward: Option<Timing>,
    pub kind: Kind,
    /// Tensor driver on 1 and on 2 threads (bench-card rows only).
    pub tensor: Option<(Timing, Timing)>,
}

impl KernelRow {
    pub fn op(&self) -> &str {
        &self.line.op
    }

    pub fn shape(&self) -> &str {
        &self.line.shape
    }

    pub fn ms(&self, imp: Impl) -> f64 {
        self.times
            .iter()
            .find(|(i, _)| *i == imp)
            .map_or(f64::NAN, |(_, t)| t.median_ms)
    }

    /// GB/s of `imp` on this row's bytes.
    pub fn gbps(&self, imp: Impl) -> f64 {
        self.line.amount / (self.ms(imp) * 1e-3) / 1e9
    }

    /// Speed of the generated kernel relative to `imp` (> 1: generated is faster).
    pub fn speedup(&self, imp: Impl) -> f64 {
        self.ms(imp) / self.ms(Impl::Generated)
    }

    pub fn bwd_ratio(&self) -> Option<f64> {
        self.backward
            .as_ref()
            .map(|b| b.median_ms / self.ms(Impl::Generated))
    }

    /// Tensor driver, 1 thread / 2 threads.
    pub fn thread_speedup(&self) -> Option<f64> {
        self.tensor
            .as_ref()
            .map(|(t1, t2)| t1.median_ms / t2.median_ms)
    }
}

/// A call longer than this is a slow baseline (the naive loop, a scalar transcendental at
/// 2^24): it gets the fewest calls, so the card stays within minutes.
const SLOW_CALL: Duration = Duration::from_millis(20);

fn time_impls(o: &Options, mut call: impl FnMut(Impl)) -> Vec<(Impl, Timing)> {
    let (main, slow) = (o.plan(), o.slow_plan());
    Impl::ALL
        .iter()
        .map(|&imp| {
            let start = Instant::now();
            call(imp);
            let plan = if imp == Impl::Naive || start.elapsed() > SLOW_CALL {
                slow
            } else {
                main
            };
            (imp, measure::time(plan, || call(imp)))
        })
        .collect()
}

fn set_threads(threads: usize) {
    parallel::set(Parallelism {
        threads,
        ..parallel::get()
    });
}

/// Times `call` through the tensor driver on 1 and 2 threads; returns both timings and the
/// 2-thread line.
fn threads_pair(
    o: &Options,
    roofs: &mut Roofs,
    base: &Line,
    stream: Stream,
    mut call: impl FnMut(),
) -> ((Timing, Timing), Line) {
    let before = parallel::get();
    set_threads(1);
    let t1 = measure::time(o.plan(), &mut call);
    set_threads(2);
    let t2 = measure::time(o.plan().with_clock(Clock::Wall), &mut call);
    parallel::set(before);
    let line = Line {
        threads: 2,
        timing: t2.clone(),
        roof: roofs.bandwidth(stream, base.amount as usize, 2),
        ..base.clone()
    };
    line.print();
    ((t1, t2), line)
}

/// Measures every row; returns the rows and the 2-thread lines.
pub fn measure(o: &Options, roofs: &mut Roofs) -> (Vec<KernelRow>, Vec<Line>) {
    let mut rows = Vec::new();
    let mut lines2 = Vec::new();
    for n in SIZES {
        let (x, y, g) = (input(n, 1), input(n, 2), input(n, 3));
        let mut out = vec![0.0f32; n];
        let tensor = |v: &[f32]| Tensor::from_vec(v.to_vec(), &[n]).expect("input tensor");
        let (tx, ty) = (tensor(&x), tensor(&y));
        let mut tout = Tensor::<f32>::zeros(&[n]).expect("output tensor");
        for op in CARD_MAPS.into_iter().chain([MapOp::Tanh]) {
            let times = time_impls(o, |imp| {
                std::hint::black_box(op.run(imp, &x, &mut out)).ok();
            });
            let backward = measure::time(o.plan(), || {
                std::hint::black_box(op.backward(&x, &g, &mut out)).ok();
            });
            let bytes = MapOp::bytes(n);
            let mut row = KernelRow {
                line: line(
                    op.name(),
                    format!("n={n}"),
                    bytes,
                    &times,
                    roofs,
                    Stream::Copy,
                ),
                card: op != MapOp::Tanh,
                times,
                backward: Some(backward),
                kind: Kind::Map,
                tensor: None,
            };
            if row.card {
                row.line.print();
                let (pair, l2) = threads_pair(o, roofs, &row.line, Stream::Copy, || {
                    std::hint::black_box(op.run_tensor(&tx, &mut tout)).ok();
                });
                row.tensor = Some(pair);
                lines2.push(l2);
            }
            rows.push(row);
        }
        for op in ZipOp::ALL {
            let times = time_impls(o, |imp| {
                std::hint::black_box(op.run(imp, &x, &y, &mut out)).ok();
            });
            let bytes = ZipOp::bytes(n);
            let mut row = KernelRow {
                line: line(
                    op.name(),
                    format!("n={n}"),
                    bytes,
                    &times,
                    roofs,
                    Stream::Triad,
                ),
                card: true,
                times,
                backward: None,
                kind: Kind::Zip,
                tensor: None,
            };
            row.line.print();
            let (pair, l2) = threads_pair(o, roofs, &row.line, Stream::Triad, || {
                std::hint::black_box(op.run_tensor(&tx, &ty, &mut tout)).ok();
            });
            row.tensor = Some(pair);
            lines2.push(l2);
            rows.push(row);
        }
    }
    let x = input(ROWS * COLS, 4);
    let tx = Tensor::from_vec(x.clone(), &[ROWS, COLS]).expect("input tensor");
    for op in ReduceOp::ALL {
        let mut out = vec![0.0f32; op.out_len(ROWS, COLS)];
        let times = time_impls(o, |imp| {
            std::hint::black_box(op.run(imp, &x, ROWS, COLS, &mut out)).ok();
        });
        let bytes = op.bytes(ROWS, COLS);
        let mut row = KernelRow {
            line: line(
                op.name(),
                format!("{ROWS}x{COLS}"),
                bytes,
                &times,
                roofs,
                Stream::Read,
            ),
            card: true,
            times,
            backward: None,
            kind: Kind::Reduce,
            tensor: None,
        };
        row.line.print();
        let mut tout = Tensor::<f32>::zeros(&op.out_shape(ROWS, COLS)).expect("output tensor");
        let (pair, l2) = threads_pair(o, roofs, &row.line, Stream::Read, || {
            std::hint::black_box(op.run_tensor(&tx, &mut tout)).ok();
        });
        row.tensor = Some(pair);
        lines2.push(l2);
        rows.push(row);
    }
    (rows, lines2)
}

/// The 1-thread line of the generated kernel.
fn line(
    op: &str,
    shape: String,
    bytes: usize,
    times: &[(Impl, Timing)],
    roofs: &mut Roofs,
    stream: Stream,
) -> Line {
    Line {
        op: op.to_string(),
        shape,
        threads: 1,
        timing: times[0].1.clone(),
        amount: bytes as f64,
        unit: Unit::GBps,
        roof: roofs.bandwidth(stream, bytes, 1),
        allocates: false,
    }
}
