//! Partial-register copies for the packing of short rows.
//!
//! pulp's `partial_load`/`partial_store` go through a table of out-of-line functions (one per
//! mask), which cost conv2d_C's channel engine about 5% of its time to pack 14-wide rows. On
//! AVX-512 the copy is one masked load and one masked store instead; every other backend keeps
//! pulp's.

use pulp::Simd;

use crate::simd::SimdElement;

/// `d.copy_from_slice(x)` for `d.len() == x.len() < lanes`, in one register.
#[inline(always)]
pub(super) fn copy_partial<S: Simd, E: SimdElement>(s: S, d: &mut [E], x: &[E]) {
    #[cfg(target_arch = "x86_64")]
    {
        if x86::copy_partial::<S, E>(d, x) {
            return;
        }
    }
    E::partial_store(s, d, E::partial_load(s, x, E::ZERO));
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;
    use core::mem::size_of;

    use pulp::x86::V4;
    use pulp::Simd;

    use crate::simd::{backend_is, SimdElement};

    /// The masked copy on AVX-512; `false` (nothing copied) on any other backend or when the
    /// lengths do not fit one register.
    #[inline(always)]
    pub(super) fn copy_partial<S: Simd, E: SimdElement>(d: &mut [E], x: &[E]) -> bool {
        let n = x.len();
        if !backend_is::<S, V4>() || d.len() != n || n >= E::lanes::<S>() {
            return false;
        }
        if size_of::<E>() == 4 && E::lanes::<S>() == 16 {
            let k = ((1u32 << n) - 1) as __mmask16;
            // SAFETY: `S` is `V4`, so AVX-512F was detected at run time and this runs inside
            // its `#[target_feature]` dispatch. `E` is `f32` (4 bytes, 16 lanes); the mask
            // selects the first `n` lanes, exactly `x` and `d` (equal lengths, checked), and
            // masked-off lanes are neither read nor written (no fault either).
            unsafe {
                let v = _mm512_maskz_loadu_ps(k, x.as_ptr().cast::<f32>());
                _mm512_mask_storeu_ps(d.as_mut_ptr().cast::<f32>(), k, v);
            }
            return true;
        }
        if size_of::<E>() == 8 && E::lanes::<S>() == 8 {
            let k = ((1u32 << n) - 1) as __mmask8;
            // SAFETY: as above, with `E` = `f64` (8 bytes, 8 lanes).
            unsafe {
                let v = _mm512_maskz_loadu_pd(k, x.as_ptr().cast::<f64>());
                _mm512_mask_storeu_pd(d.as_mut_ptr().cast::<f64>(), k, v);
            }
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::arch;
    use pulp::WithSimd;

    struct Check<E>(core::marker::PhantomData<E>);
    impl<E: SimdElement> WithSimd for Check<E> {
        type Output = ();
        fn with_simd<S: Simd>(self, s: S) {
            let l = E::lanes::<S>();
            let x: Vec<E> = (0..l).map(|i| E::from_usize(i + 1)).collect();
            for n in 0..l {
                let mut d = vec![E::ZERO; l + 2];
                copy_partial::<S, E>(s, &mut d[1..1 + n], &x[..n]);
                assert_eq!(&d[1..1 + n], &x[..n], "{n} of {l} lanes");
                assert!(d[0] == E::ZERO && d[1 + n..].iter().all(|&v| v == E::ZERO));
            }
        }
    }

    #[test]
    fn copies_exactly_the_first_lanes() {
        arch().dispatch(Check::<f32>(core::marker::PhantomData));
        arch().dispatch(Check::<f64>(core::marker::PhantomData));
        Check::<f32>(core::marker::PhantomData).with_simd(pulp::Scalar::new());
    }
}
