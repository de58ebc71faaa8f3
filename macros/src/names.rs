//! Names the body language knows: builtin functions, named constants, near-miss detection, and
//! the UpperCamelCase kernel name derived from an op's function name.

use crate::ir::{Fn1, Fn2};

/// A function of the body language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// A unary function.
    F1(Fn1),
    /// `max`, `min`, `powf`.
    F2(Fn2),
    /// `clamp(x, lo, hi)`.
    Clamp,
    /// `powi(x, n)` with an integer literal `n`.
    Powi,
    /// `log(x)` = `ln(x)`; `log(x, base)` = `ln(x) / ln(base)`.
    Log,
    /// `log10(x)` = `ln(x) / ln(10)`.
    Log10,
}

impl Builtin {
    /// Accepted numbers of arguments (the receiver of a method call counts).
    pub fn arities(self) -> &'static [usize] {
        match self {
            Builtin::F1(_) | Builtin::Log10 => &[1],
            Builtin::F2(_) | Builtin::Powi => &[2],
            Builtin::Clamp => &[3],
            Builtin::Log => &[1, 2],
        }
    }
}

/// Every supported function, for error messages.
pub const SUPPORTED: &str = "exp, exp2, ln, log, log2, log10, log1p (ln_1p), expm1 (exp_m1), \
     sqrt, rsqrt, recip, abs, signum, max, min, clamp, powi, powf, tanh, sigmoid, relu, sin, \
     cos, erf, floor, ceil, round";

/// Resolves a builtin function name (method or function syntax).
pub fn builtin(name: &str) -> Option<Builtin> {
    let f1 = |f| Some(Builtin::F1(f));
    match name {
        "exp" => f1(Fn1::Exp),
        "exp2" => f1(Fn1::Exp2),
        "ln" => f1(Fn1::Ln),
        "log2" => f1(Fn1::Log2),
        "log1p" | "ln_1p" => f1(Fn1::Log1p),
        "expm1" | "exp_m1" => f1(Fn1::Expm1),
        "sqrt" => f1(Fn1::Sqrt),
        "rsqrt" => f1(Fn1::Rsqrt),
        "recip" => f1(Fn1::Recip),
        "abs" => f1(Fn1::Abs),
        "signum" => f1(Fn1::Signum),
        "tanh" => f1(Fn1::Tanh),
        "sigmoid" => f1(Fn1::Sigmoid),
        "relu" => f1(Fn1::Relu),
        "sin" => f1(Fn1::Sin),
        "cos" => f1(Fn1::Cos),
        "erf" => f1(Fn1::Erf),
        "floor" => f1(Fn1::Floor),
        "ceil" => f1(Fn1::Ceil),
        "round" => f1(Fn1::Round),
        "max" => Some(Builtin::F2(Fn2::Max)),
        "min" => Some(Builtin::F2(Fn2::Min)),
        "powf" => Some(Builtin::F2(Fn2::Powf)),
        "clamp" => Some(Builtin::Clamp),
        "powi" => Some(Builtin::Powi),
        "log" => Some(Builtin::Log),
        "log10" => Some(Builtin::Log10),
        _ => None,
    }
}

const BUILTIN_NAMES: &[&str] = &[
    "exp", "exp2", "ln", "log", "log2", "log10", "log1p", "ln_1p", "expm1", "exp_m1", "sqrt",
    "rsqrt", "recip", "abs", "signum", "max", "min", "clamp", "powi", "powf", "tanh", "sigmoid",
    "relu", "sin", "cos", "erf", "floor", "ceil", "round",
];

/// Well-known math functions the body language does not support (yet). A call to one of these
/// is an error rather than a call to a user op of that name.
pub const KNOWN_UNSUPPORTED: &[&str] = &[
    "tan",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "asin",
    "acos",
    "asinh",
    "acosh",
    "atanh",
    "cbrt",
    "hypot",
    "mul_add",
    "trunc",
    "fract",
    "copysign",
    "sin_cos",
    "exp10",
    "rem_euclid",
    "div_euclid",
    "to_degrees",
    "to_radians",
    "erfc",
    "gamma",
    "ln_gamma",
    "pow",
    "is_nan",
    "is_finite",
];

/// Optimal-string-alignment distance (edits and adjacent transpositions).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The builtin a misspelt name most likely meant: same first letter, and one edit away for
/// names of up to four letters, two for longer ones (`tahn`, `sigmiod`, `sqrtt`). Names like
/// `gelu` or `elu` are not flagged. A user op whose name is this close to a builtin can still be
/// called through a path: `self::max2(a, b)`.
pub fn near_builtin(name: &str) -> Option<&'static str> {
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    BUILTIN_NAMES
        .iter()
        .filter(|b| b.chars().next() == name.chars().next())
        .map(|b| (edit_distance(name, b), *b))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, b)| b)
}

/// `running_max` → `RunningMax`, `smooth_l1` → `SmoothL1`.
pub fn upper_camel(name: &str) -> String {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let mut out = String::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    // `_6` would give `6`, which is not an identifier (and `Ident::new` panics): prefix it.
    if !out.starts_with(|c: char| c.is_alphabetic()) {
        out.insert_str(0, "Op");
    }
    out
}

/// The value of a mathematical constant of `core::f64::consts` by name.
fn math_const(name: &str) -> Option<f64> {
    use std::f64::consts::*;
    Some(match name {
        "PI" => PI,
        "TAU" => TAU,
        "E" => E,
        "SQRT_2" => SQRT_2,
        "FRAC_1_SQRT_2" => FRAC_1_SQRT_2,
        "LN_2" => LN_2,
        "LN_10" => LN_10,
        "LOG2_E" => LOG2_E,
        "LOG10_E" => LOG10_E,
        "LOG2_10" => LOG2_10,
        "LOG10_2" => LOG10_2,
        "FRAC_PI_2" => FRAC_PI_2,
        "FRAC_PI_3" => FRAC_PI_3,
        "FRAC_PI_4" => FRAC_PI_4,
        "FRAC_PI_6" => FRAC_PI_6,
        "FRAC_PI_8" => FRAC_PI_8,
        "FRAC_1_PI" => FRAC_1_PI,
        "FRAC_2_PI" => FRAC_2_PI,
        "FRAC_2_SQRT_PI" => FRAC_2_SQRT_PI,
        _ => return None,
    })
}

/// The value of a type-associated constant (`f32::EPSILON`), for the type the user named.
fn assoc_const(ty: &str, name: &str) -> Option<f64> {
    let f32_ = ty == "f32";
    Some(match name {
        "INFINITY" => f64::INFINITY,
        "NEG_INFINITY" => f64::NEG_INFINITY,
        "NAN" => f64::NAN,
        "MAX" if f32_ => f32::MAX as f64,
        "MAX" => f64::MAX,
        "MIN" if f32_ => f32::MIN as f64,
        "MIN" => f64::MIN,
        "MIN_POSITIVE" if f32_ => f32::MIN_POSITIVE as f64,
        "MIN_POSITIVE" => f64::MIN_POSITIVE,
        "EPSILON" if f32_ => f32::EPSILON as f64,
        "EPSILON" => f64::EPSILON,
        _ => return None,
    })
}

/// Resolves a constant path: `[core|std]::f32::consts::PI`, `f32::consts::PI`, `consts::PI`,
/// a bare `PI` (when imported), `f32::INFINITY`, `[core|std]::f32::EPSILON` (f64 likewise).
pub fn constant(segments: &[String]) -> Option<f64> {
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let s = match s.first() {
        Some(&"core") | Some(&"std") => &s[1..],
        _ => &s[..],
    };
    match s {
        [name] => math_const(name),
        ["consts", name] => math_const(name),
        [ty, "consts", name] if *ty == "f32" || *ty == "f64" => math_const(name),
        [ty, name] if *ty == "f32" || *ty == "f64" => assoc_const(ty, name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_names_are_upper_camel_case() {
        assert_eq!(upper_camel("gelu"), "Gelu");
        assert_eq!(upper_camel("running_max"), "RunningMax");
        assert_eq!(upper_camel("smooth_l1"), "SmoothL1");
        assert_eq!(upper_camel("_private_op"), "PrivateOp");
    }

    #[test]
    fn misspelt_builtins_are_recognised_but_user_names_are_not() {
        assert_eq!(near_builtin("tahn"), Some("tanh"));
        assert_eq!(near_builtin("sigmiod"), Some("sigmoid"));
        assert_eq!(near_builtin("gelu"), None);
        assert_eq!(near_builtin("elu"), None);
        assert_eq!(near_builtin("softplus"), None);
        assert_eq!(near_builtin("smooth_l1"), None);
    }

    #[test]
    fn constants_resolve_by_path() {
        let p = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
        assert_eq!(
            constant(&p("core::f32::consts::PI")),
            Some(std::f64::consts::PI)
        );
        assert_eq!(
            constant(&p("f64::consts::LN_2")),
            Some(std::f64::consts::LN_2)
        );
        assert_eq!(constant(&p("f32::NEG_INFINITY")), Some(f64::NEG_INFINITY));
        assert_eq!(constant(&p("f32::EPSILON")), Some(f32::EPSILON as f64));
        assert_eq!(constant(&p("f32::consts::NOPE")), None);
    }
}
