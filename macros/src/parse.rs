//! Parse: the user's `syn::ItemFn` → a typed model of the op ([`Func`]) that keeps the idents
//! (and so the spans) it needs for later errors. Everything outside the body language is
//! reported here, all at once, with the offending tokens' spans.

use crate::errors::Ctxt;
use crate::ir::CmpOp;
use crate::names::{self, Builtin};

/// Which macro the function was annotated with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `#[simdgrad::map]`: one input.
    Map,
    /// `#[simdgrad::zip]`: two inputs.
    Zip,
    /// `#[simdgrad::reduce]`: `(acc, x)`.
    Reduce,
}

impl Kind {
    /// The attribute's name.
    pub fn attr(self) -> &'static str {
        match self {
            Kind::Map => "map",
            Kind::Zip => "zip",
            Kind::Reduce => "reduce",
        }
    }

    fn param_help(self) -> &'static str {
        match self {
            Kind::Map => "one float parameter, e.g. `fn gelu(x: f32) -> f32`",
            Kind::Zip => "two float parameters, e.g. `fn smooth_l1(a: f32, b: f32) -> f32`",
            Kind::Reduce => {
                "two float parameters, the accumulator then the element, e.g. \
                 `fn running_max(acc: f32, x: f32) -> f32`"
            }
        }
    }

    /// Number of parameters the op takes.
    pub fn arity(self) -> usize {
        match self {
            Kind::Map => 1,
            Kind::Zip | Kind::Reduce => 2,
        }
    }
}

/// The float type the user wrote (the generated kernel is generic; this type is used for the
/// scalar function kept under the user's name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatTy {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

/// The op, as checked.
pub struct Func {
    /// The function's name.
    pub ident: syn::Ident,
    /// The element type of its signature.
    pub float: FloatTy,
    /// Parameter names.
    pub params: Vec<syn::Ident>,
    /// The body.
    pub body: Block,
}

/// `{ let …; let …; result }`.
pub struct Block {
    /// The `let` bindings, in order.
    pub lets: Vec<(syn::Ident, Expr)>,
    /// The final expression.
    pub result: Expr,
}

/// `+ - * /`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// A value expression of the body language.
pub enum Expr {
    /// A parameter, a `let` binding or a bare constant name (`PI`), resolved when lowering.
    Var(syn::Ident),
    /// A literal or a named constant.
    Const(f64),
    /// `-e`.
    Neg(Box<Expr>),
    /// `a op b`.
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// A builtin function, receiver first for method syntax.
    Builtin(Builtin, Vec<Expr>),
    /// `powi(x, n)`.
    Powi(Box<Expr>, i32),
    /// A call to another annotated op.
    Call(OpCall),
    /// `if cond { block } else expr`.
    If(Box<Cond>, Box<Block>, Box<Expr>),
    /// `{ … }`.
    Block(Box<Block>),
    /// Something already reported as an error.
    Invalid,
}

/// A call to another `#[map]` / `#[zip]` op.
pub struct OpCall {
    /// The path of its kernel type (last segment in UpperCamelCase), spanned at the user's call.
    pub kernel: syn::Path,
    /// The function name as the user wrote it.
    pub name: String,
    /// Arguments.
    pub args: Vec<Expr>,
}

/// An `if` condition.
pub enum Cond {
    /// `a op b`.
    Cmp(CmpOp, Expr, Expr),
    /// `a && b`.
    And(Box<Cond>, Box<Cond>),
    /// `a || b`.
    Or(Box<Cond>, Box<Cond>),
    /// `!a`.
    Not(Box<Cond>),
    /// `true` / `false`.
    Bool(bool),
    /// Already reported.
    Invalid,
}

const LANGUAGE: &str = "the body language supports float parameters and literals, named \
     constants (`f32::consts::PI`, `f32::INFINITY`, …), `+ - * /`, unary `-`, `let` bindings, \
     `if … else if … else` on comparisons joined by `&&`, `||` and `!`, the builtin math \
     functions and calls to other `#[simdgrad::map]` / `#[simdgrad::zip]` ops";

const CONDITION: &str = "an `if` condition must be a comparison (`<`, `<=`, `>`, `>=`, `==`, \
     `!=`) of two values, or such comparisons joined by `&&`, `||`, `!` and parentheses";

/// Checks the signature and body of `item` for an op of `kind`.
pub fn parse_fn(kind: Kind, item: &syn::ItemFn, cx: &Ctxt) -> Func {
    let sig = &item.sig;
    let float = parse_sig(kind, sig, cx);
    let params = sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            syn::FnArg::Typed(pt) => match &*pt.pat {
                syn::Pat::Ident(pi) => Some(pi.ident.clone()),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let body = parse_block(&item.block, cx);
    Func {
        ident: sig.ident.clone(),
        float: float.unwrap_or(FloatTy::F32),
        params,
        body,
    }
}

fn float_ty(ty: &syn::Type) -> Option<FloatTy> {
    match ty {
        syn::Type::Path(tp) if tp.qself.is_none() => {
            let seg = tp.path.segments.last()?;
            if !seg.arguments.is_empty() || tp.path.segments.len() > 3 {
                return None;
            }
            match seg.ident.to_string().as_str() {
                "f32" => Some(FloatTy::F32),
                "f64" => Some(FloatTy::F64),
                _ => None,
            }
        }
        syn::Type::Paren(p) => float_ty(&p.elem),
        syn::Type::Group(g) => float_ty(&g.elem),
        _ => None,
    }
}

fn parse_sig(kind: Kind, sig: &syn::Signature, cx: &Ctxt) -> Option<FloatTy> {
    let attr = kind.attr();
    if let Some(c) = &sig.constness {
        cx.error_at(c, format!("`#[simdgrad::{attr}]` ops cannot be `const fn`"));
    }
    if let Some(a) = &sig.asyncness {
        cx.error_at(a, format!("`#[simdgrad::{attr}]` ops cannot be `async`"));
    }
    if let Some(u) = &sig.unsafety {
        cx.error_at(u, format!("`#[simdgrad::{attr}]` ops cannot be `unsafe`"));
    }
    if let Some(abi) = &sig.abi {
        cx.error_at(
            abi,
            format!("`#[simdgrad::{attr}]` ops cannot have an `extern` ABI"),
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        cx.error_at(
            &sig.generics,
            format!(
                "`#[simdgrad::{attr}]` ops cannot be generic: write them for `f32` (or `f64`); \
                 the generated kernel serves both element types"
            ),
        );
    }
    if let Some(v) = &sig.variadic {
        cx.error_at(v, "variadic parameters are not supported");
    }
    let mut types = Vec::new();
    for arg in &sig.inputs {
        match arg {
            syn::FnArg::Receiver(r) => cx.error_at(
                r,
                format!("`#[simdgrad::{attr}]` ops are free functions: `self` is not allowed"),
            ),
            syn::FnArg::Typed(pt) => {
                match &*pt.pat {
                    syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {}
                    other => cx.error_at(other, "parameters must be plain names, like `x: f32`"),
                }
                match float_ty(&pt.ty) {
                    Some(t) => types.push((t, &*pt.ty)),
                    None => cx.error_at(
                        &pt.ty,
                        format!(
                            "parameters of `#[simdgrad::{attr}]` ops must be `f32` or `f64`; {} \
                             takes {}",
                            attr,
                            kind.param_help()
                        ),
                    ),
                }
            }
        }
    }
    if sig.inputs.len() != kind.arity() {
        let msg = format!(
            "`#[simdgrad::{attr}]` expects {}, found {} parameter{}",
            kind.param_help(),
            sig.inputs.len(),
            if sig.inputs.len() == 1 { "" } else { "s" }
        );
        if sig.inputs.is_empty() {
            cx.error_span(sig.paren_token.span.join(), msg);
        } else {
            cx.error_at(&sig.inputs, msg);
        }
    }
    let ret = match &sig.output {
        syn::ReturnType::Default => {
            cx.error_span(
                sig.paren_token.span.close(),
                format!("`#[simdgrad::{attr}]` ops must return their float type, e.g. `-> f32`"),
            );
            None
        }
        syn::ReturnType::Type(_, ty) => match float_ty(ty) {
            Some(t) => Some((t, &**ty)),
            None => {
                cx.error_at(ty, "the return type must be `f32` or `f64`");
                None
            }
        },
    };
    let first = types.first().map(|t| t.0).or(ret.map(|r| r.0));
    for (t, ty) in types.iter().copied().chain(ret) {
        if Some(t) != first {
            cx.error_at(
                ty,
                "all parameters and the return type must be the same float type (`f32` or `f64`)",
            );
        }
    }
    first
}

/// Parses a block: `let` statements then a final expression.
fn parse_block(block: &syn::Block, cx: &Ctxt) -> Block {
    let mut lets = Vec::new();
    let mut result = None;
    let n = block.stmts.len();
    for (i, stmt) in block.stmts.iter().enumerate() {
        let last = i + 1 == n;
        match stmt {
            syn::Stmt::Local(local) => {
                if let Some(name) = let_name(&local.pat, cx) {
                    match &local.init {
                        Some(init) if init.diverge.is_none() => {
                            lets.push((name, parse_expr(&init.expr, cx)));
                        }
                        Some(init) => cx.error_at(
                            &init.expr,
                            "`let … else` is not supported; use `if … else` on the value",
                        ),
                        None => {
                            cx.error_at(local, "a `let` binding needs a value: `let name = expr;`")
                        }
                    }
                }
                if last {
                    cx.error_span(
                        block.brace_token.span.close(),
                        "the body must end with an expression (its value is the result)",
                    );
                }
            }
            syn::Stmt::Expr(e, None) if last => result = Some(parse_expr(e, cx)),
            syn::Stmt::Expr(syn::Expr::Return(r), _) => cx.error_at(
                r.return_token,
                "early `return` is not supported: the body's last expression is its result; \
                 use `if … else` to choose it",
            ),
            syn::Stmt::Expr(e, Some(_)) if last => cx.error_at(
                e,
                "remove this `;`: the body must end with an expression (its value is the result)",
            ),
            syn::Stmt::Expr(e, _) => cx.error_at(
                e,
                format!("only `let` bindings can come before the result expression; {LANGUAGE}"),
            ),
            syn::Stmt::Item(item) => cx.error_at(
                item,
                "items (fn, use, const, …) inside an op body are not supported",
            ),
            syn::Stmt::Macro(m) => cx.error_at(
                &m.mac.path,
                "macros are not supported in an op body; the body is compiled to SIMD code",
            ),
        }
    }
    if n == 0 {
        cx.error_span(
            block.brace_token.span.join(),
            "the body must end with an expression (its value is the result)",
        );
    }
    Block {
        lets,
        result: result.unwrap_or(Expr::Invalid),
    }
}

fn let_name(pat: &syn::Pat, cx: &Ctxt) -> Option<syn::Ident> {
    match pat {
        syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => Some(pi.ident.clone()),
        syn::Pat::Type(pt) => {
            if float_ty(&pt.ty).is_none() {
                cx.error_at(
                    &pt.ty,
                    "`let` bindings hold floats: the type must be `f32` or `f64`",
                );
            }
            let_name(&pt.pat, cx)
        }
        other => {
            cx.error_at(other, "`let` must bind a plain name (`let d = a - b;`)");
            None
        }
    }
}

fn path_segments(path: &syn::Path) -> Option<Vec<String>> {
    path.segments
        .iter()
        .map(|s| s.arguments.is_empty().then(|| s.ident.to_string()))
        .collect()
}

fn parse_lit(lit: &syn::Lit, cx: &Ctxt) -> Expr {
    let value = match lit {
        syn::Lit::Float(f) => match f.suffix() {
            "" | "f32" | "f64" => f.base10_parse::<f64>().ok(),
            _ => None,
        },
        syn::Lit::Int(i) => match i.suffix() {
            "" | "f32" | "f64" => i.base10_parse::<u128>().ok().map(|v| v as f64),
            _ => None,
        },
        _ => None,
    };
    match value {
        Some(v) => Expr::Const(v),
        None => {
            cx.error_at(
                lit,
                "only number literals (like `1`, `0.5`, `2.5e-3`, optionally suffixed `f32`/`f64`) \
                 are allowed",
            );
            Expr::Invalid
        }
    }
}

/// Parses a value expression.
pub fn parse_expr(e: &syn::Expr, cx: &Ctxt) -> Expr {
    match e {
        syn::Expr::Lit(l) => parse_lit(&l.lit, cx),
        syn::Expr::Paren(p) => parse_expr(&p.expr, cx),
        syn::Expr::Group(g) => parse_expr(&g.expr, cx),
        syn::Expr::Path(p) if p.qself.is_none() => {
            if let Some(ident) = p.path.get_ident() {
                return Expr::Var(ident.clone());
            }
            match path_segments(&p.path).and_then(|s| names::constant(&s)) {
                Some(v) => Expr::Const(v),
                None => {
                    cx.error_at(
                        p,
                        "unknown constant; supported: `f32::consts::*` (`PI`, `E`, `LN_2`, …, also \
                         via `core::`/`std::`), `f32::INFINITY`, `f32::NEG_INFINITY`, `f32::NAN`, \
                         `f32::MAX`, `f32::MIN`, `f32::MIN_POSITIVE`, `f32::EPSILON` (and the \
                         `f64` ones)",
                    );
                    Expr::Invalid
                }
            }
        }
        syn::Expr::Unary(u) => match u.op {
            syn::UnOp::Neg(_) => Expr::Neg(Box::new(parse_expr(&u.expr, cx))),
            syn::UnOp::Not(t) => {
                cx.error_at(t, "`!` is only allowed in `if` conditions");
                Expr::Invalid
            }
            _ => {
                cx.error_at(
                    u,
                    "dereferencing is not supported; ops work on float values",
                );
                Expr::Invalid
            }
        },
        syn::Expr::Binary(b) => {
            let op = match b.op {
                syn::BinOp::Add(_) => BinOp::Add,
                syn::BinOp::Sub(_) => BinOp::Sub,
                syn::BinOp::Mul(_) => BinOp::Mul,
                syn::BinOp::Div(_) => BinOp::Div,
                syn::BinOp::Lt(_)
                | syn::BinOp::Le(_)
                | syn::BinOp::Gt(_)
                | syn::BinOp::Ge(_)
                | syn::BinOp::Eq(_)
                | syn::BinOp::Ne(_)
                | syn::BinOp::And(_)
                | syn::BinOp::Or(_) => {
                    cx.error_at(
                        b.op,
                        "comparisons and `&&`/`||` are only allowed in `if` conditions; the \
                         value of an op is a float",
                    );
                    return Expr::Invalid;
                }
                _ => {
                    cx.error_at(
                        b.op,
                        "unsupported operator; the body language supports `+`, `-`, `*`, `/` \
                         and unary `-` (comparisons inside `if` conditions)",
                    );
                    return Expr::Invalid;
                }
            };
            Expr::Bin(
                op,
                Box::new(parse_expr(&b.left, cx)),
                Box::new(parse_expr(&b.right, cx)),
            )
        }
        syn::Expr::MethodCall(m) => {
            if let Some(t) = &m.turbofish {
                cx.error_at(t, "turbofish is not supported here");
            }
            let name = m.method.to_string();
            let mut args = vec![&*m.receiver];
            args.extend(m.args.iter());
            match names::builtin(&name) {
                Some(b) => parse_builtin(b, &m.method, &args, cx),
                None => {
                    unsupported_function(&m.method, cx);
                    Expr::Invalid
                }
            }
        }
        syn::Expr::Call(c) => parse_call(c, cx),
        syn::Expr::If(i) => parse_if(i, cx),
        syn::Expr::Block(b) if b.label.is_none() => {
            Expr::Block(Box::new(parse_block(&b.block, cx)))
        }
        syn::Expr::Return(r) => {
            cx.error_at(
                r.return_token,
                "early `return` is not supported: the body's last expression is its result; use \
                 `if … else` to choose it",
            );
            Expr::Invalid
        }
        syn::Expr::Cast(c) => {
            cx.error_at(
                c.as_token,
                "casts (`as`) are not supported: every value is already the op's float type \
                 (literals like `2` are floats here)",
            );
            Expr::Invalid
        }
        syn::Expr::Macro(m) => {
            cx.error_at(
                &m.mac.path,
                "macros are not supported in an op body; the body is compiled to SIMD code",
            );
            Expr::Invalid
        }
        other => {
            let what = match other {
                syn::Expr::Closure(_) => "closures",
                syn::Expr::ForLoop(_) | syn::Expr::While(_) | syn::Expr::Loop(_) => "loops",
                syn::Expr::Index(_) => "indexing",
                syn::Expr::Reference(_) => "references",
                syn::Expr::Match(_) => "`match` (use `if … else if … else`)",
                syn::Expr::Field(_) => "field access",
                syn::Expr::Assign(_) => "assignment (use a new `let` binding)",
                syn::Expr::Tuple(_) | syn::Expr::Array(_) => "tuples and arrays",
                syn::Expr::Struct(_) => "struct expressions",
                syn::Expr::Unsafe(_) => "`unsafe` blocks",
                syn::Expr::Range(_) => "ranges",
                _ => "this syntax",
            };
            cx.error_at(
                other,
                format!("{what} not supported in an op body; {LANGUAGE}"),
            );
            Expr::Invalid
        }
    }
}

fn unsupported_function(name: &syn::Ident, cx: &Ctxt) {
    let s = name.to_string();
    let hint = match names::near_builtin(&s) {
        Some(b) if !names::KNOWN_UNSUPPORTED.contains(&s.as_str()) => {
            format!(" (did you mean `{b}`?)")
        }
        _ => String::new(),
    };
    cx.error_at(
        name,
        format!(
            "unsupported function `{s}`{hint}; supported: {}",
            names::SUPPORTED
        ),
    );
}

fn parse_call(c: &syn::ExprCall, cx: &Ctxt) -> Expr {
    let path = match &*c.func {
        syn::Expr::Path(p) if p.qself.is_none() => &p.path,
        other => {
            cx.error_at(
                other,
                "only calls of builtin functions and of other ops by name are supported",
            );
            return Expr::Invalid;
        }
    };
    let Some(segs) = path_segments(path) else {
        cx.error_at(path, "generic arguments are not supported in op calls");
        return Expr::Invalid;
    };
    let last = path.segments.last().expect("a path has a segment");
    let name = segs.last().expect("a path has a segment").as_str();
    let args: Vec<&syn::Expr> = c.args.iter().collect();
    // `exp(x)`, `f32::exp(x)`, `f64::max(a, b)`: the builtins.
    let float_prefixed = segs.len() == 2 && (segs[0] == "f32" || segs[0] == "f64");
    if segs.len() == 1 || float_prefixed {
        if let Some(b) = names::builtin(name) {
            return parse_builtin(b, &last.ident, &args, cx);
        }
        if float_prefixed
            || names::KNOWN_UNSUPPORTED.contains(&name)
            || names::near_builtin(name).is_some()
        {
            unsupported_function(&last.ident, cx);
            return Expr::Invalid;
        }
    }
    // Anything else is another op: `foo(x)` → kernel type `Foo`, same path prefix.
    if args.is_empty() || args.len() > 2 {
        cx.error_at(
            c,
            format!(
                "`{name}` is not a builtin, so it is taken as a call to another op, which takes \
                 1 (`#[simdgrad::map]`) or 2 (`#[simdgrad::zip]`) arguments, not {}; builtins: {}",
                args.len(),
                names::SUPPORTED
            ),
        );
        return Expr::Invalid;
    }
    let mut kernel = path.clone();
    let seg = kernel.segments.last_mut().expect("a path has a segment");
    seg.ident = syn::Ident::new(&names::upper_camel(name), last.ident.span());
    Expr::Call(OpCall {
        kernel,
        name: name.to_string(),
        args: args.iter().map(|a| parse_expr(a, cx)).collect(),
    })
}

fn parse_builtin(b: Builtin, name: &syn::Ident, args: &[&syn::Expr], cx: &Ctxt) -> Expr {
    let arities = b.arities();
    if !arities.contains(&args.len()) {
        let want = match b {
            Builtin::F1(_) | Builtin::Log10 => format!("one argument: `{name}(x)` or `x.{name}()`"),
            Builtin::F2(_) => format!("two arguments: `{name}(a, b)` or `a.{name}(b)`"),
            Builtin::Powi => "two arguments: `powi(x, 3)` or `x.powi(3)`".into(),
            Builtin::Clamp => "three arguments: `clamp(x, lo, hi)` or `x.clamp(lo, hi)`".into(),
            Builtin::Log => "one argument (`log(x)` = `ln(x)`) or two (`x.log(base)`)".into(),
        };
        cx.error_at(
            name,
            format!("`{name}` takes {want}; found {} argument(s)", args.len()),
        );
        return Expr::Invalid;
    }
    if b == Builtin::Powi {
        let base = parse_expr(args[0], cx);
        return match int_literal(args[1]) {
            Some(n) => Expr::Powi(Box::new(base), n),
            None => {
                cx.error_at(
                    args[1],
                    "`powi` needs an integer literal exponent (like `x.powi(3)`); for a computed \
                     exponent use `powf`",
                );
                Expr::Invalid
            }
        };
    }
    let parsed: Vec<Expr> = args.iter().map(|a| parse_expr(a, cx)).collect();
    Expr::Builtin(b, parsed)
}

fn int_literal(e: &syn::Expr) -> Option<i32> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse::<i32>().ok(),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => int_literal(expr).and_then(i32::checked_neg),
        syn::Expr::Paren(p) => int_literal(&p.expr),
        syn::Expr::Group(g) => int_literal(&g.expr),
        _ => None,
    }
}

fn parse_if(i: &syn::ExprIf, cx: &Ctxt) -> Expr {
    let cond = parse_cond(&i.cond, cx);
    let then = parse_block(&i.then_branch, cx);
    let other = match &i.else_branch {
        Some((_, e)) => parse_expr(e, cx),
        None => {
            cx.error_span(
                i.then_branch.brace_token.span.close(),
                "an `if` needs an `else`: both branches are computed and selected per lane",
            );
            Expr::Invalid
        }
    };
    Expr::If(Box::new(cond), Box::new(then), Box::new(other))
}

fn parse_cond(e: &syn::Expr, cx: &Ctxt) -> Cond {
    match e {
        syn::Expr::Paren(p) => parse_cond(&p.expr, cx),
        syn::Expr::Group(g) => parse_cond(&g.expr, cx),
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(b),
            ..
        }) => Cond::Bool(b.value),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Not(_),
            expr,
            ..
        }) => Cond::Not(Box::new(parse_cond(expr, cx))),
        syn::Expr::Binary(b) => {
            let cmp = |op| Cond::Cmp(op, parse_expr(&b.left, cx), parse_expr(&b.right, cx));
            match b.op {
                syn::BinOp::Lt(_) => cmp(CmpOp::Lt),
                syn::BinOp::Le(_) => cmp(CmpOp::Le),
                syn::BinOp::Gt(_) => cmp(CmpOp::Gt),
                syn::BinOp::Ge(_) => cmp(CmpOp::Ge),
                syn::BinOp::Eq(_) => cmp(CmpOp::Eq),
                syn::BinOp::Ne(_) => cmp(CmpOp::Ne),
                syn::BinOp::And(_) => Cond::And(
                    Box::new(parse_cond(&b.left, cx)),
                    Box::new(parse_cond(&b.right, cx)),
                ),
                syn::BinOp::Or(_) => Cond::Or(
                    Box::new(parse_cond(&b.left, cx)),
                    Box::new(parse_cond(&b.right, cx)),
                ),
                _ => {
                    cx.error_at(e, CONDITION);
                    Cond::Invalid
                }
            }
        }
        syn::Expr::Let(l) => {
            cx.error_at(
                l.let_token,
                format!("`if let` is not supported; {CONDITION}"),
            );
            Cond::Invalid
        }
        other => {
            cx.error_at(other, CONDITION);
            Cond::Invalid
        }
    }
}

/// Parses the `identity = …` expression of a reduce (a constant expression).
pub fn parse_identity(e: &syn::Expr, cx: &Ctxt) -> Expr {
    parse_expr(e, cx)
}
