//! Reading and writing elements, and the tensor's metadata (shape, strides, dtype, …).

use super::Tensor;
use crate::layout::{Block, LayoutKind};
use crate::{Element, Error, Result};

impl<E: Element> Tensor<E> {
    /// The size of each dim.
    pub fn shape(&self) -> &[usize] {
        self.layout().shape()
    }

    /// The element stride of each dim (0 for a broadcast dim).
    pub fn strides(&self) -> &[usize] {
        self.layout().strides()
    }

    /// The storage position of the first element.
    pub fn offset(&self) -> usize {
        self.layout().offset()
    }

    /// The number of dims (0 for a scalar).
    pub fn ndim(&self) -> usize {
        self.layout().ndim()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.layout().numel()
    }

    /// `true` if the elements are consecutive in storage in row-major order. Size-1 dims are
    /// ignored (their stride is never used), and an empty tensor is contiguous, as in PyTorch.
    pub fn is_contiguous(&self) -> bool {
        self.layout().is_contiguous()
    }

    /// The element type's name as PyTorch prints it: `"float32"` or `"float64"`.
    pub fn dtype(&self) -> &'static str {
        E::DTYPE
    }

    /// The element at multi-index `index`.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::eye(3).unwrap();
    /// assert_eq!(x.get(&[1, 1]).unwrap(), 1.0);
    /// assert!(x.get(&[3, 0]).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::IndexOutOfBounds`] if `index` has the wrong length or lies outside the shape.
    pub fn get(&self, index: &[usize]) -> Result<E> {
        let position = self.layout().checked_position("get", index)?;
        Ok(self.storage().read()[position])
    }

    /// Writes `value` at multi-index `index`. The write goes to the shared storage, so every
    /// view of it sees the change; on a broadcast view, all elements that share that storage
    /// element change together.
    ///
    /// # Errors
    /// [`Error::IndexOutOfBounds`] if `index` has the wrong length or lies outside the shape.
    pub fn set(&self, index: &[usize], value: E) -> Result<()> {
        let position = self.layout().checked_position("set", index)?;
        self.storage().write()[position] = value;
        Ok(())
    }

    /// The elements in logical (row-major) order, copied into a new vector.
    ///
    /// # Panics
    /// If the vector cannot be allocated (a broadcast view of more than `isize::MAX` bytes), as
    /// `Vec` does.
    pub fn to_vec(&self) -> Vec<E> {
        let data = self.storage().read();
        if self.layout().kind() == LayoutKind::General {
            return self.layout().positions().map(|p| data[p]).collect();
        }
        let mut out = Vec::with_capacity(self.numel());
        for Block {
            offset,
            len,
            stride,
        } in self.layout().blocks()
        {
            if stride == 1 {
                out.extend_from_slice(&data[offset..offset + len]);
            } else {
                out.extend(core::iter::repeat_n(data[offset], len));
            }
        }
        out
    }

    /// The single element of a one-element tensor (any shape).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the tensor does not have exactly one element.
    pub fn item(&self) -> Result<E> {
        if self.numel() != 1 {
            return Err(Error::InvalidArgument {
                op: "item",
                message: format!(
                    "a tensor of shape {:?} has {} elements; item() needs exactly one",
                    self.shape(),
                    self.numel()
                ),
            });
        }
        Ok(self.storage().read()[self.offset()])
    }
}
