//! Whole-register kernels for the argmax of 2×2 windows at column stride 2 (the pools of CNNs):
//! a forward that writes each window's value and the window offset of its chosen element, and
//! the backward that routes `g` through those offsets without reading the input.
//!
//! Offsets travel through the registers as `E` lanes carrying the offset in their exponent field
//! (`code`), so the selects and compares are the ones every backend has; they are widened from
//! and narrowed to `u8` through a register-sized stack buffer by shifts, loops the compiler
//! vectorises.
//!
//! Rows are covered as in `pair.rs`: full registers, the last one taken at `count − lanes`
//! when the register width does not divide the row, rewriting the same values.

use core::any::Any;

use pulp::Simd;

use super::lanes::{unzip, zip};
use super::pair::{forward_one, load, store};
use crate::kernel::ReduceKernel;
use crate::simd::SimdElement;

/// Register starts covering `0..count` (`count ≥ lanes`): `0, L, 2L, …` and `count − L` when
/// `L` does not divide `count`.
#[inline(always)]
fn starts(count: usize, lanes: usize) -> impl Iterator<Item = usize> {
    let tail = (!count.is_multiple_of(lanes)).then_some(count - lanes);
    (0..count / lanes).map(move |k| k * lanes).chain(tail)
}

/// The lane value that carries offset `k`: `k` in the exponent field (`+0.0` for 0, normal
/// numbers increasing with `k` above), so offsets compare as floats with no subnormal and leave a
/// register with one shift and a narrowing (a float-to-integer conversion per lane measured
/// 0.58 against 0.20 ms for the argmax forward on the bench-card shape).
#[inline(always)]
fn code<E: SimdElement>(k: u8) -> E {
    let mut v = [E::ZERO];
    if let Some([f]) = (&mut v as &mut dyn Any).downcast_mut::<[f32; 1]>() {
        *f = f32::from_bits(u32::from(k) << 23);
    } else if let Some([d]) = (&mut v as &mut dyn Any).downcast_mut::<[f64; 1]>() {
        *d = f64::from_bits(u64::from(k) << 52);
    }
    v[0]
}

/// The four offsets of a 2×2 window as lanes ([`code`]); written out because `array::map`'s
/// closure compiles without the SIMD target features (an out-of-line call per row).
#[inline(always)]
fn codes<S: Simd, E: SimdElement>(s: S) -> [E::V<S>; 4] {
    [
        E::splat(s, code::<E>(0)),
        E::splat(s, code::<E>(1)),
        E::splat(s, code::<E>(2)),
        E::splat(s, code::<E>(3)),
    ]
}

/// Stores the offsets carried by the lanes of `v` ([`code`]) to `dst[..lanes]`.
#[inline(always)]
fn store_index<S: Simd, E: SimdElement>(dst: &mut [u8], v: E::V<S>) {
    let lanes = E::lanes::<S>();
    let mut buf = [E::ZERO; 16];
    store::<S, E>(&mut buf, 0, v);
    let dst = &mut dst[..lanes];
    if let Some(b) = (&buf as &dyn Any).downcast_ref::<[f32; 16]>() {
        for (d, x) in dst.iter_mut().zip(&b[..lanes]) {
            *d = (x.to_bits() >> 23) as u8;
        }
    } else if let Some(b) = (&buf as &dyn Any).downcast_ref::<[f64; 16]>() {
        for (d, x) in dst.iter_mut().zip(&b[..lanes]) {
            *d = (x.to_bits() >> 52) as u8;
        }
    }
}

/// The offsets `src[..lanes]` as lanes ([`code`]).
#[inline(always)]
fn load_index<S: Simd, E: SimdElement>(src: &[u8]) -> E::V<S> {
    let lanes = E::lanes::<S>();
    let src = &src[..lanes];
    let mut buf = [E::ZERO; 16];
    if let Some(b) = (&mut buf as &mut dyn Any).downcast_mut::<[f32; 16]>() {
        for (x, &k) in b[..lanes].iter_mut().zip(src) {
            *x = f32::from_bits(u32::from(k) << 23);
        }
    } else if let Some(b) = (&mut buf as &mut dyn Any).downcast_mut::<[f64; 16]>() {
        for (x, &k) in b[..lanes].iter_mut().zip(src) {
            *x = f64::from_bits(u64::from(k) << 52);
        }
    }
    load::<S, E>(&buf, 0)
}

/// Lanes where `x` is the window's result `v`: equal, or both NaN (`v_nan`) when some lane of
/// `v` is NaN. A function, not a closure: a closure is compiled without the SIMD target
/// features of its caller, and this one ran its compares as out-of-line intrinsic calls.
#[inline(always)]
fn hit<S: Simd, E: SimdElement>(
    s: S,
    x: E::V<S>,
    v: E::V<S>,
    v_nan: E::M<S>,
    any_nan: bool,
) -> E::M<S> {
    let eq = <E as SimdElement>::eq(s, x, v);
    if any_nan {
        E::or(s, eq, E::and(s, <E as SimdElement>::ne(s, x, x), v_nan))
    } else {
        eq
    }
}

/// Forward of one row of `kh = 2` rows of 2×2 windows: `acc[i]` = the fold `R` (a max or min)
/// of the window of output `i`, bit for bit what `pair::forward_row` writes, and `idx[i]` its
/// offset `p·2 + q`: the first element equal to that value, or the first NaN when it is NaN,
/// which is the element the input-reading backward picks. `r0`, `r1` are the window rows from
/// the first window's column, at least `2·acc.len()` long. Needs `pair::fits`.
#[inline(always)]
pub(super) fn forward_row<S: Simd, R: ReduceKernel, E: SimdElement>(
    s: S,
    acc: &mut [E],
    idx: &mut [u8],
    r0: &[E],
    r1: &[E],
) {
    let lanes = E::lanes::<S>();
    let count = acc.len();
    let (r0, r1) = (&r0[..2 * count], &r1[..2 * count]);
    let k = codes::<S, E>(s);
    for i in starts(count, lanes) {
        let (c0, c1) = (&r0[2 * i..], &r1[2 * i..]);
        let v = forward_one::<S, R, E, false>(s, 2, &|p| if p == 0 { c0 } else { c1 }, E::ONE);
        let (a, b) = unzip::<S, E>(s, load::<S, E>(c0, 0), load::<S, E>(c0, lanes));
        let (c, _) = unzip::<S, E>(s, load::<S, E>(c1, 0), load::<S, E>(c1, lanes));
        let v_nan = <E as SimdElement>::ne(s, v, v);
        let any_nan = E::first_true(s, v_nan) != lanes;
        // `v` is one of the four values (a NaN among them when it is NaN), so the last
        // position needs no compare.
        let at = E::select(s, hit::<S, E>(s, c, v, v_nan, any_nan), k[2], k[3]);
        let at = E::select(s, hit::<S, E>(s, b, v, v_nan, any_nan), k[1], at);
        let at = E::select(s, hit::<S, E>(s, a, v, v_nan, any_nan), k[0], at);
        store::<S, E>(acc, i, v);
        store_index::<S, E>(&mut idx[i..], at);
    }
}

/// Backward of one row of 2×2 windows that tile their two input rows: `d0[2i + q]` and
/// `d1[2i + q]` receive `grad[i]` where `idx[i]` is `q` (row 0) or `2 + q` (row 1), zero
/// elsewhere; every one of the `2·grad.len()` elements of both rows is written once. Returns
/// `false` if some offset is not below 4 (its gradient is then dropped, the rows still all
/// written). Needs `pair::fits`.
#[inline(always)]
pub(super) fn backward_row<S: Simd, E: SimdElement>(
    s: S,
    grad: &[E],
    idx: &[u8],
    d0: &mut [E],
    d1: &mut [E],
) -> bool {
    let lanes = E::lanes::<S>();
    let count = grad.len();
    let (idx, d0, d1) = (&idx[..count], &mut d0[..2 * count], &mut d1[..2 * count]);
    let zero = E::splat(s, E::ZERO);
    let k = codes::<S, E>(s);
    let mut bad = <E as SimdElement>::ne(s, zero, zero);
    for i in starts(count, lanes) {
        let g = load::<S, E>(grad, i);
        let at = load_index::<S, E>(&idx[i..]);
        let pick = |j: usize| E::select(s, <E as SimdElement>::eq(s, at, k[j]), g, zero);
        bad = E::or(s, bad, <E as SimdElement>::gt(s, at, k[3]));
        let (lo, hi) = zip::<S, E>(s, pick(0), pick(1));
        store::<S, E>(d0, 2 * i, lo);
        store::<S, E>(d0, 2 * i + lanes, hi);
        let (lo, hi) = zip::<S, E>(s, pick(2), pick(3));
        store::<S, E>(d1, 2 * i, lo);
        store::<S, E>(d1, 2 * i + lanes, hi);
    }
    E::first_true(s, bad) == lanes
}
