//! The elementwise driver shared by map, zip and their backward passes: it walks `N` input
//! operands in the order of `M` contiguous outputs, picks the path (runs as slices, or gathered
//! into small stack buffers), and splits the work into thread tasks.

use crate::kernel::arch;
use crate::layout::Layout;
use crate::parallel::{self, Parallelism};
use crate::simd::SimdElement;
use crate::{Result, Tensor};

use super::plan::{alloc_overwritten, walk_for, Reads};
use super::walk::{split_ranges, Walk};

/// Elements gathered per batch on the index-walk path (a few KiB of stack per operand).
pub(crate) const GATHER: usize = 256;
/// On [`Path::Auto`], runs shorter than this are gathered: a slice-kernel call per tiny run
/// costs more than copying it.
pub(crate) const MIN_RUN: usize = 16;
/// Output ranges of thread tasks start at multiples of this many elements.
pub(crate) const TASK_ALIGN: usize = 64;

/// Which execution path a driver takes. Tests force each one to check that they agree; users
/// leave it at [`Path::Auto`].
///
/// A forced path that does not apply falls back to the next slower one: `Contiguous` needs
/// dense operands with equal strides, `Blocks` needs runs with inner stride 0 or 1.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Path {
    /// The fastest path that applies.
    #[default]
    Auto,
    /// Dense operands with one memory order: the output takes their strides and the whole
    /// storage range is one slice.
    Contiguous,
    /// A row-major output, the slice kernel called once per run.
    Blocks,
    /// A row-major output, every element gathered through the index walk.
    General,
}

/// Execution knobs of a driver call: the path and an explicit parallelism (tests compare
/// thread counts without touching the process-wide setting).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exec {
    /// The path.
    pub path: Path,
    /// `None`: [`parallel::get`].
    pub parallelism: Option<Parallelism>,
}

impl Exec {
    /// The given path with the process-wide parallelism.
    pub fn path(path: Path) -> Self {
        Self {
            path,
            parallelism: None,
        }
    }

    pub(crate) fn par(&self) -> Parallelism {
        self.parallelism.unwrap_or_else(parallel::get)
    }
}

/// One operand of a run: a slice, or one value standing for a whole run (a broadcast).
#[derive(Clone, Copy)]
pub(crate) enum Src<'a, E> {
    Slice(&'a [E]),
    Scalar(E),
}

/// What a driver runs on each run (or gathered batch): `outs[j][k] = f(ins[..][k])`.
pub(crate) trait RunKernel<E: SimdElement, const N: usize, const M: usize>: Sync {
    /// All slices have the length of the outputs.
    fn run(&self, ins: [Src<'_, E>; N], outs: [&mut [E]; M]);
}

/// Calls `f` on slices only, materialising scalar operands batch by batch into stack buffers;
/// for kernels without a special case for broadcast operands.
pub(crate) fn with_slices<E: SimdElement, const N: usize, const M: usize>(
    ins: [Src<'_, E>; N],
    outs: [&mut [E]; M],
    mut f: impl FnMut([&[E]; N], [&mut [E]; M]),
) {
    if let Some(slices) = all_slices(&ins) {
        f(slices, outs);
        return;
    }
    let len = outs.first().map_or(0, |o| o.len());
    let mut bufs = [[E::ZERO; GATHER]; N];
    for (b, src) in bufs.iter_mut().zip(&ins) {
        if let Src::Scalar(v) = *src {
            b.fill(v);
        }
    }
    let mut outs = outs;
    let mut at = 0;
    while at < len {
        let take = (len - at).min(GATHER);
        let slices: [&[E]; N] = core::array::from_fn(|i| match ins[i] {
            Src::Slice(s) => &s[at..at + take],
            Src::Scalar(_) => &bufs[i][..take],
        });
        let chunk: [&mut [E]; M] = outs.each_mut().map(|o| &mut o[at..at + take]);
        f(slices, chunk);
        at += take;
    }
}

fn all_slices<'a, E: Copy, const N: usize>(ins: &[Src<'a, E>; N]) -> Option<[&'a [E]; N]> {
    let mut out: [&[E]; N] = [&[]; N];
    for (o, src) in out.iter_mut().zip(ins) {
        match *src {
            Src::Slice(s) => *o = s,
            Src::Scalar(_) => return None,
        }
    }
    Some(out)
}

/// Runs `kernel` over `inputs`, seen through `layouts` (already broadcast to `layout`'s shape),
/// into `M` fresh buffers in the storage order of the dense `layout`: the body every
/// allocating forward and backward of map and zip shares.
pub(crate) fn drive_fresh<E: SimdElement, const N: usize, const M: usize>(
    op: &'static str,
    layout: &Layout,
    inputs: [&Tensor<E>; N],
    layouts: [&Layout; N],
    exec: Exec,
    kernel: &impl RunKernel<E, N, M>,
) -> Result<[Vec<E>; M]> {
    let mut bufs: [Vec<E>; M] = core::array::from_fn(|_| Vec::new());
    for b in &mut bufs {
        *b = alloc_overwritten(op, layout.numel())?;
    }
    let reads = Reads::new(&inputs);
    let walk = walk_for(layout, layouts);
    let outs = bufs.each_mut().map(Vec::as_mut_slice);
    drive(&walk, reads.data(), outs, exec.path, exec.par(), kernel);
    Ok(bufs)
}

/// [`drive_fresh`] with one output written into the dense, unaliased region of `out`
/// (the caller has checked both) in its storage order.
pub(crate) fn drive_into<E: SimdElement, const N: usize>(
    out: &Tensor<E>,
    inputs: [&Tensor<E>; N],
    layouts: [&Layout; N],
    exec: Exec,
    kernel: &impl RunKernel<E, N, 1>,
) {
    let reads = Reads::new(&inputs);
    let walk = walk_for(out.layout(), layouts);
    let mut guard = out.storage().write();
    let start = out.offset();
    let region = &mut guard[start..start + walk.numel];
    drive(&walk, reads.data(), [region], exec.path, exec.par(), kernel);
}

/// Runs `kernel` over `walk`, reading input `i` from `data[i]` and writing the outputs in walk
/// order. `path` is [`Path::Blocks`], [`Path::General`] or [`Path::Auto`] (the caller has already
/// arranged the walk order, which is where `Contiguous` differs).
pub(crate) fn drive<E: SimdElement, const N: usize, const M: usize>(
    walk: &Walk<N>,
    data: [&[E]; N],
    outs: [&mut [E]; M],
    path: Path,
    par: Parallelism,
    kernel: &impl RunKernel<E, N, M>,
) {
    let slices_ok = walk.inner_strides.iter().all(|&s| s <= 1);
    let gather = match path {
        Path::General => true,
        Path::Blocks | Path::Contiguous => !slices_ok,
        Path::Auto => !slices_ok || (walk.inner_len < MIN_RUN && walk.runs() > 1),
    };
    let (threads, tasks) = par.split(walk.numel);
    let ranges = split_ranges(walk.numel, tasks, TASK_ALIGN);
    let task = |(start, end): (usize, usize), outs: [&mut [E]; M]| {
        if gather {
            gather_range(walk, &data, start, end, outs, kernel);
        } else {
            slice_range(walk, &data, start, end, outs, kernel);
        }
    };
    if ranges.len() <= 1 {
        task((0, walk.numel), outs);
        return;
    }
    // Warm the dispatcher before fanning out (it is detected once per process).
    let _ = arch();
    let mut rests = outs;
    let mut pieces = Vec::with_capacity(ranges.len());
    for &(start, end) in &ranges {
        let piece: [&mut [E]; M] = core::array::from_fn(|j| {
            let (head, tail) = core::mem::take(&mut rests[j]).split_at_mut(end - start);
            rests[j] = tail;
            head
        });
        pieces.push(((start, end), piece));
    }
    parallel::for_each_piece(threads, pieces, |_, (range, piece)| task(range, piece));
}

/// The blocks path: each run's operands handed to the kernel as slices or scalars.
fn slice_range<E: SimdElement, const N: usize, const M: usize>(
    walk: &Walk<N>,
    data: &[&[E]; N],
    start: usize,
    end: usize,
    mut outs: [&mut [E]; M],
    kernel: &impl RunKernel<E, N, M>,
) {
    walk.for_each_run(start, end, |at, len, p| {
        let ins: [Src<'_, E>; N] = core::array::from_fn(|i| {
            if walk.inner_strides[i] == 1 {
                Src::Slice(&data[i][p[i]..p[i] + len])
            } else {
                Src::Scalar(data[i][p[i]])
            }
        });
        let local = at - start;
        let chunk: [&mut [E]; M] = outs.each_mut().map(|o| &mut o[local..local + len]);
        kernel.run(ins, chunk);
    });
}

/// The index-walk path: elements gathered into stack buffers, the kernel run per full buffer.
fn gather_range<E: SimdElement, const N: usize, const M: usize>(
    walk: &Walk<N>,
    data: &[&[E]; N],
    start: usize,
    end: usize,
    mut outs: [&mut [E]; M],
    kernel: &impl RunKernel<E, N, M>,
) {
    let mut bufs = [[E::ZERO; GATHER]; N];
    let mut filled = 0;
    let mut batch_start = 0;
    let mut flush = |bufs: &[[E; GATHER]; N], filled: usize, batch_start: usize| {
        let ins: [Src<'_, E>; N] = core::array::from_fn(|i| Src::Slice(&bufs[i][..filled]));
        let chunk: [&mut [E]; M] = outs
            .each_mut()
            .map(|o| &mut o[batch_start..batch_start + filled]);
        kernel.run(ins, chunk);
    };
    walk.for_each_run(start, end, |_, len, p| {
        let mut k = 0;
        while k < len {
            let take = (len - k).min(GATHER - filled);
            for (i, buf) in bufs.iter_mut().enumerate() {
                let s = walk.inner_strides[i];
                let dst = &mut buf[filled..filled + take];
                let first = p[i] + k * s;
                match s {
                    0 => dst.fill(data[i][first]),
                    1 => dst.copy_from_slice(&data[i][first..first + take]),
                    _ => {
                        for (j, d) in dst.iter_mut().enumerate() {
                            *d = data[i][first + j * s];
                        }
                    }
                }
            }
            filled += take;
            k += take;
            if filled == GATHER {
                flush(&bufs, filled, batch_start);
                batch_start += filled;
                filled = 0;
            }
        }
    });
    if filled > 0 {
        flush(&bufs, filled, batch_start);
    }
}
