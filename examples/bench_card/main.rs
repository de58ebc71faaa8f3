//! The bench card: `cargo run --release --example bench_card [-- OPTIONS]`.
//!
//! Prints one machine-readable line per measurement of performance.md's bench card, on 1 and
//! 2 threads: `BENCH simdgrad <op> <shape> <threads> <median_ms> <value> <unit>` (median of
//! ≥ 10 timed calls after warm-up; outputs reused except where the table says a row
//! allocates). Then every figure as a fraction of this machine's limit measured in the same
//! run (peak FMA for convolutions, the same-size STREAM-like kernel for memory-bound rows), the
//! generated kernels against the naive, plain and hand-written pulp baselines, the
//! convolutions against im2col + GEMM (and the naive loop where cheap), issue 4's tensor rows
//! (matmul against the peak FMA rate, block paths against contiguous, autograd bookkeeping),
//! and which of the issues' targets are met.
//!
//! Options:
//! - `--quick`: fewer calls per row (still ≥ 10 timed);
//! - `--cpu-time`: time 1-thread rows on the thread's CPU clock (for a shared, busy machine;
//!   2-thread rows always read the wall clock);
//! - `--markdown`: print the tables as markdown;
//! - `--write FILE`: rewrite the generated block of FILE (BENCHMARKS.md) and write the chart
//!   to `docs/bench-chart.svg` next to it;
//! - `--chart FILE`: write the chart (SVG) to FILE.

mod card;
mod chart;
mod doc;
mod kernels;
mod nn;
mod report;
mod roofs;
mod tensor;

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use simdgrad::kernel::{MapKernel, ReduceKernel, ZipKernel};
use simdgrad_workspace::cases::MapOp;
use simdgrad_workspace::limits::Limits;
use simdgrad_workspace::measure::{self, Clock, Plan};
use simdgrad_workspace::ops;

use card::Line;

/// `--help`'s text: the options of the module documentation above.
const USAGE: &str = "\
Usage: cargo run --release --example bench_card [-- OPTIONS]

Measures the bench card's rows on 1 and 2 threads and prints one line per row
(BENCH simdgrad <op> <shape> <threads> <median_ms> <value> <unit>), then the
figures against this machine's measured limits and baselines, and the targets.

Options:
  --quick         fewer calls per row (still >= 10 timed)
  --cpu-time      time 1-thread rows on the thread's CPU clock (shared, busy machines);
                  2-thread rows always read the wall clock
  --markdown      print the tables as markdown
  --write FILE    rewrite the generated block of FILE (BENCHMARKS.md) and write the
                  chart to docs/bench-chart.svg next to it
  --chart FILE    write the chart (SVG) to FILE
  -h, --help      print this text
";

/// The command-line options.
pub struct Options {
    pub quick: bool,
    pub clock: Clock,
    markdown: bool,
    write: Option<PathBuf>,
    chart: Option<PathBuf>,
    args: Vec<String>,
}

impl Options {
    fn parse() -> Result<Self, String> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut o = Options {
            quick: false,
            clock: Clock::Wall,
            markdown: false,
            write: None,
            chart: None,
            args: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "-h" | "--help" => {
                    print!("{USAGE}");
                    std::process::exit(0);
                }
                "--quick" => o.quick = true,
                "--markdown" => o.markdown = true,
                "--cpu-time" => o.clock = Clock::ThreadCpu,
                // `cargo bench` passes `--bench` to every target.
                "--bench" => continue,
                "--write" | "--chart" => {
                    let path = it.next().ok_or(format!("{a} needs a file name"))?;
                    if a == "--write" {
                        o.write = Some(PathBuf::from(path));
                    } else {
                        o.chart = Some(PathBuf::from(path));
                    }
                    o.args.push(format!("{a} {path}"));
                    continue;
                }
                _ => {
                    return Err(format!(
                        "unknown option {a}; options: --quick, --cpu-time, --markdown, \
                         --write FILE, --chart FILE, --help"
                    ))
                }
            }
            o.args.push(a.clone());
        }
        Ok(o)
    }

    /// The plan of a sub-millisecond to few-millisecond row.
    pub fn plan(&self) -> Plan {
        let p = if self.quick {
            Plan::QUICK
        } else {
            Plan::DEFAULT
        };
        p.with_clock(self.clock)
    }

    /// The plan of a row of tens of milliseconds (convolutions): fewer calls.
    pub fn heavy_plan(&self) -> Plan {
        let p = if self.quick {
            Plan::QUICK
        } else {
            Plan {
                warmup_calls: 2,
                reps: 15,
                ..Plan::DEFAULT
            }
        };
        p.with_clock(self.clock)
    }

    /// The plan of a baseline that takes up to hundreds of ms per call: the fewest calls.
    pub fn slow_plan(&self) -> Plan {
        Plan {
            warmup_calls: 1,
            reps: measure::MIN_REPS,
            ..Plan::QUICK
        }
        .with_clock(self.clock)
    }

    fn command(&self) -> String {
        let mut c = "cargo run --release --example bench_card".to_string();
        if !self.args.is_empty() {
            c += " -- ";
            c += &self.args.join(" ");
        }
        c
    }
}

/// Lines in card order: by first appearance of `(op, shape)`, 1 thread before 2.
fn ordered<'a>(lines: impl IntoIterator<Item = &'a Line>) -> Vec<&'a Line> {
    let mut v: Vec<&Line> = lines.into_iter().collect();
    let keys: Vec<(String, String)> = v.iter().map(|l| (l.op.clone(), l.shape.clone())).collect();
    let first = |l: &Line| {
        keys.iter()
            .position(|k| k.0 == l.op && k.1 == l.shape)
            .unwrap_or(usize::MAX)
    };
    v.sort_by_key(|l| (first(l), l.threads));
    v
}

fn formulas() -> String {
    let mut s = String::from("generated kernels (forward; derived derivative):\n");
    let maps = [
        (ops::BenchRelu::FORMULA, ops::BenchRelu::DERIVATIVE),
        (ops::BenchExp::FORMULA, ops::BenchExp::DERIVATIVE),
        (ops::BenchSigmoid::FORMULA, ops::BenchSigmoid::DERIVATIVE),
        (ops::BenchTanh::FORMULA, ops::BenchTanh::DERIVATIVE),
        (ops::BenchGelu::FORMULA, ops::BenchGelu::DERIVATIVE),
    ];
    for (op, (f, d)) in MapOp::ALL.iter().zip(maps) {
        s += &format!("  {}: {f}; d/dx = {d}\n", op.name());
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
        s += &format!("  {name}: {f}; d/da = {da}; d/db = {db}\n");
    }
    for (name, f, p) in [
        ("sum", ops::BenchSum::FORMULA, ops::BenchSum::PATTERN),
        ("max", ops::BenchMax::FORMULA, ops::BenchMax::PATTERN),
    ] {
        s += &format!("  {name}: {f}; pattern {p:?}\n");
    }
    s
}

/// The chart's path for `--write FILE`: `docs/bench-chart.svg` beside FILE.
fn default_chart(md: &Path) -> PathBuf {
    md.parent()
        .unwrap_or(Path::new(""))
        .join("docs")
        .join("bench-chart.svg")
}

fn main() {
    let o = match Options::parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench_card: {e}");
            std::process::exit(2);
        }
    };
    let (started, clock_start, load_before) =
        (SystemTime::now(), Instant::now(), doc::load_average());
    let mut roofs = roofs::Roofs::new(o.quick, o.clock);
    let (rows, lines2) = kernels::measure(&o, &mut roofs);
    let nn = nn::measure(&o, &mut roofs);
    let tensor = tensor::measure(&o, &mut roofs);
    let limits = Limits::measure(o.quick, o.clock);
    let elapsed = clock_start.elapsed();
    let load_after = doc::load_average();

    let all = ordered(
        rows.iter()
            .filter(|r| r.card)
            .map(|r| &r.line)
            .chain(&lines2)
            .chain(&nn.lines)
            .chain(&tensor.lines),
    );
    let tables = [
        report::lines_table(&all),
        report::kernels_table(&rows),
        report::conv_table(&nn.lines, &nn.conv_baselines),
        report::roofs_table(&roofs.all()),
    ];
    let all_lines: Vec<Line> = all.iter().map(|&l| l.clone()).collect();
    let mut checks = report::targets(&rows, &all_lines);
    checks.extend(report::tensor_targets(&tensor, &all_lines));
    let run = format!(
        "{}, {:.0} s; {}; load average {} before, {} after; {} clock for 1-thread rows",
        doc::utc(started),
        elapsed.as_secs_f64(),
        doc::machine(),
        load_before,
        load_after,
        o.clock.name()
    );

    println!("\nrun: {run}");
    println!("\nmachine limits (simdgrad_workspace::limits, 1 thread unless stated):");
    print!("{}", limits.table());
    for t in &tables {
        println!();
        print!("{}", t.render(o.markdown));
    }
    println!();
    print!("{}", report::render_targets(&checks, o.markdown));
    println!();
    print!("{}", formulas());

    let chart_path = o
        .chart
        .clone()
        .or_else(|| o.write.as_deref().map(default_chart));
    if let Some(path) = &chart_path {
        let subtitle = doc::utc(started);
        match chart::write(path, &rows, &all_lines, &nn.conv_baselines, &subtitle) {
            Ok(()) => println!("\nchart written to {}", path.display()),
            Err(e) => {
                eprintln!("bench_card: cannot write the chart {}: {e}", path.display());
                std::process::exit(1);
            }
        }
    }
    if let Some(md) = &o.write {
        let chart_link = chart_path.as_deref().map(|c| {
            let base = md.parent().unwrap_or(Path::new(""));
            c.strip_prefix(base).unwrap_or(c).display().to_string()
        });
        let block = markdown_block(&o, &run, &limits, &all, &tables, &checks, chart_link);
        if let Err(e) = doc::splice(md, &block) {
            eprintln!("bench_card: {e}");
            std::process::exit(1);
        }
        println!("{} rewritten (generated block)", md.display());
    }
}

fn markdown_block(
    o: &Options,
    run: &str,
    limits: &Limits,
    all: &[&Line],
    tables: &[report::Table],
    checks: &[report::Check],
    chart: Option<String>,
) -> String {
    let mut s = format!(
        "{} (generated by the command below; edit the notes outside this block) -->\n\
         ## Bench card (generated)\n\n\
         Command: `{}` (from the workspace root).\n\n\
         Run: {run}.\n",
        doc::BEGIN,
        o.command()
    );
    if let Some(c) = chart {
        s += &format!("\n![bench card chart]({c})\n");
    }
    s += "\n### BENCH lines\n\n```text\n";
    for l in all {
        s += &l.bench();
        s.push('\n');
    }
    s += "```\n\n";
    for t in tables {
        s += &t.render(true);
        s.push('\n');
    }
    s += "### Machine limits (`simdgrad_workspace::limits`)\n\n```text\n";
    s += &limits.table();
    s += "```\n\n";
    s += &report::render_targets(checks, true);
    s += "\n";
    s += doc::END;
    s
}
