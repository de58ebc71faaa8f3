//! `Tensor::zip`: a [`ZipKernel`] over two tensors with NumPy broadcasting, its output-buffer
//! and in-place variants, and the backward pass autograd records for it.

use crate::autograd::{self, needs_grad};
use crate::kernel::ZipKernel;
use crate::shape::broadcast_shapes;
use crate::simd::SimdElement;
use crate::{Error, Result, Tensor};

use super::drive::{drive_fresh, drive_into, with_slices, Exec, RunKernel, Src, GATHER};
use super::map::ok;
use super::plan::{check_out, copy_into, output_layout, tensor_from, walk_for};
use super::walk::Walk;

/// The forward of a zip kernel on one run; broadcast operands use the scalar-operand drivers.
struct Forward<K>(K);

impl<K: ZipKernel, E: SimdElement> RunKernel<E, 2, 1> for Forward<K> {
    fn run(&self, [a, b]: [Src<'_, E>; 2], [out]: [&mut [E]; 1]) {
        match (a, b) {
            (Src::Slice(a), Src::Slice(b)) => ok(self.0.forward(a, b, out)),
            (Src::Slice(a), Src::Scalar(b)) => ok(self.0.forward_rhs_scalar(a, b, out)),
            (Src::Scalar(a), Src::Slice(b)) => ok(self.0.forward_lhs_scalar(a, b, out)),
            (Src::Scalar(a), Src::Scalar(b)) => {
                let mut one = [E::ZERO];
                ok(self.0.forward(&[a], &[b], &mut one));
                out.fill(one[0]);
            }
        }
    }
}

/// `(g · ∂f/∂a, g · ∂f/∂b)` on one run.
struct Backward<K>(K);

impl<K: ZipKernel, E: SimdElement> RunKernel<E, 3, 2> for Backward<K> {
    fn run(&self, ins: [Src<'_, E>; 3], outs: [&mut [E]; 2]) {
        with_slices(ins, outs, |[a, b, g], [ga, gb]| {
            ok(self.0.backward(a, b, g, ga, gb))
        });
    }
}

/// The broadcast shape of `a` and `b`, or [`Error::Broadcast`] naming the op and both shapes.
fn broadcast_shape<E: SimdElement>(
    op: &'static str,
    a: &Tensor<E>,
    b: &Tensor<E>,
) -> Result<Vec<usize>> {
    broadcast_shapes(a.shape(), b.shape()).map_err(|e| match e {
        Error::Broadcast { .. } => Error::Broadcast {
            op,
            lhs: a.shape().to_vec(),
            rhs: b.shape().to_vec(),
        },
        other => other,
    })
}

/// The forward pass alone (no recording), into a fresh tensor of the broadcast shape.
pub(crate) fn forward<E: SimdElement, K: ZipKernel>(
    a: &Tensor<E>,
    b: &Tensor<E>,
    k: K,
    exec: Exec,
) -> Result<Tensor<E>> {
    let shape = broadcast_shape(K::NAME, a, b)?;
    let la = a.layout().broadcast_to(&shape)?;
    let lb = b.layout().broadcast_to(&shape)?;
    let layout = output_layout(&shape, &[&la, &lb], exec.path)?;
    let [data] = drive_fresh(K::NAME, &layout, [a, b], [&la, &lb], exec, &Forward(k))?;
    Ok(tensor_from(data, layout))
}

/// The gradients of `a` and `b` (each summed back to its own shape) for the upstream `g`.
pub(crate) fn backward<E: SimdElement, K: ZipKernel>(
    k: K,
    a: &Tensor<E>,
    b: &Tensor<E>,
    g: &Tensor<E>,
) -> Result<(Tensor<E>, Tensor<E>)> {
    let shape = broadcast_shape(K::NAME, a, b)?;
    let la = a.layout().broadcast_to(&shape)?;
    let lb = b.layout().broadcast_to(&shape)?;
    let g = g.broadcast_to(&shape)?;
    let exec = Exec::default();
    let layout = output_layout(&shape, &[&la, &lb, g.layout()], exec.path)?;
    let [ga, gb] = drive_fresh(
        K::NAME,
        &layout,
        [a, b, &g],
        [&la, &lb, g.layout()],
        exec,
        &Backward(k),
    )?;
    let ga = tensor_from(ga, layout.clone()).sum_to_shape(a.shape())?;
    let gb = tensor_from(gb, layout).sum_to_shape(b.shape())?;
    Ok((ga, gb))
}

/// The zip, recorded for autograd.
pub(crate) fn zip_recorded<E: SimdElement, K: ZipKernel>(
    a: &Tensor<E>,
    b: &Tensor<E>,
    k: K,
    exec: Exec,
) -> Result<Tensor<E>> {
    let out = forward(a, b, k, exec)?;
    if !needs_grad(&[a, b]) {
        return Ok(out);
    }
    let (sa, sb) = (a.detach(), b.detach());
    let (want_a, want_b) = (a.requires_grad(), b.requires_grad());
    Ok(autograd::record(K::NAME, out, &[a, b], move |g| {
        let (ga, gb) = backward(k, &sa, &sb, g)?;
        Ok(vec![want_a.then_some(ga), want_b.then_some(gb)])
    }))
}

impl<E: SimdElement> Tensor<E> {
    /// Combines `self` and `other` elementwise with the kernel `k` (declared with
    /// `#[simdgrad::zip]`), broadcasting them to a common shape by NumPy's rules.
    ///
    /// A broadcast operand is never materialised: runs along a stretched inner dim use the
    /// kernel's scalar-operand drivers, other runs its slice driver. Recorded for autograd:
    /// the gradients come from the kernel's derived `backward`, and a broadcast input's
    /// gradient is summed back to its shape.
    ///
    /// ```
    /// use simdgrad::Tensor;
    ///
    /// #[simdgrad::zip]
    /// fn hypot(a: f32, b: f32) -> f32 {
    ///     sqrt(a * a + b * b)
    /// }
    ///
    /// let a = Tensor::<f32>::from_vec(vec![3.0, 5.0], &[2, 1]).unwrap();
    /// let b = Tensor::<f32>::from_vec(vec![4.0, 12.0], &[2]).unwrap();
    /// let c = a.zip(&b, Hypot).unwrap();
    /// assert_eq!(c.shape(), &[2, 2]);
    /// assert_eq!(c.to_vec(), vec![5.0, 12.369317, 6.4031243, 13.0]);
    /// ```
    ///
    /// # Errors
    /// [`Error::Broadcast`] naming the op and both shapes if they do not broadcast.
    pub fn zip<K: ZipKernel>(&self, other: &Tensor<E>, k: K) -> Result<Tensor<E>> {
        zip_recorded(self, other, k, Exec::default())
    }

    /// [`Tensor::zip`] with explicit execution knobs (path, parallelism); for tests.
    #[doc(hidden)]
    pub fn zip_exec<K: ZipKernel>(&self, other: &Tensor<E>, k: K, exec: Exec) -> Result<Tensor<E>> {
        zip_recorded(self, other, k, exec)
    }

    /// [`Tensor::zip`] writing into `out` (any layout of the broadcast shape). Not recorded
    /// for autograd.
    ///
    /// # Errors
    /// [`Error::Broadcast`]; [`Error::ShapeMismatch`] if `out` does not have the broadcast
    /// shape; [`Error::InvalidArgument`] if `out` is a broadcast view.
    pub fn zip_into<K: ZipKernel>(
        &self,
        other: &Tensor<E>,
        k: K,
        out: &mut Tensor<E>,
    ) -> Result<()> {
        self.zip_into_exec(other, k, out, Exec::default())
    }

    /// [`Tensor::zip_into`] with explicit execution knobs; for tests.
    #[doc(hidden)]
    pub fn zip_into_exec<K: ZipKernel>(
        &self,
        other: &Tensor<E>,
        k: K,
        out: &mut Tensor<E>,
        exec: Exec,
    ) -> Result<()> {
        let shape = broadcast_shape(K::NAME, self, other)?;
        check_out(K::NAME, out, &shape)?;
        let aliased = out.shares_storage_with(self) || out.shares_storage_with(other);
        if aliased || !out.layout().is_dense() {
            let tmp = forward(self, other, k, exec)?;
            copy_into(&tmp, out);
            return Ok(());
        }
        let la = self.layout().broadcast_to(&shape)?;
        let lb = other.layout().broadcast_to(&shape)?;
        drive_into(out, [self, other], [&la, &lb], exec, &Forward(k));
        Ok(())
    }

    /// `self = k(self, other)` in place, `other` broadcast to `self`'s shape (the update of an
    /// optimiser step, without allocating). Not recorded for autograd.
    ///
    /// ```
    /// use simdgrad::ops::builtins::Sub;
    /// use simdgrad::Tensor;
    ///
    /// let w = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0], &[3]).unwrap();
    /// let step = Tensor::<f32>::from_vec(vec![0.5, 0.5, 0.5], &[3]).unwrap();
    /// w.zip_(&step, Sub).unwrap();
    /// assert_eq!(w.to_vec(), vec![0.5, 1.5, 2.5]);
    /// ```
    ///
    /// # Errors
    /// [`Error::Broadcast`] if `other` does not broadcast to `self`'s shape;
    /// [`Error::InvalidArgument`] if `self` is a broadcast view.
    pub fn zip_<K: ZipKernel>(&self, other: &Tensor<E>, k: K) -> Result<()> {
        check_out(K::NAME, self, self.shape())?;
        let lb = other
            .layout()
            .broadcast_to(self.shape())
            .map_err(|_| Error::Broadcast {
                op: K::NAME,
                lhs: self.shape().to_vec(),
                rhs: other.shape().to_vec(),
            })?;
        if other.shares_storage_with(self) || !self.layout().is_dense() {
            let tmp = forward(self, other, k, Exec::default())?;
            copy_into(&tmp, self);
            return Ok(());
        }
        // Walk `other` in `self`'s storage order; each batch of `self` is copied to a stack
        // buffer first, so the kernel reads and writes distinct memory.
        let walk: Walk<1> = walk_for(self.layout(), [&lb]);
        let b_guard = other.storage().read();
        let bdata = b_guard.as_slice();
        let mut guard = self.storage().write();
        let start = self.offset();
        let region = &mut guard[start..start + walk.numel];
        let [sb] = walk.inner_strides;
        let mut abuf = [E::ZERO; GATHER];
        let mut bbuf = [E::ZERO; GATHER];
        walk.for_each_run(0, walk.numel, |at, len, [pb]| {
            let mut k0 = 0;
            while k0 < len {
                let take = (len - k0).min(GATHER);
                let out = &mut region[at + k0..at + k0 + take];
                abuf[..take].copy_from_slice(out);
                let first = pb + k0 * sb;
                match sb {
                    0 => ok(k.forward_rhs_scalar(&abuf[..take], bdata[first], out)),
                    1 => ok(k.forward(&abuf[..take], &bdata[first..first + take], out)),
                    _ => {
                        for (j, v) in bbuf[..take].iter_mut().enumerate() {
                            *v = bdata[first + j * sb];
                        }
                        ok(k.forward(&abuf[..take], &bbuf[..take], out));
                    }
                }
                k0 += take;
            }
        });
        Ok(())
    }
}
