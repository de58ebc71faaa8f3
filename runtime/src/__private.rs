//! Items the generated code of `#[map]`, `#[zip]`, `#[reduce]` and `pool!` reaches through
//! `::simdgrad::__private`. Not public API: names here may change in any release.

pub use crate::kernel::{MapKernel, ReduceKernel, ReducePattern, ZipKernel};
pub use crate::pool::{Fixed as PoolFixed, PoolKernel};
pub use crate::simd::{ScalarMath, SimdElement};
pub use crate::{Element, Result, Tensor};
pub use pulp::Simd;

/// The built-in folds a `pool!` declaration names (`max`, `min`, `sum`; `avg` is `Sum` divided
/// by the window size).
pub mod pool_reduce {
    pub use crate::ops::builtins::{Max, Min, Sum};
}
