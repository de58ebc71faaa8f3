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

use crate::measure::{self, Plan, Timing};

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
/// FMA steps per chain per call: about 10 ms per call at the expected peak.
const FMA_ITERS: usize = 1 << 22;

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
        let mut acc = [s.splat_f32s(black_box(0.5)); C];
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

/// FLOPs of one call of [`fma_call`] for `isa` on one thread.
fn fma_flops(isa: Isa) -> f64 {
    let (chains, lanes) = match isa {
        Isa::Avx512 => (CHAINS_AVX512, 16),
        Isa::Avx2 => (CHAINS_AVX2, 8),
    };
    (FMA_ITERS * chains * lanes * 2) as f64
}

/// One call of the FMA loop on the current thread; `None` if the CPU lacks `isa`.
fn fma_call(isa: Isa) -> Option<f32> {
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

/// Peak FMA rate in GFLOP/s for `isa` on `threads` threads (each runs its own register-only
/// FMA chains); `None` if the CPU lacks `isa` or `threads` is 0.
pub fn peak_fma_gflops(isa: Isa, threads: usize, plan: Plan) -> Option<f64> {
    fma_call(isa)?;
    if threads == 0 {
        return None;
    }
    let t = if threads == 1 {
        measure::time(plan, || {
            black_box(fma_call(isa));
        })
    } else {
        measure::time(plan, || {
            std::thread::scope(|sc| {
                for _ in 0..threads {
                    sc.spawn(|| black_box(fma_call(isa)));
                }
            })
        })
    };
    Some(t.giga_per_s(fma_flops(isa) * threads as f64))
}

/// A STREAM-like kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// Measures `kernel` with `n` f32 per array on `threads` threads (each thread takes a contiguous
/// share of every array; threads are spawned per call, which costs tens of µs: use several
/// threads only for multi-millisecond calls).
pub fn bandwidth(kernel: Stream, n: usize, threads: usize, plan: Plan) -> Bandwidth {
    let threads = threads.max(1);
    let arrays = kernel.arrays();
    let mut bufs: Vec<Vec<f32>> = (0..arrays)
        .map(|k| (0..n).map(|i| ((i + k) % 7) as f32 * 0.25).collect())
        .collect();
    let timing = if threads == 1 {
        measure::time(plan, || stream_call(kernel, &mut bufs))
    } else {
        // Split every array into `threads` contiguous shares, regrouped per thread.
        let share = n.div_ceil(threads);
        let mut shares: Vec<Vec<Vec<f32>>> = (0..threads).map(|_| Vec::new()).collect();
        for buf in &bufs {
            for (t, chunk) in buf.chunks(share.max(1)).enumerate() {
                shares[t].push(chunk.to_vec());
            }
        }
        measure::time(plan, || {
            std::thread::scope(|sc| {
                for mine in shares.iter_mut() {
                    sc.spawn(move || stream_call(kernel, mine));
                }
            })
        })
    };
    Bandwidth {
        kernel,
        n,
        threads,
        bytes: n * arrays * 4,
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
    /// [`Level`] on 1 thread, and read/triad at DRAM size on 2 threads.
    pub fn measure(quick: bool) -> Limits {
        let fma_plan = if quick {
            Plan::QUICK
        } else {
            Plan {
                reps: 15,
                ..Plan::DEFAULT
            }
        };
        let mut fma = Vec::new();
        for isa in [Isa::Avx512, Isa::Avx2] {
            for threads in [1, 2] {
                if let Some(g) = peak_fma_gflops(isa, threads, fma_plan) {
                    fma.push((isa, threads, g));
                }
            }
        }
        let mut bw = Vec::new();
        for level in Level::ALL {
            for kernel in [Stream::Read, Stream::Copy, Stream::Triad, Stream::Memcpy] {
                let n = n_for_working_set(kernel, level.bytes());
                bw.push((
                    level,
                    bandwidth(kernel, n, 1, plan_for(level.bytes(), quick)),
                ));
            }
        }
        for kernel in [Stream::Read, Stream::Triad] {
            let n = n_for_working_set(kernel, Level::Dram.bytes());
            bw.push((
                Level::Dram,
                bandwidth(kernel, n, 2, plan_for(Level::Dram.bytes(), quick)),
            ));
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
