//! What a convolution does to its result before storing it: nothing ([`NoActivation`]) or an
//! elementwise activation declared with the DSL ([`Activated`]), fused into the engine's store
//! of each register tile so the output is written once.

use pulp::Simd;

use crate::kernel::MapKernel;
use crate::simd::SimdElement;
use crate::{Error, Result};

/// The elementwise step fused after a convolution's bias add (`out = act(conv(x, w) + bias)`).
///
/// Implemented by [`NoActivation`] and by [`Activated<K>`] for any `#[simdgrad::map]` kernel `K`.
pub trait Epilogue: Copy + Default + Send + Sync + 'static {
    /// The activation's name (`"identity"` for none).
    const NAME: &'static str;
    /// `true` when the epilogue is the identity, so no pre-activation needs to be kept for the
    /// backward pass.
    const IDENTITY: bool;

    /// The activation of one register.
    fn simd<S: Simd, E: SimdElement>(s: S, z: E::V<S>) -> E::V<S>;

    /// The activation of one value.
    fn scalar<E: SimdElement>(z: E) -> E;

    /// `out[i] = act(z[i])`, or `out[i] = act(out[i])` in place when `z` is `None`, SIMD.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `z` and `out` differ in length.
    fn forward<E: SimdElement>(z: Option<&[E]>, out: &mut [E]) -> Result<()>;

    /// `grad_z[i] = grad_out[i] · act'(z[i])`, from the saved pre-activation `z`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if the slices differ in length.
    fn backward<E: SimdElement>(z: &[E], grad_out: &[E], grad_z: &mut [E]) -> Result<()>;
}

/// No activation: the convolution's result is stored as is.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoActivation;

impl Epilogue for NoActivation {
    const NAME: &'static str = "identity";
    const IDENTITY: bool = true;

    #[inline(always)]
    fn simd<S: Simd, E: SimdElement>(_: S, z: E::V<S>) -> E::V<S> {
        z
    }

    #[inline(always)]
    fn scalar<E: SimdElement>(z: E) -> E {
        z
    }

    fn forward<E: SimdElement>(z: Option<&[E]>, out: &mut [E]) -> Result<()> {
        let Some(z) = z else {
            return Ok(());
        };
        if z.len() != out.len() {
            return Err(Error::LengthMismatch {
                op: "conv epilogue forward",
                what: "out",
                expected: z.len(),
                got: out.len(),
            });
        }
        out.copy_from_slice(z);
        Ok(())
    }

    fn backward<E: SimdElement>(z: &[E], grad_out: &[E], grad_z: &mut [E]) -> Result<()> {
        for (what, len) in [("grad_out", grad_out.len()), ("grad_z", grad_z.len())] {
            if len != z.len() {
                return Err(Error::LengthMismatch {
                    op: "conv epilogue backward",
                    what,
                    expected: z.len(),
                    got: len,
                });
            }
        }
        grad_z.copy_from_slice(grad_out);
        Ok(())
    }
}

/// A kernel type a convolution can fuse as its activation (`conv! { activation = K }`): every
/// `#[simdgrad::map]` kernel implements it. A hand-written [`MapKernel`] opts in with
/// `impl ConvActivation for MyKernel {}`.
///
/// A marker of its own, rather than a bound on [`MapKernel`], so that a type that is not an
/// activation (a typo'd path, a `#[zip]` kernel, any other type) is reported at the user's
/// `activation = …` token with what is supported, not as an op-body call error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not the kernel type of a `#[simdgrad::map]` op, so it cannot be a `conv!` activation",
    label = "expected a `#[simdgrad::map]` kernel type here",
    note = "`activation = K` names the kernel type that `#[simdgrad::map] fn k(x: f32) -> f32` generates (the op's name in UpperCamelCase): one of yours or a built-in in `simdgrad::ops::builtins` (`Relu`, `Sigmoid`, `Tanh`, `Gelu`, `Exp`, `Ln`, `Sqrt`, `Abs`, `Neg`); functions, `#[zip]` and `#[reduce]` kernels and other types are not activations"
)]
pub trait ConvActivation: MapKernel + Default {}

/// The activation `K` (a `#[simdgrad::map]` kernel such as `simdgrad::ops::builtins::Relu`)
/// fused after the convolution; its backward is `K`'s derived derivative.
#[derive(Clone, Copy, Debug, Default)]
pub struct Activated<K>(pub K);

impl<K: ConvActivation> Epilogue for Activated<K> {
    const NAME: &'static str = K::NAME;
    const IDENTITY: bool = false;

    #[inline(always)]
    fn simd<S: Simd, E: SimdElement>(s: S, z: E::V<S>) -> E::V<S> {
        K::simd::<S, E>(s, z)
    }

    #[inline(always)]
    fn scalar<E: SimdElement>(z: E) -> E {
        K::scalar(z)
    }

    fn forward<E: SimdElement>(z: Option<&[E]>, out: &mut [E]) -> Result<()> {
        match z {
            Some(z) => K::default().forward(z, out),
            None => {
                K::default().forward_in_place(out);
                Ok(())
            }
        }
    }

    fn backward<E: SimdElement>(z: &[E], grad_out: &[E], grad_z: &mut [E]) -> Result<()> {
        K::default().backward(z, grad_out, grad_z)
    }
}
