//! Which pulp backend a generic kernel was dispatched to, for the few kernels (streaming stores,
//! lane shuffles) that take an ISA-specific instruction where pulp has no portable one.

use core::any::TypeId;

use pulp::Simd;

/// `true` when the dispatched backend `S` is the pulp type `T` (e.g. `pulp::x86::V4`).
///
/// Both are types known at compile time, so after monomorphisation this is a constant and the
/// branch it guards disappears.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
#[inline(always)]
pub(crate) fn backend_is<S: Simd, T: 'static>() -> bool {
    TypeId::of::<S>() == TypeId::of::<T>()
}

/// Runs `op()` under every pulp backend this machine has: the dispatched one, pulp's scalar
/// one and, on x86-64, AVX2 (`V3`) where present (the dispatch picks AVX-512 where it can);
/// the outputs in that order, for tests that hold every backend to the same results.
#[cfg(test)]
pub(crate) fn on_each_backend<Op: pulp::WithSimd>(op: impl Fn() -> Op) -> Vec<Op::Output> {
    let mut out = vec![
        crate::kernel::arch().dispatch(op()),
        Simd::vectorize(pulp::Scalar::new(), op()),
    ];
    #[cfg(target_arch = "x86_64")]
    if let Some(v3) = pulp::x86::V3::try_new() {
        out.push(Simd::vectorize(v3, op()));
    }
    out
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::backend_is;
    use pulp::x86::{V3, V4};
    use pulp::Scalar;

    #[test]
    fn names_only_the_backend_itself() {
        assert!(backend_is::<V3, V3>());
        assert!(!backend_is::<V3, V4>());
        assert!(!backend_is::<Scalar, V3>());
    }
}
