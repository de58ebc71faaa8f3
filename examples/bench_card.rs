//! The bench card: `cargo run --release --example bench_card [-- --quick] [-- --markdown]`.
//!
//! Prints one machine-readable line per row,
//! `BENCH simdgrad <op> <shape> <threads> <median_ms> <value> <unit>`, for the generated map,
//! zip and reduce kernels (1 thread, median of ≥ 10 timed calls after warm-up, output buffers
//! reused, nothing allocated inside the timed calls), then a summary that reads every figure
//! against this machine's roofs measured in the same run and against the naive, plain and
//! hand-written pulp baselines, and which of the kernel-DSL issue's targets are met.
//!
//! `--quick`: fewer calls (still ≥ 10 timed). `--markdown`: the summary as markdown tables.
//! `--cpu-time`: time single-threaded calls on the thread's CPU clock instead of the wall clock,
//! for a machine shared with other busy processes (see `simdgrad_workspace::measure::Clock`).

use std::fmt::Write as _;

use simdgrad::kernel::{MapKernel, ReduceKernel, ZipKernel};
use simdgrad_workspace::cases::{input, Impl, MapOp, ReduceOp, ZipOp};
use simdgrad_workspace::limits::{self, Limits, Stream};
use simdgrad_workspace::measure::{self, Clock, Plan, Timing};
use simdgrad_workspace::ops;

const SIZES: [usize; 2] = [1 << 20, 1 << 24];
const ROWS: usize = 1024;
const COLS: usize = 1024;

/// The bench card's map rows, in its order; `tanh` is measured for the summary only.
const CARD_MAPS: [MapOp; 4] = [MapOp::Relu, MapOp::Sigmoid, MapOp::Exp, MapOp::Gelu];

struct Options {
    quick: bool,
    markdown: bool,
    clock: Clock,
}

/// One row of the summary.
struct Row {
    op: &'static str,
    shape: String,
    /// Printed as a `BENCH` line (tanh is not a bench-card row).
    card: bool,
    bytes: usize,
    /// `(implementation, timing)`, generated first.
    times: Vec<(Impl, Timing)>,
    /// The roof: kernel and GB/s at this size.
    roof: (Stream, f64),
    /// Generated backward, for maps.
    backward: Option<Timing>,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Zip,
    Reduce,
}

impl Row {
    fn ms(&self, imp: Impl) -> f64 {
        self.times
            .iter()
            .find(|(i, _)| *i == imp)
            .map_or(f64::NAN, |(_, t)| t.median_ms)
    }
    fn gbps(&self) -> f64 {
        self.bytes as f64 / (self.ms(Impl::Generated) * 1e-3) / 1e9
    }
    fn frac(&self) -> f64 {
        self.gbps() / self.roof.1
    }
    /// Speed of the generated kernel relative to `imp` (> 1: generated is faster).
    fn speedup(&self, imp: Impl) -> f64 {
        self.ms(imp) / self.ms(Impl::Generated)
    }
    fn bwd_ratio(&self) -> Option<f64> {
        self.backward
            .as_ref()
            .map(|b| b.median_ms / self.ms(Impl::Generated))
    }
}

fn plans(o: &Options) -> (Plan, Plan) {
    let main = if o.quick { Plan::QUICK } else { Plan::DEFAULT };
    // The naive loop takes up to hundreds of ms per call: the minimum number of calls.
    let slow = Plan {
        warmup_calls: 1,
        reps: measure::MIN_REPS,
        ..Plan::QUICK
    };
    (main.with_clock(o.clock), slow.with_clock(o.clock))
}

fn time_impls(o: &Options, mut call: impl FnMut(Impl)) -> Vec<(Impl, Timing)> {
    let (main, slow) = plans(o);
    Impl::ALL
        .iter()
        .map(|&imp| {
            let plan = if imp == Impl::Naive { slow } else { main };
            (imp, measure::time(plan, || call(imp)))
        })
        .collect()
}

fn bench_line(r: &Row) {
    println!(
        "BENCH simdgrad {} {} 1 {:.4} {:.2} GBps",
        r.op,
        r.shape,
        r.ms(Impl::Generated),
        r.gbps()
    );
}

/// The roof of a row: the same-size STREAM kernel that moves the same arrays.
fn roof(kernel: Stream, n: usize, o: &Options) -> (Stream, f64) {
    let bytes = n * kernel.arrays() * 4;
    let plan = limits::plan_for(bytes, o.quick).with_clock(o.clock);
    let b = limits::bandwidth(kernel, n, 1, plan);
    (kernel, b.gbps())
}

fn measure_rows(o: &Options) -> Vec<Row> {
    let mut rows = Vec::new();
    let main = plans(o).0;
    for n in SIZES {
        let (x, y, g) = (input(n, 1), input(n, 2), input(n, 3));
        let mut out = vec![0.0f32; n];
        let copy_roof = roof(Stream::Copy, n, o);
        let triad_roof = roof(Stream::Triad, n, o);
        for op in CARD_MAPS.into_iter().chain([MapOp::Tanh]) {
            let times = time_impls(o, |imp| {
                std::hint::black_box(op.run(imp, &x, &mut out)).ok();
            });
            let backward = measure::time(main, || {
                std::hint::black_box(op.backward(&x, &g, &mut out)).ok();
            });
            let r = Row {
                op: op.name(),
                shape: format!("n={n}"),
                card: op != MapOp::Tanh,
                bytes: MapOp::bytes(n),
                times,
                roof: copy_roof,
                backward: Some(backward),
                kind: Kind::Map,
            };
            if r.card {
                bench_line(&r);
            }
            rows.push(r);
        }
        for op in ZipOp::ALL {
            let times = time_impls(o, |imp| {
                std::hint::black_box(op.run(imp, &x, &y, &mut out)).ok();
            });
            let r = Row {
                op: op.name(),
                shape: format!("n={n}"),
                card: true,
                bytes: ZipOp::bytes(n),
                times,
                roof: triad_roof,
                backward: None,
                kind: Kind::Zip,
            };
            bench_line(&r);
            rows.push(r);
        }
    }
    let x = input(ROWS * COLS, 4);
    let read_roof = roof(Stream::Read, ROWS * COLS, o);
    for op in ReduceOp::ALL {
        let mut out = vec![0.0f32; op.out_len(ROWS, COLS)];
        let times = time_impls(o, |imp| {
            std::hint::black_box(op.run(imp, &x, ROWS, COLS, &mut out)).ok();
        });
        let r = Row {
            op: op.name(),
            shape: format!("{ROWS}x{COLS}"),
            card: true,
            bytes: op.bytes(ROWS, COLS),
            times,
            roof: read_roof,
            backward: None,
            kind: Kind::Reduce,
        };
        bench_line(&r);
        rows.push(r);
    }
    rows
}

fn summary(rows: &[Row], markdown: bool) -> String {
    let header = [
        "op", "shape", "gen ms", "GB/s", "roof", "of roof", "naive ms", "x naive", "plain ms",
        "x plain", "hand ms", "x hand", "bwd ms", "bwd/fwd",
    ];
    let mut cells: Vec<Vec<String>> = Vec::new();
    for r in rows {
        let op = if r.card {
            r.op.to_string()
        } else {
            format!("{} (*)", r.op)
        };
        let (bwd, ratio) = match (&r.backward, r.bwd_ratio()) {
            (Some(b), Some(q)) => (format!("{:.4}", b.median_ms), format!("{q:.2}")),
            _ => ("-".into(), "-".into()),
        };
        cells.push(vec![
            op,
            r.shape.clone(),
            format!("{:.4}", r.ms(Impl::Generated)),
            format!("{:.1}", r.gbps()),
            format!("{} {:.1}", r.roof.0.name(), r.roof.1),
            format!("{:.2}", r.frac()),
            format!("{:.3}", r.ms(Impl::Naive)),
            format!("{:.1}", r.speedup(Impl::Naive)),
            format!("{:.4}", r.ms(Impl::Plain)),
            format!("{:.2}", r.speedup(Impl::Plain)),
            format!("{:.4}", r.ms(Impl::PulpHand)),
            format!("{:.2}", r.speedup(Impl::PulpHand)),
            bwd,
            ratio,
        ]);
    }
    let mut s = String::new();
    if markdown {
        let _ = writeln!(s, "| {} |", header.join(" | "));
        let _ = writeln!(s, "|{}", "---|".repeat(header.len()));
        for c in &cells {
            let _ = writeln!(s, "| {} |", c.join(" | "));
        }
    } else {
        let widths: Vec<usize> = (0..header.len())
            .map(|i| {
                cells
                    .iter()
                    .map(|c| c[i].len())
                    .chain([header[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |c: &[String]| {
            c.iter()
                .zip(&widths)
                .map(|(v, w)| format!("{v:>w$}"))
                .collect::<Vec<_>>()
                .join("  ")
        };
        let h: Vec<String> = header.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(s, "{}", line(&h));
        for c in &cells {
            let _ = writeln!(s, "{}", line(c));
        }
    }
    let _ = writeln!(
        s,
        "\n(*) not a bench-card row. roof: same-size copy (maps), triad (zips), read (reductions), \
         1 thread, this run. x naive / x plain / x hand: baseline time / generated time. \
         bwd/fwd: generated backward time / generated forward time."
    );
    s
}

/// One target check: description, measured figure, met.
fn targets(rows: &[Row]) -> Vec<(String, String, bool)> {
    let mut t = Vec::new();
    let mut check = |what: String, figure: String, ok: bool| t.push((what, figure, ok));
    for r in rows {
        let name = format!("{} {}", r.op, r.shape);
        let transcendental = matches!(r.op, "exp" | "sigmoid" | "tanh" | "gelu");
        let memory_bound = r.kind == Kind::Zip || r.op == "relu" || r.shape == "n=16777216";
        if r.kind != Kind::Reduce {
            if memory_bound {
                check(
                    format!("{name}: >= 0.9 of {} bandwidth", r.roof.0.name()),
                    format!("{:.2}", r.frac()),
                    r.frac() >= 0.9,
                );
            }
            check(
                format!("{name}: >= 20x naive"),
                format!("{:.1}x", r.speedup(Impl::Naive)),
                r.speedup(Impl::Naive) >= 20.0,
            );
            let plain_goal = if transcendental && r.shape == "n=1048576" {
                8.0
            } else {
                1.0
            };
            check(
                format!("{name}: >= {plain_goal}x plain"),
                format!("{:.2}x", r.speedup(Impl::Plain)),
                r.speedup(Impl::Plain) >= plain_goal,
            );
        } else {
            check(
                format!("{name}: >= 0.9 of L3 read bandwidth"),
                format!("{:.2}", r.frac()),
                r.frac() >= 0.9,
            );
        }
        if r.shape == "n=1048576" && (r.op == "exp" || r.op == "sigmoid") {
            let limit = if r.op == "exp" { 0.10 } else { 0.16 };
            let ms = r.ms(Impl::Generated);
            check(
                format!("{name}: <= {limit} ms"),
                format!("{ms:.4} ms"),
                ms <= limit,
            );
        }
        check(
            format!("{name}: >= 0.95x hand-written pulp"),
            format!("{:.2}x", r.speedup(Impl::PulpHand)),
            r.speedup(Impl::PulpHand) >= 0.95,
        );
        if let Some(q) = r.bwd_ratio() {
            check(
                format!("{name}: backward <= 1.5x forward"),
                format!("{q:.2}x"),
                q <= 1.5,
            );
        }
    }
    t
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = Options {
        quick: args.iter().any(|a| a == "--quick"),
        markdown: args.iter().any(|a| a == "--markdown"),
        clock: if args.iter().any(|a| a == "--cpu-time") {
            Clock::ThreadCpu
        } else {
            Clock::Wall
        },
    };
    if let Some(bad) = args
        .iter()
        .find(|a| !["--quick", "--markdown", "--cpu-time", "--bench"].contains(&a.as_str()))
    {
        eprintln!("bench_card: unknown option {bad}; options: --quick, --markdown, --cpu-time");
        std::process::exit(2);
    }
    let rows = measure_rows(&o);
    softmax_rows(&o);
    println!("\nroofs measured in this run (1 thread unless stated):");
    print!("{}", Limits::measure(o.quick, o.clock).table());
    println!(
        "\nsummary (threads 1, median ms, {} clock):",
        o.clock.name()
    );
    print!("{}", summary(&rows, o.markdown));
    println!("\ngenerated kernels (forward; derived derivative):");
    let maps = [
        (ops::BenchRelu::FORMULA, ops::BenchRelu::DERIVATIVE),
        (ops::BenchExp::FORMULA, ops::BenchExp::DERIVATIVE),
        (ops::BenchSigmoid::FORMULA, ops::BenchSigmoid::DERIVATIVE),
        (ops::BenchTanh::FORMULA, ops::BenchTanh::DERIVATIVE),
        (ops::BenchGelu::FORMULA, ops::BenchGelu::DERIVATIVE),
    ];
    for (op, (f, d)) in MapOp::ALL.iter().zip(maps) {
        println!("  {}: {f}; d/dx = {d}", op.name());
    }
    for (name, f, da, db) in [
        (
            "add",
            ops::BenchAdd::FORMULA,
            ops::BenchAdd::DERIVATIVE_A,
            ops::BenchAdd::DERIVATIVE_B,
        ),
        (
            "mul",
            ops::BenchMul::FORMULA,
            ops::BenchMul::DERIVATIVE_A,
            ops::BenchMul::DERIVATIVE_B,
        ),
    ] {
        println!("  {name}: {f}; d/da = {da}; d/db = {db}");
    }
    for (name, f, p) in [
        ("sum", ops::BenchSum::FORMULA, ops::BenchSum::PATTERN),
        ("max", ops::BenchMax::FORMULA, ops::BenchMax::PATTERN),
    ] {
        println!("  {name}: {f}; pattern {p:?}");
    }
    let checks = targets(&rows);
    let met = checks.iter().filter(|c| c.2).count();
    println!("\ntargets: {met} of {} met", checks.len());
    if o.markdown {
        println!("| target | measured | status |\n|---|---|---|");
    }
    for (what, figure, ok) in &checks {
        if o.markdown {
            println!(
                "| {what} | {figure} | {} |",
                if *ok { "met" } else { "NOT met" }
            );
        } else {
            println!(
                "  [{}] {what}: {figure}",
                if *ok { "met" } else { "NOT met" }
            );
        }
    }
}

/// The softmax rows of the bench card (`1024x1024`, last dim, threads 1 and 2). Forward rows
/// allocate their output (the tensor API returns a fresh tensor); `softmax_bwd` times the
/// isolated backward kernel; `softmax_fwdbwd` runs forward + backward through autograd.
fn softmax_rows(o: &Options) {
    use simdgrad::nn::functional::softmax_backward;
    use simdgrad::parallel::{self, Parallelism};
    use simdgrad::Tensor;

    let (rows, cols) = (1024usize, 1024usize);
    let n = rows * cols;
    let x = Tensor::<f32>::randn_seeded(&[rows, cols], 1).expect("input");
    let g = Tensor::<f32>::randn_seeded(&[rows, cols], 2).expect("gradient");
    let y = x.softmax(-1).expect("softmax");
    // Wall clock: with 2 threads the calling thread's CPU time would miss the other's work.
    let plan = plans(o).0.with_clock(Clock::Wall);
    let before = parallel::get();
    println!();
    for threads in [1usize, 2] {
        parallel::set(Parallelism { threads, ..before });
        let line = |op: &str, bytes: usize, t: Timing| {
            println!(
                "BENCH simdgrad {op} {rows}x{cols} {threads} {:.4} {:.2} GBps",
                t.median_ms,
                t.gbps(bytes as f64)
            );
        };
        line(
            "softmax",
            8 * n,
            measure::time(plan, || drop(x.softmax(-1).expect("softmax"))),
        );
        line(
            "logsoftmax",
            8 * n,
            measure::time(plan, || drop(x.log_softmax(-1).expect("log_softmax"))),
        );
        line(
            "softmax_bwd",
            12 * n,
            measure::time(plan, || {
                drop(softmax_backward(&y, &g, -1).expect("backward"))
            }),
        );
        let leaf = x.detach().requires_grad_(true);
        line(
            "softmax_fwdbwd",
            16 * n,
            measure::time(plan, || {
                leaf.zero_grad();
                let out = leaf.softmax(-1).expect("softmax");
                out.backward_with(&g).expect("backward");
            }),
        );
    }
    parallel::set(before);
}
