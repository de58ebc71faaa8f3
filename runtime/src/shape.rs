//! Shape arithmetic: element counts, row-major strides, NumPy broadcasting and dim normalisation.

use crate::{Error, Result};

/// The number of elements a tensor of `shape` holds (1 for the 0-d shape `[]`).
///
/// The check is stricter than the plain product: size-0 dims count as 1 while checking for
/// overflow, so a shape that passes also has row-major strides that fit in `usize`.
///
/// ```
/// use simdgrad::shape::checked_numel;
/// assert_eq!(checked_numel(&[2, 3, 4]).unwrap(), 24);
/// assert_eq!(checked_numel(&[]).unwrap(), 1);
/// assert_eq!(checked_numel(&[0, 7]).unwrap(), 0);
/// assert!(checked_numel(&[usize::MAX, 2]).is_err());
/// ```
///
/// # Errors
/// [`Error::ShapeOverflow`] if the product overflows `usize`.
pub fn checked_numel(shape: &[usize]) -> Result<usize> {
    let mut extent: usize = 1;
    let mut numel: usize = 1;
    for &size in shape {
        extent = extent
            .checked_mul(size.max(1))
            .ok_or_else(|| Error::ShapeOverflow {
                shape: shape.to_vec(),
            })?;
        // numel <= extent before and after this step, so it cannot overflow.
        numel *= size;
    }
    Ok(numel)
}

/// Row-major (C order) element strides of `shape`: the last dim has stride 1.
///
/// Size-0 dims count as 1, as in PyTorch (`[2, 0, 3]` → `[3, 3, 1]`). Call [`checked_numel`]
/// first: for shapes it rejects the strides saturate at `usize::MAX` instead of overflowing.
///
/// ```
/// use simdgrad::shape::row_major_strides;
/// assert_eq!(row_major_strides(&[4, 2, 2]), vec![4, 2, 1]);
/// assert_eq!(row_major_strides(&[]), Vec::<usize>::new());
/// ```
pub fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc: usize = 1;
    for (stride, &size) in strides.iter_mut().zip(shape).rev() {
        *stride = acc;
        acc = acc.saturating_mul(size.max(1));
    }
    strides
}

/// The shape two shapes broadcast to, by NumPy's rule: align on the right, pad the shorter with
/// 1s on the left, and in each dim the sizes must be equal or one of them 1.
///
/// ```
/// use simdgrad::shape::broadcast_shapes;
/// assert_eq!(broadcast_shapes(&[5, 1, 5, 1], &[1, 5, 1, 5]).unwrap(), vec![5, 5, 5, 5]);
/// assert_eq!(broadcast_shapes(&[2, 5], &[5]).unwrap(), vec![2, 5]);
/// assert!(broadcast_shapes(&[5, 2], &[5]).is_err());
/// ```
///
/// # Errors
/// [`Error::Broadcast`] naming both shapes if some dim differs and neither size is 1;
/// [`Error::ShapeOverflow`] if the result has more elements than `usize` can count.
pub fn broadcast_shapes(lhs: &[usize], rhs: &[usize]) -> Result<Vec<usize>> {
    let ndim = lhs.len().max(rhs.len());
    let size_at = |shape: &[usize], i: usize| {
        let pad = ndim - shape.len();
        if i < pad {
            1
        } else {
            shape[i - pad]
        }
    };
    let out = (0..ndim)
        .map(|i| match (size_at(lhs, i), size_at(rhs, i)) {
            (a, b) if a == b || b == 1 => Ok(a),
            (1, b) => Ok(b),
            _ => Err(Error::Broadcast {
                op: "broadcast_shapes",
                lhs: lhs.to_vec(),
                rhs: rhs.to_vec(),
            }),
        })
        .collect::<Result<Vec<_>>>()?;
    checked_numel(&out)?;
    Ok(out)
}

/// Turns a possibly negative dim into an index into `shape`: `-1` is the last dim, `-ndim` the
/// first.
///
/// ```
/// use simdgrad::shape::normalize_dim;
/// assert_eq!(normalize_dim("sum", -1, &[2, 3]).unwrap(), 1);
/// assert_eq!(normalize_dim("sum", 0, &[2, 3]).unwrap(), 0);
/// assert!(normalize_dim("sum", 2, &[2, 3]).is_err());
/// ```
///
/// # Errors
/// [`Error::DimOutOfRange`], reporting `op`, if `dim` is not in `-ndim..ndim`.
pub fn normalize_dim(op: &'static str, dim: isize, shape: &[usize]) -> Result<usize> {
    normalize_dim_in(op, dim, shape.len(), shape)
}

/// Like [`normalize_dim`] for a dim *between* the existing ones (as `unsqueeze` takes), which
/// ranges over `-(ndim + 1)..=ndim`.
pub(crate) fn normalize_insert_dim(op: &'static str, dim: isize, shape: &[usize]) -> Result<usize> {
    normalize_dim_in(op, dim, shape.len() + 1, shape)
}

fn normalize_dim_in(op: &'static str, dim: isize, rank: usize, shape: &[usize]) -> Result<usize> {
    let wrapped = if dim < 0 {
        rank.checked_sub(dim.unsigned_abs())
    } else {
        Some(dim.unsigned_abs())
    };
    match wrapped {
        Some(d) if d < rank => Ok(d),
        _ => Err(Error::DimOutOfRange {
            op,
            dim,
            ndim: shape.len(),
            shape: shape.to_vec(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numel_of_scalar_shape_is_one() {
        assert_eq!(checked_numel(&[]).unwrap(), 1);
    }

    #[test]
    fn numel_overflow_is_caught_even_behind_a_zero_dim() {
        assert!(matches!(
            checked_numel(&[0, usize::MAX, 2]),
            Err(Error::ShapeOverflow { .. })
        ));
        assert_eq!(checked_numel(&[0, usize::MAX]).unwrap(), 0);
    }

    #[test]
    fn strides_treat_zero_sizes_as_one() {
        assert_eq!(row_major_strides(&[2, 0, 3]), vec![3, 3, 1]);
    }

    #[test]
    fn broadcast_result_overflow_is_an_error() {
        let big = 1usize << 40;
        assert!(matches!(
            broadcast_shapes(&[big, 1], &[1, big]),
            Err(Error::ShapeOverflow { .. })
        ));
    }

    #[test]
    fn negative_dims_count_from_the_end() {
        assert_eq!(normalize_dim("t", -2, &[4, 5, 6]).unwrap(), 1);
        assert_eq!(normalize_dim("t", -3, &[4, 5, 6]).unwrap(), 0);
        assert!(normalize_dim("t", -4, &[4, 5, 6]).is_err());
        assert!(normalize_dim("t", isize::MIN, &[4]).is_err());
        assert!(normalize_dim("t", 0, &[]).is_err());
        assert_eq!(normalize_insert_dim("t", -1, &[4, 5]).unwrap(), 2);
        assert_eq!(normalize_insert_dim("t", 2, &[4, 5]).unwrap(), 2);
        assert!(normalize_insert_dim("t", 3, &[4, 5]).is_err());
    }
}
