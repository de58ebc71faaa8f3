//! The specialised kernels [`super::Auto`] (and so `conv2d_*`, `conv1d_*`, `Tensor::conv2d`,
//! `Tensor::conv1d`) dispatches to, declared with the same `simdgrad::conv!` macro users write.
//! Stride, padding and dilation are run-time values here (`params = runtime`), so one kernel
//! per extent serves every layer.

simdgrad::conv! {
    /// 1×1 (pointwise) kernels.
    pub conv1x1: rank = 2, kernel = [1, 1], params = runtime;
    /// 3×3 kernels.
    pub conv3x3: rank = 2, kernel = [3, 3], params = runtime;
    /// 5×5 kernels.
    pub conv5x5: rank = 2, kernel = [5, 5], params = runtime;
    /// 1-D kernels of width 3.
    pub conv1d_k3: rank = 1, kernel = [3], params = runtime;
    /// 1-D kernels of width 4.
    pub conv1d_k4: rank = 1, kernel = [4], params = runtime;
    /// 1-D kernels of width 5.
    pub conv1d_k5: rank = 1, kernel = [5], params = runtime
}
