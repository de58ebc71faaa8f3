//! How the output-channel engine tiles a plan, and whether it should run the plan at all.
//!
//! Both decisions depend only on the plan and the dispatched backend's register width, so they
//! are plain functions compiled once in the runtime.

use pulp::{Simd, WithSimd};

use super::super::plan::Plan;
use crate::kernel::arch;
use crate::simd::SimdElement;

/// Fewest pixels per tile: one channel register per tile, so a tile has this many independent
/// accumulators, enough to hide the fused multiply-add latency on two FMA pipes.
pub(super) const MIN_PIXELS: usize = 8;

/// Most pixels per tile: wider rows are split into near-equal tiles.
pub(super) const MAX_PIXELS: usize = 16;

/// Bytes of weights one tile streams per tap loop; past this they leave L1 and every tile
/// re-reads them from L2 (conv2d_A, 576 taps × 64 channels: 93 GFLOP/s on this engine against
/// 104 on the position engine, whose weight blocks are 8 channels wide).
const MAX_TILE_WEIGHT_BYTES: usize = 16 << 10;

/// How a plan is tiled on one backend: tiles of one channel register × `p` or `p - 1` pixels
/// of a row (near-equal tiles, none wider than `p`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Tiling {
    /// `f32` lanes of the backend's register.
    pub(super) lanes: usize,
    /// Output channels padded to whole registers.
    pub(super) opad: usize,
    /// Most pixels per tile.
    pub(super) p: usize,
    /// Tiles per output row.
    pub(super) tiles: usize,
}

impl Tiling {
    /// The tiling of `plan` with `lanes` lanes and room for `budget` accumulators.
    fn new(plan: &Plan, lanes: usize, budget: usize) -> Self {
        let max = budget.clamp(1, MAX_PIXELS);
        let w = plan.out_w.max(1);
        let tiles = w.div_ceil(max);
        Self {
            lanes,
            opad: plan.out_c.div_ceil(lanes) * lanes,
            p: w.div_ceil(tiles),
            tiles,
        }
    }

    /// The AVX2 tiling of `plan` (8 lanes, 12 accumulators), to run those tiles on a machine
    /// that dispatches to AVX-512.
    #[cfg(test)]
    pub(crate) fn avx2(plan: &Plan) -> Self {
        Self::new(plan, 8, 12)
    }

    /// Narrowest tile of the row.
    fn min_pixels(&self, out_w: usize) -> usize {
        out_w / self.tiles
    }

    /// Bounds `(x0, x1)` of the row's tiles: near-equal, the first `w % tiles` one pixel wider.
    pub(super) fn bounds(&self, out_w: usize) -> Vec<(usize, usize)> {
        let t = self.tiles;
        (0..t)
            .map(|k| (k * out_w / t, (k + 1) * out_w / t))
            .collect()
    }
}

/// The tiling on the dispatched backend, `None` on a backend this engine does not run on
/// (fewer than 8 `f32` lanes: scalar, NEON). Accumulators may take three quarters of the
/// register file: 24 of AVX-512's 32 registers, 12 of AVX2's 16.
pub(crate) fn dispatched(plan: &Plan) -> Option<Tiling> {
    if cfg!(not(target_arch = "x86_64")) {
        return None;
    }
    struct Probe<'a>(&'a Plan);
    impl WithSimd for Probe<'_> {
        type Output = Option<Tiling>;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) -> Option<Tiling> {
            match <f32 as SimdElement>::lanes::<S>() {
                16 => Some(Tiling::new(self.0, 16, 24)),
                8 => Some(Tiling::new(self.0, 8, 12)),
                _ => None,
            }
        }
    }
    arch().dispatch(Probe(plan))
}

/// Share of the computed lanes that are real outputs in the position-vectorised engine on
/// `plan` with `lanes` lanes (its output-channel blocks and its flat or row-mode positions).
fn position_engine_use(plan: &Plan, lanes: usize) -> f64 {
    let ob = super::super::engine::pick_block(plan.out_c);
    let channels = plan.out_c as f64 / (plan.out_c.div_ceil(ob) * ob) as f64;
    let flat_regs = plan.nflat().div_ceil(lanes);
    let regs = if plan.out_w <= lanes && plan.out_h < flat_regs {
        plan.out_h
    } else {
        flat_regs
    };
    channels * (plan.out_h * plan.out_w) as f64 / (regs * lanes) as f64
}

/// The tiling this engine runs `plan` with, if it should rather than the position-vectorised
/// engine: it must use clearly more of the lanes (a broadcast per FMA and the transposes cost
/// more than that engine's shared loads, so a near tie stays there), every tile must hold
/// [`MIN_PIXELS`] accumulators, and a tile's weights must stay in L1.
pub(crate) fn wins(plan: &Plan) -> Option<Tiling> {
    let t = dispatched(plan)?;
    if plan.out_w == 0 || plan.out_h == 0 || plan.out_c == 0 {
        return None;
    }
    let taps = plan.src_c * plan.kh * plan.kw;
    let weight_bytes = taps * t.lanes * core::mem::size_of::<f32>();
    let channel_use = plan.out_c as f64 / t.opad as f64;
    (t.min_pixels(plan.out_w) >= MIN_PIXELS
        && weight_bytes <= MAX_TILE_WEIGHT_BYTES
        && channel_use >= 1.08 * position_engine_use(plan, t.lanes))
    .then_some(t)
}
