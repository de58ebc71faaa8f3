//! [`Tensor::matmul`]: matrix products of 1-D, 2-D and batched tensors (NumPy / PyTorch
//! `matmul` rules, batch dims broadcast), with backward, through [`crate::linalg::matmul_into`].
//!
//! Operands are passed to gemm as strided matrices, so transposed and permuted inputs are not
//! copied, and neither are broadcast batch dims (stride 0). Large products use gemm's own
//! threads; a batch of small ones is split across threads instead, one matrix per task.

use std::sync::{Mutex, PoisonError};

use crate::autograd::{self, needs_grad};
use crate::layout::Layout;
use crate::linalg::{matmul_into, MatMut, MatRef};
use crate::shape::broadcast_shapes;
use crate::{parallel, Element, Error, Result, Tensor};

/// Multiply-adds (`m·n·k`) from which one product is worth gemm's threads: below this, waking
/// a second thread costs more than it saves. An estimate (about a 50³ product), not yet tuned on a
/// quiet machine: `benches/matmul.rs` measures 1 vs 2 threads.
const MIN_FMAS_PER_THREAD: usize = 1 << 17;

impl<E: Element> Tensor<E> {
    /// The matrix product, as `torch.matmul` / `numpy.matmul`:
    /// - 2-D × 2-D: `[m, k] · [k, n] → [m, n]`;
    /// - batched (either operand ≥ 3-D): the last two dims are the matrices, the leading ones
    ///   are batch dims broadcast together by NumPy's rules (`[2, 1, m, k] · [5, k, n] →
    ///   [2, 5, m, n]`);
    /// - a 1-D lhs is a row vector `[1, k]` and a 1-D rhs a column `[k, 1]`; the added dim is
    ///   removed from the result (1-D · 1-D is a 0-d dot product).
    ///
    /// Differentiable: `grad_a = g · bᵀ` and `grad_b = aᵀ · g`, each summed over the batch dims
    /// its operand was broadcast along. Any layout is accepted without copying.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let a = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    /// let b = Tensor::<f32>::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]).unwrap();
    /// assert_eq!(a.matmul(&b).unwrap().to_vec(), vec![4.0, 5.0, 10.0, 11.0]);
    /// // Batched, with the [2, 2] rhs broadcast over a batch of 4.
    /// let x = Tensor::<f32>::ones(&[4, 3, 2]).unwrap();
    /// assert_eq!(x.matmul(&Tensor::eye(2).unwrap()).unwrap().shape(), &[4, 3, 2]);
    /// assert!(a.matmul(&a).is_err()); // [2, 3] · [2, 3]
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming both shapes if an operand is 0-d or the inner dims
    /// differ; [`Error::Broadcast`] naming both shapes if the batch dims do not broadcast.
    pub fn matmul(&self, other: &Tensor<E>) -> Result<Tensor<E>> {
        if self.ndim() == 0 || other.ndim() == 0 {
            return Err(Error::InvalidArgument {
                op: "matmul",
                message: format!(
                    "both operands need at least one dim, got shapes {:?} and {:?}",
                    self.shape(),
                    other.shape()
                ),
            });
        }
        // Vectors are promoted to matrices by (recorded) views, so their gradients need no
        // code of their own.
        let a_vec = self.ndim() == 1;
        let b_vec = other.ndim() == 1;
        let a = if a_vec {
            self.unsqueeze(0)?
        } else {
            self.clone()
        };
        let b = if b_vec {
            other.unsqueeze(-1)?
        } else {
            other.clone()
        };
        let mut out = matmul_batched(&a, &b).map_err(|e| match e {
            Error::InvalidArgument { message, .. } if a_vec || b_vec => Error::InvalidArgument {
                op: "matmul",
                message: format!(
                    "{message} (operands given as shapes {:?} and {:?})",
                    self.shape(),
                    other.shape()
                ),
            },
            e => e,
        })?;
        if b_vec {
            out = out.squeeze(-1)?;
        }
        if a_vec {
            out = out.squeeze(if b_vec { -1 } else { -2 })?;
        }
        Ok(out)
    }
}

/// `a · b` for operands of ≥ 2 dims, recorded for autograd.
fn matmul_batched<E: Element>(a: &Tensor<E>, b: &Tensor<E>) -> Result<Tensor<E>> {
    let (na, nb) = (a.ndim(), b.ndim());
    let (m, k) = (a.shape()[na - 2], a.shape()[na - 1]);
    let (k2, n) = (b.shape()[nb - 2], b.shape()[nb - 1]);
    if k != k2 {
        return Err(Error::InvalidArgument {
            op: "matmul",
            message: format!(
                "the lhs of shape {:?} has {k} columns but the rhs of shape {:?} has {k2} rows",
                a.shape(),
                b.shape()
            ),
        });
    }
    let batch = broadcast_shapes(&a.shape()[..na - 2], &b.shape()[..nb - 2]).map_err(|_| {
        Error::Broadcast {
            op: "matmul (batch dims)",
            lhs: a.shape().to_vec(),
            rhs: b.shape().to_vec(),
        }
    })?;
    let lhs = a.layout().broadcast_to(&extend(&batch, m, k))?;
    let rhs = b.layout().broadcast_to(&extend(&batch, k, n))?;
    let out = product(&batch, &batch, (a, &lhs), (b, &rhs))?;
    if !needs_grad(&[a, b]) {
        return Ok(out);
    }
    let (want_a, want_b) = (a.requires_grad(), b.requires_grad());
    let (sa, sb) = (a.clone(), b.clone());
    Ok(autograd::record("matmul", out, &[a, b], move |g| {
        let g_layout = g.layout().clone();
        let grad_a = if want_a {
            // g · bᵀ, summed onto a's own batch shape.
            let bt = rhs.transpose(-2, -1)?;
            let a_batch = &sa.shape()[..sa.ndim() - 2];
            Some(product(a_batch, &batch, (g, &g_layout), (&sb, &bt))?)
        } else {
            None
        };
        let grad_b = if want_b {
            // aᵀ · g, summed onto b's own batch shape.
            let at = lhs.transpose(-2, -1)?;
            let b_batch = &sb.shape()[..sb.ndim() - 2];
            Some(product(b_batch, &batch, (&sa, &at), (g, &g_layout))?)
        } else {
            None
        };
        Ok(vec![grad_a, grad_b])
    }))
}

/// `batch ++ [rows, cols]`.
fn extend(batch: &[usize], rows: usize, cols: usize) -> Vec<usize> {
    let mut shape = batch.to_vec();
    shape.extend([rows, cols]);
    shape
}

/// The storage offset of every batch matrix of `layout` (whose leading dims are `batch`), in
/// row-major batch order.
fn batch_offsets(layout: &Layout, nbatch: usize) -> Vec<usize> {
    let nd = layout.ndim();
    let batch = Layout::from_parts(
        layout.shape()[..nd - 2].to_vec(),
        layout.strides()[..nd - 2].to_vec(),
        layout.offset(),
    );
    let offsets: Vec<usize> = batch.positions().collect();
    debug_assert_eq!(offsets.len(), nbatch);
    offsets
}

fn mat_ref<'a, E>(data: &'a [E], layout: &Layout, offset: usize) -> MatRef<'a, E> {
    let nd = layout.ndim();
    MatRef {
        data,
        offset,
        rows: layout.shape()[nd - 2],
        cols: layout.shape()[nd - 1],
        row_stride: layout.strides()[nd - 2],
        col_stride: layout.strides()[nd - 1],
    }
}

/// The products `lhs[i] · rhs[i]` for every index `i` of `batch` (both layouts have leading
/// dims `batch`), added into a fresh contiguous tensor of shape `dst_batch ++ [rows, cols]`
/// where `dst_batch` broadcasts to `batch`: products whose batch indices differ only along
/// broadcast dims of `dst_batch` are summed.
fn product<E: Element>(
    dst_batch: &[usize],
    batch: &[usize],
    (lt, lhs): (&Tensor<E>, &Layout),
    (rt, rhs): (&Tensor<E>, &Layout),
) -> Result<Tensor<E>> {
    let rows = lhs.shape()[lhs.ndim() - 2];
    let inner = lhs.shape()[lhs.ndim() - 1];
    let cols = rhs.shape()[rhs.ndim() - 1];
    let out = Tensor::<E>::zeros(&extend(dst_batch, rows, cols))?;
    let nbatch: usize = batch.iter().product();
    let mat = rows * cols;
    if nbatch == 0 || mat == 0 {
        return Ok(out);
    }
    let dst_layout = out.layout().broadcast_to(&extend(batch, rows, cols))?;
    let dst_offsets = batch_offsets(&dst_layout, nbatch);
    let lhs_offsets = batch_offsets(lhs, nbatch);
    let rhs_offsets = batch_offsets(rhs, nbatch);
    // Summing over broadcast batch dims makes several products write one matrix.
    let reduces = dst_batch.iter().product::<usize>() != nbatch;

    let ldata_guard = lt.storage().read();
    // One lock per storage: a second read lock on the same RwLock could deadlock behind a
    // waiting writer.
    let rdata_guard;
    let (ldata, rdata): (&[E], &[E]) = if lt.shares_storage_with(rt) {
        (&ldata_guard, &ldata_guard)
    } else {
        rdata_guard = rt.storage().read();
        (&ldata_guard, &rdata_guard)
    };
    let mut dst_guard = out.storage().write();
    let dst: &mut [E] = &mut dst_guard;

    let threads = parallel::get().threads.max(1);
    let fmas = rows * cols * inner.max(1);
    let gemm_threads = (fmas / MIN_FMAS_PER_THREAD).clamp(1, threads);
    let batch_tasks = if reduces || gemm_threads > 1 {
        1
    } else {
        (fmas.saturating_mul(nbatch) / MIN_FMAS_PER_THREAD).clamp(1, threads.min(nbatch))
    };
    let one = |dst: &mut [E], dst_offset: usize, i: usize, gemm_threads: usize| {
        matmul_into(
            MatMut {
                data: dst,
                offset: dst_offset,
                rows,
                cols,
                row_stride: cols,
                col_stride: 1,
            },
            mat_ref(ldata, lhs, lhs_offsets[i]),
            mat_ref(rdata, rhs, rhs_offsets[i]),
            reduces,
            gemm_threads,
        )
    };
    if batch_tasks <= 1 {
        for (i, &dst_offset) in dst_offsets.iter().enumerate() {
            one(dst, dst_offset, i, gemm_threads)?;
        }
    } else {
        // No reduction, so matrix i is dst[i·mat ..][..mat]: each task takes a run of whole
        // matrices, and reports its first error through its own slot.
        let per_task = nbatch.div_ceil(batch_tasks);
        let pieces: Vec<&mut [E]> = dst.chunks_mut(per_task * mat).collect();
        let slots: Vec<Mutex<Result<()>>> = (0..pieces.len()).map(|_| Mutex::new(Ok(()))).collect();
        parallel::for_each_piece(batch_tasks, pieces, |t, chunk| {
            let first = t * per_task;
            let r =
                (0..chunk.len() / mat).try_for_each(|j| one(&mut *chunk, j * mat, first + j, 1));
            *slots[t].lock().unwrap_or_else(PoisonError::into_inner) = r;
        });
        for slot in slots {
            slot.into_inner().unwrap_or_else(PoisonError::into_inner)?;
        }
    }
    drop(dst_guard);
    Ok(out)
}
