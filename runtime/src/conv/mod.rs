//! Convolutions on strided slices: 1-D and 2-D, any stride, per-side padding and dilation, an
//! optional bias; forward, input-gradient (gather form) and weight-gradient kernels.
//!
//! ```
//! use simdgrad::conv::{self, ConvParams, ConvShape, StridedRef};
//!
//! // MiniTorch's worked example: conv1d([0,1,2,3], [1,2,3]) = [8,14,8,3] (anchored at the left).
//! let s = ConvShape::conv1d([1, 1, 4], [1, 1, 3], ConvParams::anchored_start(3)).unwrap();
//! let x = [0.0f32, 1.0, 2.0, 3.0];
//! let w = [1.0f32, 2.0, 3.0];
//! let mut out = [0.0f32; 4];
//! conv::conv1d_forward(&s, StridedRef::contiguous(&x, [1, 1, 4]),
//!     StridedRef::contiguous(&w, [1, 1, 3]), None, &mut out).unwrap();
//! assert_eq!(out, [8.0, 14.0, 8.0, 3.0]);
//! ```
//!
//! Conventions (see `semantics.md`): output position `y` reads input `y·stride + k·dilation −
//! padding_before` through tap `k` ([`ConvParams`]). MiniTorch's conv is
//! [`ConvParams::anchored_start`]; its `reverse` anchoring (`out[t] = Σ_k in[t−k]·w[k]`) is
//! [`ConvParams::anchored_end`] with the weight flipped along the axis.
//!
//! Every kernel takes the input and weight as [`StridedRef`] views (any strides, so permuted
//! tensors need no copy) and writes a contiguous output. The fast kernels are specialised at
//! compile time for the kernel extents of [`Fixed`] (any `KH × KW`); [`Dynamic`] handles any
//! extent. Shapes fixed at compile time are declared with `simdgrad::conv!` ([`ConvDecl`]),
//! optionally with a bias rule and an activation fused into the store ([`Epilogue`]); the
//! `conv2d_*`/`conv1d_*` functions ([`Auto`]) dispatch to the kernels declared that way in
//! [`kernels`] (1×1, 3×3, 5×5, 1-D widths 3, 4, 5) and to [`Dynamic`] otherwise. [`naive`]
//! holds the nested-loop reference.

mod channels;
pub mod decl;
mod engine;
mod epilogue;
pub mod kernels;
mod masked;
pub mod naive;
mod params;
mod plan;
mod shape;
mod specialised;
mod strided;
#[cfg(test)]
mod tests;

pub use decl::{BiasRule, ConvDecl};
pub use epilogue::{Activated, ConvActivation, Epilogue, NoActivation};
pub use params::ConvParams;
pub use shape::ConvShape;
pub use specialised::{Constrained, Specialised};
pub use strided::StridedRef;

use crate::kernel::ReduceKernel;
use crate::ops::builtins::Sum;
use crate::simd::SimdElement;
use crate::{Error, Result};
use plan::Plan;

impl<'a, E: Copy> StridedRef<'a, E, 3> {
    /// The 1-D view `(B, C, W)` as the 2-D view `(B, C, 1, W)`.
    pub fn with_unit_height(self) -> StridedRef<'a, E, 4> {
        let [b, c, w] = self.shape;
        let [sb, sc, sw] = self.strides;
        StridedRef {
            data: self.data,
            offset: self.offset,
            shape: [b, c, 1, w],
            strides: [sb, sc, 0, sw],
        }
    }
}

pub(crate) fn check_forward<E: Copy>(
    s: &ConvShape,
    op: &'static str,
    x: &StridedRef<'_, E, 4>,
    w: &StridedRef<'_, E, 4>,
    bias: Option<&[E]>,
    out_len: usize,
) -> Result<()> {
    s.check_view(op, "input", x, s.input_shape())?;
    s.check_view(op, "weight", w, s.weight_shape())?;
    if let Some(bias) = bias
        && bias.len() != s.out_channels
    {
        return Err(Error::LengthMismatch {
            op,
            what: "bias",
            expected: s.out_channels,
            got: bias.len(),
        });
    }
    s.check_len(op, "output", out_len, s.output_shape())
}

pub(crate) fn check_backward_input<E: Copy>(
    s: &ConvShape,
    op: &'static str,
    grad_out: &StridedRef<'_, E, 4>,
    w: &StridedRef<'_, E, 4>,
    grad_input_len: usize,
) -> Result<()> {
    s.check_view(op, "grad_output", grad_out, s.output_shape())?;
    s.check_view(op, "weight", w, s.weight_shape())?;
    s.check_len(op, "grad_input", grad_input_len, s.input_shape())
}

pub(crate) fn check_backward_weight<E: Copy>(
    s: &ConvShape,
    op: &'static str,
    x: &StridedRef<'_, E, 4>,
    grad_out: &StridedRef<'_, E, 4>,
    grad_weight_len: usize,
) -> Result<()> {
    s.check_view(op, "input", x, s.input_shape())?;
    s.check_view(op, "grad_output", grad_out, s.output_shape())?;
    s.check_len(op, "grad_weight", grad_weight_len, s.weight_shape())
}

/// A convolution kernel: forward, input gradient and weight gradient for one family of shapes.
///
/// Implemented by [`Fixed`] (kernel extents known at compile time), [`Dynamic`] (any extents),
/// [`Auto`] (picks one per shape), every [`Constrained`] kernel such as [`Specialised`] (a
/// shape check, then an inner kernel), and every type declared with `simdgrad::conv!` (whose
/// implementation also checks the declared stride, padding and dilation; the declared
/// activation is *not* part of this trait's forward, see [`ConvDecl`]).
pub trait ConvKernel {
    /// The kernel extents `[KH, KW]` this kernel is specialised for, or `None` for any.
    const EXTENT: Option<[usize; 2]>;

    /// `out = act(conv(x, w) + bias)` with the epilogue `A`, `out` contiguous `(B, O, OH, OW)`;
    /// `pre`, if given (same length), receives `conv(x, w) + bias` before the activation, as
    /// the activation's backward needs it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a view's shape differs from `s`, a view does not fit its
    /// slice, or the kernel extents differ from [`ConvKernel::EXTENT`];
    /// [`Error::LengthMismatch`] for a wrong bias, output or `pre` length.
    fn forward_fused<E: SimdElement, A: Epilogue>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        bias: Option<&[E]>,
        out: &mut [E],
        pre: Option<&mut [E]>,
    ) -> Result<()>;

    /// `out = conv(x, w) + bias`, `out` contiguous `(B, O, OH, OW)`.
    ///
    /// # Errors
    /// As [`ConvKernel::forward_fused`].
    fn forward<E: SimdElement>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        bias: Option<&[E]>,
        out: &mut [E],
    ) -> Result<()> {
        Self::forward_fused::<E, NoActivation>(s, x, w, bias, out, None)
    }

    /// `grad_input = ∂⟨grad_out, conv(x, w)⟩/∂x`, contiguous `(B, C, H, W)`, in gather form.
    ///
    /// # Errors
    /// As [`ConvKernel::forward_fused`].
    fn backward_input<E: SimdElement>(
        s: &ConvShape,
        grad_out: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        grad_input: &mut [E],
    ) -> Result<()>;

    /// `grad_weight = ∂⟨grad_out, conv(x, w)⟩/∂w`, contiguous `(O, C, KH, KW)`.
    ///
    /// # Errors
    /// As [`ConvKernel::forward_fused`].
    fn backward_weight<E: SimdElement>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        grad_out: StridedRef<'_, E, 4>,
        grad_weight: &mut [E],
    ) -> Result<()>;
}

/// The kernel specialised for `KH × KW` weights (1-D: `KH = 1`): monomorphised on the extents,
/// with the per-channel tap loop unrolled for square kernels up to 3×3 (larger ones walk a tap
/// table, measured faster for 5×5 and 1×5).
#[derive(Clone, Copy, Debug, Default)]
pub struct Fixed<const KH: usize, const KW: usize>;

/// The kernel for run-time extents (walks a table of tap offsets).
#[derive(Clone, Copy, Debug, Default)]
pub struct Dynamic;

fn check_extent(op: &'static str, s: &ConvShape, extent: Option<[usize; 2]>) -> Result<()> {
    match extent {
        Some(e) if e != [s.kernel_h, s.kernel_w] => Err(Error::InvalidArgument {
            op,
            message: format!(
                "this kernel is specialised for {}x{} weights but {s} has {}x{}",
                e[0], e[1], s.kernel_h, s.kernel_w
            ),
        }),
        _ => Ok(()),
    }
}

fn forward_impl<E: SimdElement, A: Epilogue, const KH: usize, const KW: usize>(
    s: &ConvShape,
    x: StridedRef<'_, E, 4>,
    w: StridedRef<'_, E, 4>,
    bias: Option<&[E]>,
    out: &mut [E],
    pre: Option<&mut [E]>,
) -> Result<()> {
    const OP: &str = "conv forward";
    check_forward(s, OP, &x, &w, bias, out.len())?;
    if let Some(pre) = &pre {
        s.check_len(OP, "pre-activation", pre.len(), s.output_shape())?;
    }
    check_extent(OP, s, (KH != 0).then_some([KH, KW]))?;
    let wv = |o, c, p, q| w.data[w.position([o, c, p, q])];
    engine::forward::<E, A, KH, KW>(&Plan::forward(s)?, x, wv, bias, out, pre);
    Ok(())
}

fn backward_input_impl<E: SimdElement, const KH: usize, const KW: usize>(
    s: &ConvShape,
    grad_out: StridedRef<'_, E, 4>,
    w: StridedRef<'_, E, 4>,
    grad_input: &mut [E],
) -> Result<()> {
    const OP: &str = "conv backward_input";
    check_backward_input(s, OP, &grad_out, &w, grad_input.len())?;
    check_extent(OP, s, (KH != 0).then_some([KH, KW]))?;
    let (kh, kw) = (s.kernel_h, s.kernel_w);
    // Transposed (channels swapped) and flipped: the adjoint of the forward conv.
    let wv = |c, o, p, q| w.data[w.position([o, c, kh - 1 - p, kw - 1 - q])];
    let plan = Plan::backward_input(s)?;
    engine::forward::<E, NoActivation, KH, KW>(&plan, grad_out, wv, None, grad_input, None);
    Ok(())
}

fn backward_weight_impl<E: SimdElement>(
    s: &ConvShape,
    extent: Option<[usize; 2]>,
    x: StridedRef<'_, E, 4>,
    grad_out: StridedRef<'_, E, 4>,
    grad_weight: &mut [E],
) -> Result<()> {
    const OP: &str = "conv backward_weight";
    check_backward_weight(s, OP, &x, &grad_out, grad_weight.len())?;
    check_extent(OP, s, extent)?;
    engine::backward_weight(&Plan::forward(s)?, x, grad_out, grad_weight);
    Ok(())
}

impl<const KH: usize, const KW: usize> ConvKernel for Fixed<KH, KW> {
    const EXTENT: Option<[usize; 2]> = Some([KH, KW]);

    fn forward_fused<E: SimdElement, A: Epilogue>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        bias: Option<&[E]>,
        out: &mut [E],
        pre: Option<&mut [E]>,
    ) -> Result<()> {
        forward_impl::<E, A, KH, KW>(s, x, w, bias, out, pre)
    }

    fn backward_input<E: SimdElement>(
        s: &ConvShape,
        grad_out: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        grad_input: &mut [E],
    ) -> Result<()> {
        backward_input_impl::<E, KH, KW>(s, grad_out, w, grad_input)
    }

    /// The weight gradient tiles taps across channels, so it shares the generic kernel.
    fn backward_weight<E: SimdElement>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        grad_out: StridedRef<'_, E, 4>,
        grad_weight: &mut [E],
    ) -> Result<()> {
        backward_weight_impl(s, Self::EXTENT, x, grad_out, grad_weight)
    }
}

impl ConvKernel for Dynamic {
    const EXTENT: Option<[usize; 2]> = None;

    fn forward_fused<E: SimdElement, A: Epilogue>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        bias: Option<&[E]>,
        out: &mut [E],
        pre: Option<&mut [E]>,
    ) -> Result<()> {
        forward_impl::<E, A, 0, 0>(s, x, w, bias, out, pre)
    }

    fn backward_input<E: SimdElement>(
        s: &ConvShape,
        grad_out: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        grad_input: &mut [E],
    ) -> Result<()> {
        backward_input_impl::<E, 0, 0>(s, grad_out, w, grad_input)
    }

    fn backward_weight<E: SimdElement>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        grad_out: StridedRef<'_, E, 4>,
        grad_weight: &mut [E],
    ) -> Result<()> {
        backward_weight_impl(s, None, x, grad_out, grad_weight)
    }
}

/// The kernel for any shape: the kernels declared with `simdgrad::conv!` in [`kernels`] for
/// the common extents (1×1, 3×3, 5×5; 1-D widths 3, 4, 5), [`Dynamic`] for the others.
#[derive(Clone, Copy, Debug, Default)]
pub struct Auto;

/// Runs `$method` on the declared kernel for the shape's extents, else on [`Dynamic`].
macro_rules! dispatch {
    ($s:expr, $method:ident $(::<$($g:ty),*>)? ( $($arg:expr),* )) => {
        match ($s.kernel_h, $s.kernel_w) {
            (1, 1) => <kernels::Conv1x1 as ConvKernel>::$method$(::<$($g),*>)?($($arg),*),
            (3, 3) => <kernels::Conv3x3 as ConvKernel>::$method$(::<$($g),*>)?($($arg),*),
            (5, 5) => <kernels::Conv5x5 as ConvKernel>::$method$(::<$($g),*>)?($($arg),*),
            (1, 3) => <kernels::Conv1dK3 as ConvKernel>::$method$(::<$($g),*>)?($($arg),*),
            (1, 4) => <kernels::Conv1dK4 as ConvKernel>::$method$(::<$($g),*>)?($($arg),*),
            (1, 5) => <kernels::Conv1dK5 as ConvKernel>::$method$(::<$($g),*>)?($($arg),*),
            _ => <Dynamic as ConvKernel>::$method$(::<$($g),*>)?($($arg),*),
        }
    };
}

impl ConvKernel for Auto {
    const EXTENT: Option<[usize; 2]> = None;

    fn forward_fused<E: SimdElement, A: Epilogue>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        bias: Option<&[E]>,
        out: &mut [E],
        pre: Option<&mut [E]>,
    ) -> Result<()> {
        dispatch!(s, forward_fused::<E, A>(s, x, w, bias, out, pre))
    }

    fn backward_input<E: SimdElement>(
        s: &ConvShape,
        grad_out: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        grad_input: &mut [E],
    ) -> Result<()> {
        dispatch!(s, backward_input::<E>(s, grad_out, w, grad_input))
    }

    fn backward_weight<E: SimdElement>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        grad_out: StridedRef<'_, E, 4>,
        grad_weight: &mut [E],
    ) -> Result<()> {
        dispatch!(s, backward_weight::<E>(s, x, grad_out, grad_weight))
    }
}

/// 2-D convolution forward: `out[b,o,y,x] = bias[o] + Σ_c Σ_p Σ_q x[b,c,y·sh+p·dh−ph,
/// x·sw+q·dw−pw] · w[o,c,p,q]`; `out` is contiguous `s.output_shape()`.
///
/// # Errors
/// [`Error::InvalidArgument`] if a view's shape differs from `s` or a view does not fit its
/// slice; [`Error::LengthMismatch`] for a wrong bias or output length.
pub fn conv2d_forward<E: SimdElement>(
    s: &ConvShape,
    x: StridedRef<'_, E, 4>,
    w: StridedRef<'_, E, 4>,
    bias: Option<&[E]>,
    out: &mut [E],
) -> Result<()> {
    Auto::forward(s, x, w, bias, out)
}

/// 2-D convolution input gradient (gather form, exact for any stride, padding and dilation);
/// `grad_input` is contiguous `s.input_shape()`.
///
/// # Errors
/// As [`conv2d_forward`].
pub fn conv2d_backward_input<E: SimdElement>(
    s: &ConvShape,
    grad_out: StridedRef<'_, E, 4>,
    w: StridedRef<'_, E, 4>,
    grad_input: &mut [E],
) -> Result<()> {
    Auto::backward_input(s, grad_out, w, grad_input)
}

/// 2-D convolution weight gradient; `grad_weight` is contiguous `s.weight_shape()`.
///
/// # Errors
/// As [`conv2d_forward`].
pub fn conv2d_backward_weight<E: SimdElement>(
    s: &ConvShape,
    x: StridedRef<'_, E, 4>,
    grad_out: StridedRef<'_, E, 4>,
    grad_weight: &mut [E],
) -> Result<()> {
    Auto::backward_weight(s, x, grad_out, grad_weight)
}

/// Bias gradient: `grad_bias[o] = Σ_b Σ_y Σ_x grad_out[b,o,y,x]`.
///
/// # Errors
/// As [`conv2d_forward`].
pub fn conv2d_backward_bias<E: SimdElement>(
    s: &ConvShape,
    grad_out: StridedRef<'_, E, 4>,
    grad_bias: &mut [E],
) -> Result<()> {
    const OP: &str = "conv backward_bias";
    s.check_view(OP, "grad_output", &grad_out, s.output_shape())?;
    if grad_bias.len() != s.out_channels {
        return Err(Error::LengthMismatch {
            op: OP,
            what: "grad_bias",
            expected: s.out_channels,
            got: grad_bias.len(),
        });
    }
    let plane = s.out_h * s.out_w;
    let planes_contiguous =
        grad_out.strides[3] == 1 && (s.out_h <= 1 || grad_out.strides[2] == s.out_w);
    for (o, gb) in grad_bias.iter_mut().enumerate() {
        let mut acc = E::ZERO;
        if planes_contiguous && plane > 0 {
            // One serial scalar chain was latency-bound (4% of LeNet training); the SIMD fold
            // runs four vector accumulators over each contiguous plane.
            for b in 0..s.batch {
                let from = grad_out.position([b, o, 0, 0]);
                acc += ReduceKernel::fold(Sum, &grad_out.data[from..from + plane]);
            }
            *gb = acc;
            continue;
        }
        for b in 0..s.batch {
            for y in 0..s.out_h {
                let from = grad_out.position([b, o, y, 0]);
                for x in 0..s.out_w {
                    acc += grad_out.data[from + x * grad_out.strides[3]];
                }
            }
        }
        *gb = acc;
    }
    Ok(())
}

/// 1-D convolution forward on `(B, C, W)` views (see [`conv2d_forward`]); `s` from
/// [`ConvShape::conv1d`], `out` contiguous `(B, O, OW)`.
///
/// # Errors
/// As [`conv2d_forward`].
pub fn conv1d_forward<E: SimdElement>(
    s: &ConvShape,
    x: StridedRef<'_, E, 3>,
    w: StridedRef<'_, E, 3>,
    bias: Option<&[E]>,
    out: &mut [E],
) -> Result<()> {
    conv2d_forward(s, x.with_unit_height(), w.with_unit_height(), bias, out)
}

/// 1-D convolution input gradient; `grad_input` contiguous `(B, C, W)`.
///
/// # Errors
/// As [`conv2d_forward`].
pub fn conv1d_backward_input<E: SimdElement>(
    s: &ConvShape,
    grad_out: StridedRef<'_, E, 3>,
    w: StridedRef<'_, E, 3>,
    grad_input: &mut [E],
) -> Result<()> {
    conv2d_backward_input(
        s,
        grad_out.with_unit_height(),
        w.with_unit_height(),
        grad_input,
    )
}

/// 1-D convolution weight gradient; `grad_weight` contiguous `(O, C, K)`.
///
/// # Errors
/// As [`conv2d_forward`].
pub fn conv1d_backward_weight<E: SimdElement>(
    s: &ConvShape,
    x: StridedRef<'_, E, 3>,
    grad_out: StridedRef<'_, E, 3>,
    grad_weight: &mut [E],
) -> Result<()> {
    conv2d_backward_weight(
        s,
        x.with_unit_height(),
        grad_out.with_unit_height(),
        grad_weight,
    )
}
