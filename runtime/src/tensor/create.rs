//! Constructors: from data, filled, ranges, identity and random tensors.
//!
//! Every shape is checked (element count with `checked_mul`) before anything is allocated, and
//! the allocation itself is fallible, so a bad shape is an error rather than a panic or an abort.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use super::Tensor;
use crate::layout::Layout;
use crate::shape::checked_numel;
use crate::{Element, Error, Result};

/// A vector of `n` elements reserved fallibly, then filled by `fill`.
fn alloc_with<E: Element>(
    op: &'static str,
    n: usize,
    fill: impl FnOnce(&mut Vec<E>),
) -> Result<Vec<E>> {
    let mut data = Vec::new();
    data.try_reserve_exact(n)
        .map_err(|_| super::allocation_error::<E>(op, n))?;
    fill(&mut data);
    debug_assert_eq!(data.len(), n);
    Ok(data)
}

impl<E: Element> Tensor<E> {
    /// A tensor of `shape` holding `data` in row-major order.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::from_vec(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0], &[2, 3]).unwrap();
    /// assert_eq!(x.get(&[1, 0]).unwrap(), 3.0);
    /// assert!(Tensor::<f32>::from_vec(vec![0.0; 5], &[2, 3]).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::DataLength`] if `data.len()` is not the element count of `shape`;
    /// [`Error::ShapeOverflow`] if that count overflows.
    pub fn from_vec(data: Vec<E>, shape: &[usize]) -> Result<Self> {
        let layout = Self::layout_for_data("from_vec", shape, data.len())?;
        Ok(Self::from_contiguous(data, layout))
    }

    /// Like [`Tensor::from_vec`], copying from a slice.
    ///
    /// # Errors
    /// As [`Tensor::from_vec`].
    pub fn from_slice(data: &[E], shape: &[usize]) -> Result<Self> {
        let layout = Self::layout_for_data("from_slice", shape, data.len())?;
        Ok(Self::from_contiguous(data.to_vec(), layout))
    }

    fn layout_for_data(op: &'static str, shape: &[usize], got: usize) -> Result<Layout> {
        let expected = checked_numel(shape)?;
        if expected != got {
            return Err(Error::DataLength {
                op,
                shape: shape.to_vec(),
                expected,
                got,
            });
        }
        Layout::contiguous(shape)
    }

    /// A 0-d tensor holding `value`.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let s = Tensor::scalar(2.5f64);
    /// assert_eq!((s.ndim(), s.item().unwrap()), (0, 2.5));
    /// ```
    pub fn scalar(value: E) -> Self {
        Self::from_contiguous(vec![value], Layout::from_parts(Vec::new(), Vec::new(), 0))
    }

    /// A tensor of `shape` with every element `value`.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// assert_eq!(Tensor::full(&[2, 2], 7.0f32).unwrap().to_vec(), vec![7.0; 4]);
    /// assert!(Tensor::full(&[usize::MAX, 2], 0.0f32).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::ShapeOverflow`] if the element count overflows; [`Error::InvalidArgument`] if
    /// the memory cannot be allocated.
    pub fn full(shape: &[usize], value: E) -> Result<Self> {
        let layout = Layout::contiguous(shape)?;
        let n = layout.numel();
        let data = alloc_with("full", n, |v| v.resize(n, value))?;
        Ok(Self::from_contiguous(data, layout))
    }

    /// A tensor of `shape` filled with 0.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn zeros(shape: &[usize]) -> Result<Self> {
        Self::full(shape, E::ZERO)
    }

    /// A tensor of `shape` filled with 1.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn ones(shape: &[usize]) -> Result<Self> {
        Self::full(shape, E::ONE)
    }

    /// The 1-D tensor `start, start + step, …` up to but excluding `end`, like `torch.arange`:
    /// `ceil((end − start) / step)` elements, each computed as `start + i·step` in `f64`.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// assert_eq!(Tensor::<f32>::arange(0.0, 5.0, 2.0).unwrap().to_vec(), vec![0.0, 2.0, 4.0]);
    /// assert_eq!(Tensor::<f64>::arange(1.0, 0.0, -0.5).unwrap().to_vec(), vec![1.0, 0.5]);
    /// assert!(Tensor::<f32>::arange(0.0, 1.0, 0.0).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `step` is 0, any argument is not finite, `end` lies on the
    /// wrong side of `start` for the sign of `step`, or the length is too large.
    pub fn arange(start: E, end: E, step: E) -> Result<Self> {
        let (s, e, st) = (start.to_f64(), end.to_f64(), step.to_f64());
        let invalid = |message: String| Error::InvalidArgument {
            op: "arange",
            message,
        };
        if !(s.is_finite() && e.is_finite() && st.is_finite()) || st == 0.0 {
            return Err(invalid(format!(
                "start {s}, end {e} and step {st} must be finite, with a nonzero step"
            )));
        }
        if (st > 0.0 && e < s) || (st < 0.0 && e > s) {
            return Err(invalid(format!(
                "end {e} is on the wrong side of start {s} for step {st}"
            )));
        }
        let len = ((e - s) / st).ceil();
        // `usize::MAX as f64` rounds up to 2^64, so a length equal to it does not fit either.
        if len.is_nan() || len >= usize::MAX as f64 {
            return Err(invalid(format!(
                "start {s}, end {e}, step {st} give too many elements ({len})"
            )));
        }
        let n = len as usize;
        let data = alloc_with("arange", n, |v| {
            v.extend((0..n).map(|i| E::from_f64(s + i as f64 * st)))
        })?;
        Self::from_vec(data, &[n])
    }

    /// The `n × n` identity matrix.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// assert_eq!(Tensor::<f32>::eye(2).unwrap().to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn eye(n: usize) -> Result<Self> {
        let t = Self::zeros(&[n, n])?;
        {
            let mut data = t.storage().write();
            for i in 0..n {
                data[i * n + i] = E::ONE;
            }
        }
        Ok(t)
    }

    /// A tensor of `shape` with elements drawn uniformly from `[0, 1)`.
    ///
    /// Each element is `k · 2^-p` for a random integer `k < 2^p`, `p` the mantissa width of `E`
    /// (24 or 53), so it is exact in `E` and never rounds up to 1.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn rand<R: Rng + ?Sized>(shape: &[usize], rng: &mut R) -> Result<Self> {
        let bits: u32 = if E::SIZE == 4 { 24 } else { 53 };
        let scale = 1.0 / (1u64 << bits) as f64;
        Self::generate("rand", shape, || {
            E::from_f64((rng.next_u64() >> (64 - bits)) as f64 * scale)
        })
    }

    /// A tensor of `shape` with standard-normal elements (mean 0, variance 1).
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn randn<R: Rng + ?Sized>(shape: &[usize], rng: &mut R) -> Result<Self> {
        Self::generate("randn", shape, || {
            E::from_f64(StandardNormal.sample(&mut *rng))
        })
    }

    /// [`Tensor::rand`] with a [`StdRng`] seeded from `seed`: the same seed gives the same
    /// tensor.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let a = Tensor::<f32>::rand_seeded(&[3], 7).unwrap();
    /// assert_eq!(a.to_vec(), Tensor::<f32>::rand_seeded(&[3], 7).unwrap().to_vec());
    /// assert!(a.to_vec().iter().all(|&v| (0.0..1.0).contains(&v)));
    /// ```
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn rand_seeded(shape: &[usize], seed: u64) -> Result<Self> {
        Self::rand(shape, &mut StdRng::seed_from_u64(seed))
    }

    /// [`Tensor::randn`] with a [`StdRng`] seeded from `seed`.
    ///
    /// # Errors
    /// As [`Tensor::full`].
    pub fn randn_seeded(shape: &[usize], seed: u64) -> Result<Self> {
        Self::randn(shape, &mut StdRng::seed_from_u64(seed))
    }

    fn generate(op: &'static str, shape: &[usize], mut next: impl FnMut() -> E) -> Result<Self> {
        let layout = Layout::contiguous(shape)?;
        let n = layout.numel();
        let data = alloc_with(op, n, |v| v.extend((0..n).map(|_| next())))?;
        Ok(Self::from_contiguous(data, layout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arange_length_follows_torch() {
        assert_eq!(Tensor::<f64>::arange(0.0, 1.0, 0.3).unwrap().numel(), 4);
        assert_eq!(Tensor::<f64>::arange(2.0, 2.0, 1.0).unwrap().numel(), 0);
        assert!(Tensor::<f64>::arange(0.0, 1.0, -1.0).is_err());
        assert!(Tensor::<f64>::arange(0.0, f64::NAN, 1.0).is_err());
        assert!(Tensor::<f64>::arange(0.0, f64::MAX, f64::MIN_POSITIVE).is_err());
    }

    #[test]
    fn huge_but_countable_shapes_fail_to_allocate_gracefully() {
        let err = Tensor::<f64>::zeros(&[1 << 62]).unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument { op: "full", .. }),
            "{err}"
        );
    }

    #[test]
    fn randn_has_roughly_unit_moments() {
        let v = Tensor::<f64>::randn_seeded(&[20_000], 1).unwrap().to_vec();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / v.len() as f64;
        assert!(
            mean.abs() < 0.05 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }

    #[test]
    fn eye_has_ones_on_the_diagonal_only() {
        let e = Tensor::<f32>::eye(3).unwrap();
        assert_eq!(
            e.to_vec(),
            vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        );
        assert_eq!(Tensor::<f32>::eye(0).unwrap().shape(), &[0, 0]);
    }
}
