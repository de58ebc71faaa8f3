//! The buffer behind a tensor, shared by all views of it and guarded by a read-write lock so a
//! write through one view (`set`) is seen by the others.
//!
//! A dropped storage of at least [`cache::MIN_BYTES`] hands its buffer to a small, bounded cache
//! ([`cache`]) that ops drawing their outputs from [`recycled`] reuse: a fresh multi-megabyte
//! `Vec` comes from `mmap` and page-faults on every first write to each page, which costs as much
//! as the softmax it holds (measured in `benches/softmax.rs`).

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::{Element, Error, Result};

pub(crate) mod cache;

/// A tensor's elements in storage order. Views share one `Storage` through an `Arc`.
#[derive(Debug)]
pub(crate) struct Storage<E: Element> {
    data: RwLock<Vec<E>>,
}

impl<E: Element> Storage<E> {
    /// Wraps `data`.
    pub(crate) fn new(data: Vec<E>) -> Self {
        Self {
            data: RwLock::new(data),
        }
    }

    /// Shared access for reading, e.g. to hand a kernel `&guard[..]`.
    ///
    /// The lock is not re-entrant: do not call [`Storage::write`] on the same storage while a
    /// read guard is alive on this thread (an op whose output aliases an input would deadlock).
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Vec<E>> {
        // A panic while holding the guard cannot leave a `Vec<E>` of plain floats invalid.
        self.data.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Exclusive access for writing.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Vec<E>> {
        self.data.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Number of elements stored.
    pub(crate) fn len(&self) -> usize {
        self.read().len()
    }
}

impl<E: Element> Drop for Storage<E> {
    fn drop(&mut self) {
        // `&mut self`: no view and no guard can reach the buffer any more.
        let data = self.data.get_mut().unwrap_or_else(PoisonError::into_inner);
        cache::give(core::mem::take(data));
    }
}

/// A buffer of exactly `n` elements whose contents are unspecified (finite or not: whatever a
/// dropped tensor held), for an op that overwrites every element; `None` when the cache holds
/// no buffer of a fitting size, and the caller allocates.
pub(crate) fn recycled<E: Element>(n: usize) -> Option<Vec<E>> {
    cache::take(n)
}

/// A buffer of `n` elements for an op that overwrites every element: a recycled one when the
/// cache has it (no zero-fill, no page faults), else a zeroed allocation (`calloc`, whose large
/// blocks come already zeroed from the kernel).
///
/// # Errors
/// [`Error::InvalidArgument`] naming `op` if `n` elements do not fit in an allocation (more
/// than `isize::MAX` bytes: an output shaped by a huge broadcast or window), where `vec!`
/// would panic.
pub(crate) fn output_buffer<E: Element>(op: &'static str, n: usize) -> Result<Vec<E>> {
    if let Some(v) = recycled(n) {
        return Ok(v);
    }
    check_allocation::<E>(op, n)?;
    Ok(vec![E::ZERO; n])
}

/// `Err` naming `op` if `n` elements of `E` exceed what one allocation may hold (`isize::MAX`
/// bytes), where `Vec` would panic with "capacity overflow".
pub(crate) fn check_allocation<E: Element>(op: &'static str, n: usize) -> Result<()> {
    let bytes = n.checked_mul(core::mem::size_of::<E>());
    if bytes.is_none_or(|b| b > isize::MAX as usize) {
        return Err(allocation_error::<E>(op, n));
    }
    Ok(())
}

/// The error of every buffer that cannot be allocated: `n` elements of `E` for `op`.
pub(crate) fn allocation_error<E: Element>(op: &'static str, n: usize) -> Error {
    Error::InvalidArgument {
        op,
        message: format!("cannot allocate {n} elements of {}", E::DTYPE),
    }
}
