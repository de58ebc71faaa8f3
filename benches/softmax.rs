//! Softmax and log-softmax over the last dim of a [1024, 1024] f32 matrix (performance.md's
//! case), and where the time goes, every figure from one run so the ratios compare like with
//! like:
//!
//! - `softmax_into` / `log_softmax_into`: the fused kernel into a reused output (no allocation);
//! - `softmax` / `log_softmax`: the tensor API, which allocates its output (a recycled buffer);
//! - `*_no_reuse`: the same with buffer reuse off (`simdgrad::tensor::set_buffer_reuse(false)`),
//!   i.e. a fresh 4 MB output from `malloc` each call, as before the cache; `exp` is a map that
//!   allocates, for comparison;
//! - `exp_into` and `max_rows_into`: the exp pass and the row-max pass alone (reused outputs);
//! - `fresh_4mb`: allocating a zeroed 4 MB buffer and writing each page (page-fault cost);
//! - `softmax_backward`, `log_softmax_backward`: the backward kernels (allocating);
//! - `softmax_fwdbwd`: forward and backward through autograd into a leaf's gradient;
//!
//! and the minor page faults per call of the allocating rows. One-thread rows read the thread's
//! CPU clock (the machine is shared: the wall clock there measures the other jobs too); the
//! two-thread rows read the wall clock. Not criterion, for that reason.
//!
//! Run: `cargo bench --bench softmax` (`-- --reps N` for more timed calls per row, default 40).

use simdgrad::nn::functional::{log_softmax_backward, softmax_backward};
use simdgrad::ops::builtins::{Exp, Max};
use simdgrad::parallel::{self, Parallelism};
use simdgrad::tensor::set_buffer_reuse;
use simdgrad::Tensor;
use simdgrad_workspace::measure::{self, Clock, Plan};

const ROWS: usize = 1024;
const COLS: usize = 1024;

fn set_threads(threads: usize) {
    parallel::set(Parallelism {
        threads,
        ..parallel::get()
    });
}

/// Minor page faults of this process so far (Linux; `None` elsewhere).
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name: state, ppid, pgrp, session, tty_nr,
    // tpgid, flags, minflt.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(7)?.parse().ok()
}

/// The rows measured so far: (name, threads, median ms).
struct Rows {
    plan: Plan,
    got: Vec<(&'static str, usize, f64)>,
}

impl Rows {
    /// Times `f` (after warm-up) and prints its median, min and page faults per call.
    fn time(&mut self, name: &'static str, threads: usize, mut f: impl FnMut()) {
        let plan = if threads == 1 {
            self.plan
        } else {
            self.plan.with_clock(Clock::Wall)
        };
        let t = measure::time(plan, &mut f);
        let calls = 20;
        let faults = minor_faults().map(|a| {
            for _ in 0..calls {
                f();
            }
            minor_faults().map_or(0.0, |b| (b - a) as f64 / calls as f64)
        });
        println!(
            "{name:<26} {threads}t  median {:>8.4} ms  min {:>8.4} ms  page faults/call {}",
            t.median_ms,
            t.min_ms,
            faults.map_or("n/a".to_string(), |f| format!("{f:.0}")),
        );
        self.got.push((name, threads, t.median_ms));
    }

    fn median(&self, name: &str, threads: usize) -> f64 {
        self.got
            .iter()
            .find(|r| r.0 == name && r.1 == threads)
            .map_or(f64::NAN, |r| r.2)
    }

    fn ratio(&self, a: &str, b: &str, threads: usize, why: &str) {
        println!(
            "  {a} / {b} ({threads}t) = {:.2}   {why}",
            self.median(a, threads) / self.median(b, threads)
        );
    }
}

/// One forward and backward through autograd, the gradient landing in `leaf`.
fn fwdbwd(leaf: &Tensor<f32>, g: &Tensor<f32>) {
    leaf.zero_grad();
    let out = leaf.softmax(-1).expect("softmax");
    out.backward_with(g).expect("backward");
}

fn main() {
    let mut reps = 40;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--reps" {
            reps = args.next().and_then(|v| v.parse().ok()).unwrap_or(reps);
        }
    }
    let before = parallel::get();
    let x = Tensor::<f32>::randn_seeded(&[ROWS, COLS], 1).expect("input");
    let g = Tensor::<f32>::randn_seeded(&[ROWS, COLS], 2).expect("gradient");
    let y = x.softmax(-1).expect("softmax");
    let ly = x.log_softmax(-1).expect("log_softmax");
    let leaf = x.detach().requires_grad_(true);
    let mut out = Tensor::<f32>::zeros(&[ROWS, COLS]).expect("output");
    let mut maxes = Tensor::<f32>::zeros(&[ROWS, 1]).expect("row maxima");
    let mut r = Rows {
        plan: Plan {
            warmup_calls: 5,
            reps,
            ..Plan::DEFAULT
        }
        .with_clock(Clock::ThreadCpu),
        got: Vec::new(),
    };
    println!("softmax over the last dim of [{ROWS}, {COLS}] f32, {reps} timed calls per row");

    for t in [1, 2] {
        set_threads(t);
        r.time("softmax_into", t, || {
            x.softmax_into(-1, &mut out).expect("softmax_into")
        });
        r.time("softmax", t, || drop(x.softmax(-1).expect("softmax")));
        r.time("log_softmax_into", t, || {
            x.log_softmax_into(-1, &mut out).expect("log_softmax_into")
        });
        r.time("log_softmax", t, || drop(x.log_softmax(-1)));
        r.time("softmax_backward", t, || {
            drop(softmax_backward(&y, &g, -1).expect("backward"))
        });
        r.time("log_softmax_backward", t, || {
            drop(log_softmax_backward(&ly, &g, -1).expect("backward"))
        });
        r.time("softmax_fwdbwd", t, || fwdbwd(&leaf, &g));
        if t == 2 {
            break;
        }
        r.time("exp_into", t, || x.map_into(Exp, &mut out).expect("exp"));
        r.time("exp", t, || drop(x.map(Exp).expect("exp")));
        r.time("max_rows_into", t, || {
            x.reduce_into(Max, -1, &mut maxes).expect("max")
        });
        r.time("fresh_4mb", t, || {
            let mut v = vec![0f32; ROWS * COLS];
            // One write per 4 KiB page.
            v.iter_mut().step_by(1024).for_each(|e| *e = 1.0);
            drop(std::hint::black_box(v));
        });
        set_buffer_reuse(false);
        r.time("softmax_no_reuse", t, || drop(x.softmax(-1)));
        r.time("softmax_backward_no_reuse", t, || {
            drop(softmax_backward(&y, &g, -1))
        });
        r.time("softmax_fwdbwd_no_reuse", t, || fwdbwd(&leaf, &g));
        r.time("exp_no_reuse", t, || drop(x.map(Exp)));
        set_buffer_reuse(true);
    }
    parallel::set(before);

    println!("ratios (same run):");
    r.ratio("softmax", "softmax_into", 1, "allocation cost with reuse");
    r.ratio("softmax_no_reuse", "softmax", 1, "the buffer cache's gain");
    r.ratio(
        "softmax_fwdbwd_no_reuse",
        "softmax_fwdbwd",
        1,
        "the buffer cache's gain",
    );
    r.ratio(
        "softmax_backward_no_reuse",
        "softmax_backward",
        1,
        "the buffer cache's gain",
    );
    r.ratio("exp_no_reuse", "exp", 1, "a map that allocates");
    r.ratio(
        "softmax_into",
        "exp_into",
        1,
        "softmax vs its exp pass alone",
    );
    r.ratio(
        "max_rows_into",
        "softmax_into",
        1,
        "share of the max pass, measured alone",
    );
    r.ratio("softmax_fwdbwd", "softmax", 1, "fwdbwd vs forward");
    for name in ["softmax_into", "softmax", "softmax_fwdbwd"] {
        println!(
            "  {name} 1t / 2t = {:.2}",
            r.median(name, 1) / r.median(name, 2)
        );
    }
}
