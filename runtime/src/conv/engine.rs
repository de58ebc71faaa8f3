//! The SIMD convolution engine: register-blocked direct convolution over a [`Plan`].
//!
//! Forward (and input-gradient, which is a forward conv of another plan): the output is
//! vectorised along the flat output position `n = y·wph + x`, and a tile of `OB` output
//! channels × `NV` registers of positions lives in `OB·NV` (24) accumulators. For each tap
//! `(c, p, q)` the tile loads `NV` input registers (unit stride, thanks to the packing) and
//! broadcasts `OB` weights: `NV + OB` loads per `OB·NV` FMAs. Weights are pre-packed per block
//! as `[tap][OB]`. Results go to a per-block scratch row of `nr` positions, whose valid columns
//! are then copied to the output — or straight to the output when the flat positions are
//! exactly the output's (a 1-D conv whose width is whole registers).
//!
//! Waste control: the flat run stops at the last row's last valid column, and its final
//! registers get narrower tiles (of 2 and 1 registers) instead of a whole padded tile. When an
//! output row fits one register and that wastes fewer lanes than the flat run (conv2d_C: a
//! 14-wide output on 16 lanes computes 224 positions instead of 256 for its 196), the tile runs
//! in *row mode*: register `v` holds output row `v`, loaded one packed row apart.
//!
//! Weight gradient: `gw[o][tap] = Σ_b Σ_n g[b][o][n] · X[b][tap_offset + n]`, a tile of output
//! channels × taps of vector accumulators (4 × 6 on AVX-512, 2 × 5 on the 16 registers of AVX2)
//! over a cache-sized segment of `n`, summed over a chunk of batch elements packed together
//! (an L2-sized chunk: LeNet's whole `n` is one short segment, so reducing after each batch
//! element made the horizontal sums a large share of the work) and reduced at the end of the
//! chunk. The output gradient is laid out over the same flat positions with zeros in the garbage
//! columns, so they contribute nothing.
//!
//! `f32` plans where that still wastes lanes (narrow rows, output channels a multiple of the
//! lane count, as conv2d_C) run on [`super::channels`] instead, which puts output channels in
//! the lanes ([`super::channels::wins`] decides).
//!
//! `KH`/`KW` are the kernel extents when known at compile time (the specialised kernels), or 0
//! for run-time extents (the generic kernel, which walks a table of tap offsets).

use std::sync::Mutex;

use pulp::{Simd, WithSimd};

use super::epilogue::Epilogue;
use super::plan::Plan;
use super::StridedRef;
use crate::kernel::arch;
use crate::parallel;
use crate::simd::SimdElement;

/// Output-channel block sizes of the forward tile and the register count along `n` that goes
/// with each (24 accumulators in every case).
const BLOCKS: [(usize, usize); 3] = [(8, 3), (6, 4), (4, 6)];

/// The block size wasting the fewest padded output channels (ties: the larger block).
pub(super) fn pick_block(out_c: usize) -> usize {
    BLOCKS
        .iter()
        .map(|&(ob, _)| ob)
        .min_by_key(|&ob| (out_c.div_ceil(ob) * ob, usize::MAX - ob))
        .unwrap_or(8)
}

/// Packs the weight for the engine: block `k` holds `[tap][ob]` for output channels
/// `k·OB .. k·OB + OB` (zeros past `out_c`).
fn pack_weight<E: SimdElement>(
    plan: &Plan,
    ob: usize,
    value: impl Fn(usize, usize, usize, usize) -> E,
) -> Vec<E> {
    let taps = plan.src_c * plan.kh * plan.kw;
    let blocks = plan.out_c.div_ceil(ob);
    let mut w = vec![E::ZERO; blocks * taps * ob];
    for o in 0..plan.out_c {
        let (blk, lane) = (o / ob, o % ob);
        let mut t = 0;
        for c in 0..plan.src_c {
            for p in 0..plan.kh {
                for q in 0..plan.kw {
                    w[(blk * taps + t) * ob + lane] = value(o, c, p, q);
                    t += 1;
                }
            }
        }
    }
    w
}

/// Splits `out` into consecutive chunks at the given boundaries (ascending, within `out`).
pub(super) fn split_at_bounds<'a, E>(
    mut out: &'a mut [E],
    bounds: &[usize],
) -> Vec<Mutex<&'a mut [E]>> {
    let mut chunks = Vec::with_capacity(bounds.len());
    let mut at = 0;
    for &end in bounds {
        let (head, tail) = out.split_at_mut(end - at);
        chunks.push(Mutex::new(head));
        out = tail;
        at = end;
    }
    chunks
}

/// Number of tasks for `macs` multiply-adds split into at most `units` pieces.
pub(super) fn tasks_for(macs: usize, units: usize) -> usize {
    // A multiply-add is far cheaper than the memory-bound element the threshold is tuned for.
    parallel::tasks_for(macs / 32).min(units).max(1)
}

/// The forward engine on `plan` (forward conv or input gradient). `weight(o, c, p, q)` reads
/// the plan's weight; `out` is the contiguous `(batch, out_c, out_h, out_w)` result, passed
/// through the epilogue `A` while the tile is still in registers (or in the block's scratch row,
/// when the pre-activation is also wanted in `pre`, same layout as `out`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward<E: SimdElement, A: Epilogue, const KH: usize, const KW: usize>(
    plan: &Plan,
    src: StridedRef<'_, E, 4>,
    weight: impl Fn(usize, usize, usize, usize) -> E,
    bias: Option<&[E]>,
    out: &mut [E],
    pre: Option<&mut [E]>,
) {
    if out.is_empty() {
        return;
    }
    let mut pre = pre;
    if super::channels::try_forward::<E, A>(plan, src, &weight, bias, &mut *out, pre.as_deref_mut())
    {
        return;
    }
    let ob = pick_block(plan.out_c);
    let wpk = pack_weight(plan, ob, weight);
    let nblk = plan.out_c.div_ceil(ob);
    let units = plan.batch * nblk;
    let hw = plan.out_h * plan.out_w;
    let macs = plan.batch * plan.out_c * hw * plan.src_c * plan.kh * plan.kw;
    let tasks = tasks_for(macs, units);
    let unit_start =
        |u: usize| (u / nblk) * plan.out_c * hw + ((u % nblk) * ob).min(plan.out_c) * hw;
    let ranges: Vec<(usize, usize)> = (0..tasks)
        .map(|t| (t * units / tasks, (t + 1) * units / tasks))
        .collect();
    let bounds: Vec<usize> = ranges.iter().map(|&(_, u1)| unit_start(u1)).collect();
    let chunks = split_at_bounds(out, &bounds);
    let pre_chunks = pre.map(|p| split_at_bounds(p, &bounds));
    let taps = plan.tap_offsets();
    parallel::run_tasks(tasks, |t| {
        let mut chunk = chunks[t].lock().unwrap_or_else(|e| e.into_inner());
        let mut pre = pre_chunks
            .as_ref()
            .map(|p| p[t].lock().unwrap_or_else(|e| e.into_inner()));
        let (u0, u1) = ranges[t];
        arch().dispatch(ForwardTask::<E, A, KH, KW> {
            plan,
            src,
            wpk: &wpk,
            taps: &taps,
            bias,
            ob,
            nblk,
            units: (u0, u1),
            out: &mut chunk,
            pre: pre.as_deref_mut().map(|p| &mut **p),
            _a: core::marker::PhantomData,
        });
    });
}

struct ForwardTask<'a, E, A, const KH: usize, const KW: usize> {
    plan: &'a Plan,
    src: StridedRef<'a, E, 4>,
    wpk: &'a [E],
    taps: &'a [usize],
    bias: Option<&'a [E]>,
    ob: usize,
    nblk: usize,
    units: (usize, usize),
    out: &'a mut [E],
    pre: Option<&'a mut [E]>,
    _a: core::marker::PhantomData<A>,
}

impl<E: SimdElement, A: Epilogue, const KH: usize, const KW: usize> WithSimd
    for ForwardTask<'_, E, A, KH, KW>
{
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        match self.ob {
            8 => self.run::<S, 8, 3>(s),
            // 24 accumulators spill on 16 registers; 6 × 2 fit (measured on AVX2: LeNet conv1
            // forward 535 → 335 µs, conv2 input gradient 1.84 → 1.25 ms). The 8 × 3 tile
            // spills too but its 8 × 1 replacement measured slower on conv2d_A, so it stays.
            // A `const` condition, so each backend compiles only its own 6-channel tile.
            6 => {
                if const { wide_registers::<E, S>() } {
                    self.run::<S, 6, 4>(s)
                } else {
                    self.run::<S, 6, 2>(s)
                }
            }
            _ => self.run::<S, 4, 6>(s),
        }
    }
}

impl<E: SimdElement, A: Epilogue, const KH: usize, const KW: usize> ForwardTask<'_, E, A, KH, KW> {
    #[inline(always)]
    fn run<S: Simd, const OB: usize, const NV: usize>(mut self, s: S) {
        // Without a pre-activation copy the activation is applied in registers, before the
        // tile is stored; with one, the tile is stored raw and activated row by row below.
        let act_in_registers = self.pre.is_none();
        let plan = self.plan;
        let lanes = E::lanes::<S>();
        // Row mode: one register per output row, when rows fit a register with less waste
        // than the flat run (a 14-wide output: 14 of 16 lanes, against 196 of 256 flat).
        let flat_regs = plan.nflat().div_ceil(lanes);
        let row_mode = plan.out_w <= lanes && plan.out_h < flat_regs;
        // Registers per block row, the input distance between consecutive registers, the
        // scratch distance between output rows, and how far past a tap offset a tile reads.
        let (regs, xstride, fr, reach) = if row_mode {
            let reach = (plan.out_h - 1) * plan.wph + lanes;
            (plan.out_h, plan.wph, lanes, reach)
        } else {
            (flat_regs, lanes, plan.wph, flat_regs * lanes)
        };
        let nr = regs * lanes;
        let mut xp = vec![E::ZERO; plan.packed_len(reach)];
        let mut scratch = vec![E::ZERO; OB * nr];
        let ntaps = plan.src_c * plan.kh * plan.kw;
        let hw = plan.out_h * plan.out_w;
        // Tap offsets within one channel, for the unrolled kernels.
        let mut pq = [[0usize; KW]; KH];
        for (p, row) in pq.iter_mut().enumerate() {
            for (q, v) in row.iter_mut().enumerate() {
                *v = plan.tap_offset(p, q);
            }
        }
        let cs = plan.channel_stride();
        let mut packed = usize::MAX;
        let mut written = 0;
        for u in self.units.0..self.units.1 {
            let (b, blk) = (u / self.nblk, u % self.nblk);
            if b != packed {
                plan.pack(&self.src, b, &mut xp);
                packed = b;
            }
            let wblk = &self.wpk[blk * ntaps * OB..(blk + 1) * ntaps * OB];
            let mut bias = [E::ZERO; OB];
            if let Some(from) = self.bias {
                let o0 = (blk * OB).min(plan.out_c);
                let o1 = (blk * OB + OB).min(plan.out_c);
                bias[..o1 - o0].copy_from_slice(&from[o0..o1]);
            }
            let block = Block::<E, OB, KH, KW> {
                xp: &xp,
                wblk,
                pq: &pq,
                taps: self.taps,
                cs,
                xstride,
                row_mode,
                bias,
                nr,
                act_in_registers,
            };
            let rows = (plan.out_c - (blk * OB).min(plan.out_c)).min(OB);
            // When the flat positions are exactly the output's (no garbage column, whole
            // registers) the tiles are stored straight into the output, saving the copy.
            let direct =
                act_in_registers && nr == hw && (plan.out_h == 1 || fr == plan.out_w) && rows == OB;
            let dst: &mut [E] = if direct {
                &mut self.out[written..written + OB * hw]
            } else {
                &mut scratch
            };
            let full = regs / NV * NV;
            for r0 in (0..full).step_by(NV) {
                block.tile::<S, A, NV>(s, r0 * lanes, dst);
            }
            // The last registers get tiles of 2, then 1 register, so no output register is
            // computed twice. Two tail widths instead of one per remainder (1..=5) halve the
            // tiles compiled; the bench shapes' remainders are 0, 1 or 2 registers, whose tiles
            // are unchanged, and their times measured the same.
            let mut r = full;
            while regs - r >= 2 {
                block.tile::<S, A, 2>(s, r * lanes, dst);
                r += 2;
            }
            if r < regs {
                block.tile::<S, A, 1>(s, r * lanes, dst);
            }
            if direct {
                written += OB * hw;
                continue;
            }
            // Copy the valid columns of each real output channel of the block.
            if let Some(pre) = self.pre.as_deref_mut() {
                let mut at = written;
                for i in 0..rows {
                    let dst = &mut pre[at..at + hw];
                    for (y, d) in dst.chunks_exact_mut(plan.out_w.max(1)).enumerate() {
                        let from = i * nr + y * fr;
                        d.copy_from_slice(&scratch[from..from + plan.out_w]);
                    }
                    at += hw;
                }
                // The scratch rows are whole registers (nr is a multiple of the lane count).
                let (vs, _) = E::as_mut_simd::<S>(&mut scratch[..rows * nr]);
                for v in vs {
                    *v = A::simd::<S, E>(s, *v);
                }
            }
            for i in 0..rows {
                let dst = &mut self.out[written..written + hw];
                for (y, d) in dst.chunks_exact_mut(plan.out_w.max(1)).enumerate() {
                    let from = i * nr + y * fr;
                    d.copy_from_slice(&scratch[from..from + plan.out_w]);
                }
                written += hw;
            }
        }
    }
}

/// What every tile of one (batch, output-channel block) unit reads.
struct Block<'a, E, const OB: usize, const KH: usize, const KW: usize> {
    xp: &'a [E],
    wblk: &'a [E],
    /// Tap offsets within a channel, from the plan (the unrolled loop reads them).
    pq: &'a [[usize; KW]; KH],
    /// Offsets of every tap `(c, p, q)` (the loop for run-time extents).
    taps: &'a [usize],
    cs: usize,
    /// Input distance between the registers of a tile: one register (flat run) or one
    /// packed row (row mode).
    xstride: usize,
    row_mode: bool,
    bias: [E; OB],
    /// Distance between the scratch rows of consecutive output channels.
    nr: usize,
    act_in_registers: bool,
}

impl<E: SimdElement, const OB: usize, const KH: usize, const KW: usize> Block<'_, E, OB, KH, KW> {
    /// The `NV` input registers of the tap at `off` for the tile starting at flat position
    /// `n0` (row mode: at output row `n0 / lanes`).
    #[inline(always)]
    fn load<S: Simd, const NV: usize>(&self, off: usize, n0: usize) -> [E::V<S>; NV] {
        let lanes = E::lanes::<S>();
        // Loops, not `array::from_fn`: each tile shape would instantiate its closure and the
        // generic array builder (about 7% of a test build's IR), which also compile without
        // the SIMD target features.
        if self.row_mode {
            let off = off + n0 / lanes * self.xstride;
            let reg = |v: usize| E::as_simd::<S>(&self.xp[off + v * self.xstride..][..lanes]).0[0];
            let mut out = [reg(0); NV];
            for (v, o) in out.iter_mut().enumerate().skip(1) {
                *o = reg(v);
            }
            out
        } else {
            let off = off + n0;
            let (xs, _) = E::as_simd::<S>(&self.xp[off..off + NV * lanes]);
            let mut out = [xs[0]; NV];
            out.copy_from_slice(&xs[..NV]);
            out
        }
    }

    /// One tile: `OB` output channels × `NV` registers of flat positions from `n0`, over
    /// every tap, starting from the bias; stored to the scratch rows, activated unless the
    /// pre-activation is wanted too.
    #[inline(always)]
    fn tile<S: Simd, A: Epilogue, const NV: usize>(&self, s: S, n0: usize, scratch: &mut [E]) {
        let width = NV * E::lanes::<S>();
        // A loop, not `array::from_fn`: its closure compiled without the SIMD target features
        // and ran as an out-of-line call per tile (24 out-of-line splats).
        let mut acc = [[E::splat(s, E::ZERO); NV]; OB];
        for (a, &b) in acc.iter_mut().zip(&self.bias[..OB]) {
            *a = [E::splat(s, b); NV];
        }
        if unrolled(KH, KW) {
            let src_c = self.taps.len() / (KH * KW);
            for c in 0..src_c {
                let wc = &self.wblk[c * KH * KW * OB..(c + 1) * KH * KW * OB];
                for p in 0..KH {
                    for q in 0..KW {
                        let off = c * self.cs + self.pq[p][q];
                        let t = (p * KW + q) * OB;
                        let xv = self.load::<S, NV>(off, n0);
                        fma_tap::<S, E, OB, NV>(s, &mut acc, &xv, &wc[t..t + OB]);
                    }
                }
            }
        } else {
            for (t, &off) in self.taps.iter().enumerate() {
                let xv = self.load::<S, NV>(off, n0);
                fma_tap::<S, E, OB, NV>(s, &mut acc, &xv, &self.wblk[t * OB..t * OB + OB]);
            }
        }
        for (i, a) in acc.iter().enumerate() {
            let at = i * self.nr + n0;
            let (ds, _) = E::as_mut_simd::<S>(&mut scratch[at..at + width]);
            for (d, &v) in ds.iter_mut().zip(a) {
                *d = if self.act_in_registers {
                    A::simd::<S, E>(s, v)
                } else {
                    v
                };
            }
        }
    }
}

/// Whether the kernel for compile-time extents `KH × KW` unrolls its per-channel tap loop;
/// otherwise it walks the table of tap offsets (the loop `Dynamic` runs, here monomorphised on
/// the extents). Measured in one bench-card run (on-CPU GFLOP/s, unrolled vs table): 3×3 102
/// vs 100, 5×5 51 vs 60 (conv2d_B) and 62 vs 66 (conv2d_C), 1×5 72 vs 87 — so only square
/// kernels up to 3×3 are unrolled.
const fn unrolled(kh: usize, kw: usize) -> bool {
    kh == kw && kh != 0 && kh <= 3
}

/// One tap of a forward tile: `acc[i][v] += w[i] · x[v]`.
#[inline(always)]
fn fma_tap<S: Simd, E: SimdElement, const OB: usize, const NV: usize>(
    s: S,
    acc: &mut [[E::V<S>; NV]; OB],
    xv: &[E::V<S>; NV],
    w: &[E],
) {
    for (a, &wi) in acc.iter_mut().zip(w) {
        let wv = E::splat(s, wi);
        for (av, &x) in a.iter_mut().zip(xv) {
            *av = E::mul_add(s, wv, x, *av);
        }
    }
}

/// Flat positions per cache segment of the weight gradient (tile rows stay in L1).
const GW_SEG: usize = 1024;
/// Bytes of packed input and widened output gradient per batch chunk of the weight gradient:
/// a chunk's tiles accumulate over all its batch elements in registers before one horizontal
/// reduction, so the chunk should stay in L2 (512 KB on Zen 3) while its tiles sweep it.
const GW_CHUNK_BYTES: usize = 256 << 10;

/// The weight gradient of the forward `plan`: `grad_weight` is `(out_c, src_c, kh, kw)`.
pub(crate) fn backward_weight<E: SimdElement>(
    plan: &Plan,
    x: StridedRef<'_, E, 4>,
    grad_out: StridedRef<'_, E, 4>,
    grad_weight: &mut [E],
) {
    if grad_weight.is_empty() {
        return;
    }
    let ob = arch().dispatch(WeightBlock::<E>(core::marker::PhantomData));
    let ntaps = plan.src_c * plan.kh * plan.kw;
    let nblk = plan.out_c.div_ceil(ob);
    let macs = plan.batch * plan.out_c * plan.out_h * plan.out_w * ntaps;
    let tasks = tasks_for(macs, nblk);
    let ranges: Vec<(usize, usize)> = (0..tasks)
        .map(|t| (t * nblk / tasks, (t + 1) * nblk / tasks))
        .collect();
    let bounds: Vec<usize> = ranges
        .iter()
        .map(|&(_, b1)| (b1 * ob).min(plan.out_c) * ntaps)
        .collect();
    let chunks = split_at_bounds(grad_weight, &bounds);
    let taps = plan.tap_offsets();
    parallel::run_tasks(tasks, |t| {
        let mut chunk = chunks[t].lock().unwrap_or_else(|e| e.into_inner());
        arch().dispatch(WeightTask {
            plan,
            x,
            g: grad_out,
            taps: &taps,
            blocks: ranges[t],
            gw: &mut chunk,
        });
    });
}

/// Whether the backend's registers are 64 bytes wide (AVX-512), which come 32 to the register
/// file; the narrower x86 backends have 16, which tiles of 24 accumulators overflow. A `const
/// fn`, so that callers branch on it in `const { }` and rustc instantiates only the taken tile
/// shape per backend (the other is never monomorphised: less code to build and ship).
#[inline(always)]
const fn wide_registers<E: SimdElement, S: Simd>() -> bool {
    core::mem::size_of::<E::V<S>>() >= 64
}

/// Output channels per weight-gradient tile on the dispatched backend: the `OB` that
/// [`WeightTask`] runs, which the task split needs before dispatching it.
struct WeightBlock<E>(core::marker::PhantomData<E>);

impl<E: SimdElement> WithSimd for WeightBlock<E> {
    type Output = usize;
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) -> usize {
        if const { wide_registers::<E, S>() } {
            4
        } else {
            2
        }
    }
}

struct WeightTask<'a, E> {
    plan: &'a Plan,
    x: StridedRef<'a, E, 4>,
    g: StridedRef<'a, E, 4>,
    taps: &'a [usize],
    blocks: (usize, usize),
    gw: &'a mut [E],
}

impl<E: SimdElement> WithSimd for WeightTask<'_, E> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        // A tile's accumulators, its taps' input registers and one output-gradient register
        // must fit the register file, or the accumulators spill to the stack: AVX-512's 32
        // registers hold 4 × 6 (24 + 6 + 1), AVX2's 16 hold 2 × 5 (10 + 5 + 1), whose 2 and 5
        // also divide LeNet's 6 and 16 output channels and 25 and 150 taps, so no padded row
        // or tap is computed. (On AVX2, 3 × 4, 4 × 2, 3 × 3 and 4 × 3 measured slower.)
        if const { wide_registers::<E, S>() } {
            self.run::<S, 4, 6>(s)
        } else {
            self.run::<S, 2, 5>(s)
        }
    }
}

impl<E: SimdElement> WeightTask<'_, E> {
    /// `gw[o][t] = Σ_b Σ_n g[b][o][n] · X[b][t_offset + n]` over tiles of `OB` output channels
    /// × `TB` taps. The batch is packed in chunks (input and output gradient widened to the
    /// flat positions, zeros in the garbage columns); each tile sums a segment of positions
    /// over the whole chunk in its vector accumulators before reducing them.
    #[inline(always)]
    fn run<S: Simd, const OB: usize, const TB: usize>(self, s: S) {
        let plan = self.plan;
        let lanes = E::lanes::<S>();
        let nr = plan.nflat().div_ceil(lanes) * lanes;
        let plen = plan.packed_len(nr);
        let o0 = self.blocks.0 * OB;
        let o1 = (self.blocks.1 * OB).min(plan.out_c);
        let rows = (self.blocks.1 - self.blocks.0) * OB;
        let per_b = (plen + rows * nr) * core::mem::size_of::<E>();
        let cb = (GW_CHUNK_BYTES / per_b.max(1)).clamp(1, plan.batch.max(1));
        // Zeroed once: every batch element writes the same positions of its slot, so the
        // padding and garbage columns stay zero.
        let mut xp = vec![E::ZERO; cb * plen];
        let mut gwide = vec![E::ZERO; cb * rows * nr];
        let ntaps = self.taps.len();
        // Tap blocks are padded by repeating the last tap; the extra results are dropped.
        let tblocks = ntaps.div_ceil(TB);
        self.gw.fill(E::ZERO);
        let seg = GW_SEG.div_ceil(lanes) * lanes;
        let (gs, g) = (self.g.strides[3], self.g.data);
        for b0 in (0..plan.batch).step_by(cb) {
            let b1 = (b0 + cb).min(plan.batch);
            for b in b0..b1 {
                let k = b - b0;
                plan.pack_interior(&self.x, b, &mut xp[k * plen..(k + 1) * plen], |d, from| {
                    d.copy_from_slice(from)
                });
                let gb = &mut gwide[k * rows * nr..(k + 1) * rows * nr];
                for o in o0..o1 {
                    let row = &mut gb[(o - o0) * nr..(o - o0 + 1) * nr];
                    for y in 0..plan.out_h {
                        let from = self.g.position([b, o, y, 0]);
                        let d = &mut row[y * plan.wph..y * plan.wph + plan.out_w];
                        if gs == 1 {
                            d.copy_from_slice(&g[from..from + plan.out_w]);
                        } else {
                            for (j, v) in d.iter_mut().enumerate() {
                                *v = g[from + j * gs];
                            }
                        }
                    }
                }
            }
            for n0 in (0..nr).step_by(seg) {
                let n1 = (n0 + seg).min(nr);
                for blk in 0..rows / OB {
                    for tb in 0..tblocks {
                        let zero = E::splat(s, E::ZERO);
                        let mut acc = [[zero; TB]; OB];
                        for k in 0..b1 - b0 {
                            let gb = &gwide[k * rows * nr..(k + 1) * rows * nr];
                            let xb = &xp[k * plen..(k + 1) * plen];
                            let mut g: [&[E::V<S>]; OB] = [&[]; OB];
                            for (i, gi) in g.iter_mut().enumerate() {
                                let r = (blk * OB + i) * nr;
                                *gi = E::as_simd::<S>(&gb[r + n0..r + n1]).0;
                            }
                            let mut xs: [&[E::V<S>]; TB] = [&[]; TB];
                            for (j, xj) in xs.iter_mut().enumerate() {
                                let off = self.taps[(tb * TB + j).min(ntaps - 1)];
                                *xj = E::as_simd::<S>(&xb[off + n0..off + n1]).0;
                            }
                            weight_tile::<S, E, OB, TB>(s, &mut acc, &g, &xs);
                        }
                        for (i, a) in acc.iter().enumerate() {
                            let o = o0 + blk * OB + i;
                            if o >= o1 {
                                break;
                            }
                            for (j, &v) in a.iter().enumerate() {
                                let t = tb * TB + j;
                                if t < ntaps {
                                    self.gw[(o - o0) * ntaps + t] += E::reduce_sum(s, v);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `acc[i][j] += Σ_k g[i][k] · x[j][k]` over one segment, in vector lanes.
#[inline(always)]
fn weight_tile<S: Simd, E: SimdElement, const OB: usize, const TB: usize>(
    s: S,
    acc: &mut [[E::V<S>; TB]; OB],
    g: &[&[E::V<S>]; OB],
    x: &[&[E::V<S>]; TB],
) {
    let n = g.iter().chain(x.iter()).map(|r| r.len()).min().unwrap_or(0);
    for k in 0..n {
        let mut xv = [x[0][k]; TB];
        for (v, xj) in xv.iter_mut().zip(x) {
            *v = xj[k];
        }
        for (a, gi) in acc.iter_mut().zip(g) {
            let gv = gi[k];
            for (av, &xj) in a.iter_mut().zip(&xv) {
                *av = E::mul_add(s, gv, xj, *av);
            }
        }
    }
}
