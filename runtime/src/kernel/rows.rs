//! The loop of [`ReduceKernel::fold_rows`](super::ReduceKernel::fold_rows) over one block of
//! accumulators, written once for the exact fold and the fast max/min fold (`extreme.rs`):
//! rows are folded into the block four per pass, every column strictly in row order, and each
//! pass walks its columns in the direction that avoids 4 KiB aliasing.
//!
//! Why the direction matters: a load whose address equals that of an older store still in the
//! store queue *in its low 12 bits* waits for that store, as if it depended on it (the core
//! compares page offsets before the full addresses are known). A pass stores accumulator
//! register `j`, then loads register `j + 1, j + 2, …` of its rows. When the accumulator block
//! lies a few registers *ahead* of a row modulo 4 KiB, every one of those loads meets a
//! just-stored register at the same page offset. Measured on the max over dim 0 of a
//! `[1024, 1024]` `f32` matrix (rows 4 KiB apart, one thread): 1.6× the time with the output
//! 80 bytes ahead of the input, 1.25× at 144, none beyond about 300; the sum suffers alike. The
//! output is the caller's buffer, so where it falls is luck (the bench card's did). Walking the
//! pass backwards puts every store behind the loads that follow it; each column still sees its
//! rows in the same order, so results do not change by a bit. A block narrower than a page
//! (a thread's share of the columns) meets the *previous* pass's stores whichever way it
//! walks, so its accumulators always move half a page from the rows.

use pulp::Simd;

use super::FOLD_ROWS_BLOCK_BYTES;
use crate::simd::SimdElement;

/// Page-offset distance (bytes) within which an accumulator store ahead of a row load is
/// taken as aliasing: above the measured reach (about 300 bytes), well below half a page.
const ALIAS_WINDOW: usize = 512;
/// The address bits the early store-to-load check compares.
const PAGE: usize = 4096;
/// Elements of the on-stack accumulator block used when the caller's output sits badly: one
/// block of [`FOLD_ROWS_BLOCK_BYTES`] of the smallest element (`f32`) plus a page and a
/// register of placement slack.
const SCRATCH_LEN: usize = (FOLD_ROWS_BLOCK_BYTES + PAGE + 64) / 4;
/// Input bytes from which a badly placed output is worth the on-stack block (its fill and the
/// copy back cost about as much as reading 16 KiB).
const SCRATCH_MIN_BYTES: usize = 64 << 10;

/// How one pass folds row registers into an accumulator register. `&mut self` lets a step
/// keep side state beside the fold (the NaN guard of the fast max/min).
pub(super) trait RowStep<S: Simd, E: SimdElement> {
    /// `a` folded with four row registers, in row order.
    fn four(&mut self, s: S, a: E::V<S>, v: [E::V<S>; 4]) -> E::V<S>;
    /// `a` folded with one row register.
    fn one(&mut self, s: S, a: E::V<S>, v: E::V<S>) -> E::V<S>;
    /// `a` (the accumulators of the block's last, partial register) folded with the same
    /// columns of one row, `t` (shorter than a register).
    fn tail(&mut self, s: S, a: E::V<S>, t: &[E]) -> E::V<S>;
}

/// Whether the page offset of `acc` is within [`ALIAS_WINDOW`] of `row`'s, on either side.
#[inline(always)]
fn near<E>(acc: *const E, row: *const E) -> bool {
    let d = (acc as usize).wrapping_sub(row as usize) % PAGE;
    d != 0 && (d <= ALIAS_WINDOW || d >= PAGE - ALIAS_WINDOW)
}

/// Whether a pass over `rows` (their first elements) should walk its columns backwards: some
/// row lies just behind the accumulators `acc` modulo a page (forward stores would alias the
/// loads that follow them) and none lies just ahead (where backward stores would).
#[inline(always)]
fn backwards<E>(acc: *const E, rows: &[*const E]) -> bool {
    let (mut ahead, mut behind) = (false, false);
    for &row in rows {
        let d = (acc as usize).wrapping_sub(row as usize) % PAGE;
        ahead |= d != 0 && d <= ALIAS_WINDOW;
        behind |= d >= PAGE - ALIAS_WINDOW;
    }
    ahead && !behind
}

/// Folds four rows into the accumulators `acc`, column by column, backwards if `BACK`.
/// Indexed rather than zipped: each step loads its accumulator before the rows; a stand-alone
/// copy of the zipped form (loads in the other order, one pointer per row) measured 1.13× the
/// time of the indexed one on the sum over dim 0 of a `[1024, 1024]` `f32` matrix. Plain loops, no closure: a closure does
/// not inherit the dispatch's target features, and once not inlined every SIMD intrinsic in
/// it became a call (10× the time).
#[inline(always)]
fn pass4<S: Simd, E: SimdElement, F: RowStep<S, E>, const BACK: bool>(
    s: S,
    acc: &mut [E::V<S>],
    rows: [&[E::V<S>]; 4],
    step: &mut F,
) {
    let n = acc.len();
    let [h0, h1, h2, h3] = rows;
    let (h0, h1, h2, h3) = (&h0[..n], &h1[..n], &h2[..n], &h3[..n]);
    for i in 0..n {
        let j = if BACK { n - 1 - i } else { i };
        let a = acc[j];
        acc[j] = step.four(s, a, [h0[j], h1[j], h2[j], h3[j]]);
    }
}

/// Folds one row into the accumulators, backwards if `BACK`.
#[inline(always)]
fn pass1<S: Simd, E: SimdElement, F: RowStep<S, E>, const BACK: bool>(
    s: S,
    acc: &mut [E::V<S>],
    row: &[E::V<S>],
    step: &mut F,
) {
    let n = acc.len();
    let row = &row[..n];
    for i in 0..n {
        let j = if BACK { n - 1 - i } else { i };
        let a = acc[j];
        acc[j] = step.one(s, a, row[j]);
    }
}

/// `out[i]` = the fold from `id` of `x[r·stride + i]` for `r` in `0..rows`, strictly in row
/// order, by `step`. `x` holds every row.
///
/// Where `out` lies within [`ALIAS_WINDOW`] of the first row modulo a page (on either side, so
/// that neither direction of a pass is safe for rows a multiple of a page apart, the common
/// power-of-two case), or wherever a block narrower than a page is folded, the accumulators
/// live in a block on the stack placed half a page from that row instead, and are copied to
/// `out` at the end.
#[inline(always)]
pub(super) fn fold_block<S: Simd, E: SimdElement, F: RowStep<S, E>>(
    s: S,
    x: &[E],
    (stride, rows): (usize, usize),
    out: &mut [E],
    id: E,
    step: &mut F,
) {
    let n = out.len();
    let size = core::mem::size_of::<E>();
    let big = rows.saturating_mul(n).saturating_mul(size) >= SCRATCH_MIN_BYTES;
    // A pass narrower than a page ends soon after its stores, and the next pass's loads meet
    // them at whatever page offsets the output happens to have: the max over dim 0 of a
    // `[1024, 1024]` `f32` matrix folded as two column halves (what each of two threads does)
    // measured 6× the time of one full-width fold with the output 3392 bytes into a page
    // (rows at 16) and 1.1× at 3424. Half a page from the rows, such a block shares no page
    // offset with them.
    let narrow = n.saturating_mul(size) < PAGE;
    if rows == 0 || !big || !(narrow || near(out.as_ptr(), x.as_ptr())) {
        return fold_block_in(s, x, (stride, rows), out, id, step);
    }
    let mut scratch = [id; SCRATCH_LEN];
    let base = scratch.as_ptr() as usize;
    let target = (x.as_ptr() as usize).wrapping_add(PAGE / 2);
    let mut at = target.wrapping_sub(base) % PAGE;
    // Register-aligned as well (one cache line per store), a whole number of elements.
    at += (64 - (base + at) % 64) % 64;
    let start = at / size;
    match scratch.get_mut(start..start + n) {
        Some(acc) if (base + at).is_multiple_of(size) => {
            fold_block_in(s, x, (stride, rows), acc, id, step);
            out.copy_from_slice(acc);
        }
        _ => fold_block_in(s, x, (stride, rows), out, id, step),
    }
}

/// Row `r` of `x`: its first `n` elements.
#[inline(always)]
fn row<E>(x: &[E], stride: usize, n: usize, r: usize) -> &[E] {
    &x[r * stride..r * stride + n]
}

/// [`fold_block`] with the accumulators in `out` itself.
#[inline(always)]
fn fold_block_in<S: Simd, E: SimdElement, F: RowStep<S, E>>(
    s: S,
    x: &[E],
    (stride, rows): (usize, usize),
    out: &mut [E],
    id: E,
    step: &mut F,
) {
    let n = out.len();
    let body = n - n % E::lanes::<S>();
    out.fill(id);
    let acc = out.as_ptr();
    let (oh, ot) = E::as_mut_simd::<S>(out);
    let mut r = 0;
    while r + 4 <= rows {
        // Written out rather than `[0, 1, 2, 3].map(…)`: the array `map`s compiled to an
        // out-of-line call per pass (`array::try_map`, with a `vzeroupper` and the NaN watch's
        // registers spilled around it). The max over dim 0 of a `[1024, 1024]` `f32` matrix
        // (one thread, both builds alternating) measured 0.0535 ms with it, 0.0496 without.
        let rs = [
            row(x, stride, n, r),
            row(x, stride, n, r + 1),
            row(x, stride, n, r + 2),
            row(x, stride, n, r + 3),
        ];
        let hs = [
            E::as_simd::<S>(rs[0]).0,
            E::as_simd::<S>(rs[1]).0,
            E::as_simd::<S>(rs[2]).0,
            E::as_simd::<S>(rs[3]).0,
        ];
        let starts = [
            rs[0].as_ptr(),
            rs[1].as_ptr(),
            rs[2].as_ptr(),
            rs[3].as_ptr(),
        ];
        if backwards(acc, &starts) {
            pass4::<S, E, F, true>(s, oh, hs, step);
        } else {
            pass4::<S, E, F, false>(s, oh, hs, step);
        }
        if !ot.is_empty() {
            let mut a = E::partial_load(s, ot, id);
            for t in rs {
                a = step.tail(s, a, &t[body..]);
            }
            E::partial_store(s, ot, a);
        }
        r += 4;
    }
    for r in r..rows {
        let v = row(x, stride, n, r);
        let h = E::as_simd::<S>(v).0;
        if backwards(acc, &[v.as_ptr()]) {
            pass1::<S, E, F, true>(s, oh, h, step);
        } else {
            pass1::<S, E, F, false>(s, oh, h, step);
        }
        if !ot.is_empty() {
            let a = step.tail(s, E::partial_load(s, ot, id), &v[body..]);
            E::partial_store(s, ot, a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_turn_back_only_when_a_row_is_just_behind_and_none_just_ahead() {
        let at = |d: usize| 0x10_0000usize.wrapping_add(d) as *const f32;
        let row = 0x10_0000usize as *const f32;
        assert!(backwards(at(80), &[row]));
        assert!(backwards(at(ALIAS_WINDOW), &[row]));
        assert!(!backwards(at(0), &[row]));
        assert!(!backwards(at(ALIAS_WINDOW + 4), &[row]));
        assert!(!backwards(at(PAGE - 64), &[row]));
        assert!(!backwards(at(80), &[row, at(160)]));
        assert!(near(at(PAGE + 80), row) && near(at(PAGE - 80), row));
        assert!(!near(at(PAGE / 2), row) && !near(row, row));
    }

    #[test]
    fn the_stack_block_holds_a_block_of_f32_at_any_placement() {
        const { assert!(SCRATCH_LEN * 4 >= FOLD_ROWS_BLOCK_BYTES + PAGE + 64) };
    }
}
