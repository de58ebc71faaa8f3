//! The macro compiler's entry points on `proc_macro2` streams, and the property every fuzz
//! target checks: expansion never panics and yields either a spanned error or items that parse
//! as a `syn::File`.

use proc_macro2::TokenStream;

use crate::parse::Kind;

/// Which attribute to expand.
#[derive(Clone, Copy, Debug)]
pub enum Attr {
    /// `#[simdgrad::map]`
    Map,
    /// `#[simdgrad::zip]`
    Zip,
    /// `#[simdgrad::reduce]`
    Reduce,
}

/// Expands `#[simdgrad::<attr>(args)] item` exactly as the proc-macro entry point does
/// (errors become `compile_error!` items) and checks the result: it must parse as a file,
/// and a `compile_error!` must never be the whole story when the item itself parsed (the
/// user's function is still emitted beside it). Panics (a fuzz finding) otherwise.
pub fn expand_and_check(attr: Attr, args: TokenStream, item: TokenStream) {
    let kind = match attr {
        Attr::Map => Kind::Map,
        Attr::Zip => Kind::Zip,
        Attr::Reduce => Kind::Reduce,
    };
    let item_is_fn = syn::parse2::<syn::ItemFn>(item.clone()).is_ok();
    let out =
        crate::expand::expand(kind, args, item).unwrap_or_else(syn::Error::into_compile_error);
    let text = out.to_string();
    let file: syn::File = match syn::parse2(out) {
        Ok(f) => f,
        Err(e) => panic!("the expansion does not parse as a file ({e}):\n{text}"),
    };
    if item_is_fn {
        // Success or failure, the user's function is emitted under its own name.
        let fns = file
            .items
            .iter()
            .filter(|i| matches!(i, syn::Item::Fn(_)))
            .count();
        assert!(fns >= 1, "the user's function was dropped:\n{text}");
    } else {
        assert!(
            text.contains("compile_error"),
            "a non-function item expanded without an error:\n{text}"
        );
    }
}

/// Like [`expand_and_check`] for source text that uses only supported syntax: the expansion
/// must also succeed (no `compile_error!`).
pub fn expand_and_check_ok(attr: Attr, args: &str, item: &str) {
    let kind = match attr {
        Attr::Map => Kind::Map,
        Attr::Zip => Kind::Zip,
        Attr::Reduce => Kind::Reduce,
    };
    let args_ts: TokenStream = args.parse().expect("generated args lex");
    let item_ts: TokenStream = item.parse().expect("generated item lexes");
    let out = crate::expand::expand(kind, args_ts, item_ts)
        .unwrap_or_else(|e| panic!("expansion failed: {e}\nargs: {args}\n{item}"));
    let text = out.to_string();
    assert!(
        !text.contains("compile_error"),
        "supported syntax rejected:\nargs: {args}\n{item}\n=> {text}"
    );
    if let Err(e) = syn::parse2::<syn::File>(out) {
        panic!("the expansion does not parse as a file ({e}):\n{item}\n=> {text}");
    }
}
