//! An IR interpreter generic over `f32`/`f64`, with the runtime's documented semantics
//! (NaN-propagating `max`/`min`, `relu(NaN) = NaN`, stable sigmoid, `signum(±0) = ±0`).

use crate::ir::{Fn1, Fn2, Graph, Id, Node};
use std::ops::{Add, Div, Mul, Neg, Sub};

/// The float operations the interpreter needs.
pub trait Real:
    Copy
    + PartialOrd
    + std::fmt::Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    fn of(v: f64) -> Self;
    fn f64(self) -> f64;
    fn bits(self) -> u64;
    fn is_nan(self) -> bool;
    fn std1(f: Fn1, x: Self) -> Self;
    fn powf(x: Self, y: Self) -> Self;
    fn powi(x: Self, n: i32) -> Self;
}

/// Error function (Abramowitz–Stegun 7.1.26 refined with a series near 0); the tests only need
/// a smooth odd function with erf' = 2/√π·e^(−x²) up to its own accuracy, used identically by
/// both evaluators.
pub fn erf64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let ax = x.abs();
    let r = if ax < 2.0 {
        // Maclaurin series, converges well for |x| < 2.
        let mut term = ax;
        let mut sum = ax;
        let x2 = ax * ax;
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= -x2 / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() <= 1e-17 * sum.abs() || n > 200.0 {
                break;
            }
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    } else {
        // Continued fraction for erfc.
        let x2 = ax * ax;
        let mut f = 0.0;
        for k in (1..60).rev() {
            f = (k as f64 / 2.0) / (ax + f);
        }
        1.0 - (-x2).exp() / (std::f64::consts::PI.sqrt() * (ax + f))
    };
    if x < 0.0 {
        -r
    } else {
        r
    }
}

macro_rules! real {
    ($t:ident) => {
        impl Real for $t {
            fn of(v: f64) -> Self {
                v as $t
            }
            fn f64(self) -> f64 {
                self as f64
            }
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            fn std1(f: Fn1, x: Self) -> Self {
                match f {
                    Fn1::Exp => x.exp(),
                    Fn1::Exp2 => x.exp2(),
                    Fn1::Ln => x.ln(),
                    Fn1::Log2 => x.log2(),
                    Fn1::Log1p => x.ln_1p(),
                    Fn1::Expm1 => x.exp_m1(),
                    Fn1::Sqrt => x.sqrt(),
                    Fn1::Rsqrt => 1.0 / x.sqrt(),
                    Fn1::Recip => 1.0 / x,
                    Fn1::Abs => x.abs(),
                    Fn1::Signum => {
                        if x == 0.0 || x.is_nan() {
                            x
                        } else {
                            x.signum()
                        }
                    }
                    Fn1::Tanh => x.tanh(),
                    Fn1::Sigmoid => {
                        if x >= 0.0 {
                            1.0 / (1.0 + (-x).exp())
                        } else {
                            let e = x.exp();
                            e / (1.0 + e)
                        }
                    }
                    Fn1::Relu => {
                        if x > 0.0 || x.is_nan() {
                            x
                        } else {
                            0.0
                        }
                    }
                    Fn1::Sin => x.sin(),
                    Fn1::Cos => x.cos(),
                    Fn1::Erf => erf64(x as f64) as $t,
                    Fn1::Floor => x.floor(),
                    Fn1::Ceil => x.ceil(),
                    Fn1::Round => x.round(),
                }
            }
            fn powf(x: Self, y: Self) -> Self {
                x.powf(y)
            }
            fn powi(x: Self, n: i32) -> Self {
                x.powi(n)
            }
        }
    };
}
real!(f32);
real!(f64);

/// NaN-propagating max (the runtime's `max`).
pub fn max<T: Real>(a: T, b: T) -> T {
    if a.is_nan() {
        a
    } else if b.is_nan() || b > a {
        b
    } else {
        a
    }
}

/// NaN-propagating min.
pub fn min<T: Real>(a: T, b: T) -> T {
    if a.is_nan() {
        a
    } else if b.is_nan() || b < a {
        b
    } else {
        a
    }
}

#[derive(Clone, Copy, Debug)]
enum Val<T> {
    F(T),
    B(bool),
}

impl<T: Real> Val<T> {
    fn f(self) -> T {
        match self {
            Val::F(v) => v,
            Val::B(_) => panic!("mask used as a value"),
        }
    }
    fn b(self) -> bool {
        match self {
            Val::B(v) => v,
            Val::F(_) => panic!("value used as a mask"),
        }
    }
}

/// Evaluates `outputs` of `g` with `Input(i)` = `inputs[i]`.
pub fn eval<T: Real>(g: &Graph, outputs: &[Id], inputs: [T; 4]) -> Vec<T> {
    let live = g.reachable(outputs);
    let mut vals: Vec<Val<T>> = Vec::with_capacity(g.len());
    for id in 0..g.len() as Id {
        if !live[id as usize] {
            vals.push(Val::B(false));
            continue;
        }
        let f = |i: Id| vals[i as usize].f();
        let b = |i: Id| vals[i as usize].b();
        let v = match g.node(id) {
            Node::Input(i) => Val::F(inputs[i as usize]),
            Node::Const(bits) => Val::F(T::of(f64::from_bits(bits))),
            Node::Bool(v) => Val::B(v),
            Node::Add(x, y) => Val::F(f(x) + f(y)),
            Node::Sub(x, y) => Val::F(f(x) - f(y)),
            Node::Mul(x, y) => Val::F(f(x) * f(y)),
            Node::Div(x, y) => Val::F(f(x) / f(y)),
            Node::Neg(x) => Val::F(-f(x)),
            Node::F1(k, x) => Val::F(T::std1(k, f(x))),
            Node::F2(Fn2::Max, x, y) => Val::F(max(f(x), f(y))),
            Node::F2(Fn2::Min, x, y) => Val::F(min(f(x), f(y))),
            Node::F2(Fn2::Powf, x, y) => Val::F(T::powf(f(x), f(y))),
            Node::Powi(x, n) => Val::F(T::powi(f(x), n)),
            Node::Clamp(x, lo, hi) => Val::F(min(max(f(x), f(lo)), f(hi))),
            Node::Cmp(op, x, y) => Val::B(op.eval(f(x), f(y))),
            Node::And(x, y) => Val::B(b(x) & b(y)),
            Node::Or(x, y) => Val::B(b(x) | b(y)),
            Node::Not(x) => Val::B(!b(x)),
            Node::Select(m, x, y) => Val::F(if b(m) { f(x) } else { f(y) }),
            Node::Call(_) => panic!("the interpreter does not know other ops"),
        };
        vals.push(v);
    }
    outputs.iter().map(|&o| vals[o as usize].f()).collect()
}
