//! Fused, numerically stable softmax and log-softmax over one dim, forward and backward, SIMD.
//!
//! Forward per row: the maximum `m`, one pass computing `e = exp(x − m)` (stored) and its sum,
//! one rescaling — three passes beat the online two-pass form on 1024-wide rows
//! (performance.md). A row containing `+inf` or NaN gives NaN (as PyTorch); `-inf` entries give
//! exactly 0 (log-softmax: `-inf`); a row of all `-inf` gives NaN, as PyTorch does.
//!
//! A 1024-wide row (4 KB in f32) stays in L1 between its passes, so the input is read from
//! memory once and the output written once; the exp pass is the cost (`benches/softmax.rs`
//! times each part). Outputs come from [`output_buffer`]: a recycled buffer when a tensor of the
//! same size was freed, so a call in a loop neither zero-fills nor page-faults its output.
//!
//! Modules: `rows` holds the row kernels, generic over the element and its [`rows::RowMath`];
//! `fast_f32` gives f32 an exponential specialised to `x − m ≤ 0` (0.34 → 0.29 ms on
//! [1024, 1024], one thread). Here: the tensor API, and [`run_rows`], which picks the math for
//! the element and splits the rows over the project's fork-join team.

use std::any::Any;
use std::marker::PhantomData;
use std::ops::Range;

use crate::kernel::arch;
use crate::parallel::{self, Parallelism};
use crate::simd::SimdElement;
use crate::tensor::output_buffer;
use crate::{autograd, Error, Result, Tensor};

mod fast_f32;
mod rows;

use fast_f32::FastF32;
use rows::{Exact, RowMath};

/// Which of the two functions a row kernel computes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Softmax,
    LogSoftmax,
}

impl Kind {
    /// The op's name in errors and autograd nodes.
    fn name(self) -> &'static str {
        match self {
            Kind::Softmax => "softmax",
            Kind::LogSoftmax => "log_softmax",
        }
    }
}

/// A row kernel with `I` inputs, run over a range of whole rows.
trait RowJob<const I: usize>: Copy + Sync {
    /// Runs the kernel with row math `M` over `ins` (each as long as `out`).
    fn run<E: SimdElement, M: RowMath<E>>(self, ins: [&[E]; I], out: &mut [E], cols: usize);
}

/// The forward: `ins = [x]`.
#[derive(Clone, Copy)]
struct ForwardJob(Kind);

impl RowJob<1> for ForwardJob {
    fn run<E: SimdElement, M: RowMath<E>>(self, [x]: [&[E]; 1], out: &mut [E], cols: usize) {
        arch().dispatch(rows::Forward::<E, M> {
            x,
            out,
            cols,
            kind: self.0,
            math: PhantomData,
        });
    }
}

/// The backward: `ins = [y, g]`.
#[derive(Clone, Copy)]
struct BackwardJob(Kind);

impl RowJob<2> for BackwardJob {
    fn run<E: SimdElement, M: RowMath<E>>(self, [y, g]: [&[E]; 2], out: &mut [E], cols: usize) {
        arch().dispatch(rows::Backward::<E, M> {
            y,
            g,
            out,
            cols,
            kind: self.0,
            math: PhantomData,
        });
    }
}

/// Elements of a task before [`on_rows`] hands rows to a second thread, as a multiple of the
/// user's `min_work_per_task` (2^16 by default, sized for a copy): a softmax task of 2^17
/// elements takes about 50 µs on one core, enough to repay waking a thread.
const TASK_WORK_FACTOR: usize = 2;

/// Runs `job` over `rows` contiguous rows of `cols`: the inputs `ins[i].0[ins[i].1]` and the
/// output `out[or]` (all as long). The buffers come whole so that f32 can be recognised without
/// `unsafe` (a `Vec<E>` downcasts, a slice does not) and run with [`FastF32`]; any other
/// element runs with [`Exact`].
fn run_rows<E: SimdElement, J: RowJob<I>, const I: usize>(
    job: J,
    ins: [(&Vec<E>, Range<usize>); I],
    (out, or): (&mut Vec<E>, Range<usize>),
    (rows, cols): (usize, usize),
    par: Parallelism,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    let f32_ins = ins
        .each_ref()
        .map(|(v, r)| Some(&(*v as &dyn Any).downcast_ref::<Vec<f32>>()?[r.clone()]));
    let f32_out = (&mut *out as &mut dyn Any).downcast_mut::<Vec<f32>>();
    if let (Some(out), true) = (f32_out, f32_ins.iter().all(Option::is_some)) {
        let ins = f32_ins.map(Option::unwrap_or_default);
        on_rows::<f32, FastF32, J, I>(job, ins, &mut out[or], cols, par);
        return;
    }
    on_rows::<E, Exact, J, I>(job, ins.map(|(v, r)| &v[r]), &mut out[or], cols, par);
}

/// Runs `job` with row math `M` over the rows of `out`, split into contiguous row ranges on the
/// fork-join team when the work repays it (inline, with no team touched, below that). Each row
/// is computed the same way whatever the split, so results do not depend on the thread count.
fn on_rows<E: SimdElement, M: RowMath<E>, J: RowJob<I>, const I: usize>(
    job: J,
    ins: [&[E]; I],
    out: &mut [E],
    cols: usize,
    par: Parallelism,
) {
    let rows = out.len() / cols;
    let (threads, tasks) = par.split(out.len() / TASK_WORK_FACTOR);
    let tasks = tasks.min(rows);
    if tasks <= 1 {
        job.run::<E, M>(ins, out, cols);
        return;
    }
    // Warm the dispatcher before fanning out (it is detected once per process).
    let _ = arch();
    let per = rows.div_ceil(tasks) * cols;
    let pieces: Vec<_> = out.chunks_mut(per).enumerate().collect();
    parallel::for_each_piece(threads, pieces, |_, (i, piece)| {
        let at = i * per..i * per + piece.len();
        job.run::<E, M>(ins.map(|x| &x[at.clone()]), piece, cols);
    });
}

/// Moves `dim` last and makes the tensor contiguous: returns it with (rows, cols).
fn rows_last<E: SimdElement>(
    op: &'static str,
    x: &Tensor<E>,
    dim: usize,
) -> Result<(Tensor<E>, usize, usize)> {
    let nd = x.ndim();
    let mut order: Vec<usize> = (0..nd).filter(|&d| d != dim).collect();
    order.push(dim);
    let moved = x.permute(&order)?.contiguous_for(op)?;
    let cols = x.shape()[dim];
    let rows = x.numel().checked_div(cols).unwrap_or(0);
    Ok((moved, rows, cols))
}

/// Inverse of the permutation used by [`rows_last`].
fn restore_order(nd: usize, dim: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..nd).filter(|&d| d != dim).collect();
    order.push(dim);
    let mut inv = vec![0; nd];
    for (i, &o) in order.iter().enumerate() {
        inv[o] = i;
    }
    inv
}

/// Computes the kind over `dim` of a tensor with no autograd recording.
pub(crate) fn forward_raw<E: SimdElement>(
    x: &Tensor<E>,
    dim: usize,
    kind: Kind,
) -> Result<Tensor<E>> {
    let (moved, rows, cols) = rows_last(kind.name(), x, dim)?;
    // Every element is written below, so a recycled buffer's old contents never show.
    let n = moved.numel();
    let mut out = output_buffer(kind.name(), n)?;
    {
        let data = moved.storage().read();
        let start = moved.offset();
        run_rows(
            ForwardJob(kind),
            [(&data, start..start + n)],
            (&mut out, 0..n),
            (rows, cols),
            parallel::get(),
        );
    }
    let moved_shape = moved.shape().to_vec();
    Tensor::from_vec(out, &moved_shape)?.permute(&restore_order(x.ndim(), dim))
}

/// Backward of the kind given its forward output `y` and upstream `g`, over `dim`.
pub(crate) fn backward_raw<E: SimdElement>(
    y: &Tensor<E>,
    g: &Tensor<E>,
    dim: usize,
    kind: Kind,
) -> Result<Tensor<E>> {
    let (ym, rows, cols) = rows_last(kind.name(), y, dim)?;
    let (gm, _, _) = rows_last(kind.name(), g, dim)?;
    // Every element is written below (no zero-fill needed).
    let mut out = output_buffer(kind.name(), ym.numel())?;
    {
        let yd = ym.storage().read();
        // `g` may be `y` itself (or share its storage): a second read guard is fine.
        let gd = gm.storage().read();
        let n = ym.numel();
        run_rows(
            BackwardJob(kind),
            [
                (&yd, ym.offset()..ym.offset() + n),
                (&gd, gm.offset()..gm.offset() + n),
            ],
            (&mut out, 0..n),
            (rows, cols),
            parallel::get(),
        );
    }
    let shape = ym.shape().to_vec();
    Tensor::from_vec(out, &shape)?.permute(&restore_order(y.ndim(), dim))
}

/// [`Tensor::softmax_into`] / [`Tensor::log_softmax_into`].
fn forward_into<E: SimdElement>(
    x: &Tensor<E>,
    dim: isize,
    out: &mut Tensor<E>,
    kind: Kind,
) -> Result<()> {
    let op = match kind {
        Kind::Softmax => "softmax_into",
        Kind::LogSoftmax => "log_softmax_into",
    };
    let d = crate::shape::normalize_dim(op, dim, x.shape())?;
    if out.shape() != x.shape() {
        return Err(Error::ShapeMismatch {
            op,
            lhs: x.shape().to_vec(),
            rhs: out.shape().to_vec(),
        });
    }
    if !out.is_contiguous() {
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "the output must be contiguous; it has shape {:?} and strides {:?}",
                out.shape(),
                out.strides()
            ),
        });
    }
    let n = out.numel();
    let start = out.offset();
    if d + 1 == x.ndim() && x.is_contiguous() && !out.shares_storage_with(x) {
        let cols = x.shape()[d];
        let rows = n.checked_div(cols).unwrap_or(0);
        let data = x.storage().read();
        let mut guard = out.storage().write();
        run_rows(
            ForwardJob(kind),
            [(&data, x.offset()..x.offset() + n)],
            (&mut guard, start..start + n),
            (rows, cols),
            parallel::get(),
        );
        return Ok(());
    }
    // Another dim, a strided input, or `out` aliasing `x`: compute aside, then copy in.
    let tmp = forward_raw(x, d, kind)?.to_vec();
    out.storage().write()[start..start + n].copy_from_slice(&tmp);
    Ok(())
}

/// The isolated softmax backward kernel over `dim`: `dx = y ⊙ (g − ⟨g, y⟩)` given the forward
/// output `y` and the upstream gradient `g` (what autograd runs; public for benchmarks and for
/// users fusing their own graphs).
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] if `y` and `g` differ in shape; a bad dim.
pub fn softmax_backward<E: SimdElement>(
    y: &Tensor<E>,
    g: &Tensor<E>,
    dim: isize,
) -> Result<Tensor<E>> {
    checked_backward("softmax_backward", y, g, dim, Kind::Softmax)
}

/// The isolated log-softmax backward kernel over `dim`: `dx = g − exp(y) · Σ g` given the
/// forward output `y` and the upstream gradient `g`.
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] if `y` and `g` differ in shape; a bad dim.
pub fn log_softmax_backward<E: SimdElement>(
    y: &Tensor<E>,
    g: &Tensor<E>,
    dim: isize,
) -> Result<Tensor<E>> {
    checked_backward("log_softmax_backward", y, g, dim, Kind::LogSoftmax)
}

fn checked_backward<E: SimdElement>(
    op: &'static str,
    y: &Tensor<E>,
    g: &Tensor<E>,
    dim: isize,
    kind: Kind,
) -> Result<Tensor<E>> {
    if y.shape() != g.shape() {
        return Err(crate::Error::ShapeMismatch {
            op,
            lhs: y.shape().to_vec(),
            rhs: g.shape().to_vec(),
        });
    }
    let d = crate::shape::normalize_dim(op, dim, y.shape())?;
    backward_raw(y, g, d, kind)
}

fn recorded<E: SimdElement>(x: &Tensor<E>, dim: isize, kind: Kind) -> Result<Tensor<E>> {
    let name = kind.name();
    let d = crate::shape::normalize_dim(name, dim, x.shape())?;
    let y = forward_raw(x, d, kind)?;
    let saved = y.detach();
    Ok(autograd::record(name, y, &[x], move |g| {
        Ok(vec![Some(backward_raw(&saved, g, d, kind)?)])
    }))
}

impl<E: SimdElement> Tensor<E> {
    /// Softmax over `dim` (negative dims count from the end): `exp(x − m) / Σ exp(x − m)` with
    /// `m` the maximum over `dim`, fused and SIMD; differentiable.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], &[1, 3]).unwrap();
    /// let y = x.softmax(-1).unwrap().to_vec();
    /// let z: f64 = [1.0f64, 2.0, 3.0].iter().map(|v| v.exp()).sum();
    /// assert!((y[2] - 3.0f64.exp() / z).abs() < 1e-15);
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::DimOutOfRange`] for a bad dim.
    pub fn softmax(&self, dim: isize) -> Result<Tensor<E>> {
        recorded(self, dim, Kind::Softmax)
    }

    /// Log-softmax over `dim`: `x − m − ln Σ exp(x − m)` (exact ln), fused and SIMD;
    /// differentiable.
    ///
    /// # Errors
    /// [`crate::Error::DimOutOfRange`] for a bad dim.
    pub fn log_softmax(&self, dim: isize) -> Result<Tensor<E>> {
        recorded(self, dim, Kind::LogSoftmax)
    }

    /// [`Tensor::softmax`] written into `out` (same shape, contiguous) instead of a new tensor,
    /// for a loop that reuses its output. Not recorded for autograd.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f32>::from_vec(vec![0.0, 0.0, 1.0, f32::NEG_INFINITY], &[2, 2]).unwrap();
    /// let mut out = Tensor::<f32>::zeros(&[2, 2]).unwrap();
    /// x.softmax_into(-1, &mut out).unwrap();
    /// assert_eq!(out.to_vec(), vec![0.5, 0.5, 1.0, 0.0]);
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::DimOutOfRange`] for a bad dim; [`crate::Error::ShapeMismatch`] if `out`
    /// has another shape; [`crate::Error::InvalidArgument`] if `out` is not contiguous.
    pub fn softmax_into(&self, dim: isize, out: &mut Tensor<E>) -> Result<()> {
        forward_into(self, dim, out, Kind::Softmax)
    }

    /// [`Tensor::log_softmax`] written into `out` (same shape, contiguous). Not recorded for
    /// autograd.
    ///
    /// ```
    /// use simdgrad::Tensor;
    /// let x = Tensor::<f64>::from_vec(vec![1.0, 1.0], &[2]).unwrap();
    /// let mut out = Tensor::<f64>::zeros(&[2]).unwrap();
    /// x.log_softmax_into(0, &mut out).unwrap();
    /// // The SIMD ln is within 1 ulp of the correctly rounded value.
    /// assert!(out.to_vec().iter().all(|v| (v + 2.0f64.ln()).abs() <= 2.0 * f64::EPSILON));
    /// ```
    ///
    /// # Errors
    /// As [`Tensor::softmax_into`].
    pub fn log_softmax_into(&self, dim: isize, out: &mut Tensor<E>) -> Result<()> {
        forward_into(self, dim, out, Kind::LogSoftmax)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs with every kind of row: random, a NaN, a `+inf`, `-inf` entries, all `-inf`.
    fn rows_of<E: SimdElement>(rows: usize, cols: usize, seed: u64) -> Vec<E> {
        let mut v = Tensor::<E>::randn_seeded(&[rows, cols], seed)
            .unwrap()
            .to_vec();
        v[cols / 2] = E::NAN;
        v[cols + cols / 3] = E::INFINITY;
        v[2 * cols..3 * cols].fill(E::NEG_INFINITY);
        v[3 * cols] = E::NEG_INFINITY;
        v[4 * cols + cols - 1] = E::NEG_INFINITY;
        v
    }

    /// Equal bits, or both NaN (which NaN a row of NaN carries is not specified).
    fn same<E: SimdElement>(a: &[E], b: &[E]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.to_f64().to_bits() == y.to_f64().to_bits() || (x.is_nan() && y.is_nan())
            })
    }

    fn thread_count_independence<E: SimdElement>() {
        let settings = [(1, 1 << 16), (2, 1), (3, 1), (2, 1000)].map(|(threads, w)| Parallelism {
            threads,
            min_work_per_task: w,
        });
        for cols in [1, 7, 16, 17, 33, 129, 1024] {
            let rows = 37;
            let n = rows * cols;
            let x = rows_of::<E>(rows, cols, cols as u64);
            let g = Tensor::<E>::randn_seeded(&[rows, cols], 3)
                .unwrap()
                .to_vec();
            for kind in [Kind::Softmax, Kind::LogSoftmax] {
                let run = |par: Parallelism| {
                    let mut y = vec![E::ZERO; n];
                    run_rows(
                        ForwardJob(kind),
                        [(&x, 0..n)],
                        (&mut y, 0..n),
                        (rows, cols),
                        par,
                    );
                    let mut dx = vec![E::ZERO; n];
                    let ins = [(&y, 0..n), (&g, 0..n)];
                    run_rows(BackwardJob(kind), ins, (&mut dx, 0..n), (rows, cols), par);
                    (y, dx)
                };
                let (y1, dx1) = run(settings[0]);
                // The rows are really computed (not left at zero) and a NaN row stays NaN.
                assert!(y1[0].is_nan() && y1[cols].is_nan(), "{cols} {kind:?}");
                for &par in &settings[1..] {
                    let (y, dx) = run(par);
                    assert!(same(&y, &y1), "forward {kind:?} {cols} {par:?}");
                    assert!(same(&dx, &dx1), "backward {kind:?} {cols} {par:?}");
                }
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count_f32() {
        thread_count_independence::<f32>();
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count_f64() {
        thread_count_independence::<f64>();
    }

    #[test]
    fn an_offset_input_and_output_range_is_honoured() {
        // Rows taken from the middle of larger buffers, as for a tensor view with an offset.
        let (rows, cols) = (5, 19);
        let n = rows * cols;
        let x = rows_of::<f32>(rows + 2, cols, 4);
        let mut whole = vec![0.0f32; n + 3];
        let par = Parallelism {
            threads: 2,
            min_work_per_task: 1,
        };
        let job = ForwardJob(Kind::Softmax);
        run_rows(
            job,
            [(&x, cols..cols + n)],
            (&mut whole, 3..n + 3),
            (rows, cols),
            par,
        );
        let mut alone = vec![0.0f32; n];
        let x2 = x[cols..cols + n].to_vec();
        run_rows(job, [(&x2, 0..n)], (&mut alone, 0..n), (rows, cols), par);
        assert_eq!(&whole[..3], &[0.0; 3]);
        assert!(same(&whole[3..], &alone));
    }
}
