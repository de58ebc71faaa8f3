//! The graph: a [`Node`] per recorded operation, holding its backward closure and one
//! [`Edge`] per input; and [`AutogradMeta`], the autograd state every tensor carries.

use core::any::Any;
use core::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Element, Error, Result, Tensor};

/// The backward function of one operation: gradient of the output in, one optional gradient
/// per input out (each of that input's shape).
pub(crate) type BackwardFn<E> =
    dyn Fn(&Tensor<E>) -> Result<Vec<Option<Tensor<E>>>> + Send + Sync + 'static;

/// Where the gradient of one input of a node goes.
pub(crate) enum EdgeTarget<E: Element> {
    /// The input was computed by another node: its gradient flows on into that node.
    Node(Arc<Node<E>>),
    /// The input is a leaf that requires grad: its gradient accumulates in the leaf's `grad`.
    /// The handle keeps the leaf alive while the graph exists (as PyTorch's `AccumulateGrad`).
    Leaf(Tensor<E>),
    /// The input does not require grad: its gradient is dropped.
    None,
}

/// One input of a node: where its gradient goes and the shape that gradient must have.
pub(crate) struct Edge<E: Element> {
    pub(crate) target: EdgeTarget<E>,
    pub(crate) shape: Vec<usize>,
}

/// A recorded operation.
pub(crate) struct Node<E: Element> {
    /// The operation's name, for error messages.
    pub(crate) op: &'static str,
    pub(crate) inputs: Vec<Edge<E>>,
    /// `None` once a backward pass without `retain_graph` has run through this node (which
    /// frees the tensors the closure saved).
    backward: Mutex<Option<Arc<BackwardFn<E>>>>,
}

impl<E: Element> Node<E> {
    pub(crate) fn new(
        op: &'static str,
        inputs: Vec<Edge<E>>,
        backward: Arc<BackwardFn<E>>,
    ) -> Self {
        Self {
            op,
            inputs,
            backward: Mutex::new(Some(backward)),
        }
    }

    /// The backward closure, taken out of the node (freeing it) unless `retain` is set. The
    /// lock is released before the closure runs, so a closure can never deadlock on it.
    pub(crate) fn backward_fn(&self, retain: bool) -> Result<Arc<BackwardFn<E>>> {
        let mut slot = self.backward.lock().unwrap_or_else(PoisonError::into_inner);
        let f = if retain { slot.clone() } else { slot.take() };
        f.ok_or_else(|| Error::InvalidArgument {
            op: "backward",
            message: format!(
                "the graph through `{}` was freed by an earlier backward pass; \
                 pass retain_graph = true to the first one to run backward twice",
                self.op
            ),
        })
    }
}

impl<E: Element> Drop for Node<E> {
    /// Drops a long chain of nodes without recursion: the default drop would recurse once per
    /// node (edge → node → edge …, and saved tensor → its node …) and overflow the stack on
    /// graphs thousands of operations deep (an unrolled RNN, a running loss summed over a long
    /// training loop). Each node moves its edges and closure to a per-thread queue instead; the
    /// outermost drop empties it.
    fn drop(&mut self) {
        let payload: Box<dyn Any> = Box::new((
            core::mem::take(&mut self.inputs),
            self.backward
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        ));
        let deferred = DROP_QUEUE.try_with(|q| match q.borrow_mut().as_mut() {
            Some(queue) => {
                queue.push(payload);
                None
            }
            None => Some(payload),
        });
        // `Err`: the thread-local is gone (thread teardown); drop normally.
        let payload = match deferred {
            Ok(None) => return,
            Ok(Some(payload)) => payload,
            Err(_) => return,
        };
        DROP_QUEUE.with(|q| *q.borrow_mut() = Some(Vec::new()));
        drop(payload);
        while let Some(item) = DROP_QUEUE.with(|q| q.borrow_mut().as_mut().and_then(Vec::pop)) {
            drop(item);
        }
        DROP_QUEUE.with(|q| *q.borrow_mut() = None);
    }
}

thread_local! {
    /// Parts of dropped nodes waiting to be dropped; `Some` while a drop is in progress.
    static DROP_QUEUE: RefCell<Option<Vec<Box<dyn Any>>>> = const { RefCell::new(None) };
}

/// The autograd state of a tensor.
pub(crate) struct AutogradMeta<E: Element> {
    /// Set by `requires_grad_` on a leaf.
    requires_grad: AtomicBool,
    /// The node that computed this tensor; `None` for a leaf.
    pub(crate) grad_fn: Option<Arc<Node<E>>>,
    /// A leaf's accumulated gradient.
    pub(crate) grad: Mutex<Option<Tensor<E>>>,
}

impl<E: Element> Default for AutogradMeta<E> {
    fn default() -> Self {
        Self {
            requires_grad: AtomicBool::new(false),
            grad_fn: None,
            grad: Mutex::new(None),
        }
    }
}

impl<E: Element> AutogradMeta<E> {
    /// State of a tensor computed by `node`.
    pub(crate) fn with_grad_fn(node: Arc<Node<E>>) -> Self {
        Self {
            grad_fn: Some(node),
            ..Self::default()
        }
    }

    pub(crate) fn requires_grad(&self) -> bool {
        self.grad_fn.is_some() || self.requires_grad.load(Ordering::Relaxed)
    }

    pub(crate) fn set_requires_grad(&self, on: bool) {
        self.requires_grad.store(on, Ordering::Relaxed);
    }

    pub(crate) fn lock_grad(&self) -> std::sync::MutexGuard<'_, Option<Tensor<E>>> {
        self.grad.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
