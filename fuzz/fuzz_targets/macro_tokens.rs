//! Arbitrary text as the macro's input: bytes → UTF-8 → `proc_macro2::TokenStream` (whatever
//! lexes), expanded as `#[map]`, `#[zip]` or `#[reduce]`. The compiler must never panic; its
//! output must parse as a file (a spanned `compile_error!` or the generated items).
//!
//! Input format (so that seeds are readable files): byte 0 picks the attribute; the rest is
//! UTF-8 text, `attribute args ||| item` (no `|||`: empty args).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;
use simdgrad_fuzz::compiler::{expand_and_check, Attr};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (args, item) = text.split_once("|||").unwrap_or(("", text));
    let (Ok(args), Ok(item)) = (args.parse::<TokenStream>(), item.parse::<TokenStream>()) else {
        return;
    };
    let attr = match first % 3 {
        0 => Attr::Map,
        1 => Attr::Zip,
        _ => Attr::Reduce,
    };
    expand_and_check(attr, args, item);
});
