//! Reverse-mode automatic differentiation on a dynamic graph, as in PyTorch and MiniTorch.
//!
//! Every operation on tensors that require grad records a node holding its backward closure;
//! [`Tensor::backward`] walks the graph from the output back to the leaves and accumulates
//! gradients there.
//!
//! ```
//! use simdgrad::Tensor;
//!
//! let a = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap().requires_grad_(true);
//! let b = Tensor::<f64>::eye(2).unwrap();
//! let y = a.transpose(0, 1).unwrap().matmul(&b).unwrap(); // y = aᵀ
//! y.backward_with(&Tensor::from_vec(vec![1.0, 10.0, 100.0, 1000.0], &[2, 2]).unwrap()).unwrap();
//! // The gradient flows back through the transpose: grad_a = seedᵀ.
//! assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 100.0, 10.0, 1000.0]);
//! ```
//!
//! # Semantics
//! - A *leaf* is a tensor not computed by a recorded op (made by a constructor, or
//!   [`Tensor::detach`]). Only leaves with `requires_grad_(true)` receive a gradient, in
//!   [`Tensor::grad`]; gradients *accumulate* across backward passes until
//!   [`Tensor::zero_grad`].
//! - A tensor computed from at least one tensor that requires grad requires grad itself
//!   (and is not a leaf), unless it was computed inside [`no_grad`].
//! - Backward visits the nodes in topological order (a DFS on node identity), calling each
//!   node's backward exactly once with the sum of every gradient that reached it; so a tensor
//!   used twice receives the sum of both contributions.
//! - The graph is freed as it is traversed: each node drops its backward closure (and so the
//!   tensors it saved) once it has run. A second backward through the same nodes is an
//!   error unless the first one passed `retain_graph = true`
//!   ([`Tensor::backward_with_options`]). Backward closures run in a `no_grad` scope: there is
//!   no higher-order differentiation.
//! - In-place writes ([`Tensor::set`], in-place ops) to a tensor saved by a node are not
//!   detected (PyTorch's version counters are not implemented): do not modify tensors that
//!   take part in a graph before its backward has run.
//!
//! Users add differentiable ops through the kernel DSL (the macro derives their derivatives);
//! the crate's own ops attach their graph nodes with a crate-private `record`.

mod accumulate;
mod backward;
mod grad_mode;
mod graph;
mod tensor_api;
pub(crate) mod view_backward;

use std::sync::Arc;

pub use grad_mode::{is_grad_enabled, no_grad, NoGradGuard};

pub(crate) use graph::AutogradMeta;

use graph::{Edge, EdgeTarget, Node};

use crate::{Element, Result, Tensor};

/// `true` if an op on `inputs` will record a node: grad mode is on and some input requires
/// grad.
pub(crate) fn needs_grad<E: Element>(inputs: &[&Tensor<E>]) -> bool {
    is_grad_enabled() && inputs.iter().any(|t| t.requires_grad())
}

/// `true` if `grad` is the only handle on its storage. The backward pass owns each gradient
/// it hands to a node's backward and drops it right after, so when this holds, the backward
/// may overwrite `grad` in place and return it (a map's `backward_in_place`: no fresh
/// buffer, 8 instead of 12 bytes moved per `f32` element); nobody else can observe it. A
/// gradient also sent to another node, kept as a leaf's `grad`, or still held by the caller
/// (a seed) has other handles and is never overwritten.
pub(crate) fn owns_uniquely<E: Element>(grad: &Tensor<E>) -> bool {
    grad.is_unique()
}

/// Attaches a graph node to `output` (computed by op `op` from `inputs`) when grad mode is on
/// and some input requires grad; otherwise returns `output` unchanged and drops `backward`.
///
/// `backward(grad_output)` gets the gradient of the output (shape of `output`, any layout,
/// possibly broadcast) and returns one optional gradient per input, each of that input's
/// shape. It runs in a `no_grad` scope, at most once per backward pass.
///
/// A wrong count or shape of gradients is reported as an error by `backward()`, naming the
/// op. Use `needs_grad` to skip building saved state when nothing will be recorded, and
/// capture `input.requires_grad()` to skip computing a gradient nobody needs (returning `None`
/// for it). A sketch of `mul`'s recording (saved tensors are handles: no data is copied):
///
/// ```text
/// let (a, b) = (a0.clone(), b0.clone());
/// Ok(autograd::record("mul", out, &[&a0, &b0], move |g| {
///     Ok(vec![Some(mul(g, &b)?.sum_to_shape(a.shape())?), Some(mul(g, &a)?.sum_to_shape(b.shape())?)])
/// }))
/// ```
///
/// The returned handle carries the node. When `output` is uniquely owned (the usual case: an
/// op's freshly made result) the node is attached in place; otherwise a new handle on the same
/// storage and layout is made, so the tensor passed in (e.g. an input returned as is) is
/// never changed.
pub(crate) fn record<E: Element>(
    op: &'static str,
    mut output: Tensor<E>,
    inputs: &[&Tensor<E>],
    backward: impl Fn(&Tensor<E>) -> Result<Vec<Option<Tensor<E>>>> + Send + Sync + 'static,
) -> Tensor<E> {
    if !needs_grad(inputs) {
        return output;
    }
    let edges = inputs
        .iter()
        .map(|t| {
            let meta = t.autograd_meta();
            let target = match &meta.grad_fn {
                Some(node) => EdgeTarget::Node(Arc::clone(node)),
                None if meta.requires_grad() => EdgeTarget::Leaf((*t).clone()),
                None => EdgeTarget::None,
            };
            Edge {
                target,
                shape: t.shape().to_vec(),
            }
        })
        .collect();
    let node = Arc::new(Node::new(op, edges, Arc::new(backward)));
    if let Some(meta) = output.autograd_meta_mut()
        && meta.grad_fn.is_none()
        && !meta.requires_grad()
    {
        meta.grad_fn = Some(node);
        return output;
    }
    Tensor::from_parts_with_autograd(
        Arc::clone(output.storage()),
        output.layout().clone(),
        AutogradMeta::with_grad_fn(node),
    )
}
