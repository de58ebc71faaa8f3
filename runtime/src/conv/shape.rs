//! `ConvShape`: the validated extents of one convolution, and the checks every kernel runs on
//! the views and buffers it is given.

use super::{ConvParams, StridedRef};
use crate::{Error, Result};

/// The validated extents of a 2-D convolution (a 1-D one is the case `in_h = kernel_h = 1`).
///
/// Input `(batch, in_channels, in_h, in_w)`, weight `(out_channels, in_channels, kernel_h,
/// kernel_w)`, output `(batch, out_channels, out_h, out_w)` with the output extents given by
/// [`ConvParams::output_len`] per axis.
///
/// ```
/// use simdgrad::conv::{ConvParams, ConvShape};
/// let s = ConvShape::conv2d([8, 64, 56, 56], [64, 64, 3, 3], [ConvParams::padded(1); 2]).unwrap();
/// assert_eq!(s.output_shape(), [8, 64, 56, 56]);
/// let err = ConvShape::conv2d([8, 3, 56, 56], [64, 64, 3, 3], [ConvParams::padded(1); 2]);
/// assert!(err.unwrap_err().to_string().contains("3 input channels"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvShape {
    /// Batch size.
    pub batch: usize,
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Input height (1 for a 1-D convolution).
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Kernel height (1 for a 1-D convolution).
    pub kernel_h: usize,
    /// Kernel width.
    pub kernel_w: usize,
    /// Output height.
    pub out_h: usize,
    /// Output width.
    pub out_w: usize,
    /// Parameters along height and width.
    pub params: [ConvParams; 2],
}

impl ConvShape {
    /// Validates a 2-D convolution: input `(B, C, H, W)`, weight `(O, C, KH, KW)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming both shapes when the channel counts differ, a stride,
    /// dilation or kernel extent is zero, or a window is larger than the padded input.
    pub fn conv2d(input: [usize; 4], weight: [usize; 4], params: [ConvParams; 2]) -> Result<Self> {
        Self::build("conv2d", input, weight, params, &input, &weight)
    }

    /// Validates a 1-D convolution: input `(B, C, W)`, weight `(O, C, K)`.
    ///
    /// # Errors
    /// As [`ConvShape::conv2d`].
    pub fn conv1d(input: [usize; 3], weight: [usize; 3], params: ConvParams) -> Result<Self> {
        let [b, c, w] = input;
        let [o, wc, k] = weight;
        Self::build(
            "conv1d",
            [b, c, 1, w],
            [o, wc, 1, k],
            [ConvParams::valid(), params],
            &input,
            &weight,
        )
    }

    fn build(
        op: &'static str,
        input: [usize; 4],
        weight: [usize; 4],
        params: [ConvParams; 2],
        shown_input: &[usize],
        shown_weight: &[usize],
    ) -> Result<Self> {
        let [batch, in_channels, in_h, in_w] = input;
        let [out_channels, wc, kernel_h, kernel_w] = weight;
        if wc != in_channels {
            return Err(Error::InvalidArgument {
                op,
                message: format!(
                    "input of shape {shown_input:?} has {in_channels} input channels but the \
                     weight of shape {shown_weight:?} expects {wc}"
                ),
            });
        }
        let axis = |name: &str, len: usize, k: usize, p: ConvParams| {
            p.output_len(len, k).map_err(|e| Error::InvalidArgument {
                op,
                message: format!(
                    "along {name}: {} (input shape {shown_input:?}, weight shape {shown_weight:?})",
                    match e {
                        Error::InvalidArgument { message, .. } => message,
                        other => other.to_string(),
                    }
                ),
            })
        };
        let out_h = axis("the height", in_h, kernel_h, params[0])?;
        let out_w = axis("the width", in_w, kernel_w, params[1])?;
        let s = Self {
            batch,
            in_channels,
            out_channels,
            in_h,
            in_w,
            kernel_h,
            kernel_w,
            out_h,
            out_w,
            params,
        };
        // Every buffer size must be representable, so later index arithmetic cannot overflow.
        for (what, shape) in [
            ("input", s.input_shape()),
            ("weight", s.weight_shape()),
            ("output", s.output_shape()),
        ] {
            if shape
                .iter()
                .try_fold(1usize, |a, &d| a.checked_mul(d))
                .is_none()
            {
                return Err(Error::InvalidArgument {
                    op,
                    message: format!("the {what} shape {shape:?} overflows usize"),
                });
            }
        }
        Ok(s)
    }

    /// `(B, C, H, W)`.
    pub fn input_shape(&self) -> [usize; 4] {
        [self.batch, self.in_channels, self.in_h, self.in_w]
    }

    /// `(O, C, KH, KW)`.
    pub fn weight_shape(&self) -> [usize; 4] {
        [
            self.out_channels,
            self.in_channels,
            self.kernel_h,
            self.kernel_w,
        ]
    }

    /// `(B, O, OH, OW)`.
    pub fn output_shape(&self) -> [usize; 4] {
        [self.batch, self.out_channels, self.out_h, self.out_w]
    }

    /// Multiply-adds of the forward pass: `B·O·C·KH·KW·OH·OW` (FLOPs are twice this).
    pub fn macs(&self) -> u64 {
        [
            self.batch,
            self.out_channels,
            self.in_channels,
            self.kernel_h,
            self.kernel_w,
            self.out_h,
            self.out_w,
        ]
        .iter()
        .fold(1u64, |a, &d| a.saturating_mul(d as u64))
    }

    pub(crate) fn check_view<E: Copy>(
        &self,
        op: &'static str,
        what: &str,
        view: &StridedRef<'_, E, 4>,
        expected: [usize; 4],
    ) -> Result<()> {
        if view.shape != expected {
            return Err(Error::InvalidArgument {
                op,
                message: format!(
                    "{what} has shape {:?}, expected {expected:?} for {self}",
                    view.shape
                ),
            });
        }
        view.check(op, what)
    }

    pub(crate) fn check_len(
        &self,
        op: &'static str,
        what: &'static str,
        len: usize,
        shape: [usize; 4],
    ) -> Result<()> {
        let expected: usize = shape.iter().product();
        if len != expected {
            return Err(Error::LengthMismatch {
                op,
                what,
                expected,
                got: len,
            });
        }
        Ok(())
    }
}

impl core::fmt::Display for ConvShape {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "conv of input {:?} with weight {:?} to output {:?}",
            self.input_shape(),
            self.weight_shape(),
            self.output_shape()
        )
    }
}
