//! A small fork-join team: the calling thread plus `size - 1` helper threads that claim task
//! indices from one atomic word.
//!
//! Why not a rayon pool: a memory-bound kernel on an L3-sized tensor takes ~0.1 ms, about what
//! a cross-pool `scope` costs when both pool threads have gone to sleep and the caller blocks on
//! a latch (two futex wake-ups, each an inter-processor interrupt under a hypervisor). Here the
//! caller works on tasks itself, the helpers keep polling for [`HELPER_SPIN`] after a job before
//! they sleep, and tasks are claimed dynamically: a helper that is slow to wake costs nothing,
//! because the caller takes the tasks it has not claimed. Which thread runs a task never
//! changes what the task computes, so results stay independent of the thread count.
//!
//! The job word packs `epoch | tasks | next` so that a claim (one compare-and-swap) can only
//! succeed for the job it was read from: a helper that wakes late cannot claim a task of a job
//! that has finished, and the caller cannot return while a claimed task still runs.

use std::any::Any;
use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

#[cfg(test)]
thread_local! {
    /// Calls of [`Team::run`] made by this thread: tests check that work below the threshold
    /// never reaches a team.
    pub(crate) static TEAM_CALLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How long a helper keeps polling for the next job before it sleeps: long enough to bridge the
/// gap between the ops of a forward pass, short enough not to hold a core when idle.
pub(crate) const HELPER_SPIN: Duration = Duration::from_micros(100);
/// How long the caller polls for the helpers' last tasks before it sleeps on a condvar.
const CALLER_SPIN: Duration = Duration::from_micros(50);
/// Polls between two reads of the clock.
const POLLS_PER_CLOCK: u32 = 64;

/// Team sizes `0..DIRECT_TEAMS` that [`Team::get`] finds without a lock (a thread count above
/// 64 is rare enough that the locked map serves it).
const DIRECT_TEAMS: usize = 65;

/// Most tasks one job word can count; [`Team::run`] splits larger counts into several jobs.
pub(crate) const MAX_TASKS: usize = 0xffff;
const EPOCH_SHIFT: u32 = 32;
const TASKS_SHIFT: u32 = 16;

fn pack(epoch: u64, tasks: usize, next: usize) -> u64 {
    (epoch << EPOCH_SHIFT) | ((tasks as u64) << TASKS_SHIFT) | next as u64
}

fn unpack(word: u64) -> (u64, usize, usize) {
    (
        word >> EPOCH_SHIFT,
        ((word >> TASKS_SHIFT) & MAX_TASKS as u64) as usize,
        (word & MAX_TASKS as u64) as usize,
    )
}

/// A type-erased `&F` where `F: Fn(usize) + Sync`.
#[derive(Clone, Copy)]
struct Job {
    data: *const (),
    call: unsafe fn(*const (), usize),
}

impl Job {
    const NONE: Job = Job {
        data: std::ptr::null(),
        call: call_nothing,
    };

    fn new<F: Fn(usize) + Sync>(f: &F) -> Self {
        Job {
            data: (f as *const F).cast(),
            call: call_erased::<F>,
        }
    }
}

/// # Safety
/// `data` must point to a live `F`.
unsafe fn call_erased<F: Fn(usize) + Sync>(data: *const (), task: usize) {
    // SAFETY: the caller guarantees `data` came from `Job::new::<F>` and that the `F` is alive;
    // `F: Sync`, so sharing `&F` with this thread is allowed.
    let f = unsafe { &*data.cast::<F>() };
    f(task);
}

unsafe fn call_nothing(_: *const (), _: usize) {}

/// The calling thread plus `size - 1` helpers.
pub(crate) struct Team {
    /// `epoch | tasks | next` of the current job (see the module doc).
    word: AtomicU64,
    /// The current job; written only by the caller holding `busy`, between jobs.
    job: UnsafeCell<Job>,
    /// Tasks of the current job that have finished (or panicked).
    done: AtomicUsize,
    /// Held by the one caller whose job the team runs.
    busy: AtomicBool,
    /// Helpers asleep on `wake`.
    sleepers: AtomicUsize,
    /// The caller is asleep on `finished`.
    caller_asleep: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
    finished: Condvar,
    /// The first panic of the current job, re-raised on the caller.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

// SAFETY: `job` is the only field that is not `Sync` by itself. It is written only by the
// thread holding `busy` while no task of any job can be claimed (before the `word` store that
// starts a job, after every claimed task has reported to `done`), and read only by a thread
// that has just claimed a task of that job by a compare-and-swap on `word` (acquire), which
// orders the read after the write (release).
unsafe impl Sync for Team {}

fn relock<'a, T>(
    r: Result<MutexGuard<'a, T>, PoisonError<MutexGuard<'a, T>>>,
) -> MutexGuard<'a, T> {
    r.unwrap_or_else(PoisonError::into_inner)
}

impl Team {
    /// The team of `size` threads (the caller and `size - 1` helpers), started on first use and
    /// kept for the life of the process; `None` when a helper thread cannot be started.
    ///
    /// Every parallel region asks for its team, so sizes below [`DIRECT_TEAMS`] are one atomic
    /// load once started (a `OnceLock` per size); a global mutex there made every region
    /// serialise on one lock. Larger sizes, rare, share a locked map.
    pub(crate) fn get(size: usize) -> Option<&'static Team> {
        static DIRECT: [OnceLock<Option<&'static Team>>; DIRECT_TEAMS] =
            [const { OnceLock::new() }; DIRECT_TEAMS];
        static LARGER: OnceLock<Mutex<HashMap<usize, Option<&'static Team>>>> = OnceLock::new();
        match DIRECT.get(size) {
            Some(slot) => *slot.get_or_init(|| Team::start(size)),
            None => {
                let mut teams = relock(LARGER.get_or_init(Default::default).lock());
                *teams.entry(size).or_insert_with(|| Team::start(size))
            }
        }
    }

    fn start(size: usize) -> Option<&'static Team> {
        let team: &'static Team = Box::leak(Box::new(Team {
            word: AtomicU64::new(pack(0, 0, 0)),
            job: UnsafeCell::new(Job::NONE),
            done: AtomicUsize::new(0),
            busy: AtomicBool::new(false),
            sleepers: AtomicUsize::new(0),
            caller_asleep: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            finished: Condvar::new(),
            panic: Mutex::new(None),
        }));
        for i in 1..size {
            let spawned = std::thread::Builder::new()
                .name(format!("simdgrad-{i}"))
                .spawn(move || team.helper());
            if spawned.is_err() {
                // Helpers already started only ever claim tasks of jobs; with no job published
                // they sleep. The team is not used.
                return None;
            }
        }
        Some(team)
    }

    /// Runs `f(t)` once for every `t < tasks`, on the caller and the helpers; returns after all
    /// have finished and re-raises the first panic. If the team is already running a job (a
    /// nested call from inside a task, or another thread's call), every task runs on the
    /// calling thread instead.
    pub(crate) fn run<F: Fn(usize) + Sync>(&self, tasks: usize, f: &F) {
        #[cfg(test)]
        TEAM_CALLS.with(|c| c.set(c.get() + 1));
        if self
            .busy
            .compare_exchange(false, true, Acquire, Relaxed)
            .is_err()
        {
            (0..tasks).for_each(f);
            return;
        }
        let mut first = 0;
        while first < tasks {
            let count = (tasks - first).min(MAX_TASKS);
            let shifted = |t: usize| f(first + t);
            self.run_job(count, &shifted);
            first += count;
        }
        let payload = relock(self.panic.lock()).take();
        self.busy.store(false, Release);
        if let Some(p) = payload {
            panic::resume_unwind(p);
        }
    }

    /// One job of at most [`MAX_TASKS`] tasks; the caller holds `busy`.
    fn run_job<F: Fn(usize) + Sync>(&self, tasks: usize, f: &F) {
        let (epoch, _, _) = unpack(self.word.load(Relaxed));
        // SAFETY: we hold `busy` and the previous job has fully finished (run_job returns only
        // once `done` reached its task count), so no thread reads `job` now (see `impl Sync`).
        unsafe { *self.job.get() = Job::new(f) };
        self.done.store(0, Relaxed);
        self.word
            .store(pack(epoch.wrapping_add(1) & 0xffff_ffff, tasks, 0), SeqCst);
        if self.sleepers.load(SeqCst) > 0 {
            let _g = relock(self.lock.lock());
            self.wake.notify_all();
        }
        self.work();
        self.wait_done(tasks);
        // Nothing can claim a task of this job any more (`next == tasks`) and every claimed
        // task has finished: `f` may now go out of scope.
    }

    /// Claims and runs tasks of the current job until none is left.
    fn work(&self) {
        let mut word = self.word.load(Acquire);
        loop {
            let (epoch, tasks, next) = unpack(word);
            if next >= tasks {
                return;
            }
            match self.word.compare_exchange_weak(
                word,
                pack(epoch, tasks, next + 1),
                AcqRel,
                Acquire,
            ) {
                Ok(_) => {
                    // SAFETY: the successful claim orders this read after the caller's write of
                    // this job, and the caller keeps `f` alive until this task reports to `done`.
                    let job = unsafe { *self.job.get() };
                    let result =
                        // SAFETY: `job.data` points to the caller's live `F` (see above).
                        panic::catch_unwind(AssertUnwindSafe(|| unsafe { (job.call)(job.data, next) }));
                    if let Err(p) = result {
                        relock(self.panic.lock()).get_or_insert(p);
                    }
                    if self.done.fetch_add(1, SeqCst) + 1 == tasks
                        && self.caller_asleep.load(SeqCst)
                    {
                        let _g = relock(self.lock.lock());
                        self.finished.notify_all();
                    }
                    word = self.word.load(Acquire);
                }
                Err(current) => word = current,
            }
        }
    }

    /// The caller waits until all `tasks` tasks of its job have finished.
    fn wait_done(&self, tasks: usize) {
        let start = Instant::now();
        let mut polls = 0u32;
        while self.done.load(Acquire) != tasks {
            std::hint::spin_loop();
            polls += 1;
            if polls.is_multiple_of(POLLS_PER_CLOCK) && start.elapsed() > CALLER_SPIN {
                let mut g = relock(self.lock.lock());
                self.caller_asleep.store(true, SeqCst);
                while self.done.load(SeqCst) != tasks {
                    g = relock(self.finished.wait(g));
                }
                self.caller_asleep.store(false, SeqCst);
                return;
            }
        }
    }

    /// A helper's life: wait for a new job, claim its tasks, repeat.
    fn helper(&self) {
        let mut seen = 0;
        loop {
            seen = self.next_epoch(seen);
            self.work();
        }
    }

    /// Polls for a job with an epoch other than `seen` for [`HELPER_SPIN`], then sleeps until
    /// one is published; returns its epoch.
    fn next_epoch(&self, seen: u64) -> u64 {
        let start = Instant::now();
        let mut polls = 0u32;
        loop {
            let (epoch, _, _) = unpack(self.word.load(Acquire));
            if epoch != seen {
                return epoch;
            }
            std::hint::spin_loop();
            polls += 1;
            if polls.is_multiple_of(POLLS_PER_CLOCK) && start.elapsed() > HELPER_SPIN {
                break;
            }
        }
        let mut g = relock(self.lock.lock());
        self.sleepers.fetch_add(1, SeqCst);
        loop {
            let (epoch, _, _) = unpack(self.word.load(SeqCst));
            if epoch != seen {
                self.sleepers.fetch_sub(1, SeqCst);
                return epoch;
            }
            g = relock(self.wake.wait(g));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every call for one size gets the same team (so its helpers are started once), on the
    /// lock-free path and on the locked one above [`DIRECT_TEAMS`], and that team runs every task.
    #[test]
    fn get_gives_one_team_per_size() {
        // The locked path starts `DIRECT_TEAMS` threads: too slow under Miri.
        let sizes: &[usize] = if cfg!(miri) { &[2] } else { &[2, DIRECT_TEAMS] };
        for &size in sizes {
            let first = Team::get(size).expect("team");
            let again = std::thread::scope(|s| s.spawn(|| Team::get(size)).join().unwrap());
            assert!(std::ptr::eq(first, again.expect("team")), "size {size}");
            let ran = AtomicUsize::new(0);
            first.run(5, &|t| {
                ran.fetch_add(1 << t, Relaxed);
            });
            assert_eq!(ran.into_inner(), 0b11111, "size {size}");
        }
    }
}
