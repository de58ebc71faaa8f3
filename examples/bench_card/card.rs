//! One bench-card measurement (`Line`) and its roof: the figure printed as a `BENCH` line and
//! read as a fraction of the machine limit measured in the same run.

use simdgrad_workspace::measure::Timing;

/// The unit of a line's figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// 10^9 bytes per second (each input read once, each output written once).
    GBps,
    /// 10^9 FLOPs per second (convolutions: `2·B·O·C·KH·KW·OH·OW` per forward).
    GFLOPs,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::GBps => "GBps",
            Unit::GFLOPs => "GFLOPs",
        }
    }
}

/// A machine limit in the unit of the lines it judges.
#[derive(Clone, Debug, PartialEq)]
pub struct Roof {
    /// What was measured, e.g. `copy 8 MiB` or `FMA avx512`.
    pub label: String,
    /// The limit, in the line's unit.
    pub value: f64,
}

/// One `BENCH simdgrad <op> <shape> <threads> <median_ms> <value> <unit>` line.
#[derive(Clone, Debug)]
pub struct Line {
    pub op: String,
    pub shape: String,
    pub threads: usize,
    pub timing: Timing,
    /// Bytes or FLOPs per call.
    pub amount: f64,
    pub unit: Unit,
    pub roof: Roof,
    /// Whether each timed call allocates its output (see the card's note for which rows do).
    pub allocates: bool,
}

impl Line {
    pub fn median_ms(&self) -> f64 {
        self.timing.median_ms
    }

    /// GB/s or GFLOP/s at the median.
    pub fn value(&self) -> f64 {
        self.timing.giga_per_s(self.amount)
    }

    /// The figure as a fraction of its roof.
    pub fn frac(&self) -> f64 {
        self.value() / self.roof.value
    }

    /// The machine-readable line (performance.md's format).
    pub fn bench(&self) -> String {
        format!(
            "BENCH simdgrad {} {} {} {:.4} {:.2} {}",
            self.op,
            self.shape,
            self.threads,
            self.median_ms(),
            self.value(),
            self.unit.name()
        )
    }

    /// Prints the `BENCH` line (as soon as it is measured, so a long run shows progress).
    pub fn print(&self) {
        println!("{}", self.bench());
    }
}
