//! Procedural macros of simdgrad. Use them through the `simdgrad` crate, never directly.
