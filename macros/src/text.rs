//! Readable math text of a graph, for the `FORMULA` / `DERIVATIVE` consts and the rustdoc of
//! the generated kernel. Shared subexpressions longer than a few characters are named
//! (`t1 = tanh(…); …`), the rest is printed as a tree with minimal parentheses.

use crate::ir::{Graph, Id, Node};
use crate::lower::OpRef;
use std::collections::HashMap;

/// Binding strength of an expression's top operator.
const P_SELECT: u8 = 0;
const P_OR: u8 = 1;
const P_AND: u8 = 2;
const P_CMP: u8 = 3;
const P_ADD: u8 = 4;
const P_MUL: u8 = 5;
const P_NEG: u8 = 6;
const P_ATOM: u8 = 7;

/// Names a shared subexpression once its text is longer than this.
const NAME_LONGER_THAN: usize = 16;

/// Formats a constant: shortest round-trip decimal, `π` for pi.
pub fn constant(v: f64) -> String {
    if v == std::f64::consts::PI {
        "π".into()
    } else if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v}")
    }
}

/// Renders `root` with the inputs named by `inputs[i]` (`Input(i)`).
pub fn render(g: &Graph, root: Id, inputs: &[&str], ops: &[OpRef]) -> String {
    let live = g.reachable(&[root]);
    let mut uses = vec![0usize; g.len()];
    for id in 0..=root {
        if live[id as usize] {
            for c in g.node(id).children() {
                uses[c as usize] += 1;
            }
        }
    }
    let mut text: HashMap<Id, (String, u8)> = HashMap::new();
    let mut defs: Vec<String> = Vec::new();
    for id in 0..=root {
        if !live[id as usize] {
            continue;
        }
        let node = g.node(id);
        let sub = |c: Id, min: u8| -> String {
            let (t, p) = &text[&c];
            if *p < min {
                format!("({t})")
            } else {
                t.clone()
            }
        };
        let (t, p) = match node {
            Node::Input(i) => (
                inputs.get(i as usize).copied().unwrap_or("?").to_string(),
                P_ATOM,
            ),
            Node::Const(bits) => {
                let v = f64::from_bits(bits);
                (constant(v), if v < 0.0 { P_NEG } else { P_ATOM })
            }
            Node::Bool(b) => (b.to_string(), P_ATOM),
            Node::Add(a, b) => (format!("{} + {}", sub(a, P_ADD), sub(b, P_MUL)), P_ADD),
            Node::Sub(a, b) => (format!("{} - {}", sub(a, P_ADD), sub(b, P_MUL)), P_ADD),
            Node::Mul(a, b) => (format!("{} * {}", sub(a, P_MUL), sub(b, P_NEG)), P_MUL),
            Node::Div(a, b) => (format!("{} / {}", sub(a, P_MUL), sub(b, P_NEG)), P_MUL),
            Node::Neg(a) => (format!("-{}", sub(a, P_ATOM)), P_NEG),
            Node::F1(f, a) => (format!("{}({})", f.name(), sub(a, 0)), P_ATOM),
            Node::F2(f, a, b) => (
                format!("{}({}, {})", f.name(), sub(a, 0), sub(b, 0)),
                P_ATOM,
            ),
            Node::Powi(a, n) => (format!("powi({}, {n})", sub(a, 0)), P_ATOM),
            Node::Clamp(a, b, c) => (
                format!("clamp({}, {}, {})", sub(a, 0), sub(b, 0), sub(c, 0)),
                P_ATOM,
            ),
            Node::Cmp(op, a, b) => (
                format!("{} {} {}", sub(a, P_ADD), op.symbol(), sub(b, P_ADD)),
                P_CMP,
            ),
            Node::And(a, b) => (format!("{} && {}", sub(a, P_AND), sub(b, P_CMP)), P_AND),
            Node::Or(a, b) => (format!("{} || {}", sub(a, P_OR), sub(b, P_AND)), P_OR),
            Node::Not(a) => (format!("!{}", sub(a, P_ATOM)), P_NEG),
            Node::Select(m, a, b) => (
                format!(
                    "if {} {{ {} }} else {{ {} }}",
                    sub(m, 0),
                    sub(a, 0),
                    sub(b, 0)
                ),
                P_SELECT,
            ),
            Node::Call(c) => {
                let name = ops.get(c.op as usize).map_or("?", |o| o.name.as_str());
                let args = if c.arity == 1 {
                    sub(c.a, 0)
                } else {
                    format!("{}, {}", sub(c.a, 0), sub(c.b, 0))
                };
                let f = match (c.arity, c.out) {
                    (_, 0) => name.to_string(),
                    (1, _) => format!("{name}'"),
                    (_, k) => format!("∂{k}{name}"),
                };
                (format!("{f}({args})"), P_ATOM)
            }
        };
        if uses[id as usize] >= 2 && id != root && t.chars().count() > NAME_LONGER_THAN {
            let name = format!("t{}", defs.len() + 1);
            defs.push(format!("{name} = {t}"));
            text.insert(id, (name, P_ATOM));
        } else {
            text.insert(id, (t, p));
        }
    }
    let body = text.remove(&root).map(|t| t.0).unwrap_or_default();
    if defs.is_empty() {
        body
    } else {
        format!("{}; {body}", defs.join("; "))
    }
}
