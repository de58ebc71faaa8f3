//! Backward passes of the built-in ops through autograd, against hand-computed gradients
//! (the derivatives themselves are derived by the macro; these tests check the drivers that
//! apply them: broadcasting, reduced dims, layouts).

use super::ops_util::{make, normal, rng, values, Kind};
use simdgrad::Tensor;

fn leaf(v: Vec<f64>, shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v, shape).unwrap().requires_grad_(true)
}

fn grad(t: &Tensor<f64>) -> Vec<f64> {
    t.grad().expect("a gradient").to_vec()
}

#[test]
fn map_backward_uses_the_derived_derivative() {
    let x = leaf(vec![-1.0, 0.0, 0.5, 2.0], &[2, 2]);
    x.exp().unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(
        grad(&x),
        x.to_vec().iter().map(|v| v.exp()).collect::<Vec<_>>()
    );
    x.zero_grad();
    x.relu().unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(grad(&x), vec![0.0, 0.0, 1.0, 1.0]); // relu'(0) = 0
    x.zero_grad();
    x.sigmoid().unwrap().sum_all().unwrap().backward().unwrap();
    for (g, v) in grad(&x).iter().zip(x.to_vec()) {
        let s = 1.0 / (1.0 + (-v).exp());
        assert!((g - s * (1.0 - s)).abs() < 1e-15);
    }
}

#[test]
fn a_permuted_input_gets_its_gradient_in_its_own_shape() {
    let mut r = rng(41);
    let base = make::<f64>(&[3, 4], Kind::Contiguous, &mut r, &mut normal).requires_grad_(true);
    let t = base.transpose(0, 1).unwrap();
    let w = make::<f64>(&[4, 3], Kind::Contiguous, &mut r, &mut normal);
    t.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
    // d/d base[i][j] = w[j][i].
    let wt = w.transpose(0, 1).unwrap().to_vec();
    assert_eq!(grad(&base), wt);
}

#[test]
fn a_broadcast_operand_receives_its_gradient_summed_to_its_shape() {
    let a = leaf(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let bias = leaf(vec![10.0, 20.0, 30.0], &[3]);
    let col = leaf(vec![2.0, 3.0], &[2, 1]);
    let y = a.add(&bias).unwrap().mul(&col).unwrap();
    y.sum_all().unwrap().backward().unwrap();
    assert_eq!(grad(&a), vec![2.0, 2.0, 2.0, 3.0, 3.0, 3.0]);
    assert_eq!(grad(&bias), vec![5.0, 5.0, 5.0]);
    // d/dcol[i] = Σ_j (a[i][j] + bias[j]).
    assert_eq!(grad(&col), vec![66.0, 75.0]);
    assert_eq!(col.grad().unwrap().shape(), &[2, 1]);
}

#[test]
fn scalar_operands_and_operators_are_differentiable() {
    let x = leaf(vec![1.0, 2.0, 3.0], &[3]);
    let y = (&(&x * 3.0) - 1.0) / 2.0;
    let z = (1.0 - &y).pow_scalar(2.0).unwrap();
    z.sum_all().unwrap().backward().unwrap();
    // z = (1 - (3x - 1)/2)², dz/dx = 2(1 - y)·(-3/2).
    let want: Vec<f64> = x
        .to_vec()
        .iter()
        .map(|v| 2.0 * (1.0 - (3.0 * v - 1.0) / 2.0) * -1.5)
        .collect();
    for (g, w) in grad(&x).iter().zip(&want) {
        assert!((g - w).abs() < 1e-12, "{g} vs {w}");
    }
}

#[test]
fn sum_and_mean_over_a_dim_broadcast_the_upstream_gradient() {
    let x = leaf((0..6).map(f64::from).collect(), &[2, 3]);
    let s = x.sum(0).unwrap(); // [1, 3]
    let w = Tensor::from_vec(vec![1.0, 10.0, 100.0], &[1, 3]).unwrap();
    s.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(grad(&x), vec![1.0, 10.0, 100.0, 1.0, 10.0, 100.0]);
    x.zero_grad();
    x.mean(1).unwrap().sum_all().unwrap().backward().unwrap();
    for g in grad(&x) {
        assert!((g - 1.0 / 3.0).abs() < 1e-15);
    }
}

#[test]
fn max_sends_the_gradient_to_the_first_maximum_of_each_slice() {
    let x = leaf(vec![1.0, 5.0, 5.0, 7.0, 2.0, 7.0], &[2, 3]);
    x.max(1).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(grad(&x), vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
    x.zero_grad();
    // Over the outer dim of the transposed view.
    let t = x.transpose(0, 1).unwrap(); // [[1, 7], [5, 2], [5, 7]]
    t.min(0).unwrap().sum_all().unwrap().backward().unwrap();
    // min over rows of t: column 0 → 1 (x[0][0]), column 1 → 2 (x[1][1]).
    assert_eq!(grad(&x), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    x.zero_grad();
    x.max_all().unwrap().backward().unwrap();
    assert_eq!(grad(&x), vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
}

#[test]
fn prod_gradient_is_exact_with_a_zero_in_the_slice() {
    let x = leaf(vec![2.0, 0.0, 3.0, 1.0, 4.0, 5.0], &[2, 3]);
    x.prod(1).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(grad(&x), vec![0.0, 6.0, 0.0, 20.0, 5.0, 4.0]);
    x.zero_grad();
    x.prod_all().unwrap().backward().unwrap();
    assert_eq!(grad(&x), vec![0.0, 120.0, 0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn comparisons_have_zero_gradient() {
    let a = leaf(vec![1.0, 2.0], &[2]);
    let b = leaf(vec![2.0, 1.0], &[2]);
    let m = a.lt(&b).unwrap();
    assert_eq!(m.to_vec(), vec![1.0, 0.0]);
    m.mul(&a).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(grad(&a), vec![1.0, 0.0]);
    assert_eq!(grad(&b), vec![0.0, 0.0]);
}

#[test]
fn a_node_used_twice_accumulates_both_contributions() {
    let x = leaf(vec![3.0], &[1]);
    let y = x.mul(&x).unwrap().add(&x).unwrap(); // x² + x
    y.sum_all().unwrap().backward().unwrap();
    assert_eq!(grad(&x), vec![7.0]);
    let v = values(&y);
    assert_eq!(v, vec![12.0]);
}
