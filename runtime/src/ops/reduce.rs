//! `Tensor::reduce` (over one dim, keeping it with size 1) and `Tensor::reduce_all`: a
//! [`ReduceKernel`] over a tensor of any layout, vectorised both ways, thread-count independent;
//! their backward passes; and `Tensor::sum_to_shape`, the gradient of a broadcast.
//!
//! Two strategies, chosen from the layout alone (never from the path or the thread count):
//! - **rows**: the reduced dim has stride 1 and at least [`ROW_MIN`] elements: each output
//!   element is [`ReduceKernel::fold`] of a contiguous row (four SIMD accumulators);
//! - **columns**: otherwise (an outer dim, or a short one): whole rows of the kept dims are
//!   folded into L1-resident blocks of accumulators with [`ReduceKernel::fold_rows`], each
//!   output element folded strictly in order along the reduced dim.
//!
//! Both make every output element the work of one task in a fixed order, so the thread count
//! cannot change a result. `reduce_all` folds fixed chunks of [`ALL_CHUNK`] elements (in storage
//! order for a dense tensor, else in logical order) and combines the partial results in chunk
//! order.

use crate::autograd::{self, needs_grad};
use crate::kernel::{ReduceKernel, ReducePattern};
use crate::layout::Layout;
use crate::shape::{normalize_dim, row_major_strides};
use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

use super::drive::{Exec, Path, GATHER, MIN_RUN, TASK_ALIGN};
use super::plan::{alloc, check_out, copy_into, tensor_from, Reads};
use super::walk::{split_ranges, Walk};

/// Shortest reduced dim (with stride 1) folded row by row; shorter ones go by columns.
pub(crate) const ROW_MIN: usize = 16;
/// Elements per chunk of `reduce_all`; fixed, so results do not depend on the thread count.
pub(crate) const ALL_CHUNK: usize = 1 << 14;

/// The kept dims of `x` without `d`: (shape, strides).
fn kept(x: &Layout, d: usize) -> (Vec<usize>, Vec<usize>) {
    let mut shape = x.shape().to_vec();
    let mut strides = x.strides().to_vec();
    shape.remove(d);
    strides.remove(d);
    (shape, strides)
}

/// Writes the reduction of `x` over dim `d` into `out` (row-major over the kept dims).
fn reduce_dim_into<E: SimdElement, K: ReduceKernel>(
    x: &Tensor<E>,
    k: K,
    d: usize,
    exec: Exec,
    out: &mut [E],
) {
    let n_r = x.shape()[d];
    let s_r = x.strides()[d];
    let (kshape, kstrides) = kept(x.layout(), d);
    let walk = Walk::<1>::new(&kshape, [&kstrides], [x.offset()]);
    debug_assert_eq!(walk.numel, out.len());
    let reads = Reads::new(&[x]);
    let [data] = reads.data::<1>();
    let by_rows = s_r == 1 && n_r >= ROW_MIN;
    let ctx = Ctx {
        walk: &walk,
        data,
        n_r,
        s_r,
        path: exec.path,
    };
    let (threads, tasks) = exec.par().split(x.numel());
    // A column task reads a strip of every row: narrower strips cost prefetch efficiency
    // (measured: 8 strips of 128 of 1024 columns, one thread, 1.3x the time of one strip), so
    // columns get one task per thread, split where the output is line-aligned.
    let ranges = if by_rows {
        split_ranges(out.len(), tasks, TASK_ALIGN)
    } else {
        split_at_lines(out, threads)
    };
    let task = |(start, end): (usize, usize), piece: &mut [E]| {
        if by_rows {
            ctx.rows(k, start, end, piece);
        } else {
            ctx.columns(k, start, end, piece);
        }
    };
    if ranges.len() <= 1 {
        task((0, out.len()), out);
        return;
    }
    let mut rest = out;
    let mut pieces = Vec::with_capacity(ranges.len());
    for &(s, e) in &ranges {
        let (head, tail) = core::mem::take(&mut rest).split_at_mut(e - s);
        rest = tail;
        pieces.push(((s, e), head));
    }
    crate::parallel::for_each_piece(threads, pieces, |_, (range, piece)| task(range, piece));
}

/// [`split_ranges`] of `out` into `tasks` pieces of whole [`TASK_ALIGN`] blocks, counted from
/// the first element at a 64-byte-aligned address, so that no cache line of `out` is shared by
/// two pieces. A column task stores its accumulators once per pass over four rows; two threads
/// storing into one line of a split output pass it between their cores every pass (a
/// 16-byte-aligned `[1, 1024]` output from the allocator, split at element 512, is one).
fn split_at_lines<E>(out: &[E], tasks: usize) -> Vec<(usize, usize)> {
    let size = core::mem::size_of::<E>().max(1);
    let lead = ((64 - out.as_ptr() as usize % 64) % 64 / size).min(out.len());
    let mut ranges = split_ranges(out.len() - lead, tasks, TASK_ALIGN);
    for (i, r) in ranges.iter_mut().enumerate() {
        *r = (if i == 0 { 0 } else { r.0 + lead }, r.1 + lead);
    }
    ranges
}

/// What both strategies read: the kept walk, the storage, and the reduced dim.
struct Ctx<'a, E> {
    walk: &'a Walk<1>,
    data: &'a [E],
    n_r: usize,
    s_r: usize,
    path: Path,
}

impl<E: SimdElement> Ctx<'_, E> {
    /// Rows strategy for the outputs `start..end` (written to `piece`).
    fn rows<K: ReduceKernel>(&self, k: K, start: usize, end: usize, piece: &mut [E]) {
        let gather = self.path == Path::General;
        let mut row = if gather {
            vec![E::ZERO; self.n_r]
        } else {
            Vec::new()
        };
        let [sk] = self.walk.inner_strides;
        self.walk.for_each_run(start, end, |at, len, [p]| {
            for j in 0..len {
                let base = p + j * sk;
                let src = &self.data[base..base + self.n_r];
                piece[at - start + j] = if gather {
                    row.copy_from_slice(src);
                    k.fold(&row)
                } else {
                    k.fold(src)
                };
            }
        });
    }

    /// Columns strategy for the outputs `start..end` (written to `piece`).
    fn columns<K: ReduceKernel>(&self, k: K, start: usize, end: usize, piece: &mut [E]) {
        let [sk] = self.walk.inner_strides;
        let slices_ok = sk <= 1
            && match self.path {
                Path::General => false,
                Path::Auto => self.walk.inner_len >= MIN_RUN || self.walk.runs() <= 1,
                Path::Blocks | Path::Contiguous => true,
            };
        let id = K::identity::<E>();
        if slices_ok {
            self.walk.for_each_run(start, end, |at, len, [p]| {
                let acc = &mut piece[at - start..at - start + len];
                if sk == 1 {
                    // An empty reduced dim has no storage behind `p`: no row is read.
                    let rows = self.data.get(p..).unwrap_or(&[]);
                    super::map::ok(k.fold_rows(rows, self.s_r, self.n_r, acc));
                } else {
                    // A broadcast kept dim: every output of the run folds the same values.
                    acc.fill(id);
                    for r in 0..self.n_r {
                        k.accumulate_scalar(acc, self.data[p + r * self.s_r]);
                    }
                }
            });
            return;
        }
        // Index walk: the kept positions of a batch of outputs, then one gathered row per
        // step along the reduced dim.
        let mut positions = [0usize; GATHER];
        let mut buf = [E::ZERO; GATHER];
        let mut filled = 0;
        let mut batch = 0;
        let mut flush = |positions: &[usize], batch: usize| {
            let acc = &mut piece[batch..batch + positions.len()];
            acc.fill(id);
            for r in 0..self.n_r {
                let shift = r * self.s_r;
                for (b, &q) in buf.iter_mut().zip(positions) {
                    *b = self.data[q + shift];
                }
                super::map::ok(k.accumulate(acc, &buf[..positions.len()]));
            }
        };
        self.walk.for_each_run(start, end, |_, len, [p]| {
            for j in 0..len {
                positions[filled] = p + j * sk;
                filled += 1;
                if filled == GATHER {
                    flush(&positions[..filled], batch);
                    batch += filled;
                    filled = 0;
                }
            }
        });
        if filled > 0 {
            flush(&positions[..filled], batch);
        }
    }
}

/// The forward of `reduce(k, d)` alone, into a fresh tensor (the dim kept with size 1).
pub(crate) fn forward_dim<E: SimdElement, K: ReduceKernel>(
    x: &Tensor<E>,
    k: K,
    d: usize,
    exec: Exec,
) -> Result<Tensor<E>> {
    let mut shape = x.shape().to_vec();
    shape[d] = 1;
    let layout = Layout::contiguous(&shape)?;
    let mut data = alloc(K::NAME, layout.numel())?;
    reduce_dim_into(x, k, d, exec, &mut data);
    Ok(tensor_from(data, layout))
}

/// The forward of `reduce_all(k)` alone: a 0-d tensor.
pub(crate) fn forward_all<E: SimdElement, K: ReduceKernel>(
    x: &Tensor<E>,
    k: K,
    exec: Exec,
) -> Result<Tensor<E>> {
    let n = x.numel();
    // Canonical order: storage order for a dense tensor (one run), else logical order.
    let walk = if x.layout().is_dense() {
        Walk::<1>::new(&[n], [&[1]], [x.offset()])
    } else {
        Walk::<1>::new(x.shape(), [x.strides()], [x.offset()])
    };
    let reads = Reads::new(&[x]);
    let [data] = reads.data::<1>();
    let chunks = n.div_ceil(ALL_CHUNK);
    let id = K::identity::<E>();
    let mut partials = vec![id; chunks];
    let gather_all = exec.path == Path::General;
    let fold_chunks = |first: usize, out: &mut [E]| {
        let mut buf: Vec<E> = Vec::new();
        for (c, slot) in out.iter_mut().enumerate() {
            let start = (first + c) * ALL_CHUNK;
            let end = (start + ALL_CHUNK).min(n);
            let [s] = walk.inner_strides;
            let mut direct = None;
            if !gather_all && s == 1 {
                walk.for_each_run(start, end, |_, len, [p]| {
                    if len == end - start {
                        direct = Some(p);
                    }
                });
            }
            *slot = match direct {
                Some(p) => k.fold(&data[p..p + end - start]),
                None => {
                    buf.clear();
                    walk.for_each_run(start, end, |_, len, [p]| match s {
                        1 if !gather_all => buf.extend_from_slice(&data[p..p + len]),
                        0 if !gather_all => buf.extend(core::iter::repeat_n(data[p], len)),
                        _ => buf.extend((0..len).map(|j| data[p + j * s])),
                    });
                    k.fold(&buf)
                }
            };
        }
    };
    let (threads, tasks) = exec.par().split(n);
    let ranges = split_ranges(chunks, tasks, 1);
    if ranges.len() <= 1 {
        fold_chunks(0, &mut partials);
    } else {
        let mut rest = partials.as_mut_slice();
        let mut pieces = Vec::with_capacity(ranges.len());
        for &(s, e) in &ranges {
            let (head, tail) = core::mem::take(&mut rest).split_at_mut(e - s);
            rest = tail;
            pieces.push((s, head));
        }
        crate::parallel::for_each_piece(threads, pieces, |_, (first, piece)| {
            fold_chunks(first, piece)
        });
    }
    let total = partials.iter().fold(id, |acc, &p| K::scalar(acc, p));
    Ok(Tensor::scalar(total))
}

/// The gradient of `reduce(k, d)` for the upstream `g` (shape of the output): the kernel's
/// derived backward per reduced slice (a broadcast of `g` for the sum pattern).
pub(crate) fn backward_dim<E: SimdElement, K: ReduceKernel>(
    k: K,
    x: &Tensor<E>,
    d: usize,
    g: &Tensor<E>,
) -> Result<Tensor<E>> {
    if K::PATTERN == ReducePattern::Sum {
        return g.broadcast_to(x.shape())?.contiguous_for("reduce backward");
    }
    let n_r = x.shape()[d];
    let s_r = x.strides()[d];
    let rm = row_major_strides(x.shape());
    let (kshape, kstrides) = kept(x.layout(), d);
    let mut krm = rm.clone();
    krm.remove(d);
    let walk = Walk::<2>::new(&kshape, [&kstrides, &krm], [x.offset(), 0]);
    let gv = g.to_vec();
    let mut grad = alloc(K::NAME, x.numel())?;
    let reads = Reads::new(&[x]);
    let [data] = reads.data::<1>();
    let mut row = vec![E::ZERO; n_r];
    let mut grow = vec![E::ZERO; n_r];
    let [sx, sg] = walk.inner_strides;
    walk.for_each_run(0, walk.numel, |at, len, [px, pg]| {
        for j in 0..len {
            let (bx, bg) = (px + j * sx, pg + j * sg);
            for (i, v) in row.iter_mut().enumerate() {
                *v = data[bx + i * s_r];
            }
            super::map::ok(k.backward(&row, gv[at + j], &mut grow));
            for (i, &v) in grow.iter().enumerate() {
                grad[bg + i * rm[d]] = v;
            }
        }
    });
    Tensor::from_vec(grad, x.shape())
}

/// The gradient of `reduce_all(k)` for the upstream 0-d `g`.
pub(crate) fn backward_all<E: SimdElement, K: ReduceKernel>(
    k: K,
    x: &Tensor<E>,
    g: &Tensor<E>,
) -> Result<Tensor<E>> {
    let g = g.item()?;
    if K::PATTERN == ReducePattern::Sum {
        return Tensor::full(x.shape(), g);
    }
    let xv = x.to_vec();
    let mut grad = alloc(K::NAME, xv.len())?;
    super::map::ok(k.backward(&xv, g, &mut grad));
    Tensor::from_vec(grad, x.shape())
}

pub(crate) fn reduce_recorded<E: SimdElement, K: ReduceKernel>(
    x: &Tensor<E>,
    k: K,
    dim: isize,
    exec: Exec,
) -> Result<Tensor<E>> {
    let d = normalize_dim(K::NAME, dim, x.shape())?;
    let out = forward_dim(x, k, d, exec)?;
    if !needs_grad(&[x]) {
        return Ok(out);
    }
    let saved = x.detach();
    Ok(autograd::record(K::NAME, out, &[x], move |g| {
        Ok(vec![Some(backward_dim(k, &saved, d, g)?)])
    }))
}

pub(crate) fn reduce_all_recorded<E: SimdElement, K: ReduceKernel>(
    x: &Tensor<E>,
    k: K,
    exec: Exec,
) -> Result<Tensor<E>> {
    let out = forward_all(x, k, exec)?;
    if !needs_grad(&[x]) {
        return Ok(out);
    }
    let saved = x.detach();
    Ok(autograd::record(K::NAME, out, &[x], move |g| {
        Ok(vec![Some(backward_all(k, &saved, g)?)])
    }))
}

impl<E: SimdElement> Tensor<E> {
    /// Folds dim `dim` (negative counts from the end) with the kernel `k` (declared with
    /// `#[simdgrad::reduce]`), **keeping the dim with size 1** (MiniTorch's convention), so
    /// `x / x.sum(d)` broadcasts. An empty dim gives the kernel's identity.
    ///
    /// Both a last-dim and an outer-dim reduction are vectorised (see the module docs); the
    /// result does not depend on the thread count. Recorded for autograd through the kernel's
    /// derived backward (sum: a broadcast; max/min: the first extreme of each slice).
    ///
    /// ```
    /// use simdgrad::ops::builtins::Sum;
    /// use simdgrad::Tensor;
    ///
    /// let x = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    /// let s = x.reduce(Sum, 0).unwrap();
    /// assert_eq!((s.shape(), s.to_vec()), (&[1, 3][..], vec![5.0, 7.0, 9.0]));
    /// assert_eq!(x.reduce(Sum, -1).unwrap().to_vec(), vec![6.0, 15.0]);
    /// ```
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`] if `dim` is out of range (a 0-d tensor has no dim: use
    /// [`Tensor::reduce_all`]).
    pub fn reduce<K: ReduceKernel>(&self, k: K, dim: isize) -> Result<Tensor<E>> {
        reduce_recorded(self, k, dim, Exec::default())
    }

    /// [`Tensor::reduce`] with explicit execution knobs (path, parallelism); for tests.
    #[doc(hidden)]
    pub fn reduce_exec<K: ReduceKernel>(&self, k: K, dim: isize, exec: Exec) -> Result<Tensor<E>> {
        reduce_recorded(self, k, dim, exec)
    }

    /// Folds every element with `k` into a **0-d** tensor (as `torch.sum(x)` does); the
    /// identity for an empty tensor. Recorded for autograd.
    ///
    /// ```
    /// use simdgrad::ops::builtins::Max;
    /// use simdgrad::Tensor;
    ///
    /// let x = Tensor::<f64>::from_vec(vec![3.0, -1.0, 7.0, 2.0], &[2, 2]).unwrap();
    /// let m = x.reduce_all(Max).unwrap();
    /// assert_eq!((m.ndim(), m.item().unwrap()), (0, 7.0));
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if memory for the partial results cannot be allocated.
    pub fn reduce_all<K: ReduceKernel>(&self, k: K) -> Result<Tensor<E>> {
        reduce_all_recorded(self, k, Exec::default())
    }

    /// [`Tensor::reduce_all`] with explicit execution knobs; for tests.
    #[doc(hidden)]
    pub fn reduce_all_exec<K: ReduceKernel>(&self, k: K, exec: Exec) -> Result<Tensor<E>> {
        reduce_all_recorded(self, k, exec)
    }

    /// [`Tensor::reduce`] writing into `out` (shape of the result, any layout). Not recorded
    /// for autograd.
    ///
    /// # Errors
    /// [`Error::DimOutOfRange`]; [`Error::ShapeMismatch`] if `out` does not have the result's
    /// shape; [`Error::InvalidArgument`] if `out` is a broadcast view.
    pub fn reduce_into<K: ReduceKernel>(
        &self,
        k: K,
        dim: isize,
        out: &mut Tensor<E>,
    ) -> Result<()> {
        let d = normalize_dim(K::NAME, dim, self.shape())?;
        let mut shape = self.shape().to_vec();
        shape[d] = 1;
        check_out(K::NAME, out, &shape)?;
        if out.shares_storage_with(self) || !out.is_contiguous() {
            let tmp = forward_dim(self, k, d, Exec::default())?;
            copy_into(&tmp, out);
            return Ok(());
        }
        let mut guard = out.storage().write();
        let start = out.offset();
        let n = out.numel();
        reduce_dim_into(self, k, d, Exec::default(), &mut guard[start..start + n]);
        Ok(())
    }

    /// The gradient of a broadcast: sums `self` over the dims along which a tensor of `shape`
    /// was broadcast to `self.shape()` (leading dims added, size-1 dims stretched), giving a
    /// tensor of `shape`. Autograd uses it for every broadcasting op and for `expand`.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let g = Tensor::<f32>::ones(&[2, 3, 4]).unwrap();
    /// let b = g.sum_to_shape(&[3, 1]).unwrap();
    /// assert_eq!((b.shape(), b.to_vec()), (&[3, 1][..], vec![8.0; 3]));
    /// ```
    ///
    /// # Errors
    /// [`Error::Broadcast`] if `shape` does not broadcast to `self.shape()`.
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Tensor<E>> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let err = || Error::Broadcast {
            op: "sum_to_shape",
            lhs: shape.to_vec(),
            rhs: self.shape().to_vec(),
        };
        Layout::contiguous(shape)
            .and_then(|l| l.broadcast_to(self.shape()))
            .map_err(|_| err())?;
        let pad = self.ndim() - shape.len();
        let mut t = self.clone();
        for d in (0..self.ndim()).rev() {
            let stretched = d < pad || (shape[d - pad] == 1 && self.shape()[d] != 1);
            if stretched {
                t = t.reduce(super::builtins::Sum, d as isize)?;
            }
        }
        t.reshape(shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::builtins::{Max, Min, Sum};
    use crate::ops::drive::Path;
    use crate::parallel::Parallelism;

    #[test]
    fn line_splits_cover_the_output_and_share_no_cache_line() {
        let buf = vec![0.0f32; 4096];
        for off in 0..16 {
            for n in [0, 1, 15, 100, 1021, 1024, 3000] {
                let out = &buf[off..off + n];
                for tasks in 1..5 {
                    let r = split_at_lines(out, tasks);
                    assert!(!r.is_empty() && r.len() <= tasks, "{r:?}");
                    assert_eq!((r[0].0, r[r.len() - 1].1), (0, n), "{r:?}");
                    for w in r.windows(2) {
                        assert_eq!(w[0].1, w[1].0, "{r:?}");
                        let at = out.as_ptr() as usize + 4 * w[1].0;
                        assert!(at.is_multiple_of(64), "off {off} n {n} {r:?}");
                    }
                }
            }
        }
    }

    /// Dim-0 reductions split over two threads by columns give the one-thread bits, for odd
    /// column counts and outputs at every 4-byte offset within a cache line; NaN, ±0 and ±inf
    /// included.
    #[test]
    #[cfg_attr(miri, ignore = "hundreds of thousands of elements")]
    fn column_splits_match_one_thread_at_any_output_alignment() {
        fn exec(threads: usize) -> Exec {
            Exec {
                path: Path::Auto,
                parallelism: Some(Parallelism {
                    threads,
                    min_work_per_task: 1,
                }),
            }
        }
        fn check<K: ReduceKernel>(k: K, x: &Tensor<f32>) {
            let cols = x.shape()[1];
            let mut want = vec![0.0f32; cols];
            reduce_dim_into(x, k, 0, exec(1), &mut want);
            // Bits, every NaN as one: which operand's payload an IEEE add passes on is left to
            // the compiler, which may commute it differently where a column is in a partial
            // register.
            let bits = |v: &[f32]| -> Vec<u32> {
                v.iter()
                    .map(|x| if x.is_nan() { u32::MAX } else { x.to_bits() })
                    .collect()
            };
            let want = bits(&want);
            let mut buf = vec![7.0f32; cols + 16];
            for off in 0..16 {
                let out = &mut buf[off..off + cols];
                reduce_dim_into(x, k, 0, exec(2), out);
                assert!(
                    bits(out) == want,
                    "{} {:?} offset {off}",
                    K::NAME,
                    x.shape()
                );
            }
        }
        let specials = [f32::NAN, 0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY];
        for (rows, cols) in [(37, 1021), (9, 333), (64, 1024), (5, 17), (3, 2051)] {
            let mut s = 0x9e37_79b9u32 ^ cols as u32;
            let data = (0..rows * cols)
                .map(|_| {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    match (s >> 8) % 97 {
                        0 => specials[(s >> 4) as usize % specials.len()],
                        v => v as f32 - 48.0,
                    }
                })
                .collect();
            let x = Tensor::from_vec(data, &[rows, cols]).unwrap();
            check(Max, &x);
            check(Min, &x);
            check(Sum, &x);
        }
    }
}
