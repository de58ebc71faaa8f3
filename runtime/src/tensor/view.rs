//! Views and reshapes of a tensor. A view shares the storage (no copy); only `reshape` of an
//! incompatible layout and `contiguous` of a non-contiguous one copy.

use core::ops::RangeBounds;

use super::Tensor;
use crate::autograd::view_backward as vb;
use crate::layout::Layout;
use crate::{Element, Error, Result};

impl<E: Element> Tensor<E> {
    /// Reorders the dims: dim `i` of the result is dim `order[i]` of `self`. A view.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 3, 4]).unwrap();
    /// let p = x.permute(&[2, 0, 1]).unwrap();
    /// assert_eq!((p.shape(), p.strides()), (&[4, 2, 3][..], &[1, 12, 4][..]));
    /// assert!(x.permute(&[0, 0, 1]).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidPermutation`] if `order` is not a permutation of `0..ndim`.
    pub fn permute(&self, order: &[usize]) -> Result<Self> {
        Ok(vb::permute(
            self,
            self.with_layout(self.layout().permute(order)?),
            order,
        ))
    }

    /// Swaps two dims (negative dims allowed: `transpose(-2, -1)` transposes the last two).
    /// A view.
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`] if a dim is out of range.
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Result<Self> {
        Ok(vb::transpose(
            self,
            self.with_layout(self.layout().transpose(dim0, dim1)?),
            dim0,
            dim1,
        ))
    }

    /// The same elements in a new shape, for a contiguous tensor. A view.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 6.0, 1.0).unwrap();
    /// assert_eq!(x.view(&[3, 2]).unwrap().get(&[2, 1]).unwrap(), 5.0);
    /// let t = x.view(&[2, 3]).unwrap().transpose(0, 1).unwrap();
    /// let err = t.view(&[6]).unwrap_err();
    /// assert!(err.to_string().contains("[3, 2] with strides [1, 3]"));
    /// ```
    ///
    /// # Errors
    /// [`Error::ReshapeSize`] if the element counts differ; [`Error::NotContiguous`] (naming
    /// the shape and strides) if `self` is not contiguous — use [`Tensor::reshape`] or
    /// [`Tensor::contiguous`] then.
    pub fn view(&self, shape: &[usize]) -> Result<Self> {
        Ok(vb::reshape_like(
            "view",
            self,
            self.with_layout(self.layout().view(shape)?),
        ))
    }

    /// The same elements in a new shape: a view when the strides allow it (PyTorch's rule:
    /// always for a contiguous tensor, and for some others, e.g. splitting a dim of a
    /// narrowed tensor), otherwise a row-major copy.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 6.0, 1.0).unwrap().view(&[2, 3]).unwrap();
    /// let flat = x.transpose(0, 1).unwrap().reshape(&[6]).unwrap(); // copies
    /// assert_eq!(flat.to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    /// assert!(x.reshape(&[3, 2]).unwrap().shares_storage_with(&x)); // a view
    /// ```
    ///
    /// # Errors
    /// [`Error::ReshapeSize`] if the element counts differ; the errors of
    /// [`Tensor::contiguous`].
    pub fn reshape(&self, shape: &[usize]) -> Result<Self> {
        match self.layout().reshape_view(shape)? {
            Some(layout) => Ok(vb::reshape_like("reshape", self, self.with_layout(layout))),
            None => self.contiguous_for("reshape")?.view(shape),
        }
    }

    /// [`Tensor::contiguous`] for ops that return `Result`: a copy too large to allocate (of a
    /// huge broadcast view) is an error naming `op` instead of a panic.
    pub(crate) fn contiguous_for(&self, op: &'static str) -> Result<Self> {
        if !self.is_contiguous() {
            crate::tensor::check_allocation::<E>(op, self.numel())?;
        }
        Ok(self.contiguous())
    }

    /// `self` if it is contiguous (the same handle), else a row-major copy.
    ///
    /// # Panics
    /// If the copy cannot be allocated (a broadcast view of more than `isize::MAX` bytes), as
    /// `Vec` does; the ops that return `Result` (reshape, softmax, argmax, …) report that as an
    /// [`Error::InvalidArgument`] instead.
    pub fn contiguous(&self) -> Self {
        if self.is_contiguous() {
            return self.clone();
        }
        let layout = Layout::from_parts(
            self.shape().to_vec(),
            crate::shape::row_major_strides(self.shape()),
            0,
        );
        vb::contiguous(self, Self::from_contiguous(self.to_vec(), layout))
    }

    /// Broadcasts to `shape` by NumPy's rules (leading dims added, size-1 dims stretched, with
    /// stride 0). A view: every element of a stretched dim is the same storage element.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let row = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0], &[3]).unwrap();
    /// let m = row.broadcast_to(&[2, 3]).unwrap();
    /// assert_eq!(m.to_vec(), vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    /// assert_eq!(m.strides(), &[0, 1]);
    /// assert!(row.broadcast_to(&[3, 2]).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::Broadcast`] naming both shapes; [`Error::ShapeOverflow`].
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Self> {
        Ok(vb::broadcast_to(
            self,
            self.with_layout(self.layout().broadcast_to(shape)?),
        ))
    }

    /// Another name for [`Tensor::broadcast_to`] (PyTorch's `expand`).
    ///
    /// # Errors
    /// As [`Tensor::broadcast_to`].
    pub fn expand(&self, shape: &[usize]) -> Result<Self> {
        self.broadcast_to(shape)
    }

    /// Keeps `len` elements of `dim` starting at `start` (negative `dim` allowed). A view.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 12.0, 1.0).unwrap().view(&[3, 4]).unwrap();
    /// let mid = x.narrow(-1, 1, 2).unwrap();
    /// assert_eq!(mid.to_vec(), vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]);
    /// assert!(x.narrow(0, 2, 2).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`]; [`Error::DimIndexOutOfBounds`] if `start + len > size`.
    pub fn narrow(&self, dim: isize, start: usize, len: usize) -> Result<Self> {
        Ok(vb::narrow(
            self,
            self.with_layout(self.layout().narrow(dim, start, len)?),
            dim,
            start,
            len,
        ))
    }

    /// Keeps the indices of `dim` in `range` taking every `step`-th: `slice(0, 1..7, 2)` is
    /// Python's `x[1:7:2]`, `slice(-1, .., 2)` is `x[..., ::2]`. A view.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f64>::arange(0.0, 10.0, 1.0).unwrap();
    /// assert_eq!(x.slice(0, 1..8, 3).unwrap().to_vec(), vec![1.0, 4.0, 7.0]);
    /// ```
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`]; [`Error::DimIndexOutOfBounds`] if the range is reversed or
    /// passes the end; [`Error::InvalidArgument`] if `step` is 0.
    pub fn slice(&self, dim: isize, range: impl RangeBounds<usize>, step: usize) -> Result<Self> {
        let range = (range.start_bound().cloned(), range.end_bound().cloned());
        Ok(vb::slice(
            self,
            self.with_layout(self.layout().slice(dim, range, step)?),
            dim,
            range,
            step,
        ))
    }

    /// Picks index `index` of `dim` and drops that dim (`x.select(0, i)` is `x[i]`). A view.
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`]; [`Error::DimIndexOutOfBounds`] if `index >= size`.
    pub fn select(&self, dim: isize, index: usize) -> Result<Self> {
        Ok(vb::select(
            self,
            self.with_layout(self.layout().select(dim, index)?),
            dim,
            index,
        ))
    }

    /// Removes `dim` if its size is 1, else returns an unchanged view (as PyTorch does).
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`].
    pub fn squeeze(&self, dim: isize) -> Result<Self> {
        Ok(vb::reshape_like(
            "squeeze",
            self,
            self.with_layout(self.layout().squeeze(dim)?),
        ))
    }

    /// Removes every size-1 dim. A view.
    pub fn squeeze_all(&self) -> Self {
        vb::reshape_like(
            "squeeze_all",
            self,
            self.with_layout(self.layout().squeeze_all()),
        )
    }

    /// Inserts a size-1 dim so that it becomes dim `dim` of the result; `dim` ranges over
    /// `-(ndim + 1)..=ndim`, so `unsqueeze(-1)` appends. A view.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 3]).unwrap();
    /// assert_eq!(x.unsqueeze(1).unwrap().shape(), &[2, 1, 3]);
    /// assert_eq!(x.unsqueeze(-1).unwrap().shape(), &[2, 3, 1]);
    /// ```
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`].
    pub fn unsqueeze(&self, dim: isize) -> Result<Self> {
        Ok(vb::reshape_like(
            "unsqueeze",
            self,
            self.with_layout(self.layout().unsqueeze(dim)?),
        ))
    }

    /// A view of this tensor's storage with an explicit layout (PyTorch's `as_strided`); the
    /// offset counts from the start of the storage, not from `self.offset()`.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 4.0, 1.0).unwrap();
    /// // Overlapping windows of length 2.
    /// let w = x.as_strided(&[3, 2], &[1, 1], 0).unwrap();
    /// assert_eq!(w.to_vec(), vec![0.0, 1.0, 1.0, 2.0, 2.0, 3.0]);
    /// assert!(x.as_strided(&[3, 2], &[2, 1], 0).is_err()); // reaches position 5
    /// ```
    ///
    /// # Errors
    /// The errors of [`Layout::new`]; [`Error::InvalidArgument`] if the layout reaches past the
    /// end of the storage.
    pub fn as_strided(&self, shape: &[usize], strides: &[usize], offset: usize) -> Result<Self> {
        let layout = Layout::new(shape, strides, offset)?;
        let needed = layout.required_storage_len();
        let available = self.storage().len();
        if needed > available {
            return Err(Error::InvalidArgument {
                op: "as_strided",
                message: format!(
                    "shape {shape:?} with strides {strides:?} and offset {offset} reaches \
                     position {} but the storage holds {available} elements",
                    needed - 1
                ),
            });
        }
        Ok(vb::as_strided(self, self.with_layout(layout)))
    }
}
