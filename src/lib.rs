//! Support code shared by the workspace's integration tests, benchmarks and examples
//! (baselines and references); it is not part of simdgrad's API.
//!
//! - [`baseline`]: the naive (MiniTorch index loop), plain (idiomatic Rust) and hand-written
//!   pulp implementations every generated kernel is compared with;
//! - [`limits`]: this machine's roofs (peak FMA, STREAM-like bandwidth), measured in-process;
//! - [`measure`]: warm-up + median timing for the bench card.
#![warn(missing_docs)]

pub mod baseline;
pub mod limits;
pub mod measure;
