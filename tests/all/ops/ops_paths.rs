//! The execution paths of map, zip and reduce (contiguous, blocks, general index walk) give
//! bit-identical results, and so do 1, 2 and 3 threads: each path and thread count is forced
//! through the hidden `*_exec` knobs and compared.

use super::ops_util::{bits, make, normal, random_shape, rng, threads, Kind, KINDS};
use simdgrad::ops::builtins::{Add, Exp, Gelu, Max, Mul, Neg, Pow, Prod, Sum};
use simdgrad::ops::{Exec, Path};
use simdgrad::simd::SimdElement;
use simdgrad::Tensor;

const PATHS: [Path; 4] = [Path::Auto, Path::Contiguous, Path::Blocks, Path::General];

fn exec(path: Path, n: usize) -> Exec {
    Exec {
        path,
        parallelism: Some(threads(n)),
    }
}

/// Every (path, thread count) combination gives the bits of (Auto, 1 thread).
fn all_agree<E: SimdElement>(what: &str, f: impl Fn(Exec) -> Tensor<E>) {
    let reference = f(exec(Path::Auto, 1));
    let want = bits(&reference);
    for path in PATHS {
        for n in [1, 2, 3] {
            let got = f(exec(path, n));
            assert_eq!(
                got.shape(),
                reference.shape(),
                "{what} {path:?} {n} threads"
            );
            assert_eq!(bits(&got), want, "{what} {path:?} {n} threads");
        }
    }
}

/// Shapes big enough for several thread tasks, plus random small ones.
fn shapes() -> Vec<Vec<usize>> {
    let mut r = rng(11);
    let mut out = vec![
        vec![37, 129],
        vec![3, 40, 33],
        vec![700],
        vec![64, 1, 50],
        vec![2, 0, 5],
        vec![],
        vec![1, 1],
    ];
    out.extend((0..12).map(|_| random_shape(&mut r)));
    out
}

fn check_maps<E: SimdElement>() {
    let mut r = rng(12);
    for shape in shapes() {
        for kind in KINDS {
            let x = make::<E>(&shape, kind, &mut r, &mut normal);
            let what = format!("{} {shape:?} {kind:?}", E::DTYPE);
            all_agree(&format!("exp {what}"), |e| x.map_exec(Exp, e).unwrap());
            all_agree(&format!("gelu {what}"), |e| x.map_exec(Gelu, e).unwrap());
            all_agree(&format!("neg {what}"), |e| x.map_exec(Neg, e).unwrap());
        }
    }
}

#[test]
fn map_paths_and_thread_counts_agree_bitwise() {
    check_maps::<f32>();
    check_maps::<f64>();
}

fn check_zips<E: SimdElement>() {
    let mut r = rng(13);
    for shape in shapes() {
        // The right operand: the same shape, its last dims, or a column (size-1 last dim).
        let mut partners = vec![shape.clone()];
        if shape.len() >= 2 {
            partners.push(shape[1..].to_vec());
            let mut col = shape.clone();
            *col.last_mut().unwrap() = 1;
            partners.push(col);
        }
        for other in partners {
            for (ka, kb) in [
                (Kind::Contiguous, Kind::Contiguous),
                (Kind::Permuted, Kind::Permuted),
                (Kind::Permuted, Kind::Contiguous),
                (Kind::Narrowed, Kind::Stepped),
                (Kind::Broadcast, Kind::Narrowed),
            ] {
                let a = make::<E>(&shape, ka, &mut r, &mut normal);
                let b = make::<E>(&other, kb, &mut r, &mut normal);
                let what = format!("{} {shape:?}:{ka:?} with {other:?}:{kb:?}", E::DTYPE);
                all_agree(&format!("add {what}"), |e| a.zip_exec(&b, Add, e).unwrap());
                all_agree(&format!("mul {what}"), |e| b.zip_exec(&a, Mul, e).unwrap());
                all_agree(&format!("pow {what}"), |e| a.zip_exec(&b, Pow, e).unwrap());
            }
        }
    }
}

#[test]
fn zip_paths_and_thread_counts_agree_bitwise_with_broadcasting() {
    check_zips::<f32>();
    check_zips::<f64>();
}

fn check_reductions<E: SimdElement>() {
    let mut r = rng(14);
    for shape in shapes() {
        for kind in KINDS {
            let x = make::<E>(&shape, kind, &mut r, &mut normal);
            let what = format!("{} {shape:?} {kind:?}", E::DTYPE);
            for d in 0..shape.len() as isize {
                all_agree(&format!("sum dim {d} {what}"), |e| {
                    x.reduce_exec(Sum, d, e).unwrap()
                });
                all_agree(&format!("max dim {d} {what}"), |e| {
                    x.reduce_exec(Max, d, e).unwrap()
                });
                all_agree(&format!("prod dim {d} {what}"), |e| {
                    x.reduce_exec(Prod, d, e).unwrap()
                });
            }
            all_agree(&format!("sum_all {what}"), |e| {
                x.reduce_all_exec(Sum, e).unwrap()
            });
            all_agree(&format!("max_all {what}"), |e| {
                x.reduce_all_exec(Max, e).unwrap()
            });
        }
    }
}

#[test]
fn reduction_paths_and_thread_counts_agree_bitwise() {
    check_reductions::<f32>();
    check_reductions::<f64>();
}

#[test]
fn large_reductions_are_thread_count_independent() {
    // Big enough for several fixed chunks of reduce_all and many column batches.
    let mut r = rng(15);
    let x = make::<f32>(&[300, 257], Kind::Contiguous, &mut r, &mut normal);
    let t = x.transpose(0, 1).unwrap();
    for input in [&x, &t] {
        all_agree("sum_all", |e| input.reduce_all_exec(Sum, e).unwrap());
        all_agree("sum 0", |e| input.reduce_exec(Sum, 0, e).unwrap());
        all_agree("sum 1", |e| input.reduce_exec(Sum, 1, e).unwrap());
    }
}
