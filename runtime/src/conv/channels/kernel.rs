//! The `f32` register kernel of the output-channel engine: tiles of one channel register ×
//! 8 to 16 pixels of an output row, transposed in registers into the `(O, OH, OW)` output.
//!
//! Nothing here is generic over the element type or the activation, so it is compiled once,
//! inside the runtime, for AVX-512 and AVX2 only; the generic caller ([`super::forward`]) only
//! packs, casts and activates.

use pulp::{Simd, WithSimd};

use super::super::plan::Plan;
use super::super::StridedRef;
use super::tiling::{Tiling, MAX_PIXELS, MIN_PIXELS};
use crate::parallel;
use crate::simd::SimdElement;

/// Activates one finished image (`out`, `O·OH·OW`) in place, or from its raw pre-activation
/// when that is kept (`Some(pre)`), while the image is still in L1.
pub(crate) type Post<'a> = &'a (dyn Fn(&mut [f32], Option<&[f32]>) + Sync);

/// The plan's inputs in `f32`, as [`super::forward`] prepared them.
pub(crate) struct Inputs<'a> {
    pub(crate) src: StridedRef<'a, f32, 4>,
    /// The weight as `[tap][opad]`, output channels innermost, zeros past `out_c`.
    pub(crate) wpk: &'a [f32],
    /// The bias padded to `opad` channels (zeros without a bias).
    pub(crate) bias: &'a [f32],
}

/// The forward conv of `plan` tiled as `tiling`: conv + bias into `pre` when given, else into
/// `out`, then `post` over each finished image (when given) to produce `out`.
pub(crate) fn forward(
    plan: &Plan,
    tiling: Tiling,
    inputs: Inputs<'_>,
    out: &mut [f32],
    pre: Option<&mut [f32]>,
    post: Option<Post<'_>>,
) {
    let image = plan.out_c * plan.out_h * plan.out_w;
    let taps = plan.tap_offsets();
    let macs = plan.batch * image * taps.len();
    let tasks = super::super::engine::tasks_for(macs, plan.batch);
    let ranges: Vec<(usize, usize)> = (0..tasks)
        .map(|t| (t * plan.batch / tasks, (t + 1) * plan.batch / tasks))
        .collect();
    let bounds: Vec<usize> = ranges.iter().map(|&(_, b1)| b1 * image).collect();
    let chunks = super::super::engine::split_at_bounds(out, &bounds);
    let pre_chunks = pre.map(|p| super::super::engine::split_at_bounds(p, &bounds));
    parallel::run_tasks(tasks, |t| {
        let mut chunk = chunks[t].lock().unwrap_or_else(|e| e.into_inner());
        let mut pre = pre_chunks
            .as_ref()
            .map(|p| p[t].lock().unwrap_or_else(|e| e.into_inner()));
        run_on_backend(Task {
            plan,
            tiling,
            inputs: &inputs,
            taps: &taps,
            images: ranges[t],
            out: &mut chunk,
            pre: pre.as_deref_mut().map(|p| &mut **p),
            post,
        });
    });
}

/// Runs `task` on the backend its tiling was made for: AVX-512 for 16 lanes, AVX2 for 8 (so a
/// test can run the AVX2 tiles on an AVX-512 machine). Only these two get a body: no scalar
/// or other instantiation of the tiles exists.
fn run_on_backend(task: Task<'_>) {
    #[cfg(target_arch = "x86_64")]
    match task.tiling.lanes {
        16 => {
            if let Some(v4) = pulp::x86::V4::try_new() {
                pulp::Simd::vectorize(v4, task);
            }
        }
        8 => {
            if let Some(v3) = pulp::x86::V3::try_new() {
                pulp::Simd::vectorize(v3, task);
            }
        }
        _ => {}
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = task;
}

struct Task<'a> {
    plan: &'a Plan,
    /// The tiling chosen on this same dispatch, so the task runs the plan it was judged on.
    tiling: Tiling,
    inputs: &'a Inputs<'a>,
    taps: &'a [usize],
    images: (usize, usize),
    out: &'a mut [f32],
    pre: Option<&'a mut [f32]>,
    post: Option<Post<'a>>,
}

/// What every tile of one output row reads and where it writes.
struct Row<'a> {
    /// The packed input of the current image.
    xp: &'a [f32],
    wpk: &'a [f32],
    bias: &'a [f32],
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

impl WithSimd for Task<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        // `run_on_backend` picked the backend from the tiling's lanes.
        match (<f32 as SimdElement>::lanes::<S>(), self.tiling.lanes) {
            (16, 16) => self.run::<S, 16>(s),
            (8, 8) => self.run::<S, 8>(s),
            _ => {}
        }
    }
}

impl Task<'_> {
    #[inline(always)]
    fn run<S: Simd, const L: usize>(mut self, s: S) {
        let plan = self.plan;
        let Tiling { opad, .. } = self.tiling;
        let w = plan.out_w;
        let hw = plan.out_h * w;
        let bounds = self.tiling.bounds(w);
        // Every image packs to the same positions, so the zero padding is written once; a
        // tile narrower than `MIN_PIXELS` computes (and never stores) up to `MIN_PIXELS - 1`
        // pixels past the last row, hence the slack.
        let mut xp = vec![0.0f32; plan.packed_len(plan.nflat()) + MIN_PIXELS];
        let image = plan.out_c * hw;
        let (ix, wpk, bias) = (self.inputs, self.inputs.wpk, self.inputs.bias);
        for (i, b) in (self.images.0..self.images.1).enumerate() {
            plan.pack_interior(&ix.src, b, &mut xp, |d, x| copy::<S>(s, d, x));
            let range = i * image..(i + 1) * image;
            let raw = match self.pre.as_deref_mut() {
                Some(pre) => &mut pre[range.clone()],
                None => &mut self.out[range.clone()],
            };
            for y in 0..plan.out_h {
                let row = Row {
                    xp: &xp,
                    wpk,
                    bias,
                    taps: self.taps,
                    base: y * plan.wph,
                    obase: y * w,
                    hw,
                    out_c: plan.out_c,
                    opad,
                };
                for c0 in (0..plan.out_c).step_by(L) {
                    for &(x0, x1) in &bounds {
                        tile_of_width::<S, L>(s, &row, x0, x1 - x0, c0, raw);
                    }
                }
            }
            if let Some(post) = self.post {
                let pre = self.pre.as_deref().map(|p| &p[range.clone()]);
                post(&mut self.out[range], pre);
            }
        }
    }
}

/// Runs the tile of `n` pixels (`1 ..= MAX_PIXELS`) at `x0`: the instantiation of `n` pixels,
/// or of [`MIN_PIXELS`] for a narrower tile (its extra pixels are computed and dropped), so
/// there are nine tile shapes per backend.
#[inline(always)]
fn tile_of_width<S: Simd, const L: usize>(
    s: S,
    row: &Row<'_>,
    x0: usize,
    n: usize,
    c0: usize,
    out: &mut [f32],
) {
    match n.clamp(MIN_PIXELS, MAX_PIXELS) {
        8 => tile::<S, L, 8>(s, row, x0, n, c0, out),
        9 => tile::<S, L, 9>(s, row, x0, n, c0, out),
        10 => tile::<S, L, 10>(s, row, x0, n, c0, out),
        11 => tile::<S, L, 11>(s, row, x0, n, c0, out),
        12 => tile::<S, L, 12>(s, row, x0, n, c0, out),
        // AVX2 tiles are at most 12 pixels wide (12 of its 16 registers).
        13 if L == 16 => tile::<S, L, 13>(s, row, x0, n, c0, out),
        14 if L == 16 => tile::<S, L, 14>(s, row, x0, n, c0, out),
        15 if L == 16 => tile::<S, L, 15>(s, row, x0, n, c0, out),
        _ if L == 16 => tile::<S, L, 16>(s, row, x0, n, c0, out),
        _ => {}
    }
}

/// One tile: channels `c0 .. c0 + L` × pixels `x0 .. x0 + P` of the row (the first `n` real),
/// over every tap, from the bias; transposed in registers and stored to `out`.
#[inline(always)]
fn tile<S: Simd, const L: usize, const P: usize>(
    s: S,
    row: &Row<'_>,
    x0: usize,
    n: usize,
    c0: usize,
    out: &mut [f32],
) {
    let b = <f32 as SimdElement>::as_simd::<S>(&row.bias[c0..c0 + L]).0[0];
    let mut acc = [b; P];
    let at = row.base + x0;
    for (&off, wt) in row.taps.iter().zip(row.wpk.chunks_exact(row.opad)) {
        let wv = <f32 as SimdElement>::as_simd::<S>(&wt[c0..c0 + L]).0[0];
        let xs = &row.xp[off + at..off + at + P];
        for (a, &x) in acc.iter_mut().zip(xs) {
            *a = <f32 as SimdElement>::mul_add(s, wv, <f32 as SimdElement>::splat(s, x), *a);
        }
    }
    store_pixels::<S, L, P>(s, &acc, c0, row.obase + x0, n, row, out);
}

/// Stores the pixel registers `a` (channels `ch0 .. ch0 + L`) as channel rows of pixels
/// starting at output position `at` of each channel: transposed in blocks of `L` pixels (zero
/// registers past `P`), only the first `n` pixels being real.
#[inline(always)]
fn store_pixels<S: Simd, const L: usize, const P: usize>(
    s: S,
    a: &[S::f32s; P],
    ch0: usize,
    at: usize,
    n: usize,
    row: &Row<'_>,
    out: &mut [f32],
) {
    let zero = <f32 as SimdElement>::splat(s, 0.0);
    for blk in 0..P.div_ceil(L) {
        let p0 = blk * L;
        if p0 >= n {
            break;
        }
        let real = (n - p0).min(L);
        let mut block = [zero; L];
        for (i, b) in block.iter_mut().enumerate() {
            if p0 + i < P {
                *b = a[p0 + i];
            }
        }
        let block = transpose::<S, L>(s, block);
        for (k, &r) in block.iter().enumerate() {
            let ch = ch0 + k;
            if ch >= row.out_c {
                break;
            }
            // A whole register when it stays inside the channel's plane: the lanes past
            // `real` land on pixels later in raster order, which later tiles and rows
            // overwrite (pulp's partial store is an out-of-line call, 4.5% of conv2d_C).
            let at = ch * row.hw + at + p0;
            let len = if at + L <= (ch + 1) * row.hw { L } else { real };
            store::<S>(s, &mut out[at..at + len], r);
        }
    }
}

/// `d.copy_from_slice(x)` in registers (rows of a few registers: a `memcpy` call each cost
/// 2% of conv2d_C).
#[inline(always)]
fn copy<S: Simd>(s: S, d: &mut [f32], x: &[f32]) {
    let (dv, dt) = <f32 as SimdElement>::as_mut_simd::<S>(d);
    let (xv, xt) = <f32 as SimdElement>::as_simd::<S>(x);
    for (d, &x) in dv.iter_mut().zip(xv) {
        *d = x;
    }
    if !xt.is_empty() {
        super::super::masked::copy_partial::<S>(s, dt, xt);
    }
}

/// Stores the first `d.len() <= lanes` lanes of `r`.
#[inline(always)]
fn store<S: Simd>(s: S, d: &mut [f32], r: S::f32s) {
    if d.len() == <f32 as SimdElement>::lanes::<S>() {
        <f32 as SimdElement>::as_mut_simd::<S>(d).0[0] = r;
    } else {
        <f32 as SimdElement>::partial_store(s, d, r);
    }
}

/// Transposes the square block of `L` registers of `L` lanes (`rows[i]` lane `k` becomes
/// `rows[k]` lane `i`): `log2(L)` rounds of perfect shuffles, each pairing row `i` with row
/// `i + L/2` through one interleave ([`crate::pool::lanes::zip`], an in-register permute on
/// AVX-512 and AVX2).
#[inline(always)]
fn transpose<S: Simd, const L: usize>(s: S, mut rows: [S::f32s; L]) -> [S::f32s; L] {
    let mut round = 1;
    while round < L {
        let mut next = rows;
        for i in 0..L / 2 {
            let (lo, hi) = crate::pool::lanes::zip::<S, f32>(s, rows[i], rows[i + L / 2]);
            next[2 * i] = lo;
            next[2 * i + 1] = hi;
        }
        rows = next;
        round *= 2;
    }
    rows
}
