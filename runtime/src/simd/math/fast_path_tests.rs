//! The exp family's fast paths return the same bits as the exact paths they shortcut: each
//! fast function against its exact twin on its whole fast domain (a dense sample here, every
//! f32 in the ignored exhaustive test), and each dispatching function against the exact one
//! over the whole domain, on every pulp backend of the machine.

use pulp::{Simd, WithSimd};

use super::exp::{
    exp, exp2, exp2_exact, exp2_fast, exp_dw, exp_dw_exact, exp_dw_fast, exp_exact, exp_fast,
    exp_fast_max, expm1_dw, expm1_dw_exact, expm1_dw_fast, EXPM1_FAST_MAX,
};
use super::tanh_sigmoid::{sigmoid, sigmoid_exact, sigmoid_fast, tanh, tanh_exact, tanh_fast};
use super::{c, Prim};
use crate::simd::SimdElement;

/// A function with a fast path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Exp,
    Exp2,
    /// `exp_dw(x, x·2^-26)`.
    ExpDw,
    /// The high part of `expm1_dw(x)`.
    Expm1Hi,
    /// The low part of `expm1_dw(x)`.
    Expm1Lo,
    Tanh,
    Sigmoid,
}

const FAMILIES: [Family; 7] = [
    Family::Exp,
    Family::Exp2,
    Family::ExpDw,
    Family::Expm1Hi,
    Family::Expm1Lo,
    Family::Tanh,
    Family::Sigmoid,
];

/// Which implementation of a family runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    /// The public function (fast path when the whole register allows it).
    Dispatch,
    /// The fast path alone (only valid on [`fast_max`]'s domain).
    Fast,
    /// The exact path alone.
    Exact,
}

/// `|x|` bound of the family's fast path.
fn fast_max<E: Prim>(f: Family) -> f64 {
    match f {
        Family::Exp | Family::ExpDw | Family::Sigmoid => exp_fast_max::<E>(),
        Family::Exp2 => E::POW2_FAST_K,
        Family::Expm1Hi | Family::Expm1Lo => EXPM1_FAST_MAX,
        Family::Tanh => E::TANH_SAT,
    }
}

#[inline(always)]
fn eval<S: Simd, E: Prim>(s: S, f: Family, p: Path, x: E::V<S>) -> E::V<S> {
    let l = <E as SimdElement>::mul(s, x, c::<S, E>(s, 1.0 / 67_108_864.0));
    let expm1_part = |hi: bool| {
        let (h, lo) = match p {
            Path::Dispatch => expm1_dw::<S, E>(s, x),
            Path::Fast => expm1_dw_fast::<S, E>(s, x),
            Path::Exact => expm1_dw_exact::<S, E>(s, x),
        };
        if hi {
            h
        } else {
            lo
        }
    };
    match (f, p) {
        (Family::Exp, Path::Dispatch) => exp::<S, E>(s, x),
        (Family::Exp, Path::Fast) => exp_fast::<S, E>(s, x),
        (Family::Exp, Path::Exact) => exp_exact::<S, E>(s, x),
        (Family::Exp2, Path::Dispatch) => exp2::<S, E>(s, x),
        (Family::Exp2, Path::Fast) => exp2_fast::<S, E>(s, x),
        (Family::Exp2, Path::Exact) => exp2_exact::<S, E>(s, x),
        (Family::ExpDw, Path::Dispatch) => exp_dw::<S, E>(s, x, l),
        (Family::ExpDw, Path::Fast) => exp_dw_fast::<S, E>(s, x, l),
        (Family::ExpDw, Path::Exact) => exp_dw_exact::<S, E>(s, x, l),
        (Family::Expm1Hi, _) => expm1_part(true),
        (Family::Expm1Lo, _) => expm1_part(false),
        (Family::Tanh, Path::Dispatch) => tanh::<S, E>(s, x),
        (Family::Tanh, Path::Fast) => tanh_fast::<S, E>(s, x, <E as SimdElement>::abs(s, x)),
        (Family::Tanh, Path::Exact) => tanh_exact::<S, E>(s, x),
        (Family::Sigmoid, Path::Dispatch) => sigmoid::<S, E>(s, x),
        (Family::Sigmoid, Path::Fast) => sigmoid_fast::<S, E>(s, x),
        (Family::Sigmoid, Path::Exact) => sigmoid_exact::<S, E>(s, x),
    }
}

struct Apply<'a, E> {
    f: Family,
    p: Path,
    x: &'a [E],
    out: &'a mut [E],
}

impl<E: Prim> WithSimd for Apply<'_, E> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let lanes = E::lanes::<S>();
        let mut i = 0;
        while i < self.x.len() {
            let m = lanes.min(self.x.len() - i);
            let x = E::partial_load(s, &self.x[i..i + m], E::ONE);
            let y = eval::<S, E>(s, self.f, self.p, x);
            E::partial_store(s, &mut self.out[i..i + m], y);
            i += m;
        }
    }
}

/// pulp backends of this machine.
#[derive(Clone, Copy, Debug)]
enum Backend {
    Dispatch,
    Scalar,
    #[cfg(target_arch = "x86_64")]
    V3,
}

fn backends() -> Vec<Backend> {
    #[allow(unused_mut)]
    let mut v = vec![Backend::Dispatch, Backend::Scalar];
    #[cfg(target_arch = "x86_64")]
    if pulp::x86::V3::try_new().is_some() {
        v.push(Backend::V3);
    }
    v
}

fn run<E: Prim>(b: Backend, f: Family, p: Path, x: &[E]) -> Vec<E> {
    let mut out = vec![E::ZERO; x.len()];
    let op = Apply {
        f,
        p,
        x,
        out: &mut out,
    };
    match b {
        Backend::Dispatch => pulp::Arch::new().dispatch(op),
        Backend::Scalar => Simd::vectorize(pulp::Scalar::new(), op),
        #[cfg(target_arch = "x86_64")]
        Backend::V3 => match pulp::x86::V3::try_new() {
            Some(v3) => Simd::vectorize(v3, op),
            None => unreachable!("backends() lists V3 only when available"),
        },
    }
    out
}

/// The first input where `a` and `b` differ in bits, with both results.
fn first_mismatch<E: Prim>(x: &[E], a: &[E], b: &[E]) -> Option<(E, E, E)> {
    (0..x.len())
        .find(|&i| a[i].to_f64().to_bits() != b[i].to_f64().to_bits())
        .map(|i| (x[i], a[i], b[i]))
}

/// xorshift64*.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// Special values, values at and next to every fast bound, a bit-pattern sample of the whole
/// domain and uniform samples of `[-1.1·B, 1.1·B]` for every bound `B`.
fn inputs<E: Prim>(bits_of: fn(u64) -> E) -> Vec<E> {
    let mut v: Vec<E> = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
        1e-300,
        -1e-40,
        1.0,
        -1.0,
        1e30,
        -1e30,
    ]
    .iter()
    .map(|&x| E::from_f64(x))
    .collect();
    for f in FAMILIES {
        let b = E::from_f64(fast_max::<E>(f));
        for x in [b, -b] {
            let u = x.to_f64().to_bits();
            for d in [u.wrapping_sub(2), u.wrapping_sub(1), u, u + 1, u + 2] {
                v.push(E::from_f64(f64::from_bits(d)));
                v.push(E::from_f64(f64::from_bits(d)) * E::from_f64(1.0 + f64::EPSILON));
            }
        }
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..200_000 {
        v.push(bits_of(next(&mut state)));
    }
    for f in FAMILIES {
        let b = fast_max::<E>(f);
        for _ in 0..40_000 {
            let u = (next(&mut state) >> 11) as f64 / (1u64 << 53) as f64;
            v.push(E::from_f64((2.0 * u - 1.0) * 1.1 * b));
        }
    }
    v
}

fn check_family<E: Prim>(f: Family, x: &[E]) {
    let bound = E::from_f64(fast_max::<E>(f));
    let inside: Vec<E> = x
        .iter()
        .copied()
        .filter(|&v| <E as crate::simd::ScalarMath>::abs(v) <= bound)
        .collect();
    assert!(
        inside.len() > 100_000,
        "{f:?}: too few inputs in the fast domain"
    );
    for b in backends() {
        let fast = run(b, f, Path::Fast, &inside);
        let exact = run(b, f, Path::Exact, &inside);
        if let Some((x, a, e)) = first_mismatch(&inside, &fast, &exact) {
            panic!("{f:?} on {b:?}: fast {a:?} != exact {e:?} at {x:?}");
        }
        let dispatch = run(b, f, Path::Dispatch, x);
        let exact = run(b, f, Path::Exact, x);
        if let Some((x, a, e)) = first_mismatch(x, &dispatch, &exact) {
            panic!("{f:?} on {b:?}: dispatch {a:?} != exact {e:?} at {x:?}");
        }
    }
}

#[test]
fn fast_paths_match_the_exact_paths_bit_for_bit_f32() {
    let x = inputs::<f32>(|u| f32::from_bits(u as u32));
    for f in FAMILIES {
        check_family::<f32>(f, &x);
    }
}

#[test]
fn fast_paths_match_the_exact_paths_bit_for_bit_f64() {
    let x = inputs::<f64>(f64::from_bits);
    for f in FAMILIES {
        check_family::<f64>(f, &x);
    }
}

/// Every f32 of every fast domain through the fast and the exact path (vector backends only:
/// the scalar backend's software FMA would take hours). Run with
/// `cargo test --release -p simdgrad --lib fast_paths_exhaustive -- --ignored --nocapture`.
#[test]
#[ignore = "exhaustive: minutes in release mode"]
fn fast_paths_exhaustive_f32() {
    let vector: Vec<Backend> = backends()
        .into_iter()
        .filter(|b| !matches!(b, Backend::Scalar))
        .collect();
    for f in FAMILIES {
        let t = std::time::Instant::now();
        let top = (fast_max::<f32>(f) as f32).to_bits();
        let handles: Vec<_> = [0u32, 0x8000_0000]
            .into_iter()
            .map(|sign| {
                let vector = vector.clone();
                std::thread::spawn(move || {
                    let chunk = 1u32 << 16;
                    let mut x = vec![0.0f32; chunk as usize];
                    let mut start = 0u32;
                    while start <= top {
                        let n = chunk.min(top - start + 1);
                        x.truncate(0);
                        x.extend((start..start + n).map(|b| f32::from_bits(b | sign)));
                        for &b in &vector {
                            let fast = run(b, f, Path::Fast, &x);
                            let exact = run(b, f, Path::Exact, &x);
                            if let Some(m) = first_mismatch(&x, &fast, &exact) {
                                return Some((b, m));
                            }
                        }
                        start += n;
                    }
                    None
                })
            })
            .collect();
        for h in handles {
            if let Some((b, (x, a, e))) = h.join().expect("sweep thread") {
                panic!("{f:?} on {b:?}: fast {a:e} != exact {e:e} at {x:e}");
            }
        }
        println!(
            "{f:?}: fast == exact on all |x| <= {top:#x} bits, {:.0?}",
            t.elapsed()
        );
    }
}
