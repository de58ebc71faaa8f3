//! [`PoolKernel`], the trait `simdgrad::pool!` implements: a fold, a window and a stride fixed
//! at compile time, with slice-level forward/backward and the differentiable tensor op.

use super::argmax;
use super::engine::{self, Geometry};
use super::PoolShape;
use crate::conv::StridedRef;
use crate::kernel::ReduceKernel;
use crate::simd::SimdElement;
use crate::tensor::output_buffer;
use crate::{autograd, Error, Result, Tensor};

/// A pooling declared with `simdgrad::pool!`. The macro supplies the constants and types; the
/// kernels and the tensor op are provided here.
///
/// ```
/// simdgrad::pool! { pub maxpool2x2: reduce = max, window = [2, 2], stride = [2, 2] }
///
/// use simdgrad::Tensor;
/// let x = Tensor::<f32>::arange(1.0, 17.0, 1.0).unwrap().view(&[1, 1, 4, 4]).unwrap();
/// let x = x.requires_grad_(true);
/// let y = maxpool2x2(&x).unwrap();
/// assert_eq!(y.to_vec(), vec![6.0, 8.0, 14.0, 16.0]);
/// y.sum_all().unwrap().backward().unwrap();
/// let g = x.grad().unwrap().to_vec();
/// assert_eq!(g.iter().sum::<f32>(), 4.0); // one maximum per window
/// assert_eq!((g[5], g[7], g[13], g[15]), (1.0, 1.0, 1.0, 1.0));
/// ```
pub trait PoolKernel: Copy + Send + Sync + 'static {
    /// The declared name.
    const NAME: &'static str;
    /// The fold as written in the declaration (`max`, `avg`, `my_logsumexp`, …).
    const REDUCE: &'static str;
    /// The fold of every window.
    type Reduce: ReduceKernel;
    /// Window and stride as const generics.
    type Geometry: Geometry;
    /// Divide each window's fold by `kh·kw` (an average).
    const MEAN: bool;
    /// `(kh, kw)`.
    const WINDOW: [usize; 2];
    /// `(sh, sw)`.
    const STRIDE: [usize; 2];
    /// `(ph, pw)` on both sides of each axis.
    const PADDING: [usize; 2];

    /// The validated shape of this pooling of `input` `(B, C, H, W)`, with the declared padding.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the shapes if a window is larger than the padded input.
    fn shape(self, input: [usize; 4]) -> Result<PoolShape> {
        let [ph, pw] = Self::PADDING;
        PoolShape::new(input, Self::WINDOW, Self::STRIDE, [[ph, ph], [pw, pw]])
    }

    /// Forward over strided `x` into contiguous `out` (`s.output_shape()`). `s` must have this
    /// declaration's window and stride; its padding is used as given.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for another window or stride, or a view whose shape differs
    /// from `s.input`; [`Error::LengthMismatch`] for a wrong output length.
    fn forward<E: SimdElement>(
        self,
        s: &PoolShape,
        x: StridedRef<'_, E, 4>,
        out: &mut [E],
    ) -> Result<()> {
        let op = Self::NAME;
        check_geometry::<Self>(s)?;
        s.check(op, "input", &x, s.input)?;
        PoolShape::check_len(op, "output", out.len(), s.output_shape())?;
        if Self::MEAN {
            engine::forward::<Self::Reduce, E, Self::Geometry, true>(s, x, out)
        } else {
            engine::forward::<Self::Reduce, E, Self::Geometry, false>(s, x, out)
        }
    }

    /// Input gradient into contiguous `grad_input` (`s.input`), given `x` and `grad_out`
    /// (`s.output_shape()`).
    ///
    /// # Errors
    /// As [`PoolKernel::forward`].
    fn backward<E: SimdElement>(
        self,
        s: &PoolShape,
        x: StridedRef<'_, E, 4>,
        grad_out: StridedRef<'_, E, 4>,
        grad_input: &mut [E],
    ) -> Result<()> {
        let op = Self::NAME;
        check_geometry::<Self>(s)?;
        s.check(op, "input", &x, s.input)?;
        s.check(op, "grad_output", &grad_out, s.output_shape())?;
        PoolShape::check_len(op, "grad_input", grad_input.len(), s.input)?;
        if Self::MEAN {
            engine::backward::<Self::Reduce, E, Self::Geometry, true>(s, x, grad_out, grad_input)
        } else {
            engine::backward::<Self::Reduce, E, Self::Geometry, false>(s, x, grad_out, grad_input)
        }
    }

    /// Forward of a max or min fold that also writes each window's argmax (`argmax`, contiguous
    /// `s.output_shape()`): the offset `p·kw + q` inside the window (padded positions counted)
    /// of the element [`PoolKernel::backward`] would pick, the first maximum (minimum) in
    /// row-major order or the first NaN. `out` is bit for bit what [`PoolKernel::forward`]
    /// writes. See [`pool::backward_from_argmax`](crate::pool::backward_from_argmax).
    ///
    /// ```
    /// use simdgrad::conv::StridedRef;
    /// use simdgrad::pool::{declared::Max2x2S2, PoolKernel, PoolShape};
    ///
    /// let x = [1.0f32, 2.0, 4.0, 4.0];
    /// let s = PoolShape::new([1, 1, 2, 2], [2, 2], [2, 2], [[0, 0]; 2]).unwrap();
    /// let (mut out, mut at) = ([0.0f32], [0u8]);
    /// let xv = StridedRef::contiguous(&x, [1, 1, 2, 2]);
    /// Max2x2S2.forward_argmax(&s, xv, &mut out, &mut at).unwrap();
    /// assert_eq!((out, at), ([4.0], [2]));
    /// ```
    ///
    /// # Errors
    /// As [`PoolKernel::forward`], and [`Error::InvalidArgument`] for a fold other than max or
    /// min or a window of more than [`ARGMAX_WINDOW_LIMIT`](crate::pool::ARGMAX_WINDOW_LIMIT)
    /// positions, [`Error::LengthMismatch`] for a wrong `argmax` length.
    fn forward_argmax<E: SimdElement>(
        self,
        s: &PoolShape,
        x: StridedRef<'_, E, 4>,
        out: &mut [E],
        argmax: &mut [u8],
    ) -> Result<()> {
        let op = Self::NAME;
        check_geometry::<Self>(s)?;
        argmax::check_argmax::<Self::Reduce>(op, s)?;
        if Self::MEAN {
            return Err(Error::InvalidArgument {
                op,
                message: format!("an argmax exists only for max and min folds ({s:?})"),
            });
        }
        s.check(op, "input", &x, s.input)?;
        PoolShape::check_len(op, "output", out.len(), s.output_shape())?;
        PoolShape::check_len(op, "argmax", argmax.len(), s.output_shape())?;
        argmax::forward::<Self::Reduce, E, Self::Geometry>(s, x, out, argmax);
        Ok(())
    }

    /// Input gradient of a max or min fold from the argmax [`PoolKernel::forward_argmax`]
    /// wrote, without the input: [`pool::backward_from_argmax`](crate::pool::backward_from_argmax)
    /// for this declaration's geometry. Equal bit for bit to [`PoolKernel::backward`] when no two
    /// windows overlap (and, for overlapping windows, up to the order in which their gradients
    /// add).
    ///
    /// # Errors
    /// As [`pool::backward_from_argmax`](crate::pool::backward_from_argmax), and
    /// [`Error::InvalidArgument`] for another window or stride or a fold other than max or min.
    fn backward_from_argmax<E: SimdElement>(
        self,
        s: &PoolShape,
        argmax: &[u8],
        grad_out: StridedRef<'_, E, 4>,
        grad_input: &mut [E],
    ) -> Result<()> {
        check_geometry::<Self>(s)?;
        argmax::check_argmax::<Self::Reduce>(Self::NAME, s)?;
        super::backward_from_argmax(s, argmax, grad_out, grad_input)
    }

    /// The tensor op: pools `(B, C, H, W)` `x` with the declared padding and records one
    /// autograd node. A max or min fold whose window fits a `u8` offset saves each window's
    /// argmax when `x` requires grad (and grad mode is on) and its backward is
    /// [`PoolKernel::backward_from_argmax`]; other folds keep `x` for [`PoolKernel::backward`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `x` is not 4-D or a window is larger than the padded input.
    fn apply<E: SimdElement>(self, x: &Tensor<E>) -> Result<Tensor<E>> {
        let s = self.shape(dims(Self::NAME, x)?)?;
        if !Self::MEAN && argmax::check_argmax::<Self::Reduce>(Self::NAME, &s).is_ok() {
            return pool_tensor_argmax(
                Self::NAME,
                x,
                s,
                move |s, xv, out| self.forward(s, xv, out),
                move |s, xv, out, at| self.forward_argmax(s, xv, out, at),
                move |s, at, gv, gx| self.backward_from_argmax(s, at, gv, gx),
            );
        }
        pool_tensor(
            Self::NAME,
            x,
            s,
            move |s, xv, out| self.forward(s, xv, out),
            move |s, xv, gv, gx| self.backward(s, xv, gv, gx),
        )
    }
}

fn check_geometry<K: PoolKernel>(s: &PoolShape) -> Result<()> {
    if K::WINDOW == s.window
        && K::STRIDE == s.stride
        && K::Geometry::window(s) == s.window
        && K::Geometry::stride(s) == s.stride
    {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            op: K::NAME,
            message: format!(
                "declared for window {:?} and stride {:?}, called with {s:?}",
                K::WINDOW,
                K::STRIDE
            ),
        })
    }
}

/// `(B, C, H, W)` of a 4-D tensor, or an error naming its shape.
pub(crate) fn dims<E: SimdElement>(op: &'static str, x: &Tensor<E>) -> Result<[usize; 4]> {
    match *x.shape() {
        [b, c, h, w] => Ok([b, c, h, w]),
        _ => Err(Error::InvalidArgument {
            op,
            message: format!(
                "expected a 4-D (B, C, H, W) input, got shape {:?}",
                x.shape()
            ),
        }),
    }
}

/// Runs a pooling forward on a tensor and records its node; `bwd` computes the input gradient.
pub(crate) fn pool_tensor<E: SimdElement>(
    op: &'static str,
    x: &Tensor<E>,
    s: PoolShape,
    fwd: impl Fn(&PoolShape, StridedRef<'_, E, 4>, &mut [E]) -> Result<()>,
    bwd: impl Fn(&PoolShape, StridedRef<'_, E, 4>, StridedRef<'_, E, 4>, &mut [E]) -> Result<()>
        + Send
        + Sync
        + 'static,
) -> Result<Tensor<E>> {
    let out_shape = s.output_shape();
    // The engine writes every output and every input-gradient element (uncovered ones with
    // zeros), so both buffers may come recycled: a fresh multi-megabyte zeroed `Vec` costs its
    // page faults on first touch, more than the backward kernel itself on the bench shape.
    let mut out = output_buffer(op, out_shape.iter().product())?;
    with_view(x, |xv| fwd(&s, xv, &mut out))?;
    let saved = x.clone();
    record(op, x, out, &out_shape, move |gv, gx| {
        with_view(&saved, |xv| bwd(&s, xv, gv, gx))
    })
}

/// [`pool_tensor`] for a max or min fold: when a node will be recorded, the forward also writes
/// each window's argmax (`fwd_argmax`) and the backward routes the upstream gradient through it
/// (`bwd`), so the node keeps `n/4` bytes of offsets (2×2 windows) instead of the input and
/// its backward never reads the input; otherwise only `fwd` runs.
pub(crate) fn pool_tensor_argmax<E: SimdElement>(
    op: &'static str,
    x: &Tensor<E>,
    s: PoolShape,
    fwd: impl Fn(&PoolShape, StridedRef<'_, E, 4>, &mut [E]) -> Result<()>,
    fwd_argmax: impl Fn(&PoolShape, StridedRef<'_, E, 4>, &mut [E], &mut [u8]) -> Result<()>,
    bwd: impl Fn(&PoolShape, &[u8], StridedRef<'_, E, 4>, &mut [E]) -> Result<()>
        + Send
        + Sync
        + 'static,
) -> Result<Tensor<E>> {
    let out_shape = s.output_shape();
    let mut out = output_buffer(op, out_shape.iter().product())?;
    if !autograd::needs_grad(&[x]) {
        with_view(x, |xv| fwd(&s, xv, &mut out))?;
        return Tensor::from_vec(out, &out_shape);
    }
    let mut at = vec![0u8; out.len()];
    with_view(x, |xv| fwd_argmax(&s, xv, &mut out, &mut at))?;
    record(op, x, out, &out_shape, move |gv, gx| bwd(&s, &at, gv, gx))
}

/// The pooled output `out` (`out_shape`) as a tensor with one autograd node on `x`, whose
/// backward writes the whole input gradient with `input_grad(grad_out, grad_input)`.
fn record<E: SimdElement>(
    op: &'static str,
    x: &Tensor<E>,
    out: Vec<E>,
    out_shape: &[usize],
    input_grad: impl Fn(StridedRef<'_, E, 4>, &mut [E]) -> Result<()> + Send + Sync + 'static,
) -> Result<Tensor<E>> {
    let out = Tensor::from_vec(out, out_shape)?;
    let in_shape = x.shape().to_vec();
    Ok(autograd::record(op, out, &[x], move |g| {
        let mut gx = output_buffer(op, in_shape.iter().product())?;
        with_view(g, |gv| input_grad(gv, &mut gx))?;
        Ok(vec![Some(Tensor::from_vec(gx, &in_shape)?)])
    }))
}

/// Runs `f` on a strided view of a 4-D tensor's storage (no copy).
fn with_view<E: SimdElement, R>(t: &Tensor<E>, f: impl FnOnce(StridedRef<'_, E, 4>) -> R) -> R {
    let guard = t.storage().read();
    let (s, st) = (t.shape(), t.strides());
    f(StridedRef {
        data: &guard,
        offset: t.offset(),
        shape: [s[0], s[1], s[2], s[3]],
        strides: [st[0], st[1], st[2], st[3]],
    })
}
