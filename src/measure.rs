//! A small timing helper for the bench card: warm-up, then the median of timed calls.
//!
//! Criterion is the tool for careful statistics; the bench card only needs one robust figure
//! per row (the median of at least ten calls), printed in a fixed line format, and it must run
//! the same measurement against this machine's limits in the same process.
//!
//! Calls are timed on the wall clock by default. On a machine shared with other busy processes
//! a call that lasts longer than a scheduler slice is almost always preempted, and its wall time
//! then measures the other processes; [`Clock::ThreadCpu`] times the calling thread's CPU time
//! instead, which leaves out the time spent descheduled (but not the cache and memory
//! bandwidth the other processes take).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// The fewest timed calls a bench-card figure may rest on (performance.md asks for ≥ 10).
pub const MIN_REPS: usize = 10;

/// The clock a timing reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Elapsed real time ([`Instant`]).
    Wall,
    /// CPU time of the calling thread (Linux `CLOCK_THREAD_CPUTIME_ID`); falls back to the wall
    /// clock where unavailable. Only meaningful for single-threaded calls.
    ThreadCpu,
}

impl Clock {
    /// Short display name.
    pub fn name(self) -> &'static str {
        match self {
            Clock::Wall => "wall",
            Clock::ThreadCpu => "thread-cpu",
        }
    }

    /// The current reading, as a duration since an arbitrary origin fixed for the thread.
    fn now(self, origin: Instant) -> Duration {
        match self {
            Clock::ThreadCpu => thread_cpu_time().unwrap_or_else(|| origin.elapsed()),
            Clock::Wall => origin.elapsed(),
        }
    }
}

/// The calling thread's CPU time, through `rustix`'s safe `clock_gettime` (it already came with
/// the dev tools; its libc backend is what Miri runs, so this module has no `unsafe` left).
#[cfg(target_os = "linux")]
fn thread_cpu_time() -> Option<Duration> {
    use rustix::time::{clock_gettime, ClockId};
    let ts = clock_gettime(ClockId::ThreadCPUTime);
    Some(Duration::new(
        u64::try_from(ts.tv_sec).ok()?,
        u32::try_from(ts.tv_nsec).ok()?,
    ))
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// How many calls to make, how long to warm up, and which clock to read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// Untimed calls made first (caches, page faults, frequency ramp-up).
    pub warmup_calls: usize,
    /// Warm-up also continues until this much time has passed.
    pub warmup_time: Duration,
    /// Timed calls (raised to [`MIN_REPS`] if lower).
    pub reps: usize,
    /// The clock the timed calls read.
    pub clock: Clock,
}

impl Plan {
    /// The default plan: 3 warm-up calls (and at least 50 ms), 30 timed calls.
    pub const DEFAULT: Plan = Plan {
        warmup_calls: 3,
        warmup_time: Duration::from_millis(50),
        reps: 30,
        clock: Clock::Wall,
    };
    /// A quicker plan: 1 warm-up call (and at least 10 ms), [`MIN_REPS`] timed calls.
    pub const QUICK: Plan = Plan {
        warmup_calls: 1,
        warmup_time: Duration::from_millis(10),
        reps: MIN_REPS,
        clock: Clock::Wall,
    };

    /// This plan reading `clock`.
    pub fn with_clock(self, clock: Clock) -> Plan {
        Plan { clock, ..self }
    }
}

/// Timings of one measured closure, in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// Median of the timed calls.
    pub median_ms: f64,
    /// Fastest timed call.
    pub min_ms: f64,
    /// Slowest timed call.
    pub max_ms: f64,
    /// Number of timed calls.
    pub reps: usize,
}

impl Timing {
    /// Throughput in GB/s (10^9 bytes per second) for `bytes` moved per call, at the median.
    pub fn gbps(&self, bytes: f64) -> f64 {
        bytes / (self.median_ms * 1e-3) / 1e9
    }

    /// Rate in G-units per second (GFLOP/s for `units` FLOPs per call), at the median.
    pub fn giga_per_s(&self, units: f64) -> f64 {
        self.gbps(units)
    }
}

/// The median of `samples` (the mean of the middle two for an even count); `None` if empty.
pub fn median(samples: &[f64]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() & 1 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// Warms `f` up, then times `plan.reps` calls (at least [`MIN_REPS`]) one by one.
///
/// The closure should reuse its output buffers so that allocation is not measured, and should
/// pass its result through [`std::hint::black_box`] if the compiler could otherwise drop it.
pub fn time<F: FnMut()>(plan: Plan, mut f: F) -> Timing {
    let start = Instant::now();
    let mut calls = 0;
    while calls < plan.warmup_calls || start.elapsed() < plan.warmup_time {
        f();
        calls += 1;
    }
    let reps = plan.reps.max(MIN_REPS);
    let mut samples = Vec::with_capacity(reps);
    let origin = Instant::now();
    for _ in 0..reps {
        let t = plan.clock.now(origin);
        f();
        samples.push((plan.clock.now(origin) - t).as_secs_f64() * 1e3);
    }
    Timing {
        // `reps >= MIN_REPS > 0`, so the median exists.
        median_ms: median(&samples).unwrap_or(f64::NAN),
        min_ms: samples.iter().copied().fold(f64::INFINITY, f64::min),
        max_ms: samples.iter().copied().fold(0.0, f64::max),
        reps,
    }
}

/// Times calls that run `work` on `states.len()` threads at once, one state per thread: a call
/// starts all threads together and ends when the last one finishes. The threads are spawned
/// once and kept across calls, so the figure does not include thread start-up (the calling
/// thread does the first state's share). With one state this is [`time`] on the calling
/// thread; with several the wall clock is read whatever `plan.clock` says, since one thread's
/// CPU time would miss the others' work.
///
/// `work` must not panic: a panicking worker would leave the others waiting at the barrier.
pub fn time_team<S: Send, F: Fn(&mut S) + Sync>(plan: Plan, states: &mut [S], work: F) -> Timing {
    let Some((mine, others)) = states.split_first_mut() else {
        return time(plan, || {});
    };
    if others.is_empty() {
        return time(plan, || work(mine));
    }
    let plan = plan.with_clock(Clock::Wall);
    let barrier = Barrier::new(others.len() + 1);
    let stop = AtomicBool::new(false);
    std::thread::scope(|sc| {
        for state in others.iter_mut() {
            let (barrier, stop, work) = (&barrier, &stop, &work);
            sc.spawn(move || loop {
                barrier.wait();
                if stop.load(Ordering::Acquire) {
                    break;
                }
                work(state);
                barrier.wait();
            });
        }
        let timing = time(plan, || {
            barrier.wait();
            work(mine);
            barrier.wait();
        });
        stop.store(true, Ordering::Release);
        barrier.wait();
        timing
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_count_is_the_middle_value() {
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
    }

    #[test]
    fn median_of_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn median_of_nothing_is_none() {
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn time_makes_at_least_min_reps_timed_calls_after_warmup() {
        let mut calls = 0;
        let plan = Plan {
            warmup_calls: 2,
            warmup_time: Duration::ZERO,
            reps: 3,
            clock: Clock::Wall,
        };
        let t = time(plan, || calls += 1);
        assert_eq!(t.reps, MIN_REPS);
        assert_eq!(calls, 2 + MIN_REPS);
        assert!(t.min_ms <= t.median_ms && t.median_ms <= t.max_ms);
    }

    #[test]
    fn thread_cpu_clock_advances_while_the_thread_works() {
        let plan = Plan::QUICK.with_clock(Clock::ThreadCpu);
        let t = time(plan, || {
            let mut x = 0u64;
            for i in 0..200_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
        });
        assert!(t.median_ms > 0.0, "{t:?}");
    }

    #[test]
    fn time_team_runs_every_state_once_per_call() {
        let mut counts = vec![0usize; 3];
        let t = time_team(Plan::QUICK, &mut counts, |c| *c += 1);
        assert_eq!(t.reps, MIN_REPS);
        // Every thread ran the same number of calls (warm-up included), at least warm-up + reps.
        assert!(
            counts.iter().all(|&c| c == counts[0] && c > MIN_REPS),
            "{counts:?}"
        );
    }

    #[test]
    fn gbps_converts_bytes_per_median_call() {
        let t = Timing {
            median_ms: 2.0,
            min_ms: 1.0,
            max_ms: 3.0,
            reps: 10,
        };
        // 4e9 bytes in 2 ms = 2e12 B/s = 2000 GB/s.
        assert!((t.gbps(4e9) - 2000.0).abs() < 1e-9);
    }
}
