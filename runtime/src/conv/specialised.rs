//! [`Specialised`]: the kernel a `simdgrad::conv!` declaration with declared stride, padding
//! and dilation names. Those parameters are const generics the kernel checks every shape
//! against; it then runs [`Fixed`] of the same extents, so every declaration with the same
//! extents shares one engine. Making the engine's tap offsets constants as well compiled one
//! engine per declaration and won nothing: measured in the same runs (thread CPU time, f32,
//! 1 thread), the constant offsets took 1.08–1.15× the time of the run-time ones on
//! 8×64×56×56 3×3 stride 1 and 1.00× at stride 2; the 5×5 and 1-D kernels walk a tap table
//! either way, so both ran the same code.
//!
//! [`Constrained`] is the one [`ConvKernel`] implementation of every such kernel: check the
//! shape, then run an inner kernel.

use super::{ConvKernel, ConvParams, ConvShape, Epilogue, Fixed, StridedRef};
use crate::simd::SimdElement;
use crate::{Error, Result};

/// `s` with its stride, dilation and padding before the input replaced by `want` (per axis
/// `[stride, dilation, padding_before]`), once they are checked equal, so the plan is built
/// from the kernel's constants.
fn constant_shape(op: &'static str, s: &ConvShape, want: [[usize; 3]; 2]) -> Result<ConvShape> {
    let axis = |p: ConvParams, [stride, dilation, padding_before]: [usize; 3]| ConvParams {
        stride,
        dilation,
        padding_before,
        ..p
    };
    let params = [axis(s.params[0], want[0]), axis(s.params[1], want[1])];
    if params != s.params {
        let [[sh, dh, ph], [sw, dw, pw]] = want;
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "this kernel is specialised for stride [{sh}, {sw}], dilation [{dh}, {dw}] and \
                 padding before [{ph}, {pw}] but {s} has {:?}",
                s.params
            ),
        });
    }
    Ok(ConvShape { params, ..*s })
}

/// The kernel for `KH × KW` weights with stride `SH × SW`, dilation `DH × DW` and `PH`, `PW`
/// zeros before the input (height, width), all fixed at compile time; the padding after the
/// input only sets the output extent, which stays in the run-time [`ConvShape`].
///
/// ```
/// use simdgrad::conv::{ConvKernel, ConvParams, ConvShape, Specialised, StridedRef};
/// let p = ConvParams::padded(1).with_stride(2);
/// let s = ConvShape::conv2d([1, 1, 4, 4], [1, 1, 3, 3], [p; 2]).unwrap();
/// let x = [1.0f32; 16];
/// let w = [1.0f32; 9];
/// let mut out = [0.0f32; 4];
/// Specialised::<3, 3, 2, 2, 1, 1, 1, 1>::forward(
///     &s,
///     StridedRef::contiguous(&x, s.input_shape()),
///     StridedRef::contiguous(&w, s.weight_shape()),
///     None,
///     &mut out,
/// )
/// .unwrap();
/// assert_eq!(out, [4.0, 6.0, 6.0, 9.0]);
/// // A shape with other parameters is an error naming it, never a panic.
/// let s1 = ConvShape::conv2d([1, 1, 4, 4], [1, 1, 3, 3], [ConvParams::padded(1); 2]).unwrap();
/// let mut out1 = [0.0f32; 16];
/// let x1 = StridedRef::contiguous(&x, s1.input_shape());
/// let w1 = StridedRef::contiguous(&w, s1.weight_shape());
/// assert!(Specialised::<3, 3, 2, 2, 1, 1, 1, 1>::forward(&s1, x1, w1, None, &mut out1).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Specialised<
    const KH: usize,
    const KW: usize,
    const SH: usize,
    const SW: usize,
    const DH: usize,
    const DW: usize,
    const PH: usize,
    const PW: usize,
>;

/// A kernel that accepts only some shapes and runs [`Constrained::Inner`] on them; every
/// `Constrained` type is a [`ConvKernel`] with the inner kernel's extents, erroring (before any
/// other check) on a shape [`Constrained::accept`] rejects.
pub trait Constrained {
    /// The kernel run on accepted shapes.
    type Inner: ConvKernel;

    /// `s` if this kernel runs it (possibly rebuilt from the kernel's constants; equal to `s`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming `op` and the shape when it is not accepted.
    fn accept(op: &'static str, s: &ConvShape) -> Result<ConvShape>;
}

impl<K: Constrained> ConvKernel for K {
    const EXTENT: Option<[usize; 2]> = K::Inner::EXTENT;

    fn forward_fused<E: SimdElement, A: Epilogue>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        bias: Option<&[E]>,
        out: &mut [E],
        pre: Option<&mut [E]>,
    ) -> Result<()> {
        let s = K::accept("conv forward", s)?;
        K::Inner::forward_fused::<E, A>(&s, x, w, bias, out, pre)
    }

    fn backward_input<E: SimdElement>(
        s: &ConvShape,
        grad_out: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        grad_input: &mut [E],
    ) -> Result<()> {
        let s = K::accept("conv backward_input", s)?;
        K::Inner::backward_input(&s, grad_out, w, grad_input)
    }

    fn backward_weight<E: SimdElement>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        grad_out: StridedRef<'_, E, 4>,
        grad_weight: &mut [E],
    ) -> Result<()> {
        let s = K::accept("conv backward_weight", s)?;
        K::Inner::backward_weight(&s, x, grad_out, grad_weight)
    }
}

impl<
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const DH: usize,
        const DW: usize,
        const PH: usize,
        const PW: usize,
    > Constrained for Specialised<KH, KW, SH, SW, DH, DW, PH, PW>
{
    type Inner = Fixed<KH, KW>;

    fn accept(op: &'static str, s: &ConvShape) -> Result<ConvShape> {
        constant_shape(op, s, [[SH, DH, PH], [SW, DW, PW]])
    }
}
