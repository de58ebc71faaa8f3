//! The `f32` forward engine vectorised over output channels, for narrow outputs with many
//! channels.
//!
//! [`super::engine`] puts output *positions* in the vector lanes, so an output row narrower
//! than a register leaves lanes idle (conv2d_C: a 14-wide row in 16 lanes, at most 0.875 of
//! the peak). Here the lanes hold output *channels*: a tile is one register of channels × 8 to
//! 16 pixels of one output row. For each tap `(c, p, q)` it loads one weight register (packed
//! once per call as `[tap][O]`, channels innermost, zero past `O`) and, for every pixel,
//! broadcasts one input value into a fused multiply-add, which AVX-512 encodes as one FMA with
//! a broadcast memory operand. No lane is wasted when `O` is a multiple of the lane count, and
//! a row is split into near-equal tiles, so no pixel is computed twice.
//!
//! The input is the position engine's own packing ([`super::plan::Plan::pack_interior`]:
//! zero-padded, stride phases split, the padding zeroed once per task), so every stride,
//! dilation and padding works, and the input gradient's upsampled plan too. A finished tile
//! holds each pixel's channels in a register, so it is transposed in registers into each
//! channel's pixels and stored straight into the `(O, OH, OW)` output.
//!
//! Code size decides the design. The engine is monomorphised per tile shape and backend, so
//! written generically it was compiled again for every element type × fused activation in
//! every crate that declares a conv (4 MB of it in one test binary). Here only this module's
//! thin entry ([`try_forward`]: casts, weight packing, the activation pass) is generic; the
//! register kernel ([`kernel`]) is `f32`-only and non-generic, compiled once in the runtime
//! with nine tile shapes per backend. The fused activation is not applied in registers but
//! over each finished image while it is still in L1. `f64` stays on the position engine.
//!
//! [`tiling::wins`] decides, per plan, whether this engine or the position-vectorised one runs
//! it.

mod cast;
mod kernel;
mod tiling;

#[cfg(test)]
pub(crate) use tiling::dispatched;
pub(crate) use tiling::{wins, Tiling};

use super::epilogue::Epilogue;
use super::plan::Plan;
use super::StridedRef;
use crate::simd::SimdElement;

/// Runs the forward conv of `plan` on this engine when it wins the plan and `E` is `f32`
/// (same arguments and results, up to rounding order, as [`super::engine::forward`]); returns
/// `false`, having written nothing, otherwise.
pub(crate) fn try_forward<E: SimdElement, A: Epilogue>(
    plan: &Plan,
    src: StridedRef<'_, E, 4>,
    weight: &impl Fn(usize, usize, usize, usize) -> E,
    bias: Option<&[E]>,
    out: &mut [E],
    pre: Option<&mut [E]>,
) -> bool {
    if cast::f32s(src.data).is_none() {
        return false;
    }
    match wins(plan) {
        Some(tiling) => forward::<E, A>(plan, tiling, src, weight, bias, out, pre),
        None => false,
    }
}

/// The forward conv of `plan` on this engine with `tiling`, whatever [`wins`] says; `false`
/// (nothing written) unless `E` is `f32`.
pub(crate) fn forward<E: SimdElement, A: Epilogue>(
    plan: &Plan,
    tiling: Tiling,
    src: StridedRef<'_, E, 4>,
    weight: &impl Fn(usize, usize, usize, usize) -> E,
    bias: Option<&[E]>,
    out: &mut [E],
    pre: Option<&mut [E]>,
) -> bool {
    let (Some(data), Some(out)) = (cast::f32s(src.data), cast::f32s_mut(out)) else {
        return false;
    };
    if out.is_empty() {
        return true;
    }
    let src = StridedRef {
        data,
        offset: src.offset,
        shape: src.shape,
        strides: src.strides,
    };
    let opad = tiling.opad;
    // `E` is `f32` here, so the conversions are exact.
    let f = |v: E| v.to_f64() as f32;
    let taps = plan.src_c * plan.kh * plan.kw;
    let mut wpk = vec![0.0f32; taps * opad];
    let mut t = 0;
    for c in 0..plan.src_c {
        for p in 0..plan.kh {
            for q in 0..plan.kw {
                for o in 0..plan.out_c {
                    wpk[t * opad + o] = f(weight(o, c, p, q));
                }
                t += 1;
            }
        }
    }
    let mut bpad = vec![0.0f32; opad];
    if let Some(bias) = bias {
        for (d, &b) in bpad.iter_mut().zip(bias) {
            *d = f(b);
        }
    }
    let pre = pre.and_then(cast::f32s_mut);
    let post: Option<kernel::Post<'_>> = if A::IDENTITY && pre.is_none() {
        None
    } else {
        Some(&activate::<A>)
    };
    let inputs = kernel::Inputs {
        src,
        wpk: &wpk,
        bias: &bpad,
    };
    kernel::forward(plan, tiling, inputs, out, pre, post);
    true
}

/// `out = act(pre)`, or `out = act(out)` without `pre`: the fused activation over one image,
/// through the activation's own slice kernel.
fn activate<A: Epilogue>(out: &mut [f32], pre: Option<&[f32]>) {
    // The engine hands over an image and its pre-activation of one length.
    let r = A::forward(pre, out);
    debug_assert!(r.is_ok(), "{r:?}");
}
