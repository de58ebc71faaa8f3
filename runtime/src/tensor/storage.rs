//! The buffer behind a tensor, shared by all views of it and guarded by a read-write lock so a
//! write through one view (`set`) is seen by the others.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::Element;

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
