//! `conv! { vis name: key = value, … }`: a convolution shape declared at compile time. Parsing
//! and validation live in `parse`, code generation in `expand`; see [`crate::conv`] for the
//! language and what is generated.

mod expand;
mod parse;

use proc_macro2::TokenStream;

/// Expands a `conv!` invocation (one or more declarations separated by `;`).
pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let decls: parse::Decls = syn::parse2(input)?;
    Ok(decls.validate()?.iter().map(expand::expand).collect())
}
