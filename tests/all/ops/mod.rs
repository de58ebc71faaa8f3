//! The kernel-DSL, tensor-op and autograd tests: one test binary, one module per subject.
//!
//! The tests live in one binary rather than one per file because every binary monomorphises
//! the generic kernels and tensor ops it calls for itself; one binary compiles them once, which
//! keeps CI within its budget. Run a subject alone with a filter:
//! `cargo test --test ops dsl_map::`.

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

use simdgrad::parallel::{self, Parallelism};
use std::sync::Mutex;

/// Runs `f` under `p`, the process-wide parallelism setting, then restores the previous
/// setting. The tests of this binary share one process, so the lock keeps two of them from
/// interleaving their changes (results never depend on the setting, but a test that means to
/// exercise the threaded path must really get it).
pub(crate) fn with_parallelism<T>(p: Parallelism, f: impl FnOnce() -> T) -> T {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let before = parallel::get();
    parallel::set(p);
    let out = f();
    parallel::set(before);
    out
}
