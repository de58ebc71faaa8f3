//! Shared harness of the SIMD math tests: run a vector function over a slice on a chosen pulp
//! backend, reference functions, and ulp distances.
#![allow(dead_code)]

use pulp::{Simd, WithSimd};
use simdgrad::simd::{ScalarMath, SimdElement};

/// The functions under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Exp,
    Exp2,
    Ln,
    Log2,
    Log1p,
    Expm1,
    Tanh,
    Sigmoid,
    Erf,
    Sin,
    Cos,
    Sqrt,
    Rsqrt,
    Recip,
    Abs,
    Signum,
    Relu,
    Floor,
    Ceil,
    Round,
    Powf,
    Max,
    Min,
    Powi(i32),
}

/// Every unary transcendental, with the ulp bound asserted for f32 and f64.
pub const UNARY: &[(Func, u64, u64)] = &[
    (Func::Exp, 1, 1),
    (Func::Exp2, 1, 1),
    (Func::Ln, 1, 1),
    (Func::Log2, 1, 1),
    (Func::Log1p, 2, 2),
    (Func::Expm1, 2, 2),
    (Func::Tanh, 2, 2),
    (Func::Sigmoid, 2, 2),
    (Func::Erf, 2, 2),
    (Func::Sin, 2, 2),
    (Func::Cos, 2, 2),
    (Func::Sqrt, 0, 0),
    (Func::Rsqrt, 1, 1),
    (Func::Recip, 0, 0),
    (Func::Abs, 0, 0),
    (Func::Signum, 0, 0),
    (Func::Relu, 0, 0),
    (Func::Floor, 0, 0),
    (Func::Ceil, 0, 0),
    (Func::Round, 0, 0),
];

/// Which pulp backend runs the vector code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `Arch::new()` dispatch (AVX-512 where available).
    Dispatch,
    /// AVX2 + FMA explicitly.
    V3,
    /// AVX-512 explicitly.
    V4,
    /// pulp's portable scalar backend.
    Scalar,
}

/// Backends available on this machine.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Dispatch, Backend::Scalar];
    if pulp::x86::V3::try_new().is_some() {
        v.push(Backend::V3);
    }
    if pulp::x86::V4::try_new().is_some() {
        v.push(Backend::V4);
    }
    v
}

struct Apply<'a, E> {
    f: Func,
    x: &'a [E],
    y: &'a [E],
    out: &'a mut [E],
}

#[inline(always)]
fn eval<S: Simd, E: SimdElement>(s: S, f: Func, x: E::V<S>, y: E::V<S>) -> E::V<S> {
    match f {
        Func::Exp => <E as SimdElement>::exp(s, x),
        Func::Exp2 => <E as SimdElement>::exp2(s, x),
        Func::Ln => <E as SimdElement>::ln(s, x),
        Func::Log2 => <E as SimdElement>::log2(s, x),
        Func::Log1p => <E as SimdElement>::log1p(s, x),
        Func::Expm1 => <E as SimdElement>::expm1(s, x),
        Func::Tanh => <E as SimdElement>::tanh(s, x),
        Func::Sigmoid => <E as SimdElement>::sigmoid(s, x),
        Func::Erf => <E as SimdElement>::erf(s, x),
        Func::Sin => <E as SimdElement>::sin(s, x),
        Func::Cos => <E as SimdElement>::cos(s, x),
        Func::Sqrt => <E as SimdElement>::sqrt(s, x),
        Func::Rsqrt => <E as SimdElement>::rsqrt(s, x),
        Func::Recip => <E as SimdElement>::recip(s, x),
        Func::Abs => <E as SimdElement>::abs(s, x),
        Func::Signum => <E as SimdElement>::signum(s, x),
        Func::Relu => <E as SimdElement>::relu(s, x),
        Func::Floor => <E as SimdElement>::floor(s, x),
        Func::Ceil => <E as SimdElement>::ceil(s, x),
        Func::Round => <E as SimdElement>::round(s, x),
        Func::Powf => <E as SimdElement>::powf(s, x, y),
        Func::Max => <E as SimdElement>::max(s, x, y),
        Func::Min => <E as SimdElement>::min(s, x, y),
        Func::Powi(n) => <E as SimdElement>::powi(s, x, n),
    }
}

impl<E: SimdElement> WithSimd for Apply<'_, E> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let lanes = E::lanes::<S>();
        let n = self.x.len();
        let mut i = 0;
        while i < n {
            let m = lanes.min(n - i);
            let x = E::partial_load(s, &self.x[i..i + m], E::ONE);
            let y = E::partial_load(s, &self.y[i..i + m], E::ONE);
            E::partial_store(s, &mut self.out[i..i + m], eval::<S, E>(s, self.f, x, y));
            i += m;
        }
    }
}

/// `out[i] = f(x[i], y[i])` on backend `b` (`y` ignored by unary functions).
pub fn run<E: SimdElement>(b: Backend, f: Func, x: &[E], y: &[E]) -> Vec<E> {
    let mut out = vec![E::ZERO; x.len()];
    let op = Apply {
        f,
        x,
        y,
        out: &mut out,
    };
    match b {
        Backend::Dispatch => pulp::Arch::new().dispatch(op),
        Backend::V3 => Simd::vectorize(pulp::x86::V3::try_new().expect("AVX2"), op),
        Backend::V4 => Simd::vectorize(pulp::x86::V4::try_new().expect("AVX-512"), op),
        Backend::Scalar => Simd::vectorize(pulp::Scalar::new(), op),
    }
    out
}

/// The scalar twin of `f`.
pub fn scalar<E: SimdElement>(f: Func, x: E, y: E) -> E {
    match f {
        Func::Exp => <E as ScalarMath>::exp(x),
        Func::Exp2 => <E as ScalarMath>::exp2(x),
        Func::Ln => <E as ScalarMath>::ln(x),
        Func::Log2 => <E as ScalarMath>::log2(x),
        Func::Log1p => <E as ScalarMath>::log1p(x),
        Func::Expm1 => <E as ScalarMath>::expm1(x),
        Func::Tanh => <E as ScalarMath>::tanh(x),
        Func::Sigmoid => <E as ScalarMath>::sigmoid(x),
        Func::Erf => <E as ScalarMath>::erf(x),
        Func::Sin => <E as ScalarMath>::sin(x),
        Func::Cos => <E as ScalarMath>::cos(x),
        Func::Sqrt => <E as ScalarMath>::sqrt(x),
        Func::Rsqrt => <E as ScalarMath>::rsqrt(x),
        Func::Recip => <E as ScalarMath>::recip(x),
        Func::Abs => <E as ScalarMath>::abs(x),
        Func::Signum => <E as ScalarMath>::signum(x),
        Func::Relu => <E as ScalarMath>::relu(x),
        Func::Floor => <E as ScalarMath>::floor(x),
        Func::Ceil => <E as ScalarMath>::ceil(x),
        Func::Round => <E as ScalarMath>::round(x),
        Func::Powf => <E as ScalarMath>::powf(x, y),
        Func::Max => <E as ScalarMath>::max(x, y),
        Func::Min => <E as ScalarMath>::min(x, y),
        Func::Powi(n) => <E as ScalarMath>::powi(x, n),
    }
}

/// Reference in f64 (libm / std): for f32 inputs this, rounded to f32, is within 0.5 ulp plus
/// libm's own < 1 ulp of f64 (≈ 2^-29 f32 ulp), i.e. the correctly rounded value except in
/// rare double-rounding ties. For f64 it is libm itself (≤ 1 ulp).
pub fn reference(f: Func, x: f64, y: f64) -> f64 {
    match f {
        Func::Exp => x.exp(),
        Func::Exp2 => x.exp2(),
        Func::Ln => x.ln(),
        Func::Log2 => x.log2(),
        Func::Log1p => x.ln_1p(),
        Func::Expm1 => x.exp_m1(),
        Func::Tanh => x.tanh(),
        Func::Sigmoid => {
            let z = (-x.abs()).exp();
            if x < 0.0 {
                z / (1.0 + z)
            } else {
                1.0 / (1.0 + z)
            }
        }
        Func::Erf => libm::erf(x),
        Func::Sin => x.sin(),
        Func::Cos => x.cos(),
        Func::Sqrt => x.sqrt(),
        Func::Rsqrt => 1.0 / x.sqrt(),
        Func::Recip => 1.0 / x,
        Func::Abs => x.abs(),
        Func::Signum => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                x
            }
        }
        Func::Relu => {
            if x > 0.0 || x.is_nan() {
                x
            } else {
                0.0
            }
        }
        Func::Floor => x.floor(),
        Func::Ceil => x.ceil(),
        Func::Round => x.round(),
        Func::Powf => x.powf(y),
        Func::Max => {
            if x.is_nan() || y.is_nan() {
                f64::NAN
            } else {
                x.max(y)
            }
        }
        Func::Min => {
            if x.is_nan() || y.is_nan() {
                f64::NAN
            } else {
                x.min(y)
            }
        }
        // powi(x, 0) = 1 for every x, signaling NaNs included (glibc's pow gives NaN there).
        Func::Powi(0) => 1.0,
        Func::Powi(n) => x.powf(n as f64),
    }
}

/// What the harness needs of an element type beyond [`SimdElement`]: its bits and the
/// constants its edge values are built from.
pub trait TestFloat: SimdElement {
    /// `"f32"` or `"f64"`, for messages.
    const NAME: &'static str;
    /// The sign bit of [`TestFloat::bits`].
    const SIGN: u64;
    /// Largest finite value.
    const MAX: Self;
    /// Smallest positive normal value.
    const MIN_POSITIVE: Self;
    /// The bit pattern, widened to `u64`.
    fn bits(self) -> u64;
    /// The value with bit pattern `bits` (the low half for `f32`).
    fn from_bits(bits: u64) -> Self;
}

/// `TestFloat` for a float type with the unsigned type of its bits.
macro_rules! impl_test_float {
    ($($t:ident $bits:ident),*) => {$(
        impl TestFloat for $t {
            const NAME: &'static str = stringify!($t);
            const SIGN: u64 = 1 << ($bits::BITS - 1);
            const MAX: Self = $t::MAX;
            const MIN_POSITIVE: Self = $t::MIN_POSITIVE;
            fn bits(self) -> u64 {
                self.to_bits().into()
            }
            fn from_bits(bits: u64) -> Self {
                // Keeps the low half for f32.
                $t::from_bits(bits as $bits)
            }
        }
    )*};
}
impl_test_float!(f32 u32, f64 u64);

/// Distance in ulps between two values (0 for two NaNs, `u64::MAX` for NaN vs number; the sign
/// of zero counts as one step).
pub fn ulp<E: TestFloat>(a: E, b: E) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u64::MAX
        };
    }
    // Sign-magnitude bits onto a line where consecutive floats are one apart.
    let key = |v: E| {
        let magnitude = (v.bits() & !E::SIGN) as i128;
        if v.bits() & E::SIGN != 0 {
            -magnitude - 1
        } else {
            magnitude
        }
    };
    (key(a) - key(b)).unsigned_abs().min(u64::MAX as u128) as u64
}

/// `f`'s [`reference`] at `x`, `y`, rounded to the element type.
pub fn reference_in<E: TestFloat>(f: Func, x: E, y: E) -> E {
    E::from_f64(reference(f, x.to_f64(), y.to_f64()))
}

/// The values at the ends of every format, which every function is checked on: zeros,
/// infinities, NaNs of both signs, the normal and subnormal limits, small halves and
/// integers, the neighbours of 1, and the multiples of π/2 with their next float up.
fn edge_values_of_the_format<E: TestFloat>() -> Vec<E> {
    let mut v = vec![
        E::ZERO,
        -E::ZERO,
        E::INFINITY,
        E::NEG_INFINITY,
        E::NAN,
        -E::NAN,
        E::MIN_POSITIVE,
        -E::MIN_POSITIVE,
        E::from_bits(1),
        -E::from_bits(E::MIN_POSITIVE.bits() - 1),
        E::from_bits(E::MIN_POSITIVE.bits() - 1),
        E::MAX,
        -E::MAX,
    ];
    v.extend([1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5].map(E::from_f64));
    let eps = E::EPSILON.to_f64();
    v.extend([1.0 + eps, 1.0 - eps / 2.0, -1.0 + eps / 2.0].map(E::from_f64));
    for k in -8..=8 {
        let t = E::from_f64(k as f64 * core::f64::consts::FRAC_PI_2);
        v.push(t);
        v.push(E::from_bits(t.bits().wrapping_add(1)));
    }
    v
}

/// Edge values of the f32 functions: those of the format, then the exp family's overflow and
/// underflow thresholds, `tanh`'s saturation and the neighbours of `|x| = ln2/4` (where its
/// `e^{2|x|}` reduction first scales by 2), the rounding magics and the trig reduction limit.
pub fn edge_values_f32() -> Vec<f32> {
    let mut v = edge_values_of_the_format::<f32>();
    let q = (core::f64::consts::LN_2 / 4.0) as f32;
    for d in [-1i32, 0, 1] {
        let x = f32::from_bits(q.to_bits().wrapping_add_signed(d));
        v.extend([x, -x]);
    }
    v.extend([
        88.72283,
        88.722_84,
        88.8,
        -87.33655,
        -103.97208,
        -103.972_09,
        -104.0,
        -150.0,
        128.0,
        -149.0,
        -126.0,
        1e-8,
        -1e-8,
        9.0,
        9.1,
        -9.1,
        20.0,
        8_388_608.0,
        8_388_607.5,
        -8_388_607.5,
        16_777_217.0,
    ]);
    v.extend([65536.0f32, 65537.0, 1e6, 1e10, 1e30, -3.0e38]);
    v
}

/// As [`edge_values_f32`] for f64.
pub fn edge_values_f64() -> Vec<f64> {
    let mut v = edge_values_of_the_format::<f64>();
    v.extend([
        709.782_712_893_384,
        709.79,
        710.0,
        -708.39,
        -745.133_219_101_941_1,
        -745.14,
        -746.0,
        1024.0,
        -1074.0,
        -1075.0,
        -1022.0,
        1e-17,
        -1e-17,
        19.0,
        19.5,
        -19.5,
        40.0,
        4_503_599_627_370_496.0,
        4_503_599_627_370_495.5,
        -4_503_599_627_370_495.5,
        9_007_199_254_740_993.0,
    ]);
    v.extend([1_048_576.0f64, 1_048_577.0, 1e10, 1e30, 1e300, -1e308]);
    v
}

/// `rounds` times three `powf` pairs drawn from `rng`, as `(x32, y32, x64, y64)`: a base
/// `e^U[-30, 30]` with an exponent `U[-20, 20]`, a base near 1 with an exponent that takes
/// `y·ln(x)` across the whole exp range, and the negated base with the rounded exponent.
pub fn powf_sample(rng: &mut Rng, rounds: usize) -> (Vec<f32>, Vec<f32>, Vec<f64>, Vec<f64>) {
    let (mut x32, mut y32, mut x64, mut y64) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let w = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let base = (60.0 * u - 30.0).exp();
        let e = 40.0 * w - 20.0;
        x32.push(base as f32);
        y32.push(e as f32);
        x64.push(base);
        y64.push(e);
        // Bases near 1 with large exponents: y·ln(x) spans the whole exp range.
        let b1 = 0.5 + 1.5 * u;
        let target = 180.0 * w - 95.0;
        x32.push(b1 as f32);
        y32.push((target / (b1 as f32 as f64).ln()) as f32);
        let b1d = 0.7 + 0.7 * w;
        x64.push(b1d);
        y64.push((1300.0 * u - 720.0) / b1d.ln());
        // Negative bases with integer exponents.
        x32.push(-(base as f32));
        y32.push(e.round() as f32);
        x64.push(-base);
        y64.push(e.round());
    }
    (x32, y32, x64, y64)
}

/// The largest ulp error of `f` on the dispatched backend over the pairs `(x, y)`.
pub fn max_ulp<E: TestFloat>(f: Func, x: &[E], y: &[E]) -> u64 {
    let out = run::<E>(Backend::Dispatch, f, x, y);
    (0..x.len())
        .map(|i| ulp(out[i], reference_in(f, x[i], y[i])))
        .max()
        .unwrap_or(0)
}

/// A small deterministic PRNG (xorshift64*), so the tests need no seed management.
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}
