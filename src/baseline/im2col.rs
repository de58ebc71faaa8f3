//! The convolution baseline a general framework would run: im2col (unfold every window into a
//! column) followed by one GEMM per batch element (simdgrad's `linalg::matmul_into`, the gemm
//! crate), and col2im for the input gradient.
//!
//! ```
//! use simdgrad::conv::{ConvParams, ConvShape};
//! use simdgrad_workspace::baseline::im2col::Im2col;
//!
//! // MiniTorch's worked example: conv1d([0,1,2,3], [1,2,3]) = [8,14,8,3].
//! let s = ConvShape::conv1d([1, 1, 4], [1, 1, 3], ConvParams::anchored_start(3)).unwrap();
//! let mut out = [0.0f32; 4];
//! Im2col::new(s).forward(&[0.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], &mut out).unwrap();
//! assert_eq!(out, [8.0, 14.0, 8.0, 3.0]);
//! ```

use simdgrad::conv::ConvShape;
use simdgrad::linalg::{matmul_into, MatMut, MatRef};
use simdgrad::Result;

use super::check_len;

/// im2col + GEMM for one convolution shape, with its column buffer allocated once.
#[derive(Clone, Debug)]
pub struct Im2col {
    s: ConvShape,
    /// `col[(c, p, q)][(y, x)]` for one batch element: `C·KH·KW` rows of `OH·OW`.
    col: Vec<f32>,
}

/// A row-major `rows × cols` matrix over `d`.
fn mat(d: &[f32], rows: usize, cols: usize) -> MatRef<'_, f32> {
    MatRef {
        data: d,
        offset: 0,
        rows,
        cols,
        row_stride: cols,
        col_stride: 1,
    }
}

/// The transpose of the row-major `cols × rows` matrix `d`, as a `rows × cols` matrix.
fn mat_t(d: &[f32], rows: usize, cols: usize) -> MatRef<'_, f32> {
    MatRef {
        data: d,
        offset: 0,
        rows,
        cols,
        row_stride: 1,
        col_stride: rows,
    }
}

fn mat_mut(d: &mut [f32], rows: usize, cols: usize) -> MatMut<'_, f32> {
    MatMut {
        data: d,
        offset: 0,
        rows,
        cols,
        row_stride: cols,
        col_stride: 1,
    }
}

impl Im2col {
    /// The baseline for `s` (allocates the column buffer).
    pub fn new(s: ConvShape) -> Self {
        let col = vec![0.0; s.in_channels * s.kernel_h * s.kernel_w * s.out_h * s.out_w];
        Im2col { s, col }
    }

    /// `(K, N, O)`: GEMM extents, `K = C·KH·KW`, `N = OH·OW`, `O` output channels.
    fn extents(&self) -> (usize, usize, usize) {
        let s = &self.s;
        (
            s.in_channels * s.kernel_h * s.kernel_w,
            s.out_h * s.out_w,
            s.out_channels,
        )
    }

    /// Calls `f(row, y, x_out, input_index)` for every column entry of batch element `b` whose
    /// window position falls inside the (unpadded) input; `input_index` is within one batch
    /// element's `(C, H, W)` block.
    fn for_each_tap(&self, mut f: impl FnMut(usize, usize, usize, Option<usize>)) {
        let s = &self.s;
        let [ph, pw] = s.params;
        let (h, w) = (s.in_h, s.in_w);
        let mut row = 0;
        for c in 0..s.in_channels {
            for p in 0..s.kernel_h {
                for q in 0..s.kernel_w {
                    for y in 0..s.out_h {
                        let iy = (y * ph.stride + p * ph.dilation)
                            .checked_sub(ph.padding_before)
                            .filter(|&v| v < h);
                        for xo in 0..s.out_w {
                            let ix = (xo * pw.stride + q * pw.dilation)
                                .checked_sub(pw.padding_before)
                                .filter(|&v| v < w);
                            let at = iy.zip(ix).map(|(iy, ix)| (c * h + iy) * w + ix);
                            f(row, y, xo, at);
                        }
                    }
                    row += 1;
                }
            }
        }
    }

    /// Unfolds batch element `b` of `x` into the column buffer.
    fn unfold(&mut self, x: &[f32], b: usize) {
        let block = self.s.in_channels * self.s.in_h * self.s.in_w;
        let plane = &x[b * block..(b + 1) * block];
        let (n, ow) = (self.s.out_h * self.s.out_w, self.s.out_w);
        let mut col = std::mem::take(&mut self.col);
        self.for_each_tap(|row, y, xo, at| {
            col[row * n + y * ow + xo] = at.map_or(0.0, |i| plane[i]);
        });
        self.col = col;
    }

    fn check(&self, x: usize, w: usize, out: usize, names: [&'static str; 3]) -> Result<()> {
        let s = &self.s;
        let len = |shape: [usize; 4]| shape.iter().product::<usize>();
        check_len("im2col", names[0], len(s.input_shape()), x)?;
        check_len("im2col", names[1], len(s.weight_shape()), w)?;
        check_len("im2col", names[2], len(s.output_shape()), out)
    }

    /// `out = conv(x, w)` (no bias); all contiguous.
    ///
    /// # Errors
    /// If a slice's length does not match the shape.
    pub fn forward(&mut self, x: &[f32], w: &[f32], out: &mut [f32]) -> Result<()> {
        self.check(x.len(), w.len(), out.len(), ["input", "weight", "output"])?;
        let (k, n, o) = self.extents();
        for b in 0..self.s.batch {
            self.unfold(x, b);
            let dst = mat_mut(&mut out[b * o * n..(b + 1) * o * n], o, n);
            matmul_into(dst, mat(w, o, k), mat(&self.col, k, n), false, 1)?;
        }
        Ok(())
    }

    /// `gx = ∂⟨g, conv(x, w)⟩/∂x`: `col = wᵀ·g` per batch element, then col2im (scatter-add).
    ///
    /// # Errors
    /// If a slice's length does not match the shape.
    pub fn backward_input(&mut self, g: &[f32], w: &[f32], gx: &mut [f32]) -> Result<()> {
        self.check(
            gx.len(),
            w.len(),
            g.len(),
            ["grad_input", "weight", "grad_output"],
        )?;
        let (k, n, o) = self.extents();
        let block = self.s.in_channels * self.s.in_h * self.s.in_w;
        let ow = self.s.out_w;
        gx.fill(0.0);
        for b in 0..self.s.batch {
            let dst = mat_mut(&mut self.col, k, n);
            matmul_into(
                dst,
                mat_t(w, k, o),
                mat(&g[b * o * n..(b + 1) * o * n], o, n),
                false,
                1,
            )?;
            let plane = &mut gx[b * block..(b + 1) * block];
            let col = &self.col;
            self.for_each_tap(|row, y, xo, at| {
                if let Some(i) = at {
                    plane[i] += col[row * n + y * ow + xo];
                }
            });
        }
        Ok(())
    }

    /// `gw = ∂⟨g, conv(x, w)⟩/∂w`: `gw += g·colᵀ` per batch element.
    ///
    /// # Errors
    /// If a slice's length does not match the shape.
    pub fn backward_weight(&mut self, x: &[f32], g: &[f32], gw: &mut [f32]) -> Result<()> {
        self.check(
            x.len(),
            gw.len(),
            g.len(),
            ["input", "grad_weight", "grad_output"],
        )?;
        let (k, n, o) = self.extents();
        for b in 0..self.s.batch {
            self.unfold(x, b);
            let dst = mat_mut(gw, o, k);
            matmul_into(
                dst,
                mat(&g[b * o * n..(b + 1) * o * n], o, n),
                mat_t(&self.col, n, k),
                b > 0,
                1,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simdgrad::conv::{naive, ConvParams, StridedRef};

    fn data(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37 + seed * 11) % 23) as f32 * 0.1 - 1.0)
            .collect()
    }

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-4 * (1.0 + y.abs()))
    }

    #[test]
    fn every_pass_matches_the_naive_reference_with_stride_padding_and_dilation() {
        let p = [
            ConvParams::padded(1),
            ConvParams {
                stride: 2,
                dilation: 2,
                ..ConvParams::padded(2)
            },
        ];
        let s = ConvShape::conv2d([2, 3, 7, 9], [4, 3, 3, 2], p).unwrap();
        let len = |shape: [usize; 4]| shape.iter().product::<usize>();
        let (x, w, g) = (
            data(len(s.input_shape()), 1),
            data(len(s.weight_shape()), 2),
            data(len(s.output_shape()), 3),
        );
        let (xv, wv, gv) = (
            StridedRef::contiguous(&x, s.input_shape()),
            StridedRef::contiguous(&w, s.weight_shape()),
            StridedRef::contiguous(&g, s.output_shape()),
        );
        let mut base = Im2col::new(s);
        let (mut got, mut want) = (vec![0.0; g.len()], vec![0.0; g.len()]);
        base.forward(&x, &w, &mut got).unwrap();
        naive::forward(&s, xv, wv, None, &mut want).unwrap();
        assert!(close(&got, &want));
        let (mut got, mut want) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        base.backward_input(&g, &w, &mut got).unwrap();
        naive::backward_input(&s, gv, wv, &mut want).unwrap();
        assert!(close(&got, &want));
        let (mut got, mut want) = (vec![0.0; w.len()], vec![0.0; w.len()]);
        base.backward_weight(&x, &g, &mut got).unwrap();
        naive::backward_weight(&s, xv, gv, &mut want).unwrap();
        assert!(close(&got, &want));
    }

    #[test]
    fn a_wrong_length_is_an_error_not_a_panic() {
        let s = ConvShape::conv1d([1, 1, 4], [1, 1, 3], ConvParams::padded(1)).unwrap();
        let mut out = [0.0f32; 3];
        assert!(Im2col::new(s)
            .forward(&[0.0; 4], &[0.0; 3], &mut out)
            .is_err());
    }
}
