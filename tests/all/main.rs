//! The integration tests: one binary, one module per area (`ops`: kernel DSL, tensor ops,
//! autograd, trybuild; `conv` and `pool`: the `conv!` / `pool!` declarations; `nn`: layers,
//! training, data loading, edge values), each with one module per subject.
//!
//! One binary rather than one per area because every binary monomorphises the generic kernels,
//! tensor ops and autograd it calls for itself (rustc shares no generic instances between
//! optimised crates); compiled once, the shared part no longer dominates CI's build. Run an area
//! or a subject alone with a filter: `cargo test --test all pool::` or
//! `cargo test --test all ops::dsl_map::`.

mod conv;
mod nn;
mod ops;
mod pool;

use simdgrad::parallel::{self, Parallelism};
use std::sync::Mutex;

/// Runs `f` under `p`, the process-wide parallelism setting, then restores the previous
/// setting. All the tests share one process, so the lock keeps two of them from interleaving
/// their changes (results never depend on the setting, but a test that means to exercise the
/// threaded path must really get it).
pub(crate) fn with_parallelism<T>(p: Parallelism, f: impl FnOnce() -> T) -> T {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let before = parallel::get();
    parallel::set(p);
    let out = f();
    parallel::set(before);
    out
}
