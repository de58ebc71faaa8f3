//! `erf`: the fdlibm/musl rational approximations on `[0, 0.84375)`, `[0.84375, 1.25)`,
//! `[1.25, 1/0.35)`, `[1/0.35, 6)`, with the coefficient set chosen per lane by selects so every
//! lane evaluates one rational function, and `erf = 1` from 6 on (f32 and f64).

use pulp::Simd;

use super::exp::exp;
use super::{c, copysign, Prim};
use crate::simd::SimdElement;

/// Coefficient sets of the four intervals: numerator `P` (8 coefficients from degree 0, zero
/// padded) and denominator `Q = 1 + t·(q[0] + t·(…))` (8 coefficients, zero padded).
pub(crate) struct ErfCoeffs {
    /// Numerators, one row per interval.
    pub p: [[f64; 8]; 4],
    /// Denominators without their leading 1, one row per interval.
    pub q: [[f64; 8]; 4],
    /// `erf(1)` rounded (fdlibm `erx`).
    pub erx: f64,
}

/// fdlibm `s_erf.c` coefficients; the f32 path uses them rounded to f32 (musl's `erff` table
/// is the same numbers in single precision).
pub(crate) const ERF: ErfCoeffs = ErfCoeffs {
    p: [
        [
            0.12837916709551256,
            -0.3250421072470015,
            -0.02848174957559851,
            -0.005770270296489442,
            -2.3763016656650163e-05,
            0.0,
            0.0,
            0.0,
        ],
        [
            -0.0023621185607526594,
            0.4148561186837483,
            -0.3722078760357013,
            0.31834661990116175,
            -0.11089469428239668,
            0.035478304325618236,
            -0.002166375594868791,
            0.0,
        ],
        [
            -0.009864944034847148,
            -0.6938585727071818,
            -10.558626225323291,
            -62.37533245032601,
            -162.39666946257347,
            -184.60509290671104,
            -81.2874355063066,
            -9.814329344169145,
        ],
        [
            -0.0098649429247001,
            -0.799283237680523,
            -17.757954917754752,
            -160.63638485582192,
            -637.5664433683896,
            -1025.0951316110772,
            -483.5191916086514,
            0.0,
        ],
    ],
    q: [
        [
            0.39791722395915535,
            0.0650222499887673,
            0.005081306281875766,
            0.00013249473800432164,
            -3.960228278775368e-06,
            0.0,
            0.0,
            0.0,
        ],
        [
            0.10642088040084423,
            0.540397917702171,
            0.07182865441419627,
            0.12617121980876164,
            0.01363708391202905,
            0.011984499846799107,
            0.0,
            0.0,
        ],
        [
            19.651271667439257,
            137.65775414351904,
            434.56587747522923,
            645.3872717332679,
            429.0081400275678,
            108.63500554177944,
            6.570249770319282,
            -0.0604244152148581,
        ],
        [
            30.33806074348246,
            325.7925129965739,
            1536.729586084437,
            3199.8582195085955,
            2553.0504064331644,
            474.5285412069554,
            -22.44095244658582,
            0.0,
        ],
    ],
    erx: 0.8450629115104675,
};

/// Coefficient `i` of `rows` chosen per lane by the interval masks.
#[inline(always)]
fn pick<S: Simd, E: Prim>(s: S, rows: &[[f64; 8]; 4], i: usize, m: &[E::M<S>; 3]) -> E::V<S> {
    let v = c::<S, E>(s, rows[0][i]);
    let v = E::select(s, m[0], c::<S, E>(s, rows[1][i]), v);
    let v = E::select(s, m[1], c::<S, E>(s, rows[2][i]), v);
    E::select(s, m[2], c::<S, E>(s, rows[3][i]), v)
}

/// Error function.
#[inline(always)]
pub(crate) fn erf<S: Simd, E: Prim>(s: S, x: E::V<S>) -> E::V<S> {
    let t = &ERF;
    let a = <E as SimdElement>::abs(s, x);
    let ge = |v: f64| <E as SimdElement>::ge(s, a, c::<S, E>(s, v));
    let (in_b, in_c1, in_c2) = (ge(0.84375), ge(1.25), ge(1.0 / 0.35));
    let in_a = E::not(s, in_b);
    let in_c = in_c1;
    // Masks are nested (b ⊇ c1 ⊇ c2), so later selects override earlier ones.
    let masks = [in_b, in_c1, in_c2];
    let one = c::<S, E>(s, 1.0);
    let aa = <E as SimdElement>::mul(s, a, a);
    let var_c = <E as SimdElement>::div(s, one, aa);
    let var = E::select(s, in_a, aa, <E as SimdElement>::sub(s, a, one));
    let var = E::select(s, in_c, var_c, var);
    let mut p = pick::<S, E>(s, &t.p, 7, &masks);
    let mut q = pick::<S, E>(s, &t.q, 7, &masks);
    for i in (0..7).rev() {
        p = E::fma(s, p, var, pick::<S, E>(s, &t.p, i, &masks));
        q = E::fma(s, q, var, pick::<S, E>(s, &t.q, i, &masks));
    }
    let q = E::fma(s, q, var, one);
    let ratio = <E as SimdElement>::div(s, p, q);
    // [0, 0.84375): a + a·ratio, evaluated scaled up so subnormal a rounds only once.
    let up = c::<S, E>(s, (1u64 << (E::MANT_BITS + 1)) as f64);
    let down = c::<S, E>(s, 1.0 / (1u64 << (E::MANT_BITS + 1)) as f64);
    let au = <E as SimdElement>::mul(s, a, up);
    let ya = <E as SimdElement>::mul(s, E::fma(s, au, ratio, au), down);
    // [0.84375, 1.25): erx + ratio.
    let yb = <E as SimdElement>::add(s, c::<S, E>(s, t.erx), ratio);
    // [1.25, 6): 1 − exp(−a² − 0.5625 + ratio)/a; erfc is below 0.08 here, so its few-ulp
    // relative error is far below one ulp of the result.
    let arg = <E as SimdElement>::add(
        s,
        <E as SimdElement>::sub(s, <E as SimdElement>::neg(s, aa), c::<S, E>(s, 0.5625)),
        ratio,
    );
    let erfc = <E as SimdElement>::div(s, exp::<S, E>(s, arg), a);
    let yc = <E as SimdElement>::sub(s, one, erfc);
    let y = E::select(s, in_b, yb, ya);
    let y = E::select(s, in_c, yc, y);
    let y = E::select(s, ge(6.0), one, y);
    copysign::<S, E>(s, y, x)
}
