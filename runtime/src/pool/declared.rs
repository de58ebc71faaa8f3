//! The pools the runtime's `MaxPool2d` / `AvgPool2d` layers and `Tensor::max_pool2d` /
//! `avg_pool2d` dispatch to for the common sizes, declared with `pool!` like a user's.

simdgrad_macros::pool! { pub max_2x2_s2: reduce = max, window = [2, 2], stride = [2, 2] }
simdgrad_macros::pool! { pub max_3x3_s2: reduce = max, window = [3, 3], stride = [2, 2] }
simdgrad_macros::pool! { pub max_3x3_s1: reduce = max, window = [3, 3], stride = [1, 1] }
simdgrad_macros::pool! { pub avg_2x2_s2: reduce = avg, window = [2, 2], stride = [2, 2] }
simdgrad_macros::pool! { pub avg_3x3_s2: reduce = avg, window = [3, 3], stride = [2, 2] }
simdgrad_macros::pool! { pub avg_3x3_s1: reduce = avg, window = [3, 3], stride = [1, 1] }
