//! The `conv!` and `pool!` declarations, as a user crate writes them: one test binary, one
//! module per subject.
//!
//! The tests live in one binary rather than one per file because every binary monomorphises
//! the generic kernels it calls for itself; one binary compiles them once, which keeps CI within
//! its budget. Run a subject alone with a filter: `cargo test --test conv pool_rows::`.

mod conv_decl;
mod pool_decl;
mod pool_rows;
