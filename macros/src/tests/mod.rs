//! Tests of the compiler layers, run without a compiler: random expression trees against dual
//! numbers, simplification against the unsimplified graph, and checks of the expansion.

mod eval;
mod expansion;
mod random;

use crate::diff::gradient;
use crate::errors::Ctxt;
use crate::ir::{Graph, Id, Node};
use crate::lower::Lowering;
use crate::parse::{parse_fn, Kind};
use eval::{eval, Real};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use random::{print, Dual, Gen, D};

/// A function compiled by the macro's layers (without code generation).
pub struct Compiled {
    pub g: Graph,
    pub root: Id,
    pub grads: Vec<Id>,
}

/// Parses `src` (a whole `fn`), lowers it and differentiates it with respect to every parameter.
pub fn compile(src: &str, simplify: bool) -> Result<Compiled, String> {
    let item: syn::ItemFn = syn::parse_str(src).map_err(|e| format!("syn: {e}"))?;
    let n = item.sig.inputs.len();
    let kind = if n == 1 { Kind::Map } else { Kind::Zip };
    let cx = Ctxt::new();
    let func = parse_fn(kind, &item, &cx);
    let mut g = Graph::new(simplify);
    let mut ops = Vec::new();
    let root = Lowering::new(&mut g, &mut ops, &cx).lower_fn(&func);
    cx.check().map_err(|e| e.to_string())?;
    let inputs: Vec<Id> = (0..n as u8).map(|i| g.input(i)).collect();
    let one = g.constant(1.0);
    let grads = gradient(&mut g, root, one, &inputs);
    Ok(Compiled { g, root, grads })
}

/// `SIMDGRAD_RANDOM_TREES=n` scales the random tests (for quick local runs).
fn trees_to_try(default: usize) -> usize {
    std::env::var("SIMDGRAD_RANDOM_TREES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ulps(a: f64, b: f64) -> u64 {
    if a.is_sign_negative() != b.is_sign_negative() {
        return u64::MAX;
    }
    a.to_bits().abs_diff(b.to_bits())
}

/// Agreement of a reverse-mode derivative `r` with the forward-mode one `f`: within 4 ulp, or
/// within 1e-12 relative to the derivative's magnitude bound `scale` (a reordered sum of
/// products can cancel, so the error is bounded by the sum of absolute terms, not by `|f|`).
fn close(r: f64, f: f64, scale: f64) -> bool {
    r == f || ulps(r, f) <= 4 || (r - f).abs() <= 1e-12 * scale.max(f.abs())
}

/// Equal as values: same bits, or both NaN, or both zero (the `x + 0 → x` fold keeps `-0`).
fn same<T: Real>(a: T, b: T) -> bool {
    a.bits() == b.bits() || (a.is_nan() && b.is_nan()) || (a.f64() == 0.0 && b.f64() == 0.0)
}

#[test]
fn reverse_mode_matches_forward_mode_dual_numbers_on_10k_random_trees() {
    let mut rng = StdRng::seed_from_u64(0x51_4D_D6_4A);
    let (mut trees, mut points, mut failures) = (0usize, 0usize, Vec::new());
    let n = trees_to_try(16_000);
    for _ in 0..n {
        let depth = rng.gen_range(1..=5);
        let tree = Gen { rng: &mut rng }.tree(depth, &mut vec!["a", "b"]);
        let src = format!("fn f(a: f64, b: f64) -> f64 {{ {} }}", print(&tree));
        if std::env::var("SIMDGRAD_TRACE").is_ok() {
            eprintln!("{src}");
        }
        let c = compile(&src, true).unwrap_or_else(|e| panic!("{e}\n{src}"));
        let mut checked = false;
        for _ in 0..4 {
            let (a, b) = (rng.gen_range(-3.0..3.0), rng.gen_range(-3.0..3.0));
            for (k, (sa, sb)) in [(1.0, 0.0), (0.0, 1.0)].into_iter().enumerate() {
                let mut margin = f64::INFINITY;
                let env = vec![
                    ("a", D { v: a, d: sa, m: sa }),
                    ("b", D { v: b, d: sb, m: sb }),
                ];
                let fwd = Dual {
                    env,
                    margin: &mut margin,
                }
                .eval(&tree);
                let out = eval(&c.g, &[c.root, c.grads[k]], [a, b, 0.0, 0.0]);
                // The forward value is computed by the same operations: bit for bit.
                if !same(out[0], fwd.v) {
                    failures.push(format!(
                        "value {} vs {} at ({a}, {b}): {src}",
                        out[0], fwd.v
                    ));
                }
                if margin < 1e-9 || !fwd.v.is_finite() || !fwd.d.is_finite() || !fwd.m.is_finite() {
                    continue;
                }
                if !close(out[1], fwd.d, fwd.m) {
                    failures.push(format!(
                        "d/d{} reverse {} vs dual {} (scale {}) at ({a}, {b}): {src}",
                        ["a", "b"][k],
                        out[1],
                        fwd.d,
                        fwd.m
                    ));
                }
                checked = true;
                points += 1;
            }
        }
        trees += usize::from(checked);
    }
    assert!(
        failures.is_empty(),
        "{} failures, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
    assert!(
        trees >= 10_000 * n / 16_000,
        "only {trees} trees had a differentiable finite point"
    );
    eprintln!("checked {trees} trees, {points} derivative points");
}

const EDGES: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    1e-310,
    1e-40,
    1e300,
    -1e300,
    3.4e38,
    -2.5,
];

/// The same graph with the rewrites of `simplify` applied: every node re-added in order.
fn resimplify(raw: &Compiled) -> Compiled {
    let mut g = Graph::new(true);
    let mut map: Vec<Id> = Vec::with_capacity(raw.g.len());
    for id in 0..raw.g.len() as Id {
        let node = raw.g.node(id).map_children(|c| map[c as usize]);
        map.push(g.add(node));
    }
    Compiled {
        g,
        root: map[raw.root as usize],
        grads: raw.grads.iter().map(|&d| map[d as usize]).collect(),
    }
}

fn check_same<T: Real>(x: &Compiled, y: &Compiled, a: f64, b: f64) -> Result<(), String> {
    let inputs = [T::of(a), T::of(b), T::of(0.0), T::of(0.0)];
    let mut ox = vec![x.root];
    ox.extend(&x.grads);
    let mut oy = vec![y.root];
    oy.extend(&y.grads);
    let vx = eval(&x.g, &ox, inputs);
    let vy = eval(&y.g, &oy, inputs);
    for (i, (p, q)) in vx.iter().zip(&vy).enumerate() {
        if !same(*p, *q) {
            return Err(format!(
                "output {i}: simplified {p:?} vs unsimplified {q:?} at ({a}, {b})"
            ));
        }
    }
    Ok(())
}

/// Simplification is checked on the very same graph (forward and derivative nodes built without
/// rewrites, then re-added with them), so any difference is a rewrite that changed a value. A
/// graph built with rewrites from the start may sum adjoint terms in another order (shared
/// nodes merge): a rounding difference, not a rewrite error; its forward value is still
/// compared bit for bit.
#[test]
fn simplification_never_changes_a_value_in_f32_or_f64_including_nan_and_inf() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut shrunk = 0usize;
    let n = trees_to_try(4_000);
    for _ in 0..n {
        let depth = rng.gen_range(1..=5);
        let tree = Gen { rng: &mut rng }.tree(depth, &mut vec!["a", "b"]);
        let src = format!("fn f(a: f64, b: f64) -> f64 {{ {} }}", print(&tree));
        let raw = compile(&src, false).unwrap_or_else(|e| panic!("{e}\n{src}"));
        let simple = resimplify(&raw);
        let fresh = compile(&src, true).unwrap_or_else(|e| panic!("{e}\n{src}"));
        let live = |c: &Compiled| {
            let mut outs = vec![c.root];
            outs.extend(&c.grads);
            c.g.reachable(&outs).iter().filter(|&&l| l).count()
        };
        shrunk += usize::from(live(&simple) < live(&raw));
        let mut points: Vec<(f64, f64)> = Vec::new();
        for _ in 0..3 {
            let a = EDGES[rng.gen_range(0..EDGES.len())];
            let b = EDGES[rng.gen_range(0..EDGES.len())];
            points.push((a, b));
            points.push((rng.gen_range(-4.0..4.0), b));
            points.push((a, rng.gen_range(-4.0..4.0)));
        }
        for (a, b) in points {
            let r = check_same::<f64>(&simple, &raw, a, b)
                .and_then(|_| check_same::<f32>(&simple, &raw, a, b));
            if let Err(e) = r {
                panic!("{e}\n{src}");
            }
            let p = eval::<f32>(&fresh.g, &[fresh.root], [a as f32, b as f32, 0.0, 0.0])[0];
            let q = eval::<f32>(&raw.g, &[raw.root], [a as f32, b as f32, 0.0, 0.0])[0];
            assert!(same(p, q), "forward {p} vs {q} at ({a}, {b}): {src}");
        }
    }
    assert!(
        shrunk > n / 4,
        "simplification should shrink most graphs ({shrunk})"
    );
}

fn count(g: &Graph, root: Id, pred: impl Fn(Node) -> bool) -> usize {
    let live = g.reachable(&[root]);
    (0..g.len() as Id)
        .filter(|&i| live[i as usize] && pred(g.node(i)))
        .count()
}

#[test]
fn common_subexpressions_are_one_node() {
    let c = compile(
        "fn f(x: f32) -> f32 { exp(x * 2.0) + (x * 2.0).exp() }",
        true,
    )
    .unwrap();
    assert_eq!(count(&c.g, c.root, |n| matches!(n, Node::F1(..))), 1);
}

#[test]
fn derivatives_at_kinks_follow_the_semantics_reference() {
    let d = |src: &str, x: f64| {
        let c = compile(src, true).unwrap();
        eval(&c.g, &[c.grads[0]], [x, 0.0, 0.0, 0.0])[0]
    };
    assert_eq!(d("fn f(x: f32) -> f32 { relu(x) }", 0.0), 0.0);
    assert_eq!(d("fn f(x: f32) -> f32 { relu(x) }", 2.0), 1.0);
    assert_eq!(d("fn f(x: f32) -> f32 { abs(x) }", 0.0), 0.0);
    assert_eq!(d("fn f(x: f32) -> f32 { abs(x) }", -3.0), -1.0);
    // max/min ties: the first argument gets the derivative.
    assert_eq!(d("fn f(x: f32) -> f32 { x.max(1.0) }", 1.0), 1.0);
    assert_eq!(d("fn f(x: f32) -> f32 { max(1.0, x) }", 1.0), 0.0);
    assert_eq!(d("fn f(x: f32) -> f32 { min(x, 1.0) }", 1.0), 1.0);
    // clamp: 1 on the closed interval.
    assert_eq!(d("fn f(x: f32) -> f32 { x.clamp(-1.0, 1.0) }", 1.0), 1.0);
    assert_eq!(d("fn f(x: f32) -> f32 { x.clamp(-1.0, 1.0) }", -1.0), 1.0);
    assert_eq!(d("fn f(x: f32) -> f32 { x.clamp(-1.0, 1.0) }", 1.5), 0.0);
    assert_eq!(
        d(
            "fn f(x: f32) -> f32 { floor(x) + round(x) + ceil(x) + signum(x) }",
            0.3
        ),
        0.0
    );
}

#[test]
fn the_dead_branch_of_a_select_never_leaks_nan_into_the_derivative() {
    let src = "fn f(x: f32) -> f32 { if x > 0.0 { sqrt(x) } else { 0.0 * ln(x) + x } }";
    let c = compile(src, true).unwrap();
    // At x = -1 the `then` branch is NaN and its derivative too; the select must hide it.
    assert_eq!(eval(&c.g, &[c.grads[0]], [-1.0, 0.0, 0.0, 0.0])[0], 1.0);
    assert_eq!(eval(&c.g, &[c.grads[0]], [4.0, 0.0, 0.0, 0.0])[0], 0.25);
}

#[test]
fn zero_derivative_functions_send_no_nan_back() {
    // floor' = 0 is structural: inf upstream does not become 0 * inf = NaN.
    let c = compile("fn f(x: f32) -> f32 { floor(exp(x)) * 2.0 }", true).unwrap();
    assert_eq!(eval(&c.g, &[c.grads[0]], [1000.0, 0.0, 0.0, 0.0])[0], 0.0);
}
