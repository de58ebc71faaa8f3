//! Register stores of the map/zip slice drivers: ordinary, or non-temporal for outputs too
//! large to stay in cache.
//!
//! An ordinary store to a line that is not cached first reads the line (write-allocate), so a
//! map over a DRAM-sized output moves three streams (read `x`, read `out`, write `out`). A
//! streaming store (`vmovntps`) writes whole lines without reading them: two streams, which is
//! what lets the generated maps beat the plain loop at 2^24 elements (the plain loop cannot
//! ask for it). Below [`STREAM_MIN_BYTES`] the output is better left in cache for its reader.
//!
//! The drivers are written once over a `const NT: bool`: the streaming variant runs the same
//! loop and indexing and differs only in [`put`], which falls back to an ordinary store on any
//! backend other than AVX-512/AVX2 and at any address that is not register-aligned. So the
//! scalar backend (which Miri runs) covers the streaming drivers' indexing too.

use pulp::Simd;

use crate::simd::SimdElement;

/// Outputs of at least this many bytes are written with streaming stores: half of a 32 MiB
/// L3, beyond which the output cannot stay cached beside its inputs anyway.
pub(super) const STREAM_MIN_BYTES: usize = 16 << 20;

/// Whether an output of `len` elements of `E` should be streamed.
#[inline]
pub(super) fn wanted<E>(len: usize) -> bool {
    len.saturating_mul(core::mem::size_of::<E>()) >= STREAM_MIN_BYTES
}

/// `*o = v`, as a streaming store when `NT` and the backend and address allow it.
#[inline(always)]
pub(super) fn put<S: Simd, E: SimdElement, const NT: bool>(o: &mut E::V<S>, v: E::V<S>) {
    #[cfg(target_arch = "x86_64")]
    {
        if NT && x86::stream::<S, E>(o, v) {
            return;
        }
    }
    *o = v;
}

/// Orders the streaming stores before any later access (they are weakly ordered); called once
/// after a streaming loop.
#[inline(always)]
pub(super) fn fence<const NT: bool>() {
    // Miri detects no SIMD backend, so no streaming store ever runs under it (and it cannot
    // execute `sfence`): the fence is only needed, and only compiled, outside Miri.
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        if NT {
            x86::sfence();
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;
    use core::mem::{size_of, transmute_copy};

    use pulp::x86::{V3, V4};
    use pulp::Simd;

    use crate::simd::{backend_is, SimdElement};

    /// Streams `v` to `o` if `S` is AVX-512 or AVX2 and `o` is register-aligned; `false` (and
    /// nothing stored) otherwise.
    #[inline(always)]
    pub(super) fn stream<S: Simd, E: SimdElement>(o: &mut E::V<S>, v: E::V<S>) -> bool {
        let p = o as *mut E::V<S>;
        if backend_is::<S, V4>() && size_of::<E::V<S>>() == 64 && (p as usize).is_multiple_of(64) {
            // SAFETY: `S` is `V4`, so AVX-512F was detected at run time (pulp constructs `V4`
            // only then) and this code runs inside its `#[target_feature]` dispatch; `p` is a
            // valid, exclusive, 64-byte-aligned pointer to 64 bytes (a `&mut` to a register of
            // `f32x16`/`f64x8`, size checked above), and `v` has the layout of `__m512i`.
            unsafe { _mm512_stream_si512(p.cast::<__m512i>(), transmute_copy(&v)) };
            return true;
        }
        if backend_is::<S, V3>() && size_of::<E::V<S>>() == 32 && (p as usize).is_multiple_of(32) {
            // SAFETY: as above for `V3` (AVX2 detected), a 32-byte register at a 32-byte
            // aligned address with the layout of `__m256i`.
            unsafe { _mm256_stream_si256(p.cast::<__m256i>(), transmute_copy(&v)) };
            return true;
        }
        false
    }

    #[cfg(not(miri))]
    #[inline(always)]
    pub(super) fn sfence() {
        // SAFETY: SSE is part of the x86_64 baseline, so `sfence` exists on every x86_64 CPU.
        unsafe { _mm_sfence() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_half_an_l3_of_output() {
        assert!(!wanted::<f32>((STREAM_MIN_BYTES / 4) - 1));
        assert!(wanted::<f32>(STREAM_MIN_BYTES / 4));
        assert!(wanted::<f64>(STREAM_MIN_BYTES / 8));
        assert!(wanted::<f64>(usize::MAX));
    }
}
