//! Items the generated code of `#[map]`, `#[zip]`, `#[reduce]`, `conv!` and `pool!` reaches
//! through `::simdgrad::__private`. Not public API: names here may change in any release.

pub use crate::conv::{
    Activated, BiasRule, ConvActivation, ConvDecl, ConvKernel, ConvParams, ConvShape, Epilogue,
    Fixed, NoActivation, Specialised, StridedRef,
};
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

/// The runtime half of `conv!` declarations.
pub mod conv_decl {
    pub use crate::conv::decl::{
        backward_activation, backward_input, backward_weight, check_bias, check_shape, forward,
        forward_fused, params, shape,
    };
    pub use crate::nn::functional::conv::declared;
}
