//! The slice drivers' variants against each other: streaming stores against ordinary ones and
//! the in-place backward against the out-of-place one, bit for bit, over every head and tail
//! length. Small sizes so that Miri (scalar backend) runs them too; one large case crosses the
//! public streaming threshold on the machine's real backend.

use super::*;
use crate::ops::builtins::{Add, Exp, Mul, Relu, Sigmoid, Sub};

fn data(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 * 8.0 - 4.0
        })
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Lengths around a few registers, at every misalignment of the output within a register.
fn cases() -> impl Iterator<Item = (usize, usize)> {
    let lens: &[usize] = if cfg!(miri) {
        &[0, 1, 17, 40]
    } else {
        &[0, 1, 7, 16, 17, 33, 64, 100]
    };
    let offs = if cfg!(miri) { 3 } else { 17 };
    lens.iter()
        .flat_map(move |&n| (0..offs).map(move |o| (n, o)))
}

fn map_forward<K: MapKernel>(k: K, x: &[f32], out: &mut [f32], stream: bool) {
    let _ = k;
    arch().dispatch(MapForward::<K, f32> {
        x,
        out,
        stream,
        _k: PhantomData,
    });
}

/// Runs `run(out, stream)` with streaming and with ordinary stores, each into its own buffer at
/// offset `off` (so the output starts at every misalignment), asserts the two agree bit for bit
/// (`case` names the case in the message) and returns the output.
fn streamed_and_plain(
    n: usize,
    off: usize,
    case: &str,
    mut run: impl FnMut(&mut [f32], bool),
) -> Vec<f32> {
    let mut outs = [vec![0.0f32; n + off], vec![0.0f32; n + off]];
    for (o, stream) in outs.iter_mut().zip([true, false]) {
        run(&mut o[off..], stream);
    }
    assert_eq!(
        bits(&outs[0]),
        bits(&outs[1]),
        "n {n}, offset {off}, {case}"
    );
    outs[0].split_off(off)
}

#[test]
fn streaming_map_forward_matches_ordinary_stores() {
    for (n, off) in cases() {
        let x = data(n, 1);
        let got = streamed_and_plain(n, off, "exp", |out, stream| {
            map_forward(Exp, &x, out, stream)
        });
        let want: Vec<f32> = x.iter().map(|&v| Exp::scalar(v)).collect();
        assert_eq!(got.len(), want.len());
    }
}

#[test]
fn streaming_map_backward_matches_ordinary_stores() {
    for (n, off) in cases() {
        let (x, g) = (data(n, 2), data(n, 3));
        let y: Vec<f32> = x.iter().map(|&v| Sigmoid::scalar(v)).collect();
        for with_y in [false, true] {
            streamed_and_plain(n, off, &format!("y {with_y}"), |out, stream| {
                arch().dispatch(MapBackward::<Sigmoid, f32> {
                    x: &x,
                    y: with_y.then_some(&y[..]),
                    g: &g,
                    out,
                    stream,
                    _k: PhantomData,
                })
            });
        }
    }
}

#[test]
fn streaming_zip_forward_matches_ordinary_stores_for_every_operand_kind() {
    for (n, off) in cases() {
        let (a, b) = (data(n, 4), data(n, 5));
        let kinds = [
            (Operand::Slice(&a[..]), Operand::Slice(&b[..])),
            (Operand::Slice(&a[..]), Operand::Scalar(0.5)),
            (Operand::Scalar(-1.5), Operand::Slice(&b[..])),
            (Operand::Scalar(2.0), Operand::Scalar(3.0)),
        ];
        for (kind, (oa, ob)) in kinds.into_iter().enumerate() {
            let got = streamed_and_plain(n, off, &format!("kind {kind}"), |out, stream| {
                arch().dispatch(ZipForward::<Sub, f32> {
                    a: oa,
                    b: ob,
                    out,
                    stream,
                    _k: PhantomData,
                })
            });
            let want: Vec<f32> = (0..n)
                .map(|i| {
                    let pick = |op: Operand<'_, f32>| match op {
                        Operand::Slice(v) => v[i],
                        Operand::Scalar(v) => v,
                    };
                    pick(oa) - pick(ob)
                })
                .collect();
            assert_eq!(bits(&got), bits(&want), "n {n}, kind {kind}");
        }
    }
}

#[test]
fn in_place_backward_matches_the_out_of_place_one() {
    for (n, off) in cases() {
        let (x, g) = (data(n, 6), data(n, 7));
        let y: Vec<f32> = x.iter().map(|&v| Exp::scalar(v)).collect();
        let mut want = vec![0.0f32; n];
        let mut got = vec![0.0f32; n + off];
        Relu.backward(&x, &g, &mut want).unwrap();
        got[off..].copy_from_slice(&g);
        Relu.backward_in_place(&x, &mut got[off..]).unwrap();
        assert_eq!(bits(&got[off..]), bits(&want), "relu n {n}, offset {off}");
        Exp.backward_with_output(&x, &y, &g, &mut want).unwrap();
        got[off..].copy_from_slice(&g);
        Exp.backward_with_output_in_place(&x, &y, &mut got[off..])
            .unwrap();
        assert_eq!(bits(&got[off..]), bits(&want), "exp n {n}, offset {off}");
    }
}

#[test]
fn in_place_backward_reports_length_mismatches() {
    let mut g = [1.0f32; 3];
    assert!(matches!(
        Relu.backward_in_place(&[1.0f32; 4], &mut g),
        Err(Error::LengthMismatch {
            expected: 4,
            got: 3,
            ..
        })
    ));
    assert!(Exp
        .backward_with_output_in_place(&[1.0f32; 3], &[1.0f32; 2], &mut g)
        .is_err());
}

/// A whole forward and backward above the streaming threshold, on the machine's own backend.
#[test]
#[cfg_attr(miri, ignore = "16 MiB buffers")]
fn outputs_above_the_streaming_threshold_are_exact() {
    let n = store::STREAM_MIN_BYTES / 4 + 37;
    let (a, b) = (data(n, 8), data(n, 9));
    let mut out = vec![0.0f32; n + 1];
    Mul.forward(&a, &b, &mut out[1..]).unwrap();
    assert!(out[1..]
        .iter()
        .zip(a.iter().zip(&b))
        .all(|(&o, (&a, &b))| o == a * b));
    Add.forward_rhs_scalar(&a, 1.0, &mut out[1..]).unwrap();
    assert!(out[1..].iter().zip(&a).all(|(&o, &a)| o == a + 1.0));
    Relu.forward(&a, &mut out[..n]).unwrap();
    assert!(out[..n].iter().zip(&a).all(|(&o, &a)| o == a.max(0.0)));
    Relu.backward(&a, &b, &mut out[1..]).unwrap();
    assert!(out[1..]
        .iter()
        .zip(a.iter().zip(&b))
        .all(|(&o, (&a, &g))| o == if a > 0.0 { g } else { 0.0 }));
}

#[test]
fn the_macro_streams_only_memory_bound_bodies() {
    const { assert!(Relu::STREAM_STORES && Add::STREAM_STORES && Mul::STREAM_STORES) };
    const { assert!(!Exp::STREAM_STORES && !Sigmoid::STREAM_STORES) };
}

/// Values for the fold-over-rows tests: random, with NaN (two payloads), ±0 and ±inf
/// sprinkled at a rate of about one in `every` (never, for `every == 0`).
fn sprinkled(n: usize, seed: u32, every: u32) -> Vec<f32> {
    let specials = [
        f32::NAN,
        f32::from_bits(0x7fc0_1234),
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(7);
    data(n, seed)
        .into_iter()
        .map(|v| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            match every {
                0 => v,
                e if (s >> 8).is_multiple_of(e) => specials[(s >> 4) as usize % specials.len()],
                _ => v,
            }
        })
        .collect()
}

/// Bits, every NaN as the canonical quiet NaN: which NaN operand's payload an IEEE operation
/// passes on is unspecified (LLVM commutes `fadd` operands), so only NaN-ness is compared.
fn canonical_bits(v: &[f32]) -> Vec<u32> {
    v.iter()
        .map(|x| {
            if x.is_nan() {
                f32::NAN.to_bits()
            } else {
                x.to_bits()
            }
        })
        .collect()
}

/// The previous fold over rows: one exact [`ReduceKernel::accumulate`] per row, in order.
fn rows_by_accumulate<K: ReduceKernel>(
    k: K,
    x: &[f32],
    stride: usize,
    rows: usize,
    n: usize,
) -> Vec<f32> {
    let mut acc = vec![K::identity::<f32>(); n];
    for r in 0..rows {
        k.accumulate(&mut acc, &x[r * stride..r * stride + n])
            .unwrap();
    }
    acc
}

/// `fold_rows` bit for bit against row-by-row accumulation, with the output placed at page
/// offsets that make the driver walk passes backwards or move its accumulators to the stack
/// (rows a page apart and not), for every fold pattern, short and odd rows, NaN / ±0 / inf.
#[test]
#[cfg_attr(miri, ignore = "inputs of hundreds of KiB")]
fn fold_rows_is_bit_identical_wherever_the_output_lies() {
    use crate::ops::builtins::{Max, Min, Prod, Sum};
    fn check<K: ReduceKernel>(k: K, name: &str) {
        // (stride, columns, rows): a page apart (1024 f32), not (1029, 1000), short rows.
        let shapes = [
            (1024, 1024, 70),
            (1024, 1021, 19),
            (1029, 1029, 33),
            (1000, 997, 67),
            (1024, 37, 5),
            (2100, 2100, 9),
        ];
        let mut buf = vec![0.0f32; 4096];
        for (si, &(stride, n, rows)) in shapes.iter().enumerate() {
            for every in [0, 9, 5000] {
                let x = sprinkled(stride * (rows - 1) + n, si as u32 * 31 + every, every);
                let want = canonical_bits(&rows_by_accumulate(k, &x, stride, rows, n));
                // The output `d` bytes ahead of the input modulo a page.
                for d in [0usize, 16, 64, 80, 336, 1024, 2048, 3760, 4016, 4080] {
                    let need = (x.as_ptr() as usize + d).wrapping_sub(buf.as_ptr() as usize);
                    let start = (need % 4096) / 4;
                    let out = &mut buf[start..start + n];
                    out.fill(7.0);
                    k.fold_rows(&x, stride, rows, out).unwrap();
                    assert_eq!(
                        canonical_bits(out),
                        want,
                        "{name} stride {stride} n {n} rows {rows} every {every} d {d}"
                    );
                }
            }
        }
    }
    check(Max, "max");
    check(Min, "min");
    check(Sum, "sum");
    check(Prod, "prod");
}

/// `ReduceKernel::fold_rows`' dispatch body on one backend: `(x, stride, rows, n)`; the output
/// starts as 7.0, which the fold must overwrite.
struct Rows<'a, K, E>(&'a [E], usize, usize, usize, PhantomData<K>);
impl<K: ReduceKernel, E: SimdElement> WithSimd for Rows<'_, K, E> {
    type Output = Vec<E>;
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) -> Vec<E> {
        let Rows(x, stride, rows, n, _) = self;
        let mut out = vec![E::from_f64(7.0); n];
        FoldRows::<K, E> {
            x,
            stride,
            rows,
            out: &mut out,
            cols: (FOLD_ROWS_BLOCK_BYTES / core::mem::size_of::<E>()).max(1),
            _k: PhantomData,
        }
        .with_simd(s);
        out
    }
}

/// Bits that compare NaN equal to NaN (any payload) and keep the sign of zero.
fn canon<E: SimdElement>(v: E) -> u64 {
    if v.is_nan() {
        u64::MAX
    } else {
        v.to_f64().to_bits()
    }
}

/// The fast max/min folds (`extreme.rs`: loose max on the chain, NaN watch beside it) against
/// the exact kernel fold, bit for bit, under every backend of the machine: a NaN at every
/// lane and register position, ±0 ties (results of either sign), infinities, and both
/// infinities together (a false NaN alarm that must still give the exact result).
#[test]
fn fast_extreme_folds_match_the_exact_fold_on_every_backend() {
    use crate::ops::builtins::{Max, Min};
    use crate::simd::on_each_backend;

    fn cases<E: SimdElement>(n: usize) -> Vec<Vec<E>> {
        let f = E::from_f64;
        let base: Vec<E> = (0..n).map(|i| f(((i * 37) % 23) as f64 - 11.5)).collect();
        let mut out = vec![base.clone()];
        for at in 0..n {
            let mut v = base.clone();
            v[at] = f(f64::NAN);
            out.push(v);
        }
        for (a, b) in [(0.0, -0.0), (-0.0, 0.0), (-0.0, -0.0), (0.0, 0.0)] {
            // Zeros as the extreme of every sign order, the rest strictly on the other side.
            out.push((0..n).map(|i| f(if i % 2 == 0 { a } else { b })).collect());
            out.push(
                (0..n)
                    .map(|i| f(if i == n / 2 { a } else { -1.0 }))
                    .collect(),
            );
            out.push(
                (0..n)
                    .map(|i| f(if i == n / 3 { b } else { 1.0 }))
                    .collect(),
            );
        }
        out.push(
            (0..n)
                .map(|i| f(if i == 0 { f64::INFINITY } else { 2.0 }))
                .collect(),
        );
        out.push(
            (0..n)
                .map(|i| f([f64::INFINITY, f64::NEG_INFINITY, 3.0][i % 3]))
                .collect(),
        );
        out.push(vec![f(f64::NEG_INFINITY); n]);
        out
    }

    struct One<'a, K, E>(&'a [E], PhantomData<K>);
    impl<K: ReduceKernel, E: SimdElement> WithSimd for One<'_, K, E> {
        type Output = E;
        #[inline(always)]
        fn with_simd<S: Simd>(self, s: S) -> E {
            Fold::<K, E> {
                x: self.0,
                _k: PhantomData,
            }
            .with_simd(s)
        }
    }

    fn check<K: ReduceKernel, E: SimdElement>(k: K) {
        // Miri runs the scalar backend only, a lane per register: one short row covers it (a
        // partial column block of 5 rows; the 9-wide row doubled the longest Miri test).
        let lens: &[usize] = if cfg!(miri) {
            &[5]
        } else {
            &[1, 5, 16, 31, 64, 70]
        };
        for &n in lens {
            for x in cases::<E>(n) {
                let want = x.iter().fold(K::identity::<E>(), |a, &v| K::scalar(a, v));
                for got in on_each_backend(|| One::<K, E>(&x, PhantomData)) {
                    assert_eq!(canon(got), canon(want), "{} fold {x:?}", K::NAME);
                }
                // The same values as a column block: `rows` rows of `cols` columns.
                for (rows, cols) in [(n, 1), (1, n), (5, n.div_ceil(5))] {
                    let x: Vec<E> = (0..rows * cols).map(|i| x[i % n]).collect();
                    let want: Vec<u64> = (0..cols)
                        .map(|c| {
                            (0..rows).fold(K::identity::<E>(), |a, r| K::scalar(a, x[r * cols + c]))
                        })
                        .map(canon)
                        .collect();
                    for got in on_each_backend(|| Rows::<K, E>(&x, cols, rows, cols, PhantomData)) {
                        let got: Vec<u64> = got.into_iter().map(canon).collect();
                        assert_eq!(got, want, "{} rows {rows} cols {cols} {x:?}", K::NAME);
                    }
                }
            }
        }
        let _ = k;
    }
    check::<Max, f32>(Max);
    check::<Min, f32>(Min);
    check::<Max, f64>(Max);
    check::<Min, f64>(Min);
}

/// The fast max/min over rows against row-by-row exact accumulation, bit for bit, at every
/// width 1..=67 and 1024 (partial registers, a single column, whole pages) and odd row counts
/// (the single-row passes after the four-row ones): a NaN at each row of a column, a column of
/// zeros of mixed signs (the extreme a zero: declined), ±inf as the extreme, and both
/// infinities in one column (the NaN watch's false alarm, which must still give the exact
/// result) beside ordinary columns.
#[test]
#[cfg_attr(miri, ignore = "thousands of folds")]
fn fast_fold_rows_match_the_exact_fold_at_every_width_and_odd_row_count() {
    use crate::ops::builtins::{Max, Min};
    fn column(c: usize, rows: usize, kind: usize) -> Vec<f32> {
        let base = |r: usize| ((r * 7 + c * 13) % 19) as f32 - 9.5;
        (0..rows)
            .map(|r| match kind {
                // A NaN at row `c % rows` of the column.
                1 if r == c % rows => f32::NAN,
                2 => [0.0, -0.0][(r + c) % 2],
                3 if r == (c + 1) % rows => f32::INFINITY,
                4 if r == c % rows => f32::NEG_INFINITY,
                5 if r == 0 => f32::INFINITY,
                5 if r == rows - 1 => f32::NEG_INFINITY,
                _ => base(r),
            })
            .collect()
    }
    fn check<K: ReduceKernel>(k: K) {
        let widths = (1..=67).chain([1024]);
        for n in widths {
            for rows in [1, 3, 5, 7, 9] {
                for kind in 0..=6 {
                    // Kind 6: every kind, column by column.
                    let cols: Vec<Vec<f32>> = (0..n)
                        .map(|c| column(c, rows, if kind == 6 { c % 6 } else { kind }))
                        .collect();
                    let x: Vec<f32> = (0..rows * n).map(|i| cols[i % n][i / n]).collect();
                    let want = canonical_bits(&rows_by_accumulate(k, &x, n, rows, n));
                    let mut got = vec![7.0f32; n];
                    k.fold_rows(&x, n, rows, &mut got).unwrap();
                    assert_eq!(
                        canonical_bits(&got),
                        want,
                        "{} n {n} rows {rows} kind {kind}",
                        K::NAME
                    );
                }
            }
        }
    }
    check(Max);
    check(Min);
}

/// `fold_rows` with the input starting at every element offset within a 64-byte register (the
/// rows all sharing that misalignment, as a `Vec` from the allocator often does), against the
/// scalar fold of each column in row order, bit for bit, under every backend of the machine:
/// max, min (the fast paths, `extreme.rs`) and sum, `f32` and `f64`, widths around a register
/// and a page (partial registers), odd row counts (single-row passes), blocks big enough for the
/// accumulators to move to the stack, a NaN at every row of some columns, ±0 ties (results of
/// either sign), ±inf as the extreme, a column of only `-inf`, and both infinities in one column
/// (the NaN watch's false alarm, which must still give the exact result).
#[test]
#[cfg_attr(miri, ignore = "thousands of folds")]
fn fold_rows_is_exact_at_every_input_alignment_on_every_backend() {
    use crate::ops::builtins::{Max, Min, Sum};
    use crate::simd::on_each_backend;

    /// Row `r` of column `c` for case `kind`.
    fn value(r: usize, c: usize, rows: usize, kind: usize) -> f64 {
        let base = ((r * 7 + c * 13) % 19) as f64 - 9.5;
        match (kind, c % 7) {
            (1, 0) if r == c % rows => f64::NAN,
            (2, 1) => [0.0, -0.0][(r + c) % 2],
            (2, 2) => [-0.0, 0.0][(r + c) % 2],
            (3, 3) if r == (c + 2) % rows => f64::INFINITY,
            (3, 4) if r == c % rows => f64::NEG_INFINITY,
            (4, 5) => f64::NEG_INFINITY,
            (4, 6) if r == 0 => f64::INFINITY,
            (4, 6) if r == rows - 1 => f64::NEG_INFINITY,
            _ => base,
        }
    }

    fn check<K: ReduceKernel, E: SimdElement>(k: K) {
        let lanes = 64 / core::mem::size_of::<E>();
        for &n in &[lanes - 1, lanes, lanes + 3, 2 * lanes, 3 * lanes + 5, 1024] {
            // A stride of whole registers, so that every row shares the first one's offset.
            let stride = n.next_multiple_of(lanes);
            // The last row count makes the block big enough for the accumulators to move to
            // the stack (narrow blocks) or, at 1024, may leave them in `out`.
            let last = if n < 100 { 320 } else { 17 };
            for rows in [1, 2, 5, 8, 11, last] {
                for kind in 0..=4 {
                    let mut buf = vec![E::ZERO; stride * rows + lanes];
                    for off in 0..lanes {
                        for r in 0..rows {
                            for c in 0..n {
                                buf[off + r * stride + c] = E::from_f64(value(r, c, rows, kind));
                            }
                        }
                        let x = &buf[off..off + stride * (rows - 1) + n];
                        let want: Vec<u64> = (0..n)
                            .map(|c| {
                                (0..rows).fold(K::identity::<E>(), |a, r| {
                                    K::scalar(a, x[r * stride + c])
                                })
                            })
                            .map(canon)
                            .collect();
                        for got in on_each_backend(|| Rows::<K, E>(x, stride, rows, n, PhantomData))
                        {
                            let got: Vec<u64> = got.into_iter().map(canon).collect();
                            assert_eq!(
                                got,
                                want,
                                "{} n {n} rows {rows} kind {kind} offset {off}",
                                K::NAME
                            );
                        }
                    }
                }
            }
        }
        let _ = k;
    }
    check::<Max, f32>(Max);
    check::<Min, f32>(Min);
    check::<Sum, f32>(Sum);
    check::<Max, f64>(Max);
    check::<Min, f64>(Min);
    check::<Sum, f64>(Sum);
}
