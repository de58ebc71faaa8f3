//! The declaration's syntax: `<vis> <name>: key = value, …` with the keys `reduce` (a built-in
//! name or a `#[reduce]` op), `window` and optionally `stride` (default: the window) and
//! `padding` (default `[0, 0]`), each an array of two positive integers.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Ident, Token, Visibility};

use crate::errors::Ctxt;
use crate::names::{edit_distance, upper_camel};

/// The built-in folds by name: `(kernel type in the runtime, divide by the window size)`.
const BUILTINS: &[(&str, &str, bool)] = &[
    ("max", "Max", false),
    ("min", "Min", false),
    ("sum", "Sum", false),
    ("avg", "Sum", true),
    ("mean", "Sum", true),
];

const KEYS: &[&str] = &["reduce", "window", "stride", "padding"];

/// The fold of a declaration.
pub enum Reduce {
    /// A built-in fold: the runtime's kernel type name and whether to divide by the window size.
    Builtin { kernel: &'static str, mean: bool },
    /// A user `#[reduce]` op: the path of its kernel type.
    User(syn::Path),
}

/// A parsed, validated declaration.
pub struct Decl {
    pub vis: Visibility,
    pub name: Ident,
    pub reduce: Reduce,
    /// The text the user wrote for `reduce`, for the docs.
    pub reduce_text: String,
    pub window: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

struct Entry {
    key: Ident,
    value: syn::Expr,
}

impl Parse for Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any)?;
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(Self { key, value })
    }
}

struct Header {
    vis: Visibility,
    name: Ident,
    entries: Punctuated<Entry, Token![,]>,
}

impl Parse for Header {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let vis = input.parse()?;
        let name = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a pool declaration `<vis> <name>: reduce = <op>, window = [kh, kw], stride = [sh, sw]`",
            )
        })?;
        input.parse::<Token![:]>()?;
        let entries = Punctuated::parse_terminated(input)?;
        Ok(Self { vis, name, entries })
    }
}

/// Parses and validates; every problem is reported, each at its token.
pub fn parse(input: TokenStream) -> syn::Result<Decl> {
    let header = Header::parse.parse2(input)?;
    let cx = Ctxt::new();
    let mut reduce = None;
    let mut window = None;
    let mut stride = None;
    let mut padding = None;
    let mut seen: Vec<String> = Vec::new();
    for Entry { key, value } in &header.entries {
        let k = key.to_string();
        if seen.contains(&k) {
            cx.error_at(key, format!("`{k}` is given twice"));
            continue;
        }
        seen.push(k.clone());
        match k.as_str() {
            "reduce" => reduce = reduce_of(value, &cx),
            "window" => window = pair(value, "window", &cx),
            "stride" => stride = pair(value, "stride", &cx),
            "padding" => padding = pair(value, "padding", &cx),
            other => {
                let near = KEYS
                    .iter()
                    .filter(|c| edit_distance(other, c) <= 2)
                    .min_by_key(|c| edit_distance(other, c));
                let hint = near.map_or(String::new(), |c| format!(" (did you mean `{c}`?)"));
                cx.error_at(
                    key,
                    format!(
                        "unknown key `{other}`{hint}; a pool declaration takes `reduce = <op>`, `window = [kh, kw]`, and optionally `stride = [sh, sw]` (default: the window) and `padding = [ph, pw]` (default [0, 0])"
                    ),
                );
            }
        }
    }
    let at = header.name.span();
    if !seen.iter().any(|k| k == "reduce") {
        cx.error_span(
            at,
            "missing `reduce = <op>` (max, avg, sum, min, or a `#[simdgrad::reduce]` op)",
        );
    }
    if !seen.iter().any(|k| k == "window") {
        cx.error_span(at, "missing `window = [kh, kw]`");
    }
    for (what, v) in [("window", window), ("stride", stride)] {
        if let Some((v, span)) = v {
            if v.contains(&0) {
                cx.error_span(span, format!("{what} sizes must be at least 1, got {v:?}"));
            }
        }
    }
    if let (Some((p, span)), Some((w, _))) = (padding, window) {
        if p[0] >= w[0] || p[1] >= w[1] {
            cx.error_span(
                span,
                format!("padding {p:?} must be smaller than the window {w:?} on each axis"),
            );
        }
    }
    cx.check()?;
    let (reduce, reduce_text) = reduce.expect("checked above");
    let window = window.expect("checked above").0;
    Ok(Decl {
        vis: header.vis,
        name: header.name,
        reduce,
        reduce_text,
        window,
        stride: stride.map_or(window, |s| s.0),
        padding: padding.map_or([0, 0], |p| p.0),
    })
}

fn reduce_of(value: &syn::Expr, cx: &Ctxt) -> Option<(Reduce, String)> {
    let syn::Expr::Path(p) = value else {
        cx.error_at(
            value,
            "`reduce` takes a name: max, avg (or mean), sum, min, or a `#[simdgrad::reduce]` op such as `my_logsumexp`",
        );
        return None;
    };
    let path = p.path.clone();
    let text = quote::quote!(#path).to_string().replace(' ', "");
    if let Some(id) = path.get_ident() {
        if let Some(&(_, kernel, mean)) = BUILTINS.iter().find(|b| id == b.0) {
            return Some((Reduce::Builtin { kernel, mean }, text));
        }
    }
    let mut kernel = path;
    let last = kernel.segments.last_mut().expect("a path has a segment");
    let name = last.ident.to_string();
    if !name.starts_with(|c: char| c.is_uppercase()) {
        last.ident = Ident::new(&upper_camel(&name), last.ident.span());
    }
    Some((Reduce::User(kernel), text))
}

fn pair(value: &syn::Expr, what: &str, cx: &Ctxt) -> Option<([usize; 2], Span)> {
    let bad = || {
        cx.error_at(
            value,
            format!("`{what}` takes two integers `[rows, columns]`, e.g. `{what} = [2, 2]`"),
        );
        None
    };
    let syn::Expr::Array(arr) = value else {
        return bad();
    };
    if arr.elems.len() != 2 {
        return bad();
    }
    let mut out = [0; 2];
    for (slot, e) in out.iter_mut().zip(&arr.elems) {
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) = e
        else {
            return bad();
        };
        match i.base10_parse::<usize>() {
            Ok(v) => *slot = v,
            Err(_) => return bad(),
        }
    }
    Some((out, value.span()))
}
