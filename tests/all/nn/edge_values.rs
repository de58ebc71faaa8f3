//! Edge values across the public API: NaN, ±inf, ±0 and subnormals through every built-in op,
//! in `f32` and `f64`, on contiguous inputs long enough to cover the SIMD body and its tail,
//! and on non-contiguous views (a stepped slice and a transposed matrix). The behaviour each
//! test asserts is the table in `simdgrad::edge_values` (runtime/src/edge_values.rs); it
//! follows PyTorch where users expect it.

use simdgrad::conv::ConvParams;
use simdgrad::nn::functional::{bce_with_logits, cross_entropy, dropout, nll_loss};
use simdgrad::nn::init::seeded_rng;
use simdgrad::nn::{
    AvgPool2d, Conv1d, Conv2d, Dropout, LogSoftmax, MaxPool2d, Module, ReLU, Sigmoid, Softmax,
    Tanh, GELU,
};
use simdgrad::simd::SimdElement;
use simdgrad::{Result, Tensor};

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

/// The edge inputs, each with its expected output given by the test.
fn edges<E: SimdElement>() -> Vec<f64> {
    vec![
        NAN,
        INF,
        -INF,
        0.0,
        -0.0,
        subnormal::<E>(),
        -subnormal::<E>(),
        1.0,
        -1.0,
        2.5,
    ]
}

/// A subnormal of the element type (a quarter of its smallest normal).
fn subnormal<E: SimdElement>() -> f64 {
    let s = E::from_f64(f64::from(f32::MIN_POSITIVE) / 4.0);
    if core::mem::size_of::<E>() == 4 {
        s.to_f64()
    } else {
        f64::MIN_POSITIVE / 4.0
    }
}

/// What an output must be.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// Any NaN.
    Nan,
    /// Exactly this value, including the sign of a zero.
    Bits(f64),
    /// Equal to this value (`0.0 == -0.0`).
    Eq(f64),
    /// Within this relative error of the value (finite, nonzero).
    Near(f64, f64),
}

fn ok<E: SimdElement>(got: E, want: Want) -> bool {
    let g = got.to_f64();
    match want {
        Want::Nan => g.is_nan(),
        Want::Bits(w) => {
            let w = E::from_f64(w).to_f64();
            g == w && g.is_sign_negative() == w.is_sign_negative() || (g.is_nan() && w.is_nan())
        }
        Want::Eq(w) => g == E::from_f64(w).to_f64(),
        Want::Near(w, rel) => (g - w).abs() <= rel * w.abs(),
    }
}

/// `n` copies of `values` in a row: long enough for full SIMD registers plus a masked tail.
fn repeated(values: &[f64], n: usize) -> Vec<f64> {
    values
        .iter()
        .copied()
        .cycle()
        .take(values.len() * n)
        .collect()
}

/// The same logical 1-D values in three layouts: contiguous, every second element of a
/// larger buffer, and a column of a transposed matrix.
fn layouts<E: SimdElement>(values: &[f64]) -> Vec<(&'static str, Tensor<E>)> {
    let n = values.len();
    let data: Vec<E> = values.iter().map(|&v| E::from_f64(v)).collect();
    let contiguous = Tensor::from_vec(data.clone(), &[n]).unwrap();
    let mut wide = vec![E::from_f64(7.0); 2 * n];
    for (i, &v) in data.iter().enumerate() {
        wide[2 * i] = v;
    }
    let stepped = Tensor::from_vec(wide.clone(), &[2 * n])
        .unwrap()
        .slice(0, .., 2)
        .unwrap();
    // wide as [n, 2] transposed to [2, n]: row 0 holds the values, stride 2.
    let column = Tensor::from_vec(wide, &[n, 2])
        .unwrap()
        .transpose(0, 1)
        .unwrap()
        .select(0, 0)
        .unwrap();
    assert!(!stepped.is_contiguous() && !column.is_contiguous());
    vec![
        ("contiguous", contiguous),
        ("stepped", stepped),
        ("column", column),
    ]
}

type MapOp<E> = fn(&Tensor<E>) -> Result<Tensor<E>>;

fn check_map<E: SimdElement>(name: &str, op: MapOp<E>, want: impl Fn(f64) -> Want) {
    let values = repeated(&edges::<E>(), 5);
    for (layout, x) in layouts::<E>(&values) {
        let y = op(&x).unwrap().to_vec();
        for (i, (&v, &g)) in values.iter().zip(&y).enumerate() {
            let w = want(v);
            assert!(
                ok(g, w),
                "{name}({v:e}) in {} {layout} (element {i}) = {:e}, want {w:?}",
                E::NAME,
                g.to_f64()
            );
        }
    }
}

trait Named {
    const NAME: &'static str;
}
impl<E: SimdElement> Named for E {
    const NAME: &'static str = if core::mem::size_of::<E>() == 4 {
        "f32"
    } else {
        "f64"
    };
}

/// Expected results of the map builtins at an edge input, or the finite value by `f`.
fn map_table<E: SimdElement>() {
    let sub = subnormal::<E>();
    let rel = if core::mem::size_of::<E>() == 4 {
        1e-6
    } else {
        1e-14
    };
    check_map::<E>("neg", Tensor::neg, |v| {
        if v.is_nan() {
            Want::Nan
        } else {
            Want::Bits(-v)
        }
    });
    check_map::<E>("abs", Tensor::abs, |v| {
        if v.is_nan() {
            Want::Nan
        } else {
            Want::Bits(v.abs())
        }
    });
    check_map::<E>("exp", Tensor::exp, |v| match v {
        _ if v.is_nan() => Want::Nan,
        INF => Want::Bits(INF),
        _ if v == -INF => Want::Bits(0.0),
        _ if v.abs() <= sub => Want::Bits(1.0),
        _ => Want::Near(v.exp(), rel),
    });
    check_map::<E>("ln", Tensor::ln, |v| match v {
        _ if v.is_nan() || v < 0.0 => Want::Nan,
        0.0 => Want::Bits(-INF),
        INF => Want::Bits(INF),
        _ => Want::Near(v.ln(), rel),
    });
    check_map::<E>("sqrt", Tensor::sqrt, |v| match v {
        _ if v.is_nan() || v < 0.0 => Want::Nan,
        _ if v == 0.0 || v.is_infinite() => Want::Bits(v), // sqrt(-0) = -0 (IEEE)
        _ => Want::Near(v.sqrt(), rel),
    });
    check_map::<E>("relu", Tensor::relu, |v| match v {
        _ if v.is_nan() => Want::Nan,     // PyTorch: relu(NaN) = NaN
        _ if v <= 0.0 => Want::Bits(0.0), // +0, also for -0
        _ => Want::Bits(v),
    });
    check_map::<E>("sigmoid", Tensor::sigmoid, |v| match v {
        _ if v.is_nan() => Want::Nan,
        INF => Want::Bits(1.0),
        _ if v == -INF => Want::Eq(0.0),
        _ if v.abs() <= sub => Want::Bits(0.5),
        _ => Want::Near(1.0 / (1.0 + (-v).exp()), rel),
    });
    check_map::<E>("tanh", Tensor::tanh, |v| match v {
        _ if v.is_nan() => Want::Nan,
        _ if v.is_infinite() => Want::Bits(v.signum()),
        _ if v == 0.0 => Want::Eq(0.0),
        _ if v.abs() <= sub => Want::Near(v, 1e-3),
        _ => Want::Near(v.tanh(), rel),
    });
    check_map::<E>("gelu", Tensor::gelu, |v| match v {
        _ if v.is_nan() => Want::Nan,
        INF => Want::Bits(INF),
        // 0.5·x·(1 + tanh(…)) at −inf is −inf · 0: NaN, as the tanh formula gives in
        // PyTorch (`approximate="tanh"`); see the edge_values table.
        _ if v == -INF => Want::Nan,
        _ if v == 0.0 => Want::Eq(0.0),
        _ if v.abs() <= sub => Want::Near(v * 0.5, 1e-3),
        _ => Want::Near(
            0.5 * v * (1.0 + (0.797_884_560_802_865_4 * (v + 0.044_715 * v * v * v)).tanh()),
            rel * 10.0,
        ),
    });
}

#[test]
fn map_builtins_at_nan_inf_zero_and_subnormals_f32() {
    map_table::<f32>();
}

#[test]
fn map_builtins_at_nan_inf_zero_and_subnormals_f64() {
    map_table::<f64>();
}

type ZipOp<E> = fn(&Tensor<E>, &Tensor<E>) -> Result<Tensor<E>>;

/// Every pair of edge inputs through a zip op, both operands in each layout, against the
/// IEEE scalar operation `f` computed in the element type.
fn check_zip<E: SimdElement>(name: &str, op: ZipOp<E>, f: impl Fn(E, E) -> E) {
    let e = edges::<E>();
    let a: Vec<f64> = e.iter().flat_map(|&x| e.iter().map(move |_| x)).collect();
    let b: Vec<f64> = e.iter().flat_map(|_| e.iter().copied()).collect();
    for (la, ta) in layouts::<E>(&a) {
        for (lb, tb) in layouts::<E>(&b) {
            let y = op(&ta, &tb).unwrap().to_vec();
            for i in 0..a.len() {
                let (x, z) = (E::from_f64(a[i]), E::from_f64(b[i]));
                let w = f(x, z).to_f64();
                let want = if w.is_nan() { Want::Nan } else { Want::Bits(w) };
                assert!(
                    ok(y[i], want),
                    "{name}({:e}, {:e}) in {} {la}/{lb} = {:e}, want {w:e}",
                    a[i],
                    b[i],
                    E::NAME,
                    y[i].to_f64()
                );
            }
        }
    }
}

fn zip_table<E: SimdElement>() {
    check_zip::<E>("add", Tensor::add, |a, b| a + b);
    check_zip::<E>("sub", Tensor::sub, |a, b| a - b);
    check_zip::<E>("mul", Tensor::mul, |a, b| a * b);
    check_zip::<E>("div", Tensor::div, |a, b| a / b);
    let one = |c: bool| if c { E::ONE } else { E::ZERO };
    check_zip::<E>("lt", Tensor::lt, move |a, b| one(a < b));
    check_zip::<E>("gt", Tensor::gt, move |a, b| one(a > b));
    check_zip::<E>("eq", Tensor::eq, move |a, b| one(a == b));
}

#[test]
fn zip_builtins_follow_ieee_for_every_pair_of_edge_values_f32() {
    zip_table::<f32>();
}

#[test]
fn zip_builtins_follow_ieee_for_every_pair_of_edge_values_f64() {
    zip_table::<f64>();
}

/// `pow` against C's `pow` special cases (which PyTorch follows): checked on the finite
/// results within a relative error, on the special cases exactly.
fn pow_table<E: SimdElement>() {
    let e = {
        let mut e = edges::<E>();
        e.extend([-2.0, 3.0, 0.5, -0.5, -3.0]);
        e
    };
    let a: Vec<f64> = e.iter().flat_map(|&x| e.iter().map(move |_| x)).collect();
    let b: Vec<f64> = e.iter().flat_map(|_| e.iter().copied()).collect();
    let rel = if core::mem::size_of::<E>() == 4 {
        1e-6
    } else {
        1e-13
    };
    for (la, ta) in layouts::<E>(&a) {
        for (lb, tb) in layouts::<E>(&b) {
            let y = ta.pow(&tb).unwrap().to_vec();
            for i in 0..a.len() {
                let (x, z) = (E::from_f64(a[i]).to_f64(), E::from_f64(b[i]).to_f64());
                let w = E::from_f64(x.powf(z)).to_f64();
                let want = if w.is_nan() {
                    Want::Nan
                } else if w == 0.0 || w.is_infinite() || w.abs() == 1.0 || w.abs() < 1e-30 {
                    Want::Bits(w)
                } else {
                    Want::Near(w, rel)
                };
                assert!(
                    ok(y[i], want),
                    "pow({x:e}, {z:e}) in {} {la}/{lb} = {:e}, want {want:?}",
                    E::NAME,
                    y[i].to_f64()
                );
            }
        }
    }
}

#[test]
fn pow_follows_c_pow_special_cases_f32() {
    pow_table::<f32>();
}

#[test]
fn pow_follows_c_pow_special_cases_f64() {
    pow_table::<f64>();
}

/// A `[rows, n]` matrix holding `rows` in two layouts: contiguous, and the transpose of a
/// column-major copy (so reductions over dim 1 walk a strided dim).
fn matrices<E: SimdElement>(rows: &[Vec<f64>]) -> Vec<(&'static str, Tensor<E>)> {
    let (r, n) = (rows.len(), rows[0].len());
    let flat: Vec<E> = rows.iter().flatten().map(|&v| E::from_f64(v)).collect();
    let mut cm = vec![E::ZERO; r * n];
    for i in 0..r {
        for j in 0..n {
            cm[j * r + i] = flat[i * n + j];
        }
    }
    let t = Tensor::from_vec(cm, &[n, r])
        .unwrap()
        .transpose(0, 1)
        .unwrap();
    assert!(!t.is_contiguous());
    vec![
        ("contiguous", Tensor::from_vec(flat, &[r, n]).unwrap()),
        ("transposed", t),
    ]
}

/// A row of `n` values `fill`, with `specials` placed at the given positions (to cover the
/// SIMD body, the tail and the first element).
fn row(n: usize, fill: f64, specials: &[(usize, f64)]) -> Vec<f64> {
    let mut r = vec![fill; n];
    for &(i, v) in specials {
        r[i] = v;
    }
    r
}

fn reduction_table<E: SimdElement>() {
    let n = 37;
    let rows = vec![
        row(n, 1.0, &[(0, NAN)]),
        row(n, 1.0, &[(n - 1, NAN)]),
        row(n, 1.0, &[(17, INF)]),
        row(n, 1.0, &[(3, INF), (30, -INF)]),
        row(n, -INF, &[]),
        row(n, 0.0, &[(5, -0.0), (9, INF)]),
        row(n, 2.0, &[(20, subnormal::<E>())]),
        row(n, -0.0, &[]),
    ];
    let sub = subnormal::<E>();
    // (sum, max, min, prod) per row; mean is sum / n.
    let want = [
        (NAN, NAN, NAN, NAN),
        (NAN, NAN, NAN, NAN),
        (INF, INF, 1.0, INF),
        (NAN, INF, -INF, -INF),
        (-INF, -INF, -INF, if n % 2 == 1 { -INF } else { INF }),
        (INF, INF, 0.0, NAN), // 0 · inf
        (72.0 + sub, 2.0, sub, 2f64.powi(36) * sub),
        (-0.0, -0.0, -0.0, -0.0),
    ];
    for (layout, x) in matrices::<E>(&rows) {
        let got = |r: Result<Tensor<E>>| r.unwrap().to_vec();
        let (s, mx, mn, p, m) = (
            got(x.sum(1)),
            got(x.max(-1)),
            got(x.min(1)),
            got(x.prod(1)),
            got(x.mean(1)),
        );
        for (i, &(ws, wmx, wmn, wp)) in want.iter().enumerate() {
            let w = |v: f64| {
                if v.is_nan() {
                    Want::Nan
                } else if v.is_finite() && v != 0.0 && v.abs() > 1e-30 {
                    Want::Near(v, 1e-6)
                } else {
                    Want::Eq(v)
                }
            };
            let what = format!("row {i} {:?} in {} {layout}", &rows[i][..4], E::NAME);
            assert!(ok(s[i], w(ws)), "sum {what}: {:e}", s[i].to_f64());
            assert!(
                ok(m[i], w(ws / n as f64)),
                "mean {what}: {:e}",
                m[i].to_f64()
            );
            assert!(ok(mx[i], w(wmx)), "max {what}: {:e}", mx[i].to_f64());
            assert!(ok(mn[i], w(wmn)), "min {what}: {:e}", mn[i].to_f64());
            // The subnormal product underflows in f32.
            let wp = E::from_f64(wp).to_f64();
            assert!(ok(p[i], w(wp)), "prod {what}: {:e}", p[i].to_f64());
        }
        // The whole-tensor folds see the NaN rows.
        assert!(x.sum_all().unwrap().item().unwrap().to_f64().is_nan());
        assert!(x.max_all().unwrap().item().unwrap().to_f64().is_nan());
        assert!(x.min_all().unwrap().item().unwrap().to_f64().is_nan());
    }
    // Empty dims: the identities; mean of nothing is 0/0.
    let empty = Tensor::<E>::zeros(&[2, 0]).unwrap();
    let one = |r: Result<Tensor<E>>| r.unwrap().to_vec()[0].to_f64();
    assert_eq!(one(empty.sum(1)), 0.0);
    assert_eq!(one(empty.prod(1)), 1.0);
    assert_eq!(one(empty.max(1)), -INF);
    assert_eq!(one(empty.min(1)), INF);
    assert!(one(empty.mean(1)).is_nan());
    assert!(one(empty.mean_all()).is_nan());
}

#[test]
fn reductions_propagate_nan_and_follow_ieee_inf_arithmetic_f32() {
    reduction_table::<f32>();
}

#[test]
fn reductions_propagate_nan_and_follow_ieee_inf_arithmetic_f64() {
    reduction_table::<f64>();
}

fn softmax_table<E: SimdElement>() {
    let n = 19;
    let rows = vec![
        row(n, 0.0, &[(2, -INF)]),
        row(n, -INF, &[]),
        row(n, 0.0, &[(4, NAN)]),
        row(n, 0.0, &[(n - 1, INF)]),
        row(n, 1e30, &[(0, -1e30)]),
        row(n, 0.0, &[(1, -0.0), (7, subnormal::<E>())]),
    ];
    for (layout, x) in matrices::<E>(&rows) {
        let s = x.softmax(1).unwrap().to_vec();
        let l = x.log_softmax(-1).unwrap().to_vec();
        let at = |v: &[E], r: usize, c: usize| v[r * n + c].to_f64();
        let what = format!("{} {layout}", E::NAME);
        // A −inf entry gets exactly 0 (log: −inf); the rest share the mass.
        assert_eq!(at(&s, 0, 2), 0.0, "{what}");
        assert_eq!(at(&l, 0, 2), -INF, "{what}");
        let share = 1.0 / (n - 1) as f64;
        assert!((at(&s, 0, 0) - share).abs() < 1e-6, "{what}");
        // A row of only −inf: NaN everywhere (PyTorch: exp(−inf − (−inf)) = exp(NaN)).
        assert!(
            (0..n).all(|c| at(&s, 1, c).is_nan() && at(&l, 1, c).is_nan()),
            "{what}"
        );
        // NaN anywhere makes the whole row NaN.
        assert!(
            (0..n).all(|c| at(&s, 2, c).is_nan() && at(&l, 2, c).is_nan()),
            "{what}"
        );
        // +inf: the max is inf, inf − inf = NaN, so the row is NaN (as PyTorch).
        assert!((0..n).all(|c| at(&s, 3, c).is_nan()), "{what}");
        // Huge finite values: no overflow; the −1e30 entry underflows to 0.
        assert_eq!(at(&s, 4, 0), 0.0, "{what}");
        assert!((at(&s, 4, 1) - 1.0 / (n - 1) as f64).abs() < 1e-6, "{what}");
        assert!(at(&l, 4, 0).is_finite() && at(&l, 4, 0) < -1e29, "{what}");
        // ±0 and subnormals are plain zeros: a uniform row.
        assert!(
            (0..n).all(|c| (at(&s, 5, c) - 1.0 / n as f64).abs() < 1e-6),
            "{what}"
        );
    }
}

#[test]
fn softmax_and_log_softmax_edge_rows_follow_pytorch_f32() {
    softmax_table::<f32>();
}

#[test]
fn softmax_and_log_softmax_edge_rows_follow_pytorch_f64() {
    softmax_table::<f64>();
}

fn argmax_table<E: SimdElement>() {
    let n = 21;
    let rows = vec![
        row(n, 1.0, &[(3, NAN), (9, NAN), (12, 5.0)]),
        row(n, -INF, &[]),
        row(n, 0.0, &[(6, INF), (15, INF)]),
        row(n, -0.0, &[(4, 0.0)]),
        row(n, 0.0, &[(8, subnormal::<E>())]),
    ];
    for (layout, x) in matrices::<E>(&rows) {
        // NaN counts as the maximum (its first occurrence), as `torch.argmax`; ties and an
        // all −inf row give the first index; -0 and 0 tie.
        assert_eq!(
            x.argmax_indices(1).unwrap(),
            vec![3, 0, 6, 0, 8],
            "{} {layout}",
            E::NAME
        );
    }
    assert!(Tensor::<E>::zeros(&[2, 0])
        .unwrap()
        .argmax_indices(1)
        .is_err());
}

#[test]
fn argmax_of_nan_inf_and_tied_rows_f32() {
    argmax_table::<f32>();
}

#[test]
fn argmax_of_nan_inf_and_tied_rows_f64() {
    argmax_table::<f64>();
}

fn matmul_table<E: SimdElement>() {
    let k = 13;
    // lhs rows: a NaN, an inf meeting a zero of rhs, an inf meeting nonzeros, plain.
    let a = vec![
        row(k, 1.0, &[(5, NAN)]),
        row(k, 1.0, &[(0, INF)]),
        row(k, 1.0, &[(1, INF)]),
        row(k, 1.0, &[(2, subnormal::<E>())]),
    ];
    // rhs [k, 2]: column 0 has a zero in row 0, column 1 is all ones.
    let mut b = vec![vec![1.0, 1.0]; k];
    b[0][0] = 0.0;
    let want = [
        [NAN, NAN],
        [NAN, INF], // inf · 0 = NaN, as IEEE (and PyTorch)
        [INF, INF],
        [
            (k - 2) as f64 + subnormal::<E>(),
            (k - 1) as f64 + subnormal::<E>(),
        ],
    ];
    let bt = matrices::<E>(&b);
    for (la, ta) in matrices::<E>(&a) {
        for (lb, tb) in &bt {
            let y = ta.matmul(tb).unwrap().to_vec();
            for (i, wr) in want.iter().enumerate() {
                for (j, &w) in wr.iter().enumerate() {
                    let g = y[i * 2 + j];
                    let want = if w.is_nan() {
                        Want::Nan
                    } else {
                        Want::Near(w, 1e-6)
                    };
                    let want = if w.is_infinite() { Want::Bits(w) } else { want };
                    assert!(
                        ok(g, want),
                        "matmul [{i},{j}] in {} {la}/{lb}: {:e}, want {w:e}",
                        E::NAME,
                        g.to_f64()
                    );
                }
            }
        }
    }
    // k = 0: all zeros, even though there is nothing to multiply.
    let e = Tensor::<E>::zeros(&[3, 0]).unwrap();
    let f = Tensor::<E>::zeros(&[0, 2]).unwrap();
    assert_eq!(e.matmul(&f).unwrap().to_vec(), vec![E::ZERO; 6]);
}

#[test]
fn matmul_propagates_nan_and_inf_times_zero_is_nan_f32() {
    matmul_table::<f32>();
}

#[test]
fn matmul_propagates_nan_and_inf_times_zero_is_nan_f64() {
    matmul_table::<f64>();
}

/// A `(1, 1, h, w)` image, contiguous or as the transpose of a `(1, 1, w, h)` one.
fn images<E: SimdElement>(h: usize, w: usize, at: &[((usize, usize), f64)]) -> Vec<Tensor<E>> {
    let mut v = vec![1.0; h * w];
    for &((i, j), x) in at {
        v[i * w + j] = x;
    }
    let data: Vec<E> = v.iter().map(|&x| E::from_f64(x)).collect();
    let mut t = vec![E::ZERO; h * w];
    for i in 0..h {
        for j in 0..w {
            t[j * h + i] = data[i * w + j];
        }
    }
    let tr = Tensor::from_vec(t, &[1, 1, w, h])
        .unwrap()
        .transpose(2, 3)
        .unwrap();
    vec![Tensor::from_vec(data, &[1, 1, h, w]).unwrap(), tr]
}

fn conv_pool_table<E: SimdElement>() {
    for x in images::<E>(6, 6, &[((0, 0), NAN), ((3, 4), INF), ((5, 5), -INF)]) {
        // max pool: NaN propagates to its window only; inf wins its window.
        let m = x.max_pool2d([2, 2], [2, 2], [0, 0]).unwrap().to_vec();
        let m: Vec<f64> = m.iter().map(|v| v.to_f64()).collect();
        assert!(m[0].is_nan(), "{m:?}");
        assert_eq!(m[5], INF, "{m:?}");
        assert_eq!(m[8], 1.0, "{m:?}"); // -inf never wins against 1
        assert_eq!(m.iter().filter(|v| v.is_nan()).count(), 1, "{m:?}");
        // avg pool: NaN, inf, and -inf each poison only their window.
        let a = x.avg_pool2d([2, 2], [2, 2], [0, 0]).unwrap().to_vec();
        let a: Vec<f64> = a.iter().map(|v| v.to_f64()).collect();
        assert!(a[0].is_nan() && a[5] == INF && a[8] == -INF, "{a:?}");
        assert_eq!(a[1], 1.0);
        // conv: only the outputs whose window covers a NaN/inf are affected.
        let w = Tensor::<E>::ones(&[1, 1, 3, 3]).unwrap();
        let c = x
            .conv2d(&w, None, [ConvParams::anchored_start(3); 2])
            .unwrap()
            .to_vec();
        let c: Vec<f64> = c.iter().map(|v| v.to_f64()).collect();
        assert!(c[0].is_nan());
        assert_eq!(c[2 * 6 + 2], INF); // window rows 2..5, cols 2..5 holds (3,4)
        assert!(c[5 * 6 + 5] == -INF);
        assert_eq!(c[6 + 1], 9.0);
    }
    // Padding never wins a max window, even against −inf (PyTorch pads max pooling with −inf).
    for x in images::<E>(
        2,
        2,
        &[
            ((0, 0), -INF),
            ((0, 1), -INF),
            ((1, 0), -INF),
            ((1, 1), -INF),
        ],
    ) {
        let m = x.max_pool2d([2, 2], [1, 1], [1, 1]).unwrap().to_vec();
        assert!(m.iter().all(|v| v.to_f64() == -INF), "{:?}", m);
    }
}

#[test]
fn conv_and_pooling_confine_nan_and_inf_to_their_windows_f32() {
    conv_pool_table::<f32>();
}

#[test]
fn conv_and_pooling_confine_nan_and_inf_to_their_windows_f64() {
    conv_pool_table::<f64>();
}

fn loss_table<E: SimdElement>() {
    let logits =
        |v: &[f64]| Tensor::from_vec(v.iter().map(|&x| E::from_f64(x)).collect(), &[2, 3]).unwrap();
    let item = |t: Result<Tensor<E>>| t.unwrap().item().unwrap().to_f64();
    // A −inf logit of a class that is not the target costs nothing (as PyTorch).
    let x = logits(&[0.0, -INF, 0.0, 1.0, 1.0, -INF]);
    let ce = item(cross_entropy(&x, &[0, 1]));
    assert!((ce - 2f64.ln()).abs() < 1e-6, "{ce}");
    // On the target it is an infinite loss; a NaN logit makes the loss NaN.
    assert_eq!(item(cross_entropy(&x, &[1, 1])), INF);
    let n = logits(&[0.0, NAN, 0.0, 1.0, 1.0, 1.0]);
    assert!(item(cross_entropy(&n, &[0, 0])).is_nan());
    // BCE with logits is stable at huge logits: the right answer costs 0, the wrong one |x|.
    let big = Tensor::from_vec(vec![E::from_f64(1e30), E::from_f64(-1e30)], &[2]).unwrap();
    let right = Tensor::from_vec(vec![E::ONE, E::ZERO], &[2]).unwrap();
    let wrong = Tensor::from_vec(vec![E::ZERO, E::ONE], &[2]).unwrap();
    assert_eq!(item(bce_with_logits(&big, &right)), 0.0);
    let w = item(bce_with_logits(&big, &wrong));
    assert!((w - 1e30).abs() <= 1e24, "{w}");
    let nan = Tensor::from_vec(vec![E::from_f64(NAN), E::ZERO], &[2]).unwrap();
    assert!(item(bce_with_logits(&nan, &right)).is_nan());
    // The mean over an empty batch is NaN for all three (PyTorch), and backward still runs.
    let empty = Tensor::<E>::zeros(&[0, 3]).unwrap().requires_grad_(true);
    for loss in [nll_loss(&empty, &[]), cross_entropy(&empty, &[])] {
        let loss = loss.unwrap();
        assert!(loss.item().unwrap().to_f64().is_nan());
        loss.backward().unwrap();
        assert_eq!(empty.grad().unwrap().shape(), &[0, 3]);
        empty.zero_grad();
    }
    let none = Tensor::<E>::zeros(&[0]).unwrap();
    assert!(item(bce_with_logits(&none, &none)).is_nan());
}

#[test]
fn losses_at_infinite_and_nan_logits_f32() {
    loss_table::<f32>();
}

#[test]
fn losses_at_infinite_and_nan_logits_f64() {
    loss_table::<f64>();
}

/// `nll_loss` reads only each row's target (PyTorch): `-inf` elsewhere is free and gets a zero
/// gradient; `-inf` on the target costs `inf`.
#[test]
fn nll_loss_ignores_minus_infinity_outside_the_target() {
    let lp = Tensor::<f64>::from_vec(
        vec![-0.5, f64::NEG_INFINITY, f64::NEG_INFINITY, -2.0],
        &[2, 2],
    )
    .unwrap()
    .requires_grad_(true);
    let loss = nll_loss(&lp, &[0, 1]).unwrap();
    assert_eq!(loss.item().unwrap(), 1.25);
    loss.backward().unwrap();
    assert_eq!(lp.grad().unwrap().to_vec(), vec![-0.5, 0.0, 0.0, -0.5]);
    let on_target = nll_loss(&lp.detach(), &[1, 1]).unwrap().item().unwrap();
    assert_eq!(on_target, f64::INFINITY);
}

/// The bits of every element, widened to f64 (exact for f32, so `-0`, subnormals and NaN stay
/// distinguishable).
fn bits<E: SimdElement>(t: &Tensor<E>) -> Vec<u64> {
    t.to_vec().iter().map(|v| v.to_f64().to_bits()).collect()
}

fn views_table<E: SimdElement>() {
    let e = edges::<E>();
    let x = Tensor::<E>::from_vec(e.iter().map(|&v| E::from_f64(v)).collect(), &[2, 5]).unwrap();
    let want: Vec<u64> = e
        .iter()
        .map(|&v| E::from_f64(v).to_f64().to_bits())
        .collect();
    let at = |idx: &[usize]| -> Vec<u64> { idx.iter().map(|&i| want[i]).collect() };
    let t = x.transpose(0, 1).unwrap();
    assert_eq!(bits(&t), at(&[0, 5, 1, 6, 2, 7, 3, 8, 4, 9]), "{}", E::NAME);
    assert_eq!(bits(&t.contiguous().transpose(0, 1).unwrap()), want);
    assert_eq!(bits(&x.permute(&[1, 0]).unwrap()), bits(&t));
    assert_eq!(bits(&x.reshape(&[10]).unwrap()), want);
    assert_eq!(bits(&x.view(&[5, 2]).unwrap()), want);
    assert_eq!(bits(&x.narrow(1, 1, 3).unwrap()), at(&[1, 2, 3, 6, 7, 8]));
    assert_eq!(bits(&x.slice(1, .., 2).unwrap()), at(&[0, 2, 4, 5, 7, 9]));
    assert_eq!(bits(&x.select(0, 1).unwrap()), at(&[5, 6, 7, 8, 9]));
    let u = x.unsqueeze(0).unwrap();
    assert_eq!(bits(&u), want);
    assert_eq!(bits(&u.squeeze(0).unwrap()), want);
    let ex = x.select(0, 0).unwrap().unsqueeze(0).unwrap();
    let ex = ex.expand(&[2, 5]).unwrap();
    assert_eq!(bits(&ex), at(&[0, 1, 2, 3, 4, 0, 1, 2, 3, 4]));
    let st = x.as_strided(&[5], &[2], 0).unwrap();
    assert_eq!(bits(&st), at(&[0, 2, 4, 6, 8]));
    let tl = x.view(&[1, 1, 2, 5]).unwrap().tile(1, 5).unwrap();
    assert_eq!(bits(&tl), want);
}

#[test]
fn views_keep_edge_values_bit_for_bit_f32() {
    views_table::<f32>();
}

#[test]
fn views_keep_edge_values_bit_for_bit_f64() {
    views_table::<f64>();
}

type ScalarOp<E> = fn(&Tensor<E>, E) -> Result<Tensor<E>>;
/// A `_scalar` tensor op, its name and the IEEE scalar operation it must match.
type ScalarCase<E> = (&'static str, ScalarOp<E>, fn(E, E) -> E);

/// The `_scalar` forms against the IEEE scalar operation for every pair of edge values.
fn scalar_table<E: SimdElement>() {
    let values = repeated(&edges::<E>(), 3);
    let ops: [ScalarCase<E>; 4] = [
        ("add_scalar", Tensor::add_scalar, |a, b| a + b),
        ("sub_scalar", Tensor::sub_scalar, |a, b| a - b),
        ("mul_scalar", Tensor::mul_scalar, |a, b| a * b),
        ("div_scalar", Tensor::div_scalar, |a, b| a / b),
    ];
    for (name, op, f) in ops {
        for &s in &edges::<E>() {
            let s = E::from_f64(s);
            for (layout, x) in layouts::<E>(&values) {
                let y = op(&x, s).unwrap().to_vec();
                for (i, &v) in values.iter().enumerate() {
                    let w = f(E::from_f64(v), s).to_f64();
                    let want = if w.is_nan() { Want::Nan } else { Want::Bits(w) };
                    assert!(
                        ok(y[i], want),
                        "{name}({v:e}, {:e}) in {} {layout} = {:e}",
                        s.to_f64(),
                        E::NAME,
                        y[i].to_f64()
                    );
                }
            }
        }
    }
    // pow_scalar has the C special cases: x^0 = 1 for NaN too, 1^NaN = 1.
    let x = Tensor::<E>::from_vec(vec![E::from_f64(NAN), E::ONE, E::from_f64(-2.0)], &[3]).unwrap();
    let p = x.pow_scalar(E::ZERO).unwrap().to_vec();
    assert!(p.iter().all(|&v| v == E::ONE), "{}", E::NAME);
    let q = x.pow_scalar(E::from_f64(NAN)).unwrap().to_vec();
    assert!(q[0].to_f64().is_nan() && q[1] == E::ONE && q[2].to_f64().is_nan());
}

#[test]
fn scalar_forms_follow_ieee_f32() {
    scalar_table::<f32>();
}

#[test]
fn scalar_forms_follow_ieee_f64() {
    scalar_table::<f64>();
}

fn sum_to_shape_table<E: SimdElement>() {
    // Columns: a NaN, +inf and -inf, only +inf, plain.
    let n = 9;
    let mut v = vec![1.0; n * 4];
    v[4 * 3] = NAN;
    v[4 * 2 + 1] = INF;
    v[4 * 6 + 1] = -INF;
    for i in 0..n {
        v[4 * i + 2] = INF;
    }
    let x = Tensor::<E>::from_vec(v.iter().map(|&a| E::from_f64(a)).collect(), &[n, 4]).unwrap();
    for (layout, t) in [
        ("contiguous", x.clone()),
        ("transposed", x.transpose(0, 1).unwrap()),
    ] {
        let (r, c) = (t.shape()[0], t.shape()[1]);
        let (shape, g) = if r == n {
            (vec![1, 4], t.sum_to_shape(&[1, 4]).unwrap())
        } else {
            (vec![4, 1], t.sum_to_shape(&[4, 1]).unwrap())
        };
        assert_eq!(g.shape(), &shape[..], "{layout} {r}x{c}");
        let g: Vec<f64> = g.to_vec().iter().map(|a| a.to_f64()).collect();
        assert!(
            g[0].is_nan() && g[1].is_nan(),
            "{} {layout}: {g:?}",
            E::NAME
        );
        assert_eq!(g[2..], [INF, n as f64], "{} {layout}", E::NAME);
    }
}

#[test]
fn sum_to_shape_propagates_nan_and_inf_f32() {
    sum_to_shape_table::<f32>();
}

#[test]
fn sum_to_shape_propagates_nan_and_inf_f64() {
    sum_to_shape_table::<f64>();
}

fn conv1d_table<E: SimdElement>() {
    let w = 12;
    let mut v = vec![1.0; w];
    v[0] = NAN;
    v[6] = INF;
    v[11] = -INF;
    let data: Vec<E> = v.iter().map(|&a| E::from_f64(a)).collect();
    let x = Tensor::<E>::from_vec(data.clone(), &[1, 1, w]).unwrap();
    // The same input as a strided view: every second element of a wider buffer.
    let mut wide = vec![E::from_f64(7.0); 2 * w];
    for (i, &a) in data.iter().enumerate() {
        wide[2 * i] = a;
    }
    let xs = Tensor::<E>::from_vec(wide, &[1, 1, 2 * w])
        .unwrap()
        .slice(2, .., 2)
        .unwrap();
    let k = Tensor::<E>::ones(&[1, 1, 3]).unwrap();
    for (layout, x) in [("contiguous", x), ("stepped", xs)] {
        let c = x
            .conv1d(&k, None, ConvParams::anchored_start(3))
            .unwrap()
            .to_vec();
        let c: Vec<f64> = c.iter().map(|a| a.to_f64()).collect();
        // Output j sees inputs j..j+3 (zero padding past the end).
        assert!(c[0].is_nan(), "{} {layout}: {c:?}", E::NAME);
        assert_eq!(c[1..4], [3.0, 3.0, 3.0], "{} {layout}", E::NAME);
        assert!(c[4..7].iter().all(|&a| a == INF), "{c:?}");
        assert_eq!(c[7..9], [3.0, 3.0], "{} {layout}", E::NAME);
        assert!(c[9..].iter().all(|&a| a == -INF), "{c:?}");
    }
}

#[test]
fn conv1d_confines_nan_and_inf_to_its_windows_f32() {
    conv1d_table::<f32>();
}

#[test]
fn conv1d_confines_nan_and_inf_to_its_windows_f64() {
    conv1d_table::<f64>();
}

fn dropout_table<E: SimdElement>() {
    let values = repeated(&edges::<E>(), 20);
    let x = Tensor::<E>::from_vec(
        values.iter().map(|&v| E::from_f64(v)).collect(),
        &[values.len()],
    )
    .unwrap();
    // The mask of a seed, read off a tensor of ones: 0 where dropped, 1/(1-p) where kept.
    let mask = dropout(
        &Tensor::<E>::ones(x.shape()).unwrap(),
        0.5,
        true,
        &mut seeded_rng(3),
    )
    .unwrap()
    .to_vec();
    let y = dropout(&x, 0.5, true, &mut seeded_rng(3)).unwrap().to_vec();
    let (mut dropped_special, mut kept_special) = (0, 0);
    for (i, &v) in values.iter().enumerate() {
        let w = (E::from_f64(v) * mask[i]).to_f64();
        let want = if w.is_nan() { Want::Nan } else { Want::Bits(w) };
        assert!(ok(y[i], want), "dropout({v:e}) mask {:?}", mask[i].to_f64());
        if !v.is_finite() {
            if mask[i] == E::ZERO {
                // x · 0 for NaN and ±inf: NaN, as PyTorch's `x * mask`.
                assert!(y[i].to_f64().is_nan(), "dropped {v:e} in {}", E::NAME);
                dropped_special += 1;
            } else {
                kept_special += 1;
            }
        }
    }
    assert!(
        dropped_special > 0 && kept_special > 0,
        "the seed covers both cases"
    );
    // Not training, or p = 0: the input itself.
    let same = dropout(&x, 0.5, false, &mut seeded_rng(3)).unwrap();
    assert_eq!(bits(&same), bits(&x));
    assert_eq!(
        bits(&dropout(&x, 0.0, true, &mut seeded_rng(3)).unwrap()),
        bits(&x)
    );
    let mut layer = Dropout::new(0.5, 3).unwrap();
    layer.set_training(false);
    assert_eq!(bits(&layer.forward(&x).unwrap()), bits(&x));
}

#[test]
fn dropout_keeps_or_zeroes_by_multiplying_f32() {
    dropout_table::<f32>();
}

#[test]
fn dropout_keeps_or_zeroes_by_multiplying_f64() {
    dropout_table::<f64>();
}

/// Layers give exactly what the ops they wrap give, edge values included.
fn layers_table<E: SimdElement>() {
    let values = repeated(&edges::<E>(), 4);
    let x =
        Tensor::<E>::from_vec(values.iter().map(|&v| E::from_f64(v)).collect(), &[4, 10]).unwrap();
    let same = |name: &str, a: Result<Tensor<E>>, b: Result<Tensor<E>>| {
        assert_eq!(
            bits(&a.unwrap()),
            bits(&b.unwrap()),
            "{name} in {}",
            E::NAME
        );
    };
    same("ReLU", ReLU.forward(&x), x.relu());
    same("Sigmoid", Sigmoid.forward(&x), x.sigmoid());
    same("Tanh", Tanh.forward(&x), x.tanh());
    same("GELU", GELU.forward(&x), x.gelu());
    same("Softmax", Softmax::new(1).forward(&x), x.softmax(1));
    same(
        "LogSoftmax",
        LogSoftmax::new(-1).forward(&x),
        x.log_softmax(-1),
    );
    let img = x.view(&[1, 1, 4, 10]).unwrap();
    same(
        "MaxPool2d",
        MaxPool2d::new([2, 2]).forward(&img),
        img.max_pool2d([2, 2], [2, 2], [0, 0]),
    );
    same(
        "AvgPool2d",
        AvgPool2d::new([2, 2]).forward(&img),
        img.avg_pool2d([2, 2], [2, 2], [0, 0]),
    );
    let mut rng = seeded_rng(5);
    let c2 = Conv2d::<E>::new(1, 2, [2, 3], &mut rng).unwrap();
    same(
        "Conv2d",
        c2.forward(&img),
        img.conv2d(&c2.weight, c2.bias.as_ref(), c2.params),
    );
    let seq = x.view(&[1, 4, 10]).unwrap();
    let c1 = Conv1d::<E>::new(4, 3, 3, &mut rng).unwrap();
    same(
        "Conv1d",
        c1.forward(&seq),
        seq.conv1d(&c1.weight, c1.bias.as_ref(), c1.params),
    );
    // Linear: NaN and inf of a row reach only that row's outputs (the bias is finite).
    let w = Tensor::<E>::ones(&[3, 10]).unwrap();
    let lin = simdgrad::nn::Linear::from_parameters(w, Some(Tensor::zeros(&[3]).unwrap())).unwrap();
    let rows = matrices::<E>(&[
        row(10, 1.0, &[(4, NAN)]),
        row(10, 1.0, &[]),
        row(10, 1.0, &[(9, -INF)]),
    ]);
    for (layout, r) in rows {
        let y: Vec<f64> = lin
            .forward(&r)
            .unwrap()
            .to_vec()
            .iter()
            .map(|a| a.to_f64())
            .collect();
        assert!(y[..3].iter().all(|a| a.is_nan()), "{layout}: {y:?}");
        assert_eq!(y[3..6], [10.0; 3], "{layout}");
        assert!(y[6..].iter().all(|&a| a == -INF), "{layout}: {y:?}");
    }
}

#[test]
fn layers_match_their_ops_at_edge_values_f32() {
    layers_table::<f32>();
}

#[test]
fn layers_match_their_ops_at_edge_values_f64() {
    layers_table::<f64>();
}

/// A user kernel built on `powf`: the generated SIMD code overflows to `inf` exactly where
/// std's `powf` does.
#[simdgrad::map]
fn two_and_a_half_power(x: f32) -> f32 {
    x.powf(2.5)
}

/// `Tensor::pow` and a generated `powf` map kernel across the f32 overflow threshold
/// (`2.5·log2(x)` and `y·log2(x)` swept over `[127.9, 128.1]`) and to underflow, against std.
#[test]
fn pow_kernels_overflow_and_underflow_where_std_powf_does() {
    let n = 4001;
    // x^2.5 crosses f32::MAX at log2(x) = 51.2.
    let x: Vec<f32> = (0..n)
        .map(|i| 2f64.powf((127.9 + 0.2 * i as f64 / (n - 1) as f64) / 2.5) as f32)
        .collect();
    let t = Tensor::from_vec(x.clone(), &[n]).unwrap();
    let m = t.map(TwoAndAHalfPower).unwrap().to_vec();
    let y: Vec<f32> = (0..n)
        .map(|i| (127.9 + 0.2 * i as f64 / (n - 1) as f64) as f32)
        .collect();
    let two = Tensor::full(&[n], 2.0f32).unwrap();
    let half = Tensor::full(&[n], 0.5f32).unwrap();
    let yt = Tensor::from_vec(y.clone(), &[n]).unwrap();
    let p = two.pow(&yt).unwrap().to_vec();
    let q = half.pow(&yt.neg().unwrap()).unwrap().to_vec();
    // 2^-y for y in [148.9, 150.1] crosses the smallest subnormal and underflows to 0.
    let yu: Vec<f32> = (0..n)
        .map(|i| (-150.1 + 1.2 * i as f64 / (n - 1) as f64) as f32)
        .collect();
    let u = two
        .pow(&Tensor::from_vec(yu.clone(), &[n]).unwrap())
        .unwrap()
        .to_vec();
    let mut bad = Vec::new();
    for i in 0..n {
        for (what, got, want) in [
            ("map x^2.5", m[i], x[i].powf(2.5)),
            ("pow 2^y", p[i], 2f32.powf(y[i])),
            ("pow 0.5^-y", q[i], 0.5f32.powf(-y[i])),
            ("pow 2^-y", u[i], 2f32.powf(yu[i])),
        ] {
            let agree = if want.is_finite() && got.is_finite() {
                (got - want).abs() <= 2.0 * f32::EPSILON * want.abs() || got == want
            } else {
                got.to_bits() == want.to_bits()
            };
            // Near zero the spacing is the subnormal step: allow one step.
            let agree = agree || (want.abs() < f32::MIN_POSITIVE && (got - want).abs() <= 1.5e-45);
            if !agree {
                bad.push(format!("{what} at {i}: {got:e}, std {want:e}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad[..bad.len().min(20)].join("\n")
    );
}
