//! `f64` implementations of [`ScalarMath`], [`SimdElement`] and the bit-level primitives the
//! generic math of [`super::math`] is written against.

use pulp::{bytemuck, Simd};

use super::math::{self, Prim};
use super::{ScalarMath, SimdElement};

impl ScalarMath for f64 {
    #[inline(always)]
    fn fused_mul_add(a: Self, b: Self, c: Self) -> Self {
        f64::mul_add(a, b, c)
    }
    #[inline(always)]
    fn exp(x: Self) -> Self {
        f64::exp(x)
    }
    #[inline(always)]
    fn exp2(x: Self) -> Self {
        f64::exp2(x)
    }
    #[inline(always)]
    fn ln(x: Self) -> Self {
        f64::ln(x)
    }
    #[inline(always)]
    fn log2(x: Self) -> Self {
        f64::log2(x)
    }
    #[inline(always)]
    fn log1p(x: Self) -> Self {
        libm::log1p(x)
    }
    #[inline(always)]
    fn expm1(x: Self) -> Self {
        libm::expm1(x)
    }
    #[inline(always)]
    fn sqrt(x: Self) -> Self {
        f64::sqrt(x)
    }
    #[inline(always)]
    fn rsqrt(x: Self) -> Self {
        // Two correctly rounded operations: within 1 ulp.
        1.0 / f64::sqrt(x)
    }
    #[inline(always)]
    fn recip(x: Self) -> Self {
        1.0 / x
    }
    #[inline(always)]
    fn abs(x: Self) -> Self {
        f64::abs(x)
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
    fn relu(x: Self) -> Self {
        math::scalar_relu(x)
    }
    #[inline(always)]
    fn sin(x: Self) -> Self {
        f64::sin(x)
    }
    #[inline(always)]
    fn cos(x: Self) -> Self {
        f64::cos(x)
    }
    #[inline(always)]
    fn erf(x: Self) -> Self {
        libm::erf(x)
    }
    #[inline(always)]
    fn floor(x: Self) -> Self {
        f64::floor(x)
    }
    #[inline(always)]
    fn ceil(x: Self) -> Self {
        f64::ceil(x)
    }
    #[inline(always)]
    fn round(x: Self) -> Self {
        f64::round(x)
    }
    #[inline(always)]
    fn powf(x: Self, y: Self) -> Self {
        f64::powf(x, y)
    }
    #[inline(always)]
    fn powi(x: Self, n: i32) -> Self {
        math::scalar_powi(x, n)
    }
}

impl Prim for f64 {
    const MANT_BITS: u32 = 52;
    const EXP_RANGE: (f64, f64) = (-746.0, 710.0);
    const POW2_FAST_K: f64 = 1020.0;
    const EXP_POLY: &'static [f64] = math::EXP_POLY_F64;
    const LN_POLY: &'static [f64] = math::LN_POLY_F64;
    const POW_LOG_POLY: &'static [f64] = &[
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
    const LN2_HI: f64 = core::f64::consts::LN_2;
    const LN2_LO: f64 = 2.3190468138462996e-17;
    const LN2_HI_TRUNC: f64 = 0.6931471803691238; // 0x3fe62e42_fee00000
    const LN2_LO_TRUNC: f64 = 1.9082149292705877e-10; // 0x3dea39ef_35793c76
    const EXPM1_BIG: f64 = 38.0;
    const TANH_SAT: f64 = 19.5;
    const TINY: f64 = 1.0 / 18_014_398_509_481_984.0; // 2^-54
    const TRIG: math::TrigCoeffs = math::TRIG_F64;
    const MIN_POSITIVE: f64 = f64::MIN_POSITIVE;
    const TRIG_MAX: f64 = 1_048_576.0;

    #[inline(always)]
    fn splat_bits<S: Simd>(s: S, bits: u64) -> S::f64s {
        s.splat_f64s(f64::from_bits(bits))
    }
    #[inline(always)]
    fn and_bits<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.and_f64s(a, b)
    }
    #[inline(always)]
    fn or_bits<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.or_f64s(a, b)
    }
    #[inline(always)]
    fn xor_bits<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.xor_f64s(a, b)
    }
    #[inline(always)]
    fn fma<S: Simd>(s: S, a: S::f64s, b: S::f64s, c: S::f64s) -> S::f64s {
        s.mul_add_f64s(a, b, c)
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
    #[inline(always)]
    fn all_lanes<S: Simd>(_s: S, m: S::m64s) -> bool {
        math::all_true_mask::<S::m64s, S::u64s, u64>(m, S::F64_LANES)
    }
    #[inline(always)]
    fn map_lanes<S: Simd>(s: S, m: S::m64s, x: S::f64s, f: fn(f64) -> f64) -> S::f64s {
        let mut v = x;
        let mut mv: S::u64s = bytemuck::cast(s.select_u64s(m, s.splat_u64s(!0), s.splat_u64s(0)));
        let lanes = bytemuck::cast_slice_mut::<S::f64s, f64>(core::slice::from_mut(&mut v));
        let flags = bytemuck::cast_slice_mut::<S::u64s, u64>(core::slice::from_mut(&mut mv));
        for (x, &flag) in lanes.iter_mut().zip(flags.iter()) {
            if flag != 0 {
                *x = f(*x);
            }
        }
        v
    }
}

impl SimdElement for f64 {
    type V<S: Simd> = S::f64s;
    type M<S: Simd> = S::m64s;

    #[inline(always)]
    fn lanes<S: Simd>() -> usize {
        S::F64_LANES
    }
    #[inline(always)]
    fn as_simd<S: Simd>(slice: &[Self]) -> (&[S::f64s], &[Self]) {
        S::as_simd_f64s(slice)
    }
    #[inline(always)]
    fn as_mut_simd<S: Simd>(slice: &mut [Self]) -> (&mut [S::f64s], &mut [Self]) {
        S::as_mut_simd_f64s(slice)
    }
    #[inline(always)]
    fn partial_load<S: Simd>(s: S, slice: &[Self], fill: Self) -> S::f64s {
        let n = slice.len().min(S::F64_LANES) as u64;
        let m = s.mask_between_m64s(0, n).mask();
        Self::select(s, m, s.partial_load_f64s(slice), s.splat_f64s(fill))
    }
    #[inline(always)]
    fn partial_store<S: Simd>(s: S, slice: &mut [Self], v: S::f64s) {
        s.partial_store_f64s(slice, v)
    }
    #[inline(always)]
    fn splat<S: Simd>(s: S, x: Self) -> S::f64s {
        s.splat_f64s(x)
    }

    #[inline(always)]
    fn add<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.add_f64s(a, b)
    }
    #[inline(always)]
    fn sub<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.sub_f64s(a, b)
    }
    #[inline(always)]
    fn mul<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.mul_f64s(a, b)
    }
    #[inline(always)]
    fn div<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.div_f64s(a, b)
    }
    #[inline(always)]
    fn neg<S: Simd>(s: S, a: S::f64s) -> S::f64s {
        s.xor_f64s(a, s.splat_f64s(-0.0))
    }
    #[inline(always)]
    fn mul_add<S: Simd>(s: S, a: S::f64s, b: S::f64s, c: S::f64s) -> S::f64s {
        s.mul_add_e_f64s(a, b, c)
    }
    #[inline(always)]
    fn fused_mul_add<S: Simd>(s: S, a: S::f64s, b: S::f64s, c: S::f64s) -> S::f64s {
        s.mul_add_f64s(a, b, c)
    }

    #[inline(always)]
    fn lt<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::m64s {
        s.less_than_f64s(a, b)
    }
    #[inline(always)]
    fn le<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::m64s {
        s.less_than_or_equal_f64s(a, b)
    }
    #[inline(always)]
    fn gt<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::m64s {
        s.greater_than_f64s(a, b)
    }
    #[inline(always)]
    fn ge<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::m64s {
        s.greater_than_or_equal_f64s(a, b)
    }
    #[inline(always)]
    fn eq<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::m64s {
        s.equal_f64s(a, b)
    }
    #[inline(always)]
    fn ne<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::m64s {
        s.not_m64s(s.equal_f64s(a, b))
    }
    #[inline(always)]
    fn and<S: Simd>(s: S, a: S::m64s, b: S::m64s) -> S::m64s {
        s.and_m64s(a, b)
    }
    #[inline(always)]
    fn or<S: Simd>(s: S, a: S::m64s, b: S::m64s) -> S::m64s {
        s.or_m64s(a, b)
    }
    #[inline(always)]
    fn not<S: Simd>(s: S, a: S::m64s) -> S::m64s {
        s.not_m64s(a)
    }
    #[inline(always)]
    fn select<S: Simd>(s: S, m: S::m64s, a: S::f64s, b: S::f64s) -> S::f64s {
        // Straight to the always-inlined integer blend (the float wrapper is only `#[inline]`).
        bytemuck::cast(s.select_u64s(m, bytemuck::cast(a), bytemuck::cast(b)))
    }
    #[inline(always)]
    fn first_true<S: Simd>(_s: S, m: S::m64s) -> usize {
        math::first_true_mask::<S::m64s, S::u64s, u64>(m, S::F64_LANES)
    }

    #[inline(always)]
    fn reduce_sum<S: Simd>(s: S, a: S::f64s) -> Self {
        s.reduce_sum_f64s(a)
    }
    #[inline(always)]
    fn reduce_max<S: Simd>(s: S, a: S::f64s) -> Self {
        if Self::first_true(s, <Self as SimdElement>::ne(s, a, a)) < S::F64_LANES {
            f64::NAN
        } else {
            s.reduce_max_f64s(a)
        }
    }
    #[inline(always)]
    fn reduce_min<S: Simd>(s: S, a: S::f64s) -> Self {
        if Self::first_true(s, <Self as SimdElement>::ne(s, a, a)) < S::F64_LANES {
            f64::NAN
        } else {
            s.reduce_min_f64s(a)
        }
    }

    #[inline(always)]
    fn sqrt<S: Simd>(s: S, x: S::f64s) -> S::f64s {
        s.sqrt_f64s(x)
    }
    forward_vector_math!();

    #[inline(always)]
    fn max_loose<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.max_f64s(a, b)
    }
    #[inline(always)]
    fn min_loose<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.min_f64s(a, b)
    }

    #[inline(always)]
    fn recip<S: Simd>(s: S, x: S::f64s) -> S::f64s {
        s.div_f64s(s.splat_f64s(1.0), x)
    }
    #[inline(always)]
    fn abs<S: Simd>(s: S, x: S::f64s) -> S::f64s {
        s.and_f64s(x, s.splat_f64s(f64::from_bits(0x7fff_ffff_ffff_ffff)))
    }
}
