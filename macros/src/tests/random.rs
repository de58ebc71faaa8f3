//! Random expression trees over the whole body language: printed as Rust source, compiled by
//! the macro's own layers (syn → parse → lower → diff → simplify), and checked against
//! dual-number (forward-mode) evaluation of the tree in `f64`.

use super::eval::{max, min, Real};
use crate::ir::{CmpOp, Fn1, Fn2};
use rand::rngs::StdRng;
use rand::Rng;

/// Function or method syntax for a call.
#[derive(Clone, Copy, Debug)]
pub enum Syntax {
    Method,
    Func,
    Prefixed,
}

/// A random op body.
#[derive(Clone, Debug)]
pub enum T {
    Var(&'static str),
    Lit(f64, String),
    Const(f64, &'static str),
    Neg(Box<T>),
    Bin(char, Box<T>, Box<T>),
    F1(Fn1, Box<T>, Syntax),
    F2(Fn2, Box<T>, Box<T>, Syntax),
    Clamp(Box<T>, Box<T>, Box<T>, Syntax),
    Powi(Box<T>, i32, Syntax),
    LogBase(Box<T>, Box<T>),
    Log10(Box<T>),
    Let(&'static str, Box<T>, Box<T>),
    If(Box<C>, Box<T>, Box<T>),
}

/// A random condition.
#[derive(Clone, Debug)]
pub enum C {
    Cmp(CmpOp, T, T),
    And(Box<C>, Box<C>),
    Or(Box<C>, Box<C>),
    Not(Box<C>),
}

fn call(name: &str, args: &[String], syntax: Syntax) -> String {
    match syntax {
        Syntax::Method => format!("({}).{name}({})", args[0], args[1..].join(", ")),
        Syntax::Func => format!("{name}({})", args.join(", ")),
        Syntax::Prefixed => format!("f64::{name}({})", args.join(", ")),
    }
}

/// Rust source of a tree.
pub fn print(t: &T) -> String {
    match t {
        T::Var(v) => v.to_string(),
        T::Lit(_, s) => s.clone(),
        T::Const(_, p) => p.to_string(),
        T::Neg(a) => format!("(-{})", print(a)),
        T::Bin(op, a, b) => format!("({} {op} {})", print(a), print(b)),
        T::F1(f, a, s) => call(f.name(), &[print(a)], *s),
        T::F2(f, a, b, s) => call(f.name(), &[print(a), print(b)], *s),
        T::Clamp(x, lo, hi, s) => call("clamp", &[print(x), print(lo), print(hi)], *s),
        T::Powi(x, n, s) => call("powi", &[print(x), n.to_string()], *s),
        T::LogBase(x, b) => format!("({}).log({})", print(x), print(b)),
        T::Log10(x) => format!("log10({})", print(x)),
        T::Let(name, v, body) => format!("{{ let {name}: f64 = {}; {} }}", print(v), print(body)),
        T::If(c, a, b) => format!(
            "(if {} {{ {} }} else {})",
            printc(c),
            print(a),
            print_else(b)
        ),
    }
}

fn print_else(t: &T) -> String {
    match t {
        T::If(c, a, b) => format!("if {} {{ {} }} else {}", printc(c), print(a), print_else(b)),
        other => format!("{{ {} }}", print(other)),
    }
}

fn printc(c: &C) -> String {
    match c {
        C::Cmp(op, a, b) => format!("{} {} {}", print(a), op.symbol(), print(b)),
        C::And(a, b) => format!("({} && {})", printc(a), printc(b)),
        C::Or(a, b) => format!("({} || {})", printc(a), printc(b)),
        C::Not(a) => format!("!({})", printc(a)),
    }
}

/// A dual number with a magnitude bound: `v` value, `d` derivative, `m` the derivative with every
/// local derivative replaced by its absolute value (the scale against which rounding errors of
/// a reordered computation are measured).
#[derive(Clone, Copy, Debug)]
pub struct D {
    pub v: f64,
    pub d: f64,
    pub m: f64,
}

fn c(v: f64) -> D {
    D { v, d: 0.0, m: 0.0 }
}

fn chain(v: f64, l: f64, x: D) -> D {
    D {
        v,
        d: l * x.d,
        m: l.abs() * x.m,
    }
}

fn chain2(v: f64, la: f64, a: D, lb: f64, b: D) -> D {
    D {
        v,
        d: la * a.d + lb * b.d,
        m: la.abs() * a.m + lb.abs() * b.m,
    }
}

/// Forward-mode evaluation; `margin` tracks the smallest relative distance to a point where
/// the function is not differentiable (a condition boundary, a kink of relu/abs/max/min/clamp).
pub struct Dual<'a> {
    pub env: Vec<(&'static str, D)>,
    pub margin: &'a mut f64,
}

impl Dual<'_> {
    fn near(&mut self, a: f64, b: f64) {
        let scale = a.abs().max(b.abs()).max(1e-300);
        let r = (a - b).abs() / scale;
        if r.is_nan() {
            *self.margin = 0.0;
        } else {
            *self.margin = self.margin.min(r);
        }
    }

    pub fn eval(&mut self, t: &T) -> D {
        match t {
            T::Var(v) => {
                self.env
                    .iter()
                    .rev()
                    .find(|(n, _)| n == v)
                    .expect("in scope")
                    .1
            }
            T::Lit(v, _) | T::Const(v, _) => c(*v),
            T::Neg(a) => {
                let a = self.eval(a);
                chain(-a.v, -1.0, a)
            }
            T::Bin(op, a, b) => {
                let (a, b) = (self.eval(a), self.eval(b));
                match op {
                    '+' => chain2(a.v + b.v, 1.0, a, 1.0, b),
                    '-' => chain2(a.v - b.v, 1.0, a, -1.0, b),
                    '*' => chain2(a.v * b.v, b.v, a, a.v, b),
                    _ => {
                        let q = a.v / b.v;
                        chain2(q, 1.0 / b.v, a, -q / b.v, b)
                    }
                }
            }
            T::F1(f, a, _) => {
                let a = self.eval(a);
                self.f1(*f, a)
            }
            T::F2(f, a, b, _) => {
                let (a, b) = (self.eval(a), self.eval(b));
                match f {
                    Fn2::Max => {
                        self.near(a.v, b.v);
                        let v = max(a.v, b.v);
                        if a.v >= b.v {
                            chain(v, 1.0, a)
                        } else {
                            chain(v, 1.0, b)
                        }
                    }
                    Fn2::Min => {
                        self.near(a.v, b.v);
                        let v = min(a.v, b.v);
                        if a.v <= b.v {
                            chain(v, 1.0, a)
                        } else {
                            chain(v, 1.0, b)
                        }
                    }
                    Fn2::Powf => {
                        let v = a.v.powf(b.v);
                        let la = b.v * a.v.powf(b.v - 1.0);
                        let lb = a.v.ln() * v;
                        chain2(v, la, a, lb, b)
                    }
                }
            }
            T::Clamp(x, lo, hi, _) => {
                let (x, lo, hi) = (self.eval(x), self.eval(lo), self.eval(hi));
                self.near(x.v, lo.v);
                let m = if x.v >= lo.v { x } else { lo };
                let m = D {
                    v: max(x.v, lo.v),
                    ..m
                };
                self.near(m.v, hi.v);
                let out = if m.v <= hi.v { m } else { hi };
                D {
                    v: min(m.v, hi.v),
                    ..out
                }
            }
            T::Powi(x, n, _) => {
                let x = self.eval(x);
                let l = if *n == 0 {
                    0.0
                } else {
                    *n as f64 * x.v.powi(n - 1)
                };
                chain(x.v.powi(*n), l, x)
            }
            T::LogBase(x, b) => {
                let (x, b) = (self.eval(x), self.eval(b));
                let (lx, lb) = (x.v.ln(), b.v.ln());
                let q = lx / lb;
                chain2(q, 1.0 / (x.v * lb), x, -q / (b.v * lb), b)
            }
            T::Log10(x) => {
                let x = self.eval(x);
                let l10 = std::f64::consts::LN_10;
                chain(x.v.ln() / l10, 1.0 / (x.v * l10), x)
            }
            T::Let(name, v, body) => {
                let v = self.eval(v);
                self.env.push((name, v));
                let r = self.eval(body);
                self.env.pop();
                r
            }
            T::If(cond, a, b) => {
                let m = self.cond(cond);
                // Both branches are evaluated (as the kernel does) so kinks in either count.
                let (a, b) = (self.eval(a), self.eval(b));
                if m {
                    a
                } else {
                    b
                }
            }
        }
    }

    fn cond(&mut self, c: &C) -> bool {
        match c {
            C::Cmp(op, a, b) => {
                let (a, b) = (self.eval(a), self.eval(b));
                self.near(a.v, b.v);
                op.eval(a.v, b.v)
            }
            C::And(a, b) => {
                let (a, b) = (self.cond(a), self.cond(b));
                a & b
            }
            C::Or(a, b) => {
                let (a, b) = (self.cond(a), self.cond(b));
                a | b
            }
            C::Not(a) => !self.cond(a),
        }
    }

    fn f1(&mut self, f: Fn1, a: D) -> D {
        // Values exactly as the interpreter computes them; local derivatives in the textbook
        // forward-mode form (from the value where that is the usual rule).
        let x = a.v;
        let v = <f64 as Real>::std1(f, x);
        let l = match f {
            Fn1::Exp => v,
            Fn1::Exp2 => v * std::f64::consts::LN_2,
            Fn1::Ln => 1.0 / x,
            Fn1::Log2 => 1.0 / (x * std::f64::consts::LN_2),
            Fn1::Log1p => 1.0 / (1.0 + x),
            Fn1::Expm1 => x.exp(),
            Fn1::Sqrt => 0.5 / v,
            Fn1::Rsqrt => -0.5 * v / x,
            Fn1::Recip => -(v * v),
            Fn1::Abs => {
                self.near(x, 0.0);
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Fn1::Signum | Fn1::Floor | Fn1::Ceil | Fn1::Round => 0.0,
            Fn1::Tanh => 1.0 - v * v,
            Fn1::Sigmoid => v * (1.0 - v),
            Fn1::Relu => {
                self.near(x, 0.0);
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Fn1::Sin => x.cos(),
            Fn1::Cos => -x.sin(),
            Fn1::Erf => std::f64::consts::FRAC_2_SQRT_PI * (-(x * x)).exp(),
        };
        chain(v, l, a)
    }
}

/// Generates random trees over `params` (and `let` names).
pub struct Gen<'r> {
    pub rng: &'r mut StdRng,
}

const LITS: &[(f64, &str)] = &[
    (0.5, "0.5"),
    (2.0, "2"),
    (1.0, "1.0"),
    (3.0, "3.0"),
    (0.25, "0.25"),
    (1.5, "1.5"),
    (0.1, "0.1"),
    (0.044715, "0.044_715"),
    (10.0, "1e1"),
    (0.0, "0.0"),
];

const CONSTS: &[(f64, &str)] = &[
    (std::f64::consts::PI, "core::f64::consts::PI"),
    (std::f64::consts::LN_2, "std::f64::consts::LN_2"),
    (std::f64::consts::E, "f64::consts::E"),
    (
        std::f64::consts::FRAC_1_SQRT_2,
        "f64::consts::FRAC_1_SQRT_2",
    ),
];

const CMPS: [CmpOp; 6] = [
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
    CmpOp::Eq,
    CmpOp::Ne,
];

impl Gen<'_> {
    fn syntax(&mut self) -> Syntax {
        match self.rng.gen_range(0..5) {
            0 | 1 => Syntax::Method,
            2 | 3 => Syntax::Func,
            _ => Syntax::Prefixed,
        }
    }

    fn leaf(&mut self, scope: &[&'static str]) -> T {
        match self.rng.gen_range(0..10) {
            0..=5 => T::Var(scope[self.rng.gen_range(0..scope.len())]),
            6..=8 => {
                let (v, s) = LITS[self.rng.gen_range(0..LITS.len())];
                T::Lit(v, s.to_string())
            }
            _ => {
                let (v, s) = CONSTS[self.rng.gen_range(0..CONSTS.len())];
                T::Const(v, s)
            }
        }
    }

    /// Keeps logarithms and roots mostly in their domain: `abs(t) + 0.5`.
    fn positive(&mut self, t: T) -> T {
        if self.rng.gen_bool(0.7) {
            T::Bin(
                '+',
                Box::new(T::F1(Fn1::Abs, Box::new(t), Syntax::Method)),
                Box::new(T::Lit(0.5, "0.5".into())),
            )
        } else {
            t
        }
    }

    pub fn tree(&mut self, depth: u32, scope: &mut Vec<&'static str>) -> T {
        if depth == 0 {
            return self.leaf(scope);
        }
        let d = depth - 1;
        let b = |t: T| Box::new(t);
        match self.rng.gen_range(0..20) {
            0..=5 => {
                let op = ['+', '-', '*', '/'][self.rng.gen_range(0..4)];
                T::Bin(op, b(self.tree(d, scope)), b(self.tree(d, scope)))
            }
            6..=9 => {
                let f = Fn1::ALL[self.rng.gen_range(0..Fn1::ALL.len())];
                let mut a = self.tree(d, scope);
                if matches!(f, Fn1::Ln | Fn1::Log2 | Fn1::Sqrt | Fn1::Rsqrt | Fn1::Log1p) {
                    a = self.positive(a);
                }
                let s = self.syntax();
                T::F1(f, b(a), s)
            }
            10 => {
                let f = [Fn2::Max, Fn2::Min, Fn2::Powf][self.rng.gen_range(0..3)];
                let mut a = self.tree(d, scope);
                if f == Fn2::Powf {
                    a = self.positive(a);
                }
                let s = self.syntax();
                T::F2(f, b(a), b(self.tree(d, scope)), s)
            }
            11 => {
                let s = self.syntax();
                let lo = self.tree(d.min(1), scope);
                let hi = T::Bin('+', b(lo.clone()), b(T::Lit(1.0, "1.0".into())));
                T::Clamp(b(self.tree(d, scope)), b(lo), b(hi), s)
            }
            12 => {
                let n = self.rng.gen_range(-3..=4);
                let s = self.syntax();
                T::Powi(b(self.tree(d, scope)), n, s)
            }
            13 => T::Neg(b(self.tree(d, scope))),
            14 => {
                if self.rng.gen_bool(0.5) {
                    let x = self.tree(d, scope);
                    let x = self.positive(x);
                    let base = T::Lit(2.0, "2.0".into());
                    T::LogBase(b(x), b(base))
                } else {
                    let x = self.tree(d, scope);
                    T::Log10(b(self.positive(x)))
                }
            }
            15 | 16 => {
                let name = ["t", "u", "a"][self.rng.gen_range(0..3)];
                let v = self.tree(d, scope);
                scope.push(name);
                let body = self.tree(d, scope);
                scope.pop();
                T::Let(name, b(v), b(body))
            }
            _ => {
                let cond = self.cond(d, scope);
                let then = self.tree(d, scope);
                let other = if self.rng.gen_bool(0.3) && d > 0 {
                    let c2 = self.cond(d - 1, scope);
                    T::If(
                        Box::new(c2),
                        b(self.tree(d - 1, scope)),
                        b(self.tree(d - 1, scope)),
                    )
                } else {
                    self.tree(d, scope)
                };
                T::If(Box::new(cond), b(then), b(other))
            }
        }
    }

    fn cond(&mut self, depth: u32, scope: &mut Vec<&'static str>) -> C {
        let d = depth.min(2);
        match self.rng.gen_range(0..8) {
            0 => C::And(Box::new(self.cmp(d, scope)), Box::new(self.cmp(d, scope))),
            1 => C::Or(Box::new(self.cmp(d, scope)), Box::new(self.cmp(d, scope))),
            2 => C::Not(Box::new(self.cmp(d, scope))),
            _ => self.cmp(d, scope),
        }
    }

    fn cmp(&mut self, depth: u32, scope: &mut Vec<&'static str>) -> C {
        let op = CMPS[self.rng.gen_range(0..6)];
        let (a, b) = (self.tree(depth.saturating_sub(1), scope), self.leaf(scope));
        C::Cmp(op, a, b)
    }
}
