//! Planning an elementwise call: the output's layout (its memory order) and the walk that
//! visits the inputs in that order; plus the storage plumbing (read guards, output buffers,
//! writing a result into a strided output tensor).

use std::sync::{Arc, RwLockReadGuard};

use crate::layout::Layout;
use crate::tensor::Storage;
use crate::{Element, Error, Result, Tensor};

use super::drive::Path;
use super::walk::Walk;

/// `true` if every layout is dense and all walk storage in the same order (equal strides on
/// every dim of size > 1), so one storage-order pass serves them all.
fn same_dense_order(inputs: &[&Layout]) -> bool {
    let Some(first) = inputs.first() else {
        return false;
    };
    inputs.iter().all(|l| {
        l.shape() == first.shape()
            && l.is_dense()
            && l.shape()
                .iter()
                .zip(l.strides().iter().zip(first.strides()))
                .all(|(&n, (a, b))| n == 1 || a == b)
    })
}

/// The layout of a fresh output for inputs already broadcast to one shape: their strides when
/// they share a dense memory order and `path` allows the storage-order pass (as PyTorch keeps
/// the memory format of a permuted input), else row-major.
pub(crate) fn output_layout(shape: &[usize], inputs: &[&Layout], path: Path) -> Result<Layout> {
    if matches!(path, Path::Auto | Path::Contiguous) && same_dense_order(inputs) {
        return Layout::new(shape, inputs[0].strides(), 0);
    }
    Layout::contiguous(shape)
}

/// The walk over `inputs` in the storage order of the dense layout `out` (so output position
/// `i` of the walk is `out.offset() + i`).
pub(crate) fn walk_for<const N: usize>(out: &Layout, inputs: [&Layout; N]) -> Walk<N> {
    let order = out
        .dense_order()
        .unwrap_or_else(|| (0..out.ndim()).collect());
    let shape: Vec<usize> = order.iter().map(|&d| out.shape()[d]).collect();
    let strides: [Vec<usize>; N] =
        core::array::from_fn(|i| order.iter().map(|&d| inputs[i].strides()[d]).collect());
    Walk::new(
        &shape,
        core::array::from_fn(|i| strides[i].as_slice()),
        core::array::from_fn(|i| inputs[i].offset()),
    )
}

/// Read guards on the storages of `tensors`, one per distinct storage (a second read lock on
/// the same `RwLock` from one thread can deadlock behind a waiting writer).
pub(crate) struct Reads<'a, E: Element> {
    guards: Vec<RwLockReadGuard<'a, Vec<E>>>,
    which: Vec<usize>,
}

impl<'a, E: Element> Reads<'a, E> {
    pub(crate) fn new(tensors: &[&'a Tensor<E>]) -> Self {
        let mut storages: Vec<&'a Arc<Storage<E>>> = Vec::new();
        let mut which = Vec::with_capacity(tensors.len());
        for t in tensors {
            match storages.iter().position(|s| Arc::ptr_eq(s, t.storage())) {
                Some(i) => which.push(i),
                None => {
                    which.push(storages.len());
                    storages.push(t.storage());
                }
            }
        }
        Self {
            guards: storages.iter().map(|s| s.read()).collect(),
            which,
        }
    }

    pub(crate) fn data<const N: usize>(&self) -> [&[E]; N] {
        core::array::from_fn(|i| self.guards[self.which[i]].as_slice())
    }
}

/// A buffer of `n` elements for a kernel that writes every element (the map and zip drivers):
/// a recycled buffer as it is when the cache has one (no fill: the zero-fill was about 3% of a
/// LeNet training run in perf), else [`alloc`]'s zeroed allocation. Unlike
/// `tensor::output_buffer`, which only refuses sizes beyond `isize::MAX` bytes and then takes
/// `calloc`'s memory, a fresh buffer here is reserved fallibly, so an allocation the system
/// refuses is an error too.
pub(crate) fn alloc_overwritten<E: Element>(op: &'static str, n: usize) -> Result<Vec<E>> {
    crate::tensor::recycled(n).map_or_else(|| alloc(op, n), Ok)
}

/// A zero-filled buffer of `n` elements, allocated fallibly: a recycled one when the tensor
/// buffer cache holds one of that size (zeroing it costs less than page-faulting fresh memory,
/// and a cached buffer left unused would keep `malloc` from reusing that memory).
pub(crate) fn alloc<E: Element>(op: &'static str, n: usize) -> Result<Vec<E>> {
    if let Some(mut v) = crate::tensor::recycled(n) {
        v.fill(E::ZERO);
        return Ok(v);
    }
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| crate::tensor::allocation_error::<E>(op, n))?;
    v.resize(n, E::ZERO);
    Ok(v)
}

/// A tensor owning `data` with the dense layout `layout` (offset 0).
pub(crate) fn tensor_from<E: Element>(data: Vec<E>, layout: Layout) -> Tensor<E> {
    Tensor::from_parts(Arc::new(Storage::new(data)), layout)
}

/// Checks that `out` can receive a result of `shape`: same shape, and no two elements sharing
/// a storage position along a dim (a broadcast view cannot be written elementwise).
pub(crate) fn check_out<E: Element>(
    op: &'static str,
    out: &Tensor<E>,
    shape: &[usize],
) -> Result<()> {
    if out.shape() != shape {
        return Err(Error::ShapeMismatch {
            op,
            lhs: shape.to_vec(),
            rhs: out.shape().to_vec(),
        });
    }
    let overlapping = out
        .shape()
        .iter()
        .zip(out.strides())
        .any(|(&n, &s)| n > 1 && s == 0);
    if overlapping {
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "the output of shape {:?} with strides {:?} is a broadcast view: several \
                 elements share one storage position",
                out.shape(),
                out.strides()
            ),
        });
    }
    Ok(())
}

/// Copies `src` (same shape, any layout, different storage) into `dst`'s elements.
pub(crate) fn copy_into<E: Element>(src: &Tensor<E>, dst: &Tensor<E>) {
    let walk = Walk::<2>::new(
        src.shape(),
        [dst.strides(), src.strides()],
        [dst.offset(), src.offset()],
    );
    let from = src.storage().read();
    let mut to = dst.storage().write();
    let [sd, ss] = walk.inner_strides;
    walk.for_each_run(0, walk.numel, |_, len, [pd, ps]| {
        if sd == 1 && ss == 1 {
            to[pd..pd + len].copy_from_slice(&from[ps..ps + len]);
        } else {
            for k in 0..len {
                to[pd + k * sd] = from[ps + k * ss];
            }
        }
    });
}
