//! Walks over a layout's storage positions in logical order: runs ([`Blocks`]) for the slice
//! kernels and single positions ([`Positions`]) for the index-walk path. Both advance an
//! odometer over the outer dims, so no element costs a division.

use super::{Layout, LayoutKind};

/// One run of storage positions: `offset, offset + stride, …` (`len` of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// Storage position of the run's first element.
    pub offset: usize,
    /// Number of elements in the run (never 0).
    pub len: usize,
    /// 1 for a contiguous slice, 0 for one value repeated `len` times (a broadcast).
    pub stride: usize,
}

/// Steps through the storage offsets of a set of dims in row-major order.
#[derive(Clone, Debug)]
struct Odometer {
    sizes: Vec<usize>,
    strides: Vec<usize>,
    counter: Vec<usize>,
    next: usize,
    remaining: usize,
}

impl Odometer {
    fn new(sizes: &[usize], strides: &[usize], start: usize, empty: bool) -> Self {
        Self {
            sizes: sizes.to_vec(),
            strides: strides.to_vec(),
            counter: vec![0; sizes.len()],
            next: start,
            remaining: if empty { 0 } else { sizes.iter().product() },
        }
    }
}

impl Iterator for Odometer {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.remaining == 0 {
            return None;
        }
        let current = self.next;
        self.remaining -= 1;
        if self.remaining > 0 {
            for d in (0..self.sizes.len()).rev() {
                if self.counter[d] + 1 < self.sizes[d] {
                    self.counter[d] += 1;
                    self.next += self.strides[d];
                    break;
                }
                // Rewind this dim; the subtraction never exceeds what was added.
                self.next -= self.strides[d] * (self.sizes[d] - 1);
                self.counter[d] = 0;
            }
        }
        Some(current)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// The runs of a layout ([`Layout::blocks`]): every element exactly once, in logical order.
///
/// Trailing dims that are jointly contiguous (or jointly broadcast) form one run; for a
/// [`LayoutKind::General`] layout every run has length 1. A contiguous layout is one run.
#[derive(Clone, Debug)]
pub struct Blocks {
    outer: Odometer,
    len: usize,
    stride: usize,
}

impl Blocks {
    pub(super) fn new(layout: &Layout) -> Self {
        let empty = layout.numel() == 0;
        let (sizes, strides) = layout.coalesced();
        let (outer_dims, len, stride) = match layout.kind() {
            LayoutKind::Contiguous => (0, layout.numel().max(1), 1),
            LayoutKind::Blocks { len, inner_stride } => (sizes.len() - 1, len, inner_stride),
            LayoutKind::General => (sizes.len(), 1, 1),
        };
        Self {
            outer: Odometer::new(
                &sizes[..outer_dims],
                &strides[..outer_dims],
                layout.offset(),
                empty,
            ),
            len,
            stride,
        }
    }
}

impl Iterator for Blocks {
    type Item = Block;

    #[inline]
    fn next(&mut self) -> Option<Block> {
        self.outer.next().map(|offset| Block {
            offset,
            len: self.len,
            stride: self.stride,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.outer.size_hint()
    }
}

impl ExactSizeIterator for Blocks {}

/// The storage position of every element of a layout ([`Layout::positions`]), in logical order.
#[derive(Clone, Debug)]
pub struct Positions {
    outer: Odometer,
    inner_len: usize,
    inner_stride: usize,
    base: usize,
    k: usize,
}

impl Positions {
    pub(super) fn new(layout: &Layout) -> Self {
        let empty = layout.numel() == 0;
        let (sizes, strides) = layout.coalesced();
        let outer_dims = sizes.len().saturating_sub(1);
        let (inner_len, inner_stride) = match (sizes.last(), strides.last()) {
            (Some(&n), Some(&s)) => (n, s),
            _ => (1, 0),
        };
        Self {
            outer: Odometer::new(
                &sizes[..outer_dims],
                &strides[..outer_dims],
                layout.offset(),
                empty,
            ),
            inner_len,
            inner_stride,
            base: 0,
            // Start "at the end of a run" so the first call pulls a base from the odometer.
            k: inner_len,
        }
    }
}

impl Iterator for Positions {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.k == self.inner_len {
            self.base = self.outer.next()?;
            self.k = 0;
        }
        let position = self.base + self.k * self.inner_stride;
        self.k += 1;
        Some(position)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.outer.remaining * self.inner_len + (self.inner_len - self.k);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Positions {}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions_by_index(l: &Layout) -> Vec<usize> {
        (0..l.numel())
            .map(|i| l.position(&l.index_of(i).unwrap()).unwrap())
            .collect()
    }

    fn positions_by_blocks(l: &Layout) -> Vec<usize> {
        l.blocks()
            .flat_map(|b| (0..b.len).map(move |k| b.offset + k * b.stride))
            .collect()
    }

    #[test]
    fn walks_agree_with_index_arithmetic() {
        let cases = [
            Layout::new(&[2, 3, 4], &[12, 4, 1], 3).unwrap(),
            Layout::new(&[2, 3, 4], &[1, 2, 6], 0).unwrap(),
            Layout::new(&[2, 3, 4], &[0, 4, 1], 0).unwrap(),
            Layout::new(&[2, 3, 4], &[4, 0, 0], 1).unwrap(),
            Layout::new(&[3, 1, 2], &[2, 7, 0], 0).unwrap(),
            Layout::new(&[], &[], 5).unwrap(),
            Layout::new(&[2, 0, 3], &[3, 3, 1], 0).unwrap(),
        ];
        for l in &cases {
            let expected = positions_by_index(l);
            assert_eq!(l.positions().collect::<Vec<_>>(), expected, "{l:?}");
            assert_eq!(l.positions().len(), expected.len());
            assert_eq!(positions_by_blocks(l), expected, "{l:?}");
        }
    }

    #[test]
    fn a_contiguous_layout_is_one_block() {
        let l = Layout::new(&[2, 3], &[3, 1], 4).unwrap();
        let blocks: Vec<_> = l.blocks().collect();
        assert_eq!(
            blocks,
            vec![Block {
                offset: 4,
                len: 6,
                stride: 1
            }]
        );
    }

    #[test]
    fn an_empty_layout_has_no_blocks() {
        let l = Layout::new(&[3, 0], &[0, 1], 0).unwrap();
        assert_eq!(l.blocks().count(), 0);
        assert_eq!(l.positions().count(), 0);
    }
}
