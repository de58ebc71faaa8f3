//! Joint walks over the storage positions of several operands, in the order of a contiguous
//! output: dims are coalesced across all operands, the innermost merged dim becomes a *run*,
//! and a walk can start at any element so each thread task begins where its range begins.

/// A walk over `N` operands that share one (broadcast) shape.
#[derive(Clone, Debug)]
pub(crate) struct Walk<const N: usize> {
    outer_sizes: Vec<usize>,
    outer_strides: [Vec<usize>; N],
    /// Elements per run (1 for a 0-d shape).
    pub(crate) inner_len: usize,
    /// Each operand's stride inside a run (0: one value repeated, 1: a slice, else strided).
    pub(crate) inner_strides: [usize; N],
    offsets: [usize; N],
    /// Total number of elements.
    pub(crate) numel: usize,
}

impl<const N: usize> Walk<N> {
    /// A walk over `shape` (in walk order) where operand `i` has `strides[i]` and starts at
    /// storage position `offsets[i]`.
    ///
    /// Size-1 dims are dropped and neighbours merged when *every* operand walks them as one
    /// dim (`stride[d] == stride[d + 1] * size[d + 1]`), so a contiguous pair, a broadcast pair,
    /// or a contiguous operand beside a scalar one all become a single run.
    pub(crate) fn new(shape: &[usize], strides: [&[usize]; N], offsets: [usize; N]) -> Self {
        let numel = shape.iter().product();
        let mut sizes: Vec<usize> = Vec::with_capacity(shape.len());
        let mut merged: [Vec<usize>; N] = core::array::from_fn(|_| Vec::new());
        for (d, &n) in shape.iter().enumerate() {
            if n == 1 {
                continue;
            }
            let mergeable = !sizes.is_empty()
                && (0..N).all(|i| n.checked_mul(strides[i][d]) == merged[i].last().copied());
            if mergeable {
                if let Some(last) = sizes.last_mut() {
                    *last *= n;
                }
                for (m, s) in merged.iter_mut().zip(strides) {
                    if let Some(last) = m.last_mut() {
                        *last = s[d];
                    }
                }
            } else {
                sizes.push(n);
                for (m, s) in merged.iter_mut().zip(strides) {
                    m.push(s[d]);
                }
            }
        }
        let (inner_len, inner_strides) = match sizes.pop() {
            Some(n) => (n, core::array::from_fn(|i| merged[i].pop().unwrap_or(0))),
            None => (1, [0; N]),
        };
        Self {
            outer_sizes: sizes,
            outer_strides: merged,
            inner_len,
            inner_strides,
            offsets,
            numel,
        }
    }

    /// Number of runs.
    pub(crate) fn runs(&self) -> usize {
        if self.numel == 0 {
            0
        } else {
            self.outer_sizes.iter().product()
        }
    }

    /// Calls `f(ordinal, len, positions)` for every (piece of a) run covering the elements
    /// `start..end` in walk order: `ordinal` is the walk-order index of the piece's first
    /// element (its position in a contiguous output) and `positions[i]` operand `i`'s storage
    /// position of that element; the next elements follow at `inner_strides[i]`.
    pub(crate) fn for_each_run(
        &self,
        start: usize,
        end: usize,
        mut f: impl FnMut(usize, usize, [usize; N]),
    ) {
        let end = end.min(self.numel);
        if start >= end {
            return;
        }
        let len = self.inner_len;
        let nd = self.outer_sizes.len();
        let mut index = vec![0usize; nd];
        let mut base = self.offsets;
        let mut rest = start / len;
        for d in (0..nd).rev() {
            index[d] = rest % self.outer_sizes[d];
            rest /= self.outer_sizes[d];
            for (b, s) in base.iter_mut().zip(&self.outer_strides) {
                *b += index[d] * s[d];
            }
        }
        let mut k = start % len;
        let mut at = start;
        loop {
            let take = (len - k).min(end - at);
            let positions = core::array::from_fn(|i| base[i] + k * self.inner_strides[i]);
            f(at, take, positions);
            at += take;
            if at >= end {
                return;
            }
            k = 0;
            // Advance the odometer over the outer dims. Positions are computed with wrapping
            // arithmetic: a dim is stepped one past its end before it is rewound.
            for d in (0..nd).rev() {
                index[d] += 1;
                for (b, s) in base.iter_mut().zip(&self.outer_strides) {
                    *b = b.wrapping_add(s[d]);
                }
                if index[d] < self.outer_sizes[d] {
                    break;
                }
                for (b, s) in base.iter_mut().zip(&self.outer_strides) {
                    *b = b.wrapping_sub(s[d].wrapping_mul(self.outer_sizes[d]));
                }
                index[d] = 0;
            }
        }
    }
}

/// Splits `n` elements into at most `tasks` contiguous ranges whose boundaries are multiples of
/// `align` (so no two tasks write the same cache line of a contiguous output).
pub(crate) fn split_ranges(n: usize, tasks: usize, align: usize) -> Vec<(usize, usize)> {
    let tasks = tasks.max(1);
    let per = n.div_ceil(tasks).div_ceil(align).max(1) * align;
    let mut out = Vec::with_capacity(tasks);
    let mut start = 0;
    while start < n {
        let end = (start + per).min(n);
        out.push((start, end));
        start = end;
    }
    if out.is_empty() {
        out.push((0, 0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;

    fn positions(walk: &Walk<2>, start: usize, end: usize) -> Vec<[usize; 2]> {
        let mut out = Vec::new();
        walk.for_each_run(start, end, |at, len, p| {
            assert_eq!(at, start + out.len());
            for k in 0..len {
                out.push(core::array::from_fn(|i| p[i] + k * walk.inner_strides[i]));
            }
        });
        out
    }

    #[test]
    fn joint_walk_matches_each_layouts_positions_from_any_start() {
        let a = Layout::new(&[3, 4, 5], &[1, 15, 3], 2).unwrap();
        let b = Layout::new(&[4, 5], &[5, 1], 0)
            .unwrap()
            .broadcast_to(&[3, 4, 5])
            .unwrap();
        let walk = Walk::new(
            a.shape(),
            [a.strides(), b.strides()],
            [a.offset(), b.offset()],
        );
        let pa: Vec<usize> = a.positions().collect();
        let pb: Vec<usize> = b.positions().collect();
        for start in [0, 1, 7, 30, 59] {
            for end in [start, start + 1, 33, 60] {
                let got = positions(&walk, start, end.max(start));
                let want: Vec<[usize; 2]> =
                    (start..end.max(start)).map(|i| [pa[i], pb[i]]).collect();
                assert_eq!(got, want, "{start}..{end}");
            }
        }
    }

    #[test]
    fn contiguous_and_broadcast_operands_merge_into_one_run() {
        let walk = Walk::<2>::new(&[4, 1, 6], [&[6, 99, 1], &[0, 0, 0]], [0, 3]);
        assert_eq!(walk.runs(), 1);
        assert_eq!((walk.inner_len, walk.inner_strides), (24, [1, 0]));
        let row = Walk::<2>::new(&[4, 6], [&[6, 1], &[0, 1]], [0, 0]);
        assert_eq!((row.runs(), row.inner_len), (4, 6));
    }

    #[test]
    fn split_ranges_are_aligned_and_cover_everything() {
        assert_eq!(
            split_ranges(1000, 3, 64),
            vec![(0, 384), (384, 768), (768, 1000)]
        );
        assert_eq!(split_ranges(10, 4, 64), vec![(0, 10)]);
        assert_eq!(split_ranges(0, 2, 64), vec![(0, 0)]);
    }
}
