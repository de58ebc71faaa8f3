//! The backward pass: order the nodes reachable from the output topologically (a DFS keyed on
//! node identity), then call each node's backward once with the sum of the gradients that
//! reached it, and accumulate what arrives at leaves into their `grad`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::accumulate::{accumulate_leaf, add_grads};
use super::grad_mode::NoGradGuard;
use super::graph::{EdgeTarget, Node};
use crate::{Element, Error, Result, Tensor};

/// Runs backward from `root` with output gradient `seed` (already checked to have `root`'s
/// shape).
pub(crate) fn run<E: Element>(root: &Tensor<E>, seed: Tensor<E>, retain_graph: bool) -> Result<()> {
    // Backward closures call ops on tensors that require grad (saved inputs); none of that
    // must be recorded.
    let _no_grad = NoGradGuard::new();
    let Some(root_node) = root.autograd_meta().grad_fn.clone() else {
        // A leaf: its gradient is the seed itself.
        return accumulate_leaf(root, seed);
    };
    let order = topological_order(root_node);
    let mut pending: HashMap<*const Node<E>, Tensor<E>> = HashMap::new();
    pending.insert(Arc::as_ptr(&order[0]), seed);
    for node in &order {
        // A node whose every outgoing gradient was `None` is reached by no gradient.
        let Some(grad) = pending.remove(&Arc::as_ptr(node)) else {
            continue;
        };
        let backward = node.backward_fn(retain_graph)?;
        let grads = backward(&grad)?;
        drop(grad);
        if grads.len() != node.inputs.len() {
            return Err(Error::InvalidArgument {
                op: "backward",
                message: format!(
                    "the backward of `{}` returned {} gradients for {} inputs",
                    node.op,
                    grads.len(),
                    node.inputs.len()
                ),
            });
        }
        for (i, (edge, g)) in node.inputs.iter().zip(grads).enumerate() {
            let Some(g) = g else { continue };
            if g.shape() != edge.shape.as_slice() {
                return Err(Error::InvalidArgument {
                    op: "backward",
                    message: format!(
                        "the backward of `{}` returned a gradient of shape {:?} for input {i} \
                         of shape {:?}",
                        node.op,
                        g.shape(),
                        edge.shape
                    ),
                });
            }
            match &edge.target {
                EdgeTarget::Node(next) => {
                    let key = Arc::as_ptr(next);
                    let sum = match pending.remove(&key) {
                        Some(prev) => add_grads(prev, &g)?,
                        None => g,
                    };
                    pending.insert(key, sum);
                }
                EdgeTarget::Leaf(leaf) => accumulate_leaf(leaf, g)?,
                EdgeTarget::None => {}
            }
        }
    }
    Ok(())
}

/// The nodes reachable from `root`, each once, every node before the nodes it consumes
/// (reverse DFS post-order). Iterative, so deep graphs do not overflow the stack.
fn topological_order<E: Element>(root: Arc<Node<E>>) -> Vec<Arc<Node<E>>> {
    let mut visited: HashSet<*const Node<E>> = HashSet::new();
    let mut post_order = Vec::new();
    // (node, index of the next input to visit)
    let mut stack: Vec<(Arc<Node<E>>, usize)> = Vec::new();
    visited.insert(Arc::as_ptr(&root));
    stack.push((root, 0));
    while let Some((node, next)) = stack.last_mut() {
        let child = node.inputs[*next..].iter().position(
            |e| matches!(&e.target, EdgeTarget::Node(n) if !visited.contains(&Arc::as_ptr(n))),
        );
        match child {
            Some(offset) => {
                let idx = *next + offset;
                *next = idx + 1;
                let child = match &node.inputs[idx].target {
                    EdgeTarget::Node(n) => Arc::clone(n),
                    _ => continue,
                };
                visited.insert(Arc::as_ptr(&child));
                stack.push((child, 0));
            }
            None => {
                if let Some((node, _)) = stack.pop() {
                    post_order.push(node);
                }
            }
        }
    }
    post_order.reverse();
    post_order
}
