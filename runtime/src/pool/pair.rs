//! Rows of windows two columns wide at column stride 2 (the 2×2 / stride-2 pools of CNNs), in
//! whole registers: a register of outputs reads `kh` rows of two full input registers, unzips
//! them into even and odd columns (`lanes.rs`) and writes one full output register.
//!
//! A row of `count ≥ lanes` outputs never needs a partial load or store: its last register is
//! taken at `count − lanes`, overlapping the one before, and recomputes (and rewrites) the same
//! values there. pulp's partial loads and stores go through an indirect jump per call, which
//! cost more than the pooling itself on the short rows of a CNN (28 outputs on the bench shape).
//!
//! Forward folds each window in row-major order from the identity with `R::simd`, so a sum (and
//! so an average) rounds exactly as the `tile` reference does. A max or min first takes the
//! cheap `select(a < x, x, a)` (no NaN or signed-zero handling), down the rows first and then
//! across the unzipped column pair, beside an independent sum of the inputs; a register whose sum is NaN (a NaN input, or both infinities)
//! or whose result has a zero lane is recomputed with the exact fold, as `kernel/extreme.rs`
//! does. Any other fast result is the unique extreme of its window, the same bits whatever the
//! order.
//!
//! Backward is for windows that partition their rows (stride = window): each gradient element
//! is written exactly once. A 2×2 max or min routes `g` with a three-match tournament (left
//! pair, right pair, the two winners; ties keep the earlier), again with an exact fallback for a
//! register whose window holds a NaN; a sum writes `g` (divided by the window size for an
//! average) to every position.
//!
//! SIMD work here is written in `#[inline(always)]` functions, never in closures: a closure is
//! compiled as a function of its own without the target features of the `pulp` dispatch, and
//! when not inlined its intrinsics become calls (measured: the 2×2 backward went 0.6 → 8 ms).

use pulp::Simd;

use super::lanes::{unzip, zip};
use crate::kernel::extreme::pick;
use crate::kernel::{ReduceKernel, ReducePattern};
use crate::simd::SimdElement;

/// A full register from `r[at..at + lanes]`.
#[inline(always)]
pub(super) fn load<S: Simd, E: SimdElement>(r: &[E], at: usize) -> E::V<S> {
    E::as_simd::<S>(&r[at..at + E::lanes::<S>()]).0[0]
}

/// Stores `v` to `d[at..at + lanes]`.
#[inline(always)]
pub(super) fn store<S: Simd, E: SimdElement>(d: &mut [E], at: usize, v: E::V<S>) {
    E::as_mut_simd::<S>(&mut d[at..at + E::lanes::<S>()]).0[0] = v;
}

/// Register starts covering `0..count` with full registers: `0, L, 2L, …` and, if `L` does not
/// divide `count`, a last one at `count − L`. Empty if `count < L`.
#[inline(always)]
fn starts(count: usize, lanes: usize) -> impl Iterator<Item = usize> {
    let full = if count >= lanes { count / lanes } else { 0 };
    let tail = (count >= lanes && !count.is_multiple_of(lanes)).then_some(count - lanes);
    (0..full).map(move |k| k * lanes).chain(tail)
}

/// `true` when the row can run here: at least one full register of outputs.
#[inline(always)]
pub(super) fn fits<S: Simd, E: SimdElement>(count: usize) -> bool {
    count >= E::lanes::<S>()
}

/// The exact fold (from the identity, row-major) of one register of windows, whose row `p`
/// starts at `rows(p)[0]`.
#[inline(always)]
fn exact_window<'r, S: Simd, R: ReduceKernel, E: SimdElement + 'r>(
    s: S,
    kh: usize,
    rows: &impl Fn(usize) -> &'r [E],
) -> E::V<S> {
    let lanes = E::lanes::<S>();
    let mut v = E::splat(s, R::identity::<E>());
    for p in 0..kh {
        let r = rows(p);
        let (e, o) = unzip::<S, E>(s, load::<S, E>(r, 0), load::<S, E>(r, lanes));
        v = R::simd::<S, E>(s, v, e);
        v = R::simd::<S, E>(s, v, o);
    }
    v
}

/// The fast max (`MAX`) or min of one register of windows (as [`exact_window`]), or `None`
/// where only the exact fold may decide (a NaN input, both infinities, or a zero result).
#[inline(always)]
fn fast_window<'r, S: Simd, E: SimdElement + 'r, const MAX: bool>(
    s: S,
    kh: usize,
    rows: &impl Fn(usize) -> &'r [E],
) -> Option<E::V<S>> {
    let lanes = E::lanes::<S>();
    let r = rows(0);
    let (mut lo, mut hi) = (load::<S, E>(r, 0), load::<S, E>(r, lanes));
    let mut guard = <E as SimdElement>::add(s, lo, hi);
    for p in 1..kh {
        let r = rows(p);
        let (a, b) = (load::<S, E>(r, 0), load::<S, E>(r, lanes));
        lo = pick::<S, E, MAX>(s, lo, a);
        hi = pick::<S, E, MAX>(s, hi, b);
        guard = <E as SimdElement>::add(s, guard, <E as SimdElement>::add(s, a, b));
    }
    let (e, o) = unzip::<S, E>(s, lo, hi);
    let v = pick::<S, E, MAX>(s, e, o);
    let zero = E::splat(s, E::ZERO);
    let bad = E::or(
        s,
        <E as SimdElement>::ne(s, guard, guard),
        <E as SimdElement>::eq(s, v, zero),
    );
    (E::first_true(s, bad) == lanes).then_some(v)
}

/// One register of outputs of the forward, rows as in [`exact_window`].
#[inline(always)]
pub(super) fn forward_one<'r, S: Simd, R: ReduceKernel, E: SimdElement + 'r, const MEAN: bool>(
    s: S,
    kh: usize,
    rows: &impl Fn(usize) -> &'r [E],
    n: E,
) -> E::V<S> {
    let fast = match R::PATTERN {
        ReducePattern::Max => fast_window::<S, E, true>(s, kh, rows),
        ReducePattern::Min => fast_window::<S, E, false>(s, kh, rows),
        _ => None,
    };
    let v = fast.unwrap_or_else(|| exact_window::<S, R, E>(s, kh, rows));
    if MEAN {
        <E as SimdElement>::div(s, v, E::splat(s, n))
    } else {
        v
    }
}

/// Forward of one row: `acc[i]` = the fold of `R` over the `kh × 2` window of output `i`, whose
/// columns are `2i, 2i + 1` of every `rows(p)` (`p < kh`, each at least `2·acc.len()` long),
/// divided by `n` when `MEAN`. Needs [`fits`].
#[inline(always)]
pub(super) fn forward_row<'r, S: Simd, R: ReduceKernel, E: SimdElement + 'r, const MEAN: bool>(
    s: S,
    acc: &mut [E],
    kh: usize,
    rows: &impl Fn(usize) -> &'r [E],
    n: E,
) {
    let lanes = E::lanes::<S>();
    let count = acc.len();
    if kh != 2 {
        for i in starts(count, lanes) {
            let v = forward_one::<S, R, E, MEAN>(s, kh, &|p| &rows(p)[2 * i..], n);
            store::<S, E>(acc, i, v);
        }
        return;
    }
    // Two rows (the common case): exact chunks, so the loop has no bounds checks.
    let (r0, r1) = (&rows(0)[..2 * count], &rows(1)[..2 * count]);
    #[inline(always)]
    fn pair<'r, S: Simd, R: ReduceKernel, E: SimdElement, const MEAN: bool>(
        s: S,
        c0: &'r [E],
        c1: &'r [E],
        n: E,
    ) -> E::V<S> {
        forward_one::<S, R, E, MEAN>(s, 2, &move |p| if p == 0 { c0 } else { c1 }, n)
    }
    let chunks = r0.chunks_exact(2 * lanes).zip(r1.chunks_exact(2 * lanes));
    for (o, (c0, c1)) in acc.chunks_exact_mut(lanes).zip(chunks) {
        store::<S, E>(o, 0, pair::<S, R, E, MEAN>(s, c0, c1, n));
    }
    if !count.is_multiple_of(lanes) {
        let i = count - lanes;
        store::<S, E>(
            acc,
            i,
            pair::<S, R, E, MEAN>(s, &r0[2 * i..], &r1[2 * i..], n),
        );
    }
}

/// `g / n` when `MEAN` (the same division as the scalar paths), else `g`.
#[inline(always)]
fn scaled<S: Simd, E: SimdElement, const MEAN: bool>(s: S, g: E::V<S>, n: E) -> E::V<S> {
    if MEAN {
        <E as SimdElement>::div(s, g, E::splat(s, n))
    } else {
        g
    }
}

/// `v` strictly further than `best` in the fold's direction (`MAX`: greater).
#[inline(always)]
fn beats<S: Simd, E: SimdElement, const MAX: bool>(s: S, v: E::V<S>, best: E::V<S>) -> E::M<S> {
    if MAX {
        <E as SimdElement>::gt(s, v, best)
    } else {
        <E as SimdElement>::lt(s, v, best)
    }
}

/// `[g·hit0, g·hit1, g·hit2, g·hit3]` for the 2×2 windows with positions `a b / c d`: `g` at the
/// first maximum (`MAX`) or minimum of each, the first NaN if there is one.
#[inline(always)]
fn route_2x2<S: Simd, R: ReduceKernel, E: SimdElement, const MAX: bool>(
    s: S,
    [a, b, c, d]: [E::V<S>; 4],
    g: E::V<S>,
) -> [E::V<S>; 4] {
    let zero = E::splat(s, E::ZERO);
    let lanes = E::lanes::<S>();
    // A NaN input makes the sum NaN (so do both infinities, which merely take the exact rule).
    let sum = <E as SimdElement>::add(
        s,
        <E as SimdElement>::add(s, a, b),
        <E as SimdElement>::add(s, c, d),
    );
    if E::first_true(s, <E as SimdElement>::ne(s, sum, sum)) == lanes {
        // No NaN: a tournament where only a strictly further value beats the earlier one.
        let right_b = beats::<S, E, MAX>(s, b, a);
        let right_d = beats::<S, E, MAX>(s, d, c);
        let m1 = E::select(s, right_b, b, a);
        let m2 = E::select(s, right_d, d, c);
        let second = beats::<S, E, MAX>(s, m2, m1);
        let first = E::not(s, second);
        return [
            E::select(s, E::and(s, first, E::not(s, right_b)), g, zero),
            E::select(s, E::and(s, first, right_b), g, zero),
            E::select(s, E::and(s, second, E::not(s, right_d)), g, zero),
            E::select(s, E::and(s, second, right_d), g, zero),
        ];
    }
    // The exact rule: the window's fold, then its first occurrence (NaN matching NaN).
    let mut y = E::splat(s, R::identity::<E>());
    for v in [a, b, c, d] {
        y = R::simd::<S, E>(s, y, v);
    }
    let y_nan = <E as SimdElement>::ne(s, y, y);
    let mut found = <E as SimdElement>::ne(s, zero, zero);
    let mut out = [zero; 4];
    for (o, v) in out.iter_mut().zip([a, b, c, d]) {
        let v_nan = <E as SimdElement>::ne(s, v, v);
        let same = E::or(s, <E as SimdElement>::eq(s, v, y), E::and(s, v_nan, y_nan));
        let hit = E::and(s, same, E::not(s, found));
        found = E::or(s, found, hit);
        *o = E::select(s, hit, g, zero);
    }
    out
}

/// One register of 2×2 windows of a max or min backward: gradients `g[..lanes]`, input rows
/// `c0`, `c1` and gradient rows `o0`, `o1` from the register's first window.
#[inline(always)]
fn route_block<S: Simd, R: ReduceKernel, E: SimdElement, const MEAN: bool>(
    s: S,
    g: &[E],
    [c0, c1]: [&[E]; 2],
    [o0, o1]: [&mut [E]; 2],
    n: E,
) {
    let lanes = E::lanes::<S>();
    let g = scaled::<S, E, MEAN>(s, load::<S, E>(g, 0), n);
    let (a, b) = unzip::<S, E>(s, load::<S, E>(c0, 0), load::<S, E>(c0, lanes));
    let (c, d) = unzip::<S, E>(s, load::<S, E>(c1, 0), load::<S, E>(c1, lanes));
    let [ga, gb, gc, gd] = if R::PATTERN == ReducePattern::Max {
        route_2x2::<S, R, E, true>(s, [a, b, c, d], g)
    } else {
        route_2x2::<S, R, E, false>(s, [a, b, c, d], g)
    };
    let (lo, hi) = zip::<S, E>(s, ga, gb);
    store::<S, E>(o0, 0, lo);
    store::<S, E>(o0, lanes, hi);
    let (lo, hi) = zip::<S, E>(s, gc, gd);
    store::<S, E>(o1, 0, lo);
    store::<S, E>(o1, lanes, hi);
}

/// `true` when [`backward_row`] handles `kh` rows of `count` outputs of fold `R`: sums (any
/// `kh`) and 2×2 max/min, at least one register of outputs.
#[inline(always)]
pub(super) fn backward_fits<S: Simd, R: ReduceKernel, E: SimdElement>(
    kh: usize,
    count: usize,
) -> bool {
    let supported = match R::PATTERN {
        ReducePattern::Sum => true,
        ReducePattern::Max | ReducePattern::Min => kh == 2,
        ReducePattern::General => false,
    };
    supported && fits::<S, E>(count)
}

/// Backward of one row of windows that partition their `kh` input rows (stride = window = 2
/// columns, `kh` rows): `grad[i]` is output `i`'s upstream gradient (divided by `n` here when
/// `MEAN`), `x(p)` the `p`-th input row from the first window's column, and `dst[p·w..]` the
/// matching gradient row. The `2·grad.len()` elements of each of the `kh` gradient rows are
/// written once. Needs [`backward_fits`].
#[inline(always)]
pub(super) fn backward_row<'r, S: Simd, R: ReduceKernel, E: SimdElement + 'r, const MEAN: bool>(
    s: S,
    grad: &[E],
    kh: usize,
    x: &impl Fn(usize) -> &'r [E],
    dst: &mut [E],
    w: usize,
    n: E,
) {
    let lanes = E::lanes::<S>();
    let count = grad.len();
    if R::PATTERN == ReducePattern::Sum {
        for i in starts(count, lanes) {
            let g = scaled::<S, E, MEAN>(s, load::<S, E>(grad, i), n);
            let (lo, hi) = zip::<S, E>(s, g, g);
            for p in 0..kh {
                store::<S, E>(dst, p * w + 2 * i, lo);
                store::<S, E>(dst, p * w + 2 * i + lanes, hi);
            }
        }
        return;
    }
    // A 2×2 max or min: exact chunks of both rows, so the loop has no bounds checks.
    let span = 2 * count;
    let (x0, x1) = (&x(0)[..span], &x(1)[..span]);
    let (d0, rest) = dst.split_at_mut(w);
    let (d0, d1) = (&mut d0[..span], &mut rest[..span]);
    let xs = x0.chunks_exact(2 * lanes).zip(x1.chunks_exact(2 * lanes));
    let ds = d0
        .chunks_exact_mut(2 * lanes)
        .zip(d1.chunks_exact_mut(2 * lanes));
    for ((g, (c0, c1)), (o0, o1)) in grad.chunks_exact(lanes).zip(xs).zip(ds) {
        route_block::<S, R, E, MEAN>(s, g, [c0, c1], [o0, o1], n);
    }
    if !count.is_multiple_of(lanes) {
        let i = count - lanes;
        let at = 2 * i;
        route_block::<S, R, E, MEAN>(
            s,
            &grad[i..],
            [&x0[at..], &x1[at..]],
            [&mut d0[at..], &mut d1[at..]],
            n,
        );
    }
}
