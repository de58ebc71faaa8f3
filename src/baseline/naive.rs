//! The "naive loop" baseline: MiniTorch's general `tensor_map` / `tensor_zip` / `tensor_reduce`.
//!
//! For every output position the flat ordinal is turned into a multi-index (`to_index`), the
//! multi-index is broadcast onto each input's shape (`broadcast_index`), and both are turned back
//! into storage positions through the strides (`index_to_position`). This is the general path of
//! MiniTorch (semantics.md) written in Rust on raw slices with shape + strides: index buffers live
//! on the stack and are reused across positions, so the cost measured is the index arithmetic,
//! not allocation. Elementwise functions are passed as closures and inlined.

use simdgrad::{Error, Result};

/// The most dims a naive layout may have (MiniTorch's `MAX_DIMS`).
pub const MAX_DIMS: usize = 8;

/// A strided view of a flat storage: `storage[Σ index[d] · strides[d]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout<'a> {
    /// Size of every dim.
    pub shape: &'a [usize],
    /// Storage step of every dim, in elements.
    pub strides: &'a [usize],
}

impl<'a> Layout<'a> {
    /// A layout over `shape` with the given `strides`.
    pub fn new(shape: &'a [usize], strides: &'a [usize]) -> Self {
        Layout { shape, strides }
    }

    /// Number of elements the shape holds.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    fn check(&self, op: &'static str, storage_len: usize) -> Result<()> {
        if self.shape.len() != self.strides.len() {
            return Err(Error::LengthMismatch {
                op,
                what: "strides",
                expected: self.shape.len(),
                got: self.strides.len(),
            });
        }
        if self.shape.len() > MAX_DIMS {
            return Err(Error::InvalidArgument {
                op,
                message: format!("at most {MAX_DIMS} dims, got shape {:?}", self.shape),
            });
        }
        if self.numel() == 0 {
            return Ok(());
        }
        let last: usize = self
            .shape
            .iter()
            .zip(self.strides)
            .map(|(&n, &s)| (n - 1) * s)
            .sum();
        if last >= storage_len {
            return Err(Error::InvalidArgument {
                op,
                message: format!(
                    "shape {:?} with strides {:?} reaches position {last} of a storage of {storage_len}",
                    self.shape, self.strides
                ),
            });
        }
        Ok(())
    }
}

/// Row-major strides of `shape` (`[4, 2, 2]` → `[4, 2, 1]`).
pub fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    strides
}

/// MiniTorch's `to_index`: the multi-index of flat position `ordinal` in row-major `shape`.
#[inline]
pub fn to_index(ordinal: usize, shape: &[usize], out_index: &mut [usize]) {
    let mut cur = ordinal;
    for d in (0..shape.len()).rev() {
        out_index[d] = cur % shape[d];
        cur /= shape[d];
    }
}

/// MiniTorch's `broadcast_index`: the index into the smaller `shape` that `big_index` (an index
/// into `big_shape`) maps to under NumPy broadcasting.
#[inline]
pub fn broadcast_index(
    big_index: &[usize],
    big_shape: &[usize],
    shape: &[usize],
    out_index: &mut [usize],
) {
    let offset = big_shape.len() - shape.len();
    for (d, &n) in shape.iter().enumerate() {
        out_index[d] = if n > 1 { big_index[d + offset] } else { 0 };
    }
}

/// MiniTorch's `index_to_position`: `Σ index[d] · strides[d]`.
#[inline]
pub fn index_to_position(index: &[usize], strides: &[usize]) -> usize {
    index.iter().zip(strides).map(|(&i, &s)| i * s).sum()
}

fn check_broadcast(op: &'static str, input: &[usize], out: &[usize]) -> Result<()> {
    let ok = input.len() <= out.len()
        && input
            .iter()
            .rev()
            .zip(out.iter().rev())
            .all(|(&i, &o)| i == o || i == 1);
    if ok {
        Ok(())
    } else {
        Err(Error::Broadcast {
            op,
            lhs: input.to_vec(),
            rhs: out.to_vec(),
        })
    }
}

/// `out = f(x)` over `out`'s shape, `x` broadcast onto it, through the general index path.
///
/// # Errors
/// A layout that does not fit its storage, more than [`MAX_DIMS`] dims, or shapes that do not
/// broadcast to `out`'s.
pub fn map<F: Fn(f32) -> f32>(
    f: F,
    x: &[f32],
    x_layout: Layout<'_>,
    out: &mut [f32],
    out_layout: Layout<'_>,
) -> Result<()> {
    const OP: &str = "naive::map";
    x_layout.check(OP, x.len())?;
    out_layout.check(OP, out.len())?;
    check_broadcast(OP, x_layout.shape, out_layout.shape)?;
    let (mut out_index, mut x_index) = ([0usize; MAX_DIMS], [0usize; MAX_DIMS]);
    let (oi, xi) = (
        &mut out_index[..out_layout.shape.len()],
        &mut x_index[..x_layout.shape.len()],
    );
    for i in 0..out_layout.numel() {
        to_index(i, out_layout.shape, oi);
        broadcast_index(oi, out_layout.shape, x_layout.shape, xi);
        let o = index_to_position(oi, out_layout.strides);
        let j = index_to_position(xi, x_layout.strides);
        out[o] = f(x[j]);
    }
    Ok(())
}

/// `out = f(a, b)` over `out`'s shape, both inputs broadcast onto it, through the general path.
///
/// # Errors
/// As [`map`].
pub fn zip<F: Fn(f32, f32) -> f32>(
    f: F,
    a: &[f32],
    a_layout: Layout<'_>,
    b: &[f32],
    b_layout: Layout<'_>,
    out: &mut [f32],
    out_layout: Layout<'_>,
) -> Result<()> {
    const OP: &str = "naive::zip";
    a_layout.check(OP, a.len())?;
    b_layout.check(OP, b.len())?;
    out_layout.check(OP, out.len())?;
    check_broadcast(OP, a_layout.shape, out_layout.shape)?;
    check_broadcast(OP, b_layout.shape, out_layout.shape)?;
    let mut idx = [[0usize; MAX_DIMS]; 3];
    let [oi, ai, bi] = &mut idx;
    let (oi, ai, bi) = (
        &mut oi[..out_layout.shape.len()],
        &mut ai[..a_layout.shape.len()],
        &mut bi[..b_layout.shape.len()],
    );
    for i in 0..out_layout.numel() {
        to_index(i, out_layout.shape, oi);
        broadcast_index(oi, out_layout.shape, a_layout.shape, ai);
        broadcast_index(oi, out_layout.shape, b_layout.shape, bi);
        let o = index_to_position(oi, out_layout.strides);
        let j = index_to_position(ai, a_layout.strides);
        let k = index_to_position(bi, b_layout.strides);
        out[o] = f(a[j], b[k]);
    }
    Ok(())
}

/// Folds `x` along `dim` with `f` from `identity` into `out`, whose shape is `x`'s with `dim`
/// of size 1 (MiniTorch's `tensor_reduce`).
///
/// # Errors
/// As [`map`], plus [`Error::DimOutOfRange`] and [`Error::ShapeMismatch`] if `out`'s shape is
/// not `x`'s with `dim` set to 1.
pub fn reduce<F: Fn(f32, f32) -> f32>(
    f: F,
    identity: f32,
    x: &[f32],
    x_layout: Layout<'_>,
    dim: usize,
    out: &mut [f32],
    out_layout: Layout<'_>,
) -> Result<()> {
    const OP: &str = "naive::reduce";
    x_layout.check(OP, x.len())?;
    out_layout.check(OP, out.len())?;
    let ndim = x_layout.shape.len();
    if dim >= ndim {
        return Err(Error::DimOutOfRange {
            op: OP,
            dim: dim as isize,
            ndim,
            shape: x_layout.shape.to_vec(),
        });
    }
    let mut expected = x_layout.shape.to_vec();
    expected[dim] = 1;
    if out_layout.shape != expected.as_slice() {
        return Err(Error::ShapeMismatch {
            op: OP,
            lhs: out_layout.shape.to_vec(),
            rhs: expected,
        });
    }
    let mut out_index = [0usize; MAX_DIMS];
    let oi = &mut out_index[..ndim];
    let reduce_size = x_layout.shape[dim];
    for i in 0..out_layout.numel() {
        to_index(i, out_layout.shape, oi);
        let o = index_to_position(oi, out_layout.strides);
        out[o] = identity;
        for s in 0..reduce_size {
            oi[dim] = s;
            let j = index_to_position(oi, x_layout.strides);
            out[o] = f(out[o], x[j]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_major_strides_match_minitorch_example() {
        assert_eq!(row_major_strides(&[4, 2, 2]), vec![4, 2, 1]);
        assert_eq!(row_major_strides(&[]), Vec::<usize>::new());
    }

    #[test]
    fn to_index_and_index_to_position_round_trip_on_row_major_layout() {
        let shape = [3, 4, 5];
        let strides = row_major_strides(&shape);
        let mut idx = [0; 3];
        for i in 0..60 {
            to_index(i, &shape, &mut idx);
            assert_eq!(index_to_position(&idx, &strides), i);
        }
    }

    #[test]
    fn map_applies_f_through_a_permuted_layout() {
        // x is a 2x3 row-major storage read as its 3x2 transpose.
        let x = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let mut out = [0.0; 6];
        map(
            |v| v * 10.0,
            &x,
            Layout::new(&[3, 2], &[1, 3]),
            &mut out,
            Layout::new(&[3, 2], &[2, 1]),
        )
        .unwrap();
        assert_eq!(out, [0.0, 30.0, 10.0, 40.0, 20.0, 50.0]);
    }

    #[test]
    fn zip_broadcasts_a_row_over_every_row() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [10.0, 20.0, 30.0];
        let mut out = [0.0; 6];
        zip(
            |a, b| a + b,
            &a,
            Layout::new(&[2, 3], &[3, 1]),
            &b,
            Layout::new(&[3], &[1]),
            &mut out,
            Layout::new(&[2, 3], &[3, 1]),
        )
        .unwrap();
        assert_eq!(out, [11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
    }

    #[test]
    fn reduce_sums_along_either_dim() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let xl = Layout::new(&[2, 3], &[3, 1]);
        let mut rows = [0.0; 2];
        reduce(
            |a, v| a + v,
            0.0,
            &x,
            xl,
            1,
            &mut rows,
            Layout::new(&[2, 1], &[1, 1]),
        )
        .unwrap();
        assert_eq!(rows, [6.0, 15.0]);
        let mut cols = [0.0; 3];
        reduce(
            |a, v| a + v,
            0.0,
            &x,
            xl,
            0,
            &mut cols,
            Layout::new(&[1, 3], &[3, 1]),
        )
        .unwrap();
        assert_eq!(cols, [5.0, 7.0, 9.0]);
    }

    #[test]
    fn layout_reaching_past_its_storage_is_an_error_not_a_panic() {
        let x = [0.0; 4];
        let mut out = [0.0; 6];
        let err = map(
            |v| v,
            &x,
            Layout::new(&[6], &[1]),
            &mut out,
            Layout::new(&[6], &[1]),
        );
        assert!(matches!(err, Err(Error::InvalidArgument { .. })));
    }

    #[test]
    fn shapes_that_do_not_broadcast_are_an_error() {
        let x = [0.0; 4];
        let mut out = [0.0; 6];
        let err = map(
            |v| v,
            &x,
            Layout::new(&[4], &[1]),
            &mut out,
            Layout::new(&[6], &[1]),
        );
        assert!(matches!(err, Err(Error::Broadcast { .. })));
    }

    #[test]
    fn reduce_rejects_a_dim_out_of_range() {
        let x = [0.0; 4];
        let mut out = [0.0; 1];
        let err = reduce(
            |a, v| a + v,
            0.0,
            &x,
            Layout::new(&[4], &[1]),
            1,
            &mut out,
            Layout::new(&[1], &[1]),
        );
        assert!(matches!(err, Err(Error::DimOutOfRange { .. })));
    }
}
