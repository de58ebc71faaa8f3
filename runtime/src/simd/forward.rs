//! The half of the `f32` and `f64` impls that has the same shape for both types, written once.
//!
//! pulp names its methods per lane type (`add_f32s`, `add_f64s`, …) and `paste` is not a
//! dependency, so the names cannot be built from the element's; instead one table names each
//! pulp method for both types side by side, and `pulp_elements!` generates from it the whole
//! [`SimdElement`] impl and the bit-level [`Bits`] half of the math primitives. Everything it
//! emits is `#[inline(always)]`, like the hand-written impls it replaced. What really differs
//! per type (the scalar functions evaluated in `f64`, the constants and exponent tricks of
//! `Prim`) stays written out in `impl_f32.rs` / `impl_f64.rs`.

use pulp::{bytemuck, Simd};

use super::math::{self, Bits};
use super::SimdElement;

/// The part of a [`SimdElement`] impl that only forwards to the generic math of [`math`]; one
/// definition for `f32` and `f64` so the two impls cannot drift apart.
macro_rules! forward_vector_math {
    () => {
        forward_vector_math!(@unary exp, exp2, ln, log2, log1p, expm1, rsqrt, signum, tanh,
            sigmoid, relu, sin, cos, erf, floor, ceil, round);
        forward_vector_math!(@binary max, min, powf);

        #[inline(always)]
        fn clamp<S: Simd>(s: S, x: Self::V<S>, lo: Self::V<S>, hi: Self::V<S>) -> Self::V<S> {
            math::min::<S, Self>(s, math::max::<S, Self>(s, x, lo), hi)
        }
        #[inline(always)]
        fn powi<S: Simd>(s: S, x: Self::V<S>, n: i32) -> Self::V<S> {
            math::powi::<S, Self>(s, x, n)
        }
    };
    (@unary $($f:ident),* $(,)?) => {$(
        #[inline(always)]
        fn $f<S: Simd>(s: S, x: Self::V<S>) -> Self::V<S> {
            math::$f::<S, Self>(s, x)
        }
    )*};
    (@binary $($f:ident),* $(,)?) => {$(
        #[inline(always)]
        fn $f<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S> {
            math::$f::<S, Self>(s, a, b)
        }
    )*};
}

/// The part of a `ScalarMath` impl that is std's own function of the same name or the shared
/// NaN-propagating helpers of [`math`]; invoked inside each impl with the element type.
macro_rules! forward_scalar_math {
    ($elem:ident) => {
        forward_scalar_math!(@std $elem: exp, exp2, ln, log2, sqrt, abs, sin, cos, floor, ceil,
            round);

        #[inline(always)]
        fn fused_mul_add(a: Self, b: Self, c: Self) -> Self {
            $elem::mul_add(a, b, c)
        }
        #[inline(always)]
        fn powf(x: Self, y: Self) -> Self {
            $elem::powf(x, y)
        }
        #[inline(always)]
        fn recip(x: Self) -> Self {
            1.0 / x
        }
        forward_scalar_math!(@math signum scalar_signum, relu scalar_relu);
        forward_scalar_math!(@math max scalar_max(a, b), min scalar_min(a, b));
        #[inline(always)]
        fn clamp(x: Self, lo: Self, hi: Self) -> Self {
            math::scalar_min(math::scalar_max(x, lo), hi)
        }
        #[inline(always)]
        fn powi(x: Self, n: i32) -> Self {
            math::scalar_powi(x, n)
        }
    };
    (@math $($f:ident $helper:ident),* $(,)?) => {$(
        #[inline(always)]
        fn $f(x: Self) -> Self {
            math::$helper(x)
        }
    )*};
    (@math $($f:ident $helper:ident(a, b)),* $(,)?) => {$(
        #[inline(always)]
        fn $f(a: Self, b: Self) -> Self {
            math::$helper(a, b)
        }
    )*};
    (@std $elem:ident: $($f:ident),* $(,)?) => {$(
        #[inline(always)]
        fn $f(x: Self) -> Self {
            $elem::$f(x)
        }
    )*};
}

/// Generates [`SimdElement`] and [`Bits`] for every column of the name table below: the
/// table's rows are transposed into one key list per element type, which `@impl` matches in
/// row order (a missing or misplaced row is a compile error, not a silent mix-up).
macro_rules! pulp_elements {
    ($($key:ident: $a:ident $b:ident,)*) => {
        pulp_elements!(@impl $($key: $a,)*);
        pulp_elements!(@impl $($key: $b,)*);
    };
    (@impl
        elem: $elem:ident, bits: $bits:ident, v: $v:ident, m: $m:ident, u: $u:ident,
        lanes: $lanes:ident, as_simd: $as_simd:ident, as_mut_simd: $as_mut_simd:ident,
        mask_between: $mask_between:ident, partial_load: $partial_load:ident,
        partial_store: $partial_store:ident, splat: $splat:ident, splat_u: $splat_u:ident,
        add: $add:ident, sub: $sub:ident, mul: $mul:ident, div: $div:ident, sqrt: $sqrt:ident,
        mul_add_e: $mul_add_e:ident, mul_add: $mul_add:ident, max: $max:ident, min: $min:ident,
        and_bits: $and_bits:ident, or_bits: $or_bits:ident, xor_bits: $xor_bits:ident,
        lt: $lt:ident, le: $le:ident, gt: $gt:ident, ge: $ge:ident, eq: $eq:ident,
        not: $not:ident, and: $and:ident, or: $or:ident, select_u: $select_u:ident,
        reduce_sum: $reduce_sum:ident, reduce_max: $reduce_max:ident,
        reduce_min: $reduce_min:ident,
    ) => {
        impl SimdElement for $elem {
            type V<S: Simd> = S::$v;
            type M<S: Simd> = S::$m;

            #[inline(always)]
            fn lanes<S: Simd>() -> usize {
                S::$lanes
            }
            #[inline(always)]
            fn as_simd<S: Simd>(slice: &[Self]) -> (&[S::$v], &[Self]) {
                S::$as_simd(slice)
            }
            #[inline(always)]
            fn as_mut_simd<S: Simd>(slice: &mut [Self]) -> (&mut [S::$v], &mut [Self]) {
                S::$as_mut_simd(slice)
            }
            #[inline(always)]
            fn partial_load<S: Simd>(s: S, slice: &[Self], fill: Self) -> S::$v {
                let n = slice.len().min(S::$lanes) as $bits;
                let m = s.$mask_between(0, n).mask();
                Self::select(s, m, s.$partial_load(slice), s.$splat(fill))
            }
            #[inline(always)]
            fn partial_store<S: Simd>(s: S, slice: &mut [Self], v: S::$v) {
                s.$partial_store(slice, v)
            }
            #[inline(always)]
            fn splat<S: Simd>(s: S, x: Self) -> S::$v {
                s.$splat(x)
            }

            pulp_elements!(@binary $v: add $add, sub $sub, mul $mul, div $div,
                max_loose $max, min_loose $min);
            #[inline(always)]
            fn neg<S: Simd>(s: S, a: S::$v) -> S::$v {
                s.$xor_bits(a, s.$splat(-0.0))
            }
            #[inline(always)]
            fn mul_add<S: Simd>(s: S, a: S::$v, b: S::$v, c: S::$v) -> S::$v {
                s.$mul_add_e(a, b, c)
            }
            #[inline(always)]
            fn fused_mul_add<S: Simd>(s: S, a: S::$v, b: S::$v, c: S::$v) -> S::$v {
                s.$mul_add(a, b, c)
            }

            pulp_elements!(@compare $v, $m: lt $lt, le $le, gt $gt, ge $ge, eq $eq);
            #[inline(always)]
            fn ne<S: Simd>(s: S, a: S::$v, b: S::$v) -> S::$m {
                s.$not(s.$eq(a, b))
            }
            #[inline(always)]
            fn and<S: Simd>(s: S, a: S::$m, b: S::$m) -> S::$m {
                s.$and(a, b)
            }
            #[inline(always)]
            fn or<S: Simd>(s: S, a: S::$m, b: S::$m) -> S::$m {
                s.$or(a, b)
            }
            #[inline(always)]
            fn not<S: Simd>(s: S, a: S::$m) -> S::$m {
                s.$not(a)
            }
            #[inline(always)]
            fn select<S: Simd>(s: S, m: S::$m, a: S::$v, b: S::$v) -> S::$v {
                // Straight to the always-inlined integer blend (the float wrapper is only
                // `#[inline]`).
                bytemuck::cast(s.$select_u(m, bytemuck::cast(a), bytemuck::cast(b)))
            }
            #[inline(always)]
            fn first_true<S: Simd>(_s: S, m: S::$m) -> usize {
                math::PulpMask::<S::$m, S::$u, $bits>::first_true(m, S::$lanes)
            }

            #[inline(always)]
            fn reduce_sum<S: Simd>(s: S, a: S::$v) -> Self {
                s.$reduce_sum(a)
            }
            pulp_elements!(@reduce_nan $elem, $v, $lanes: reduce_max $reduce_max,
                reduce_min $reduce_min);

            #[inline(always)]
            fn sqrt<S: Simd>(s: S, x: S::$v) -> S::$v {
                s.$sqrt(x)
            }
            #[inline(always)]
            fn recip<S: Simd>(s: S, x: S::$v) -> S::$v {
                s.$div(s.$splat(1.0), x)
            }
            #[inline(always)]
            fn abs<S: Simd>(s: S, x: S::$v) -> S::$v {
                // Every bit but the sign.
                s.$and_bits(x, s.$splat($elem::from_bits($bits::MAX >> 1)))
            }
            forward_vector_math!();
        }

        impl Bits for $elem {
            #[inline(always)]
            fn splat_bits<S: Simd>(s: S, bits: u64) -> S::$v {
                // `f32` takes the low half (`as u32`); for `f64` the cast is the identity.
                #[allow(clippy::unnecessary_cast)]
                let bits = bits as $bits;
                s.$splat($elem::from_bits(bits))
            }
            pulp_elements!(@binary $v: and_bits $and_bits, or_bits $or_bits,
                xor_bits $xor_bits);
            #[inline(always)]
            fn fma<S: Simd>(s: S, a: S::$v, b: S::$v, c: S::$v) -> S::$v {
                s.$mul_add(a, b, c)
            }
            #[inline(always)]
            fn all_lanes<S: Simd>(_s: S, m: S::$m) -> bool {
                math::PulpMask::<S::$m, S::$u, $bits>::all_true(m, S::$lanes)
            }
            #[inline(always)]
            fn map_lanes<S: Simd>(s: S, m: S::$m, x: S::$v, f: fn(Self) -> Self) -> S::$v {
                let mut v = x;
                let mut mv: S::$u = bytemuck::cast(s.$select_u(m, s.$splat_u(!0), s.$splat_u(0)));
                let lanes =
                    bytemuck::cast_slice_mut::<S::$v, Self>(core::slice::from_mut(&mut v));
                let flags =
                    bytemuck::cast_slice_mut::<S::$u, $bits>(core::slice::from_mut(&mut mv));
                for (x, &flag) in lanes.iter_mut().zip(flags.iter()) {
                    if flag != 0 {
                        *x = f(*x);
                    }
                }
                v
            }
        }
    };
    (@binary $v:ident: $($f:ident $pulp:ident),* $(,)?) => {$(
        #[inline(always)]
        fn $f<S: Simd>(s: S, a: S::$v, b: S::$v) -> S::$v {
            s.$pulp(a, b)
        }
    )*};
    // A horizontal max/min that is NaN if any lane is (pulp's follows the ISA's operand rule).
    (@reduce_nan $elem:ident, $v:ident, $lanes:ident: $($f:ident $pulp:ident),* $(,)?) => {$(
        #[inline(always)]
        fn $f<S: Simd>(s: S, a: S::$v) -> Self {
            if Self::first_true(s, <Self as SimdElement>::ne(s, a, a)) < S::$lanes {
                $elem::NAN
            } else {
                s.$pulp(a)
            }
        }
    )*};
    (@compare $v:ident, $m:ident: $($f:ident $pulp:ident),* $(,)?) => {$(
        #[inline(always)]
        fn $f<S: Simd>(s: S, a: S::$v, b: S::$v) -> S::$m {
            s.$pulp(a, b)
        }
    )*};
}

// One row per name: the `f32` column, then the `f64` one.
pulp_elements! {
    elem: f32 f64,
    bits: u32 u64,
    v: f32s f64s,
    m: m32s m64s,
    u: u32s u64s,
    lanes: F32_LANES F64_LANES,
    as_simd: as_simd_f32s as_simd_f64s,
    as_mut_simd: as_mut_simd_f32s as_mut_simd_f64s,
    mask_between: mask_between_m32s mask_between_m64s,
    partial_load: partial_load_f32s partial_load_f64s,
    partial_store: partial_store_f32s partial_store_f64s,
    splat: splat_f32s splat_f64s,
    splat_u: splat_u32s splat_u64s,
    add: add_f32s add_f64s,
    sub: sub_f32s sub_f64s,
    mul: mul_f32s mul_f64s,
    div: div_f32s div_f64s,
    sqrt: sqrt_f32s sqrt_f64s,
    mul_add_e: mul_add_e_f32s mul_add_e_f64s,
    mul_add: mul_add_f32s mul_add_f64s,
    max: max_f32s max_f64s,
    min: min_f32s min_f64s,
    and_bits: and_f32s and_f64s,
    or_bits: or_f32s or_f64s,
    xor_bits: xor_f32s xor_f64s,
    lt: less_than_f32s less_than_f64s,
    le: less_than_or_equal_f32s less_than_or_equal_f64s,
    gt: greater_than_f32s greater_than_f64s,
    ge: greater_than_or_equal_f32s greater_than_or_equal_f64s,
    eq: equal_f32s equal_f64s,
    not: not_m32s not_m64s,
    and: and_m32s and_m64s,
    or: or_m32s or_m64s,
    select_u: select_u32s select_u64s,
    reduce_sum: reduce_sum_f32s reduce_sum_f64s,
    reduce_max: reduce_max_f32s reduce_max_f64s,
    reduce_min: reduce_min_f32s reduce_min_f64s,
}
