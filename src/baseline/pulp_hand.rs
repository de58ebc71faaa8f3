//! The "hand-written pulp" baseline: what an engineer writes directly against pulp's [`Simd`]
//! and simdgrad's SIMD math ([`SimdElement`]) for each benchmark op, without the kernel DSL.
//!
//! Loop anatomy (performance.md, style.md): registers processed four per iteration, the
//! leftover whole registers one by one, then one masked tail; reductions keep four independent
//! accumulators; reductions over the first dim accumulate four input rows at a time into the
//! L1-resident output row. Dispatch goes through [`simdgrad::kernel::arch`], detected once.
//!
//! Semantics match the generated kernels except where a cheaper instruction is the natural
//! hand-written choice: `relu` is one x86 `vmaxps(0, x)` (NaN in → NaN out as in simdgrad, but
//! `relu(-0) = -0`), and the max fold is `vmaxps` plus a NaN flag (NaN-propagating, but a
//! `max(-0, +0)` tie may return either zero).

use pulp::{Simd, WithSimd};
use simdgrad::kernel::arch;
use simdgrad::simd::SimdElement;
use simdgrad::{Error, Result};

use super::check_len;
use super::scalar::{GELU_C, GELU_K};

/// A register-level elementwise function of one input.
pub trait Unary: Copy {
    /// `f` applied lane by lane.
    fn apply<S: Simd>(s: S, x: S::f32s) -> S::f32s;
}

/// A register-level elementwise function of two inputs.
pub trait Binary: Copy {
    /// `f` applied lane by lane.
    fn apply<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s;
}

/// `max(0, x)`.
#[derive(Clone, Copy, Debug)]
pub struct Relu;
impl Unary for Relu {
    #[inline(always)]
    fn apply<S: Simd>(s: S, x: S::f32s) -> S::f32s {
        // vmaxps returns its second operand when either is NaN: NaN propagates.
        s.max_f32s(s.splat_f32s(0.0), x)
    }
}

/// `e^x`.
#[derive(Clone, Copy, Debug)]
pub struct Exp;
impl Unary for Exp {
    #[inline(always)]
    fn apply<S: Simd>(s: S, x: S::f32s) -> S::f32s {
        <f32 as SimdElement>::exp(s, x)
    }
}

/// `1 / (1 + e^-x)`.
#[derive(Clone, Copy, Debug)]
pub struct Sigmoid;
impl Unary for Sigmoid {
    #[inline(always)]
    fn apply<S: Simd>(s: S, x: S::f32s) -> S::f32s {
        <f32 as SimdElement>::sigmoid(s, x)
    }
}

/// `tanh(x)`.
#[derive(Clone, Copy, Debug)]
pub struct Tanh;
impl Unary for Tanh {
    #[inline(always)]
    fn apply<S: Simd>(s: S, x: S::f32s) -> S::f32s {
        <f32 as SimdElement>::tanh(s, x)
    }
}

/// GELU (tanh approximation), with the polynomial folded into FMAs by hand:
/// `h = x/2; h + h·tanh(x·(k + k·c·x²))`.
#[derive(Clone, Copy, Debug)]
pub struct Gelu;
impl Unary for Gelu {
    #[inline(always)]
    fn apply<S: Simd>(s: S, x: S::f32s) -> S::f32s {
        let x2 = s.mul_f32s(x, x);
        let inner = s.mul_f32s(
            x,
            s.mul_add_f32s(s.splat_f32s(GELU_K * GELU_C), x2, s.splat_f32s(GELU_K)),
        );
        let t = <f32 as SimdElement>::tanh(s, inner);
        let h = s.mul_f32s(s.splat_f32s(0.5), x);
        s.mul_add_f32s(h, t, h)
    }
}

/// `a + b`.
#[derive(Clone, Copy, Debug)]
pub struct Add;
impl Binary for Add {
    #[inline(always)]
    fn apply<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.add_f32s(a, b)
    }
}

/// `a · b`.
#[derive(Clone, Copy, Debug)]
pub struct Mul;
impl Binary for Mul {
    #[inline(always)]
    fn apply<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.mul_f32s(a, b)
    }
}

struct MapLoop<'a, F> {
    x: &'a [f32],
    out: &'a mut [f32],
    _f: F,
}

impl<F: Unary> WithSimd for MapLoop<'_, F> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (xh, xt) = S::as_simd_f32s(self.x);
        let (oh, ot) = S::as_mut_simd_f32s(self.out);
        let mut o4 = oh.chunks_exact_mut(4);
        let mut x4 = xh.chunks_exact(4);
        for (o, x) in (&mut o4).zip(&mut x4) {
            o[0] = F::apply(s, x[0]);
            o[1] = F::apply(s, x[1]);
            o[2] = F::apply(s, x[2]);
            o[3] = F::apply(s, x[3]);
        }
        for (o, &x) in o4.into_remainder().iter_mut().zip(x4.remainder()) {
            *o = F::apply(s, x);
        }
        if !xt.is_empty() {
            s.partial_store_f32s(ot, F::apply(s, s.partial_load_f32s(xt)));
        }
    }
}

struct ZipLoop<'a, F> {
    a: &'a [f32],
    b: &'a [f32],
    out: &'a mut [f32],
    _f: F,
}

impl<F: Binary> WithSimd for ZipLoop<'_, F> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let (ah, at) = S::as_simd_f32s(self.a);
        let (bh, bt) = S::as_simd_f32s(self.b);
        let (oh, ot) = S::as_mut_simd_f32s(self.out);
        let mut o4 = oh.chunks_exact_mut(4);
        let mut a4 = ah.chunks_exact(4);
        let mut b4 = bh.chunks_exact(4);
        for ((o, a), b) in (&mut o4).zip(&mut a4).zip(&mut b4) {
            o[0] = F::apply(s, a[0], b[0]);
            o[1] = F::apply(s, a[1], b[1]);
            o[2] = F::apply(s, a[2], b[2]);
            o[3] = F::apply(s, a[3], b[3]);
        }
        let rest = o4
            .into_remainder()
            .iter_mut()
            .zip(a4.remainder())
            .zip(b4.remainder());
        for ((o, &a), &b) in rest {
            *o = F::apply(s, a, b);
        }
        if !at.is_empty() {
            let v = F::apply(s, s.partial_load_f32s(at), s.partial_load_f32s(bt));
            s.partial_store_f32s(ot, v);
        }
    }
}

/// `out[i] = f(x[i])` for a hand-written register function `f`.
///
/// # Errors
/// [`Error::LengthMismatch`] if the slices differ in length (likewise below).
pub fn map<F: Unary>(f: F, x: &[f32], out: &mut [f32]) -> Result<()> {
    check_len("pulp_hand::map", "output", x.len(), out.len())?;
    arch().dispatch(MapLoop { x, out, _f: f });
    Ok(())
}

/// `out[i] = f(a[i], b[i])` for a hand-written register function `f`.
///
/// # Errors
/// As [`map`].
pub fn zip<F: Binary>(f: F, a: &[f32], b: &[f32], out: &mut [f32]) -> Result<()> {
    check_len("pulp_hand::zip", "b", a.len(), b.len())?;
    check_len("pulp_hand::zip", "output", a.len(), out.len())?;
    arch().dispatch(ZipLoop { a, b, out, _f: f });
    Ok(())
}

/// A fold the reduction kernels below know how to vectorise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fold {
    /// `Σ x`, identity 0.
    Sum,
    /// `max x`, identity −inf, NaN if any input is NaN.
    Max,
}

impl Fold {
    fn identity(self) -> f32 {
        match self {
            Fold::Sum => 0.0,
            Fold::Max => f32::NEG_INFINITY,
        }
    }
}

/// The register state of a fold: the value, plus (for max) a "NaN seen" mask, because `vmaxps`
/// alone drops a NaN that arrives in its first operand.
#[derive(Clone, Copy)]
struct Acc<S: Simd> {
    v: S::f32s,
    nan: S::m32s,
}

impl<S: Simd> Acc<S> {
    #[inline(always)]
    fn new(s: S, fold: Fold) -> Self {
        let v = s.splat_f32s(fold.identity());
        Acc {
            v,
            nan: s.less_than_f32s(v, v),
        }
    }

    #[inline(always)]
    fn step(self, s: S, fold: Fold, x: S::f32s) -> Self {
        match fold {
            Fold::Sum => Acc {
                v: s.add_f32s(self.v, x),
                nan: self.nan,
            },
            Fold::Max => Acc {
                v: s.max_f32s(x, self.v),
                nan: s.or_m32s(self.nan, s.not_m32s(s.equal_f32s(x, x))),
            },
        }
    }

    #[inline(always)]
    fn merge(self, s: S, fold: Fold, o: Self) -> Self {
        Acc {
            nan: s.or_m32s(self.nan, o.nan),
            ..self.step(s, fold, o.v)
        }
    }

    #[inline(always)]
    fn finish(self, s: S, fold: Fold) -> f32 {
        match fold {
            Fold::Sum => s.reduce_sum_f32s(self.v),
            // `v` itself never holds a NaN (vmaxps(x, v) keeps `v` when `x` is NaN): the flag
            // alone says whether one was seen.
            Fold::Max if s.first_true_m32s(self.nan) < S::F32_LANES => f32::NAN,
            Fold::Max => s.reduce_max_f32s(self.v),
        }
    }
}

struct FoldLoop<'a> {
    x: &'a [f32],
    fold: Fold,
}

impl WithSimd for FoldLoop<'_> {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) -> f32 {
        fold_slice(s, self.fold, self.x)
    }
}

#[inline(always)]
fn fold_slice<S: Simd>(s: S, fold: Fold, x: &[f32]) -> f32 {
    let (xh, xt) = S::as_simd_f32s(x);
    let init = Acc::new(s, fold);
    let (mut a0, mut a1, mut a2, mut a3) = (init, init, init, init);
    let mut x4 = xh.chunks_exact(4);
    for c in &mut x4 {
        a0 = a0.step(s, fold, c[0]);
        a1 = a1.step(s, fold, c[1]);
        a2 = a2.step(s, fold, c[2]);
        a3 = a3.step(s, fold, c[3]);
    }
    for &v in x4.remainder() {
        a0 = a0.step(s, fold, v);
    }
    if !xt.is_empty() {
        a1 = a1.step(s, fold, tail_load(s, fold, xt));
    }
    a0.merge(s, fold, a1)
        .merge(s, fold, a2.merge(s, fold, a3))
        .finish(s, fold)
}

/// Loads a tail of fewer than `lanes` values, the padding lanes holding the fold's identity.
#[inline(always)]
fn tail_load<S: Simd>(s: S, fold: Fold, xt: &[f32]) -> S::f32s {
    <f32 as SimdElement>::partial_load(s, xt, fold.identity())
}

/// The fold of a whole slice (its identity if empty).
pub fn fold(fold: Fold, x: &[f32]) -> f32 {
    arch().dispatch(FoldLoop { x, fold })
}

struct RowsLoop<'a> {
    x: &'a [f32],
    cols: usize,
    out: &'a mut [f32],
    fold: Fold,
}

impl WithSimd for RowsLoop<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        for (o, row) in self.out.iter_mut().zip(self.x.chunks_exact(self.cols)) {
            *o = fold_slice(s, self.fold, row);
        }
    }
}

/// Fold over the last dim of a row-major `[out.len(), cols]` matrix, one SIMD fold per row.
///
/// # Errors
/// [`Error::LengthMismatch`] if `x.len() != out.len() · cols`.
pub fn fold_last(fold: Fold, x: &[f32], cols: usize, out: &mut [f32]) -> Result<()> {
    check_len("pulp_hand::fold_last", "input", out.len() * cols, x.len())?;
    if cols == 0 {
        out.fill(fold.identity());
        return Ok(());
    }
    arch().dispatch(RowsLoop { x, cols, out, fold });
    Ok(())
}

struct Dim0Loop<'a> {
    x: &'a [f32],
    out: &'a mut [f32],
    fold: Fold,
}

#[inline(always)]
fn combine<S: Simd>(s: S, fold: Fold, a: S::f32s, b: S::f32s) -> S::f32s {
    match fold {
        Fold::Sum => s.add_f32s(a, b),
        // Any NaN operand must win: vmaxps(b, a) returns `a` if either is NaN, so check `b`.
        Fold::Max => {
            let m = s.max_f32s(b, a);
            s.select_f32s(s.equal_f32s(b, b), m, b)
        }
    }
}

impl WithSimd for Dim0Loop<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) {
        let fold = self.fold;
        let cols = self.out.len();
        self.out.fill(fold.identity());
        let lanes = S::F32_LANES;
        let body = cols - cols % lanes;
        let mut rows4 = self.x.chunks_exact(4 * cols);
        for block in &mut rows4 {
            let (r0, rest) = block.split_at(cols);
            let (r1, rest) = rest.split_at(cols);
            let (r2, r3) = rest.split_at(cols);
            let (oh, ot) = S::as_mut_simd_f32s(self.out);
            let (h0, _) = S::as_simd_f32s(r0);
            let (h1, _) = S::as_simd_f32s(r1);
            let (h2, _) = S::as_simd_f32s(r2);
            let (h3, _) = S::as_simd_f32s(r3);
            for ((((o, &a), &b), &c), &d) in oh.iter_mut().zip(h0).zip(h1).zip(h2).zip(h3) {
                let ab = combine(s, fold, a, b);
                let cd = combine(s, fold, c, d);
                *o = combine(s, fold, *o, combine(s, fold, ab, cd));
            }
            if !ot.is_empty() {
                let mut v = tail_load(s, fold, ot);
                for r in [r0, r1, r2, r3] {
                    v = combine(s, fold, v, tail_load(s, fold, &r[body..]));
                }
                s.partial_store_f32s(ot, v);
            }
        }
        for row in rows4.remainder().chunks_exact(cols) {
            let (oh, ot) = S::as_mut_simd_f32s(self.out);
            let (h, _) = S::as_simd_f32s(row);
            for (o, &a) in oh.iter_mut().zip(h) {
                *o = combine(s, fold, *o, a);
            }
            if !ot.is_empty() {
                let v = combine(
                    s,
                    fold,
                    tail_load(s, fold, ot),
                    tail_load(s, fold, &row[body..]),
                );
                s.partial_store_f32s(ot, v);
            }
        }
    }
}

/// Fold over the first dim of a row-major `[rows, out.len()]` matrix: rows accumulated four at
/// a time into `out`.
///
/// # Errors
/// [`Error::InvalidArgument`] if `x.len()` is not a whole number of rows of `out.len()`.
pub fn fold_dim0(fold: Fold, x: &[f32], out: &mut [f32]) -> Result<()> {
    let cols = out.len();
    if x.len().checked_rem(cols) != Some(0) {
        if cols == 0 && x.is_empty() {
            return Ok(());
        }
        return Err(Error::InvalidArgument {
            op: "pulp_hand::fold_dim0",
            message: format!(
                "an input of {} elements is not a whole number of rows of {cols}",
                x.len()
            ),
        });
    }
    arch().dispatch(Dim0Loop { x, out, fold });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{plain, scalar};
    use super::*;

    fn data(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.07)
            .collect()
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() <= 4e-6 * (1.0 + b.abs())
    }

    #[test]
    fn maps_match_the_scalar_formulas_on_every_tail_length() {
        for n in 0..=67 {
            let x = data(n);
            let mut out = vec![0.0; n];
            type Case = (fn(&[f32], &mut [f32]) -> Result<()>, fn(f32) -> f32);
            let cases: [Case; 5] = [
                (|x, o| map(Relu, x, o), scalar::relu),
                (|x, o| map(Exp, x, o), scalar::exp),
                (|x, o| map(Sigmoid, x, o), scalar::sigmoid),
                (|x, o| map(Tanh, x, o), scalar::tanh),
                (|x, o| map(Gelu, x, o), scalar::gelu),
            ];
            for (k, (vector, reference)) in cases.iter().enumerate() {
                vector(&x, &mut out).unwrap();
                for (&o, &v) in out.iter().zip(&x) {
                    assert!(close(o, reference(v)), "case {k}, n {n}, x {v}: {o}");
                }
            }
        }
    }

    #[test]
    fn zips_match_plain_on_every_tail_length() {
        for n in 0..=67 {
            let (a, b) = (data(n), data(n + 3)[3..].to_vec());
            let (mut got, mut want) = (vec![0.0; n], vec![0.0; n]);
            zip(Add, &a, &b, &mut got).unwrap();
            plain::add(&a, &b, &mut want).unwrap();
            assert_eq!(got, want);
            zip(Mul, &a, &b, &mut got).unwrap();
            plain::mul(&a, &b, &mut want).unwrap();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn folds_match_plain_on_every_tail_length() {
        for n in 0..=200 {
            let x = data(n);
            assert!(close(fold(Fold::Sum, &x), plain::sum(&x)), "n {n}");
            assert_eq!(fold(Fold::Max, &x), plain::max(&x), "n {n}");
        }
    }

    #[test]
    fn max_fold_propagates_nan_anywhere_in_the_input() {
        for n in 1..=70 {
            for at in [0, n / 2, n - 1] {
                let mut x = data(n);
                x[at] = f32::NAN;
                assert!(fold(Fold::Max, &x).is_nan(), "n {n}, NaN at {at}");
            }
        }
    }

    #[test]
    fn max_fold_of_all_negative_input_ignores_the_tail_padding() {
        let x = vec![-3.0; 19];
        assert_eq!(fold(Fold::Max, &x), -3.0);
    }

    #[test]
    fn reductions_over_each_dim_match_plain() {
        for (rows, cols) in [(1, 1), (3, 5), (4, 16), (9, 33), (13, 70)] {
            let x = data(rows * cols)
                .iter()
                .map(|v| v - 1.0)
                .collect::<Vec<_>>();
            let (mut got, mut want) = (vec![0.0; rows], vec![0.0; rows]);
            fold_last(Fold::Max, &x, cols, &mut got).unwrap();
            plain::max_last(&x, cols, &mut want).unwrap();
            assert_eq!(got, want);
            fold_last(Fold::Sum, &x, cols, &mut got).unwrap();
            plain::sum_last(&x, cols, &mut want).unwrap();
            assert!(got.iter().zip(&want).all(|(&g, &w)| close(g, w)));
            let (mut got, mut want) = (vec![0.0; cols], vec![0.0; cols]);
            fold_dim0(Fold::Max, &x, &mut got).unwrap();
            plain::max_dim0(&x, &mut want).unwrap();
            assert_eq!(got, want, "{rows}x{cols}");
            fold_dim0(Fold::Sum, &x, &mut got).unwrap();
            plain::sum_dim0(&x, &mut want).unwrap();
            assert!(got.iter().zip(&want).all(|(&g, &w)| close(g, w)));
        }
    }

    #[test]
    fn dim0_max_propagates_nan_into_its_column() {
        let mut x = data(9 * 20);
        x[5 * 20 + 17] = f32::NAN;
        let mut out = vec![0.0; 20];
        fold_dim0(Fold::Max, &x, &mut out).unwrap();
        assert!(out[17].is_nan());
        assert!(out.iter().enumerate().all(|(j, v)| j == 17 || !v.is_nan()));
    }

    #[test]
    fn bad_shapes_are_errors() {
        let mut out = vec![0.0; 3];
        assert!(map(Relu, &[1.0; 4], &mut out).is_err());
        assert!(fold_last(Fold::Sum, &[1.0; 7], 2, &mut out).is_err());
        assert!(fold_dim0(Fold::Sum, &[1.0; 7], &mut out).is_err());
    }
}
