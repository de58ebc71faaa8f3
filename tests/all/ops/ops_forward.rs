//! Every built-in op against a scalar f64 reference, on random shapes (size-0 and size-1 dims
//! included) in every layout (contiguous, permuted, narrowed, strided, broadcast), in f32 and
//! f64: exact for the correctly rounded ops, within the stated ulps for the math functions.

use super::ops_util::{make, normal, positive, random_shape, rng, ulps, values, KINDS};
use rand::rngs::StdRng;
use rand::Rng;
use simdgrad::simd::SimdElement;
use simdgrad::Tensor;

type MapOp<E> = fn(&Tensor<E>) -> simdgrad::Result<Tensor<E>>;
type ZipOp<E> = fn(&Tensor<E>, &Tensor<E>) -> simdgrad::Result<Tensor<E>>;

fn gelu_ref(x: f64) -> f64 {
    0.5 * x * (1.0 + (0.797_884_560_802_865_4 * (x + 0.044_715 * x * x * x)).tanh())
}

fn sigmoid_ref(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// (name, op, reference, input generator, allowed ulps, absolute slack).
#[allow(clippy::type_complexity)]
fn map_cases<E: SimdElement>() -> Vec<(
    &'static str,
    MapOp<E>,
    fn(f64) -> f64,
    fn(&mut StdRng) -> f64,
    f64,
    f64,
)> {
    vec![
        ("neg", Tensor::neg, |x| -x, normal, 0.0, 0.0),
        ("abs", Tensor::abs, f64::abs, normal, 0.0, 0.0),
        ("relu", Tensor::relu, |x| x.max(0.0), normal, 0.0, 0.0),
        ("sqrt", Tensor::sqrt, f64::sqrt, positive, 0.0, 0.0),
        ("exp", Tensor::exp, f64::exp, normal, 2.0, 0.0),
        ("ln", Tensor::ln, f64::ln, positive, 2.0, 0.0),
        ("tanh", Tensor::tanh, f64::tanh, normal, 2.0, 0.0),
        ("sigmoid", Tensor::sigmoid, sigmoid_ref, normal, 2.0, 0.0),
        // gelu is a composition evaluated in E: ulps of its parts plus rounding of the
        // polynomial, amplified where 1 + tanh(..) cancels.
        ("gelu", Tensor::gelu, gelu_ref, normal, 8.0, 4.0),
    ]
}

/// Checks `got` against `want` elementwise: within `max_ulps`, or within `abs_eps` machine
/// epsilons absolutely.
fn assert_close<E: SimdElement>(
    what: &str,
    got: &[f64],
    want: &[f64],
    max_ulps: f64,
    abs_eps: f64,
) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let eps = E::EPSILON.to_f64();
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let u = ulps::<E>(g, w);
        let abs_ok = (g - w).abs() <= abs_eps * eps;
        assert!(
            u <= max_ulps || abs_ok,
            "{what}: element {i}: got {g:e}, want {w:e} ({u} ulps)"
        );
    }
}

fn check_maps<E: SimdElement>(seed: u64) {
    let mut r = rng(seed);
    for (name, op, reference, gen, max_ulps, abs_eps) in map_cases::<E>() {
        for trial in 0..40 {
            let shape = random_shape(&mut r);
            let kind = KINDS[trial % KINDS.len()];
            let mut gen = gen;
            let x = make::<E>(&shape, kind, &mut r, &mut gen);
            let y = op(&x).unwrap();
            assert_eq!(y.shape(), &shape[..], "{name}");
            // The reference sees the input as rounded to E, so only the op's error counts.
            let want: Vec<f64> = values(&x)
                .into_iter()
                .map(|v| E::from_f64(reference(v)).to_f64())
                .collect();
            let what = format!("{name} {} {shape:?} {kind:?}", E::DTYPE);
            // In f64 the reference itself (libm, or a formula evaluated in f64) carries up to
            // about 2 ulps of error.
            let slack = if E::SIZE == 8 && max_ulps > 0.0 {
                2.0
            } else {
                0.0
            };
            assert_close::<E>(&what, &values(&y), &want, max_ulps + 0.5 + slack, abs_eps);
        }
    }
}

#[test]
fn maps_match_the_f64_reference_in_f32() {
    check_maps::<f32>(1);
}

#[test]
fn maps_match_the_f64_reference_in_f64() {
    check_maps::<f64>(2);
}

/// A shape that broadcasts with `shape`: some dims set to 1, some leading dims dropped.
fn broadcast_partner(shape: &[usize], r: &mut StdRng) -> Vec<usize> {
    let mut s: Vec<usize> = shape
        .iter()
        .map(|&n| if r.gen_bool(0.3) { 1 } else { n })
        .collect();
    let drop = r.gen_range(0..=s.len());
    s.drain(..drop);
    s
}

fn check_zips<E: SimdElement>(seed: u64) {
    let mut r = rng(seed);
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, ZipOp<E>, fn(f64, f64) -> f64, f64)> = vec![
        ("add", Tensor::add, |a, b| a + b, 0.0),
        ("sub", Tensor::sub, |a, b| a - b, 0.0),
        ("mul", Tensor::mul, |a, b| a * b, 0.0),
        ("div", Tensor::div, |a, b| a / b, 0.0),
        ("pow", Tensor::pow, f64::powf, 2.0),
        ("lt", Tensor::lt, |a, b| f64::from(u8::from(a < b)), 0.0),
        ("gt", Tensor::gt, |a, b| f64::from(u8::from(a > b)), 0.0),
        ("eq", Tensor::eq, |a, b| f64::from(u8::from(a == b)), 0.0),
    ];
    for (name, op, reference, max_ulps) in cases {
        for trial in 0..40 {
            let shape = random_shape(&mut r);
            let other = broadcast_partner(&shape, &mut r);
            let (sa, sb) = if trial % 2 == 0 {
                (shape.clone(), other)
            } else {
                (other, shape.clone())
            };
            let ka = KINDS[trial % KINDS.len()];
            let kb = KINDS[(trial / 2 + 1) % KINDS.len()];
            // pow: a positive base and a moderate exponent keep the result finite.
            let mut ga: fn(&mut StdRng) -> f64 = if name == "pow" { positive } else { normal };
            let mut gb: fn(&mut StdRng) -> f64 = normal;
            let a = make::<E>(&sa, ka, &mut r, &mut ga);
            let b = make::<E>(&sb, kb, &mut r, &mut gb);
            // Make equal elements likely for `eq`.
            let b = if name == "eq" && trial % 3 == 0 && sa == sb {
                a.contiguous()
            } else {
                b
            };
            let c = op(&a, &b).unwrap();
            let av = a.broadcast_to(c.shape()).unwrap();
            let bv = b.broadcast_to(c.shape()).unwrap();
            let want: Vec<f64> = values(&av)
                .into_iter()
                .zip(values(&bv))
                .map(|(x, y)| E::from_f64(reference(x, y)).to_f64())
                .collect();
            let what = format!("{name} {} {sa:?}:{ka:?} with {sb:?}:{kb:?}", E::DTYPE);
            let slack = if E::SIZE == 8 && max_ulps > 0.0 {
                2.0
            } else {
                0.0
            };
            assert_close::<E>(&what, &values(&c), &want, max_ulps + 0.5 + slack, 0.0);
        }
    }
}

#[test]
fn zips_match_the_f64_reference_with_broadcasting_in_f32() {
    check_zips::<f32>(3);
}

#[test]
fn zips_match_the_f64_reference_with_broadcasting_in_f64() {
    check_zips::<f64>(4);
}

#[test]
fn zip_of_incompatible_shapes_names_the_op_and_both_shapes() {
    let a = Tensor::<f32>::zeros(&[5, 2]).unwrap();
    let b = Tensor::<f32>::zeros(&[5]).unwrap();
    let err = a.add(&b).unwrap_err();
    assert_eq!(
        err,
        simdgrad::Error::Broadcast {
            op: "add",
            lhs: vec![5, 2],
            rhs: vec![5]
        }
    );
    assert!(err.to_string().contains("[5, 2]") && err.to_string().contains("[5]"));
}

#[test]
fn broadcasting_follows_the_minitorch_table() {
    let z = |s: &[usize]| Tensor::<f64>::zeros(s).unwrap();
    let ok = [
        (vec![1], vec![5, 5], vec![5, 5]),
        (vec![1, 5, 5], vec![5, 5], vec![1, 5, 5]),
        (vec![5, 1, 5, 1], vec![1, 5, 1, 5], vec![5, 5, 5, 5]),
        (vec![2, 5], vec![5], vec![2, 5]),
    ];
    for (a, b, want) in ok {
        assert_eq!(
            z(&a).add(&z(&b)).unwrap().shape(),
            &want[..],
            "{a:?} + {b:?}"
        );
        assert_eq!(
            z(&b).mul(&z(&a)).unwrap().shape(),
            &want[..],
            "{b:?} * {a:?}"
        );
    }
    assert!(z(&[5, 7, 5, 1]).add(&z(&[1, 5, 1, 5])).is_err());
    assert!(z(&[5, 2]).add(&z(&[5])).is_err());
}

#[test]
fn scalar_operands_and_operators_agree_with_the_methods() {
    let a = Tensor::<f32>::from_vec(vec![1.0, -2.0, 4.0], &[3]).unwrap();
    let b = Tensor::<f32>::from_vec(vec![2.0, 8.0, -1.0], &[3]).unwrap();
    assert_eq!((&a + &b).to_vec(), a.add(&b).unwrap().to_vec());
    assert_eq!((&a - &b).to_vec(), vec![-1.0, -10.0, 5.0]);
    assert_eq!((a.clone() * b.clone()).to_vec(), vec![2.0, -16.0, -4.0]);
    assert_eq!((&a / 2.0).to_vec(), vec![0.5, -1.0, 2.0]);
    assert_eq!((8.0 / &b).to_vec(), vec![4.0, 1.0, -8.0]);
    assert_eq!((2.0 - a.clone()).to_vec(), vec![1.0, 4.0, -2.0]);
    assert_eq!((-a.clone()).to_vec(), vec![-1.0, 2.0, -4.0]);
    assert_eq!(a.pow_scalar(2.0).unwrap().to_vec(), vec![1.0, 4.0, 16.0]);
    assert_eq!(a.mul_scalar(3.0).unwrap().to_vec(), vec![3.0, -6.0, 12.0]);
}

#[test]
#[should_panic(expected = "add: shapes [5, 2] and [5] cannot be broadcast together")]
fn operators_panic_with_the_error_message_on_bad_shapes() {
    let a = Tensor::<f32>::zeros(&[5, 2]).unwrap();
    let b = Tensor::<f32>::zeros(&[5]).unwrap();
    let _ = &a + &b;
}

#[test]
fn comparisons_are_false_for_nan_and_maps_propagate_nan() {
    let a = Tensor::<f32>::from_vec(vec![f32::NAN, 1.0, -0.0], &[3]).unwrap();
    let b = Tensor::<f32>::from_vec(vec![f32::NAN, f32::NAN, 0.0], &[3]).unwrap();
    assert_eq!(a.lt(&b).unwrap().to_vec(), vec![0.0, 0.0, 0.0]);
    assert_eq!(a.eq(&b).unwrap().to_vec(), vec![0.0, 0.0, 1.0]);
    let r = a.relu().unwrap().to_vec();
    assert!(r[0].is_nan());
    assert!(a.exp().unwrap().to_vec()[0].is_nan());
}

#[test]
fn a_dense_permuted_input_keeps_its_memory_order() {
    let x = Tensor::<f32>::arange(0.0, 24.0, 1.0)
        .unwrap()
        .view(&[2, 3, 4])
        .unwrap();
    let p = x.permute(&[2, 0, 1]).unwrap();
    let y = p.exp().unwrap();
    assert_eq!(y.strides(), p.strides());
    assert_eq!(y.to_vec(), p.contiguous().exp().unwrap().to_vec());
    // A non-dense input gives a row-major output.
    let n = x.narrow(-1, 1, 2).unwrap().neg().unwrap();
    assert!(n.is_contiguous());
}
