//! The attribute's arguments: `name = …`, `crate = "…"`, `debug`, and `identity = …` for
//! `#[reduce]`.

use crate::errors::Ctxt;
use crate::parse::Kind;
use proc_macro2::TokenStream;
use syn::parse::Parser;

/// Parsed attribute arguments.
#[derive(Default)]
pub struct Args {
    /// `name = MyKernel`: the generated kernel type's name.
    pub name: Option<syn::Ident>,
    /// `crate = "path"`: where the `simdgrad` runtime lives (default `::simdgrad`).
    pub krate: Option<syn::Path>,
    /// `debug`: print the expansion at compile time.
    pub debug: bool,
    /// `identity = expr` of a reduce.
    pub identity: Option<syn::Expr>,
}

/// Parses the arguments of `#[simdgrad::<kind>(…)]`, reporting problems to `cx`.
pub fn parse_args(kind: Kind, attr: TokenStream, cx: &Ctxt) -> Args {
    let mut args = Args::default();
    let supported = match kind {
        Kind::Reduce => "`identity = <constant>`, `name = KernelName`, `crate = \"path\"`, `debug`",
        _ => "`name = KernelName`, `crate = \"path\"`, `debug`",
    };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            let value = meta.value()?;
            args.name = Some(if value.peek(syn::LitStr) {
                value.parse::<syn::LitStr>()?.parse()?
            } else {
                value.parse()?
            });
        } else if meta.path.is_ident("crate") {
            let value = meta.value()?;
            args.krate = Some(if value.peek(syn::LitStr) {
                value.parse::<syn::LitStr>()?.parse()?
            } else {
                value.call(syn::Path::parse_mod_style)?
            });
        } else if meta.path.is_ident("debug") {
            args.debug = true;
        } else if meta.path.is_ident("identity") && kind == Kind::Reduce {
            args.identity = Some(meta.value()?.parse()?);
        } else {
            return Err(meta.error(format!(
                "unknown argument of `#[simdgrad::{}]`; supported: {supported}",
                kind.attr()
            )));
        }
        Ok(())
    });
    if let Err(e) = parser.parse2(attr) {
        cx.push(e);
    }
    args
}
