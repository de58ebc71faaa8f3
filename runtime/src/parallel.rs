//! Explicit, thresholded parallelism: how many threads kernels may use and how much work a task
//! needs before it is worth a thread.
//!
//! Below the threshold everything runs on the calling thread (a threaded kernel that runs slower
//! than a single thread is a known peer bug). Reductions split their input into chunks whose size
//! does not depend on the thread count, so results are identical for any setting.
//!
//! Above it, the drivers run their tasks on a small fork-join team (`team.rs`): the caller
//! takes part, helpers poll briefly between jobs and tasks are claimed dynamically, so a call of
//! ~0.1 ms no longer pays two thread wake-ups as it did through a rayon `scope`. Code that needs
//! a rayon pool (`install`) still gets one from `pool`.

mod team;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rayon::{ThreadPool, ThreadPoolBuilder};

use team::Team;

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
            threads: available_cores(),
            min_work_per_task: 1 << 16,
        }
    }
}

/// `std::thread::available_parallelism`, asked once: on Linux it reads the cgroup quota files
/// on every call (tens of µs, as long as a whole L3-sized map), and every driver call asks.
fn available_cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

const UNSET: usize = 0;
static THREADS: AtomicUsize = AtomicUsize::new(UNSET);
static MIN_WORK: AtomicUsize = AtomicUsize::new(UNSET);

/// The current process-wide setting.
pub fn get() -> Parallelism {
    let threads = match THREADS.load(Ordering::Relaxed) {
        UNSET => available_cores(),
        n => n,
    };
    let min_work_per_task = match MIN_WORK.load(Ordering::Relaxed) {
        UNSET => Parallelism::default().min_work_per_task,
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

    /// `(threads, tasks)` for a driver over `work` elements: [`Parallelism::tasks_for`]
    /// threads, and [`TASKS_PER_THREAD`] tasks per thread when there is more than one (tasks
    /// are claimed dynamically, so a thread that another process slows down leaves its share
    /// to the others). One thread means one task: the driver runs inline.
    pub(crate) fn split(self, work: usize) -> (usize, usize) {
        match self.tasks_for(work) {
            1 => (1, 1),
            threads => (threads, threads * TASKS_PER_THREAD),
        }
    }
}

/// Tasks per thread of a threaded driver call (see [`Parallelism::split`]).
pub(crate) const TASKS_PER_THREAD: usize = 4;

/// A rayon pool with exactly `threads` threads, built once per size and reused; for code that
/// needs rayon itself (the drivers use `run_on`).
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

/// Runs `f(task_index)` for `tasks` tasks: inline when `tasks == 1`, else on the caller and
/// `tasks - 1` helper threads.
pub(crate) fn run_tasks<F>(tasks: usize, f: F)
where
    F: Fn(usize) + Sync,
{
    run_on(tasks, tasks, f);
}

/// Runs `f(task_index)` for `tasks` tasks on at most `threads` threads (the caller included).
/// Tasks are claimed dynamically, so which thread runs a task varies from call to call: `f`
/// must compute the same thing whoever runs it (every driver gives task `t` a fixed range).
/// With one thread or one task, everything runs inline and no helper thread is touched.
pub(crate) fn run_on<F>(threads: usize, tasks: usize, f: F)
where
    F: Fn(usize) + Sync,
{
    if tasks <= 1 || threads <= 1 {
        (0..tasks).for_each(f);
        return;
    }
    match Team::get(threads.min(tasks)) {
        Some(team) => team.run(tasks, &f),
        None => (0..tasks).for_each(f),
    }
}

/// Runs `f(index, piece)` for every piece (typically disjoint `&mut` parts of an output) on at
/// most `threads` threads, as [`run_on`].
pub(crate) fn for_each_piece<T, F>(threads: usize, pieces: Vec<T>, f: F)
where
    T: Send,
    F: Fn(usize, T) + Sync,
{
    let slots: Vec<Mutex<Option<T>>> = pieces.into_iter().map(|p| Mutex::new(Some(p))).collect();
    run_on(threads, slots.len(), |t| {
        let piece = slots[t]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(piece) = piece {
            f(t, piece);
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
    fn split_gives_one_task_below_the_threshold_and_several_per_thread_above() {
        let p = Parallelism {
            threads: 2,
            min_work_per_task: 100,
        };
        assert_eq!(p.split(199), (1, 1));
        assert_eq!(p.split(200), (2, 2 * TASKS_PER_THREAD));
        let one = Parallelism { threads: 1, ..p };
        assert_eq!(one.split(1 << 30), (1, 1));
    }

    fn calls() -> usize {
        team::TEAM_CALLS.with(|c| c.get())
    }

    #[test]
    fn run_on_visits_every_task_once_for_any_thread_and_task_count() {
        // Under Miri the split of a count above `MAX_TASKS` into several jobs costs minutes of
        // interpretation; the small counts still exercise the claiming protocol.
        let counts: &[usize] = if cfg!(miri) {
            &[0, 1, 2, 3, 7, 64]
        } else {
            &[0, 1, 2, 3, 7, 64, team::MAX_TASKS + 3]
        };
        for threads in [1, 2, 3, 5] {
            for &tasks in counts {
                let hits: Vec<AtomicUsize> = (0..tasks).map(|_| AtomicUsize::new(0)).collect();
                run_on(threads, tasks, |t| {
                    hits[t].fetch_add(1, Ordering::Relaxed);
                });
                assert!(
                    hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
                    "{threads} threads, {tasks} tasks"
                );
            }
        }
    }

    #[test]
    fn one_thread_or_one_task_runs_inline_without_a_team() {
        let me = std::thread::current().id();
        let before = calls();
        run_on(1, 5, |_| assert_eq!(std::thread::current().id(), me));
        run_on(4, 1, |_| assert_eq!(std::thread::current().id(), me));
        assert_eq!(calls(), before);
        run_on(2, 2, |_| {});
        assert_eq!(calls(), before + 1);
    }

    #[test]
    fn helpers_run_tasks_concurrently_with_the_caller() {
        // Each task waits until all have started: this finishes only if six threads run them
        // at the same time (the deadline turns a hang into a failure). No other test uses a
        // team of six, so this one is never busy with another test's job.
        const N: usize = 6;
        let started = AtomicUsize::new(0);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let met = AtomicUsize::new(0);
        run_on(N, N, |_| {
            started.fetch_add(1, Ordering::SeqCst);
            while started.load(Ordering::SeqCst) < N && std::time::Instant::now() < deadline {
                std::thread::yield_now();
            }
            if started.load(Ordering::SeqCst) == N {
                met.fetch_add(1, Ordering::SeqCst);
            }
        });
        assert_eq!(met.load(Ordering::SeqCst), N);
    }

    #[test]
    fn nested_and_concurrent_calls_complete() {
        let total = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..50 {
                        run_on(2, 4, |_| {
                            // A nested call finds the team busy and runs inline.
                            run_on(2, 3, |_| {
                                total.fetch_add(1, Ordering::Relaxed);
                            });
                        });
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 4 * 50 * 4 * 3);
    }

    #[test]
    fn a_panicking_task_reaches_the_caller_and_the_team_stays_usable() {
        for bad in [0, 3] {
            let r = std::panic::catch_unwind(|| {
                run_on(2, 4, |t| {
                    if t == bad {
                        panic!("task {t} fails");
                    }
                })
            });
            let msg = r.expect_err("the panic is re-raised");
            assert_eq!(
                msg.downcast_ref::<String>().map(String::as_str),
                Some(&*format!("task {bad} fails"))
            );
        }
        let hits = AtomicUsize::new(0);
        run_on(2, 4, |_| {
            hits.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(hits.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn for_each_piece_hands_every_piece_to_one_task() {
        let mut data = vec![0usize; 1000];
        let pieces: Vec<(usize, &mut [usize])> = data.chunks_mut(64).enumerate().collect();
        for_each_piece(2, pieces, |t, (i, piece)| {
            assert_eq!(t, i);
            piece.iter_mut().for_each(|v| *v += i + 1);
        });
        for (i, v) in data.iter().enumerate() {
            assert_eq!(*v, i / 64 + 1);
        }
    }

    #[test]
    fn drivers_below_the_threshold_never_touch_a_team() {
        use crate::ops::builtins::{Relu, Sum};
        use crate::ops::Exec;
        use crate::Tensor;
        let par = |threads| Exec {
            parallelism: Some(Parallelism {
                threads,
                min_work_per_task: 1000,
            }),
            ..Exec::default()
        };
        let small = Tensor::<f32>::zeros(&[1999]).unwrap();
        let before = calls();
        small.map_exec(Relu, par(2)).unwrap();
        small.reduce_all_exec(Sum, par(2)).unwrap();
        small
            .reshape(&[1, 1999])
            .unwrap()
            .reduce_exec(Sum, 1, par(2))
            .unwrap();
        assert_eq!(calls(), before);
        let large = Tensor::<f32>::zeros(&[2000]).unwrap();
        large.map_exec(Relu, par(1)).unwrap();
        assert_eq!(calls(), before);
        large.map_exec(Relu, par(2)).unwrap();
        assert_eq!(calls(), before + 1);
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
