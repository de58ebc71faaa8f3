//! `Tensor::conv1d` / `Tensor::conv2d` and the tensor ops of `simdgrad::conv!` declarations:
//! the conv engine's slice kernels as differentiable tensor ops. Each call records one autograd
//! node whose backward runs the engine's input-, weight- and bias-gradient kernels (after the
//! fused activation's derived derivative, if any); inputs are handed over as strided views, so
//! a permuted tensor (MiniTorch's SST-2 model feeds `embeddings.permute(0, 2, 1)`) is never
//! copied.

use crate::conv::{
    self, Auto, ConvDecl, ConvKernel, ConvParams, ConvShape, Epilogue, NoActivation, StridedRef,
};
use crate::simd::SimdElement;
use crate::tensor::output_buffer;
use crate::{autograd, Error, Result, Tensor};

/// Shape and strides of a 3-D `(B, C, W)` or 4-D tensor as a 4-D view (unit height for 3-D).
fn dims4<E: SimdElement>(t: &Tensor<E>) -> ([usize; 4], [usize; 4]) {
    let (s, st) = (t.shape(), t.strides());
    if s.len() == 3 {
        ([s[0], s[1], 1, s[2]], [st[0], st[1], 0, st[2]])
    } else {
        ([s[0], s[1], s[2], s[3]], [st[0], st[1], st[2], st[3]])
    }
}

/// Runs `f` on a 4-D strided view of `t`'s storage (no copy).
pub(crate) fn with_view<E: SimdElement, R>(
    t: &Tensor<E>,
    f: impl FnOnce(StridedRef<'_, E, 4>) -> R,
) -> R {
    let guard = t.storage().read();
    let (shape, strides) = dims4(t);
    f(StridedRef {
        data: &guard,
        offset: t.offset(),
        shape,
        strides,
    })
}

fn expect_rank<E: SimdElement>(
    op: &'static str,
    what: &str,
    t: &Tensor<E>,
    rank: usize,
    layout: &str,
) -> Result<()> {
    if t.ndim() == rank {
        return Ok(());
    }
    Err(Error::InvalidArgument {
        op,
        message: format!(
            "{what} must be {rank}-D {layout}, got shape {:?}",
            t.shape()
        ),
    })
}

/// The forward and the recorded backward shared by conv1d, conv2d and the declared ops (which
/// differ in how their shapes are validated, the rank of their tensors, the kernel `K` and the
/// epilogue `A`).
fn conv_op<K: ConvKernel, A: Epilogue, E: SimdElement>(
    op: &'static str,
    s: ConvShape,
    x: &Tensor<E>,
    w: &Tensor<E>,
    bias: Option<&Tensor<E>>,
    out_shape: Vec<usize>,
) -> Result<Tensor<E>> {
    let bias_vec = match bias {
        Some(b) if b.shape() != [s.out_channels] => {
            return Err(Error::InvalidArgument {
                op,
                message: format!(
                    "bias must have shape [{}] (one per output channel), got {:?}",
                    s.out_channels,
                    b.shape()
                ),
            })
        }
        Some(b) => Some(b.to_vec()),
        None => None,
    };
    let mut inputs = vec![x, w];
    inputs.extend(bias);
    let n = out_shape.iter().product();
    // Every kernel below overwrites each element of its output (the conv tests pass them
    // NaN-filled buffers), so recycled buffers serve: no zero-fill, no fresh pages to fault in.
    let mut out = output_buffer(op, n)?;
    // The activation's backward needs the pre-activation; keep it only if a backward can run.
    let mut pre = (!A::IDENTITY && autograd::needs_grad(&inputs))
        .then(|| output_buffer(op, n))
        .transpose()?;
    with_view(x, |xv| {
        with_view(w, |wv| {
            K::forward_fused::<E, A>(
                &s,
                xv,
                wv,
                bias_vec.as_deref(),
                &mut out,
                pre.as_deref_mut(),
            )
        })
    })?;
    let out = Tensor::from_vec(out, &out_shape)?;
    let (xs, ws) = (x.clone(), w.clone());
    let want = (
        x.requires_grad(),
        w.requires_grad(),
        bias.is_some_and(|b| b.requires_grad()),
    );
    let has_bias = bias.is_some();
    Ok(autograd::record(op, out, &inputs, move |g| {
        // The gradient of the pre-activation: `g` itself (viewed in place) without an activation.
        let gz = match &pre {
            Some(z) => {
                let mut gz = output_buffer(op, z.len())?;
                A::backward(z, &g.to_vec(), &mut gz)?;
                Some(gz)
            }
            None => None,
        };
        let with_grad = |f: &mut dyn FnMut(StridedRef<'_, E, 4>) -> Result<()>| match &gz {
            Some(gz) => f(StridedRef::contiguous(gz, s.output_shape())),
            None => with_view(g, f),
        };
        let mut grads = Vec::with_capacity(3);
        grads.push(if want.0 {
            let mut gx = output_buffer(op, xs.numel())?;
            with_grad(&mut |gv| with_view(&ws, |wv| K::backward_input(&s, gv, wv, &mut gx)))?;
            Some(Tensor::from_vec(gx, xs.shape())?)
        } else {
            None
        });
        grads.push(if want.1 {
            let mut gw = output_buffer(op, ws.numel())?;
            with_grad(&mut |gv| with_view(&xs, |xv| K::backward_weight(&s, xv, gv, &mut gw)))?;
            Some(Tensor::from_vec(gw, ws.shape())?)
        } else {
            None
        });
        if has_bias {
            grads.push(if want.2 {
                let mut gb = vec![E::ZERO; s.out_channels];
                with_grad(&mut |gv| conv::conv2d_backward_bias(&s, gv, &mut gb))?;
                Some(Tensor::from_vec(gb, &[s.out_channels])?)
            } else {
                None
            });
        }
        Ok(grads)
    }))
}

/// The tensor op of the declaration `D`: `act(conv(x, w) + bias)` with autograd, `params`
/// given only for a `params = runtime` declaration. Generated `conv!` ops call this.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the shapes for a wrong rank, mismatched channels, kernel
/// extents other than the declared ones, a window larger than the padded input, a bias of the
/// wrong shape, or a bias against the declared rule.
pub fn declared<D: ConvDecl, E: SimdElement>(
    x: &Tensor<E>,
    w: &Tensor<E>,
    bias: Option<&Tensor<E>>,
    params: Option<[ConvParams; 2]>,
) -> Result<Tensor<E>> {
    conv::decl::check_bias::<D>(bias.is_some())?;
    let params = conv::decl::params::<D>(params)?;
    let s = conv::decl::shape::<D>(x.shape(), w.shape(), params)?;
    let out_shape = if D::RANK == 1 {
        vec![s.batch, s.out_channels, s.out_w]
    } else {
        s.output_shape().to_vec()
    };
    conv_op::<D::Kernel, D::Epilogue, E>(D::NAME, s, x, w, bias, out_shape)
}

impl<E: SimdElement> Tensor<E> {
    /// 2-D convolution of a `(B, C, H, W)` input with a `(O, C, KH, KW)` weight and an optional
    /// `(O)` bias; `params` per axis (height, width) give stride, per-side padding and
    /// dilation. [`ConvParams::anchored_start`] on both axes is MiniTorch's convention
    /// (same-size output, zero padding bottom/right); [`ConvParams::padded`] is PyTorch's.
    /// Differentiable in the input, the weight and the bias; any input or weight layout.
    ///
    /// ```
    /// use simdgrad::{conv::ConvParams, Tensor};
    /// // MiniTorch's worked example: rows [0,1,2,3] convolved with a 2x2 ones kernel.
    /// let x = Tensor::<f32>::from_vec([0.0, 1.0, 2.0, 3.0].repeat(4), &[1, 1, 4, 4]).unwrap();
    /// let w = Tensor::<f32>::ones(&[1, 1, 2, 2]).unwrap();
    /// let y = x.conv2d(&w, None, [ConvParams::anchored_start(2); 2]).unwrap();
    /// assert_eq!(&y.to_vec()[..4], &[2.0, 6.0, 10.0, 6.0]);
    /// assert_eq!(&y.to_vec()[12..], &[1.0, 3.0, 5.0, 3.0]);
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the ranks are wrong, the channel counts differ, a window
    /// is larger than the padded input, or the bias has the wrong shape.
    pub fn conv2d(
        &self,
        weight: &Tensor<E>,
        bias: Option<&Tensor<E>>,
        params: [ConvParams; 2],
    ) -> Result<Tensor<E>> {
        const OP: &str = "conv2d";
        expect_rank(OP, "input", self, 4, "(B, C, H, W)")?;
        expect_rank(OP, "weight", weight, 4, "(O, C, KH, KW)")?;
        let (xs, _) = dims4(self);
        let (ws, _) = dims4(weight);
        let s = ConvShape::conv2d(xs, ws, params)?;
        let out_shape = s.output_shape().to_vec();
        conv_op::<Auto, NoActivation, E>(OP, s, self, weight, bias, out_shape)
    }

    /// 1-D convolution of a `(B, C, W)` input with a `(O, C, K)` weight and an optional `(O)`
    /// bias. [`ConvParams::anchored_start`] is MiniTorch's convention. Differentiable in all
    /// three; any input or weight layout (a permuted view is read in place).
    ///
    /// ```
    /// use simdgrad::{conv::ConvParams, Tensor};
    /// let x = Tensor::<f64>::from_vec(vec![0.0, 1.0, 2.0, 3.0], &[1, 1, 4]).unwrap();
    /// let w = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], &[1, 1, 3]).unwrap();
    /// let y = x.conv1d(&w, None, ConvParams::anchored_start(3)).unwrap();
    /// assert_eq!(y.to_vec(), vec![8.0, 14.0, 8.0, 3.0]);
    /// ```
    ///
    /// # Errors
    /// As [`Tensor::conv2d`].
    pub fn conv1d(
        &self,
        weight: &Tensor<E>,
        bias: Option<&Tensor<E>>,
        params: ConvParams,
    ) -> Result<Tensor<E>> {
        const OP: &str = "conv1d";
        expect_rank(OP, "input", self, 3, "(B, C, W)")?;
        expect_rank(OP, "weight", weight, 3, "(O, C, K)")?;
        let (x, w) = (self.shape(), weight.shape());
        let s = ConvShape::conv1d([x[0], x[1], x[2]], [w[0], w[1], w[2]], params)?;
        let out_shape = vec![s.batch, s.out_channels, s.out_w];
        conv_op::<Auto, NoActivation, E>(OP, s, self, weight, bias, out_shape)
    }
}
