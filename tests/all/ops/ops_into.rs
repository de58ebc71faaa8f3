//! The allocation-free variants: `_into` (write into a given tensor of any layout) and in-place
//! (`map_`, `zip_`), their shape checks, and aliasing of output and input.

use super::ops_util::{make, normal, rng, values, Kind};
use simdgrad::ops::builtins::{Add, Exp, Mul, Relu, Sub, Sum};
use simdgrad::{Error, Tensor};

#[test]
fn map_into_writes_any_output_layout() {
    let mut r = rng(31);
    let x = make::<f32>(&[6, 7], Kind::Permuted, &mut r, &mut normal);
    let want = x.exp().unwrap().to_vec();
    // Contiguous, transposed (dense) and narrowed (not dense) outputs.
    let mut a = Tensor::<f32>::zeros(&[6, 7]).unwrap();
    x.map_into(Exp, &mut a).unwrap();
    assert_eq!(a.to_vec(), want);
    let mut t = Tensor::<f32>::zeros(&[7, 6])
        .unwrap()
        .transpose(0, 1)
        .unwrap();
    x.map_into(Exp, &mut t).unwrap();
    assert_eq!(t.to_vec(), want);
    let big = Tensor::<f32>::zeros(&[6, 9]).unwrap();
    let mut n = big.narrow(1, 1, 7).unwrap();
    x.map_into(Exp, &mut n).unwrap();
    assert_eq!(n.to_vec(), want);
    // Columns outside the window are untouched.
    assert_eq!(big.get(&[3, 0]).unwrap(), 0.0);
    assert_eq!(big.get(&[3, 8]).unwrap(), 0.0);
}

#[test]
fn into_variants_check_the_output_shape() {
    let x = Tensor::<f32>::zeros(&[2, 3]).unwrap();
    let mut wrong = Tensor::<f32>::zeros(&[3, 2]).unwrap();
    assert_eq!(
        x.map_into(Exp, &mut wrong).unwrap_err(),
        Error::ShapeMismatch {
            op: "exp",
            lhs: vec![2, 3],
            rhs: vec![3, 2]
        }
    );
    assert!(matches!(
        x.zip_into(&x, Add, &mut wrong),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        x.reduce_into(Sum, 0, &mut wrong),
        Err(Error::ShapeMismatch { .. })
    ));
    // A broadcast view cannot be written elementwise.
    let mut b = Tensor::<f32>::zeros(&[3])
        .unwrap()
        .broadcast_to(&[2, 3])
        .unwrap();
    assert!(matches!(
        x.map_into(Exp, &mut b),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn zip_and_reduce_into_match_the_allocating_forms() {
    let mut r = rng(32);
    let a = make::<f64>(&[5, 40], Kind::Narrowed, &mut r, &mut normal);
    let b = make::<f64>(&[40], Kind::Contiguous, &mut r, &mut normal);
    let mut out = Tensor::<f64>::zeros(&[5, 40]).unwrap();
    a.zip_into(&b, Mul, &mut out).unwrap();
    assert_eq!(out.to_vec(), a.mul(&b).unwrap().to_vec());
    let mut s = Tensor::<f64>::zeros(&[1, 40]).unwrap();
    a.reduce_into(Sum, 0, &mut s).unwrap();
    assert_eq!(s.to_vec(), a.sum(0).unwrap().to_vec());
}

#[test]
fn an_output_that_aliases_an_input_sees_the_inputs_as_before_the_call() {
    let x = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    let mut t = x.transpose(0, 1).unwrap();
    // out = x + xᵀ written into xᵀ (same storage as x).
    x.zip_into(&x.transpose(0, 1).unwrap(), Add, &mut t)
        .unwrap();
    assert_eq!(x.to_vec(), vec![2.0, 5.0, 5.0, 8.0]);
}

#[test]
fn in_place_map_and_zip_update_the_storage() {
    let mut r = rng(33);
    let x = make::<f32>(&[9, 33], Kind::Contiguous, &mut r, &mut normal);
    let before = values(&x);
    x.map_(Relu).unwrap();
    assert_eq!(
        values(&x),
        before.iter().map(|v| v.max(0.0)).collect::<Vec<_>>()
    );
    // A permuted (dense) tensor and a narrowed (not dense) one.
    let p = make::<f32>(&[4, 5, 6], Kind::Permuted, &mut r, &mut normal);
    let want = p.exp().unwrap().to_vec();
    p.map_(Exp).unwrap();
    assert_eq!(p.to_vec(), want);
    let n = make::<f32>(&[4, 6], Kind::Narrowed, &mut r, &mut normal);
    let want = n.exp().unwrap().to_vec();
    n.map_(Exp).unwrap();
    assert_eq!(n.to_vec(), want);
    // w -= g with g broadcast along rows, and with a strided g.
    let w = make::<f32>(&[6, 50], Kind::Permuted, &mut r, &mut normal);
    let g = make::<f32>(&[50], Kind::Stepped, &mut r, &mut normal);
    let want = w.sub(&g).unwrap().to_vec();
    w.zip_(&g, Sub).unwrap();
    assert_eq!(w.to_vec(), want);
    // self op self.
    let s = Tensor::<f32>::from_vec(vec![1.0, 2.0], &[2]).unwrap();
    s.zip_(&s, Mul).unwrap();
    assert_eq!(s.to_vec(), vec![1.0, 4.0]);
    assert!(matches!(
        s.zip_(&Tensor::zeros(&[3]).unwrap(), Add),
        Err(Error::Broadcast { .. })
    ));
}
