//! `Tensor::map`: a [`MapKernel`] over a tensor of any layout, with its output-buffer and
//! in-place variants, and the backward pass autograd records for it.

use crate::autograd::{self, needs_grad};
use crate::kernel::MapKernel;
use crate::simd::SimdElement;
use crate::{Result, Tensor};

use super::drive::{drive_fresh, drive_into, with_slices, Exec, RunKernel, Src};
use super::plan::{check_out, copy_into, output_layout, tensor_from, Reads};
use super::walk::split_ranges;

/// The forward of a map kernel on one run.
struct Forward<K>(K);

impl<K: MapKernel, E: SimdElement> RunKernel<E, 1, 1> for Forward<K> {
    fn run(&self, [x]: [Src<'_, E>; 1], [out]: [&mut [E]; 1]) {
        match x {
            Src::Slice(x) => ok(self.0.forward(x, out)),
            Src::Scalar(v) => {
                // The vector kernel, not the scalar twin: every path must give the same bits.
                let mut one = [E::ZERO];
                ok(self.0.forward(&[v], &mut one));
                out.fill(one[0]);
            }
        }
    }
}

/// `g · f'(x)` on one run.
struct Backward<K>(K);

impl<K: MapKernel, E: SimdElement> RunKernel<E, 2, 1> for Backward<K> {
    fn run(&self, ins: [Src<'_, E>; 2], outs: [&mut [E]; 1]) {
        with_slices(ins, outs, |[x, g], [gx]| ok(self.0.backward(x, g, gx)));
    }
}

/// `g · f'(x)` given the saved output `y` too (for ops whose derivative is cheaper from `y`).
struct BackwardWithOutput<K>(K);

impl<K: MapKernel, E: SimdElement> RunKernel<E, 3, 1> for BackwardWithOutput<K> {
    fn run(&self, ins: [Src<'_, E>; 3], outs: [&mut [E]; 1]) {
        with_slices(ins, outs, |[x, y, g], [gx]| {
            ok(self.0.backward_with_output(x, y, g, gx))
        });
    }
}

/// Slice lengths inside the drivers agree by construction; a mismatch is a bug in this module.
#[inline]
pub(crate) fn ok(r: Result<()>) {
    debug_assert!(r.is_ok(), "{r:?}");
}

/// The forward pass alone (no recording), into a fresh tensor.
pub(crate) fn forward<E: SimdElement, K: MapKernel>(
    x: &Tensor<E>,
    k: K,
    exec: Exec,
) -> Result<Tensor<E>> {
    let layout = output_layout(x.shape(), &[x.layout()], exec.path)?;
    let [data] = drive_fresh(K::NAME, &layout, [x], [x.layout()], exec, &Forward(k))?;
    Ok(tensor_from(data, layout))
}

/// `grad_x = g · f'(x)` (with the saved output `y` when given), shape of `x`.
pub(crate) fn backward<E: SimdElement, K: MapKernel>(
    k: K,
    x: &Tensor<E>,
    y: Option<&Tensor<E>>,
    g: &Tensor<E>,
) -> Result<Tensor<E>> {
    let g = g.broadcast_to(x.shape())?;
    let exec = Exec::default();
    let layout = match y {
        Some(y) => output_layout(x.shape(), &[x.layout(), y.layout(), g.layout()], exec.path)?,
        None => output_layout(x.shape(), &[x.layout(), g.layout()], exec.path)?,
    };
    let [data] = match y {
        Some(y) => drive_fresh(
            K::NAME,
            &layout,
            [x, y, &g],
            [x.layout(), y.layout(), g.layout()],
            exec,
            &BackwardWithOutput(k),
        )?,
        None => drive_fresh(
            K::NAME,
            &layout,
            [x, &g],
            [x.layout(), g.layout()],
            exec,
            &Backward(k),
        )?,
    };
    Ok(tensor_from(data, layout))
}

/// `g ← g · f'(x)` overwriting the upstream gradient, when the backward pass owns `g` alone
/// ([`autograd::owns_uniquely`]) and `x`, `g` (and `y`) are contiguous of one shape; returns
/// `g`'s storage as the input gradient. `None` (nothing written) otherwise: the caller
/// allocates as [`backward`] does. Same values as [`backward`], bit for bit.
fn backward_in_place<E: SimdElement, K: MapKernel>(
    k: K,
    x: &Tensor<E>,
    y: Option<&Tensor<E>>,
    g: &Tensor<E>,
) -> Option<Tensor<E>> {
    let fits = |t: &Tensor<E>| t.is_contiguous() && t.shape() == x.shape();
    if !autograd::owns_uniquely(g) || !fits(x) || !fits(g) || !y.is_none_or(fits) {
        return None;
    }
    let n = x.numel();
    {
        // `g`'s storage is not `x`'s or `y`'s (it has no other handle), so the read and
        // write locks are on different storages.
        let reads = Reads::new(&[x, y.unwrap_or(x)]);
        let [xd, yd] = reads.data::<2>();
        let xs = &xd[x.offset()..x.offset() + n];
        let ys = y.map(|y| &yd[y.offset()..y.offset() + n]);
        let mut guard = g.storage().write();
        let gs = &mut guard[g.offset()..g.offset() + n];
        let run = |at: usize, gc: &mut [E]| {
            let xc = &xs[at..at + gc.len()];
            ok(match ys {
                None => k.backward_in_place(xc, gc),
                Some(ys) => k.backward_with_output_in_place(xc, &ys[at..at + gc.len()], gc),
            })
        };
        let ranges = split_ranges(n, crate::parallel::tasks_for(n), super::drive::TASK_ALIGN);
        if ranges.len() <= 1 {
            run(0, gs);
        } else {
            let mut rest = gs;
            let mut pieces = Vec::with_capacity(ranges.len());
            for &(s, e) in &ranges {
                let (head, tail) = core::mem::take(&mut rest).split_at_mut(e - s);
                rest = tail;
                pieces.push((s, head));
            }
            let run = &run;
            crate::parallel::pool(ranges.len()).scope(|sc| {
                for (at, piece) in pieces {
                    sc.spawn(move |_| run(at, piece));
                }
            });
        }
    }
    Some(Tensor::from_parts(
        std::sync::Arc::clone(g.storage()),
        g.layout().clone(),
    ))
}

/// The map, recorded for autograd; `save_output` makes the backward use
/// [`MapKernel::backward_with_output`] (cheaper for `exp`, `sigmoid`, `tanh`, `sqrt`).
pub(crate) fn map_recorded<E: SimdElement, K: MapKernel>(
    x: &Tensor<E>,
    k: K,
    exec: Exec,
    save_output: bool,
) -> Result<Tensor<E>> {
    let out = forward(x, k, exec)?;
    if !needs_grad(&[x]) {
        return Ok(out);
    }
    let saved_x = x.detach();
    // `out` has no graph node yet: saving it creates no cycle.
    let saved_y = save_output.then(|| out.clone());
    Ok(autograd::record(K::NAME, out, &[x], move |g| {
        let gx = match backward_in_place(k, &saved_x, saved_y.as_ref(), g) {
            Some(gx) => gx,
            None => backward(k, &saved_x, saved_y.as_ref(), g)?,
        };
        Ok(vec![Some(gx)])
    }))
}

impl<E: SimdElement> Tensor<E> {
    /// Applies the elementwise kernel `k` (declared with `#[simdgrad::map]`) to every element.
    ///
    /// The output has the input's shape. A dense input (contiguous, or a permutation of a
    /// contiguous tensor) is processed in storage order in one pass and the output keeps its
    /// strides, as PyTorch keeps a tensor's memory format; any other input (a narrowed or
    /// broadcast view) gives a row-major output. Recorded for autograd: the gradient is the
    /// kernel's derived `backward`.
    ///
    /// ```
    /// use simdgrad::Tensor;
    ///
    /// #[simdgrad::map]
    /// fn square(x: f32) -> f32 {
    ///     x * x
    /// }
    ///
    /// let x = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0], &[3]).unwrap();
    /// assert_eq!(x.map(Square).unwrap().to_vec(), vec![1.0, 4.0, 9.0]);
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] if the output cannot be allocated.
    pub fn map<K: MapKernel>(&self, k: K) -> Result<Tensor<E>> {
        map_recorded(self, k, Exec::default(), false)
    }

    /// [`Tensor::map`] with explicit execution knobs (path, parallelism); for tests.
    #[doc(hidden)]
    pub fn map_exec<K: MapKernel>(&self, k: K, exec: Exec) -> Result<Tensor<E>> {
        map_recorded(self, k, exec, false)
    }

    /// [`Tensor::map`] writing into `out` (any layout of the same shape) instead of allocating.
    /// Not recorded for autograd.
    ///
    /// ```
    /// use simdgrad::ops::builtins::Exp;
    /// use simdgrad::Tensor;
    ///
    /// let x = Tensor::<f64>::zeros(&[2, 2]).unwrap();
    /// let mut out = Tensor::<f64>::zeros(&[2, 2]).unwrap();
    /// x.map_into(Exp, &mut out).unwrap();
    /// assert_eq!(out.to_vec(), vec![1.0; 4]);
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::ShapeMismatch`] if `out` has another shape;
    /// [`crate::Error::InvalidArgument`] if `out` is a broadcast view.
    pub fn map_into<K: MapKernel>(&self, k: K, out: &mut Tensor<E>) -> Result<()> {
        self.map_into_exec(k, out, Exec::default())
    }

    /// [`Tensor::map_into`] with explicit execution knobs; for tests.
    #[doc(hidden)]
    pub fn map_into_exec<K: MapKernel>(&self, k: K, out: &mut Tensor<E>, exec: Exec) -> Result<()> {
        check_out(K::NAME, out, self.shape())?;
        if out.shares_storage_with(self) || !out.layout().is_dense() {
            let tmp = forward(self, k, exec)?;
            copy_into(&tmp, out);
            return Ok(());
        }
        drive_into(out, [self], [self.layout()], exec, &Forward(k));
        Ok(())
    }

    /// Applies `k` to every element in place. Not recorded for autograd (do not use it on a
    /// tensor that takes part in a graph).
    ///
    /// ```
    /// use simdgrad::ops::builtins::Relu;
    /// use simdgrad::Tensor;
    ///
    /// let x = Tensor::<f32>::from_vec(vec![-1.0, 2.0], &[2]).unwrap();
    /// x.map_(Relu).unwrap();
    /// assert_eq!(x.to_vec(), vec![0.0, 2.0]);
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] if `self` is a broadcast view.
    pub fn map_<K: MapKernel>(&self, k: K) -> Result<()> {
        check_out(K::NAME, self, self.shape())?;
        if !self.layout().is_dense() {
            let tmp = forward(self, k, Exec::default())?;
            copy_into(&tmp, self);
            return Ok(());
        }
        let n = self.numel();
        let start = self.offset();
        let mut guard = self.storage().write();
        let region = &mut guard[start..start + n];
        let (threads, tasks) = crate::parallel::get().split(n);
        let ranges = split_ranges(n, tasks, super::drive::TASK_ALIGN);
        if ranges.len() <= 1 {
            k.forward_in_place(region);
            return Ok(());
        }
        let mut rest = region;
        let mut pieces = Vec::with_capacity(ranges.len());
        for &(s, e) in &ranges {
            let (head, tail) = core::mem::take(&mut rest).split_at_mut(e - s);
            rest = tail;
            pieces.push(head);
        }
        crate::parallel::for_each_piece(threads, pieces, |_, piece| k.forward_in_place(piece));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::builtins::{Exp, Relu, Sigmoid};
    use crate::Tensor;

    fn input() -> Tensor<f32> {
        let v: Vec<f32> = (0..300).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
        Tensor::from_vec(v, &[3, 100]).unwrap()
    }

    /// The in-place backward (taken when the pass owns the gradient) gives the same bits as the
    /// out-of-place one (taken when the caller keeps the seed), and never writes the seed.
    #[test]
    fn owned_gradients_are_overwritten_in_place_with_the_same_values() {
        let seed_values: Vec<f32> = (0..300).map(|i| 1.0 + i as f32 * 0.01).collect();
        let seed = Tensor::from_vec(seed_values.clone(), &[3, 100]).unwrap();
        // Chains: the inner node receives a gradient the pass owns (in place); the outer node
        // gets the caller's seed (shared, so out of place).
        let run = |chain: bool| {
            let x = input().requires_grad_(true);
            let y = x.map(Relu).unwrap().map(Exp).unwrap();
            let z = if chain { y.map(Sigmoid).unwrap() } else { y };
            z.backward_with(&seed).unwrap();
            x.grad().unwrap().to_vec()
        };
        let chained = run(true);
        assert_eq!(
            seed.to_vec(),
            seed_values,
            "the caller's seed is never overwritten"
        );
        // The same gradient computed node by node with the slice kernels (out of place).
        use crate::kernel::MapKernel;
        let x = input().to_vec();
        let r: Vec<f32> = x.iter().map(|&v| Relu::scalar(v)).collect();
        let mut e = vec![0.0f32; 300];
        Exp.forward(&r, &mut e).unwrap();
        let mut g = vec![0.0f32; 300];
        Sigmoid.backward(&e, &seed_values, &mut g).unwrap();
        let mut g2 = vec![0.0f32; 300];
        Exp.backward(&r, &g, &mut g2).unwrap();
        Relu.backward(&x, &g2, &mut g).unwrap();
        let want: Vec<u32> = g.iter().map(|v| v.to_bits()).collect();
        let got: Vec<u32> = chained.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want);
        let _ = run(false);
        assert_eq!(seed.to_vec(), seed_values);
    }
}
