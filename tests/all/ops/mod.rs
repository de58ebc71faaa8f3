//! The kernel-DSL, tensor-op and autograd tests, one module per subject. Run a subject alone
//! with a filter: `cargo test --test all ops::dsl_map::`.

mod dsl_support;
mod ops_util;

mod autograd_engine;
mod autograd_ops;
mod autograd_views;
mod check_grads;
mod dsl_map;
mod dsl_reduce;
mod dsl_zip;
mod fuzz_regressions;
mod kernel_drivers;
mod matmul;
mod ops_backward;
mod ops_forward;
mod ops_into;
mod ops_paths;
mod ops_reduce;
mod softmax_reuse;
mod tensor_layout;
mod tensor_views_prop;
mod ui;
