//! Error accumulation: every problem in a function is reported at once, each at its own span
//! (the `Ctxt` pattern of `serde_derive`).

use proc_macro2::Span;
use quote::ToTokens;
use std::cell::RefCell;
use std::fmt::Display;

/// Collects errors while the function is checked and compiled.
#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Option<syn::Error>>,
}

impl Ctxt {
    /// A fresh context.
    pub fn new() -> Self {
        Ctxt::default()
    }

    /// Records an error at the tokens of `at`.
    pub fn error_at(&self, at: impl ToTokens, msg: impl Display) {
        self.push(syn::Error::new_spanned(at, msg));
    }

    /// Records an error at `span`.
    pub fn error_span(&self, span: Span, msg: impl Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// Records an existing error.
    pub fn push(&self, err: syn::Error) {
        let mut slot = self.errors.borrow_mut();
        match slot.as_mut() {
            Some(all) => all.combine(err),
            None => *slot = Some(err),
        }
    }

    /// `true` if any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.errors.borrow().is_some()
    }

    /// All recorded errors combined, or `Ok` if there were none.
    pub fn check(self) -> syn::Result<()> {
        match self.errors.into_inner() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}
