//! Recording the views of [`Tensor`] (`permute`, `view`, `narrow`, …): each function takes the
//! input and the view already made, and attaches the view's backward.
//!
//! The gradient of a view that only rearranges elements is the inverse rearrangement of the
//! output gradient (`permute` by the inverse order, `reshape` back). `reshape` of a gradient
//! reads it in logical order whatever its strides, which is what avoids the "scrambled view
//! gradient" trap: reinterpreting a permuted gradient's *storage* in the input's shape would
//! send each value to the wrong element. A view that keeps part of its input (`narrow`,
//! `slice`, `select`) places the gradient into zeros of the input's shape; a broadcast sums it
//! back.

use core::ops::Bound;

use super::accumulate::{scatter_into_zeros, sum_to_shape};
use super::{needs_grad, record};
use crate::layout::Layout;
use crate::{Element, Error, Tensor};

/// The backward of a view whose gradient is the output gradient reshaped to the input's
/// shape (`view`, `reshape`, `squeeze`, `unsqueeze`).
pub(crate) fn reshape_like<E: Element>(
    op: &'static str,
    input: &Tensor<E>,
    out: Tensor<E>,
) -> Tensor<E> {
    if !needs_grad(&[input]) {
        return out;
    }
    let shape = input.shape().to_vec();
    record(op, out, &[input], move |g| {
        Ok(vec![Some(g.reshape(&shape)?)])
    })
}

/// `permute(order)`: the gradient is permuted back by the inverse order.
pub(crate) fn permute<E: Element>(input: &Tensor<E>, out: Tensor<E>, order: &[usize]) -> Tensor<E> {
    if !needs_grad(&[input]) {
        return out;
    }
    let mut inverse = vec![0; order.len()];
    for (i, &d) in order.iter().enumerate() {
        inverse[d] = i;
    }
    record("permute", out, &[input], move |g| {
        Ok(vec![Some(g.permute(&inverse)?)])
    })
}

/// `transpose(dim0, dim1)`: its own inverse.
pub(crate) fn transpose<E: Element>(
    input: &Tensor<E>,
    out: Tensor<E>,
    dim0: isize,
    dim1: isize,
) -> Tensor<E> {
    record("transpose", out, &[input], move |g| {
        Ok(vec![Some(g.transpose(dim0, dim1)?)])
    })
}

/// `contiguous()` that copied: the identity.
pub(crate) fn contiguous<E: Element>(input: &Tensor<E>, out: Tensor<E>) -> Tensor<E> {
    record("contiguous", out, &[input], |g| Ok(vec![Some(g.clone())]))
}

/// `broadcast_to` / `expand`: the gradient is summed over the broadcast dims.
pub(crate) fn broadcast_to<E: Element>(input: &Tensor<E>, out: Tensor<E>) -> Tensor<E> {
    if !needs_grad(&[input]) {
        return out;
    }
    let shape = input.shape().to_vec();
    record("broadcast_to", out, &[input], move |g| {
        Ok(vec![Some(sum_to_shape(g, &shape)?)])
    })
}

/// `narrow(dim, start, len)`: the gradient goes into that range of a zero tensor.
pub(crate) fn narrow<E: Element>(
    input: &Tensor<E>,
    out: Tensor<E>,
    dim: isize,
    start: usize,
    len: usize,
) -> Tensor<E> {
    if !needs_grad(&[input]) {
        return out;
    }
    let shape = input.shape().to_vec();
    record("narrow", out, &[input], move |g| {
        Ok(vec![Some(scatter_into_zeros(&shape, g, |l| {
            l.narrow(dim, start, len)
        })?)])
    })
}

/// `slice(dim, range, step)`: the gradient goes into the sliced positions of a zero tensor.
pub(crate) fn slice<E: Element>(
    input: &Tensor<E>,
    out: Tensor<E>,
    dim: isize,
    range: (Bound<usize>, Bound<usize>),
    step: usize,
) -> Tensor<E> {
    if !needs_grad(&[input]) {
        return out;
    }
    let shape = input.shape().to_vec();
    record("slice", out, &[input], move |g| {
        Ok(vec![Some(scatter_into_zeros(&shape, g, |l| {
            l.slice(dim, range, step)
        })?)])
    })
}

/// `select(dim, index)`: the gradient goes into that index of a zero tensor.
pub(crate) fn select<E: Element>(
    input: &Tensor<E>,
    out: Tensor<E>,
    dim: isize,
    index: usize,
) -> Tensor<E> {
    if !needs_grad(&[input]) {
        return out;
    }
    let shape = input.shape().to_vec();
    record("select", out, &[input], move |g| {
        Ok(vec![Some(scatter_into_zeros(&shape, g, |l| {
            l.select(dim, index)
        })?)])
    })
}

/// `true` if no two elements of `layout` share a storage position (a sufficient test: with
/// the dims sorted by stride, each stride exceeds the span of all smaller ones).
pub(crate) fn is_non_overlapping(layout: &Layout) -> bool {
    let mut dims: Vec<(usize, usize)> = layout
        .shape()
        .iter()
        .zip(layout.strides())
        .filter(|&(&n, _)| n > 1)
        .map(|(&n, &s)| (s, n))
        .collect();
    dims.sort_unstable();
    let mut span = 0usize;
    for (s, n) in dims {
        if s <= span {
            return false;
        }
        span += s * (n - 1);
    }
    true
}

/// `as_strided(shape, strides, offset)`: every output element is a storage element; its
/// gradient is added to that storage element, and each input element takes the gradient of
/// its storage element. Needs an input whose elements do not overlap in storage.
pub(crate) fn as_strided<E: Element>(input: &Tensor<E>, out: Tensor<E>) -> Tensor<E> {
    if !needs_grad(&[input]) {
        return out;
    }
    let in_layout = input.layout().clone();
    let out_layout = out.layout().clone();
    let storage_len = input.storage().len();
    record("as_strided", out, &[input], move |g| {
        if !is_non_overlapping(&in_layout) {
            return Err(Error::InvalidArgument {
                op: "as_strided (backward)",
                message: format!(
                    "the input (shape {:?}, strides {:?}) has elements sharing storage; its \
                     gradient is ambiguous — call .contiguous() before as_strided",
                    in_layout.shape(),
                    in_layout.strides()
                ),
            });
        }
        let mut by_position = vec![E::ZERO; storage_len];
        {
            let data = g.storage().read();
            for (po, pg) in out_layout.positions().zip(g.layout().positions()) {
                by_position[po] += data[pg];
            }
        }
        let grad: Vec<E> = in_layout.positions().map(|p| by_position[p]).collect();
        Ok(vec![Some(Tensor::from_vec(grad, in_layout.shape())?)])
    })
}
