//! `Tensor::avg_pool2d` / `Tensor::max_pool2d` / `Tensor::tile`: the pooling kernels as
//! differentiable tensor ops (one autograd node each, backward by the pool module's
//! input-gradient kernels; the max gradient goes to the first maximum of each window).

use super::conv::with_view;
use crate::pool::{self, PoolShape};
use crate::simd::SimdElement;
use crate::{autograd, Error, Result, Tensor};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Avg,
    Max,
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
    let &[b, c, h, w] = x.shape() else {
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "expected a 4-D (B, C, H, W) input, got shape {:?}",
                x.shape()
            ),
        });
    };
    let s = PoolShape::new(
        [b, c, h, w],
        kernel,
        stride,
        [[padding[0]; 2], [padding[1]; 2]],
    )?;
    let out_shape = s.output_shape();
    let mut out = vec![E::ZERO; out_shape.iter().product()];
    with_view(x, |xv| match kind {
        Kind::Avg => pool::avgpool2d_forward(&s, xv, &mut out),
        Kind::Max => pool::maxpool2d_forward(&s, xv, &mut out),
    })?;
    let out = Tensor::from_vec(out, &out_shape)?;
    let saved = x.clone();
    Ok(autograd::record(op, out, &[x], move |g| {
        let mut gx = vec![E::ZERO; saved.numel()];
        with_view(g, |gv| match kind {
            Kind::Avg => pool::avgpool2d_backward(&s, gv, &mut gx),
            Kind::Max => with_view(&saved, |xv| pool::maxpool2d_backward(&s, xv, gv, &mut gx)),
        })?;
        Ok(vec![Some(Tensor::from_vec(gx, saved.shape())?)])
    }))
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
    /// [`Error::InvalidArgument`] if the input is not 4-D, a window or stride is zero, a
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
    /// duplicate it. Differentiable.
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
    /// [`Error::InvalidArgument`] if the input is not 4-D or the tile does not divide it.
    pub fn tile(&self, kh: usize, kw: usize) -> Result<Tensor<E>> {
        pool::tile(self, [kh, kw])
    }
}
