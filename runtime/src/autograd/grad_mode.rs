//! Whether operations record graph nodes: a thread-local switch, turned off inside a
//! [`no_grad`] scope or while a [`NoGradGuard`] lives.

use core::cell::Cell;
use core::marker::PhantomData;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// `true` unless the calling thread is inside a [`no_grad`] scope.
///
/// The setting is per thread: a `no_grad` scope on one thread does not affect another.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Turns gradient recording off on this thread until dropped, then restores the previous
/// setting (so guards nest). Not `Send`: it must be dropped on the thread that made it.
///
/// ```
/// use simdgrad::autograd::{is_grad_enabled, NoGradGuard};
/// {
///     let _guard = NoGradGuard::new();
///     assert!(!is_grad_enabled());
/// }
/// assert!(is_grad_enabled());
/// ```
#[must_use = "gradient recording is off only while the guard lives"]
pub struct NoGradGuard {
    previous: bool,
    // A raw-pointer marker keeps the guard on its thread: the setting it restores is thread-local.
    _not_send: PhantomData<*const ()>,
}

impl NoGradGuard {
    /// Turns recording off on this thread.
    pub fn new() -> Self {
        let previous = GRAD_ENABLED.with(|g| g.replace(false));
        Self {
            previous,
            _not_send: PhantomData,
        }
    }
}

impl Default for NoGradGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|g| g.set(self.previous));
    }
}

/// Runs `f` with gradient recording off on this thread (PyTorch's `with torch.no_grad():`):
/// tensors computed inside do not require grad. Nestable, and the previous setting is
/// restored even if `f` panics.
///
/// ```
/// use simdgrad::{autograd::no_grad, Tensor};
/// let w = Tensor::<f32>::ones(&[2, 2]).unwrap().requires_grad_(true);
/// let t = no_grad(|| w.transpose(0, 1)).unwrap();
/// assert!(!t.requires_grad());
/// assert!(w.transpose(0, 1).unwrap().requires_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = NoGradGuard::new();
    f()
}
