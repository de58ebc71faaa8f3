//! Matrix multiplication on strided slices, through the `gemm` crate (AVX-512 via its `x86-v4`
//! feature), behind a bounds-checked safe wrapper.

use crate::{Element, Error, Result};

/// A read-only strided matrix inside a slice: element `(i, j)` is
/// `data[offset + i * row_stride + j * col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, E> {
    /// Backing storage.
    pub data: &'a [E],
    /// Position of element (0, 0).
    pub offset: usize,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Distance between rows, in elements (0 for a broadcast row).
    pub row_stride: usize,
    /// Distance between columns, in elements.
    pub col_stride: usize,
}

/// A writable strided matrix inside a slice; its elements must not overlap
/// (no zero strides on dims larger than 1).
#[derive(Debug)]
pub struct MatMut<'a, E> {
    /// Backing storage.
    pub data: &'a mut [E],
    /// Position of element (0, 0).
    pub offset: usize,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Distance between rows, in elements.
    pub row_stride: usize,
    /// Distance between columns, in elements.
    pub col_stride: usize,
}

/// Largest position a strided matrix touches, or `None` when it is empty; errors on overflow.
fn last_position(
    offset: usize,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
) -> Result<Option<usize>> {
    if rows == 0 || cols == 0 {
        return Ok(None);
    }
    let overflow = || Error::InvalidArgument {
        op: "matmul",
        message: format!(
            "a {rows}x{cols} matrix with strides ({rs}, {cs}) at offset {offset} overflows usize"
        ),
    };
    let r = (rows - 1).checked_mul(rs).ok_or_else(overflow)?;
    let c = (cols - 1).checked_mul(cs).ok_or_else(overflow)?;
    let last = offset
        .checked_add(r)
        .and_then(|v| v.checked_add(c))
        .ok_or_else(overflow)?;
    if last > isize::MAX as usize {
        return Err(overflow());
    }
    Ok(Some(last))
}

fn check_fits(what: &str, last: Option<usize>, len: usize) -> Result<()> {
    match last {
        Some(last) if last >= len => Err(Error::InvalidArgument {
            op: "matmul",
            message: format!(
                "{what} reaches storage position {last} but its slice has length {len}"
            ),
        }),
        _ => Ok(()),
    }
}

/// `dst = lhs · rhs` (or `dst += lhs · rhs` when `accumulate`), with `threads` threads.
///
/// # Errors
/// [`Error::ShapeMismatch`] when the inner dimensions or the destination shape disagree, and
/// [`Error::InvalidArgument`] when a matrix does not fit its slice or the destination aliases
/// itself through a zero stride.
///
/// ```
/// use simdgrad::linalg::{matmul_into, MatMut, MatRef};
/// let a = [1.0f32, 2.0, 3.0, 4.0]; // [[1, 2], [3, 4]]
/// let b = [1.0f32, 0.0, 0.0, 1.0]; // identity
/// let mut c = [0.0f32; 4];
/// let m = |d| MatRef { data: d, offset: 0, rows: 2, cols: 2, row_stride: 2, col_stride: 1 };
/// let dst = MatMut { data: &mut c, offset: 0, rows: 2, cols: 2, row_stride: 2, col_stride: 1 };
/// matmul_into(dst, m(&a), m(&b), false, 1).unwrap();
/// assert_eq!(c, a);
/// ```
pub fn matmul_into<E: Element>(
    dst: MatMut<'_, E>,
    lhs: MatRef<'_, E>,
    rhs: MatRef<'_, E>,
    accumulate: bool,
    threads: usize,
) -> Result<()> {
    if lhs.cols != rhs.rows || dst.rows != lhs.rows || dst.cols != rhs.cols {
        return Err(Error::ShapeMismatch {
            op: "matmul",
            lhs: vec![lhs.rows, lhs.cols],
            rhs: vec![rhs.rows, rhs.cols],
        });
    }
    if (dst.rows > 1 && dst.row_stride == 0) || (dst.cols > 1 && dst.col_stride == 0) {
        return Err(Error::InvalidArgument {
            op: "matmul",
            message: format!(
                "the destination ({}x{}, strides ({}, {})) would write one element twice",
                dst.rows, dst.cols, dst.row_stride, dst.col_stride
            ),
        });
    }
    let l = last_position(
        lhs.offset,
        lhs.rows,
        lhs.cols,
        lhs.row_stride,
        lhs.col_stride,
    )?;
    let r = last_position(
        rhs.offset,
        rhs.rows,
        rhs.cols,
        rhs.row_stride,
        rhs.col_stride,
    )?;
    let d = last_position(
        dst.offset,
        dst.rows,
        dst.cols,
        dst.row_stride,
        dst.col_stride,
    )?;
    check_fits("lhs", l, lhs.data.len())?;
    check_fits("rhs", r, rhs.data.len())?;
    check_fits("destination", d, dst.data.len())?;
    if d.is_none() {
        return Ok(());
    }
    if l.is_none() {
        // k == 0: the product is all zeros.
        if !accumulate {
            for i in 0..dst.rows {
                for j in 0..dst.cols {
                    dst.data[dst.offset + i * dst.row_stride + j * dst.col_stride] = E::ZERO;
                }
            }
        }
        return Ok(());
    }
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: every position lhs/rhs/dst touch was checked above to lie inside its slice (the
    // largest one is offset + (rows-1)·rs + (cols-1)·cs and strides are non-negative); dst is
    // borrowed mutably and has no zero stride on a dim > 1, so no element is written twice and
    // nothing it writes is read through lhs/rhs (distinct borrows); strides fit in isize because
    // the largest position does. E is f32 or f64, both supported by gemm.
    unsafe {
        gemm::gemm(
            dst.rows,
            dst.cols,
            lhs.cols,
            dst.data.as_mut_ptr().add(dst.offset),
            dst.col_stride as isize,
            dst.row_stride as isize,
            accumulate,
            lhs.data.as_ptr().add(lhs.offset),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr().add(rhs.offset),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            E::ONE,
            E::ONE,
            false,
            false,
            false,
            parallelism,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, n: usize, k: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    #[test]
    fn matches_naive_product_for_odd_sizes_and_transposed_views() {
        for &(m, n, k) in &[(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 1, 5)] {
            let a: Vec<f64> = (0..m * k).map(|v| (v as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..k * n).map(|v| (v as f64 * 0.11).cos()).collect();
            let want = naive(m, n, k, &a, &b);
            // lhs given as the transpose of a column-major copy: exercises non-unit col strides.
            let mut at = vec![0.0; m * k];
            for i in 0..m {
                for p in 0..k {
                    at[p * m + i] = a[i * k + p];
                }
            }
            let lhs = MatRef {
                data: &at,
                offset: 0,
                rows: m,
                cols: k,
                row_stride: 1,
                col_stride: m,
            };
            let rhs = MatRef {
                data: &b,
                offset: 0,
                rows: k,
                cols: n,
                row_stride: n,
                col_stride: 1,
            };
            let mut c = vec![1.0; m * n];
            let dst = MatMut {
                data: &mut c,
                offset: 0,
                rows: m,
                cols: n,
                row_stride: n,
                col_stride: 1,
            };
            matmul_into(dst, lhs, rhs, false, 1).unwrap();
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "{x} vs {y}");
            }
        }
    }

    #[test]
    fn accumulate_adds_to_destination() {
        let a = [1.0f32, 2.0];
        let b = [3.0f32, 4.0];
        let mut c = [10.0f32];
        let lhs = MatRef {
            data: &a,
            offset: 0,
            rows: 1,
            cols: 2,
            row_stride: 2,
            col_stride: 1,
        };
        let rhs = MatRef {
            data: &b,
            offset: 0,
            rows: 2,
            cols: 1,
            row_stride: 1,
            col_stride: 1,
        };
        let dst = MatMut {
            data: &mut c,
            offset: 0,
            rows: 1,
            cols: 1,
            row_stride: 1,
            col_stride: 1,
        };
        matmul_into(dst, lhs, rhs, true, 1).unwrap();
        assert_eq!(c, [21.0]);
    }

    #[test]
    fn rejects_out_of_bounds_and_mismatched_shapes() {
        let a = [0.0f32; 4];
        let mut c = [0.0f32; 4];
        let ok = MatRef {
            data: &a,
            offset: 0,
            rows: 2,
            cols: 2,
            row_stride: 2,
            col_stride: 1,
        };
        let too_far = MatRef { offset: 1, ..ok };
        let dst = MatMut {
            data: &mut c,
            offset: 0,
            rows: 2,
            cols: 2,
            row_stride: 2,
            col_stride: 1,
        };
        let err = matmul_into(dst, too_far, ok, false, 1).unwrap_err();
        assert!(
            err.to_string().contains("lhs reaches storage position 4"),
            "{err}"
        );
        let dst = MatMut {
            data: &mut c,
            offset: 0,
            rows: 2,
            cols: 2,
            row_stride: 2,
            col_stride: 1,
        };
        let wide = MatRef {
            rows: 1,
            cols: 4,
            row_stride: 4,
            ..ok
        };
        assert!(matches!(
            matmul_into(dst, wide, ok, false, 1),
            Err(Error::ShapeMismatch { .. })
        ));
        let dst = MatMut {
            data: &mut c,
            offset: 0,
            rows: 2,
            cols: 2,
            row_stride: 0,
            col_stride: 1,
        };
        assert!(matmul_into(dst, ok, ok, false, 1).is_err());
    }
}
