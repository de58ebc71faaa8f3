"""The timing protocol every peer script shares, the bench card's: median wall-clock ms of
repeated calls after a few untimed warm-up calls."""

import statistics
import time


def median_ms(f, calls, warmup=5):
    """Median wall-clock milliseconds of `calls` calls of `f`, after `warmup` untimed ones."""
    for _ in range(warmup):
        f()
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)
