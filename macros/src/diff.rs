//! Symbolic reverse-mode differentiation over the IR DAG.
//!
//! Adjoints are accumulated in reverse topological order (decreasing node id). Each adjoint
//! contribution carries a *guard*: the mask under which the path it travels is live. A select
//! sends its adjoint to the `then` branch guarded by its mask and to the `else` branch guarded by
//! the negated mask; `relu`, `abs`, `max`, `min` and `clamp` route their adjoint the same way.
//! When a node's adjoint is materialised, guarded terms become `select(guard, term, 0)`, never
//! `term * mask`: the dead branch of a select may hold NaN or inf (`sqrt(-1)`, `1/0`), and
//! `0 * NaN` would leak it into the derivative.
//!
//! Rules follow `shared/reference/semantics.md`: `relu'(0) = 0`, `abs'(0) = 0`, ties of
//! `max`/`min` send the derivative to the first argument; `clamp(x, lo, hi)` is
//! `min(max(x, lo), hi)`, so `d/dx = 1` on the closed interval `[lo, hi]`. `floor`, `ceil`,
//! `round` and `signum` have zero derivative and send nothing back. Where a node's own value is
//! the cheaper form of its derivative, it is used (`exp' = exp`, `sigmoid' = s(1-s)`,
//! `tanh' = 1-t²`, `sqrt' = 0.5/sqrt`, `recip' = -r²`).

use crate::ir::{Call, CmpOp, Fn1, Fn2, Graph, Id, Node};
use std::collections::BTreeMap;

/// A contribution to an adjoint: `select(guard, value, 0)` (or just `value` without a guard).
#[derive(Clone, Copy)]
struct Term {
    guard: Option<Id>,
    value: Id,
}

struct Adjoints<'g> {
    g: &'g mut Graph,
    terms: BTreeMap<Id, Vec<Term>>,
    depends: Vec<bool>,
}

impl Adjoints<'_> {
    fn push(&mut self, to: Id, guard: Option<Id>, value: Id) {
        if self.depends[to as usize] {
            self.terms
                .entry(to)
                .or_default()
                .push(Term { guard, value });
        }
    }

    fn and(&mut self, guard: Option<Id>, m: Id) -> Option<Id> {
        Some(match guard {
            None => m,
            Some(g) => self.g.add(Node::And(g, m)),
        })
    }

    /// Sums the terms of one node: the raw adjoint and the guard under which it is live.
    fn materialise(&mut self, terms: Vec<Term>) -> (Id, Option<Id>) {
        // Group by guard, keeping first-seen order so the output is deterministic.
        let mut groups: Vec<(Option<Id>, Id)> = Vec::new();
        for t in terms {
            match groups.iter_mut().find(|(g, _)| *g == t.guard) {
                Some((_, sum)) => *sum = self.g.add(Node::Add(*sum, t.value)),
                None => groups.push((t.guard, t.value)),
            }
        }
        if groups.len() == 1 {
            let (guard, value) = groups[0];
            return (value, guard);
        }
        let zero = self.g.constant(0.0);
        let mut total: Option<Id> = None;
        let mut guard: Option<Option<Id>> = None;
        for (gd, v) in groups {
            let term = match gd {
                None => v,
                Some(m) => self.g.add(Node::Select(m, v, zero)),
            };
            total = Some(match total {
                None => term,
                Some(t) => self.g.add(Node::Add(t, term)),
            });
            guard = Some(match (guard, gd) {
                (None, gd) => gd,
                (Some(None), _) | (_, None) => None,
                (Some(Some(a)), Some(b)) => Some(self.g.add(Node::Or(a, b))),
            });
        }
        (total.expect("at least two groups"), guard.flatten())
    }

    fn mul(&mut self, a: Id, b: Id) -> Id {
        self.g.add(Node::Mul(a, b))
    }

    fn c(&mut self, v: f64) -> Id {
        self.g.constant(v)
    }

    /// Pushes the adjoint `adj` (live under `gd`) of node `id` to its children.
    fn propagate(&mut self, id: Id, adj: Id, gd: Option<Id>) {
        let node = self.g.node(id);
        match node {
            Node::Input(_) | Node::Const(_) | Node::Bool(_) => {}
            Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(_) => {}
            Node::Add(a, b) => {
                self.push(a, gd, adj);
                self.push(b, gd, adj);
            }
            Node::Sub(a, b) => {
                self.push(a, gd, adj);
                let n = self.g.add(Node::Neg(adj));
                self.push(b, gd, n);
            }
            Node::Mul(a, b) => {
                let da = self.mul(adj, b);
                self.push(a, gd, da);
                let db = self.mul(adj, a);
                self.push(b, gd, db);
            }
            Node::Div(a, b) => {
                let da = self.g.add(Node::Div(adj, b));
                self.push(a, gd, da);
                if self.depends[b as usize] {
                    // d(a/b)/db = -(a/b)/b, reusing the quotient.
                    let q = self.g.add(Node::Div(id, b));
                    let t = self.mul(adj, q);
                    let db = self.g.add(Node::Neg(t));
                    self.push(b, gd, db);
                }
            }
            Node::Neg(a) => {
                let n = self.g.add(Node::Neg(adj));
                self.push(a, gd, n);
            }
            Node::F1(f, a) => self.unary(f, id, a, adj, gd),
            Node::F2(Fn2::Max, a, b) | Node::F2(Fn2::Min, a, b) => {
                let op = if node == Node::F2(Fn2::Max, a, b) {
                    CmpOp::Ge
                } else {
                    CmpOp::Le
                };
                let first = self.g.add(Node::Cmp(op, a, b));
                let to_a = self.and(gd, first);
                self.push(a, to_a, adj);
                let second = self.g.add(Node::Not(first));
                let to_b = self.and(gd, second);
                self.push(b, to_b, adj);
            }
            Node::F2(Fn2::Powf, x, y) => {
                if self.depends[x as usize] {
                    let one = self.c(1.0);
                    let ym1 = self.g.add(Node::Sub(y, one));
                    let p = self.g.add(Node::F2(Fn2::Powf, x, ym1));
                    let l = self.mul(y, p);
                    let dx = self.mul(adj, l);
                    self.push(x, gd, dx);
                }
                if self.depends[y as usize] {
                    let lx = self.g.add(Node::F1(Fn1::Ln, x));
                    let l = self.mul(lx, id);
                    let dy = self.mul(adj, l);
                    self.push(y, gd, dy);
                }
            }
            Node::Powi(x, n) => match n {
                0 => {}
                1 => self.push(x, gd, adj),
                2 => {
                    let two = self.c(2.0);
                    let l = self.mul(two, x);
                    let dx = self.mul(adj, l);
                    self.push(x, gd, dx);
                }
                _ => {
                    let nn = self.c(n as f64);
                    let p = self.g.add(Node::Powi(x, n - 1));
                    let l = self.mul(nn, p);
                    let dx = self.mul(adj, l);
                    self.push(x, gd, dx);
                }
            },
            Node::Clamp(x, lo, hi) => {
                // clamp = min(max(x, lo), hi), ties to the first argument of each.
                let m = self.g.add(Node::F2(Fn2::Max, x, lo));
                let below_hi = self.g.add(Node::Cmp(CmpOp::Le, m, hi));
                let x_ge_lo = self.g.add(Node::Cmp(CmpOp::Ge, x, lo));
                let inside = self.g.add(Node::And(x_ge_lo, below_hi));
                let to_x = self.and(gd, inside);
                self.push(x, to_x, adj);
                let x_lt_lo = self.g.add(Node::Not(x_ge_lo));
                let at_lo = self.g.add(Node::And(x_lt_lo, below_hi));
                let to_lo = self.and(gd, at_lo);
                self.push(lo, to_lo, adj);
                let above = self.g.add(Node::Not(below_hi));
                let to_hi = self.and(gd, above);
                self.push(hi, to_hi, adj);
            }
            Node::Select(m, t, e) => {
                let to_t = self.and(gd, m);
                self.push(t, to_t, adj);
                let nm = self.g.add(Node::Not(m));
                let to_e = self.and(gd, nm);
                self.push(e, to_e, adj);
            }
            Node::Call(c) => {
                if c.out != 0 {
                    // Second derivatives of other ops are not available (never needed: the
                    // derivative graph is not differentiated again).
                    return;
                }
                let da = self.g.add(Node::Call(Call { out: 1, ..c }));
                let ta = self.mul(adj, da);
                self.push(c.a, gd, ta);
                if c.arity == 2 {
                    let db = self.g.add(Node::Call(Call { out: 2, ..c }));
                    let tb = self.mul(adj, db);
                    self.push(c.b, gd, tb);
                }
            }
        }
    }

    fn unary(&mut self, f: Fn1, id: Id, a: Id, adj: Id, gd: Option<Id>) {
        let local = match f {
            Fn1::Floor | Fn1::Ceil | Fn1::Round | Fn1::Signum => return,
            Fn1::Relu => {
                let zero = self.c(0.0);
                let pos = self.g.add(Node::Cmp(CmpOp::Gt, a, zero));
                let to = self.and(gd, pos);
                self.push(a, to, adj);
                return;
            }
            Fn1::Abs => {
                let zero = self.c(0.0);
                let pos = self.g.add(Node::Cmp(CmpOp::Gt, a, zero));
                let to = self.and(gd, pos);
                self.push(a, to, adj);
                let neg = self.g.add(Node::Cmp(CmpOp::Lt, a, zero));
                let to = self.and(gd, neg);
                let n = self.g.add(Node::Neg(adj));
                self.push(a, to, n);
                return;
            }
            Fn1::Exp => id,
            Fn1::Exp2 => {
                let ln2 = self.c(std::f64::consts::LN_2);
                self.mul(id, ln2)
            }
            Fn1::Ln => {
                let d = self.g.add(Node::Div(adj, a));
                self.push(a, gd, d);
                return;
            }
            Fn1::Log2 => {
                let ln2 = self.c(std::f64::consts::LN_2);
                let den = self.mul(a, ln2);
                let d = self.g.add(Node::Div(adj, den));
                self.push(a, gd, d);
                return;
            }
            Fn1::Log1p => {
                let one = self.c(1.0);
                let den = self.g.add(Node::Add(a, one));
                let d = self.g.add(Node::Div(adj, den));
                self.push(a, gd, d);
                return;
            }
            // Not `expm1(x) + 1`: that cancels catastrophically for negative x.
            Fn1::Expm1 => self.g.add(Node::F1(Fn1::Exp, a)),
            Fn1::Sqrt => {
                let half = self.c(0.5);
                self.g.add(Node::Div(half, id))
            }
            Fn1::Rsqrt => {
                // d/dx x^(-1/2) = -0.5 · r / x
                let mhalf = self.c(-0.5);
                let q = self.g.add(Node::Div(id, a));
                self.mul(mhalf, q)
            }
            Fn1::Recip => {
                let sq = self.mul(id, id);
                self.g.add(Node::Neg(sq))
            }
            Fn1::Tanh => {
                let one = self.c(1.0);
                let sq = self.mul(id, id);
                self.g.add(Node::Sub(one, sq))
            }
            Fn1::Sigmoid => {
                let one = self.c(1.0);
                let om = self.g.add(Node::Sub(one, id));
                self.mul(id, om)
            }
            Fn1::Sin => self.g.add(Node::F1(Fn1::Cos, a)),
            Fn1::Cos => {
                let s = self.g.add(Node::F1(Fn1::Sin, a));
                self.g.add(Node::Neg(s))
            }
            Fn1::Erf => {
                let k = self.c(std::f64::consts::FRAC_2_SQRT_PI);
                let sq = self.mul(a, a);
                let nsq = self.g.add(Node::Neg(sq));
                let e = self.g.add(Node::F1(Fn1::Exp, nsq));
                self.mul(k, e)
            }
        };
        let d = self.mul(adj, local);
        self.push(a, gd, d);
    }
}

/// For each node up to `root`: does its value depend on one of `inputs`?
fn depends_on(g: &Graph, root: Id, inputs: &[Id]) -> Vec<bool> {
    let mut dep = vec![false; g.len()];
    for id in 0..=root {
        dep[id as usize] =
            inputs.contains(&id) || g.node(id).children().iter().any(|&c| dep[c as usize]);
    }
    dep
}

/// The derivatives of `root` with respect to each node of `inputs`, scaled by the adjoint
/// `seed` (use the constant 1 for plain derivatives, the gradient input for backward kernels).
pub fn gradient(g: &mut Graph, root: Id, seed: Id, inputs: &[Id]) -> Vec<Id> {
    let depends = depends_on(g, root, inputs);
    let mut adj = Adjoints {
        g,
        terms: BTreeMap::new(),
        depends,
    };
    adj.push(root, None, seed);
    let mut result: Vec<Option<(Id, Option<Id>)>> = vec![None; inputs.len()];
    while let Some((id, terms)) = adj.terms.pop_last() {
        let (value, guard) = adj.materialise(terms);
        if let Some(i) = inputs.iter().position(|&x| x == id) {
            result[i] = Some((value, guard));
        }
        adj.propagate(id, value, guard);
    }
    result
        .into_iter()
        .map(|r| match r {
            None => adj.g.constant(0.0),
            Some((v, None)) => v,
            Some((v, Some(m))) => {
                let zero = adj.g.constant(0.0);
                adj.g.add(Node::Select(m, v, zero))
            }
        })
        .collect()
}
