//! Support code shared by the workspace's integration tests, benchmarks and examples
//! (baselines and references); it is not part of simdgrad's API.
//!
//! - [`baseline`]: the naive (MiniTorch index loop), plain (idiomatic Rust) and hand-written
//!   pulp implementations every generated kernel is compared with;
//! - [`cases`]: every bench-card op under every implementation, as the benches call them;
//! - [`limits`]: this machine's roofs (peak FMA, STREAM-like bandwidth), measured in-process;
//! - [`measure`]: warm-up + median timing for the bench card;
//! - [`ops`]: the benchmark ops, declared with the kernel DSL as a user's crate would.
#![warn(missing_docs)]

pub mod baseline;
pub mod cases;
pub mod limits;
pub mod measure;
pub mod ops;

/// The README's code blocks, compiled and run as doctests so the README stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
