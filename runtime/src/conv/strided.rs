//! `StridedRef`: a fixed-rank, read-only strided view into a slice (what the conv and pool
//! kernels take, so permuted tensor views need no copy before the call).

use crate::{Error, Result};

/// A read-only `N`-dimensional strided view: element `[i0, …, iN−1]` is
/// `data[offset + Σ i_k·strides[k]]`.
///
/// Strides are element strides (never negative; 0 repeats an element). Every constructor of a
/// kernel checks that the view lies inside `data` before reading.
///
/// ```
/// use simdgrad::conv::StridedRef;
/// let data = [0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0];
/// let t = StridedRef::contiguous(&data, [2, 3]).permuted([1, 0]); // a (3, 2) transpose
/// assert_eq!(t.shape, [3, 2]);
/// assert_eq!(t.get([2, 1]), Some(5.0));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StridedRef<'a, E, const N: usize> {
    /// Backing storage.
    pub data: &'a [E],
    /// Position of element `[0, …, 0]`.
    pub offset: usize,
    /// Extent of each dim.
    pub shape: [usize; N],
    /// Element stride of each dim.
    pub strides: [usize; N],
}

impl<'a, E: Copy, const N: usize> StridedRef<'a, E, N> {
    /// A row-major view of `shape` over `data` at offset 0.
    pub fn contiguous(data: &'a [E], shape: [usize; N]) -> Self {
        let mut strides = [0; N];
        let mut acc = 1usize;
        for k in (0..N).rev() {
            strides[k] = acc;
            acc = acc.saturating_mul(shape[k]);
        }
        Self {
            data,
            offset: 0,
            shape,
            strides,
        }
    }

    /// The same elements with the dims reordered: new dim `k` is old dim `order[k]`.
    /// An `order` that is not a permutation leaves the view unchanged in the dims it repeats;
    /// use a real permutation.
    pub fn permuted(self, order: [usize; N]) -> Self {
        let mut shape = self.shape;
        let mut strides = self.strides;
        for (k, &o) in order.iter().enumerate() {
            if o < N {
                shape[k] = self.shape[o];
                strides[k] = self.strides[o];
            }
        }
        Self {
            shape,
            strides,
            ..self
        }
    }

    /// Number of elements (`0` if any dim is empty).
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Storage position of an index (no bounds check against `data`).
    #[inline(always)]
    pub fn position(&self, index: [usize; N]) -> usize {
        let mut p = self.offset;
        for (i, st) in index.iter().zip(&self.strides) {
            p += i * st;
        }
        p
    }

    /// The element at `index`, or `None` outside the shape or the slice.
    pub fn get(&self, index: [usize; N]) -> Option<E> {
        if index.iter().zip(&self.shape).any(|(i, s)| i >= s) {
            return None;
        }
        self.data.get(self.position(index)).copied()
    }

    /// `true` if the view is row-major contiguous (any offset).
    pub fn is_contiguous(&self) -> bool {
        let mut acc = 1usize;
        for k in (0..N).rev() {
            if self.shape[k] != 1 && self.strides[k] != acc {
                return false;
            }
            acc = acc.saturating_mul(self.shape[k]);
        }
        true
    }

    /// Checks that every position the view reaches lies inside `data`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming `op`, `what` and the view's shape and strides.
    pub fn check(&self, op: &'static str, what: &str) -> Result<()> {
        if self.shape.contains(&0) {
            return Ok(());
        }
        let mut last = Some(self.offset);
        for k in 0..N {
            last = last
                .and_then(|l| {
                    (self.shape[k] - 1)
                        .checked_mul(self.strides[k])
                        .map(|d| (l, d))
                })
                .and_then(|(l, d)| l.checked_add(d));
        }
        match last {
            Some(l) if l < self.data.len() => Ok(()),
            _ => Err(Error::InvalidArgument {
                op,
                message: format!(
                    "{what} of shape {:?} with strides {:?} at offset {} does not fit its slice \
                     of length {}",
                    self.shape,
                    self.strides,
                    self.offset,
                    self.data.len()
                ),
            }),
        }
    }
}
