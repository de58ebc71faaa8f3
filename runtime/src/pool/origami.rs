//! The reference pooling path, "tensor origami" as in MiniTorch: `tile` rearranges every
//! `kh × kw` block into a last axis with views alone, and avg/max pooling reduce over it.

use crate::{Element, Error, Result, Tensor};

/// `(B, C, H, W)` → `(B, C, H/kh, W/kw, kh·kw)`: contiguous → view `(B, C, H/kh, kh, W/kw, kw)`
/// → permute `(0, 1, 2, 4, 3, 5)` → contiguous → view. The last axis is `p·kw + q`.
///
/// # Errors
/// [`Error::InvalidArgument`] if the input is not 4-D, the tile is empty, or it does not
/// divide the input.
///
/// ```
/// use simdgrad::{pool, Tensor};
/// let t = Tensor::<f32>::arange(1.0, 17.0, 1.0).unwrap().view(&[1, 1, 4, 4]).unwrap();
/// let tiled = pool::tile(&t, [2, 2]).unwrap();
/// assert_eq!(tiled.shape(), &[1, 1, 2, 2, 4]);
/// assert_eq!(&tiled.to_vec()[..4], &[1.0, 2.0, 5.0, 6.0]);
/// assert!(pool::tile(&t, [3, 2]).is_err());
/// ```
pub fn tile<E: Element>(x: &Tensor<E>, [kh, kw]: [usize; 2]) -> Result<Tensor<E>> {
    let &[b, c, h, w] = x.shape() else {
        return Err(Error::InvalidArgument {
            op: "tile",
            message: format!(
                "expected a 4-D (B, C, H, W) input, got shape {:?}",
                x.shape()
            ),
        });
    };
    if kh == 0 || kw == 0 || h % kh != 0 || w % kw != 0 {
        return Err(Error::InvalidArgument {
            op: "tile",
            message: format!(
                "a {kh}x{kw} tile does not divide the height and width of shape {:?}",
                x.shape()
            ),
        });
    }
    x.contiguous_for("tile")?
        .view(&[b, c, h / kh, kh, w / kw, kw])?
        .permute(&[0, 1, 2, 4, 3, 5])?
        .contiguous_for("tile")?
        .view(&[b, c, h / kh, w / kw, kh * kw])
}

fn reduce_tiles<E: Element>(
    x: &Tensor<E>,
    kernel: [usize; 2],
    f: impl Fn(&[E]) -> E,
) -> Result<Tensor<E>> {
    let t = tile(x, kernel)?;
    let shape = t.shape()[..4].to_vec();
    let values = t.to_vec();
    let out = values.chunks_exact(kernel[0] * kernel[1]).map(f).collect();
    Tensor::from_vec(out, &shape)
}

/// Mean over each tile: `(B, C, H/kh, W/kw)`.
///
/// # Errors
/// As [`tile`].
pub fn avgpool2d<E: Element>(x: &Tensor<E>, kernel: [usize; 2]) -> Result<Tensor<E>> {
    let n = E::from_usize(kernel[0] * kernel[1]);
    reduce_tiles(x, kernel, |t| t.iter().fold(E::ZERO, |a, &v| a + v) / n)
}

/// Maximum over each tile (NaN if the tile holds a NaN): `(B, C, H/kh, W/kw)`.
///
/// # Errors
/// As [`tile`].
pub fn maxpool2d<E: Element>(x: &Tensor<E>, kernel: [usize; 2]) -> Result<Tensor<E>> {
    reduce_tiles(x, kernel, |t| {
        t.iter().fold(E::NEG_INFINITY, |a, &v| {
            if a.is_nan() || v.is_nan() {
                E::NAN
            } else if v > a {
                v
            } else {
                a
            }
        })
    })
}
