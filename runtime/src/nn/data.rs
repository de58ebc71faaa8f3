//! Batching with seeded shuffling: a [`Dataset`] of samples and integer labels that hands out
//! mini-batches as fresh contiguous tensors, in an order drawn from a caller-owned generator
//! (so the same seed gives the same batches).

use rand::seq::SliceRandom;
use rand::Rng;

use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

/// Samples `(N, …)` with one class label each, held as one flat buffer so that building a
/// batch copies only the batch.
///
/// ```
/// use simdgrad::nn::data::Dataset;
/// use simdgrad::Tensor;
/// let x = Tensor::<f32>::arange(0.0, 12.0, 1.0).unwrap().view(&[6, 2]).unwrap();
/// let ds = Dataset::new(&x, vec![0, 1, 0, 1, 0, 1]).unwrap();
/// let mut rng = simdgrad::nn::init::seeded_rng(3);
/// let order = ds.shuffled_order(&mut rng);
/// let batches: Vec<_> = order.chunks(4).collect();
/// let (xb, yb) = ds.batch(batches[1]).unwrap();
/// assert_eq!(xb.shape(), &[2, 2]);
/// assert_eq!(yb.len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Dataset<E: SimdElement> {
    data: Vec<E>,
    sample_shape: Vec<usize>,
    labels: Vec<usize>,
}

impl<E: SimdElement> Dataset<E> {
    /// A dataset of the samples along dim 0 of `x` with `labels`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `x` is 0-d or the label count differs from `x`'s first
    /// dim.
    pub fn new(x: &Tensor<E>, labels: Vec<usize>) -> Result<Self> {
        let Some((&n, rest)) = x.shape().split_first() else {
            return Err(Error::InvalidArgument {
                op: "Dataset::new",
                message: "samples must have a leading sample dim, got a 0-d tensor".into(),
            });
        };
        if n != labels.len() {
            return Err(Error::InvalidArgument {
                op: "Dataset::new",
                message: format!(
                    "{n} samples (shape {:?}) but {} labels",
                    x.shape(),
                    labels.len()
                ),
            });
        }
        Ok(Self {
            data: x.contiguous_for("Dataset::new")?.to_vec(),
            sample_shape: rest.to_vec(),
            labels,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` if there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The labels, in sample order.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The shape of one sample.
    pub fn sample_shape(&self) -> &[usize] {
        &self.sample_shape
    }

    /// `0..len` in a random order drawn from `rng` (Fisher–Yates).
    pub fn shuffled_order<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(rng);
        order
    }

    /// The samples at `indices` as a contiguous `(indices.len(), …)` tensor, and their labels.
    ///
    /// # Errors
    /// [`Error::IndexOutOfBounds`] for an index past the end.
    pub fn batch(&self, indices: &[usize]) -> Result<(Tensor<E>, Vec<usize>)> {
        let per: usize = self.sample_shape.iter().product();
        let mut data = Vec::with_capacity(indices.len() * per);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            if i >= self.len() {
                return Err(Error::IndexOutOfBounds {
                    op: "Dataset::batch",
                    index: vec![i],
                    shape: vec![self.len()],
                });
            }
            data.extend_from_slice(&self.data[i * per..(i + 1) * per]);
            labels.push(self.labels[i]);
        }
        let mut shape = vec![indices.len()];
        shape.extend(&self.sample_shape);
        Ok((Tensor::from_vec(data, &shape)?, labels))
    }

    /// The batches of one epoch: `batch_size` samples each (the last may be smaller), in a
    /// shuffled order if `rng` is given, in sample order otherwise.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `batch_size` is zero.
    pub fn batches<R: Rng + ?Sized>(
        &self,
        batch_size: usize,
        rng: Option<&mut R>,
    ) -> Result<Vec<Vec<usize>>> {
        if batch_size == 0 {
            return Err(Error::InvalidArgument {
                op: "Dataset::batches",
                message: "batch size must be at least 1".into(),
            });
        }
        let order = match rng {
            Some(r) => self.shuffled_order(r),
            None => (0..self.len()).collect(),
        };
        Ok(order.chunks(batch_size).map(<[usize]>::to_vec).collect())
    }
}
