//! Gradient arithmetic the engine itself needs: summing two gradients, accumulating into a
//! leaf, summing a broadcast gradient back to an input's shape, and placing a gradient into
//! a zero tensor (the backward of `narrow`, `select`, `slice`).

use std::any::Any;

use crate::layout::{Block, Layout, LayoutKind};
use crate::{Element, Error, Result, Tensor};

/// `dst[i] += g[i]` for `i` in logical order; `gdata` is `g`'s storage.
fn add_into<E: Element>(dst: &mut [E], g: &Tensor<E>, gdata: &[E]) {
    if g.layout().kind() == LayoutKind::General {
        for (d, p) in dst.iter_mut().zip(g.layout().positions()) {
            *d += gdata[p];
        }
        return;
    }
    let mut i = 0;
    for Block {
        offset,
        len,
        stride,
    } in g.layout().blocks()
    {
        let out = &mut dst[i..i + len];
        if stride == 1 {
            for (d, &s) in out.iter_mut().zip(&gdata[offset..offset + len]) {
                *d += s;
            }
        } else {
            let v = gdata[offset];
            out.iter_mut().for_each(|d| *d += v);
        }
        i += len;
    }
}

/// `true` if `t` is the only handle on a contiguous buffer it covers exactly, so it can be
/// kept (or updated in place) as a gradient without copying.
fn is_owned_buffer<E: Element>(t: &Tensor<E>) -> bool {
    t.is_unique() && t.is_contiguous() && t.offset() == 0 && t.storage().len() == t.numel()
}

/// `acc + g` (same shapes). Adds in place when `acc` owns its buffer, else allocates.
pub(crate) fn add_grads<E: Element>(acc: Tensor<E>, g: &Tensor<E>) -> Result<Tensor<E>> {
    if acc.shape() != g.shape() {
        return Err(Error::ShapeMismatch {
            op: "backward (gradient accumulation)",
            lhs: acc.shape().to_vec(),
            rhs: g.shape().to_vec(),
        });
    }
    if is_owned_buffer(&acc) {
        // `acc` is unique, so `g` cannot view its storage: the two locks are distinct.
        {
            let gdata = g.storage().read();
            let mut data = acc.storage().write();
            add_into(&mut data, g, &gdata);
        }
        return Ok(acc);
    }
    let mut out = acc.to_vec();
    add_into(&mut out, g, &g.storage().read());
    Tensor::from_vec(out, g.shape())
}

/// Adds `g` to `leaf.grad` (setting it if absent). The stored gradient never shares storage
/// with anything else, so a user who edits it in place changes nothing else.
pub(crate) fn accumulate_leaf<E: Element>(leaf: &Tensor<E>, g: Tensor<E>) -> Result<()> {
    let mut slot = leaf.autograd_meta().lock_grad();
    let new = match slot.take() {
        None if is_owned_buffer(&g) => g,
        None => Tensor::from_vec(g.to_vec(), g.shape())?,
        Some(prev) => add_grads(prev, &g)?,
    };
    *slot = Some(new);
    Ok(())
}

/// Sums `g` over the dims along which `shape` was broadcast to `g.shape()`, giving a tensor of
/// `shape` (the backward of `broadcast_to`): [`Tensor::sum_to_shape`], the one implementation
/// (SIMD, thread-count independent). It needs `E: SimdElement`, which the view methods (generic
/// over `Element`) cannot name; `Element` is sealed to `f32` and `f64`, both `SimdElement`, so
/// the call is routed by type.
pub(crate) fn sum_to_shape<E: Element>(g: &Tensor<E>, shape: &[usize]) -> Result<Tensor<E>> {
    let any: &dyn Any = g;
    if let Some(g) = any.downcast_ref::<Tensor<f32>>() {
        return same_type(g.sum_to_shape(shape)?);
    }
    if let Some(g) = any.downcast_ref::<Tensor<f64>>() {
        return same_type(g.sum_to_shape(shape)?);
    }
    Err(unsupported::<E>())
}

/// `t` as a `Tensor<E>`, which it is whenever the caller found `E` to be its element type.
fn same_type<T: Element, E: Element>(t: Tensor<T>) -> Result<Tensor<E>> {
    let boxed: Box<dyn Any> = Box::new(t);
    boxed
        .downcast::<Tensor<E>>()
        .map(|t| *t)
        .map_err(|_| unsupported::<E>())
}

fn unsupported<E: Element>() -> Error {
    Error::InvalidArgument {
        op: "sum_to_shape",
        message: format!("no SIMD kernels for element type {}", E::DTYPE),
    }
}

/// A zero tensor of `shape` with `g` written into the view `view_of(zeros.layout())` (the
/// backward of a view that keeps part of its input: `narrow`, `slice`, `select`).
pub(crate) fn scatter_into_zeros<E: Element>(
    shape: &[usize],
    g: &Tensor<E>,
    view_of: impl FnOnce(&Layout) -> Result<Layout>,
) -> Result<Tensor<E>> {
    let zeros = Tensor::<E>::zeros(shape)?;
    let view = view_of(zeros.layout())?;
    if view.shape() != g.shape() {
        return Err(Error::ShapeMismatch {
            op: "backward (scatter into zeros)",
            lhs: view.shape().to_vec(),
            rhs: g.shape().to_vec(),
        });
    }
    {
        let src = g.storage().read();
        let mut dst = zeros.storage().write();
        for (pd, ps) in view.positions().zip(g.layout().positions()) {
            dst[pd] = src[ps];
        }
    }
    Ok(zeros)
}
