//! Algebraic simplification, applied as nodes are added to the [`Graph`].
//!
//! The rule: a rewrite must not change the value the generated code computes, in `f32` or
//! `f64`, for any input — NaN and ±inf included. What is folded, exactly:
//!
//! * **Constant folding** of `+ - * /`, unary `-`, `abs`, `sqrt`, `recip`, `floor`, `ceil`,
//!   `round`, `signum`, `relu`, `max`, `min` and comparisons, only when the `f64` result rounded
//!   to `f32` equals the `f32` computation on the `f32`-rounded operands (so the folded constant
//!   `E::from_f64(r)` is what both instantiations would have computed). Transcendental functions
//!   (`exp`, `tanh`, …) and `powi`/`powf` are never folded: the runtime's vector math is not
//!   bit-identical to the compiler's `libm`.
//! * **Identities**: `x * 1`, `1 * x`, `x / 1`, `x - 0` → `x`; `x * -1`, `-1 * x`, `x / -1`,
//!   `0 - x` → `-x`; `x + 0`, `0 + x` → `x`; `--x` → `x`; `powi(x, 1)` → `x`.
//!   The only value change any of these can make is the sign of a zero result (`-0 + 0` is
//!   `+0` in IEEE arithmetic; the folded `x + 0` keeps `-0`), which compares equal.
//! * **Selects and masks**: `select(m, a, a)` → `a`; selects on a constant mask pick their
//!   branch; `!!m` → `m`; `m && m`, `m || m` → `m`; `&&`/`||`/`!` with a constant operand fold.
//!
//! Never folded, because they change NaN or inf results: `x * 0` → `0` (`inf * 0` is NaN),
//! `x - x` → `0`, `x / x` → `1`, `0 / x` → `0`, `max(x, x)` → `x` is fine but not needed.

use crate::ir::{CmpOp, Fn1, Fn2, Graph, Id, Node};

/// What [`rewrite`] decided for a node about to be added.
pub enum Rewrite {
    /// The node equals an existing node.
    Existing(Id),
    /// Add the node as it is.
    Keep,
    /// Add this (smaller) node instead.
    Replace(Node),
}

/// Folds `f` on a constant when `f32` and `f64` agree bit for bit after rounding.
fn fold1(x: f64, f64op: impl Fn(f64) -> f64, f32op: impl Fn(f32) -> f32) -> Option<f64> {
    let r64 = f64op(x);
    let r32 = f32op(x as f32);
    let same = (r64 as f32).to_bits() == r32.to_bits() || (r64.is_nan() && r32.is_nan());
    same.then_some(r64)
}

fn fold2(
    x: f64,
    y: f64,
    f64op: impl Fn(f64, f64) -> f64,
    f32op: impl Fn(f32, f32) -> f32,
) -> Option<f64> {
    let r64 = f64op(x, y);
    let r32 = f32op(x as f32, y as f32);
    let same = (r64 as f32).to_bits() == r32.to_bits() || (r64.is_nan() && r32.is_nan());
    same.then_some(r64)
}

fn nan_max<T: PartialOrd + Copy>(a: T, b: T, nan: impl Fn(T) -> bool) -> T {
    if nan(a) {
        a
    } else if nan(b) || b > a {
        b
    } else {
        a
    }
}

fn nan_min<T: PartialOrd + Copy>(a: T, b: T, nan: impl Fn(T) -> bool) -> T {
    if nan(a) {
        a
    } else if nan(b) || b < a {
        b
    } else {
        a
    }
}

fn signum64(x: f64) -> f64 {
    if x.is_nan() || x == 0.0 {
        x
    } else {
        x.signum()
    }
}

fn signum32(x: f32) -> f32 {
    if x.is_nan() || x == 0.0 {
        x
    } else {
        x.signum()
    }
}

/// Decides how to add `node` to `g`.
pub fn rewrite(g: &Graph, node: Node) -> Rewrite {
    let c = |id: Id| g.const_value(id);
    let is = |id: Id, v: f64| g.const_value(id) == Some(v);
    let konst = |v: f64| Rewrite::Replace(Node::Const(v.to_bits()));
    let folded = |r: Option<f64>| match r {
        Some(v) => konst(v),
        None => Rewrite::Keep,
    };
    match node {
        Node::Add(a, b) => match (c(a), c(b)) {
            (Some(x), Some(y)) => folded(fold2(x, y, |p, q| p + q, |p, q| p + q)),
            _ if is(b, 0.0) => Rewrite::Existing(a),
            _ if is(a, 0.0) => Rewrite::Existing(b),
            _ => Rewrite::Keep,
        },
        Node::Sub(a, b) => match (c(a), c(b)) {
            (Some(x), Some(y)) => folded(fold2(x, y, |p, q| p - q, |p, q| p - q)),
            _ if is(b, 0.0) => Rewrite::Existing(a),
            _ if is(a, 0.0) => Rewrite::Replace(Node::Neg(b)),
            _ => Rewrite::Keep,
        },
        Node::Mul(a, b) => match (c(a), c(b)) {
            (Some(x), Some(y)) => folded(fold2(x, y, |p, q| p * q, |p, q| p * q)),
            _ if is(b, 1.0) => Rewrite::Existing(a),
            _ if is(a, 1.0) => Rewrite::Existing(b),
            _ if is(b, -1.0) => Rewrite::Replace(Node::Neg(a)),
            _ if is(a, -1.0) => Rewrite::Replace(Node::Neg(b)),
            _ => Rewrite::Keep,
        },
        Node::Div(a, b) => match (c(a), c(b)) {
            (Some(x), Some(y)) => folded(fold2(x, y, |p, q| p / q, |p, q| p / q)),
            _ if is(b, 1.0) => Rewrite::Existing(a),
            _ if is(b, -1.0) => Rewrite::Replace(Node::Neg(a)),
            _ => Rewrite::Keep,
        },
        Node::Neg(a) => match g.node(a) {
            Node::Neg(x) => Rewrite::Existing(x),
            Node::Const(bits) => konst(-f64::from_bits(bits)),
            _ => Rewrite::Keep,
        },
        Node::F1(f, a) => match c(a) {
            Some(x) => folded(match f {
                Fn1::Abs => Some(x.abs()),
                Fn1::Sqrt => fold1(x, f64::sqrt, f32::sqrt),
                Fn1::Recip => fold1(x, |v| 1.0 / v, |v| 1.0 / v),
                Fn1::Floor => fold1(x, f64::floor, f32::floor),
                Fn1::Ceil => fold1(x, f64::ceil, f32::ceil),
                Fn1::Round => fold1(x, f64::round, f32::round),
                Fn1::Signum => fold1(x, signum64, signum32),
                Fn1::Relu => fold1(
                    x,
                    |v| if v > 0.0 || v.is_nan() { v } else { 0.0 },
                    |v| if v > 0.0 || v.is_nan() { v } else { 0.0 },
                ),
                _ => None,
            }),
            None => Rewrite::Keep,
        },
        Node::F2(f, a, b) => match (c(a), c(b), f) {
            (Some(x), Some(y), Fn2::Max) => folded(fold2(
                x,
                y,
                |p, q| nan_max(p, q, f64::is_nan),
                |p, q| nan_max(p, q, f32::is_nan),
            )),
            (Some(x), Some(y), Fn2::Min) => folded(fold2(
                x,
                y,
                |p, q| nan_min(p, q, f64::is_nan),
                |p, q| nan_min(p, q, f32::is_nan),
            )),
            _ => Rewrite::Keep,
        },
        Node::Powi(a, 1) => Rewrite::Existing(a),
        Node::Cmp(op, a, b) => match (c(a), c(b)) {
            (Some(x), Some(y)) => {
                let r = op.eval(x, y);
                if r == op.eval(x as f32, y as f32) {
                    Rewrite::Replace(Node::Bool(r))
                } else {
                    Rewrite::Keep
                }
            }
            _ => Rewrite::Keep,
        },
        Node::Not(m) => match g.node(m) {
            Node::Not(x) => Rewrite::Existing(x),
            Node::Bool(v) => Rewrite::Replace(Node::Bool(!v)),
            Node::Cmp(CmpOp::Eq, a, b) => Rewrite::Replace(Node::Cmp(CmpOp::Ne, a, b)),
            Node::Cmp(CmpOp::Ne, a, b) => Rewrite::Replace(Node::Cmp(CmpOp::Eq, a, b)),
            _ => Rewrite::Keep,
        },
        Node::And(a, b) => match (g.node(a), g.node(b)) {
            _ if a == b => Rewrite::Existing(a),
            (Node::Bool(true), _) => Rewrite::Existing(b),
            (_, Node::Bool(true)) => Rewrite::Existing(a),
            (Node::Bool(false), _) | (_, Node::Bool(false)) => Rewrite::Replace(Node::Bool(false)),
            _ => Rewrite::Keep,
        },
        Node::Or(a, b) => match (g.node(a), g.node(b)) {
            _ if a == b => Rewrite::Existing(a),
            (Node::Bool(false), _) => Rewrite::Existing(b),
            (_, Node::Bool(false)) => Rewrite::Existing(a),
            (Node::Bool(true), _) | (_, Node::Bool(true)) => Rewrite::Replace(Node::Bool(true)),
            _ => Rewrite::Keep,
        },
        Node::Select(m, a, b) => match g.node(m) {
            _ if a == b => Rewrite::Existing(a),
            Node::Bool(true) => Rewrite::Existing(a),
            Node::Bool(false) => Rewrite::Existing(b),
            _ => Rewrite::Keep,
        },
        _ => Rewrite::Keep,
    }
}
