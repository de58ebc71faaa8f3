//! The slice drivers of `kernel.rs` against scalar references, bit for bit: the peeled aligned
//! head of map/zip (every start offset, every tail length 0..=67), the fast max/min folds
//! (which must decline wherever NaN or a signed zero could make them differ), and
//! `fold_rows`, the reduction over an outer dim (strict row order, column blocks).

use simdgrad::kernel::{MapKernel, ReduceKernel, ZipKernel};
use simdgrad::ops::builtins::{Add, Exp, Max, Min, Mul, Prod, Relu, Sum};

/// Deterministic values in [-4, 4), with the specials given at fixed positions.
fn data(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(12_345);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 * 8.0 - 4.0
        })
        .collect()
}

/// Equal bits, or both NaN.
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The sequential scalar fold, the reference of every fold here.
fn seq<K: ReduceKernel>(x: impl IntoIterator<Item = f32>) -> f32 {
    x.into_iter().fold(K::identity(), |a, v| K::scalar(a, v))
}

#[test]
fn maps_and_zips_match_their_scalar_twins_at_every_offset_and_tail() {
    // Offsets 0..16 (one 64-byte register of f32) put the output at every misalignment.
    let buf = data(16 + 67 + 64, 1);
    let other = data(16 + 67 + 64, 2);
    let mut out_buf = vec![0.0f32; 16 + 67 + 64];
    let mut out2_buf = vec![0.0f32; 16 + 67 + 64];
    for off in 0..16 {
        for n in 0..=67 {
            let x = &buf[off..off + n];
            let y = &other[off + 1..off + 1 + n];
            let out = &mut out_buf[off..off + n];
            // The reference of an approximated function: the same kernel on one lane.
            let lane = |f: &dyn Fn(usize, &mut [f32])| {
                let mut one = [0.0f32];
                f(0, &mut one);
                one[0]
            };
            Exp.forward(x, out).unwrap();
            for i in 0..n {
                let want = lane(&|_, o| Exp.forward(&x[i..=i], o).unwrap());
                assert!(same(out[i], want), "exp off {off} n {n} i {i}");
            }
            Exp.backward(x, y, out).unwrap();
            for i in 0..n {
                let want = lane(&|_, o| Exp.backward(&x[i..=i], &y[i..=i], o).unwrap());
                assert!(same(out[i], want), "exp' off {off} n {n} i {i}");
            }
            let ex: Vec<f32> = x.iter().map(|&v| Exp::scalar(v)).collect();
            Exp.backward_with_output(x, &ex, y, out).unwrap();
            for i in 0..n {
                let want = lane(&|_, o| {
                    Exp.backward_with_output(&x[i..=i], &ex[i..=i], &y[i..=i], o)
                        .unwrap()
                });
                assert!(same(out[i], want), "exp' with y, off {off} n {n} i {i}");
            }
            let mut inplace = x.to_vec();
            Relu.forward_in_place(&mut inplace);
            assert!(inplace
                .iter()
                .zip(x)
                .all(|(&o, &v)| same(o, Relu::scalar(v))));
            Mul.forward(x, y, out).unwrap();
            assert!(
                (0..n).all(|i| same(out[i], x[i] * y[i])),
                "mul off {off} n {n}"
            );
            Add.forward_rhs_scalar(x, 0.5, out).unwrap();
            assert!(
                (0..n).all(|i| same(out[i], x[i] + 0.5)),
                "add rhs off {off} n {n}"
            );
            Add.forward_lhs_scalar(0.25, y, out).unwrap();
            assert!(
                (0..n).all(|i| same(out[i], 0.25 + y[i])),
                "add lhs off {off} n {n}"
            );
            let g = &buf[..n];
            let out2 = &mut out2_buf[off + 3..off + 3 + n];
            Mul.backward(x, y, g, out, out2).unwrap();
            assert!((0..n).all(|i| same(out[i], g[i] * y[i]) && same(out2[i], g[i] * x[i])));
        }
    }
}

/// Inputs that exercise every decision of the fast extreme folds.
fn fold_cases(n: usize) -> Vec<(&'static str, Vec<f32>)> {
    let base = data(n, n as u32);
    let mut cases = vec![
        ("random", base.clone()),
        (
            "all negative",
            base.iter().map(|v| -v.abs() - 1.0).collect(),
        ),
        ("all positive", base.iter().map(|v| v.abs() + 1.0).collect()),
        (
            "+0 and -0",
            (0..n)
                .map(|i| if i % 3 == 0 { 0.0 } else { -0.0 })
                .collect(),
        ),
        ("-0 only", vec![-0.0; n]),
        (
            "zeros and negatives",
            (0..n)
                .map(|i| if i % 2 == 0 { -0.0 } else { -1.0 })
                .collect(),
        ),
    ];
    if n > 0 {
        for at in [0, n / 2, n - 1] {
            let mut v = base.clone();
            v[at] = f32::NAN;
            cases.push(("one NaN", v));
            let mut v = base.clone();
            v[at] = f32::INFINITY;
            v[(at + 1) % n] = f32::NEG_INFINITY;
            cases.push(("both infinities", v));
            let mut v: Vec<f32> = base.iter().map(|v| -v.abs()).collect();
            v[at] = 0.0;
            cases.push(("one +0 above negatives", v));
        }
    }
    cases
}

#[test]
fn max_and_min_folds_equal_the_sequential_fold_bit_for_bit() {
    for n in (0..=67).chain([255, 256, 1000, 4099]) {
        for (what, x) in fold_cases(n) {
            let (m, want) = (Max.fold(&x), seq::<Max>(x.iter().copied()));
            assert!(same(m, want), "max {what} n {n}: {m} vs {want}");
            let (m, want) = (Min.fold(&x), seq::<Min>(x.iter().copied()));
            assert!(same(m, want), "min {what} n {n}: {m} vs {want}");
        }
    }
}

#[test]
fn a_max_fold_of_positive_and_negative_zero_is_positive_zero_in_any_position() {
    for n in [2, 17, 64, 100] {
        for at in 0..n {
            let mut x = vec![-0.0f32; n];
            x[at] = 0.0;
            assert_eq!(Max.fold(&x).to_bits(), 0.0f32.to_bits(), "n {n} at {at}");
            // Min is -0 as soon as a -0 takes part.
            assert_eq!(Min.fold(&x).to_bits(), (-0.0f32).to_bits(), "n {n} at {at}");
        }
    }
}

/// `fold_rows` against `rows` sequential column folds, bit for bit (also for sum and prod,
/// whose rounding depends on the order).
fn check_fold_rows<K: ReduceKernel>(k: K, name: &str) {
    for cols in (0..=67).chain([2048, 2100]) {
        for rows in [0, 1, 3, 4, 5, 9] {
            let stride = cols + 5;
            for (what, x) in fold_cases(rows.max(1) * stride) {
                let x = if rows == 0 { Vec::new() } else { x };
                let mut out = vec![7.0f32; cols];
                k.fold_rows(&x, stride, rows, &mut out).unwrap();
                for (c, &o) in out.iter().enumerate() {
                    let want = seq::<K>((0..rows).map(|r| x[r * stride + c]));
                    assert!(
                        same(o, want),
                        "{name} {what} cols {cols} rows {rows} col {c}: {o} vs {want}"
                    );
                }
            }
        }
    }
}

#[test]
fn fold_rows_equals_sequential_column_folds_for_every_pattern() {
    check_fold_rows(Max, "max");
    check_fold_rows(Min, "min");
    check_fold_rows(Sum, "sum");
    check_fold_rows(Prod, "prod");
}

#[test]
fn fold_rows_rejects_too_short_an_input() {
    let mut out = [0.0f32; 4];
    let err = Sum.fold_rows(&[1.0; 10], 4, 3, &mut out).unwrap_err();
    assert!(matches!(
        err,
        simdgrad::Error::LengthMismatch {
            expected: 12,
            got: 10,
            ..
        }
    ));
    assert!(Sum.fold_rows(&[], 4, 0, &mut out).is_ok());
    assert_eq!(out, [0.0; 4]);
}
