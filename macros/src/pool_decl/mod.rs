//! `pool! { pub name: reduce = max, window = [2, 2], stride = [2, 2] }`: parses a pooling
//! declaration and emits its kernel type (a `PoolKernel` specialised by window and stride) and
//! its differentiable tensor op. All problems are reported at once, at the offending token.

mod expand;
mod parse;

use proc_macro2::TokenStream;

/// Expands one `pool!` invocation.
pub fn pool(input: TokenStream) -> syn::Result<TokenStream> {
    let decl = parse::parse(input)?;
    Ok(expand::expand(&decl))
}
