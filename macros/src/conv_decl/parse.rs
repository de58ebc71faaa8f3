//! `conv!` syntax → [`Decl`]: reads `vis name: key = value, …` declarations separated by `;`,
//! then validates every key, reporting all errors at once, each at the offending token with
//! the supported forms.

use proc_macro2::Span;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, Lit, Token, Type, Visibility};

use crate::names::edit_distance;

/// Keys a declaration accepts, in the order the docs list them.
const KEYS: [&str; 8] = [
    "rank",
    "kernel",
    "stride",
    "padding",
    "dilation",
    "params",
    "bias",
    "activation",
];

/// Largest kernel extent a declaration unrolls; larger kernels belong to the run-time kernel.
pub const MAX_EXTENT: usize = 16;

const PADDING_FORMS: &str = "`valid`, `same`, `anchored_start`, `anchored_end` (or `reverse`), \
     `anchored_top_left` / `anchored_bottom_right` (rank 2), `anchored_left` / `anchored_right` \
     (rank 1), an integer `p`, a per-axis list `[p, …]`, or per-axis `[[before, after], …]`";

/// What `activation` takes, for its parse errors.
const ACTIVATION_FORM: &str =
    "a path to a `#[simdgrad::map]` kernel type, like `simdgrad::ops::builtins::Relu`";

/// One axis of a declaration, in the runtime's `ConvParams` terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Axis {
    pub stride: usize,
    pub before: usize,
    pub after: usize,
    pub dilation: usize,
}

impl Axis {
    const VALID: Axis = Axis {
        stride: 1,
        before: 0,
        after: 0,
        dilation: 1,
    };
}

/// Whether the op takes a bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bias {
    Optional,
    Required,
    Forbidden,
}

/// A validated declaration.
pub struct Decl {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub rank: usize,
    /// `[KH, KW]` (`KH = 1` for rank 1).
    pub kernel: [usize; 2],
    /// Height and width parameters (height [`Axis::VALID`] for rank 1), or `None` for
    /// `params = runtime`.
    pub params: Option<[Axis; 2]>,
    /// The padding as written (`anchored_top_left`, `[2, 2]`), for the docs.
    pub padding_text: Option<String>,
    pub bias: Bias,
    pub activation: Option<Type>,
}

/// What the user wrote for one key.
enum Value {
    Expr(Expr),
    Type(Type),
}

struct Entry {
    key: Ident,
    value: Value,
}

/// One declaration as written, before validation.
struct RawDecl {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    entries: Vec<Entry>,
}

/// Every declaration of one `conv!` invocation.
pub struct Decls(Vec<RawDecl>);

impl Parse for Decls {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut decls = vec![];
        while !input.is_empty() {
            let attrs = input.call(Attribute::parse_outer)?;
            let vis: Visibility = input.parse()?;
            let name: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected a declaration like `pub conv3x3: rank = 2, kernel = [3, 3]`",
                )
            })?;
            if !input.peek(Token![:]) {
                return Err(input.error(format!(
                    "expected `:` after `{name}`, as in `pub {name}: kernel = [3, 3]`"
                )));
            }
            input.parse::<Token![:]>()?;
            let mut entries = vec![];
            while !input.is_empty() && !input.peek(Token![;]) {
                let key: Ident = input.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        format!("expected a key: one of {}", KEYS.join(", ")),
                    )
                })?;
                let eq = input.parse::<Token![=]>().map_err(|e| {
                    syn::Error::new(e.span(), format!("expected `=` after `{key}`"))
                })?;
                // syn's own messages list every token a type or an expression may start with;
                // say instead what the key takes, at the `=` when the value is missing.
                let missing = input.is_empty() || input.peek(Token![,]) || input.peek(Token![;]);
                let value = if key == "activation" {
                    if missing {
                        return Err(syn::Error::new(
                            eq.span,
                            format!("expected a value after `activation =`: {ACTIVATION_FORM}"),
                        ));
                    }
                    Value::Type(input.parse().map_err(|e| {
                        syn::Error::new(e.span(), format!("`activation` is {ACTIVATION_FORM}"))
                    })?)
                } else {
                    if missing {
                        return Err(syn::Error::new(
                            eq.span,
                            format!("expected a value after `{key} =`"),
                        ));
                    }
                    Value::Expr(input.parse()?)
                };
                entries.push(Entry { key, value });
                if input.is_empty() || input.peek(Token![;]) {
                    break;
                }
                input.parse::<Token![,]>().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected `,` between entries or `;` between declarations",
                    )
                })?;
            }
            if !input.is_empty() {
                input.parse::<Token![;]>()?;
            }
            decls.push(RawDecl {
                attrs,
                vis,
                name,
                entries,
            });
        }
        if decls.is_empty() {
            return Err(
                input.error("expected a declaration like `pub conv3x3: rank = 2, kernel = [3, 3]`")
            );
        }
        Ok(Decls(decls))
    }
}

/// Collects errors so every problem of an invocation is reported at once.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        let e = syn::Error::new(span, msg);
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Group(g) => strip(&g.expr),
        Expr::Paren(p) => strip(&p.expr),
        e => e,
    }
}

fn as_int(e: &Expr) -> Option<usize> {
    match strip(e) {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse().ok(),
        _ => None,
    }
}

fn as_ident(e: &Expr) -> Option<String> {
    match strip(e) {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
    }
}

fn as_bool(e: &Expr) -> Option<bool> {
    match strip(e) {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Bool(b), ..
        }) => Some(b.value),
        _ => None,
    }
}

fn as_list(e: &Expr) -> Option<Vec<&Expr>> {
    match strip(e) {
        Expr::Array(a) => Some(a.elems.iter().collect()),
        _ => None,
    }
}

/// `n` or `[n, …]` (one per axis) of integers in `min..=max`; an integer alone applies to every
/// axis. `None` after reporting an error.
fn per_axis(
    errs: &mut Errors,
    key: &str,
    e: &Expr,
    rank: usize,
    min: usize,
    max: usize,
) -> Option<Vec<usize>> {
    let example = match (key, rank) {
        ("kernel", 1) => "[3]",
        ("kernel", _) => "[3, 3]",
        (_, 1) => "[1]",
        _ => "[1, 2]",
    };
    let form = format!(
        "`{key}` takes an integer in {min}..={max} or a list of {rank} (one per axis), like `{key} = {example}`"
    );
    let check = |errs: &mut Errors, v: &Expr| match as_int(v) {
        Some(n) if (min..=max).contains(&n) => Some(n),
        Some(n) => {
            errs.at(v.span(), format!("`{key}` {n} is out of range: {form}"));
            None
        }
        None => {
            errs.at(v.span(), &form);
            None
        }
    };
    if let Some(items) = as_list(e) {
        if items.len() != rank {
            errs.at(
                e.span(),
                format!(
                    "`{key}` lists {} extents but the declaration has rank {rank}: {form}",
                    items.len()
                ),
            );
            return None;
        }
        let vals: Vec<Option<usize>> = items.iter().map(|v| check(errs, v)).collect();
        vals.into_iter().collect()
    } else {
        check(errs, e).map(|n| vec![n; rank])
    }
}

/// The per-axis `(before, after)` padding; `None` after reporting an error.
fn padding(
    errs: &mut Errors,
    e: &Expr,
    rank: usize,
    kernel: &[usize],
    stride: &[usize],
    dilation: &[usize],
) -> Option<Vec<(usize, usize)>> {
    let windows: Vec<usize> = kernel
        .iter()
        .zip(dilation)
        .map(|(&k, &d)| d * (k - 1))
        .collect();
    if let Some(name) = as_ident(e) {
        let start = || windows.iter().map(|&w| (0, w)).collect();
        let end = || windows.iter().map(|&w| (w, 0)).collect();
        let wrong_rank = |errs: &mut Errors, instead: &str| {
            errs.at(
                e.span(),
                format!("`{name}` is for a rank-{} declaration; this one has rank {rank}, use `{instead}` (or `anchored_start` / `anchored_end`, any rank)",
                    3 - rank),
            );
            None
        };
        return match name.as_str() {
            "valid" => Some(vec![(0, 0); rank]),
            "same" => {
                if stride.iter().any(|&s| s != 1) {
                    errs.at(e.span(), "`padding = same` needs `stride = 1`; give the padding explicitly, like `padding = [1, 1]`");
                    return None;
                }
                Some(windows.iter().map(|&w| (w / 2, w - w / 2)).collect())
            }
            "anchored_start" => Some(start()),
            "anchored_end" | "reverse" => Some(end()),
            "anchored_top_left" if rank == 2 => Some(start()),
            "anchored_bottom_right" if rank == 2 => Some(end()),
            "anchored_left" if rank == 1 => Some(start()),
            "anchored_right" if rank == 1 => Some(end()),
            "anchored_top_left" => wrong_rank(errs, "anchored_left"),
            "anchored_bottom_right" => wrong_rank(errs, "anchored_right"),
            "anchored_left" => wrong_rank(errs, "anchored_top_left"),
            "anchored_right" => wrong_rank(errs, "anchored_bottom_right"),
            _ => {
                errs.at(
                    e.span(),
                    format!("unknown padding `{name}`; supported: {PADDING_FORMS}"),
                );
                None
            }
        };
    }
    if let Some(p) = as_int(e) {
        return Some(vec![(p, p); rank]);
    }
    let Some(items) = as_list(e) else {
        errs.at(
            e.span(),
            format!("unsupported padding; supported: {PADDING_FORMS}"),
        );
        return None;
    };
    if items.len() != rank {
        errs.at(
            e.span(),
            format!(
                "`padding` lists {} axes but the declaration has rank {rank}; supported: {PADDING_FORMS}",
                items.len()
            ),
        );
        return None;
    }
    let mut out = vec![];
    for item in items {
        if let Some(p) = as_int(item) {
            out.push(Some((p, p)));
        } else if let Some(pair) = as_list(item).filter(|l| l.len() == 2) {
            match (as_int(pair[0]), as_int(pair[1])) {
                (Some(b), Some(a)) => out.push(Some((b, a))),
                _ => {
                    errs.at(
                        item.span(),
                        "a per-side padding is `[before, after]` of integers",
                    );
                    out.push(None);
                }
            }
        } else {
            errs.at(
                item.span(),
                "an axis' padding is an integer `p` or `[before, after]`",
            );
            out.push(None);
        }
    }
    out.into_iter().collect()
}

fn unknown_key(key: &Ident) -> String {
    let k = key.to_string();
    let near = KEYS
        .iter()
        .map(|c| (edit_distance(&k, c), *c))
        .filter(|&(d, _)| d <= 2)
        .min();
    let hint = near.map_or(String::new(), |(_, c)| format!(" (did you mean `{c}`?)"));
    format!(
        "unknown key `{k}`{hint}; supported keys: {}",
        KEYS.join(", ")
    )
}

impl Decls {
    /// Validates every declaration; all errors at once.
    pub fn validate(self) -> syn::Result<Vec<Decl>> {
        let mut errs = Errors::default();
        let decls: Vec<Decl> = self
            .0
            .into_iter()
            .filter_map(|d| validate(&mut errs, d))
            .collect();
        match errs.0 {
            Some(e) => Err(e),
            None => Ok(decls),
        }
    }
}

fn validate(errs: &mut Errors, raw: RawDecl) -> Option<Decl> {
    let mut seen: Vec<(String, Value, Span)> = vec![];
    for Entry { key, value } in raw.entries {
        let k = key.to_string();
        if !KEYS.contains(&k.as_str()) {
            errs.at(key.span(), unknown_key(&key));
        } else if seen.iter().any(|(s, _, _)| *s == k) {
            errs.at(key.span(), format!("`{k}` is given twice"));
        } else {
            seen.push((k, value, key.span()));
        }
    }
    let get = |k: &str| {
        seen.iter().find(|(s, _, _)| s == k).map(|(_, v, span)| {
            let e = match v {
                Value::Expr(e) => Some(e),
                Value::Type(_) => None,
            };
            (e, *span)
        })
    };
    let expr = |k: &str| get(k).and_then(|(e, _)| e);

    // Rank and kernel.
    let rank_given = match expr("rank") {
        Some(e) => match as_int(e) {
            Some(r @ (1 | 2)) => Some(r),
            _ => {
                errs.at(
                    e.span(),
                    "`rank` is 1 (`(B, C, W)` tensors) or 2 (`(B, C, H, W)`)",
                );
                return None;
            }
        },
        None => None,
    };
    let Some(kernel_e) = expr("kernel") else {
        errs.at(
            raw.name.span(),
            format!(
                "`{}` needs `kernel = [KH, KW]` (rank 2) or `kernel = [K]` (rank 1)",
                raw.name
            ),
        );
        return None;
    };
    let rank = match (rank_given, as_list(kernel_e)) {
        (Some(r), _) => r,
        (None, Some(l)) if matches!(l.len(), 1 | 2) => l.len(),
        (None, Some(_)) => {
            errs.at(
                kernel_e.span(),
                "`kernel` lists one extent per axis: `[K]` (rank 1) or `[KH, KW]` (rank 2)",
            );
            return None;
        }
        (None, None) => {
            errs.at(
                kernel_e.span(),
                "`kernel` is a list, `[K]` (rank 1) or `[KH, KW]` (rank 2), or an integer with `rank` given",
            );
            return None;
        }
    };
    let kernel = per_axis(errs, "kernel", kernel_e, rank, 1, MAX_EXTENT)?;

    // Stride, dilation, padding, or `params = runtime`.
    let runtime = match expr("params") {
        Some(e) if as_ident(e).as_deref() == Some("runtime") => {
            for k in ["stride", "padding", "dilation"] {
                if let Some((_, span)) = get(k) {
                    errs.at(
                        span,
                        format!("`{k}` cannot be combined with `params = runtime` (the op takes them as an argument)"),
                    );
                }
            }
            true
        }
        Some(e) => {
            errs.at(
                e.span(),
                "`params` only takes `runtime` (stride, padding and dilation given to the op at run time)",
            );
            true
        }
        None => false,
    };
    let (params, padding_text) = if runtime {
        (None, None)
    } else {
        let stride = match expr("stride") {
            Some(e) => per_axis(errs, "stride", e, rank, 1, 64),
            None => Some(vec![1; rank]),
        };
        let dilation = match expr("dilation") {
            Some(e) => per_axis(errs, "dilation", e, rank, 1, 64),
            None => Some(vec![1; rank]),
        };
        let (stride, dilation) = (stride?, dilation?);
        let (pad, text) = match expr("padding") {
            Some(e) => (
                padding(errs, e, rank, &kernel, &stride, &dilation)?,
                e.to_token_stream().to_string(),
            ),
            None => (vec![(0, 0); rank], "valid".to_string()),
        };
        let axes: Vec<Axis> = (0..rank)
            .map(|i| Axis {
                stride: stride[i],
                before: pad[i].0,
                after: pad[i].1,
                dilation: dilation[i],
            })
            .collect();
        let params = if rank == 1 {
            [Axis::VALID, axes[0]]
        } else {
            [axes[0], axes[1]]
        };
        (Some(params), Some(text))
    };

    let bias = match expr("bias") {
        None => Bias::Optional,
        Some(e) => match (as_bool(e), as_ident(e).as_deref()) {
            (Some(true), _) | (_, Some("required")) => Bias::Required,
            (Some(false), _) | (_, Some("none")) => Bias::Forbidden,
            (_, Some("optional")) => Bias::Optional,
            _ => {
                errs.at(
                    e.span(),
                    "`bias` is `true` (required), `false` (none) or `optional` (the default)",
                );
                return None;
            }
        },
    };

    let activation = match seen.iter().find(|(k, _, _)| k == "activation") {
        Some((_, Value::Type(t), _)) => match t {
            Type::Path(p) if p.qself.is_none() => {
                let last = p.path.segments.last().map(|s| s.ident.to_string());
                match last {
                    Some(l) if l.starts_with(|c: char| c.is_lowercase()) => {
                        errs.at(
                            t.span(),
                            format!(
                                "`activation` names the kernel type of a `#[simdgrad::map]` op, \
                                 e.g. `{}` for `fn {l}` (UpperCamelCase)",
                                crate::names::upper_camel(&l)
                            ),
                        );
                        return None;
                    }
                    _ => Some(t.clone()),
                }
            }
            _ => {
                errs.at(t.span(), format!("`activation` is {ACTIVATION_FORM}"));
                return None;
            }
        },
        _ => None,
    };

    let kernel = if rank == 1 {
        [1, kernel[0]]
    } else {
        [kernel[0], kernel[1]]
    };
    Some(Decl {
        attrs: raw.attrs,
        vis: raw.vis,
        name: raw.name,
        rank,
        kernel,
        params,
        padding_text,
        bias,
        activation,
    })
}
