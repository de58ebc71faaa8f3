//! `f64`'s own parts of [`ScalarMath`] and of the math primitives (`Prim`): the scalar
//! functions, constants and exponent tricks that differ from the other element type. The
//! same-shaped rest (the whole `SimdElement` impl, pulp forwards, bit operations) is generated
//! once for both types in `forward.rs`.

use pulp::{bytemuck, Simd};

use super::math::{self, Prim};
use super::ScalarMath;

impl ScalarMath for f64 {
    forward_scalar_math!(f64);

    #[inline(always)]
    fn log1p(x: Self) -> Self {
        libm::log1p(x)
    }
    #[inline(always)]
    fn expm1(x: Self) -> Self {
        libm::expm1(x)
    }
    #[inline(always)]
    fn rsqrt(x: Self) -> Self {
        // Two correctly rounded operations: within 1 ulp.
        1.0 / f64::sqrt(x)
    }
    #[inline(always)]
    fn tanh(x: Self) -> Self {
        f64::tanh(x)
    }
    #[inline(always)]
    fn sigmoid(x: Self) -> Self {
        // Stable for any x: the exponential is only ever of a non-positive number.
        let z = f64::exp(-x.abs());
        if x < 0.0 {
            z / (1.0 + z)
        } else {
            1.0 / (1.0 + z)
        }
    }
    #[inline(always)]
    fn erf(x: Self) -> Self {
        libm::erf(x)
    }
}

impl Prim for f64 {
    const MANT_BITS: u32 = 52;
    const EXP_RANGE: (f64, f64) = (-746.0, 710.0);
    const POW2_FAST_K: f64 = 1020.0;
    const EXP_POLY: &'static [f64] = math::EXP_POLY_F64;
    const EXP_Q: &'static [f64] = math::EXP_POLY_F64;
    const LN_POLY: &'static [f64] = math::LN_POLY_F64;
    const POW_LOG_POLY: &'static [f64] = math::POW_LOG_TAYLOR;
    const LN2_HI: f64 = core::f64::consts::LN_2;
    const LN2_LO: f64 = 2.3190468138462996e-17;
    const LN2_HI_TRUNC: f64 = 0.6931471803691238; // 0x3fe62e42_fee00000
    const LN2_LO_TRUNC: f64 = 1.9082149292705877e-10; // 0x3dea39ef_35793c76
    const EXPM1_BIG: f64 = 38.0;
    const TANH_SAT: f64 = 19.5;
    const TANH_FMA_EXPM1: bool = false;
    const TINY: f64 = 1.0 / 18_014_398_509_481_984.0; // 2^-54
    const TRIG: math::TrigCoeffs = math::TRIG_F64;
    const MIN_POSITIVE: f64 = f64::MIN_POSITIVE;
    const TRIG_MAX: f64 = 1_048_576.0;

    #[inline(always)]
    fn mul_pow2_rounded<S: Simd>(s: S, p: S::f64s, _km: S::f64s, k: S::f64s) -> S::f64s {
        // pulp has no generic 64-bit add-to-exponent; the product by 2^k is exact here.
        s.mul_f64s(p, Self::pow2i(s, k))
    }
    #[inline(always)]
    fn pow2i<S: Simd>(s: S, k: S::f64s) -> S::f64s {
        if core::mem::size_of::<S::u32s>() == core::mem::size_of::<S::u64s>() {
            // 2^72 + (k+1023)·2^52 puts k+1023 at bit 32 (the low bits of the high word);
            // shifting the 32-bit halves left by 20 moves it into the exponent field and drops
            // the magic's exponent; the low word is zero.
            let t = s.mul_add_f64s(
                k,
                s.splat_f64s(4_503_599_627_370_496.0),
                s.splat_f64s(4_722_366_482_869_645_213_696.0 + 1023.0 * 4_503_599_627_370_496.0),
            );
            let halves: S::u32s = bytemuck::cast(t);
            bytemuck::cast(s.wrapping_dyn_shl_u32s(halves, s.splat_u32s(20)))
        } else {
            bytemuck::cast(math::map_u64_lanes::<S>(bytemuck::cast(k), |k| {
                ((f64::from_bits(k) as i64 + 1023) as u64) << 52
            }))
        }
    }
    #[inline(always)]
    fn exponent<S: Simd>(s: S, x: S::f64s) -> S::f64s {
        let field = if core::mem::size_of::<S::u32s>() == core::mem::size_of::<S::u64s>() {
            // Shift both 32-bit halves right by 20: the high word becomes the exponent field;
            // the low word's leftovers are masked off. Result: field << 32.
            let halves: S::u32s = bytemuck::cast(x);
            let sh: S::u64s = bytemuck::cast(s.wrapping_dyn_shr_u32s(halves, s.splat_u32s(20)));
            s.and_u64s(sh, s.splat_u64s(0x7ff_u64 << 32))
        } else {
            math::map_u64_lanes::<S>(bytemuck::cast(x), |b| ((b >> 52) & 0x7ff) << 32)
        };
        // 2^52 + field·2^32, exactly; remove 2^52 and the bias·2^32, then scale by 2^-32.
        let f: S::f64s = bytemuck::cast(s.or_u64s(field, s.splat_u64s(0x4330_0000_0000_0000)));
        let e32 = s.sub_f64s(
            f,
            s.splat_f64s(4_503_599_627_370_496.0 + 1023.0 * 4_294_967_296.0),
        );
        s.mul_f64s(e32, s.splat_f64s(1.0 / 4_294_967_296.0))
    }
    #[inline(always)]
    fn int_bit<S: Simd>(s: S, k: S::f64s, bit: u64) -> S::m64s {
        let t = s.add_f64s(k, s.splat_f64s(6_755_399_441_055_744.0));
        let bits: S::u64s = bytemuck::cast(t);
        let b = s.and_u64s(bits, s.splat_u64s(bit));
        s.not_m64s(s.equal_u64s(b, s.splat_u64s(0)))
    }
}
