//! How a tensor's logical elements sit in its storage: shape, element strides and offset, and the
//! classification every kernel driver dispatches on (contiguous / uniform blocks / general).
//!
//! Strides are element strides and never negative; a broadcast dim has stride 0. Views
//! (`permute`, `narrow`, `broadcast_to`, …) are computed here, on the layout alone, and are in
//! [`view`](self) methods below; the walks over storage positions are in [`Blocks`] and
//! [`Positions`].

use core::ops::Range;

use crate::shape::{checked_numel, row_major_strides};
use crate::{Error, Result};

mod iter;
mod view;

pub use iter::{Block, Blocks, Positions};

/// Shape, element strides and storage offset of a tensor.
///
/// Invariants (kept by every constructor and view): `shape` and `strides` have the same length,
/// the element count fits in `usize`, and so does every storage position the layout reaches.
///
/// ```
/// use simdgrad::layout::Layout;
/// let l = Layout::new(&[3, 5], &[5, 1], 0).unwrap();
/// assert!(l.is_contiguous());
/// assert_eq!(l.position(&[1, 2]).unwrap(), 7);
/// assert_eq!(l.index_of(7).unwrap(), vec![1, 2]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
}

/// What a kernel driver can do with a layout, from fastest to slowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutKind {
    /// The elements are `storage[offset .. offset + numel]`, in order: one slice kernel call.
    Contiguous,
    /// The elements are uniform runs of `len` elements, visited by [`Layout::blocks`].
    Blocks {
        /// Elements per run.
        len: usize,
        /// 1: the run is a contiguous slice; 0: the run repeats one value (a broadcast).
        inner_stride: usize,
    },
    /// The innermost (merged) dim has a stride other than 0 or 1: walk
    /// [`Layout::positions`] element by element.
    General,
}

impl Layout {
    /// The row-major (contiguous) layout of `shape`, at offset 0.
    ///
    /// # Errors
    /// [`Error::ShapeOverflow`] if the element count overflows `usize`.
    pub fn contiguous(shape: &[usize]) -> Result<Self> {
        checked_numel(shape)?;
        Ok(Self {
            shape: shape.to_vec(),
            strides: row_major_strides(shape),
            offset: 0,
        })
    }

    /// A layout with explicit strides and offset.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `strides` and `shape` differ in length,
    /// [`Error::ShapeOverflow`] if the element count or the largest position overflows `usize`.
    pub fn new(shape: &[usize], strides: &[usize], offset: usize) -> Result<Self> {
        if shape.len() != strides.len() {
            return Err(Error::LengthMismatch {
                op: "Layout::new",
                what: "strides",
                expected: shape.len(),
                got: strides.len(),
            });
        }
        let numel = checked_numel(shape)?;
        if numel > 0 {
            shape
                .iter()
                .zip(strides)
                .try_fold(offset, |acc, (&n, &s)| {
                    (n - 1)
                        .checked_mul(s)
                        .and_then(|span| acc.checked_add(span))
                })
                .ok_or_else(|| Error::ShapeOverflow {
                    shape: shape.to_vec(),
                })?;
        }
        Ok(Self {
            shape: shape.to_vec(),
            strides: strides.to_vec(),
            offset,
        })
    }

    /// Builds a layout whose invariants the caller has already established.
    pub(crate) fn from_parts(shape: Vec<usize>, strides: Vec<usize>, offset: usize) -> Self {
        debug_assert_eq!(shape.len(), strides.len());
        Self {
            shape,
            strides,
            offset,
        }
    }

    /// The size of each dim.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The element stride of each dim (0 for a broadcast dim).
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// The storage position of the first element.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The number of dims.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of logical elements (1 for a 0-d layout).
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// `true` if the strides are the row-major strides of the shape, so the elements are
    /// `storage[offset .. offset + numel]` in logical order.
    ///
    /// As in PyTorch, the stride of a size-1 dim is ignored (it is never used to reach an
    /// element), and a layout with no elements is contiguous.
    pub fn is_contiguous(&self) -> bool {
        if self.numel() == 0 {
            return true;
        }
        let mut expected = 1;
        for (&n, &s) in self.shape.iter().zip(&self.strides).rev() {
            if n != 1 {
                if s != expected {
                    return false;
                }
                expected *= n;
            }
        }
        true
    }

    /// The smallest storage length that holds every element (0 for an empty layout).
    pub fn required_storage_len(&self) -> usize {
        if self.numel() == 0 {
            return 0;
        }
        // Saturating: a layout whose last position does not fit a `usize` needs more storage
        // than any buffer has, so callers comparing against a storage length reject it (a
        // wrapped sum would let `as_strided(.., usize::MAX)` through; found by fuzzing).
        self.shape
            .iter()
            .zip(&self.strides)
            .try_fold(self.offset, |acc, (&n, &s)| {
                (n - 1).checked_mul(s).and_then(|d| acc.checked_add(d))
            })
            .and_then(|last| last.checked_add(1))
            .unwrap_or(usize::MAX)
    }

    /// The storage position of the element at multi-index `index` (MiniTorch's
    /// `index_to_position`).
    ///
    /// # Errors
    /// [`Error::IndexOutOfBounds`] if `index` has the wrong length or a coordinate is too large.
    pub fn position(&self, index: &[usize]) -> Result<usize> {
        self.checked_position("position", index)
    }

    pub(crate) fn checked_position(&self, op: &'static str, index: &[usize]) -> Result<usize> {
        let in_bounds =
            index.len() == self.ndim() && index.iter().zip(&self.shape).all(|(&i, &n)| i < n);
        if !in_bounds {
            return Err(Error::IndexOutOfBounds {
                op,
                index: index.to_vec(),
                shape: self.shape.clone(),
            });
        }
        Ok(self.offset
            + index
                .iter()
                .zip(&self.strides)
                .map(|(&i, &s)| i * s)
                .sum::<usize>())
    }

    /// The multi-index of the `ordinal`-th element in logical (row-major) order (MiniTorch's
    /// `to_index`). The inverse of counting elements with [`Layout::positions`].
    ///
    /// # Errors
    /// [`Error::IndexOutOfBounds`] if `ordinal >= numel`.
    pub fn index_of(&self, ordinal: usize) -> Result<Vec<usize>> {
        if ordinal >= self.numel() {
            return Err(Error::IndexOutOfBounds {
                op: "index_of",
                index: vec![ordinal],
                shape: self.shape.clone(),
            });
        }
        let mut rest = ordinal;
        let mut index = vec![0; self.ndim()];
        for (i, &n) in index.iter_mut().zip(&self.shape).rev() {
            *i = rest % n;
            rest /= n;
        }
        Ok(index)
    }

    /// The dims after dropping size-1 dims and merging each pair of neighbours that walk storage
    /// as one dim (`stride[d] == stride[d + 1] * size[d + 1]`, which covers both a contiguous
    /// pair and a pair of broadcast dims). Visits the same positions in the same order.
    pub(crate) fn coalesced(&self) -> (Vec<usize>, Vec<usize>) {
        let mut sizes: Vec<usize> = Vec::with_capacity(self.ndim());
        let mut strides: Vec<usize> = Vec::with_capacity(self.ndim());
        for (&n, &s) in self.shape.iter().zip(&self.strides) {
            if n == 1 {
                continue;
            }
            match (sizes.last_mut(), strides.last_mut()) {
                (Some(prev_n), Some(prev_s)) if n.checked_mul(s) == Some(*prev_s) => {
                    *prev_n *= n;
                    *prev_s = s;
                }
                _ => {
                    sizes.push(n);
                    strides.push(s);
                }
            }
        }
        (sizes, strides)
    }

    /// Classifies the layout for a kernel driver; see [`LayoutKind`].
    ///
    /// ```
    /// use simdgrad::layout::{Layout, LayoutKind};
    /// // A (3, 4) window of a (3, 8) row-major matrix: three contiguous runs of 4.
    /// let l = Layout::new(&[3, 4], &[8, 1], 2).unwrap();
    /// assert_eq!(l.kind(), LayoutKind::Blocks { len: 4, inner_stride: 1 });
    /// // A column vector broadcast along rows: runs of one repeated value.
    /// let b = Layout::new(&[3, 4], &[1, 0], 0).unwrap();
    /// assert_eq!(b.kind(), LayoutKind::Blocks { len: 4, inner_stride: 0 });
    /// // A transposed matrix.
    /// assert_eq!(Layout::new(&[4, 3], &[1, 4], 0).unwrap().kind(), LayoutKind::General);
    /// ```
    pub fn kind(&self) -> LayoutKind {
        if self.numel() == 0 {
            return LayoutKind::Contiguous;
        }
        let (sizes, strides) = self.coalesced();
        match (sizes.last(), strides.last()) {
            (None, _) => LayoutKind::Contiguous,
            (Some(_), Some(1)) if sizes.len() == 1 => LayoutKind::Contiguous,
            (Some(&len), Some(&s)) if s <= 1 => LayoutKind::Blocks {
                len,
                inner_stride: s,
            },
            _ => LayoutKind::General,
        }
    }

    /// The elements as runs of storage positions, in logical order; see [`Blocks`].
    ///
    /// ```
    /// use simdgrad::layout::{Block, Layout};
    /// let l = Layout::new(&[2, 3], &[4, 1], 1).unwrap();
    /// let runs: Vec<Block> = l.blocks().collect();
    /// assert_eq!(runs, vec![
    ///     Block { offset: 1, len: 3, stride: 1 },
    ///     Block { offset: 5, len: 3, stride: 1 },
    /// ]);
    /// ```
    pub fn blocks(&self) -> Blocks {
        Blocks::new(self)
    }

    /// The storage position of every element, in logical order (an odometer walk).
    ///
    /// ```
    /// use simdgrad::layout::Layout;
    /// let t = Layout::new(&[2, 3], &[1, 2], 0).unwrap(); // a transposed (3, 2)
    /// assert_eq!(t.positions().collect::<Vec<_>>(), vec![0, 2, 4, 1, 3, 5]);
    /// ```
    pub fn positions(&self) -> Positions {
        Positions::new(self)
    }

    /// `true` if the layout covers `storage[offset .. offset + numel]` exactly once, in some order
    /// of its dims (a contiguous tensor, or a permutation of one).
    pub fn is_dense(&self) -> bool {
        self.dense_order().is_some()
    }

    /// For a dense layout, the dim order (outermost first) in which it walks storage
    /// contiguously: `permute(order)` of it is contiguous. `None` if the layout is not dense.
    ///
    /// Elementwise kernels use this to process a permuted tensor in storage order, writing an
    /// output with the same strides.
    ///
    /// ```
    /// use simdgrad::layout::Layout;
    /// let l = Layout::contiguous(&[2, 3, 4]).unwrap().permute(&[2, 0, 1]).unwrap();
    /// assert_eq!(l.dense_order(), Some(vec![1, 2, 0]));
    /// assert_eq!(l.dense_range(), Some(0..24));
    /// ```
    pub fn dense_order(&self) -> Option<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.ndim()).collect();
        // Stable sort, so size-1 dims (whose strides are arbitrary) keep their relative order.
        order.sort_by_key(|&d| core::cmp::Reverse(self.strides[d]));
        self.permuted(&order).is_contiguous().then_some(order)
    }

    /// For a dense layout, the storage range it covers; `None` if not dense.
    pub fn dense_range(&self) -> Option<Range<usize>> {
        self.is_dense()
            .then(|| self.offset..self.offset + self.numel())
    }

    /// Reorders dims without checking that `order` is a permutation.
    fn permuted(&self, order: &[usize]) -> Self {
        Self::from_parts(
            order.iter().map(|&d| self.shape[d]).collect(),
            order.iter().map(|&d| self.strides[d]).collect(),
            self.offset,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(shape: &[usize], strides: &[usize]) -> Layout {
        Layout::new(shape, strides, 0).unwrap()
    }

    #[test]
    fn contiguity_ignores_size_one_dims() {
        assert!(layout(&[3, 1, 4], &[4, 99, 1]).is_contiguous());
        assert!(!layout(&[3, 2, 4], &[4, 99, 1]).is_contiguous());
        assert!(layout(&[0, 5], &[7, 7]).is_contiguous());
    }

    #[test]
    fn new_rejects_mismatched_lengths_and_unreachable_positions() {
        assert!(matches!(
            Layout::new(&[2, 3], &[1], 0),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            Layout::new(&[3], &[usize::MAX], 0),
            Err(Error::ShapeOverflow { .. })
        ));
        assert!(Layout::new(&[0], &[usize::MAX], 5).is_ok());
    }

    #[test]
    fn coalescing_merges_contiguous_and_broadcast_neighbours() {
        assert_eq!(
            layout(&[2, 3, 4], &[12, 4, 1]).coalesced(),
            (vec![24], vec![1])
        );
        assert_eq!(
            layout(&[2, 3, 4], &[1, 0, 0]).coalesced(),
            (vec![2, 12], vec![1, 0])
        );
        assert_eq!(
            layout(&[2, 1, 4], &[8, 5, 1]).coalesced(),
            (vec![2, 4], vec![8, 1])
        );
    }

    #[test]
    fn kinds() {
        assert_eq!(layout(&[], &[]).kind(), LayoutKind::Contiguous);
        assert_eq!(layout(&[1, 1], &[5, 9]).kind(), LayoutKind::Contiguous);
        assert_eq!(
            layout(&[5], &[0]).kind(),
            LayoutKind::Blocks {
                len: 5,
                inner_stride: 0
            }
        );
        assert_eq!(layout(&[5], &[2]).kind(), LayoutKind::General);
    }

    #[test]
    fn required_storage_len_covers_the_last_position() {
        assert_eq!(
            Layout::new(&[2, 3], &[4, 1], 1)
                .unwrap()
                .required_storage_len(),
            8
        );
        assert_eq!(layout(&[0, 3], &[3, 1]).required_storage_len(), 0);
        assert_eq!(layout(&[], &[]).required_storage_len(), 1);
    }

    #[test]
    fn broadcast_layouts_are_not_dense() {
        assert!(!layout(&[3, 4], &[1, 0]).is_dense());
        assert!(layout(&[3, 4], &[1, 3]).is_dense());
        assert!(layout(&[3, 1, 4], &[1, 0, 3]).is_dense());
        assert!(!layout(&[3, 4], &[8, 1]).is_dense());
    }
}
