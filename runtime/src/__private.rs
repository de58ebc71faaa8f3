//! Items the generated code of `#[map]`, `#[zip]` and `#[reduce]` reaches through
//! `::simdgrad::__private`. Not public API: names here may change in any release.

pub use crate::kernel::{MapKernel, ReduceKernel, ReducePattern, ZipKernel};
pub use crate::simd::{ScalarMath, SimdElement};
pub use crate::Element;
pub use pulp::Simd;
