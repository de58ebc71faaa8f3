//! Lane shuffles for stride-2 pooling: split `2L` consecutive elements into their even and odd
//! elements *in order* (`unzip`), and the inverse (`zip`).
//!
//! pulp's `deinterleave_shfl_*` keeps each 128-bit block's elements together (its output order
//! is `0, 16, 2, 18, …` for AVX-512 `f32`), which is the wrong order for a pooled row, so the
//! x86 backends use one cross-lane permute (`vpermt2ps/pd`, AVX-512) or shuffle + `vpermpd`
//! (AVX2); any other backend goes through a small stack buffer. Measured on the bench-card
//! shape, the in-register path makes the 2×2 / stride-2 kernels several times faster than a
//! scalar loop (see the pool benches).

use core::mem::{size_of, transmute_copy};

use pulp::Simd;

use crate::simd::SimdElement;

/// Even and odd elements of the `2L` elements `[a, b]`, each in order.
#[inline(always)]
pub(crate) fn unzip<S: Simd, E: SimdElement>(s: S, a: E::V<S>, b: E::V<S>) -> (E::V<S>, E::V<S>) {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(r) = x86::unzip::<S, E>(a, b) {
            return r;
        }
    }
    let lanes = E::lanes::<S>();
    let mut buf = [E::ZERO; 32];
    let mut ev = [E::ZERO; 16];
    let mut od = [E::ZERO; 16];
    E::partial_store(s, &mut buf[..lanes], a);
    E::partial_store(s, &mut buf[lanes..2 * lanes], b);
    for j in 0..lanes {
        ev[j] = buf[2 * j];
        od[j] = buf[2 * j + 1];
    }
    (
        E::partial_load(s, &ev[..lanes], E::ZERO),
        E::partial_load(s, &od[..lanes], E::ZERO),
    )
}

/// The inverse of [`unzip`]: `[ev0, od0, ev1, od1, …]` as two registers.
#[inline(always)]
pub(crate) fn zip<S: Simd, E: SimdElement>(s: S, ev: E::V<S>, od: E::V<S>) -> (E::V<S>, E::V<S>) {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(r) = x86::zip::<S, E>(ev, od) {
            return r;
        }
    }
    let lanes = E::lanes::<S>();
    let mut e = [E::ZERO; 16];
    let mut o = [E::ZERO; 16];
    let mut buf = [E::ZERO; 32];
    E::partial_store(s, &mut e[..lanes], ev);
    E::partial_store(s, &mut o[..lanes], od);
    for j in 0..lanes {
        buf[2 * j] = e[j];
        buf[2 * j + 1] = o[j];
    }
    (
        E::partial_load(s, &buf[..lanes], E::ZERO),
        E::partial_load(s, &buf[lanes..2 * lanes], E::ZERO),
    )
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::*;
    use crate::simd::backend_is;
    use core::arch::x86_64::*;
    use pulp::x86::{V3, V4};

    #[inline(always)]
    pub(super) fn unzip<S: Simd, E: SimdElement>(
        a: E::V<S>,
        b: E::V<S>,
    ) -> Option<(E::V<S>, E::V<S>)> {
        let f32s = size_of::<E>() == 4;
        if backend_is::<S, V4>() && size_of::<E::V<S>>() == 64 {
            // SAFETY: `S` is `V4`, so AVX-512F was detected at run time and `E::V<S>` is a
            // 64-byte register (`f32x16` or `f64x8`, checked above) with the layout of `__m512`.
            unsafe {
                if f32s {
                    let (a, b): (__m512, __m512) = (transmute_copy(&a), transmute_copy(&b));
                    let ie = _mm512_setr_epi32(
                        0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30,
                    );
                    let io = _mm512_setr_epi32(
                        1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31,
                    );
                    let (e, o) = (
                        _mm512_permutex2var_ps(a, ie, b),
                        _mm512_permutex2var_ps(a, io, b),
                    );
                    return Some((transmute_copy(&e), transmute_copy(&o)));
                }
                let (a, b): (__m512d, __m512d) = (transmute_copy(&a), transmute_copy(&b));
                let ie = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
                let io = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
                let (e, o) = (
                    _mm512_permutex2var_pd(a, ie, b),
                    _mm512_permutex2var_pd(a, io, b),
                );
                return Some((transmute_copy(&e), transmute_copy(&o)));
            }
        }
        if backend_is::<S, V3>() && size_of::<E::V<S>>() == 32 {
            // SAFETY: `S` is `V3`, so AVX2 was detected at run time and `E::V<S>` is a 32-byte
            // register (`f32x8` or `f64x4`) with the layout of `__m256`.
            unsafe {
                if f32s {
                    let (a, b): (__m256, __m256) = (transmute_copy(&a), transmute_copy(&b));
                    // [a0 a2 b0 b2 | a4 a6 b4 b6] → 64-bit blocks reordered 0 2 1 3.
                    let e = _mm256_shuffle_ps::<0b10_00_10_00>(a, b);
                    let o = _mm256_shuffle_ps::<0b11_01_11_01>(a, b);
                    let fix = |v: __m256| {
                        _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(
                            v,
                        )))
                    };
                    return Some((transmute_copy(&fix(e)), transmute_copy(&fix(o))));
                }
                let (a, b): (__m256d, __m256d) = (transmute_copy(&a), transmute_copy(&b));
                let e = _mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_unpacklo_pd(a, b));
                let o = _mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_unpackhi_pd(a, b));
                return Some((transmute_copy(&e), transmute_copy(&o)));
            }
        }
        None
    }

    #[inline(always)]
    pub(super) fn zip<S: Simd, E: SimdElement>(
        ev: E::V<S>,
        od: E::V<S>,
    ) -> Option<(E::V<S>, E::V<S>)> {
        let f32s = size_of::<E>() == 4;
        if backend_is::<S, V4>() && size_of::<E::V<S>>() == 64 {
            // SAFETY: as in `unzip`.
            unsafe {
                if f32s {
                    let (a, b): (__m512, __m512) = (transmute_copy(&ev), transmute_copy(&od));
                    let il =
                        _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
                    let ih = _mm512_setr_epi32(
                        8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31,
                    );
                    let (l, h) = (
                        _mm512_permutex2var_ps(a, il, b),
                        _mm512_permutex2var_ps(a, ih, b),
                    );
                    return Some((transmute_copy(&l), transmute_copy(&h)));
                }
                let (a, b): (__m512d, __m512d) = (transmute_copy(&ev), transmute_copy(&od));
                let il = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
                let ih = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
                let (l, h) = (
                    _mm512_permutex2var_pd(a, il, b),
                    _mm512_permutex2var_pd(a, ih, b),
                );
                return Some((transmute_copy(&l), transmute_copy(&h)));
            }
        }
        if backend_is::<S, V3>() && size_of::<E::V<S>>() == 32 {
            // SAFETY: as in `unzip`.
            unsafe {
                if f32s {
                    let (a, b): (__m256, __m256) = (transmute_copy(&ev), transmute_copy(&od));
                    let (lo, hi) = (_mm256_unpacklo_ps(a, b), _mm256_unpackhi_ps(a, b));
                    let l = _mm256_permute2f128_ps::<0x20>(lo, hi);
                    let h = _mm256_permute2f128_ps::<0x31>(lo, hi);
                    return Some((transmute_copy(&l), transmute_copy(&h)));
                }
                let (a, b): (__m256d, __m256d) = (transmute_copy(&ev), transmute_copy(&od));
                let (lo, hi) = (_mm256_unpacklo_pd(a, b), _mm256_unpackhi_pd(a, b));
                let l = _mm256_permute2f128_pd::<0x20>(lo, hi);
                let h = _mm256_permute2f128_pd::<0x31>(lo, hi);
                return Some((transmute_copy(&l), transmute_copy(&h)));
            }
        }
        None
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
            let x: Vec<E> = (0..2 * l).map(E::from_usize).collect();
            let a = E::partial_load(s, &x[..l], E::ZERO);
            let b = E::partial_load(s, &x[l..], E::ZERO);
            let (e, o) = unzip::<S, E>(s, a, b);
            let mut got = vec![E::ZERO; 2 * l];
            E::partial_store(s, &mut got[..l], e);
            E::partial_store(s, &mut got[l..], o);
            let want: Vec<E> = (0..l)
                .map(|j| x[2 * j])
                .chain((0..l).map(|j| x[2 * j + 1]))
                .collect();
            assert_eq!(got, want, "unzip, {l} lanes");
            let (p, q) = zip::<S, E>(s, e, o);
            E::partial_store(s, &mut got[..l], p);
            E::partial_store(s, &mut got[l..], q);
            assert_eq!(got, x, "zip, {l} lanes");
        }
    }

    #[test]
    fn unzip_and_zip_keep_element_order_on_every_backend() {
        arch().dispatch(Check::<f32>(Default::default()));
        arch().dispatch(Check::<f64>(Default::default()));
        Check::<f32>(Default::default()).with_simd(pulp::Scalar::new());
        Check::<f64>(Default::default()).with_simd(pulp::Scalar::new());
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            Check::<f32>(Default::default()).with_simd(v3);
            Check::<f64>(Default::default()).with_simd(v3);
        }
    }
}
