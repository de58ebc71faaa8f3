//! Lowering: the checked model ([`crate::parse::Func`]) → nodes of the IR [`Graph`]. `let`
//! bindings only name nodes; `if` becomes a select of both branches; builtins become IR
//! functions (`log(x, b)` and `log10` are lowered to quotients of `ln`).

use crate::errors::Ctxt;
use crate::ir::{Call, Fn1, Graph, Id, Node};
use crate::names::{self, Builtin};
use crate::parse::{BinOp, Block, Cond, Expr, Func, OpCall};
use quote::ToTokens;

/// Another op called from the body.
#[derive(Clone)]
pub struct OpRef {
    /// Path of its kernel type.
    pub kernel: syn::Path,
    /// Its function name, for formula texts.
    pub name: String,
    /// 1 (map) or 2 (zip).
    pub arity: u8,
}

/// Lowers expressions into a graph, with a scope of named nodes.
pub struct Lowering<'a> {
    /// The graph being built.
    pub g: &'a mut Graph,
    /// Ops called so far (indices are stored in `Call` nodes).
    pub ops: &'a mut Vec<OpRef>,
    cx: &'a Ctxt,
    env: Vec<(String, Id)>,
}

impl<'a> Lowering<'a> {
    /// A lowering into `g`, reporting to `cx`.
    pub fn new(g: &'a mut Graph, ops: &'a mut Vec<OpRef>, cx: &'a Ctxt) -> Self {
        Lowering {
            g,
            ops,
            cx,
            env: Vec::new(),
        }
    }

    /// Lowers an op's body with its parameters bound to the inputs `P0`, `P1`; returns the root.
    pub fn lower_fn(&mut self, func: &Func) -> Id {
        for (i, p) in func.params.iter().enumerate() {
            let id = self.g.input(i as u8);
            self.env.push((unraw(p), id));
        }
        self.block(&func.body)
    }

    fn block(&mut self, b: &Block) -> Id {
        let depth = self.env.len();
        for (name, init) in &b.lets {
            let id = self.expr(init);
            self.env.push((unraw(name), id));
        }
        let r = self.expr(&b.result);
        self.env.truncate(depth);
        r
    }

    fn n(&mut self, node: Node) -> Id {
        self.g.add(node)
    }

    /// Lowers a value expression.
    pub fn expr(&mut self, e: &Expr) -> Id {
        match e {
            Expr::Invalid => self.g.constant(0.0),
            Expr::Const(v) => self.g.constant(*v),
            Expr::Var(ident) => {
                let name = unraw(ident);
                if let Some(&(_, id)) = self.env.iter().rev().find(|(n, _)| *n == name) {
                    return id;
                }
                if let Some(v) = names::constant(std::slice::from_ref(&name)) {
                    return self.g.constant(v);
                }
                let known: Vec<String> = self.env.iter().map(|(n, _)| format!("`{n}`")).collect();
                self.cx.error_at(
                    ident,
                    format!(
                        "unknown name `{name}`; in scope: {} (and constants like `f32::consts::PI`)",
                        if known.is_empty() { "nothing".to_string() } else { known.join(", ") }
                    ),
                );
                self.g.constant(0.0)
            }
            Expr::Neg(a) => {
                let a = self.expr(a);
                self.n(Node::Neg(a))
            }
            Expr::Bin(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                self.n(match op {
                    BinOp::Add => Node::Add(a, b),
                    BinOp::Sub => Node::Sub(a, b),
                    BinOp::Mul => Node::Mul(a, b),
                    BinOp::Div => Node::Div(a, b),
                })
            }
            Expr::Builtin(b, args) => {
                let args: Vec<Id> = args.iter().map(|a| self.expr(a)).collect();
                match (b, args.as_slice()) {
                    (Builtin::F1(f), [a]) => self.n(Node::F1(*f, *a)),
                    (Builtin::F2(f), [a, b]) => self.n(Node::F2(*f, *a, *b)),
                    (Builtin::Clamp, [x, lo, hi]) => self.n(Node::Clamp(*x, *lo, *hi)),
                    (Builtin::Log, [a]) => self.n(Node::F1(Fn1::Ln, *a)),
                    (Builtin::Log, [a, base]) => {
                        let la = self.n(Node::F1(Fn1::Ln, *a));
                        let lb = self.n(Node::F1(Fn1::Ln, *base));
                        self.n(Node::Div(la, lb))
                    }
                    (Builtin::Log10, [a]) => {
                        let la = self.n(Node::F1(Fn1::Ln, *a));
                        let l10 = self.g.constant(std::f64::consts::LN_10);
                        self.n(Node::Div(la, l10))
                    }
                    // Arity was checked when parsing.
                    _ => self.g.constant(0.0),
                }
            }
            Expr::Powi(a, n) => {
                let a = self.expr(a);
                self.n(Node::Powi(a, *n))
            }
            Expr::Call(call) => self.call(call),
            Expr::If(cond, then, other) => {
                let m = self.cond(cond);
                let t = self.block(then);
                let e = self.expr(other);
                self.n(Node::Select(m, t, e))
            }
            Expr::Block(b) => self.block(b),
        }
    }

    fn call(&mut self, call: &OpCall) -> Id {
        let args: Vec<Id> = call.args.iter().map(|a| self.expr(a)).collect();
        let arity = args.len() as u8;
        let key = call.kernel.to_token_stream().to_string();
        let op = match self
            .ops
            .iter()
            .position(|o| o.arity == arity && o.kernel.to_token_stream().to_string() == key)
        {
            Some(i) => i,
            None => {
                self.ops.push(OpRef {
                    kernel: call.kernel.clone(),
                    name: call.name.clone(),
                    arity,
                });
                self.ops.len() - 1
            }
        } as u32;
        let a = args[0];
        let b = *args.get(1).unwrap_or(&a);
        self.n(Node::Call(Call {
            op,
            arity,
            a,
            b,
            out: 0,
        }))
    }

    fn cond(&mut self, c: &Cond) -> Id {
        match c {
            Cond::Invalid => self.n(Node::Bool(true)),
            Cond::Bool(b) => self.n(Node::Bool(*b)),
            Cond::Cmp(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                self.n(Node::Cmp(*op, a, b))
            }
            Cond::And(a, b) => {
                let (a, b) = (self.cond(a), self.cond(b));
                self.n(Node::And(a, b))
            }
            Cond::Or(a, b) => {
                let (a, b) = (self.cond(a), self.cond(b));
                self.n(Node::Or(a, b))
            }
            Cond::Not(a) => {
                let a = self.cond(a);
                self.n(Node::Not(a))
            }
        }
    }
}

fn unraw(ident: &syn::Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}
