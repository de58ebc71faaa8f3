//! Per-axis convolution parameters (stride, per-side padding, dilation) and the output extent
//! they imply.

use crate::{Error, Result};

/// How one spatial axis of a convolution (or pool) walks its input.
///
/// The output extent along the axis is
/// `(input + padding_before + padding_after − dilation·(kernel − 1) − 1) / stride + 1`,
/// and output position `y` reads input positions `y·stride + k·dilation − padding_before` for
/// `k` in `0..kernel` (zero outside the input).
///
/// MiniTorch's convention (same-size output, anchored at the left / top) is
/// [`ConvParams::anchored_start`]; its `reverse` anchoring is [`ConvParams::anchored_end`].
///
/// ```
/// use simdgrad::conv::ConvParams;
/// assert_eq!(ConvParams::anchored_start(3).output_len(4, 3).unwrap(), 4);
/// assert_eq!(ConvParams::padded(1).with_stride(2).output_len(56, 3).unwrap(), 28);
/// assert!(ConvParams::valid().output_len(2, 3).is_err()); // window larger than the input
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvParams {
    /// Step between consecutive output positions, in input positions (≥ 1).
    pub stride: usize,
    /// Zeros added before the input.
    pub padding_before: usize,
    /// Zeros added after the input.
    pub padding_after: usize,
    /// Step between kernel taps, in input positions (≥ 1).
    pub dilation: usize,
}

impl Default for ConvParams {
    /// [`ConvParams::valid`].
    fn default() -> Self {
        Self::valid()
    }
}

impl ConvParams {
    /// Stride 1, no padding, dilation 1 (PyTorch's default, "valid" convolution).
    pub const fn valid() -> Self {
        Self {
            stride: 1,
            padding_before: 0,
            padding_after: 0,
            dilation: 1,
        }
    }

    /// Stride 1, `padding` zeros on both sides, dilation 1.
    pub const fn padded(padding: usize) -> Self {
        Self {
            stride: 1,
            padding_before: padding,
            padding_after: padding,
            dilation: 1,
        }
    }

    /// MiniTorch's convention for a kernel of `kernel` taps: output position `t` reads
    /// `t, t+1, …, t+kernel−1` (anchored at the start), zero padding after the input only, so the
    /// output has the input's size.
    pub const fn anchored_start(kernel: usize) -> Self {
        Self {
            stride: 1,
            padding_before: 0,
            padding_after: kernel.saturating_sub(1),
            dilation: 1,
        }
    }

    /// MiniTorch's `reverse` anchoring: output position `t` reads `t, t−1, …` — expressed here
    /// with tap `k` reading `t + k − (kernel−1)`, i.e. the weight taken in the same order with
    /// `kernel − 1` zeros before the input. Same-size output.
    ///
    /// MiniTorch's reverse form pairs `in[t−k]` with `w[k]`; that equals this convolution with
    /// the weight flipped along the axis (see the conv module docs and its tests).
    pub const fn anchored_end(kernel: usize) -> Self {
        Self {
            stride: 1,
            padding_before: kernel.saturating_sub(1),
            padding_after: 0,
            dilation: 1,
        }
    }

    /// The same parameters with another stride.
    pub const fn with_stride(self, stride: usize) -> Self {
        Self { stride, ..self }
    }

    /// The same parameters with another dilation.
    pub const fn with_dilation(self, dilation: usize) -> Self {
        Self { dilation, ..self }
    }

    /// The same parameters with other paddings.
    pub const fn with_padding(self, before: usize, after: usize) -> Self {
        Self {
            padding_before: before,
            padding_after: after,
            ..self
        }
    }

    /// Extent of the kernel's window in input positions: `dilation·(kernel − 1) + 1`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] on overflow.
    pub fn window(&self, kernel: usize) -> Result<usize> {
        kernel
            .checked_sub(1)
            .and_then(|k| k.checked_mul(self.dilation))
            .and_then(|k| k.checked_add(1))
            .ok_or_else(|| Error::InvalidArgument {
                op: "conv",
                message: format!(
                    "kernel extent {kernel} with dilation {} overflows usize",
                    self.dilation
                ),
            })
    }

    /// Output extent for an input of `input` positions and a kernel of `kernel` taps.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the stride, dilation or kernel is zero, or the window
    /// (`dilation·(kernel − 1) + 1`) is larger than the padded input.
    pub fn output_len(&self, input: usize, kernel: usize) -> Result<usize> {
        let bad = |message: String| Error::InvalidArgument {
            op: "conv",
            message,
        };
        if self.stride == 0 {
            return Err(bad(format!("stride must be at least 1 (params {self:?})")));
        }
        if self.dilation == 0 {
            return Err(bad(format!(
                "dilation must be at least 1 (params {self:?})"
            )));
        }
        if kernel == 0 {
            return Err(bad("kernel extent must be at least 1".into()));
        }
        let window = self.window(kernel)?;
        let padded = input
            .checked_add(self.padding_before)
            .and_then(|v| v.checked_add(self.padding_after))
            .ok_or_else(|| {
                bad(format!(
                    "input {input} plus padding {self:?} overflows usize"
                ))
            })?;
        if window > padded {
            return Err(bad(format!(
                "window of {window} positions (kernel {kernel}, dilation {}) is larger than the \
                 padded input of {padded} (input {input} + padding {} + {})",
                self.dilation, self.padding_before, self.padding_after
            )));
        }
        Ok((padded - window) / self.stride + 1)
    }
}
