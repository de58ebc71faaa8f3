//! Pooling layers: [`AvgPool2d`] and [`MaxPool2d`].

use super::Module;
use crate::simd::SimdElement;
use crate::{Result, Tensor};

macro_rules! pool_layer {
    ($(#[$doc:meta])* $name:ident => $method:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            /// Window `(kh, kw)`.
            pub kernel: [usize; 2],
            /// Step `(sh, sw)`.
            pub stride: [usize; 2],
            /// Zeros on both sides of each axis `(ph, pw)`.
            pub padding: [usize; 2],
        }

        impl $name {
            /// Windows of `kernel` with stride equal to the window and no padding (PyTorch's
            /// default, MiniTorch's only case).
            pub fn new(kernel: [usize; 2]) -> Self {
                Self { kernel, stride: kernel, padding: [0, 0] }
            }

            /// The same layer with another stride.
            pub fn with_stride(self, stride: [usize; 2]) -> Self {
                Self { stride, ..self }
            }

            /// The same layer with padding `(ph, pw)` on both sides of each axis.
            pub fn with_padding(self, padding: [usize; 2]) -> Self {
                Self { padding, ..self }
            }
        }

        impl<E: SimdElement> Module<E> for $name {
            fn forward(&self, x: &Tensor<E>) -> Result<Tensor<E>> {
                x.$method(self.kernel, self.stride, self.padding)
            }
        }
    };
}

pool_layer!(
    /// Average pooling over `(B, C, H, W)` (padding counts in the divisor).
    AvgPool2d => avg_pool2d
);
pool_layer!(
    /// Max pooling over `(B, C, H, W)`; the gradient goes to the first maximum of a window.
    MaxPool2d => max_pool2d
);
