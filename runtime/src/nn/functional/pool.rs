//! `Tensor::avg_pool2d` / `Tensor::max_pool2d` / `Tensor::tile`: the pooling kernels as
//! differentiable tensor ops (one autograd node each; the max gradient goes to the first
//! maximum of each window, through the argmax the forward saves when the input requires
//! grad). Common window/stride pairs run the runtime's `pool!`-declared kernels
//! (`pool::declared`), the rest the run-time-geometry engine.

use crate::conv::StridedRef;
use crate::ops::builtins::{Max, Sum};
use crate::pool::declared::{Avg2x2S2, Avg3x3S1, Avg3x3S2, Max2x2S2, Max3x3S1, Max3x3S2};
use crate::pool::{self, PoolKernel, PoolShape};
use crate::simd::SimdElement;
use crate::{Result, Tensor};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Avg,
    Max,
}

/// Forward of `kind` on `s`: the `pool!`-declared kernel for the common window/stride pairs,
/// the run-time-geometry engine otherwise.
fn forward<E: SimdElement>(
    kind: Kind,
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    out: &mut [E],
) -> Result<()> {
    match (kind, s.window, s.stride) {
        (Kind::Max, [2, 2], [2, 2]) => Max2x2S2.forward(s, x, out),
        (Kind::Max, [3, 3], [2, 2]) => Max3x3S2.forward(s, x, out),
        (Kind::Max, [3, 3], [1, 1]) => Max3x3S1.forward(s, x, out),
        (Kind::Avg, [2, 2], [2, 2]) => Avg2x2S2.forward(s, x, out),
        (Kind::Avg, [3, 3], [2, 2]) => Avg3x3S2.forward(s, x, out),
        (Kind::Avg, [3, 3], [1, 1]) => Avg3x3S1.forward(s, x, out),
        (Kind::Max, ..) => pool::forward_dynamic::<Max, E, false>(s, x, out),
        (Kind::Avg, ..) => pool::forward_dynamic::<Sum, E, true>(s, x, out),
    }
}

/// Input gradient of `kind`, dispatched like [`forward`].
fn backward<E: SimdElement>(
    kind: Kind,
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    g: StridedRef<'_, E, 4>,
    gx: &mut [E],
) -> Result<()> {
    match (kind, s.window, s.stride) {
        (Kind::Max, [2, 2], [2, 2]) => Max2x2S2.backward(s, x, g, gx),
        (Kind::Max, [3, 3], [2, 2]) => Max3x3S2.backward(s, x, g, gx),
        (Kind::Max, [3, 3], [1, 1]) => Max3x3S1.backward(s, x, g, gx),
        (Kind::Avg, [2, 2], [2, 2]) => Avg2x2S2.backward(s, x, g, gx),
        (Kind::Avg, [3, 3], [2, 2]) => Avg3x3S2.backward(s, x, g, gx),
        (Kind::Avg, [3, 3], [1, 1]) => Avg3x3S1.backward(s, x, g, gx),
        (Kind::Max, ..) => pool::backward_dynamic::<Max, E, false>(s, x, g, gx),
        (Kind::Avg, ..) => pool::backward_dynamic::<Sum, E, true>(s, x, g, gx),
    }
}

/// Max forward that also writes each window's argmax, dispatched like [`forward`].
fn forward_argmax<E: SimdElement>(
    s: &PoolShape,
    x: StridedRef<'_, E, 4>,
    out: &mut [E],
    at: &mut [u8],
) -> Result<()> {
    match (s.window, s.stride) {
        ([2, 2], [2, 2]) => Max2x2S2.forward_argmax(s, x, out, at),
        ([3, 3], [2, 2]) => Max3x3S2.forward_argmax(s, x, out, at),
        ([3, 3], [1, 1]) => Max3x3S1.forward_argmax(s, x, out, at),
        _ => pool::forward_argmax_dynamic::<Max, E>(s, x, out, at),
    }
}

fn pool_op<E: SimdElement>(
    kind: Kind,
    x: &Tensor<E>,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
) -> Result<Tensor<E>> {
    let op = match kind {
        Kind::Avg => "avg_pool2d",
        Kind::Max => "max_pool2d",
    };
    let s = PoolShape::new(
        pool::dims(op, x)?,
        kernel,
        stride,
        [[padding[0]; 2], [padding[1]; 2]],
    )?;
    if kind == Kind::Max && s.window[0] * s.window[1] <= pool::ARGMAX_WINDOW_LIMIT {
        // The backward routes `g` through the saved argmax and never reads `x` again.
        return pool::pool_tensor_argmax(
            op,
            x,
            s,
            move |s, xv, out| forward(kind, s, xv, out),
            forward_argmax,
            pool::backward_from_argmax,
        );
    }
    pool::pool_tensor(
        op,
        x,
        s,
        move |s, xv, out| forward(kind, s, xv, out),
        move |s, xv, gv, gx| backward(kind, s, xv, gv, gx),
    )
}

impl<E: SimdElement> Tensor<E> {
    /// Average pooling of a `(B, C, H, W)` tensor: windows of `kernel` `(kh, kw)` every
    /// `stride`, with `padding` `(ph, pw)` zeros on both sides of each axis (counted in the
    /// divisor `kh·kw`, PyTorch's default). Differentiable.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let t = Tensor::<f32>::arange(1.0, 17.0, 1.0).unwrap().view(&[1, 1, 4, 4]).unwrap();
    /// let y = t.avg_pool2d([2, 2], [2, 2], [0, 0]).unwrap();
    /// assert_eq!(y.to_vec(), vec![3.5, 5.5, 11.5, 13.5]);
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] if the input is not 4-D, a window or stride is zero, a
    /// padding is not smaller than its window, or a window is larger than the padded input.
    pub fn avg_pool2d(
        &self,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Result<Tensor<E>> {
        pool_op(Kind::Avg, self, kernel, stride, padding)
    }

    /// Max pooling of a `(B, C, H, W)` tensor (padding never wins; NaN propagates). The
    /// gradient of each window goes to its *first* maximum in row-major order, so ties do not
    /// duplicate it. Differentiable: when `self` requires grad the forward also saves each
    /// window's argmax (one byte per output), and the backward routes the upstream gradient
    /// through it without reading `self` again.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let t = Tensor::<f32>::arange(1.0, 17.0, 1.0).unwrap().view(&[1, 1, 4, 4]).unwrap();
    /// let y = t.max_pool2d([2, 2], [2, 2], [0, 0]).unwrap();
    /// assert_eq!(y.to_vec(), vec![6.0, 8.0, 14.0, 16.0]);
    /// ```
    ///
    /// # Errors
    /// As [`Tensor::avg_pool2d`].
    pub fn max_pool2d(
        &self,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Result<Tensor<E>> {
        pool_op(Kind::Max, self, kernel, stride, padding)
    }

    /// MiniTorch's `tile`: `(B, C, H, W)` → `(B, C, H/kh, W/kw, kh·kw)`, each block's elements
    /// along the last axis in row-major order. Built from views, so differentiable.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] if the input is not 4-D or the tile does not divide it.
    pub fn tile(&self, kh: usize, kw: usize) -> Result<Tensor<E>> {
        pool::tile(self, [kh, kw])
    }
}
