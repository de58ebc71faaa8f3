//! `f32`'s own parts of [`ScalarMath`] and of the math primitives (`Prim`): the scalar
//! functions, constants and exponent tricks that differ from the other element type. The
//! same-shaped rest (the whole `SimdElement` impl, pulp forwards, bit operations) is generated
//! once for both types in `forward.rs`.

use pulp::{bytemuck, Simd};

use super::math::{self, Prim};
use super::ScalarMath;

/// Transcendentals without an accurate `f32` libm routine are evaluated in `f64` and rounded
/// once (within 0.5 ulp plus a double-rounding tie in rare cases).
impl ScalarMath for f32 {
    forward_scalar_math!(f32);

    #[inline(always)]
    fn log1p(x: Self) -> Self {
        (x as f64).ln_1p() as f32
    }
    #[inline(always)]
    fn expm1(x: Self) -> Self {
        (x as f64).exp_m1() as f32
    }
    #[inline(always)]
    fn rsqrt(x: Self) -> Self {
        // Evaluated in f64 and rounded once: within 0.5 ulp + one double rounding.
        (1.0 / f64::sqrt(x as f64)) as f32
    }
    #[inline(always)]
    fn tanh(x: Self) -> Self {
        (x as f64).tanh() as f32
    }
    #[inline(always)]
    fn sigmoid(x: Self) -> Self {
        // f64 evaluation rounded once: exact to within one double rounding, stable for any x.
        let x = x as f64;
        let r = if x >= 0.0 {
            1.0 / (1.0 + f64::exp(-x))
        } else {
            let e = f64::exp(x);
            e / (1.0 + e)
        };
        r as f32
    }
    #[inline(always)]
    fn erf(x: Self) -> Self {
        libm::erf(x as f64) as f32
    }
}

impl Prim for f32 {
    const MANT_BITS: u32 = 23;
    const EXP_RANGE: (f64, f64) = (-104.0, 89.0);
    const POW2_FAST_K: f64 = 124.0;
    const EXP_POLY: &'static [f64] = math::EXP_POLY_F32;
    const EXP_Q: &'static [f64] = math::EXP_Q_F32;
    const LN_POLY: &'static [f64] = math::LN_POLY_F32;
    const POW_LOG_POLY: &'static [f64] = math::POW_LOG_TAYLOR.split_at(5).0;
    const LN2_HI: f64 = 0.693_147_182_464_599_6; // 0x3f317218
    const LN2_LO: f64 = -1.904_654_323_148_236e-9;
    const LN2_HI_TRUNC: f64 = 6.931_381_225_585_938e-1; // 0x3f317180: low bits zero
    const LN2_LO_TRUNC: f64 = 9.058_000_614_5e-6; // 0x3717f7d1
    const EXPM1_BIG: f64 = 17.5;
    const TANH_SAT: f64 = 9.1;
    const TANH_FMA_EXPM1: bool = true;
    const TINY: f64 = 1.0 / 67_108_864.0; // 2^-26
    const TRIG: math::TrigCoeffs = math::TRIG_F32;
    const MIN_POSITIVE: f64 = f32::MIN_POSITIVE as f64;
    const TRIG_MAX: f64 = 65_536.0;

    #[inline(always)]
    fn mul_pow2_rounded<S: Simd>(s: S, p: S::f32s, km: S::f32s, _k: S::f32s) -> S::f32s {
        // km's bits are 1.5·2^23's plus k, and 1.5·2^23's low 9 bits are zero: shifting left by
        // 23 leaves exactly k << 23 (two's complement), which adds k to p's exponent.
        let k_exp = s.wrapping_dyn_shl_u32s(bytemuck::cast(km), s.splat_u32s(23));
        bytemuck::cast(s.add_u32s(bytemuck::cast(p), k_exp))
    }
    #[inline(always)]
    fn pow2i<S: Simd>(s: S, k: S::f32s) -> S::f32s {
        // k + (1.5·2^23 + 127) holds k + 127 in its low mantissa bits; shifting left by 23
        // moves it into the exponent field and pushes the magic's own bits out.
        let t = s.add_f32s(k, s.splat_f32s(12_582_912.0 + 127.0));
        let bits: S::u32s = bytemuck::cast(t);
        bytemuck::cast(s.wrapping_dyn_shl_u32s(bits, s.splat_u32s(23)))
    }
    #[inline(always)]
    fn exponent<S: Simd>(s: S, x: S::f32s) -> S::f32s {
        let bits: S::u32s = bytemuck::cast(x);
        let e = s.wrapping_dyn_shr_u32s(bits, s.splat_u32s(23));
        // 2^23 + e, exactly, then remove 2^23 and the bias.
        let f: S::f32s = bytemuck::cast(s.or_u32s(e, s.splat_u32s(0x4b00_0000)));
        s.sub_f32s(f, s.splat_f32s(8_388_608.0 + 127.0))
    }
    #[inline(always)]
    fn int_bit<S: Simd>(s: S, k: S::f32s, bit: u64) -> S::m32s {
        let t = s.add_f32s(k, s.splat_f32s(12_582_912.0));
        let bits: S::u32s = bytemuck::cast(t);
        let b = s.and_u32s(bits, s.splat_u32s(bit as u32));
        s.not_m32s(s.equal_u32s(b, s.splat_u32s(0)))
    }
}
