//! Views as layout arithmetic: each method returns the layout of a view of the same storage
//! (permute, transpose, narrow, slice, select, squeeze, unsqueeze, broadcast, view, reshape).
//!
//! Dim arguments typed `isize` accept negative dims (`-1` is the last); `usize` ones do not.

use core::ops::{Bound, RangeBounds};

use super::Layout;
use crate::shape::{checked_numel, normalize_dim, normalize_insert_dim, row_major_strides};
use crate::{Error, Result};

impl Layout {
    /// Reorders the dims: dim `i` of the result is dim `order[i]` of `self`.
    ///
    /// # Errors
    /// [`Error::InvalidPermutation`] if `order` is not a permutation of `0..ndim`.
    pub fn permute(&self, order: &[usize]) -> Result<Layout> {
        let mut seen = vec![false; self.ndim()];
        let valid = order.len() == self.ndim()
            && order
                .iter()
                .all(|&d| d < seen.len() && !core::mem::replace(&mut seen[d], true));
        if !valid {
            return Err(Error::InvalidPermutation {
                order: order.to_vec(),
                ndim: self.ndim(),
                shape: self.shape.clone(),
            });
        }
        Ok(self.permuted(order))
    }

    /// Swaps two dims (negative dims allowed).
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`] if either dim is out of range.
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Result<Layout> {
        let d0 = normalize_dim("transpose", dim0, &self.shape)?;
        let d1 = normalize_dim("transpose", dim1, &self.shape)?;
        let mut out = self.clone();
        out.shape.swap(d0, d1);
        out.strides.swap(d0, d1);
        Ok(out)
    }

    /// Keeps `len` elements of `dim` starting at `start`.
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`] for a bad dim, [`Error::DimIndexOutOfBounds`] if
    /// `start + len` exceeds the dim's size.
    pub fn narrow(&self, dim: isize, start: usize, len: usize) -> Result<Layout> {
        let d = normalize_dim("narrow", dim, &self.shape)?;
        let size = self.shape[d];
        if start.checked_add(len).is_none_or(|end| end > size) {
            return Err(self.out_of_bounds(
                "narrow",
                format!("range {start}..{}", start.saturating_add(len)),
                d,
            ));
        }
        Ok(self.sliced_unchecked(d, start, len, 1))
    }

    /// Keeps the elements of `dim` at `range` with a step: `slice(0, 1..7, 2)` keeps indices
    /// 1, 3, 5, like Python's `x[1:7:2]`. `..` is the whole dim.
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`] for a bad dim, [`Error::DimIndexOutOfBounds`] if the range is
    /// reversed or extends past the dim, [`Error::InvalidArgument`] if `step` is 0.
    pub fn slice(&self, dim: isize, range: impl RangeBounds<usize>, step: usize) -> Result<Layout> {
        let d = normalize_dim("slice", dim, &self.shape)?;
        let size = self.shape[d];
        let start = match range.start_bound() {
            Bound::Included(&s) => Some(s),
            Bound::Excluded(&s) => s.checked_add(1),
            Bound::Unbounded => Some(0),
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => e.checked_add(1),
            Bound::Excluded(&e) => Some(e),
            Bound::Unbounded => Some(size),
        };
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) if s <= e && e <= size => (s, e),
            _ => {
                let show = |b: Option<usize>| b.map_or("overflow".to_string(), |v| v.to_string());
                return Err(self.out_of_bounds(
                    "slice",
                    format!("range {}..{}", show(start), show(end)),
                    d,
                ));
            }
        };
        if step == 0 {
            return Err(Error::InvalidArgument {
                op: "slice",
                message: format!("step must be positive, got 0 (shape {:?})", self.shape),
            });
        }
        let len = (end - start).div_ceil(step);
        Ok(self.sliced_unchecked(d, start, len, step))
    }

    /// Picks index `index` of `dim` and drops that dim.
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`] for a bad dim, [`Error::DimIndexOutOfBounds`] if
    /// `index >= size`.
    pub fn select(&self, dim: isize, index: usize) -> Result<Layout> {
        let d = normalize_dim("select", dim, &self.shape)?;
        if index >= self.shape[d] {
            return Err(self.out_of_bounds("select", format!("index {index}"), d));
        }
        let mut out = self.clone();
        out.offset += index * self.strides[d];
        out.shape.remove(d);
        out.strides.remove(d);
        Ok(out)
    }

    /// Removes `dim` if its size is 1; otherwise returns the layout unchanged (PyTorch's rule).
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`] for a bad dim.
    pub fn squeeze(&self, dim: isize) -> Result<Layout> {
        let d = normalize_dim("squeeze", dim, &self.shape)?;
        let mut out = self.clone();
        if self.shape[d] == 1 {
            out.shape.remove(d);
            out.strides.remove(d);
        }
        Ok(out)
    }

    /// Removes every size-1 dim.
    pub fn squeeze_all(&self) -> Layout {
        let (shape, strides) = self
            .shape
            .iter()
            .zip(&self.strides)
            .filter(|&(&n, _)| n != 1)
            .unzip();
        Layout::from_parts(shape, strides, self.offset)
    }

    /// Inserts a size-1 dim at position `dim` of the result; `dim` ranges over
    /// `-(ndim + 1)..=ndim` (`-1` appends).
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`] for a bad dim.
    pub fn unsqueeze(&self, dim: isize) -> Result<Layout> {
        let d = normalize_insert_dim("unsqueeze", dim, &self.shape)?;
        // PyTorch's choice: the stride that keeps a contiguous layout contiguous.
        let stride = match (self.shape.get(d), self.strides.get(d)) {
            (Some(&n), Some(&s)) => n.saturating_mul(s),
            _ => 1,
        };
        let mut out = self.clone();
        out.shape.insert(d, 1);
        out.strides.insert(d, stride);
        Ok(out)
    }

    /// Broadcasts to `shape` by NumPy's rule: leading dims are added, size-1 dims stretch, and
    /// both get stride 0.
    ///
    /// # Errors
    /// [`Error::Broadcast`] naming both shapes if `self` does not broadcast to `shape`;
    /// [`Error::ShapeOverflow`] if `shape` has too many elements.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Layout> {
        let err = || Error::Broadcast {
            op: "broadcast_to",
            lhs: self.shape.clone(),
            rhs: shape.to_vec(),
        };
        let pad = shape.len().checked_sub(self.ndim()).ok_or_else(err)?;
        let mut strides = vec![0; shape.len()];
        for (i, (&n, &s)) in self.shape.iter().zip(&self.strides).enumerate() {
            match shape[pad + i] {
                target if target == n => strides[pad + i] = s,
                _ if n == 1 => {}
                _ => return Err(err()),
            }
        }
        checked_numel(shape)?;
        Ok(Layout::from_parts(shape.to_vec(), strides, self.offset))
    }

    /// The same elements under a new shape, for a contiguous layout.
    ///
    /// # Errors
    /// [`Error::ReshapeSize`] if the element counts differ, [`Error::NotContiguous`] (naming
    /// shape and strides) if `self` is not contiguous.
    pub fn view(&self, shape: &[usize]) -> Result<Layout> {
        self.check_reshape_size("view", shape)?;
        if !self.is_contiguous() {
            return Err(Error::NotContiguous {
                shape: self.shape.clone(),
                strides: self.strides.clone(),
                target: shape.to_vec(),
            });
        }
        Ok(Layout::from_parts(
            shape.to_vec(),
            row_major_strides(shape),
            self.offset,
        ))
    }

    /// The layout of a reshape to `shape` *without copying*, when the strides allow it
    /// (PyTorch's rule: each group of old dims that maps onto a group of new dims must be
    /// contiguous within itself). `Ok(None)` means a reshape must copy.
    ///
    /// # Errors
    /// [`Error::ReshapeSize`] if the element counts differ.
    pub fn reshape_view(&self, shape: &[usize]) -> Result<Option<Layout>> {
        self.check_reshape_size("reshape", shape)?;
        Ok(reshape_strides(&self.shape, &self.strides, shape)
            .map(|strides| Layout::from_parts(shape.to_vec(), strides, self.offset)))
    }

    fn check_reshape_size(&self, op: &'static str, shape: &[usize]) -> Result<()> {
        let from_len = self.numel();
        let to_len = checked_numel(shape)?;
        if from_len == to_len {
            Ok(())
        } else {
            Err(Error::ReshapeSize {
                op,
                from: self.shape.clone(),
                from_len,
                to: shape.to_vec(),
                to_len,
            })
        }
    }

    /// Keeps `len` elements of dim `d` from `start` in steps of `step` (all already checked).
    fn sliced_unchecked(&self, d: usize, start: usize, len: usize, step: usize) -> Layout {
        let mut out = self.clone();
        if len > 0 {
            out.offset += start * self.strides[d];
        }
        out.shape[d] = len;
        // With fewer than two elements the stride is never used; skip the product, which may
        // not fit for a large step.
        if len > 1 {
            out.strides[d] = self.strides[d] * step;
        }
        out
    }

    fn out_of_bounds(&self, op: &'static str, what: String, dim: usize) -> Error {
        Error::DimIndexOutOfBounds {
            op,
            what,
            dim,
            size: self.shape[dim],
            shape: self.shape.clone(),
        }
    }
}

/// PyTorch's `computeStride`: strides for viewing (`old_shape`, `old_strides`) as `new_shape`
/// with no copy, or `None`. The element counts must already agree.
///
/// Old dims are split into chunks that are contiguous within themselves; each chunk must
/// correspond to a run of new dims with the same element count, which then inherit strides from
/// the chunk's innermost stride.
fn reshape_strides(
    old_shape: &[usize],
    old_strides: &[usize],
    new_shape: &[usize],
) -> Option<Vec<usize>> {
    let numel: usize = old_shape.iter().product();
    if numel == 0 || old_shape.is_empty() {
        // No element is ever reached through an empty view, and a 0-d tensor's single element
        // is reached through any strides: use the row-major ones.
        return Some(row_major_strides(new_shape));
    }
    let mut new_strides = vec![0; new_shape.len()];
    let mut view_d = new_shape.len();
    let mut chunk_base_stride = *old_strides.last()?;
    let mut tensor_numel = 1usize;
    let mut view_numel = 1usize;
    for tensor_d in (0..old_shape.len()).rev() {
        tensor_numel *= old_shape[tensor_d];
        let chunk_ends = tensor_d == 0
            || (old_shape[tensor_d - 1] != 1
                && Some(old_strides[tensor_d - 1]) != tensor_numel.checked_mul(chunk_base_stride));
        if chunk_ends {
            while view_d > 0 && (view_numel < tensor_numel || new_shape[view_d - 1] == 1) {
                new_strides[view_d - 1] = view_numel.checked_mul(chunk_base_stride)?;
                view_numel *= new_shape[view_d - 1];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = old_strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == 0).then_some(new_strides)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strides_after(shape: &[usize], strides: &[usize], new: &[usize]) -> Option<Vec<usize>> {
        reshape_strides(shape, strides, new)
    }

    #[test]
    fn reshape_splits_and_merges_contiguous_chunks() {
        assert_eq!(
            strides_after(&[2, 6], &[6, 1], &[2, 2, 3]),
            Some(vec![6, 3, 1])
        );
        // A (4, 3) window with row stride 5: rows can be split, not merged with columns.
        assert_eq!(
            strides_after(&[4, 3], &[5, 1], &[2, 2, 3]),
            Some(vec![10, 5, 1])
        );
        assert_eq!(strides_after(&[4, 3], &[5, 1], &[12]), None);
        // A transposed matrix cannot be flattened without a copy.
        assert_eq!(strides_after(&[3, 2], &[1, 3], &[6]), None);
        // Broadcast rows can gain a size-1 dim but not be merged.
        assert_eq!(
            strides_after(&[3, 4], &[0, 1], &[3, 1, 4]),
            Some(vec![0, 4, 1])
        );
        assert_eq!(strides_after(&[3, 4], &[0, 1], &[12]), None);
        assert_eq!(strides_after(&[], &[], &[1, 1]), Some(vec![1, 1]));
        assert_eq!(strides_after(&[1, 1], &[9, 9], &[]), Some(vec![]));
    }

    #[test]
    fn unsqueeze_keeps_contiguity() {
        let l = Layout::contiguous(&[2, 3]).unwrap();
        for d in -3..=2 {
            assert!(l.unsqueeze(d).unwrap().is_contiguous(), "dim {d}");
        }
    }

    #[test]
    fn slice_with_a_step_strides_further() {
        let l = Layout::contiguous(&[10])
            .unwrap()
            .slice(0, 1..8, 3)
            .unwrap();
        assert_eq!(
            (l.shape(), l.strides(), l.offset()),
            (&[3][..], &[3][..], 1)
        );
        let whole = Layout::contiguous(&[4, 5])
            .unwrap()
            .slice(-1, .., 2)
            .unwrap();
        assert_eq!(whole.shape(), &[4, 3]);
        let empty = Layout::contiguous(&[4]).unwrap().slice(0, 4..4, 1).unwrap();
        assert_eq!(empty.numel(), 0);
    }
}
