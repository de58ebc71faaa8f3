//! Random functions written in the kernel DSL, drawn from fuzz bytes: every construct the
//! macro crate documents as supported (literals, named constants, `+ - * /`, unary `-`, `let`,
//! blocks, `if … else if … else` with `< <= > >= == != && || !`, every builtin in method,
//! function and `f32::f(x)` syntax, `powi`, `log` with a base, `clamp`).

use arbitrary::{Result, Unstructured};

const F1: &[&str] = &[
    "exp", "exp2", "ln", "log2", "log1p", "ln_1p", "expm1", "exp_m1", "sqrt", "rsqrt", "recip",
    "abs", "signum", "tanh", "sigmoid", "relu", "sin", "cos", "erf", "floor", "ceil", "round",
    "log10", "log",
];
const F2: &[&str] = &["max", "min", "powf", "log"];
const LITS: &[&str] = &[
    "0.0",
    "1.0",
    "2.0",
    "0.5",
    "3",
    "1e-3",
    "1.5e2",
    "0.797_884_6",
    "1_000.0",
    "0.",
    "7e0",
];
const CONSTS: &[&str] = &[
    "PI",
    "f32::consts::PI",
    "core::f64::consts::LN_2",
    "std::f32::consts::E",
    "f64::INFINITY",
    "f32::NEG_INFINITY",
    "f32::NAN",
    "f64::MAX",
    "f32::MIN",
    "f32::MIN_POSITIVE",
    "f64::EPSILON",
];
const CMP: &[&str] = &["<", "<=", ">", ">=", "==", "!="];

struct Gen<'u, 'a> {
    u: &'u mut Unstructured<'a>,
    ty: &'static str,
    scope: Vec<String>,
    lets: usize,
}

impl Gen<'_, '_> {
    fn pick<'s>(&mut self, xs: &'s [&'s str]) -> Result<&'s str> {
        Ok(*self.u.choose(xs)?)
    }

    fn leaf(&mut self) -> Result<String> {
        Ok(match self.u.int_in_range(0u8..=9)? {
            0..=5 => self.u.choose(&self.scope)?.clone(),
            6..=8 => self.pick(LITS)?.to_string(),
            _ => self.pick(CONSTS)?.to_string(),
        })
    }

    fn call(&mut self, f: &str, args: &[String]) -> Result<String> {
        Ok(match self.u.int_in_range(0u8..=2)? {
            0 => format!("({}).{f}({})", args[0], args[1..].join(", ")),
            1 => format!("{f}({})", args.join(", ")),
            _ => format!("{}::{f}({})", self.ty, args.join(", ")),
        })
    }

    fn expr(&mut self, depth: u32) -> Result<String> {
        if depth == 0 || self.u.is_empty() {
            return self.leaf();
        }
        let d = depth - 1;
        Ok(match self.u.int_in_range(0u8..=12)? {
            0..=3 => {
                let op = self.pick(&["+", "-", "*", "/"])?;
                format!("({} {op} {})", self.expr(d)?, self.expr(d)?)
            }
            4 => format!("(-{})", self.expr(d)?),
            5 | 6 => {
                let f = self.pick(F1)?;
                let a = self.expr(d)?;
                if f == "log10" || f == "log" {
                    format!("{f}({a})")
                } else {
                    self.call(f, &[a])?
                }
            }
            7 => {
                let f = self.pick(F2)?;
                let (a, b) = (self.expr(d)?, self.expr(d)?);
                self.call(f, &[a, b])?
            }
            8 => {
                let (x, lo, hi) = (self.expr(d)?, self.expr(d)?, self.expr(d)?);
                self.call("clamp", &[x, lo, hi])?
            }
            9 => {
                let n = self.u.int_in_range(-3i32..=6)?;
                let x = self.expr(d)?;
                self.call("powi", &[x, n.to_string()])?
            }
            10 if self.lets < 4 => {
                let name = format!("t{}", self.lets);
                self.lets += 1;
                let value = self.expr(d)?;
                let annot = if self.u.arbitrary()? {
                    format!(": {}", self.ty)
                } else {
                    String::new()
                };
                self.scope.push(name.clone());
                let body = self.expr(d)?;
                self.scope.pop();
                format!("{{ let {name}{annot} = {value}; {body} }}")
            }
            _ => {
                let mut s = format!("(if {} {{ {} }}", self.cond(d)?, self.expr(d)?);
                for _ in 0..3 {
                    if self.u.is_empty() || !self.u.ratio(1u8, 3u8)? {
                        break;
                    }
                    s += &format!(" else if {} {{ {} }}", self.cond(d)?, self.expr(d)?);
                }
                s += &format!(" else {{ {} }})", self.expr(d)?);
                s
            }
        })
    }

    fn cond(&mut self, depth: u32) -> Result<String> {
        let d = depth.saturating_sub(1);
        Ok(match self.u.int_in_range(0u8..=5)? {
            0 if depth > 0 => format!("({} && {})", self.cond(d)?, self.cond(d)?),
            1 if depth > 0 => format!("({} || {})", self.cond(d)?, self.cond(d)?),
            2 if depth > 0 => format!("!({})", self.cond(d)?),
            _ => {
                let op = self.pick(CMP)?;
                format!("{} {op} {}", self.expr(d)?, self.expr(d)?)
            }
        })
    }
}

/// A random op: `(attribute: 0 map, 1 zip, 2 reduce, attribute args, the function)`.
///
/// # Errors
/// When the bytes run out before a choice (the fuzz target skips such inputs).
pub fn random_op(u: &mut Unstructured<'_>) -> Result<(u8, String, String)> {
    let attr = u.int_in_range(0u8..=2)?;
    let ty = if u.arbitrary()? { "f32" } else { "f64" };
    let params: &[&str] = match attr {
        0 => &["x"],
        1 => &["a", "b"],
        _ => &["acc", "x"],
    };
    let depth = u.int_in_range(0u32..=6)?;
    let mut g = Gen {
        u,
        ty,
        scope: params.iter().map(|s| s.to_string()).collect(),
        lets: 0,
    };
    let body = g.expr(depth)?;
    let mut args = Vec::new();
    if attr == 2 {
        let id = g.pick(&["0.0", "1.0", "f32::NEG_INFINITY", "f64::INFINITY", "-1.5"])?;
        args.push(format!("identity = {id}"));
    }
    if g.u.arbitrary()? {
        args.push("name = FuzzKernel".to_string());
    }
    if g.u.arbitrary()? {
        args.push("crate = \"::my::simdgrad\"".to_string());
    }
    if g.u.arbitrary()? {
        args.reverse();
    }
    let sig = params
        .iter()
        .map(|p| format!("{p}: {ty}"))
        .collect::<Vec<_>>()
        .join(", ");
    let item = format!("/// A fuzzed op.\npub fn fuzzed({sig}) -> {ty} {{ {body} }}");
    Ok((attr, args.join(", "), item))
}
