//! This machine's roofs, measured in-process: peak FMA throughput (AVX-512 and AVX2) and
//! STREAM-like bandwidth (read, copy, triad) at L2-, L3- and DRAM-resident working sets.
//!
//! Every benchmark figure is read as a fraction of a roof measured in the same run, because the
//! machine is shared and its absolute speed drifts. Bytes are counted the way the kernels are
//! judged: each array read once plus each array written once (no write-allocate traffic), so a
//! `copy` of `n` floats moves `8·n` bytes, like a map, and a `triad` `12·n`, like a zip.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

use pulp::{Arch, Simd, WithSimd};

use crate::measure::{self, Clock, Plan, Timing};

fn arch() -> Arch {
    static ARCH: OnceLock<Arch> = OnceLock::new();
    *ARCH.get_or_init(Arch::new)
}

/// A vector instruction set whose peak FMA rate can be measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// x86-64 AVX-512 (pulp `V4`): 16 f32 lanes.
    Avx512,
    /// x86-64 AVX2 + FMA (pulp `V3`): 8 f32 lanes.
    Avx2,
}

impl Isa {
    /// Short display name.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
        }
    }
}

/// Independent FMA chains per thread: enough to cover 4-cycle latency on 2 pipes (8), with
/// slack, while staying in registers (32 zmm / 16 ymm registers, two hold the operands).
const CHAINS_AVX512: usize = 24;
const CHAINS_AVX2: usize = 12;
/// FMA steps per chain per call: about 0.2 ms per call at the expected peak, short enough that
/// most calls run within one scheduler slice on a shared machine.
const FMA_ITERS: usize = 1 << 16;

struct FmaChains<const C: usize> {
    iters: usize,
}

impl<const C: usize> WithSimd for FmaChains<C> {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) -> f32 {
        // black_box hides the values so no chain can be constant-folded; a·m + c with
        // m < 1 converges to c / (1 − m), far from overflow and from subnormals.
        let m = s.splat_f32s(black_box(0.999_999));
        let c = s.splat_f32s(black_box(1e-7));
        // Distinct starting values, so the compiler cannot merge identical chains.
        let mut acc: [S::f32s; C] =
            core::array::from_fn(|i| s.splat_f32s(black_box(0.5 + i as f32 * 1e-3)));
        for _ in 0..self.iters {
            for a in acc.iter_mut() {
                *a = s.mul_add_f32s(*a, m, c);
            }
        }
        let mut total = s.splat_f32s(0.0);
        for a in acc {
            total = s.add_f32s(total, a);
        }
        s.reduce_sum_f32s(total)
    }
}

/// FLOPs of one call of [`fma_call`] for `isa` on `threads` threads.
pub fn fma_flops(isa: Isa, threads: usize) -> f64 {
    let (chains, lanes) = match isa {
        Isa::Avx512 => (CHAINS_AVX512, 16),
        Isa::Avx2 => (CHAINS_AVX2, 8),
    };
    (FMA_ITERS * chains * lanes * 2 * threads) as f64
}

/// One call of the FMA loop on the current thread; `None` if the CPU lacks `isa`.
fn fma_one_thread(isa: Isa) -> Option<f32> {
    #[cfg(target_arch = "x86_64")]
    {
        use pulp::x86::{V3, V4};
        let iters = FMA_ITERS;
        match isa {
            Isa::Avx512 => {
                V4::try_new().map(|s| Simd::vectorize(s, FmaChains::<CHAINS_AVX512> { iters }))
            }
            Isa::Avx2 => {
                V3::try_new().map(|s| Simd::vectorize(s, FmaChains::<CHAINS_AVX2> { iters }))
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = isa;
        None
    }
}

/// One call of register-only FMA chains on each of `threads` threads (spawned per call);
/// `None` if the CPU lacks `isa`. Performs [`fma_flops`]`(isa, threads)` FLOPs.
pub fn fma_call(isa: Isa, threads: usize) -> Option<f32> {
    if threads <= 1 {
        return fma_one_thread(isa);
    }
    std::thread::scope(|sc| {
        let handles: Vec<_> = (0..threads)
            .map(|_| sc.spawn(|| fma_one_thread(isa)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .sum::<Option<f32>>()
    })
}

/// Peak FMA rate in GFLOP/s for `isa` on `threads` threads (each runs its own register-only
/// FMA chains); `None` if the CPU lacks `isa` or `threads` is 0.
pub fn peak_fma_gflops(isa: Isa, threads: usize, plan: Plan) -> Option<f64> {
    if threads == 0 {
        return None;
    }
    fma_one_thread(isa)?;
    // One kept-alive thread per share: spawning threads per call would add tens of µs to a
    // call of about 0.2 ms.
    let mut shares = vec![(); threads];
    let t = measure::time_team(plan, &mut shares, |_| {
        black_box(fma_one_thread(isa));
    });
    Some(t.giga_per_s(fma_flops(isa, threads)))
}

/// A STREAM-like kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// `s = Σ a[i]` (8 accumulators): bytes `4·n`.
    Read,
    /// `b[i] = a[i]` through SIMD loads and stores: bytes `8·n`, the roof of a map.
    Copy,
    /// `a[i] = b[i] + k·c[i]`: bytes `12·n`, the roof of a zip.
    Triad,
    /// `b.copy_from_slice(a)` (libc `memcpy`, which may use non-temporal stores): bytes `8·n`.
    Memcpy,
}

impl Stream {
    /// Short display name.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Read => "read",
            Stream::Copy => "copy",
            Stream::Triad => "triad",
            Stream::Memcpy => "memcpy",
        }
    }

    /// Arrays touched (each of `n` f32).
    pub fn arrays(self) -> usize {
        match self {
            Stream::Read => 1,
            Stream::Copy | Stream::Memcpy => 2,
            Stream::Triad => 3,
        }
    }
}

struct ReadK<'a>(&'a [f32]);
impl WithSimd for ReadK<'_> {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) -> f32 {
        let (head, tail) = S::as_simd_f32s(self.0);
        let mut acc = [s.splat_f32s(0.0); 8];
        let mut chunks = head.chunks_exact(8);
        for c in &mut chunks {
            for (a, &v) in acc.iter_mut().zip(c) {
                *a = s.add_f32s(*a, v);
            }
        }
        for &v in chunks.remainder() {
            acc[0] = s.add_f32s(acc[0], v);
        }
        let mut t = s.partial_load_f32s(tail);
        for a in acc {
            t = s.add_f32s(t, a);
        }
        s.reduce_sum_f32s(t)
    }
}

struct CopyK<'a>(&'a [f32], &'a mut [f32]);
impl WithSimd for CopyK<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (ah, at) = S::as_simd_f32s(self.0);
        let (bh, bt) = S::as_mut_simd_f32s(self.1);
        for (b, &a) in bh.iter_mut().zip(ah) {
            *b = a;
        }
        s.partial_store_f32s(bt, s.partial_load_f32s(at));
    }
}

struct TriadK<'a>(&'a mut [f32], &'a [f32], &'a [f32], f32);
impl WithSimd for TriadK<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let k = s.splat_f32s(self.3);
        let (ah, at) = S::as_mut_simd_f32s(self.0);
        let (bh, bt) = S::as_simd_f32s(self.1);
        let (ch, ct) = S::as_simd_f32s(self.2);
        for ((a, &b), &c) in ah.iter_mut().zip(bh).zip(ch) {
            *a = s.mul_add_f32s(k, c, b);
        }
        let v = s.mul_add_f32s(k, s.partial_load_f32s(ct), s.partial_load_f32s(bt));
        s.partial_store_f32s(at, v);
    }
}

/// Runs `kernel` once over `bufs` (one slice per array, each of the same length).
fn stream_call(kernel: Stream, bufs: &mut [Vec<f32>]) {
    match (kernel, bufs) {
        (Stream::Read, [a, ..]) => {
            black_box(arch().dispatch(ReadK(a)));
        }
        (Stream::Copy, [a, b, ..]) => arch().dispatch(CopyK(a, b)),
        (Stream::Memcpy, [a, b, ..]) => b.copy_from_slice(a),
        (Stream::Triad, [a, b, c, ..]) => arch().dispatch(TriadK(a, b, c, black_box(0.5))),
        _ => {}
    }
}

/// The arrays of one STREAM-like kernel, allocated and touched once, ready to be run many times.
///
/// With several threads every array is split into one contiguous share per thread, allocated
/// by that thread's share (threads are spawned per call, which costs tens of µs: use several
/// threads only for multi-millisecond calls).
#[derive(Debug)]
pub struct StreamBench {
    kernel: Stream,
    n: usize,
    /// `shares[thread][array]`.
    shares: Vec<Vec<Vec<f32>>>,
}

impl StreamBench {
    /// `kernel` over arrays of `n` f32 each, on `threads` threads (at least 1).
    pub fn new(kernel: Stream, n: usize, threads: usize) -> Self {
        let threads = threads.max(1);
        let share = n.div_ceil(threads).max(1);
        let shares = (0..threads)
            .map(|t| {
                let range = (t * share).min(n)..((t + 1) * share).min(n);
                (0..kernel.arrays())
                    .map(|k| range.clone().map(|i| ((i + k) % 7) as f32 * 0.25).collect())
                    .collect()
            })
            .collect();
        StreamBench { kernel, n, shares }
    }

    /// Bytes counted per call (each array once).
    pub fn bytes(&self) -> usize {
        self.n * self.kernel.arrays() * 4
    }

    /// Threads used per call.
    pub fn threads(&self) -> usize {
        self.shares.len()
    }

    /// One call of the kernel over the whole arrays.
    pub fn run(&mut self) {
        let kernel = self.kernel;
        if let [only] = self.shares.as_mut_slice() {
            stream_call(kernel, only);
            return;
        }
        std::thread::scope(|sc| {
            for mine in self.shares.iter_mut() {
                sc.spawn(move || stream_call(kernel, mine));
            }
        })
    }
}

/// A bandwidth measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Bandwidth {
    /// The kernel.
    pub kernel: Stream,
    /// Elements per array.
    pub n: usize,
    /// Threads used.
    pub threads: usize,
    /// Bytes counted per call.
    pub bytes: usize,
    /// Timing of one call.
    pub timing: Timing,
}

impl Bandwidth {
    /// GB/s at the median.
    pub fn gbps(&self) -> f64 {
        self.timing.gbps(self.bytes as f64)
    }
}

/// Measures `kernel` with `n` f32 per array on `threads` threads (kept alive across calls,
/// so sub-millisecond calls are not dominated by thread start-up; wall clock when `threads > 1`).
pub fn bandwidth(kernel: Stream, n: usize, threads: usize, plan: Plan) -> Bandwidth {
    let mut bench = StreamBench::new(kernel, n, threads);
    let (threads, bytes) = (bench.threads(), bench.bytes());
    let timing = measure::time_team(plan, &mut bench.shares, |share| stream_call(kernel, share));
    Bandwidth {
        kernel,
        n,
        threads,
        bytes,
        timing,
    }
}

/// Elements per array that make `kernel`'s working set about `bytes`.
pub fn n_for_working_set(kernel: Stream, bytes: usize) -> usize {
    (bytes / (4 * kernel.arrays())).max(16) / 16 * 16
}

/// The cache level a working-set size is meant to sit in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// 512 KiB working set (L2 is 1 MiB per core on Zen 5).
    L2,
    /// 8 MiB: L3-resident, the working set of a 2^20 map.
    L3,
    /// 256 MiB: DRAM, beyond the 32 MiB L3.
    Dram,
}

impl Level {
    /// All levels, smallest first.
    pub const ALL: [Level; 3] = [Level::L2, Level::L3, Level::Dram];

    /// Working-set size in bytes.
    pub fn bytes(self) -> usize {
        match self {
            Level::L2 => 512 << 10,
            Level::L3 => 8 << 20,
            Level::Dram => 256 << 20,
        }
    }

    /// Short display name.
    pub fn name(self) -> &'static str {
        match self {
            Level::L2 => "L2",
            Level::L3 => "L3",
            Level::Dram => "DRAM",
        }
    }
}

/// The plan used for roofs: generous warm-up (frequency ramp), median of ≥ 10 calls; small
/// working sets get more calls because each is microseconds long.
pub fn plan_for(bytes: usize, quick: bool) -> Plan {
    let base = if quick { Plan::QUICK } else { Plan::DEFAULT };
    let reps = if bytes <= 1 << 20 {
        base.reps * 20
    } else {
        base.reps
    };
    Plan {
        warmup_time: base
            .warmup_time
            .max(Duration::from_millis(if quick { 20 } else { 100 })),
        reps,
        ..base
    }
}

/// Every roof of this module, as printed by the `limits` bench and the bench card.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// `(isa, threads, GFLOP/s)`; ISAs the CPU lacks are left out.
    pub fma: Vec<(Isa, usize, f64)>,
    /// Bandwidth rows: `(level, measurement)`.
    pub bandwidth: Vec<(Level, Bandwidth)>,
}

impl Limits {
    /// Measures everything: FMA peaks on 1 and 2 threads, read/copy/triad/memcpy at every
    /// [`Level`] on 1 thread, and read/triad at DRAM size on 2 threads. Single-thread rows read
    /// `clock`; two-thread rows always read the wall clock.
    pub fn measure(quick: bool, clock: Clock) -> Limits {
        let fma_plan = if quick {
            Plan::QUICK
        } else {
            Plan {
                reps: 50,
                ..Plan::DEFAULT
            }
        };
        let clock_for = |threads: usize| if threads == 1 { clock } else { Clock::Wall };
        let mut fma = Vec::new();
        for isa in [Isa::Avx512, Isa::Avx2] {
            for threads in [1, 2] {
                let plan = fma_plan.with_clock(clock_for(threads));
                if let Some(g) = peak_fma_gflops(isa, threads, plan) {
                    fma.push((isa, threads, g));
                }
            }
        }
        let mut bw = Vec::new();
        let mut cases: Vec<(Level, Stream, usize)> = Vec::new();
        for level in Level::ALL {
            for kernel in [Stream::Read, Stream::Copy, Stream::Triad, Stream::Memcpy] {
                cases.push((level, kernel, 1));
            }
        }
        cases.push((Level::Dram, Stream::Read, 2));
        cases.push((Level::Dram, Stream::Triad, 2));
        for (level, kernel, threads) in cases {
            let n = n_for_working_set(kernel, level.bytes());
            let plan = plan_for(level.bytes(), quick).with_clock(clock_for(threads));
            bw.push((level, bandwidth(kernel, n, threads, plan)));
        }
        Limits { fma, bandwidth: bw }
    }

    /// The 1-thread GB/s of `kernel` at `level`, if measured.
    pub fn gbps(&self, level: Level, kernel: Stream) -> Option<f64> {
        self.bandwidth
            .iter()
            .find(|(l, b)| *l == level && b.kernel == kernel && b.threads == 1)
            .map(|(_, b)| b.gbps())
    }

    /// A plain-text table of every roof.
    pub fn table(&self) -> String {
        let mut s = String::from("limit                       threads   figure\n");
        for (isa, threads, g) in &self.fma {
            s += &format!(
                "peak FMA {:<19} {threads:>7}   {g:8.1} GFLOP/s\n",
                isa.name()
            );
        }
        for (level, b) in &self.bandwidth {
            let label = format!(
                "{} {} ({} KiB)",
                b.kernel.name(),
                level.name(),
                b.bytes >> 10
            );
            s += &format!("{label:<27} {:>7}   {:8.1} GB/s\n", b.threads, b.gbps());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_kernels_compute_what_they_claim() {
        let n = 100; // not a multiple of any lane count: exercises the tails
        let mut bufs: Vec<Vec<f32>> = vec![
            vec![0.0; n],
            (0..n).map(|i| i as f32).collect(),
            vec![2.0; n],
        ];
        stream_call(Stream::Triad, &mut bufs);
        assert!(bufs[0]
            .iter()
            .enumerate()
            .all(|(i, &v)| v == i as f32 + 1.0));
        let mut pair = vec![(0..n).map(|i| i as f32).collect::<Vec<_>>(), vec![0.0; n]];
        stream_call(Stream::Copy, &mut pair);
        assert_eq!(pair[0], pair[1]);
        assert_eq!(arch().dispatch(ReadK(&pair[0])), (n * (n - 1) / 2) as f32);
    }

    #[test]
    fn working_set_sizes_divide_among_arrays() {
        assert_eq!(n_for_working_set(Stream::Copy, 8 << 20), 1 << 20);
        assert_eq!(n_for_working_set(Stream::Read, 4 << 20), 1 << 20);
        assert_eq!(n_for_working_set(Stream::Triad, 12 << 20), 1 << 20);
    }

    #[test]
    fn stream_bench_splits_arrays_among_threads_without_losing_elements() {
        let mut b = StreamBench::new(Stream::Copy, 1001, 3);
        assert_eq!(b.threads(), 3);
        assert_eq!(b.shares.iter().map(|t| t[0].len()).sum::<usize>(), 1001);
        b.run();
        assert!(b.shares.iter().all(|t| t[0] == t[1]));
    }

    #[test]
    fn bandwidth_counts_each_array_once() {
        let b = bandwidth(Stream::Triad, 1024, 2, Plan::QUICK);
        assert_eq!(b.bytes, 12 * 1024);
        assert!(b.gbps() > 0.0);
    }

    #[test]
    fn fma_chains_converge_without_overflow() {
        let g = FmaChains::<4> { iters: 1000 };
        let v = arch().dispatch(g);
        assert!(v.is_finite() && v > 0.0);
    }
}
