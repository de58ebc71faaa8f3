//! [`Specialised`]: the kernel a `simdgrad::conv!` declaration with declared stride, padding
//! and dilation is monomorphised on. Those parameters are const generics: the forward and
//! input-gradient tiles compute every tap offset from the constant stride and dilation (for the
//! unrolled extents, each tap's phase, row and column are constants), and the plan is built
//! from the constant padding rather than from the run-time shape.

use super::engine::ConstGeometry;
use super::plan::Plan;
use super::{
    backward_input_impl, backward_weight_impl, forward_impl, ConvKernel, ConvParams, ConvShape,
    Epilogue, StridedRef,
};
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

impl<
        const KH: usize,
        const KW: usize,
        const SH: usize,
        const SW: usize,
        const DH: usize,
        const DW: usize,
        const PH: usize,
        const PW: usize,
    > ConvKernel for Specialised<KH, KW, SH, SW, DH, DW, PH, PW>
{
    const EXTENT: Option<[usize; 2]> = Some([KH, KW]);

    fn forward_fused<E: SimdElement, A: Epilogue>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        bias: Option<&[E]>,
        out: &mut [E],
        pre: Option<&mut [E]>,
    ) -> Result<()> {
        let c = constant_shape("conv forward", s, [[SH, DH, PH], [SW, DW, PW]])?;
        let plan = Plan::forward(&c);
        forward_impl::<E, A, KH, KW, ConstGeometry<SH, SW, DH, DW>>(&c, &plan, x, w, bias, out, pre)
    }

    /// The gather form is a stride-1 conv of the upsampled gradient with the same dilation.
    fn backward_input<E: SimdElement>(
        s: &ConvShape,
        grad_out: StridedRef<'_, E, 4>,
        w: StridedRef<'_, E, 4>,
        grad_input: &mut [E],
    ) -> Result<()> {
        let c = constant_shape("conv backward_input", s, [[SH, DH, PH], [SW, DW, PW]])?;
        let plan = Plan::backward_input(&c);
        backward_input_impl::<E, KH, KW, ConstGeometry<1, 1, DH, DW>>(
            &c, &plan, grad_out, w, grad_input,
        )
    }

    /// The weight gradient tiles taps across channels, so it shares the generic kernel.
    fn backward_weight<E: SimdElement>(
        s: &ConvShape,
        x: StridedRef<'_, E, 4>,
        grad_out: StridedRef<'_, E, 4>,
        grad_weight: &mut [E],
    ) -> Result<()> {
        let c = constant_shape("conv backward_weight", s, [[SH, DH, PH], [SW, DW, PW]])?;
        backward_weight_impl(&c, Self::EXTENT, x, grad_out, grad_weight)
    }
}
