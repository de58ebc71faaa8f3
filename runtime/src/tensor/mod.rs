//! [`Tensor`]: an n-dimensional array of `f32` or `f64`, a cheap handle onto shared storage plus
//! a strided [`Layout`]. Views (`permute`, `narrow`, `broadcast_to`, …) share the storage.
//!
//! The methods are split by job: [`create`](self) (constructors), `view` (views and reshapes),
//! `access` (elements and metadata) and `display` (PyTorch-style printing).

use std::sync::Arc;

use crate::autograd::AutogradMeta;
use crate::layout::Layout;
use crate::Element;

mod access;
mod create;
mod display;
mod storage;
mod view;

pub use storage::cache::set_buffer_reuse;
pub(crate) use storage::{allocation_error, check_allocation, output_buffer, recycled, Storage};

/// An n-dimensional array of `E` (`f32` or `f64`).
///
/// Cloning is cheap: it copies a handle, and the clone is the *same* tensor. Views share the
/// storage of the tensor they come from, so [`Tensor::set`] through one is seen by all;
/// [`Tensor::shares_storage_with`] tells whether two tensors do.
///
/// Methods that fail on bad input return [`crate::Result`]. Dim arguments typed `isize`
/// (`transpose`, `narrow`, `slice`, `select`, `squeeze`, `unsqueeze`) accept negative dims
/// (`-1` is the last); dim lists typed `usize` (`permute`) and shapes do not.
///
/// ```
/// use simdgrad::Tensor;
/// let x = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
/// let col = x.select(1, 2).unwrap(); // x[:, 2]
/// assert_eq!(col.to_vec(), vec![3.0, 6.0]);
/// col.set(&[0], 30.0).unwrap(); // writes through the view
/// assert_eq!(x.get(&[0, 2]).unwrap(), 30.0);
/// ```
pub struct Tensor<E: Element> {
    inner: Arc<TensorInner<E>>,
}

/// Everything a tensor handle points at.
struct TensorInner<E: Element> {
    storage: Arc<Storage<E>>,
    layout: Layout,
    /// Gradient tracking: the `requires_grad` flag, the node that made this tensor, and a
    /// leaf's accumulated gradient (see [`crate::autograd`]).
    autograd: AutogradMeta<E>,
}

impl<E: Element> Clone for Tensor<E> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<E: Element> Tensor<E> {
    /// A tensor over `storage` with `layout`. The caller guarantees that every position of
    /// `layout` lies inside `storage`.
    pub(crate) fn from_parts(storage: Arc<Storage<E>>, layout: Layout) -> Self {
        debug_assert!(layout.required_storage_len() <= storage.len());
        Self::from_parts_with_autograd(storage, layout, AutogradMeta::default())
    }

    /// [`Tensor::from_parts`] with explicit autograd state (used by `autograd::record` and
    /// `detach`).
    pub(crate) fn from_parts_with_autograd(
        storage: Arc<Storage<E>>,
        layout: Layout,
        autograd: AutogradMeta<E>,
    ) -> Self {
        Self {
            inner: Arc::new(TensorInner {
                storage,
                layout,
                autograd,
            }),
        }
    }

    /// The autograd state of this tensor.
    pub(crate) fn autograd_meta(&self) -> &AutogradMeta<E> {
        &self.inner.autograd
    }

    /// Mutable autograd state when this handle is the only one (no clone exists).
    pub(crate) fn autograd_meta_mut(&mut self) -> Option<&mut AutogradMeta<E>> {
        Arc::get_mut(&mut self.inner).map(|inner| &mut inner.autograd)
    }

    /// `true` if no other handle to this tensor and no other view of its storage exists, so
    /// its storage may be overwritten without anyone noticing.
    pub(crate) fn is_unique(&self) -> bool {
        Arc::strong_count(&self.inner) == 1 && Arc::strong_count(&self.inner.storage) == 1
    }

    /// A fresh row-major tensor owning `data`; `layout` must be contiguous at offset 0 over
    /// exactly `data.len()` elements.
    pub(crate) fn from_contiguous(data: Vec<E>, layout: Layout) -> Self {
        debug_assert!(layout.is_contiguous() && layout.numel() == data.len());
        Self::from_parts(Arc::new(Storage::new(data)), layout)
    }

    /// A view of the same storage with another layout (computed by a [`Layout`] view method, so
    /// it stays within the storage).
    pub(crate) fn with_layout(&self, layout: Layout) -> Self {
        Self::from_parts(Arc::clone(&self.inner.storage), layout)
    }

    /// The shared storage, for kernels: `t.storage().read()` gives the buffer that
    /// `t.layout()` indexes into.
    pub(crate) fn storage(&self) -> &Arc<Storage<E>> {
        &self.inner.storage
    }

    /// The layout: shape, strides and offset into the storage.
    pub fn layout(&self) -> &Layout {
        &self.inner.layout
    }

    /// `true` if both tensors are views of the same storage (writes through one are seen by
    /// the other).
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f64>::zeros(&[2, 3]).unwrap();
    /// let t = x.transpose(0, 1).unwrap();
    /// assert!(t.shares_storage_with(&x));
    /// assert!(!t.contiguous().shares_storage_with(&x));
    /// ```
    pub fn shares_storage_with(&self, other: &Tensor<E>) -> bool {
        Arc::ptr_eq(&self.inner.storage, &other.inner.storage)
    }
}
