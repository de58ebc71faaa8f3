//! The `pool!` declarations, as a user crate writes them, and the pooling rows of every window
//! shape (one module per subject). Run a subject alone with a filter:
//! `cargo test --test all pool::pool_rows::`.

mod pool_decl;
mod pool_rows;
