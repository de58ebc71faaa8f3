//! The autograd methods of [`Tensor`]: `requires_grad_`, `backward`, `grad`, `zero_grad`,
//! `detach`, `is_leaf`.

use std::sync::Arc;

use super::backward;
use super::graph::AutogradMeta;
use crate::{Element, Error, Result, Tensor};

impl<E: Element> Tensor<E> {
    /// Marks this tensor as a leaf whose gradient is wanted (or not), and returns a handle to
    /// it (the same tensor, so `let w = Tensor::zeros(..)?.requires_grad_(true);` works).
    ///
    /// The flag belongs to the tensor, not the handle: every clone sees it. On a tensor
    /// computed by a recorded op (not a leaf) it has no effect — such a tensor always requires
    /// grad; use [`Tensor::detach`] to cut it from the graph.
    pub fn requires_grad_(&self, requires_grad: bool) -> Self {
        self.autograd_meta().set_requires_grad(requires_grad);
        self.clone()
    }

    /// `true` if gradients flow to or through this tensor: a leaf marked with
    /// [`Tensor::requires_grad_`], or the result of a recorded op on such tensors.
    pub fn requires_grad(&self) -> bool {
        self.autograd_meta().requires_grad()
    }

    /// `true` if this tensor was not computed by a recorded op (it has no `grad_fn`).
    pub fn is_leaf(&self) -> bool {
        self.autograd_meta().grad_fn.is_none()
    }

    /// The name of the op that computed this tensor, if it was recorded (`"matmul"`,
    /// `"permute"`, …); `None` for a leaf.
    pub fn grad_fn_name(&self) -> Option<&'static str> {
        self.autograd_meta().grad_fn.as_ref().map(|n| n.op)
    }

    /// The gradient accumulated in this leaf by backward passes (`None` before the first, after
    /// [`Tensor::zero_grad`], and always for a non-leaf). The returned tensor has this tensor's
    /// shape, is contiguous and shares storage with nothing but later calls of `grad()`.
    pub fn grad(&self) -> Option<Tensor<E>> {
        self.autograd_meta().lock_grad().clone()
    }

    /// Clears the accumulated gradient (to `None`, as PyTorch's `set_to_none=True` default), so
    /// the next backward pass starts from zero.
    pub fn zero_grad(&self) {
        *self.autograd_meta().lock_grad() = None;
    }

    /// A new leaf sharing this tensor's storage and layout but not its graph: it does not
    /// require grad, and gradients never flow through it.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let w = Tensor::<f32>::ones(&[3]).unwrap().requires_grad_(true);
    /// let d = w.detach();
    /// assert!(!d.requires_grad() && d.is_leaf() && d.shares_storage_with(&w));
    /// ```
    pub fn detach(&self) -> Self {
        Self::from_parts_with_autograd(
            Arc::clone(self.storage()),
            self.layout().clone(),
            AutogradMeta::default(),
        )
    }

    /// Computes the gradient of this one-element tensor (a loss) with respect to every leaf
    /// that requires grad, adding it to their [`Tensor::grad`]. Frees the graph.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f64>::from_vec(vec![1.0, 2.0], &[1, 2]).unwrap().requires_grad_(true);
    /// let y = x.matmul(&Tensor::from_vec(vec![3.0, 4.0], &[2, 1]).unwrap()).unwrap(); // [1, 1]
    /// y.backward().unwrap();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 4.0]);
    /// assert!(x.matmul(&x.transpose(0, 1).unwrap()).unwrap().view(&[1]).unwrap().backward().is_ok());
    /// assert!(x.backward().is_err()); // two elements: needs a seed gradient
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the tensor does not have exactly one element (naming its
    /// shape), does not require grad, or its graph was freed by an earlier backward pass; any
    /// error of a node's backward.
    pub fn backward(&self) -> Result<()> {
        self.backward_with_options(None, false)
    }

    /// Backward from a tensor of any shape, given the gradient of the final result with
    /// respect to it (`seed`, of this tensor's shape): leaves receive the vector-Jacobian
    /// product. Frees the graph.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `seed`'s shape differs; otherwise as [`Tensor::backward`].
    pub fn backward_with(&self, seed: &Tensor<E>) -> Result<()> {
        self.backward_with_options(Some(seed), false)
    }

    /// Backward with an optional seed (`None`: this tensor must have one element, seed 1) and,
    /// with `retain_graph`, without freeing the graph, so that backward can run through it
    /// again.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f64>::ones(&[1, 1]).unwrap().requires_grad_(true);
    /// let y = x.matmul(&x).unwrap();
    /// y.backward_with_options(None, true).unwrap();
    /// y.backward_with_options(None, false).unwrap(); // gradients accumulate: 2 + 2
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![4.0]);
    /// assert!(y.backward().is_err()); // the graph is freed now
    /// ```
    ///
    /// # Errors
    /// As [`Tensor::backward`] and [`Tensor::backward_with`].
    pub fn backward_with_options(
        &self,
        seed: Option<&Tensor<E>>,
        retain_graph: bool,
    ) -> Result<()> {
        if !self.requires_grad() {
            return Err(Error::InvalidArgument {
                op: "backward",
                message: format!(
                    "this tensor (shape {:?}) does not require grad: no input of the \
                     computation called requires_grad_(true), or it ran inside no_grad",
                    self.shape()
                ),
            });
        }
        let seed = match seed {
            Some(seed) if seed.shape() != self.shape() => {
                return Err(Error::ShapeMismatch {
                    op: "backward (seed gradient vs output)",
                    lhs: seed.shape().to_vec(),
                    rhs: self.shape().to_vec(),
                })
            }
            Some(seed) => seed.detach(),
            None if self.numel() != 1 => {
                return Err(Error::InvalidArgument {
                    op: "backward",
                    message: format!(
                        "backward() without a seed gradient needs a tensor of one element, \
                         but this one has shape {:?} ({} elements); reduce it to a scalar \
                         (e.g. sum) or call backward_with(seed)",
                        self.shape(),
                        self.numel()
                    ),
                });
            }
            None => Tensor::ones(self.shape())?,
        };
        backward::run(self, seed, retain_graph)
    }
}
