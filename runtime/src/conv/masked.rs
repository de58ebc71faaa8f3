//! Partial-register copies for the packing of short `f32` rows.
//!
//! pulp's `partial_load`/`partial_store` go through a table of out-of-line functions (one per
//! mask), which cost conv2d_C's channel engine about 5% of its time to pack 14-wide rows. On
//! AVX-512 the copy is one masked load and one masked store instead; every other backend keeps
//! pulp's.

use pulp::Simd;

use crate::simd::SimdElement;

/// `d.copy_from_slice(x)` for `d.len() == x.len() < lanes`, in one register.
#[inline(always)]
pub(super) fn copy_partial<S: Simd>(s: S, d: &mut [f32], x: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if x86::copy_partial::<S>(d, x) {
            return;
        }
    }
    <f32 as SimdElement>::partial_store(s, d, <f32 as SimdElement>::partial_load(s, x, 0.0));
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    use pulp::x86::V4;
    use pulp::Simd;

    use crate::simd::{backend_is, SimdElement};

    /// The masked copy on AVX-512; `false` (nothing copied) on any other backend or when the
    /// lengths do not fit one register.
    #[inline(always)]
    pub(super) fn copy_partial<S: Simd>(d: &mut [f32], x: &[f32]) -> bool {
        let n = x.len();
        if !backend_is::<S, V4>() || d.len() != n || n >= <f32 as SimdElement>::lanes::<S>() {
            return false;
        }
        let k = ((1u32 << n) - 1) as __mmask16;
        // SAFETY: `S` is `V4`, so AVX-512F was detected at run time and this runs inside its
        // `#[target_feature]` dispatch. The mask selects the first `n < 16` lanes, exactly `x`
        // and `d` (equal lengths, checked), and masked-off lanes are neither read nor written
        // (no fault either).
        unsafe {
            let v = _mm512_maskz_loadu_ps(k, x.as_ptr());
            _mm512_mask_storeu_ps(d.as_mut_ptr(), k, v);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::arch;
    use pulp::WithSimd;

    struct Check;
    impl WithSimd for Check {
        type Output = ();
        fn with_simd<S: Simd>(self, s: S) {
            let l = <f32 as SimdElement>::lanes::<S>();
            let x: Vec<f32> = (0..l).map(|i| (i + 1) as f32).collect();
            for n in 0..l {
                let mut d = vec![0.0f32; l + 2];
                copy_partial::<S>(s, &mut d[1..1 + n], &x[..n]);
                assert_eq!(&d[1..1 + n], &x[..n], "{n} of {l} lanes");
                assert!(d[0] == 0.0 && d[1 + n..].iter().all(|&v| v == 0.0));
            }
        }
    }

    #[test]
    fn copies_exactly_the_first_lanes() {
        arch().dispatch(Check);
        Check.with_simd(pulp::Scalar::new());
    }
}
