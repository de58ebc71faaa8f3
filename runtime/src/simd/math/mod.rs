//! Vector math functions of the kernel DSL, generic over pulp's [`Simd`] backends and the element
//! type, written once against a few bit-level primitives (the crate-private `Bits` and `Prim`
//! traits) implemented for `f32` and `f64`.
//!
//! # Accuracy
//!
//! Errors are in ulps of the result. **f32** is measured against the f64 libm value rounded to
//! f32 (within 0.5 ulp of the exact value plus ~2^-29 ulp, so the bound is against the
//! correctly rounded result up to rare double-rounding ties). **f64** has no wider type here: it
//! is measured against the platform libm (glibc), itself within 1 ulp, so "≤ N ulp" for f64 means
//! "≤ N ulp from glibc", i.e. at most N + 1 from the exact value.
//!
//! | function | f32 exhaustive (2^32 inputs) | f32 dense | f64 dense | bound asserted (f32 / f64) |
//! |---|---|---|---|---|
//! | `exp` | 1 | 1 | 1 | 1 / 1 |
//! | `exp2` | 1 | 1 | 1 | 1 / 1 |
//! | `ln` | 1 | 1 | 1 | 1 / 1 |
//! | `log2` | 1 | 1 | 1 | 1 / 1 |
//! | `log1p` | 1 | 1 | 1 | 2 / 2 |
//! | `expm1` | 1 | 1 | 1 | 2 / 2 |
//! | `tanh` | 2 | 2 | 2 | 2 / 2 |
//! | `sigmoid` | 2 | 2 | 2 | 2 / 2 |
//! | `erf` | 1 | 1 | 1 | 2 / 2 |
//! | `sin`, `cos` | 1 | 1 | 1 | 2 / 2 |
//! | `rsqrt` | 1 | 1 | 0 | 1 / 1 |
//! | `sqrt`, `recip` | 0 | 0 | 0 | 0 (correctly rounded) |
//! | `powf` | – (two arguments) | 1 | 1 | 2 / 2 |
//! | `powi` | – | ≤ 2 | ≤ 2 | 2 / 2 |
//! | `abs`, `signum`, `max`, `min`, `clamp`, `relu`, `floor`, `ceil`, `round` | exact | | | 0 |
//!
//! "dense" is 2 M inputs per type and function (random bit patterns plus uniform samples of
//! [-30, 30]); CI runs a smaller dense sample (`runtime/tests/simd/accuracy.rs`) on every
//! backend of the machine, and asserts identical results (NaN-ness included) across backends. The exhaustive
//! column was measured on 2026-11-26 (AVX-512 dispatch, 2 threads, 1–17 min per function) with
//! `SIMD_SWEEP=exp,exp2,ln,log2,log1p,expm1,tanh,sigmoid,erf,sin cargo test --release -p
//! simdgrad --test simd -- --ignored --nocapture exhaustive::` (`cos`: 1 ulp at `-4.2286396e-4`,
//! 11 min; `rsqrt`: 1 ulp at the subnormal `4e-45`, 2 min; `sqrt` and `recip`: 0 ulp,
//! correctly rounded for every input, 139 s / 148 s on a loaded machine; all 2026-11-26, same
//! command with `SIMD_SWEEP=cos` / `rsqrt` / `sqrt,recip`; "–" = not run). `tanh` was measured
//! again after its f32 rewrite (one rounding of `e^{2|x|} − 1`, one division; 1 ulp before):
//! 2 ulp at `-1.1615597e-4`, 15 s, 2026-11-27, `SIMD_SWEEP=tanh`. After `exp`'s fast-path
//! rewrite (one-FMA rounding, minimax `Q`, Estrin; see `exp.rs`) the functions built on it were
//! swept again on an AVX2 machine, 2026-11-27: `exp` 1 ulp (at `-3.278256e-7`, 43 s),
//! `sigmoid` 2 ulp (at `-1.098797`, 45 s), `erf` 1 ulp (at `-1.1248e-41`, 37 s), `tanh` 2 ulp
//! (at `-1.1615597e-4`, 31 s; with the minimax `Q` in its `expm1` it was 3 ulp, so `tanh`
//! keeps the Taylor polynomial). The dense columns
//! with `… --test simd -- --ignored --nocapture print_dense`.
//!
//! # Special values
//!
//! All functions give the IEEE/libm results at ±0, ±inf, NaN, overflow and in the gradual
//! underflow range: `exp` and `exp2` scale by two powers of two so subnormal results round once
//! (within the table's bound, no flush to zero); `exp(x) = +inf` past `ln(MAX)`; `ln` scales
//! subnormal inputs up first, `ln(±0) = -inf`, `ln(x<0) = NaN`; `tanh` saturates to exactly ±1
//! and keeps `tanh(±0) = ±0`; `sigmoid(-inf) = 0`, `sigmoid(+inf) = 1` with no overflow for any
//! input; `powi(x, 0) = 1` for every `x` (NaN included). `max`/`min`/`clamp` return NaN if any
//! operand is NaN and order `-0 < +0`; `relu(NaN) = NaN`, `relu(-0) = +0`; `signum(±0) = ±0`,
//! `signum(NaN) = NaN`; `round` rounds half away from zero.
//!
//! # How
//!
//! * Every backend (AVX-512, AVX2, pulp's scalar one) evaluates the same operations with true
//!   fused multiply-adds, so results are **bit-identical across ISAs** (tested). On the scalar
//!   backend (CPUs without AVX2/FMA) the FMA is done in software: correct but slow.
//! * `max`/`min`/`clamp`/`relu` use explicit compares and selects: NaN propagates (PyTorch
//!   semantics), never x86's "second operand" rule.
//! * The exp family (`exp`, `exp2`, `expm1`, and through them `sigmoid`, `erf`, `powf`) tests
//!   once per register whether every lane is in the range where the argument clamps are no-ops
//!   and a single `2^k` keeps the result normal; if so it skips the clamps and scales by one
//!   `2^k` instead of two (same bits: tested against the exact path on every backend, and for
//!   every f32 of the fast range). Registers with any lane outside (NaN, ±inf, overflow, gradual
//!   underflow) take the exact path. `tanh` has no such branch: it clamps `|x|` to its
//!   saturation threshold, inside its fast range, so inputs that straddle the threshold cost no
//!   mispredictions.
//! * `sin`/`cos` reduce by π/2 in vector registers for `|x| ≤ 65536` (f32) / `2^20` (f64); lanes
//!   beyond that are computed by the scalar libm function (a rare, slower path).
//! * `powf` is `exp(y·ln|x|)` with `ln` as a double-word (`ln m = 2s + s³·T(s²)`, leading
//!   terms in extra precision) and `y·ln|x|` as a double-word, then the C99/IEEE special cases
//!   by selects (`pow(x, ±0) = pow(1, y) = pow(-1, ±inf) = 1`, odd/even integer exponents of
//!   negative bases and of `±0`/`-inf`, NaN for negative bases with non-integer exponents).
//!   The powf "dense" sample is 3 M pairs: bases `±e^U[-30,30]` with exponents `U[-20,20]` or
//!   integers, and bases near 1 with exponents spanning the whole exp range.
//! * `powi` uses exact products for `n ∈ {-1, 0, 1, 2, 3, 4}` (at most two roundings) and
//!   `powf(x, n)` otherwise (for f32 and `|n| > 2^24`, `n` is rounded to f32 first).
//! * Scalar twins ([`crate::simd::ScalarMath`]): std/glibc where it is within 1 ulp, otherwise
//!   (f32 `tanh`, `erf`, `expm1`, `log1p`, `sigmoid`, `rsqrt`) the f64 function rounded once;
//!   exact functions share the vector code's NaN/±0 semantics.

use core::marker::PhantomData;

use pulp::{bytemuck, Simd};

use super::SimdElement;

mod erf;
mod exact;
mod exp;
mod log;
mod pow;
mod tanh_sigmoid;
mod trig;

#[cfg(test)]
mod fast_path_tests;

pub(crate) use erf::erf;
pub(crate) use exact::{ceil, floor, max, min, relu, round, signum};
pub(crate) use exp::{exp, exp2, exp_fast, expm1};
pub(crate) use log::{ln, log1p, log2};
pub(crate) use pow::{powf, powi, rsqrt};
pub(crate) use tanh_sigmoid::{sigmoid, tanh};
pub(crate) use trig::{cos, sin, TrigCoeffs, TRIG_F32, TRIG_F64};

pub(crate) use exact::{scalar_max, scalar_min, scalar_relu, scalar_signum};
pub(crate) use pow::scalar_powi;

/// Taylor coefficients `1/2!, 1/3!, … 1/13!` of `(e^r − 1 − r)/r²` for `|r| ≤ ln2/2` (f64):
/// truncation error below 5e-18 relative.
pub(crate) const EXP_POLY_F64: &[f64] = &[
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362880.0,
    1.0 / 3628800.0,
    1.0 / 39916800.0,
    1.0 / 479001600.0,
    1.0 / 6227020800.0,
];
/// The first six of [`EXP_POLY_F64`], up to `1/7!` (f32): truncation error below 6e-9
/// relative.
pub(crate) const EXP_POLY_F32: &[f64] = EXP_POLY_F64.split_at(6).0;
/// `Q(r) = C[0] + C[1]·r + … + C[4]·r^4 ≈ (e^r − 1 − r)/r²`, minimax for the relative error of
/// `1 + r + r²·Q(r)` against `e^r` on `|r| <= ln2/2 · 1.0005`, rounded to f32 (3.6e-9 relative
/// with these coefficients, 0.06 ulp): `exp`'s polynomial for f32, one term shorter than the
/// Taylor one of [`EXP_POLY_F32`] and more accurate.
pub(crate) const EXP_Q_F32: &[f64] = &[
    0.499_999_94_f32 as f64,
    0.166_665_21_f32 as f64,
    0.041_668_39_f32 as f64,
    0.008_368_745_f32 as f64,
    0.001_381_454_f32 as f64,
];
/// fdlibm `logf` coefficients `Lg1..Lg4` (in `s²`).
pub(crate) const LN_POLY_F32: &[f64] = &[
    f32::from_bits(0x3f2a_aaaa) as f64,
    f32::from_bits(0x3ecc_ce13) as f64,
    f32::from_bits(0x3e91_e9ee) as f64,
    f32::from_bits(0x3e78_9e26) as f64,
];
/// fdlibm `log` coefficients `Lg1..Lg7` (in `s²`).
pub(crate) const LN_POLY_F64: &[f64] = &[
    0.6666666666666735,
    0.3999999999940942,
    0.2857142874366239,
    0.22222198432149784,
    0.1818357216161805,
    0.15313837699209373,
    0.14798198605116586,
];

/// Bit-level building blocks that are the same pulp operation for `f32` and `f64`, generated
/// for both from one name table (`simd/forward.rs`). Everything is `#[inline(always)]`.
pub(crate) trait Bits: SimdElement {
    /// All lanes hold the float with these bits (low bits for `f32`).
    fn splat_bits<S: Simd>(s: S, bits: u64) -> Self::V<S>;
    /// Bitwise and.
    fn and_bits<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// Bitwise or.
    fn or_bits<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// Bitwise xor.
    fn xor_bits<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// `a·b + c` with a single rounding on every backend (software FMA on the scalar one).
    fn fma<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>, c: Self::V<S>) -> Self::V<S>;
    /// True if every lane of `m` is set.
    fn all_lanes<S: Simd>(s: S, m: Self::M<S>) -> bool;
    /// Applies the scalar `f` to the lanes selected by `m`, leaving the others.
    fn map_lanes<S: Simd>(s: S, m: Self::M<S>, x: Self::V<S>, f: fn(Self) -> Self) -> Self::V<S>;
}

/// Taylor coefficients `2/5, 2/7, 2/9, …, 2/25` of `T'(z)` ([`Prim::POW_LOG_POLY`]): f64 takes
/// all eleven, f32 the first five.
pub(crate) const POW_LOG_TAYLOR: &[f64] = &[
    0.4,
    0.2857142857142857,
    0.2222222222222222,
    0.18181818181818182,
    0.15384615384615385,
    0.13333333333333333,
    0.11764705882352941,
    0.10526315789473684,
    0.09523809523809523,
    0.08695652173913043,
    0.08,
];

/// Type-specific building blocks (constants, exponent tricks), implemented for `f32` and `f64`
/// in `impl_f32.rs` / `impl_f64.rs`. Everything is `#[inline(always)]`.
pub(crate) trait Prim: Bits {
    /// Explicit mantissa bits (23 / 52).
    const MANT_BITS: u32;
    /// Clamp range of `exp`'s argument: beyond it the result is exactly `0` or `+inf`.
    const EXP_RANGE: (f64, f64);
    /// Largest `|k|` for which the exp family's fast paths scale by a single `2^k`: `2^k` and
    /// `p·2^k` for `p ∈ [0.7, 1.42]` are normal (two below the exponent range on each side).
    const POW2_FAST_K: f64;
    /// [`EXP_POLY_F32`] or [`EXP_POLY_F64`].
    const EXP_POLY: &'static [f64];
    /// `Q` of `exp`'s `e^r = 1 + r·(1 + r·Q(r))`: [`EXP_Q_F32`] or [`EXP_POLY_F64`].
    const EXP_Q: &'static [f64];
    /// [`LN_POLY_F32`] or [`LN_POLY_F64`].
    const LN_POLY: &'static [f64];
    /// `T'(z)` of `ln m = 2s + s³·(2/3 + z·T'(z))`, `z = s²` (Taylor: `2/5, 2/7, …`).
    const POW_LOG_POLY: &'static [f64];
    /// `ln 2` rounded, and the rounding error (for FMA-based Cody–Waite reduction).
    const LN2_HI: f64;
    /// See [`Prim::LN2_HI`].
    const LN2_LO: f64;
    /// `ln 2` with trailing zero bits, so that `e · LN2_HI_TRUNC` is exact (fdlibm).
    const LN2_HI_TRUNC: f64;
    /// `ln 2 − LN2_HI_TRUNC`.
    const LN2_LO_TRUNC: f64;
    /// Above this, `expm1(x)` rounds like `exp(x)`.
    const EXPM1_BIG: f64;
    /// Above this, `tanh(x)` rounds to exactly 1.
    const TANH_SAT: f64;
    /// `tanh` from `e^{2|x|} − 1` rounded once and one division (`f32`: within 2 ulp, checked
    /// exhaustively), rather than from a double-word `expm1` and a corrected quotient (`f64`,
    /// where the single rounding was not measured).
    const TANH_FMA_EXPM1: bool;
    /// Below this magnitude `expm1`, `log1p`, `tanh`, `sin` return `x` itself.
    const TINY: f64;
    /// Smallest positive normal number.
    const MIN_POSITIVE: f64;
    /// `sin`/`cos` reduction constants and kernels.
    const TRIG: trig::TrigCoeffs;
    /// Largest `|x|` reduced in-vector by `sin`/`cos`; beyond it lanes use scalar libm.
    const TRIG_MAX: f64;

    /// `p·2^k` for a normal `p` and a normal result, where `km = k + 1.5·2^MANT_BITS` is the
    /// rounding sum `k` came from (f32: `k << 23` read off `km`'s bits and added to `p`'s
    /// exponent field, one integer operation; f64: a product by [`Prim::pow2i`]).
    fn mul_pow2_rounded<S: Simd>(s: S, p: Self::V<S>, km: Self::V<S>, k: Self::V<S>) -> Self::V<S>;
    /// `2^k` for integer-valued `k` in the normal exponent range.
    fn pow2i<S: Simd>(s: S, k: Self::V<S>) -> Self::V<S>;
    /// Unbiased exponent of a positive normal `x`, as a float.
    fn exponent<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S>;
    /// Lanes where the integer-valued `k` (|k| < 2^20) has `bit` set (two's complement).
    fn int_bit<S: Simd>(s: S, k: Self::V<S>, bit: u64) -> Self::M<S>;
}

/// Splat of an `f64` constant (rounded to the element type; folded at compile time).
#[inline(always)]
pub(crate) fn c<S: Simd, E: Prim>(s: S, v: f64) -> E::V<S> {
    E::splat(s, E::from_f64(v))
}

/// Horner evaluation `coeffs[0] + x·(coeffs[1] + x·(…))` with fused multiply-adds.
#[inline(always)]
pub(crate) fn poly<S: Simd, E: Prim>(s: S, x: E::V<S>, coeffs: &[f64]) -> E::V<S> {
    let n = coeffs.len();
    let mut acc = c::<S, E>(s, coeffs[n - 1]);
    let mut i = n - 1;
    while i > 0 {
        i -= 1;
        acc = E::fma(s, acc, x, c::<S, E>(s, coeffs[i]));
    }
    acc
}

/// The same polynomial as [`poly`] in Estrin's split: pairs `coeffs[2i] + coeffs[2i+1]·x`
/// (independent of each other), then Horner in `x2 = x²` over the pairs. One multiplication
/// more than Horner (`x2`, often needed anyway) but about half the dependency chain, which is
/// what bounds a loop whose registers each wait on a long chain of FMAs.
#[inline(always)]
pub(crate) fn poly_estrin<S: Simd, E: Prim>(
    s: S,
    x: E::V<S>,
    x2: E::V<S>,
    coeffs: &[f64],
) -> E::V<S> {
    let pair = |i: usize| {
        if i + 1 < coeffs.len() {
            E::fma(s, c::<S, E>(s, coeffs[i + 1]), x, c::<S, E>(s, coeffs[i]))
        } else {
            c::<S, E>(s, coeffs[i])
        }
    };
    let pairs = coeffs.len().div_ceil(2);
    let mut acc = pair(2 * (pairs - 1));
    let mut j = pairs - 1;
    while j > 0 {
        j -= 1;
        acc = E::fma(s, acc, x2, pair(2 * j));
    }
    acc
}

/// `|x|` with the sign bit of `sign`.
#[inline(always)]
pub(crate) fn copysign<S: Simd, E: Prim>(s: S, mag: E::V<S>, sign: E::V<S>) -> E::V<S> {
    let sbit = E::splat(s, -E::ZERO);
    E::or_bits(
        s,
        <E as SimdElement>::abs(s, mag),
        E::and_bits(s, sign, sbit),
    )
}

/// `a + b` as a double-word `(hi, err)` with `hi + err = a + b` exactly (Knuth's TwoSum: no
/// condition on the magnitudes).
#[inline(always)]
pub(crate) fn two_sum<S: Simd, E: Prim>(s: S, a: E::V<S>, b: E::V<S>) -> (E::V<S>, E::V<S>) {
    let hi = <E as SimdElement>::add(s, a, b);
    let bb = <E as SimdElement>::sub(s, hi, a);
    let err = <E as SimdElement>::add(
        s,
        <E as SimdElement>::sub(s, a, <E as SimdElement>::sub(s, hi, bb)),
        <E as SimdElement>::sub(s, b, bb),
    );
    (hi, err)
}

/// `x` rounded to the nearest integer, ties to even, for `|x| < 2^(MANT_BITS−1)`.
#[inline(always)]
pub(crate) fn round_even<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let magic = c::<S, E>(s, 1.5 * (1u64 << E::MANT_BITS) as f64);
    <E as SimdElement>::sub(s, <E as SimdElement>::add(s, x, magic), magic)
}

/// `lo <= x <= hi` clamp that lets NaN through unchanged.
#[inline(always)]
pub(crate) fn clamp_keep_nan<S: Simd, E: Prim>(s: S, x: E::V<S>, lo: f64, hi: f64) -> E::V<S> {
    let lo = c::<S, E>(s, lo);
    let hi = c::<S, E>(s, hi);
    let x = E::select(s, <E as SimdElement>::gt(s, x, hi), hi, x);
    E::select(s, <E as SimdElement>::lt(s, x, lo), lo, x)
}

/// Reads a pulp mask `M` of either shape: a full-width mask (AVX2: one all-ones or zero word
/// `W` per lane, as wide as the unsigned vector `U`) as its words; a bitmask (AVX-512
/// `__mmask`, the scalar backend's `bool`) as an integer, lane `i` at bit `i`.
pub(crate) struct PulpMask<M, U, W>(PhantomData<(M, U, W)>);

impl<M, U, W> PulpMask<M, U, W>
where
    M: bytemuck::NoUninit,
    U: bytemuck::Pod,
    W: bytemuck::Pod + PartialEq,
{
    /// Index of the first set lane, `lanes` if none.
    ///
    /// pulp's own `first_true_m32s` counts *leading* zeros of AVX-512 bitmasks (it returns
    /// `15 - index`), so it is not used.
    #[inline(always)]
    pub(crate) fn first_true(m: M, lanes: usize) -> usize {
        Self::read(
            m,
            |words| {
                words
                    .iter()
                    .position(|&w| w != W::zeroed())
                    .unwrap_or(lanes)
            },
            |bits| (bits.trailing_zeros() as usize).min(lanes),
        )
    }

    /// True if all `lanes` lanes are set.
    #[inline(always)]
    pub(crate) fn all_true(m: M, lanes: usize) -> bool {
        Self::read(
            m,
            |words| words.iter().all(|&w| w != W::zeroed()),
            |bits| {
                let full = if lanes >= 64 {
                    u64::MAX
                } else {
                    (1u64 << lanes) - 1
                };
                bits & full == full
            },
        )
    }

    /// `words(lanes)` for a full-width mask, `bits(bitmask)` for a bitmask.
    #[inline(always)]
    fn read<R>(m: M, words: impl FnOnce(&[W]) -> R, bits: impl FnOnce(u64) -> R) -> R {
        if core::mem::size_of::<M>() == core::mem::size_of::<U>() {
            let u: U = bytemuck::cast(m);
            return words(bytemuck::cast_slice::<U, W>(core::slice::from_ref(&u)));
        }
        // Straight from the mask register (a byte loop would go through memory).
        bits(match core::mem::size_of::<M>() {
            1 => bytemuck::cast::<M, u8>(m) as u64,
            2 => bytemuck::cast::<M, u16>(m) as u64,
            4 => bytemuck::cast::<M, u32>(m) as u64,
            8 => bytemuck::cast::<M, u64>(m),
            _ => {
                let mut bits = 0u64;
                for (i, &b) in bytemuck::bytes_of(&m).iter().enumerate().take(8) {
                    bits |= (b as u64) << (8 * i);
                }
                bits
            }
        })
    }
}

/// True if any lane of `m` is set.
#[inline(always)]
pub(crate) fn any<S: Simd, E: Prim>(s: S, m: E::M<S>) -> bool {
    E::first_true(s, m) < E::lanes::<S>()
}

/// Applies `f` to every 64-bit lane (fallback for backends whose 32-bit vector is narrower
/// than the 64-bit one, i.e. pulp's scalar backend).
#[inline(always)]
pub(crate) fn map_u64_lanes<S: Simd>(v: S::u64s, f: impl Fn(u64) -> u64) -> S::u64s {
    let mut v = v;
    for w in bytemuck::cast_slice_mut::<S::u64s, u64>(core::slice::from_mut(&mut v)) {
        *w = f(*w);
    }
    v
}
