//! The forward engine vectorised over output channels, for narrow outputs with many channels.
//!
//! [`super::engine`] puts output *positions* in the vector lanes, so an output row narrower
//! than a register leaves lanes idle (conv2d_C: a 14-wide row in 16 lanes, at most 0.875 of
//! the peak). Here the lanes hold output *channels*: a tile is `V` registers of channels × `P`
//! pixels of one output row, `V·P` accumulators. For each tap `(c, p, q)` it loads `V` weight
//! registers (packed once per call as `[tap][O]`, channels innermost, zero past `O`) and, for
//! every pixel, broadcasts one input value into `V` fused multiply-adds, which AVX-512 encodes
//! as a single FMA with a broadcast memory operand. No lane is wasted when `O` is a multiple of
//! the lane count, and a row of `W` pixels is split into `⌈W / P_max⌉` near-equal tiles, so no
//! pixel is computed twice.
//!
//! The input is the engine's own packing ([`Plan::pack_interior`], zero-padded, stride phases
//! split, the padding zeroed once per task), so every stride, dilation and padding works, and
//! the input gradient's upsampled plan too: pixel `x` of row `y` reads
//! `packed[tap_offset + y·wph + x]`. The bias is the accumulators' start and the activation is
//! applied in registers. A finished tile holds each pixel's channels in a register, so it is
//! transposed in registers (blocks of `lanes` pixels, perfect shuffles) into each channel's
//! pixels and stored straight into the `(O, OH, OW)` output.
//!
//! [`wins`] decides, per plan, whether this engine or the position-vectorised one runs it.
//! Measured on conv2d_C (f32, AVX-512, thread CPU time, same run): 97–103 GFLOP/s here against
//! 89–91 on the position engine.

use pulp::{Simd, WithSimd};

use super::epilogue::Epilogue;
use super::plan::Plan;
use super::StridedRef;
use crate::kernel::arch;
use crate::parallel;
use crate::simd::SimdElement;

/// Most pixels per tile: beyond this the row is split (a tile's accumulators stay in registers).
const MAX_PIXELS: usize = 16;

/// Bytes of weights one tile streams per tap loop; past this they leave L1 and every tile
/// re-reads them from L2 (conv2d_A, 576 taps × 64 channels: 93 GFLOP/s here against 104 on
/// the position engine, whose weight blocks are 8 channels wide).
const MAX_TILE_WEIGHT_BYTES: usize = 16 << 10;

/// How a plan is tiled on one backend.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Tiling {
    lanes: usize,
    /// Output channels padded to whole registers.
    opad: usize,
    /// Channel registers per tile.
    v: usize,
    /// Most pixels per tile (the row's tiles are near-equal, none wider).
    p: usize,
}

impl Tiling {
    /// The tiling of `plan` with `lanes` lanes and `budget` accumulator registers.
    ///
    /// Two channel registers per tile when there are two (each broadcast then feeds both) and
    /// the row needs no more tiles for it, else one: each tile's pixels are transposed in
    /// blocks of a register's lanes, so narrow tiles waste transposes (O = 32, 14-wide rows on
    /// AVX-512: 81 GFLOP/s in tiles of 2 × 7 registers, 102 in tiles of 1 × 14).
    fn new(plan: &Plan, lanes: usize, budget: usize) -> Self {
        let opad = plan.out_c.div_ceil(lanes) * lanes;
        let pixels = |v: usize| {
            let max = (budget / v).clamp(1, MAX_PIXELS);
            let w = plan.out_w.max(1);
            w.div_ceil(w.div_ceil(max))
        };
        let v = if opad >= 2 * lanes && pixels(2) == pixels(1) {
            2
        } else {
            1
        };
        Self {
            lanes,
            opad,
            v,
            p: pixels(v),
        }
    }

    /// The tiling on the dispatched backend: accumulators may take three quarters of the
    /// register file (32 registers with 64-byte registers, AVX-512; the 16 of AVX2 otherwise,
    /// which is also safe for NEON's 32 narrower ones).
    fn dispatched<E: SimdElement>(plan: &Plan) -> Self {
        struct Probe<'a, E>(&'a Plan, core::marker::PhantomData<E>);
        impl<E: SimdElement> WithSimd for Probe<'_, E> {
            type Output = Tiling;
            #[inline(always)]
            fn with_simd<S: Simd>(self, _: S) -> Tiling {
                let budget = if core::mem::size_of::<E::V<S>>() >= 64 {
                    24
                } else {
                    12
                };
                Tiling::new(self.0, E::lanes::<S>(), budget)
            }
        }
        arch().dispatch(Probe::<E>(plan, core::marker::PhantomData))
    }
}

/// Share of the computed lanes that are real outputs in the position-vectorised engine on
/// `plan` with `lanes` lanes (its output-channel blocks and its flat or row-mode positions).
fn position_engine_use(plan: &Plan, lanes: usize) -> f64 {
    let ob = super::engine::pick_block(plan.out_c);
    let channels = plan.out_c as f64 / (plan.out_c.div_ceil(ob) * ob) as f64;
    let flat_regs = plan.nflat().div_ceil(lanes);
    let regs = if plan.out_w <= lanes && plan.out_h < flat_regs {
        plan.out_h
    } else {
        flat_regs
    };
    channels * (plan.out_h * plan.out_w) as f64 / (regs * lanes) as f64
}

/// Whether `plan` runs on this engine rather than the position-vectorised one: it must use
/// clearly more of the lanes (a broadcast per FMA and the transposes cost more than that
/// engine's shared loads, so a near tie stays there), its tiles must hold enough independent
/// accumulators to hide the FMA latency, and a tile's weights must stay in L1.
pub(crate) fn wins<E: SimdElement>(plan: &Plan) -> bool {
    let t = Tiling::dispatched::<E>(plan);
    if t.lanes < 2 || plan.out_w == 0 || plan.out_h == 0 {
        return false;
    }
    let taps = plan.src_c * plan.kh * plan.kw;
    let weight_bytes = taps * t.v * t.lanes * core::mem::size_of::<E>();
    let channel_use = plan.out_c as f64 / t.opad as f64;
    t.v * t.p >= 8
        && weight_bytes <= MAX_TILE_WEIGHT_BYTES
        && channel_use >= 1.08 * position_engine_use(plan, t.lanes)
}

/// The forward conv of `plan` on this engine: as [`super::engine::forward`] (same arguments,
/// same results up to rounding order).
pub(crate) fn forward<E: SimdElement, A: Epilogue>(
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
    let tiling = Tiling::dispatched::<E>(plan);
    let opad = tiling.opad;
    let wpk = pack_weight(plan, opad, weight);
    let mut bpad = vec![E::ZERO; opad];
    if let Some(bias) = bias {
        bpad[..plan.out_c].copy_from_slice(bias);
    }
    let image = plan.out_c * plan.out_h * plan.out_w;
    let taps = plan.tap_offsets();
    let macs = plan.batch * image * taps.len();
    let tasks = super::engine::tasks_for(macs, plan.batch);
    let ranges: Vec<(usize, usize)> = (0..tasks)
        .map(|t| (t * plan.batch / tasks, (t + 1) * plan.batch / tasks))
        .collect();
    let bounds: Vec<usize> = ranges.iter().map(|&(_, b1)| b1 * image).collect();
    let chunks = super::engine::split_at_bounds(out, &bounds);
    let pre_chunks = pre.map(|p| super::engine::split_at_bounds(p, &bounds));
    parallel::run_tasks(tasks, |t| {
        let mut chunk = chunks[t].lock().unwrap_or_else(|e| e.into_inner());
        let mut pre = pre_chunks
            .as_ref()
            .map(|p| p[t].lock().unwrap_or_else(|e| e.into_inner()));
        arch().dispatch(Task::<E, A> {
            plan,
            src,
            tiling,
            wpk: &wpk,
            bias: &bpad,
            taps: &taps,
            images: ranges[t],
            out: &mut chunk,
            pre: pre.as_deref_mut().map(|p| &mut **p),
            _a: core::marker::PhantomData,
        });
    });
}

/// The weight as `[tap][opad]`: tap `(c, p, q)` in weight order, output channels innermost,
/// zeros past `out_c`.
fn pack_weight<E: SimdElement>(
    plan: &Plan,
    opad: usize,
    value: impl Fn(usize, usize, usize, usize) -> E,
) -> Vec<E> {
    let taps = plan.src_c * plan.kh * plan.kw;
    let mut w = vec![E::ZERO; taps * opad];
    let mut t = 0;
    for c in 0..plan.src_c {
        for p in 0..plan.kh {
            for q in 0..plan.kw {
                for o in 0..plan.out_c {
                    w[t * opad + o] = value(o, c, p, q);
                }
                t += 1;
            }
        }
    }
    w
}

struct Task<'a, E, A> {
    plan: &'a Plan,
    /// The tiling [`Tiling::dispatched`] chose, so the task runs the plan it was judged on.
    tiling: Tiling,
    src: StridedRef<'a, E, 4>,
    wpk: &'a [E],
    /// The bias padded to `opad` channels (zeros without a bias).
    bias: &'a [E],
    taps: &'a [usize],
    images: (usize, usize),
    out: &'a mut [E],
    pre: Option<&'a mut [E]>,
    _a: core::marker::PhantomData<A>,
}

/// Runs `$f::<V, P>` for the run-time pixel count `$p` (1 ..= [`MAX_PIXELS`]).
macro_rules! with_pixels {
    ($p:expr, $v:literal, $f:ident ( $($arg:expr),* )) => {
        match $p {
            1 => $f::<S, E, A, $v, 1>($($arg),*),
            2 => $f::<S, E, A, $v, 2>($($arg),*),
            3 => $f::<S, E, A, $v, 3>($($arg),*),
            4 => $f::<S, E, A, $v, 4>($($arg),*),
            5 => $f::<S, E, A, $v, 5>($($arg),*),
            6 => $f::<S, E, A, $v, 6>($($arg),*),
            7 => $f::<S, E, A, $v, 7>($($arg),*),
            8 => $f::<S, E, A, $v, 8>($($arg),*),
            9 => $f::<S, E, A, $v, 9>($($arg),*),
            10 => $f::<S, E, A, $v, 10>($($arg),*),
            11 => $f::<S, E, A, $v, 11>($($arg),*),
            12 => $f::<S, E, A, $v, 12>($($arg),*),
            13 => $f::<S, E, A, $v, 13>($($arg),*),
            14 => $f::<S, E, A, $v, 14>($($arg),*),
            15 => $f::<S, E, A, $v, 15>($($arg),*),
            _ => $f::<S, E, A, $v, 16>($($arg),*),
        }
    };
}

/// What every tile of one output row reads and where it writes.
struct Row<'a, E> {
    /// The packed input of the current image.
    xp: &'a [E],
    wpk: &'a [E],
    bias: &'a [E],
    taps: &'a [usize],
    /// Packed position of the row's first pixel (`y · wph`).
    base: usize,
    /// Output position of the row's first pixel within a channel (`y · out_w`).
    obase: usize,
    /// Output positions per channel (`out_h · out_w`).
    hw: usize,
    out_c: usize,
    /// Channels per tap in `wpk`.
    opad: usize,
}

impl<E: SimdElement, A: Epilogue> WithSimd for Task<'_, E, A> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(mut self, s: S) {
        let plan = self.plan;
        let Tiling { lanes, opad, v, p } = self.tiling;
        if lanes != E::lanes::<S>() {
            // Unreachable: the tiling was probed on this same dispatch.
            return;
        }
        let ov = opad / lanes;
        let (w, hw) = (plan.out_w, plan.out_h * plan.out_w);
        let tiles = w.div_ceil(p);
        // Tile bounds: near-equal tiles, the first `w % tiles` one pixel wider.
        let bounds: Vec<(usize, usize)> = (0..tiles)
            .map(|k| (k * w / tiles, (k + 1) * w / tiles))
            .collect();
        // Every image packs to the same positions, so the zero padding is written once.
        let mut xp = vec![E::ZERO; plan.packed_len(plan.nflat())];
        let image = plan.out_c * hw;
        for (i, b) in (self.images.0..self.images.1).enumerate() {
            plan.pack_interior(&self.src, b, &mut xp, |d, x| copy::<S, E>(s, d, x));
            let out = &mut self.out[i * image..(i + 1) * image];
            let mut pre = self
                .pre
                .as_deref_mut()
                .map(|pre| &mut pre[i * image..(i + 1) * image]);
            for y in 0..plan.out_h {
                let row = Row {
                    xp: &xp,
                    wpk: self.wpk,
                    bias: self.bias,
                    taps: self.taps,
                    base: y * plan.wph,
                    obase: y * w,
                    hw,
                    out_c: plan.out_c,
                    opad,
                };
                let mut v0 = 0;
                while v0 < ov {
                    let vb = if ov - v0 >= 2 { v } else { 1 };
                    for &(x0, x1) in &bounds {
                        let pre = pre.as_deref_mut();
                        match (vb, x1 - x0) {
                            (2, n) => with_pixels!(n, 2, tile(s, &row, x0, v0, out, pre)),
                            (_, n) => with_pixels!(n, 1, tile(s, &row, x0, v0, out, pre)),
                        }
                    }
                    v0 += vb;
                }
            }
        }
    }
}

/// One tile: channel registers `v0 .. v0 + V` × pixels `x0 .. x0 + P` of the row, over every
/// tap, from the bias; transposed in registers and stored to `out` (activated), and raw to
/// `pre` when it is given.
#[inline(always)]
fn tile<S: Simd, E: SimdElement, A: Epilogue, const V: usize, const P: usize>(
    s: S,
    row: &Row<'_, E>,
    x0: usize,
    v0: usize,
    out: &mut [E],
    mut pre: Option<&mut [E]>,
) {
    let lanes = E::lanes::<S>();
    let c0 = v0 * lanes;
    let (bias, _) = E::as_simd::<S>(&row.bias[c0..c0 + V * lanes]);
    // Plain loops rather than `array::from_fn`, which stayed an out-of-line call here.
    let mut acc = [[E::splat(s, E::ZERO); P]; V];
    for (a, &b) in acc.iter_mut().zip(bias) {
        *a = [b; P];
    }
    let at = row.base + x0;
    for (t, &off) in row.taps.iter().enumerate() {
        let w0 = t * row.opad + c0;
        let (wv, _) = E::as_simd::<S>(&row.wpk[w0..w0 + V * lanes]);
        let xs = &row.xp[off + at..off + at + P];
        for (p, &x) in xs.iter().enumerate() {
            let xb = E::splat(s, x);
            for (a, &wj) in acc.iter_mut().zip(wv) {
                a[p] = E::mul_add(s, wj, xb, a[p]);
            }
        }
    }
    // Each register holds one pixel's channels; the output wants each channel's pixels, so
    // blocks of `lanes` pixels are transposed. Every loop below has a constant trip count,
    // so it unrolls and the accumulators stay registers (sliced at run-time offsets they
    // lived on the stack, in the tap loop too: 2.5x slower).
    let at = row.obase + x0;
    for (j, a) in acc.iter().enumerate() {
        let ch0 = c0 + j * lanes;
        let dst = (&mut *out, pre.as_deref_mut());
        match lanes {
            16 => store_pixels::<S, E, A, P, 16>(s, a, ch0, at, row, dst),
            8 => store_pixels::<S, E, A, P, 8>(s, a, ch0, at, row, dst),
            4 => store_pixels::<S, E, A, P, 4>(s, a, ch0, at, row, dst),
            2 => store_pixels::<S, E, A, P, 2>(s, a, ch0, at, row, dst),
            _ => store_pixels::<S, E, A, P, 1>(s, a, ch0, at, row, dst),
        }
    }
}

/// Stores the `P` pixel registers `a` (channels `ch0 .. ch0 + L`, `L` the lane count) as
/// channel rows of pixels starting at output position `at` of each channel: transposed in
/// blocks of `L` pixels (zero registers past `P`), stored raw to `pre` if given and activated
/// to `out`.
#[inline(always)]
fn store_pixels<S: Simd, E: SimdElement, A: Epilogue, const P: usize, const L: usize>(
    s: S,
    a: &[E::V<S>; P],
    ch0: usize,
    at: usize,
    row: &Row<'_, E>,
    (out, mut pre): (&mut [E], Option<&mut [E]>),
) {
    let zero = E::splat(s, E::ZERO);
    for blk in 0..P.div_ceil(L) {
        let p0 = blk * L;
        let n = (P - p0).min(L);
        let mut block = [zero; L];
        for (i, b) in block.iter_mut().enumerate() {
            if p0 + i < P {
                *b = a[p0 + i];
            }
        }
        let block = transpose::<S, E, L>(s, block);
        for (k, &r) in block.iter().enumerate() {
            let ch = ch0 + k;
            if ch >= row.out_c {
                break;
            }
            // A whole register when it stays inside the channel's plane: the lanes past `n`
            // land on pixels later in raster order, which later tiles and rows overwrite
            // (pulp's partial store is an out-of-line call, 4.5% of conv2d_C).
            let at = ch * row.hw + at + p0;
            let len = if at + L <= (ch + 1) * row.hw { L } else { n };
            if let Some(pre) = pre.as_deref_mut() {
                store::<S, E>(s, &mut pre[at..at + len], r);
            }
            store::<S, E>(s, &mut out[at..at + len], A::simd::<S, E>(s, r));
        }
    }
}

/// `d.copy_from_slice(x)` in registers (rows of a few registers: a `memcpy` call each cost
/// 2% of conv2d_C).
#[inline(always)]
fn copy<S: Simd, E: SimdElement>(s: S, d: &mut [E], x: &[E]) {
    let (dv, dt) = E::as_mut_simd::<S>(d);
    let (xv, xt) = E::as_simd::<S>(x);
    for (d, &x) in dv.iter_mut().zip(xv) {
        *d = x;
    }
    if !xt.is_empty() {
        super::masked::copy_partial::<S, E>(s, dt, xt);
    }
}

/// Stores the first `d.len() <= lanes` lanes of `r`.
#[inline(always)]
fn store<S: Simd, E: SimdElement>(s: S, d: &mut [E], r: E::V<S>) {
    if d.len() == E::lanes::<S>() {
        E::as_mut_simd::<S>(d).0[0] = r;
    } else {
        E::partial_store(s, d, r);
    }
}

/// Transposes the square block of `L` registers of `L` lanes (`rows[i]` lane `k` becomes
/// `rows[k]` lane `i`): `log2(L)` rounds of perfect shuffles, each pairing row `i` with row
/// `i + L/2` through one interleave ([`crate::pool::lanes::zip`], an in-register permute on
/// AVX-512 and AVX2).
#[inline(always)]
fn transpose<S: Simd, E: SimdElement, const L: usize>(
    s: S,
    mut rows: [E::V<S>; L],
) -> [E::V<S>; L] {
    let mut round = 1;
    while round < L {
        let mut next = rows;
        for i in 0..L / 2 {
            let (lo, hi) = crate::pool::lanes::zip::<S, E>(s, rows[i], rows[i + L / 2]);
            next[2 * i] = lo;
            next[2 * i + 1] = hi;
        }
        rows = next;
        round *= 2;
    }
    rows
}
