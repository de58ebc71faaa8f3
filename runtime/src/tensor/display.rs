//! PyTorch-style printing: `tensor([[0., 1.],\n        [2., 3.]], shape=[2, 2], dtype=float32)`.
//!
//! Follows `torch/_tensor_str.py` with its default options (precision 4, line width 80,
//! summarised with `...` above 1000 elements keeping 3 edge items per dim): one column width for
//! all values, integer mode (`2.`) when every value is an integer, scientific mode when the
//! magnitudes span more than 1000× or leave `[1e-4, 1e8]`. Unlike PyTorch it always prints the
//! shape and dtype.

use core::fmt;

use super::Tensor;
use crate::Element;

const PRECISION: usize = 4;
const LINE_WIDTH: usize = 80;
const SUMMARIZE_ABOVE: usize = 1000;
const EDGE_ITEMS: usize = 3;
const PREFIX: &str = "tensor(";

/// How every value of one tensor is printed (PyTorch's `_Formatter`).
struct ValueFormat {
    int_mode: bool,
    sci_mode: bool,
    width: usize,
}

impl ValueFormat {
    fn new(values: &[f64]) -> Self {
        let finite: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v != 0.0)
            .collect();
        let mut format = Self {
            int_mode: true,
            sci_mode: false,
            width: 1,
        };
        if finite.is_empty() {
            return format;
        }
        let max = finite.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let min = finite.iter().fold(f64::INFINITY, |m, v| m.min(v.abs()));
        format.int_mode = finite.iter().all(|v| v.ceil() == *v);
        let wide_range = max / min > 1000.0 || max > 1.0e8;
        format.sci_mode = wide_range || (!format.int_mode && min < 1.0e-4);
        format.width = finite
            .iter()
            .map(|&v| match (format.sci_mode, format.int_mode) {
                (true, _) => sci(v).len(),
                (false, true) => format!("{v:.0}").len() + 1,
                (false, false) => format!("{v:.PRECISION$}").len(),
            })
            .max()
            .unwrap_or(1);
        format
    }

    fn format(&self, v: f64) -> String {
        let text = if v.is_nan() {
            "nan".to_string()
        } else if v.is_infinite() {
            if v > 0.0 { "inf" } else { "-inf" }.to_string()
        } else if self.sci_mode {
            sci(v)
        } else if self.int_mode {
            format!("{v:.0}.")
        } else {
            format!("{v:.PRECISION$}")
        };
        format!("{text:>width$}", width = self.width)
    }
}

/// Python's `{:.4e}`: at least two exponent digits, always signed (`1.2345e+03`).
fn sci(v: f64) -> String {
    let text = format!("{v:.PRECISION$e}");
    match text.split_once('e') {
        Some((mantissa, exp)) => {
            let exp: i32 = exp.parse().unwrap_or(0);
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
        }
        None => text,
    }
}

/// The indices of a dim of size `n` to print; `None` marks the `...`.
fn shown_indices(n: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS)
            .map(Some)
            .chain([None])
            .chain((n - EDGE_ITEMS..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

/// A strided view of the values being printed.
struct Printer<'a, E> {
    data: &'a [E],
    strides: &'a [usize],
    summarize: bool,
}

impl<E: Element> Printer<'_, E> {
    fn value(&self, position: usize) -> f64 {
        self.data[position].to_f64()
    }

    /// The values PyTorch's formatter sees (the edge items only, when summarising).
    fn collect(&self, shape: &[usize], position: usize, out: &mut Vec<f64>) {
        match shape.split_first() {
            None => out.push(self.value(position)),
            Some((&n, rest)) => {
                let stride = self.strides[self.strides.len() - shape.len()];
                for i in shown_indices(n, self.summarize).into_iter().flatten() {
                    self.collect(rest, position + i * stride, out);
                }
            }
        }
    }

    fn nested(&self, shape: &[usize], position: usize, indent: usize, f: &ValueFormat) -> String {
        let Some((&n, rest)) = shape.split_first() else {
            return f.format(self.value(position));
        };
        let stride = self.strides[self.strides.len() - shape.len()];
        let shown = shown_indices(n, self.summarize);
        if rest.is_empty() {
            return self.vector(&shown, position, stride, indent, f);
        }
        let rows: Vec<String> = shown
            .iter()
            .map(|i| match i {
                Some(i) => self.nested(rest, position + i * stride, indent + 1, f),
                None => "...".to_string(),
            })
            .collect();
        let separator = format!(
            ",{}{}",
            "\n".repeat(shape.len() - 1),
            " ".repeat(indent + 1)
        );
        format!("[{}]", rows.join(&separator))
    }

    fn vector(
        &self,
        shown: &[Option<usize>],
        position: usize,
        stride: usize,
        indent: usize,
        f: &ValueFormat,
    ) -> String {
        let per_line = (LINE_WIDTH.saturating_sub(indent) / (f.width + 2)).max(1);
        let items: Vec<String> = shown
            .iter()
            .map(|i| match i {
                Some(i) => f.format(self.value(position + i * stride)),
                None => " ...".to_string(),
            })
            .collect();
        let lines: Vec<String> = items.chunks(per_line).map(|c| c.join(", ")).collect();
        format!(
            "[{}]",
            lines.join(&format!(",\n{}", " ".repeat(indent + 1)))
        )
    }
}

impl<E: Element> Tensor<E> {
    /// The printed form with `suffixes` after the data, wrapped as PyTorch's `_add_suffixes`.
    fn render(&self, suffixes: &[String]) -> String {
        let data = self.storage().read();
        let printer = Printer {
            data: &data,
            strides: self.strides(),
            summarize: self.numel() > SUMMARIZE_ABOVE,
        };
        let body = if self.numel() == 0 {
            "[]".to_string()
        } else {
            let mut values = Vec::new();
            printer.collect(self.shape(), self.offset(), &mut values);
            let format = ValueFormat::new(&values);
            printer.nested(self.shape(), self.offset(), PREFIX.len(), &format)
        };
        let mut out = format!("{PREFIX}{body}");
        let mut last_line = match out.rfind('\n') {
            Some(p) => out.len() - p + 1,
            None => out.len() + 2,
        };
        for suffix in suffixes {
            if last_line + suffix.len() + 2 > LINE_WIDTH {
                out.push_str(&format!(",\n{}{suffix}", " ".repeat(PREFIX.len())));
                last_line = PREFIX.len() + suffix.len();
            } else {
                out.push_str(&format!(", {suffix}"));
                last_line += suffix.len() + 2;
            }
        }
        out.push(')');
        out
    }

    fn basic_suffixes(&self) -> Vec<String> {
        vec![
            format!("shape={:?}", self.shape()),
            format!("dtype={}", E::DTYPE),
        ]
    }
}

/// PyTorch's format plus the shape and dtype:
///
/// ```
/// use simdgrad::Tensor;
/// let x = Tensor::<f32>::arange(0.0, 4.0, 1.0).unwrap().view(&[2, 2]).unwrap();
/// assert_eq!(
///     x.to_string(),
///     "tensor([[0., 1.],\n        [2., 3.]], shape=[2, 2], dtype=float32)"
/// );
/// ```
impl<E: Element> fmt::Display for Tensor<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&self.basic_suffixes()))
    }
}

/// As `Display`, plus the strides and offset.
impl<E: Element> fmt::Debug for Tensor<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut suffixes = self.basic_suffixes();
        suffixes.push(format!("strides={:?}", self.strides()));
        suffixes.push(format!("offset={}", self.offset()));
        f.write_str(&self.render(&suffixes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(data: &[f32], shape: &[usize]) -> Tensor<f32> {
        Tensor::from_slice(data, shape).unwrap()
    }

    #[test]
    fn fixed_point_values_share_one_column_width() {
        assert_eq!(
            t(&[1.5, -2.25], &[2]).to_string(),
            "tensor([ 1.5000, -2.2500], shape=[2], dtype=float32)"
        );
    }

    #[test]
    fn integers_print_with_a_trailing_dot() {
        assert_eq!(
            t(&[0.0, 10.0, -3.0], &[3]).to_string(),
            "tensor([ 0., 10., -3.], shape=[3], dtype=float32)"
        );
    }

    #[test]
    fn wide_ranges_switch_to_scientific() {
        assert_eq!(
            t(&[1e-5, 1.0], &[2]).to_string(),
            "tensor([1.0000e-05, 1.0000e+00], shape=[2], dtype=float32)"
        );
    }

    #[test]
    fn non_finite_values_print_as_python_does() {
        assert_eq!(
            t(&[f32::NAN, f32::INFINITY, 1.0], &[3]).to_string(),
            "tensor([nan, inf, 1.], shape=[3], dtype=float32)"
        );
    }

    #[test]
    fn scalars_and_empty_tensors() {
        assert_eq!(
            Tensor::scalar(2.5f64).to_string(),
            "tensor(2.5000, shape=[], dtype=float64)"
        );
        assert_eq!(
            Tensor::<f32>::zeros(&[0, 3]).unwrap().to_string(),
            "tensor([], shape=[0, 3], dtype=float32)"
        );
    }

    #[test]
    fn three_dims_separate_blocks_with_a_blank_line() {
        let x = Tensor::<f32>::arange(0.0, 8.0, 1.0)
            .unwrap()
            .view(&[2, 2, 2])
            .unwrap();
        assert_eq!(
            x.to_string(),
            "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]], \
             shape=[2, 2, 2], dtype=float32)"
        );
    }

    #[test]
    fn long_vectors_wrap_and_large_tensors_are_summarised() {
        let x = Tensor::<f32>::arange(0.0, 2000.0, 1.0).unwrap();
        assert_eq!(
            x.to_string(),
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        \
             1.9990e+03], shape=[2000], dtype=float32)"
        );
        let m = Tensor::<f32>::zeros(&[100, 100]).unwrap();
        let expected_row = "[0., 0., 0.,  ..., 0., 0., 0.]";
        let s = m.to_string();
        assert!(s.starts_with(&format!("tensor([{expected_row},\n        {expected_row}")));
        assert!(s.contains(",\n        ...,\n        "), "{s}");
    }

    #[test]
    fn debug_adds_strides_and_offset() {
        let x = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]).transpose(0, 1).unwrap();
        assert_eq!(
            format!("{x:?}"),
            "tensor([[1., 3.],\n        [2., 4.]], shape=[2, 2], dtype=float32, strides=[1, 2], offset=0)"
        );
    }
}
