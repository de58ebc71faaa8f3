//! The `conv!` declarations, as a user crate writes them (one module per subject). Run a
//! subject alone with a filter: `cargo test --test all conv::conv_decl::`.

mod conv_decl;
