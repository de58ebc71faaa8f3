//! `check_grads` (f64, rtol 1e-6) over every built-in op: maps, zips with broadcasting,
//! reductions, comparisons and operators, on random shapes including permuted
//! (non-contiguous) inputs, size-1 and size-0 dims and 0-d tensors. The forward passes are
//! tested against scalar references in the ops tests; here only the derivatives are.

use simdgrad::check_grads::{check_grads, GradCheckOptions};
use simdgrad::{Result, Tensor};

/// Where an op's inputs must lie.
#[derive(Clone, Copy)]
enum Domain {
    /// Standard normal.
    Any,
    /// `0.5 + |N(0, 1)|`: for ln, sqrt, pow bases and divisors.
    Positive,
}

/// A random tensor of `shape`; with `permuted`, stored in reversed dim order and permuted
/// back, so it reaches the op non-contiguous.
fn input(shape: &[usize], seed: u64, domain: Domain, permuted: bool) -> Tensor<f64> {
    let n = shape.len();
    let order: Vec<usize> = if permuted {
        (0..n).rev().collect()
    } else {
        (0..n).collect()
    };
    let stored: Vec<usize> = order.iter().map(|&d| shape[d]).collect();
    let v = Tensor::<f64>::randn_seeded(&stored, seed).unwrap().to_vec();
    let v = match domain {
        Domain::Any => v,
        Domain::Positive => v.iter().map(|x| 0.5 + x.abs()).collect(),
    };
    let t = Tensor::from_vec(v, &stored).unwrap();
    // Reversal is its own inverse.
    let t = t.permute(&order).unwrap();
    assert_eq!(t.shape(), shape);
    t
}

fn check(what: &str, f: impl Fn(&[Tensor<f64>]) -> Result<Tensor<f64>>, inputs: &[Tensor<f64>]) {
    if let Err(e) = check_grads(f, inputs, GradCheckOptions::default()) {
        let shapes: Vec<_> = inputs
            .iter()
            .map(|t| (t.shape().to_vec(), t.strides().to_vec()))
            .collect();
        panic!("{what} on (shape, strides) {shapes:?}: {e}");
    }
}

const UNARY_SHAPES: &[&[usize]] = &[&[7], &[3, 4], &[2, 3, 4], &[1, 5], &[4, 1, 2], &[0, 3], &[]];

type Unary = fn(&Tensor<f64>) -> Result<Tensor<f64>>;

#[test]
fn maps() {
    let ops: &[(&str, Unary, Domain)] = &[
        ("neg", |x| x.neg(), Domain::Any),
        ("exp", |x| x.exp(), Domain::Any),
        ("ln", |x| x.ln(), Domain::Positive),
        ("sqrt", |x| x.sqrt(), Domain::Positive),
        ("abs", |x| x.abs(), Domain::Any),
        ("relu", |x| x.relu(), Domain::Any),
        ("sigmoid", |x| x.sigmoid(), Domain::Any),
        ("tanh", |x| x.tanh(), Domain::Any),
        ("gelu", |x| x.gelu(), Domain::Any),
    ];
    for (i, &(name, op, domain)) in ops.iter().enumerate() {
        for (j, shape) in UNARY_SHAPES.iter().enumerate() {
            for permuted in [false, true] {
                let x = input(
                    shape,
                    (100 * i + 10 * j) as u64 + permuted as u64,
                    domain,
                    permuted,
                );
                check(name, |x| op(&x[0]), &[x]);
            }
        }
    }
}

/// Pairs of shapes that broadcast: equal, trailing, size-1 stretching both ways, leading
/// dims added, size-0, 0-d.
const BINARY_SHAPES: &[(&[usize], &[usize])] = &[
    (&[3, 4], &[3, 4]),
    (&[3, 4], &[4]),
    (&[4], &[3, 4]),
    (&[2, 1, 4], &[3, 1]),
    (&[1], &[5, 5]),
    (&[5, 1, 5, 1], &[1, 5, 1, 5]),
    (&[0, 3], &[1, 3]),
    (&[], &[2, 3]),
    (&[2, 3], &[]),
];

type Binary = fn(&Tensor<f64>, &Tensor<f64>) -> Result<Tensor<f64>>;

#[test]
fn zips_with_broadcasting() {
    let ops: &[(&str, Binary, Domain, Domain)] = &[
        ("add", |a, b| a.add(b), Domain::Any, Domain::Any),
        ("sub", |a, b| a.sub(b), Domain::Any, Domain::Any),
        ("mul", |a, b| a.mul(b), Domain::Any, Domain::Any),
        ("div", |a, b| a.div(b), Domain::Any, Domain::Positive),
        ("pow", |a, b| a.pow(b), Domain::Positive, Domain::Any),
    ];
    for (i, &(name, op, da, db)) in ops.iter().enumerate() {
        for (j, &(sa, sb)) in BINARY_SHAPES.iter().enumerate() {
            for permuted in [false, true] {
                let seed = (1000 * i + 10 * j) as u64 + 2 * permuted as u64;
                let a = input(sa, seed, da, permuted);
                let b = input(sb, seed + 1, db, permuted);
                check(name, |x| op(&x[0], &x[1]), &[a, b]);
            }
        }
    }
}

#[test]
fn scalar_right_operands() {
    let x = input(&[3, 4], 1, Domain::Positive, true);
    check(
        "add_scalar",
        |x| x[0].add_scalar(1.5),
        std::slice::from_ref(&x),
    );
    check(
        "sub_scalar",
        |x| x[0].sub_scalar(1.5),
        std::slice::from_ref(&x),
    );
    check(
        "mul_scalar",
        |x| x[0].mul_scalar(-2.5),
        std::slice::from_ref(&x),
    );
    check(
        "div_scalar",
        |x| x[0].div_scalar(3.0),
        std::slice::from_ref(&x),
    );
    check("pow_scalar", |x| x[0].pow_scalar(2.5), &[x]);
}

#[test]
fn an_input_used_on_both_sides_of_a_zip() {
    let x = input(&[3, 4], 2, Domain::Positive, true);
    check("mul(x, x)", |x| x[0].mul(&x[0]), std::slice::from_ref(&x));
    check("pow(x, x)", |x| x[0].pow(&x[0]), std::slice::from_ref(&x));
    check(
        "div(x, xᵀᵀ)",
        |x| x[0].div(&x[0].transpose(0, 1)?.transpose(0, 1)?),
        &[x],
    );
}

type Reduce = fn(&Tensor<f64>, isize) -> Result<Tensor<f64>>;
type ReduceAll = fn(&Tensor<f64>) -> Result<Tensor<f64>>;

#[test]
fn reductions_over_each_dim_and_all() {
    let ops: &[(&str, Reduce, ReduceAll, bool)] = &[
        ("sum", |x, d| x.sum(d), |x| x.sum_all(), true),
        ("mean", |x, d| x.mean(d), |x| x.mean_all(), false),
        ("max", |x, d| x.max(d), |x| x.max_all(), false),
        ("min", |x, d| x.min(d), |x| x.min_all(), false),
        ("prod", |x, d| x.prod(d), |x| x.prod_all(), true),
    ];
    let shapes: &[&[usize]] = &[&[7], &[3, 4], &[2, 3, 4], &[3, 1], &[1, 4], &[2, 0, 3]];
    for (i, &(name, op, all, empty_ok)) in ops.iter().enumerate() {
        for (j, shape) in shapes.iter().enumerate() {
            for permuted in [false, true] {
                let x = input(
                    shape,
                    (100 * i + 10 * j) as u64 + permuted as u64,
                    Domain::Any,
                    permuted,
                );
                for d in 0..shape.len() as isize {
                    // An empty reduced slice has no max/min (−inf) and mean 0/0: skip those.
                    if shape[d as usize] == 0 && !empty_ok {
                        continue;
                    }
                    check(
                        &format!("{name}(dim {d})"),
                        |x| op(&x[0], d),
                        std::slice::from_ref(&x),
                    );
                    check(
                        &format!("{name}(dim {})", d - shape.len() as isize),
                        |x| op(&x[0], d - shape.len() as isize),
                        std::slice::from_ref(&x),
                    );
                }
                if x.numel() > 0 || empty_ok {
                    check(&format!("{name}_all"), |x| all(&x[0]), &[x]);
                }
            }
        }
    }
}

#[test]
fn comparisons_have_zero_gradient() {
    for (j, &(sa, sb)) in BINARY_SHAPES.iter().enumerate() {
        let a = input(sa, 10 * j as u64, Domain::Any, true);
        let b = input(sb, 10 * j as u64 + 1, Domain::Any, false);
        check("lt", |x| x[0].lt(&x[1]), &[a.clone(), b.clone()]);
        check("gt", |x| x[0].gt(&x[1]), &[a.clone(), b.clone()]);
        check("eq", |x| x[0].eq(&x[1]), &[a, b]);
    }
    // The gradient is zero, not absent: a mask times x gives x's gradient the mask.
    let x = input(&[3, 4], 7, Domain::Any, false);
    check(
        "x * (x > 0)",
        |x| x[0].mul(&x[0].gt(&Tensor::scalar(0.0))?),
        &[x],
    );
}

#[test]
fn operators() {
    let a = input(&[3, 4], 1, Domain::Any, true);
    let b = input(&[4], 2, Domain::Positive, false);
    check("&a + &b", |x| Ok(&x[0] + &x[1]), &[a.clone(), b.clone()]);
    check("&a - &b", |x| Ok(&x[0] - &x[1]), &[a.clone(), b.clone()]);
    check("&a * &b", |x| Ok(&x[0] * &x[1]), &[a.clone(), b.clone()]);
    check("&a / &b", |x| Ok(&x[0] / &x[1]), &[a.clone(), b.clone()]);
    check("&a * 2.0", |x| Ok(&x[0] * 2.0), std::slice::from_ref(&a));
    check("-&a", |x| Ok(-&x[0]), &[a]);
}

#[test]
fn composites_through_ops_views_and_matmul() {
    // softmax over the last dim, composed: exp(x − max) / sum(exp(x − max)).
    let softmax = |x: &[Tensor<f64>]| {
        let z = x[0].sub(&x[0].max(-1)?)?.exp()?;
        z.div(&z.sum(-1)?)
    };
    check("softmax", softmax, &[input(&[3, 5], 1, Domain::Any, true)]);
    // A linear layer with bias and relu, on a permuted batch.
    let linear = |x: &[Tensor<f64>]| x[0].matmul(&x[1].transpose(0, 1)?)?.add(&x[2])?.relu();
    check(
        "relu(x·wᵀ + b)",
        linear,
        &[
            input(&[4, 3], 2, Domain::Any, true),
            input(&[5, 3], 3, Domain::Any, false),
            input(&[5], 4, Domain::Any, false),
        ],
    );
    // MiniTorch's pooling: mean over the last axis of a tile.
    let avgpool = |x: &[Tensor<f64>]| {
        x[0].contiguous()
            .view(&[1, 2, 2, 2, 2, 2])?
            .permute(&[0, 1, 2, 4, 3, 5])?
            .contiguous()
            .view(&[1, 2, 2, 2, 4])?
            .mean(-1)
    };
    check(
        "avgpool via tile",
        avgpool,
        &[input(&[1, 2, 4, 4], 5, Domain::Any, true)],
    );
    let maxpool = |x: &[Tensor<f64>]| {
        x[0].contiguous()
            .view(&[1, 2, 2, 2, 2, 2])?
            .permute(&[0, 1, 2, 4, 3, 5])?
            .contiguous()
            .view(&[1, 2, 2, 2, 4])?
            .max(-1)
    };
    check(
        "maxpool via tile",
        maxpool,
        &[input(&[1, 2, 4, 4], 6, Domain::Any, false)],
    );
}
