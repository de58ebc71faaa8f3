//! Convolution layers: [`Conv1d`] and [`Conv2d`], weights initialised as PyTorch's.

use rand::Rng;

use super::{init, Module};
use crate::conv::ConvParams;
use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

/// PyTorch's default for conv weights and biases (`kaiming_uniform_(a=√5)`, i.e.
/// `U(−1/√fan_in, 1/√fan_in)` with `fan_in = C·KH·KW`).
fn pytorch_default<E: SimdElement, R: Rng + ?Sized>(
    op: &'static str,
    weight_shape: &[usize],
    rng: &mut R,
) -> Result<(Tensor<E>, Tensor<E>)> {
    if weight_shape.contains(&0) {
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "channels and kernel extents must be positive, got weight shape {weight_shape:?}"
            ),
        });
    }
    let fan_in: usize = weight_shape[1..].iter().product();
    let bound = 1.0 / (fan_in as f64).sqrt();
    let w = init::uniform(weight_shape, -bound, bound, rng)?;
    let b = init::uniform(&[weight_shape[0]], -bound, bound, rng)?;
    Ok((w, b))
}

fn leaf<E: SimdElement>(t: Tensor<E>) -> Tensor<E> {
    t.detach().requires_grad_(true)
}

/// 2-D convolution layer: input `(B, C, H, W)`, weight `(O, C, KH, KW)`, bias `(O)`.
///
/// ```
/// use simdgrad::nn::{Conv2d, Module};
/// use simdgrad::Tensor;
/// let mut rng = simdgrad::nn::init::seeded_rng(0);
/// let conv = Conv2d::<f32>::new(1, 6, [5, 5], &mut rng).unwrap().with_padding(2);
/// let y = conv.forward(&Tensor::zeros(&[2, 1, 28, 28]).unwrap()).unwrap();
/// assert_eq!(y.shape(), &[2, 6, 28, 28]);
/// ```
#[derive(Clone)]
pub struct Conv2d<E: SimdElement> {
    /// `(O, C, KH, KW)`.
    pub weight: Tensor<E>,
    /// `(O)`, if any.
    pub bias: Option<Tensor<E>>,
    /// Stride, padding and dilation along height and width.
    pub params: [ConvParams; 2],
}

impl<E: SimdElement> Conv2d<E> {
    /// A layer with a bias, stride 1 and no padding (PyTorch's defaults), initialised as
    /// PyTorch does.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a size is zero.
    pub fn new<R: Rng + ?Sized>(
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        rng: &mut R,
    ) -> Result<Self> {
        let shape = [out_channels, in_channels, kernel[0], kernel[1]];
        let (w, b) = pytorch_default("Conv2d::new", &shape, rng)?;
        Ok(Self {
            weight: leaf(w),
            bias: Some(leaf(b)),
            params: [ConvParams::valid(); 2],
        })
    }

    /// The same layer with other per-axis parameters (e.g. MiniTorch's
    /// `[ConvParams::anchored_start(kh), ConvParams::anchored_start(kw)]`).
    pub fn with_params(self, params: [ConvParams; 2]) -> Self {
        Self { params, ..self }
    }

    /// The same layer with `padding` zeros on every side (keeping the strides).
    pub fn with_padding(self, padding: usize) -> Self {
        let params = self.params.map(|p| p.with_padding(padding, padding));
        Self { params, ..self }
    }

    /// The same layer with stride `stride` along both axes.
    pub fn with_stride(self, stride: usize) -> Self {
        let params = self.params.map(|p| p.with_stride(stride));
        Self { params, ..self }
    }

    /// The same layer without a bias.
    pub fn without_bias(self) -> Self {
        Self { bias: None, ..self }
    }
}

impl<E: SimdElement> Module<E> for Conv2d<E> {
    fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
        x.conv2d(&self.weight, self.bias.as_ref(), self.params)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<E>)> {
        let mut v = vec![("weight".to_string(), self.weight.clone())];
        v.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        v
    }
}

/// 1-D convolution layer: input `(B, C, W)`, weight `(O, C, K)`, bias `(O)`.
///
/// ```
/// use simdgrad::nn::{Conv1d, Module};
/// use simdgrad::Tensor;
/// let mut rng = simdgrad::nn::init::seeded_rng(0);
/// let conv = Conv1d::<f32>::new(50, 100, 3, &mut rng).unwrap();
/// let y = conv.forward(&Tensor::zeros(&[2, 50, 20]).unwrap()).unwrap();
/// assert_eq!(y.shape(), &[2, 100, 18]);
/// ```
#[derive(Clone)]
pub struct Conv1d<E: SimdElement> {
    /// `(O, C, K)`.
    pub weight: Tensor<E>,
    /// `(O)`, if any.
    pub bias: Option<Tensor<E>>,
    /// Stride, padding and dilation.
    pub params: ConvParams,
}

impl<E: SimdElement> Conv1d<E> {
    /// A layer with a bias, stride 1 and no padding, initialised as PyTorch does.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a size is zero.
    pub fn new<R: Rng + ?Sized>(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        rng: &mut R,
    ) -> Result<Self> {
        let (w, b) = pytorch_default("Conv1d::new", &[out_channels, in_channels, kernel], rng)?;
        Ok(Self {
            weight: leaf(w),
            bias: Some(leaf(b)),
            params: ConvParams::valid(),
        })
    }

    /// The same layer with other parameters (e.g. MiniTorch's `ConvParams::anchored_start(k)`).
    pub fn with_params(self, params: ConvParams) -> Self {
        Self { params, ..self }
    }

    /// The same layer without a bias.
    pub fn without_bias(self) -> Self {
        Self { bias: None, ..self }
    }
}

impl<E: SimdElement> Module<E> for Conv1d<E> {
    fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
        x.conv1d(&self.weight, self.bias.as_ref(), self.params)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor<E>)> {
        let mut v = vec![("weight".to_string(), self.weight.clone())];
        v.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        v
    }
}
