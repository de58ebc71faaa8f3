//! The `pool!` declarations, as a user crate writes them, and the pooling rows of every window
//! shape (one module per subject).
//!
//! The integration tests are grouped into a few binaries rather than one per file because every
//! binary monomorphises the generic kernels it calls for itself; grouped, they are compiled once
//! per binary, which keeps CI within its budget. Run a subject alone with a filter:
//! `cargo test --test pool pool_rows::`.

mod pool_decl;
mod pool_rows;
