//! The roof of each line, measured in the same run and cached: the peak FMA rate at the line's
//! thread count for convolutions, and for memory-bound lines the STREAM-like kernel with the
//! same access pattern (one array read: `read`; one read + one written: `copy`; more: `triad`)
//! over the same working set, on the same number of threads.

use std::collections::HashMap;

use simdgrad_workspace::limits::{self, Isa, Stream};
use simdgrad_workspace::measure::{Clock, Plan};

use crate::card::Roof;

pub struct Roofs {
    quick: bool,
    clock: Clock,
    bandwidth: HashMap<(Stream, usize, usize), f64>,
    fma: HashMap<usize, (Isa, f64)>,
}

impl Roofs {
    pub fn new(quick: bool, clock: Clock) -> Self {
        Roofs {
            quick,
            clock,
            bandwidth: HashMap::new(),
            fma: HashMap::new(),
        }
    }

    /// `kernel` over a working set of about `bytes`, on `threads` threads, in GB/s.
    pub fn bandwidth(&mut self, kernel: Stream, bytes: usize, threads: usize) -> Roof {
        let n = limits::n_for_working_set(kernel, bytes);
        let (quick, clock) = (self.quick, self.clock);
        let gbps = *self
            .bandwidth
            .entry((kernel, n, threads))
            .or_insert_with(|| {
                let plan = limits::plan_for(n * kernel.arrays() * 4, quick).with_clock(clock);
                limits::bandwidth(kernel, n, threads, plan).gbps()
            });
        Roof {
            label: format!("{} {}", kernel.name(), size_label(n * kernel.arrays() * 4)),
            value: gbps,
        }
    }

    /// Peak FMA on `threads` threads (AVX-512, else AVX2), in GFLOP/s.
    pub fn fma(&mut self, threads: usize) -> Roof {
        let (quick, clock) = (self.quick, self.clock);
        let (isa, g) = *self.fma.entry(threads).or_insert_with(|| {
            let plan = if quick {
                Plan::QUICK
            } else {
                Plan {
                    reps: 50,
                    ..Plan::DEFAULT
                }
            }
            .with_clock(clock);
            [Isa::Avx512, Isa::Avx2]
                .into_iter()
                .find_map(|isa| limits::peak_fma_gflops(isa, threads, plan).map(|g| (isa, g)))
                .unwrap_or((Isa::Avx2, f64::NAN))
        });
        Roof {
            label: format!("FMA {}", isa.name()),
            value: g,
        }
    }

    /// Every measured roof: `(label, threads, value, unit)`, for the report.
    pub fn all(&self) -> Vec<(String, usize, f64, &'static str)> {
        let mut rows: Vec<_> = self
            .fma
            .iter()
            .map(|(&t, &(isa, g))| (format!("peak FMA {}", isa.name()), t, g, "GFLOP/s"))
            .collect();
        let mut bw: Vec<_> = self.bandwidth.iter().collect();
        bw.sort_by_key(|((k, n, t), _)| (*t, k.name(), *n));
        rows.sort_by_key(|r| r.1);
        rows.extend(bw.into_iter().map(|(&(k, n, t), &g)| {
            (
                format!("{} {}", k.name(), size_label(n * k.arrays() * 4)),
                t,
                g,
                "GB/s",
            )
        }));
        rows
    }
}

/// `8 MiB`, `512 KiB`: the working set of a roof.
pub fn size_label(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        let mib = bytes as f64 / (1 << 20) as f64;
        if (mib - mib.round()).abs() < 0.05 {
            format!("{mib:.0} MiB")
        } else {
            format!("{mib:.1} MiB")
        }
    } else {
        format!("{} KiB", bytes >> 10)
    }
}
