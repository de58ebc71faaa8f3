//! Explicit, thresholded parallelism: how many threads kernels may use and how much work a task
//! needs before it is worth a thread.
//!
//! Below the threshold everything runs on the calling thread (a threaded kernel that runs slower
//! than a single thread is a known peer bug). Reductions split their input into chunks whose size
//! does not depend on the thread count, so results are identical for any setting.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// How a kernel may parallelise.
///
/// ```
/// use simdgrad::parallel::{self, Parallelism};
///
/// let before = parallel::get();
/// parallel::set(Parallelism { threads: 1, ..before });
/// assert_eq!(parallel::get().threads, 1);
/// parallel::set(before);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parallelism {
    /// Maximum number of threads (≥ 1). `1` means the calling thread only.
    pub threads: usize,
    /// Minimum number of elements one task must process before a second thread is used.
    pub min_work_per_task: usize,
}

impl Default for Parallelism {
    /// All available cores, and tasks of at least 2^16 elements (below that, thread wake-up costs
    /// more than the work saves on a memory-bound kernel).
    fn default() -> Self {
        Parallelism {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            min_work_per_task: 1 << 16,
        }
    }
}

const UNSET: usize = 0;
static THREADS: AtomicUsize = AtomicUsize::new(UNSET);
static MIN_WORK: AtomicUsize = AtomicUsize::new(UNSET);

/// The current process-wide setting.
pub fn get() -> Parallelism {
    let default = Parallelism::default();
    let threads = match THREADS.load(Ordering::Relaxed) {
        UNSET => default.threads,
        n => n,
    };
    let min_work_per_task = match MIN_WORK.load(Ordering::Relaxed) {
        UNSET => default.min_work_per_task,
        n => n,
    };
    Parallelism {
        threads,
        min_work_per_task,
    }
}

/// Changes the process-wide setting (`threads` and `min_work_per_task` are clamped to ≥ 1).
pub fn set(p: Parallelism) {
    THREADS.store(p.threads.max(1), Ordering::Relaxed);
    MIN_WORK.store(p.min_work_per_task.max(1), Ordering::Relaxed);
}

/// Number of tasks to split `work` elements into under the current setting (≥ 1).
pub fn tasks_for(work: usize) -> usize {
    get().tasks_for(work)
}

impl Parallelism {
    /// Number of tasks to split `work` elements into under this setting (≥ 1).
    pub fn tasks_for(self, work: usize) -> usize {
        (work / self.min_work_per_task.max(1)).clamp(1, self.threads.max(1))
    }
}

/// A rayon pool with exactly `threads` threads, built once per size and reused.
pub(crate) fn pool(threads: usize) -> Arc<ThreadPool> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<ThreadPool>>>> = OnceLock::new();
    let pools = POOLS.get_or_init(Default::default);
    let mut pools = pools.lock().unwrap_or_else(|e| e.into_inner());
    pools
        .entry(threads)
        .or_insert_with(|| {
            Arc::new(
                ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("simdgrad-{i}"))
                    .build()
                    .expect("building a rayon thread pool"),
            )
        })
        .clone()
}

/// Runs `f(task_index)` for `tasks` tasks: inline when `tasks == 1`, else on a pool of that size.
pub(crate) fn run_tasks<F>(tasks: usize, f: F)
where
    F: Fn(usize) + Sync,
{
    if tasks <= 1 {
        f(0);
        return;
    }
    pool(tasks).scope(|s| {
        for t in 0..tasks {
            let f = &f;
            s.spawn(move |_| f(t));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_respect_threshold_and_thread_count() {
        let p = Parallelism {
            threads: 2,
            min_work_per_task: 100,
        };
        assert_eq!(p.tasks_for(50), 1);
        assert_eq!(p.tasks_for(199), 1);
        assert_eq!(p.tasks_for(200), 2);
        assert_eq!(p.tasks_for(1_000_000), 2);
    }

    #[test]
    fn run_tasks_visits_every_task_once() {
        let hits: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
        run_tasks(3, |t| {
            hits[t].fetch_add(1, Ordering::Relaxed);
        });
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
    }
}
