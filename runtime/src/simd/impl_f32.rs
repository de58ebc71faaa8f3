//! `f32` implementations of [`ScalarMath`], [`SimdElement`] and the bit-level primitives the
//! generic math of [`super::math`] is written against.

use pulp::{bytemuck, Simd};

use super::math::{self, Prim};
use super::{ScalarMath, SimdElement};

/// Transcendentals without an accurate `f32` libm routine are evaluated in `f64` and rounded
/// once (within 0.5 ulp plus a double-rounding tie in rare cases).
impl ScalarMath for f32 {
    #[inline(always)]
    fn fused_mul_add(a: Self, b: Self, c: Self) -> Self {
        f32::mul_add(a, b, c)
    }
    #[inline(always)]
    fn exp(x: Self) -> Self {
        f32::exp(x)
    }
    #[inline(always)]
    fn exp2(x: Self) -> Self {
        f32::exp2(x)
    }
    #[inline(always)]
    fn ln(x: Self) -> Self {
        f32::ln(x)
    }
    #[inline(always)]
    fn log2(x: Self) -> Self {
        f32::log2(x)
    }
    #[inline(always)]
    fn log1p(x: Self) -> Self {
        (x as f64).ln_1p() as f32
    }
    #[inline(always)]
    fn expm1(x: Self) -> Self {
        (x as f64).exp_m1() as f32
    }
    #[inline(always)]
    fn sqrt(x: Self) -> Self {
        f32::sqrt(x)
    }
    #[inline(always)]
    fn rsqrt(x: Self) -> Self {
        // Evaluated in f64 and rounded once: within 0.5 ulp + one double rounding.
        (1.0 / f64::sqrt(x as f64)) as f32
    }
    #[inline(always)]
    fn recip(x: Self) -> Self {
        1.0 / x
    }
    #[inline(always)]
    fn abs(x: Self) -> Self {
        f32::abs(x)
    }
    #[inline(always)]
    fn signum(x: Self) -> Self {
        math::scalar_signum(x)
    }
    #[inline(always)]
    fn max(a: Self, b: Self) -> Self {
        math::scalar_max(a, b)
    }
    #[inline(always)]
    fn min(a: Self, b: Self) -> Self {
        math::scalar_min(a, b)
    }
    #[inline(always)]
    fn clamp(x: Self, lo: Self, hi: Self) -> Self {
        math::scalar_min(math::scalar_max(x, lo), hi)
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
    fn relu(x: Self) -> Self {
        math::scalar_relu(x)
    }
    #[inline(always)]
    fn sin(x: Self) -> Self {
        f32::sin(x)
    }
    #[inline(always)]
    fn cos(x: Self) -> Self {
        f32::cos(x)
    }
    #[inline(always)]
    fn erf(x: Self) -> Self {
        libm::erf(x as f64) as f32
    }
    #[inline(always)]
    fn floor(x: Self) -> Self {
        f32::floor(x)
    }
    #[inline(always)]
    fn ceil(x: Self) -> Self {
        f32::ceil(x)
    }
    #[inline(always)]
    fn round(x: Self) -> Self {
        f32::round(x)
    }
    #[inline(always)]
    fn powf(x: Self, y: Self) -> Self {
        f32::powf(x, y)
    }
    #[inline(always)]
    fn powi(x: Self, n: i32) -> Self {
        math::scalar_powi(x, n)
    }
}

impl Prim for f32 {
    const MANT_BITS: u32 = 23;
    const EXP_RANGE: (f64, f64) = (-104.0, 89.0);
    const POW2_FAST_K: f64 = 124.0;
    const EXP_POLY: &'static [f64] = math::EXP_POLY_F32;
    const LN_POLY: &'static [f64] = math::LN_POLY_F32;
    const POW_LOG_POLY: &'static [f64] = &[
        0.4,
        0.2857142857142857,
        0.2222222222222222,
        0.18181818181818182,
        0.15384615384615385,
    ];
    const LN2_HI: f64 = 0.693_147_182_464_599_6; // 0x3f317218
    const LN2_LO: f64 = -1.904_654_323_148_236e-9;
    const LN2_HI_TRUNC: f64 = 6.931_381_225_585_938e-1; // 0x3f317180: low bits zero
    const LN2_LO_TRUNC: f64 = 9.058_000_614_5e-6; // 0x3717f7d1
    const EXPM1_BIG: f64 = 17.5;
    const TANH_SAT: f64 = 9.1;
    const TINY: f64 = 1.0 / 67_108_864.0; // 2^-26
    const TRIG: math::TrigCoeffs = math::TRIG_F32;
    const MIN_POSITIVE: f64 = f32::MIN_POSITIVE as f64;
    const TRIG_MAX: f64 = 65_536.0;

    #[inline(always)]
    fn splat_bits<S: Simd>(s: S, bits: u64) -> S::f32s {
        s.splat_f32s(f32::from_bits(bits as u32))
    }
    #[inline(always)]
    fn and_bits<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.and_f32s(a, b)
    }
    #[inline(always)]
    fn or_bits<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.or_f32s(a, b)
    }
    #[inline(always)]
    fn xor_bits<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.xor_f32s(a, b)
    }
    #[inline(always)]
    fn fma<S: Simd>(s: S, a: S::f32s, b: S::f32s, c: S::f32s) -> S::f32s {
        s.mul_add_f32s(a, b, c)
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
    #[inline(always)]
    fn all_lanes<S: Simd>(_s: S, m: S::m32s) -> bool {
        math::all_true_mask::<S::m32s, S::u32s, u32>(m, S::F32_LANES)
    }
    #[inline(always)]
    fn map_lanes<S: Simd>(s: S, m: S::m32s, x: S::f32s, f: fn(f32) -> f32) -> S::f32s {
        let mut v = x;
        let mut mv: S::u32s = bytemuck::cast(s.select_u32s(m, s.splat_u32s(!0), s.splat_u32s(0)));
        let lanes = bytemuck::cast_slice_mut::<S::f32s, f32>(core::slice::from_mut(&mut v));
        let flags = bytemuck::cast_slice_mut::<S::u32s, u32>(core::slice::from_mut(&mut mv));
        for (x, &flag) in lanes.iter_mut().zip(flags.iter()) {
            if flag != 0 {
                *x = f(*x);
            }
        }
        v
    }
}

impl SimdElement for f32 {
    type V<S: Simd> = S::f32s;
    type M<S: Simd> = S::m32s;

    #[inline(always)]
    fn lanes<S: Simd>() -> usize {
        S::F32_LANES
    }
    #[inline(always)]
    fn as_simd<S: Simd>(slice: &[Self]) -> (&[S::f32s], &[Self]) {
        S::as_simd_f32s(slice)
    }
    #[inline(always)]
    fn as_mut_simd<S: Simd>(slice: &mut [Self]) -> (&mut [S::f32s], &mut [Self]) {
        S::as_mut_simd_f32s(slice)
    }
    #[inline(always)]
    fn partial_load<S: Simd>(s: S, slice: &[Self], fill: Self) -> S::f32s {
        let n = slice.len().min(S::F32_LANES) as u32;
        let m = s.mask_between_m32s(0, n).mask();
        Self::select(s, m, s.partial_load_f32s(slice), s.splat_f32s(fill))
    }
    #[inline(always)]
    fn partial_store<S: Simd>(s: S, slice: &mut [Self], v: S::f32s) {
        s.partial_store_f32s(slice, v)
    }
    #[inline(always)]
    fn splat<S: Simd>(s: S, x: Self) -> S::f32s {
        s.splat_f32s(x)
    }

    #[inline(always)]
    fn add<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.add_f32s(a, b)
    }
    #[inline(always)]
    fn sub<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.sub_f32s(a, b)
    }
    #[inline(always)]
    fn mul<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.mul_f32s(a, b)
    }
    #[inline(always)]
    fn div<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.div_f32s(a, b)
    }
    #[inline(always)]
    fn neg<S: Simd>(s: S, a: S::f32s) -> S::f32s {
        s.xor_f32s(a, s.splat_f32s(-0.0))
    }
    #[inline(always)]
    fn mul_add<S: Simd>(s: S, a: S::f32s, b: S::f32s, c: S::f32s) -> S::f32s {
        s.mul_add_e_f32s(a, b, c)
    }
    #[inline(always)]
    fn fused_mul_add<S: Simd>(s: S, a: S::f32s, b: S::f32s, c: S::f32s) -> S::f32s {
        s.mul_add_f32s(a, b, c)
    }

    #[inline(always)]
    fn lt<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::m32s {
        s.less_than_f32s(a, b)
    }
    #[inline(always)]
    fn le<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::m32s {
        s.less_than_or_equal_f32s(a, b)
    }
    #[inline(always)]
    fn gt<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::m32s {
        s.greater_than_f32s(a, b)
    }
    #[inline(always)]
    fn ge<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::m32s {
        s.greater_than_or_equal_f32s(a, b)
    }
    #[inline(always)]
    fn eq<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::m32s {
        s.equal_f32s(a, b)
    }
    #[inline(always)]
    fn ne<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::m32s {
        s.not_m32s(s.equal_f32s(a, b))
    }
    #[inline(always)]
    fn and<S: Simd>(s: S, a: S::m32s, b: S::m32s) -> S::m32s {
        s.and_m32s(a, b)
    }
    #[inline(always)]
    fn or<S: Simd>(s: S, a: S::m32s, b: S::m32s) -> S::m32s {
        s.or_m32s(a, b)
    }
    #[inline(always)]
    fn not<S: Simd>(s: S, a: S::m32s) -> S::m32s {
        s.not_m32s(a)
    }
    #[inline(always)]
    fn select<S: Simd>(s: S, m: S::m32s, a: S::f32s, b: S::f32s) -> S::f32s {
        // Straight to the always-inlined integer blend (the float wrapper is only `#[inline]`).
        bytemuck::cast(s.select_u32s(m, bytemuck::cast(a), bytemuck::cast(b)))
    }
    #[inline(always)]
    fn first_true<S: Simd>(_s: S, m: S::m32s) -> usize {
        math::first_true_mask::<S::m32s, S::u32s, u32>(m, S::F32_LANES)
    }

    #[inline(always)]
    fn reduce_sum<S: Simd>(s: S, a: S::f32s) -> Self {
        s.reduce_sum_f32s(a)
    }
    #[inline(always)]
    fn reduce_max<S: Simd>(s: S, a: S::f32s) -> Self {
        if Self::first_true(s, <Self as SimdElement>::ne(s, a, a)) < S::F32_LANES {
            f32::NAN
        } else {
            s.reduce_max_f32s(a)
        }
    }
    #[inline(always)]
    fn reduce_min<S: Simd>(s: S, a: S::f32s) -> Self {
        if Self::first_true(s, <Self as SimdElement>::ne(s, a, a)) < S::F32_LANES {
            f32::NAN
        } else {
            s.reduce_min_f32s(a)
        }
    }

    #[inline(always)]
    fn sqrt<S: Simd>(s: S, x: S::f32s) -> S::f32s {
        s.sqrt_f32s(x)
    }
    forward_vector_math!();

    #[inline(always)]
    fn max_loose<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.max_f32s(a, b)
    }
    #[inline(always)]
    fn min_loose<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.min_f32s(a, b)
    }

    #[inline(always)]
    fn recip<S: Simd>(s: S, x: S::f32s) -> S::f32s {
        s.div_f32s(s.splat_f32s(1.0), x)
    }
    #[inline(always)]
    fn abs<S: Simd>(s: S, x: S::f32s) -> S::f32s {
        s.and_f32s(x, s.splat_f32s(f32::from_bits(0x7fff_ffff)))
    }
}
