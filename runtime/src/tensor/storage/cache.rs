//! A small, bounded, thread-safe cache of freed large tensor buffers, reused by ops that
//! overwrite every element of their output.
//!
//! Why: glibc serves a multi-megabyte `Vec` with `mmap` and returns it with `munmap` on drop, so
//! an op that allocates a 4 MB output on every call page-faults (and the kernel zeroes) all of
//! its pages every call. Keeping a few freed buffers avoids that.
//!
//! Bounds: only buffers of [`MIN_BYTES`] to [`MAX_BYTES`] are kept, at most [`MAX_ENTRIES`] of
//! them and at most [`MAX_BYTES`] in total; the oldest are freed first. A buffer is handed out
//! only when its capacity is within 1/8 of the request, so a small request never pins a large
//! block. Buffers move by value (the cache owns what it holds, the caller owns what it took), so
//! a buffer in use can never be handed out twice.

use std::any::{Any, TypeId};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::Element;

/// Smallest buffer kept (bytes). Below glibc's default `mmap` threshold (128 KiB) `malloc`
/// reuses freed memory on its own; 256 KiB leaves a margin.
pub(crate) const MIN_BYTES: usize = 256 << 10;
/// Largest total (bytes) the cache holds, and so the largest single buffer it keeps.
pub(crate) const MAX_BYTES: usize = 64 << 20;
/// Most buffers held at once.
pub(crate) const MAX_ENTRIES: usize = 16;

/// One held buffer: a `Vec<E>` behind `Any`, with its element type and capacity.
struct Entry {
    ty: TypeId,
    cap: usize,
    bytes: usize,
    buf: Box<dyn Any + Send>,
}

/// The cache's state; the process-wide instance lives behind [`CACHE`].
pub(crate) struct Cache {
    entries: VecDeque<Entry>,
    bytes: usize,
}

static CACHE: Mutex<Cache> = Mutex::new(Cache::new());
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns the reuse of freed large tensor buffers on (the default) or off, process-wide.
///
/// When on, a dropped tensor buffer of 256 KiB to 64 MiB is kept (at most 16 buffers and
/// 64 MiB in total) and handed to the next op that needs an output of about that size and
/// overwrites it whole (softmax, log-softmax and their backward), sparing it the page faults
/// of a fresh allocation. Turning it off frees every kept buffer; a program short of memory,
/// or a benchmark of the allocating path, may want that.
///
/// ```
/// use simdgrad::tensor::set_buffer_reuse;
/// set_buffer_reuse(false); // frees what the cache holds
/// set_buffer_reuse(true);
/// ```
pub fn set_buffer_reuse(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
    if !on {
        let held = {
            let mut c = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
            c.bytes = 0;
            core::mem::take(&mut c.entries)
        };
        // Freed after the lock is released.
        drop(held);
    }
}

impl Cache {
    /// An empty cache.
    pub(crate) const fn new() -> Self {
        Cache {
            entries: VecDeque::new(),
            bytes: 0,
        }
    }

    /// Keeps `v` if its size qualifies; returns the buffers to free (`v` itself if refused, the
    /// evicted oldest ones otherwise), so the caller frees them outside the lock.
    fn insert<E: Element>(&mut self, v: Vec<E>) -> Vec<Box<dyn Any + Send>> {
        let bytes = v.capacity() * core::mem::size_of::<E>();
        if !(MIN_BYTES..=MAX_BYTES).contains(&bytes) {
            return vec![Box::new(v)];
        }
        self.entries.push_back(Entry {
            ty: TypeId::of::<E>(),
            cap: v.capacity(),
            bytes,
            buf: Box::new(v),
        });
        self.bytes += bytes;
        let mut evicted = Vec::new();
        while self.bytes > MAX_BYTES || self.entries.len() > MAX_ENTRIES {
            let Some(old) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= old.bytes;
            evicted.push(old.buf);
        }
        evicted
    }

    /// Removes and returns the tightest held buffer of `E` with room for `n` elements (and at
    /// most `n/8` more), resized to length `n`.
    fn remove<E: Element>(&mut self, n: usize) -> Option<Vec<E>> {
        if n.saturating_mul(core::mem::size_of::<E>()) < MIN_BYTES {
            return None;
        }
        let ty = TypeId::of::<E>();
        let fits = |e: &Entry| e.ty == ty && e.cap >= n && e.cap - n <= n / 8;
        let (i, _) = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| fits(e))
            .min_by_key(|(_, e)| e.cap)?;
        let e = self.entries.remove(i)?;
        self.bytes -= e.bytes;
        let mut v = *e.buf.downcast::<Vec<E>>().ok()?;
        // Shorter than `n` only if the dropped tensor did not fill its capacity: the gap is
        // at most n/8 elements.
        v.resize(n, E::ZERO);
        Some(v)
    }
}

/// Hands a freed buffer to the process-wide cache (or frees it).
pub(crate) fn give<E: Element>(v: Vec<E>) {
    let bytes = v.capacity() * core::mem::size_of::<E>();
    if !(MIN_BYTES..=MAX_BYTES).contains(&bytes) || !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    let evicted = CACHE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(v);
    // Freed after the lock is released: `munmap` is slow.
    drop(evicted);
}

/// A buffer of `n` elements (contents unspecified) from the process-wide cache, if it holds one.
pub(crate) fn take<E: Element>(n: usize) -> Option<Vec<E>> {
    if n.saturating_mul(core::mem::size_of::<E>()) < MIN_BYTES || !ENABLED.load(Ordering::Relaxed) {
        return None;
    }
    CACHE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: usize = MIN_BYTES / 4; // f32 elements in a MIN_BYTES buffer

    impl Cache {
        fn give<E: Element>(&mut self, v: Vec<E>) {
            drop(self.insert(v));
        }
        fn take<E: Element>(&mut self, n: usize) -> Option<Vec<E>> {
            self.remove(n)
        }
        fn len(&self) -> usize {
            self.entries.len()
        }
        fn bytes(&self) -> usize {
            self.bytes
        }
    }

    #[test]
    fn small_and_huge_buffers_are_not_kept() {
        let mut c = Cache::new();
        c.give(vec![0f32; BIG - 1]);
        c.give(vec![0f64; MAX_BYTES / 8 + 1]);
        assert_eq!((c.len(), c.bytes()), (0, 0));
        assert!(c.take::<f32>(BIG - 1).is_none());
    }

    #[test]
    fn total_bytes_and_entries_stay_bounded() {
        let mut c = Cache::new();
        for i in 0..100 {
            // 1 to 16 MiB buffers of both types.
            let n = (1 + i % 16) << 18;
            if i % 2 == 0 {
                c.give(vec![0f32; n]);
            } else {
                c.give(vec![0f64; n / 2]);
            }
            assert!(c.bytes() <= MAX_BYTES, "{} bytes after {i}", c.bytes());
            assert!(c.len() <= MAX_ENTRIES);
        }
        let held: usize = c.entries.iter().map(|e| e.bytes).sum();
        assert_eq!(held, c.bytes());
    }

    #[test]
    fn a_buffer_in_use_is_never_handed_out() {
        let mut c = Cache::new();
        c.give(vec![1f32; BIG]);
        let a = c.take::<f32>(BIG).expect("the cached buffer");
        assert_eq!(a.len(), BIG);
        // While `a` is held the cache has nothing to give.
        assert!(c.take::<f32>(BIG).is_none());
        let b = vec![2f32; BIG];
        assert_ne!(a.as_ptr(), b.as_ptr());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        c.give(a);
        c.give(b);
        let x = c.take::<f32>(BIG).unwrap();
        let y = c.take::<f32>(BIG).unwrap();
        assert_ne!(x.as_ptr(), y.as_ptr());
        let mut got = [x.as_ptr(), y.as_ptr()];
        got.sort();
        let mut want = [pa, pb];
        want.sort();
        assert_eq!(got, want);
        assert!(c.take::<f32>(BIG).is_none());
        assert_eq!((c.len(), c.bytes()), (0, 0));
    }

    #[test]
    fn types_and_sizes_are_matched() {
        let mut c = Cache::new();
        c.give(vec![0f64; BIG / 2]); // same bytes as `BIG` f32
        assert!(c.take::<f32>(BIG).is_none());
        c.give(vec![0f32; 2 * BIG]);
        // Too large for a request of BIG (more than 1/8 slack), too small for 3·BIG.
        assert!(c.take::<f32>(BIG).is_none());
        assert!(c.take::<f32>(3 * BIG).is_none());
        // Within 1/8: handed out at the requested length.
        let v = c.take::<f32>(2 * BIG - 100).unwrap();
        assert_eq!(v.len(), 2 * BIG - 100);
        let d = c.take::<f64>(BIG / 2).unwrap();
        assert_eq!(d.len(), BIG / 2);
    }

    #[test]
    fn a_shorter_buffer_is_extended_to_the_request() {
        let mut c = Cache::new();
        let mut v = Vec::<f32>::with_capacity(BIG + 64);
        v.resize(BIG, 3.0);
        c.give(v);
        let w = c.take::<f32>(BIG + 10).unwrap();
        assert_eq!(w.len(), BIG + 10);
        assert_eq!(w[BIG - 1], 3.0);
    }

    #[test]
    fn the_global_cache_recycles_a_dropped_tensor() {
        use crate::Tensor;
        // A size no other test uses, so a parallel test cannot take it first.
        let n = BIG + 12_345;
        let t = Tensor::<f32>::from_vec(vec![7.0; n], &[n]).unwrap();
        let p = t.storage().read().as_ptr();
        drop(t);
        let v = take::<f32>(n).expect("the dropped tensor's buffer");
        assert_eq!(v.as_ptr(), p);
        assert_eq!(v.len(), n);
    }
}
