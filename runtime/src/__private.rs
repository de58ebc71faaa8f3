//! Items the generated code of `#[map]`, `#[zip]`, `#[reduce]` and `conv!` reaches through
//! `::simdgrad::__private`. Not public API: names here may change in any release.

pub use crate::conv::{
    Activated, BiasRule, ConvDecl, ConvKernel, ConvParams, ConvShape, Epilogue, Fixed,
    NoActivation, StridedRef,
};
pub use crate::kernel::{MapKernel, ReduceKernel, ReducePattern, ZipKernel};
pub use crate::simd::{ScalarMath, SimdElement};
pub use crate::{Element, Result, Tensor};
pub use pulp::Simd;

/// The runtime half of `conv!` declarations.
pub mod conv_decl {
    pub use crate::conv::decl::{
        backward_input, backward_weight, check_bias, check_shape, forward_fused, params, shape,
    };
    pub use crate::nn::functional::conv::declared;
}
