"""What every peer script shares: the bench card's timing protocol (median wall-clock ms of
repeated calls after a few untimed warm-up calls) and the command line."""

import argparse
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


def parser(doc):
    """The command line every peer script takes (`--threads`, `--calls`), described by the
    first line of the script's docstring `doc`; scripts add their own options to it."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--calls", type=int, default=50)
    return p
