//! [`ConvDecl`]: what a `simdgrad::conv!` declaration fixes at compile time (rank, kernel
//! extents, stride, padding, dilation, bias rule, fused activation), and the checks and kernel
//! calls its generated methods delegate to.
//!
//! ```
//! simdgrad::conv! { pub conv3x3: rank = 2, kernel = [3, 3], stride = 1, padding = [1, 1] }
//!
//! use simdgrad::conv::ConvDecl;
//! assert_eq!(Conv3x3::KERNEL, [3, 3]);
//! let s = Conv3x3.shape([2, 4, 8, 8], [5, 4, 3, 3]).unwrap();
//! assert_eq!(s.output_shape(), [2, 5, 8, 8]);
//! // Another kernel size is an error naming both shapes, never a panic.
//! assert!(Conv3x3.shape([2, 4, 8, 8], [5, 4, 5, 5]).is_err());
//! ```

use super::{ConvKernel, ConvParams, ConvShape, Epilogue, StridedRef};
use crate::simd::SimdElement;
use crate::{Error, Result};

/// Whether a declared convolution takes a bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BiasRule {
    /// With or without (the default).
    Optional,
    /// A bias must be given (`bias = true`).
    Required,
    /// No bias may be given (`bias = false`).
    Forbidden,
}

/// A convolution declared with `simdgrad::conv!`: the compile-time half of its description.
/// Batch, channels and spatial sizes stay run-time values.
pub trait ConvDecl: Copy + Default + Send + Sync + 'static {
    /// The declared name (`conv3x3`).
    const NAME: &'static str;
    /// The declaration in words, as its rustdoc states it.
    const DECLARATION: &'static str;
    /// 1 (`(B, C, W)` tensors) or 2 (`(B, C, H, W)`).
    const RANK: usize;
    /// `[KH, KW]`; `KH = 1` for rank 1.
    const KERNEL: [usize; 2];
    /// Per-axis (height, width) stride, padding and dilation; `None` when declared
    /// `params = runtime` (the op then takes them as an argument). Rank 1: height is
    /// [`ConvParams::valid`].
    const PARAMS: Option<[ConvParams; 2]>;
    /// Whether a bias is optional, required or forbidden.
    const BIAS: BiasRule;
    /// The kernel the declaration runs: [`super::Specialised`] (checks the declared stride,
    /// dilation and padding, then runs [`super::Fixed`] of the declared extents), or
    /// [`super::Fixed`] for `params = runtime`.
    type Kernel: ConvKernel;
    /// The fused activation ([`super::NoActivation`] or [`super::Activated`]).
    type Epilogue: Epilogue;
}

fn invalid(op: &'static str, message: String) -> Error {
    Error::InvalidArgument { op, message }
}

/// Checks that `s` is a shape the declaration `D` accepts: its kernel extents and, unless
/// declared at run time, its stride, padding and dilation.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the declaration and the shape.
pub fn check_shape<D: ConvDecl>(s: &ConvShape) -> Result<()> {
    if [s.kernel_h, s.kernel_w] != D::KERNEL {
        return Err(invalid(
            D::NAME,
            format!(
                "{} is declared for {}x{} weights but {s} has {}x{}",
                D::NAME,
                D::KERNEL[0],
                D::KERNEL[1],
                s.kernel_h,
                s.kernel_w
            ),
        ));
    }
    match D::PARAMS {
        Some(p) if p != s.params => Err(invalid(
            D::NAME,
            format!(
                "{} is declared with params {p:?} (height, width) but {s} has {:?}",
                D::NAME,
                s.params
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks the declaration's bias rule.
///
/// # Errors
/// [`Error::InvalidArgument`] when a required bias is missing or a forbidden one is given.
pub fn check_bias<D: ConvDecl>(has_bias: bool) -> Result<()> {
    match (D::BIAS, has_bias) {
        (BiasRule::Required, false) => Err(invalid(
            D::NAME,
            format!(
                "{} is declared with `bias = true` but no bias was given",
                D::NAME
            ),
        )),
        (BiasRule::Forbidden, true) => Err(invalid(
            D::NAME,
            format!(
                "{} is declared with `bias = false` but a bias was given",
                D::NAME
            ),
        )),
        _ => Ok(()),
    }
}

/// The validated shape of `D` for an input and a weight of rank `D::RANK + 2` (slices so one
/// function serves both ranks), with `params` (height, width).
///
/// # Errors
/// [`Error::InvalidArgument`] naming the shapes for a wrong rank, mismatched channels, a window
/// larger than the padded input, or extents other than the declared ones.
pub fn shape<D: ConvDecl>(
    input: &[usize],
    weight: &[usize],
    params: [ConvParams; 2],
) -> Result<ConvShape> {
    let n = D::RANK + 2;
    if input.len() != n || weight.len() != n {
        return Err(invalid(
            D::NAME,
            format!(
                "{} is a rank-{} convolution: input and weight must be {n}-D, got input \
                 {input:?} and weight {weight:?}",
                D::NAME,
                D::RANK
            ),
        ));
    }
    let s = if D::RANK == 1 {
        ConvShape::conv1d(
            [input[0], input[1], input[2]],
            [weight[0], weight[1], weight[2]],
            params[1],
        )?
    } else {
        ConvShape::conv2d(
            [input[0], input[1], input[2], input[3]],
            [weight[0], weight[1], weight[2], weight[3]],
            params,
        )?
    };
    check_shape::<D>(&s)?;
    Ok(s)
}

/// The declared parameters, or `runtime` for a `params = runtime` declaration.
pub fn params<D: ConvDecl>(runtime: Option<[ConvParams; 2]>) -> Result<[ConvParams; 2]> {
    match (D::PARAMS, runtime) {
        (Some(p), _) | (None, Some(p)) => Ok(p),
        (None, None) => Err(invalid(
            D::NAME,
            format!("{} is declared with `params = runtime`: pass them", D::NAME),
        )),
    }
}

/// [`ConvKernel::forward_fused`] of `D::Kernel` after checking `s` against `D`.
///
/// # Errors
/// As [`check_shape`] and [`ConvKernel::forward_fused`].
pub fn forward_fused<D: ConvDecl, E: SimdElement, A: Epilogue>(
    s: &ConvShape,
    x: StridedRef<'_, E, 4>,
    w: StridedRef<'_, E, 4>,
    bias: Option<&[E]>,
    out: &mut [E],
    pre: Option<&mut [E]>,
) -> Result<()> {
    check_shape::<D>(s)?;
    D::Kernel::forward_fused::<E, A>(s, x, w, bias, out, pre)
}

/// The declared forward: `D`'s bias rule, then [`forward_fused`] with `D`'s own activation,
/// writing the pre-activation to `pre` when given.
///
/// Generic over `D` so generated code names the activation type only in its `ConvDecl` impl:
/// a type that is not an activation is then reported once, at the user's token.
///
/// # Errors
/// As [`check_bias`] and [`forward_fused`].
pub fn forward<D: ConvDecl, E: SimdElement>(
    s: &ConvShape,
    x: StridedRef<'_, E, 4>,
    w: StridedRef<'_, E, 4>,
    bias: Option<&[E]>,
    out: &mut [E],
    pre: Option<&mut [E]>,
) -> Result<()> {
    check_bias::<D>(bias.is_some())?;
    forward_fused::<D, E, D::Epilogue>(s, x, w, bias, out, pre)
}

/// The gradient of `D`'s pre-activation, `grad_z = grad_out · act'(pre)` ([`Epilogue::backward`]
/// of `D::Epilogue`).
///
/// # Errors
/// [`Error::LengthMismatch`] if the slices differ in length.
pub fn backward_activation<D: ConvDecl, E: SimdElement>(
    pre: &[E],
    grad_out: &[E],
    grad_z: &mut [E],
) -> Result<()> {
    D::Epilogue::backward(pre, grad_out, grad_z)
}

/// [`ConvKernel::backward_input`] of `D::Kernel` after checking `s` against `D`.
///
/// # Errors
/// As [`check_shape`] and [`ConvKernel::backward_input`].
pub fn backward_input<D: ConvDecl, E: SimdElement>(
    s: &ConvShape,
    grad_out: StridedRef<'_, E, 4>,
    w: StridedRef<'_, E, 4>,
    grad_input: &mut [E],
) -> Result<()> {
    check_shape::<D>(s)?;
    D::Kernel::backward_input(s, grad_out, w, grad_input)
}

/// [`ConvKernel::backward_weight`] of `D::Kernel` after checking `s` against `D`.
///
/// # Errors
/// As [`check_shape`] and [`ConvKernel::backward_weight`].
pub fn backward_weight<D: ConvDecl, E: SimdElement>(
    s: &ConvShape,
    x: StridedRef<'_, E, 4>,
    grad_out: StridedRef<'_, E, 4>,
    grad_weight: &mut [E],
) -> Result<()> {
    check_shape::<D>(s)?;
    D::Kernel::backward_weight(s, x, grad_out, grad_weight)
}
