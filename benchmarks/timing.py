"""Median wall time of a call within a time budget.

One warm-up call first (caches, lazy imports, allocator growth), then
samples of ``number`` back-to-back calls each, so that a sample of a
microsecond function is long enough for ``perf_counter`` to resolve, and as
many samples as the budget allows (at least ``min_samples`` unless a single
call already exceeds the budget).  The median is robust to the occasional
scheduler hiccup that a mean would absorb.

``paired_ratio`` times two calls back to back, round after round, and takes
the median of the per-round ratios: on a shared machine whose speed drifts
(neighbours, clock changes) by tens of percent between one minute and the
next, that ratio moves far less than one of two medians taken apart.
"""

import statistics
import time
from dataclasses import dataclass

MIN_SAMPLE_S = 2e-4   # one sample should last at least this long
MAX_SAMPLES = 200


@dataclass
class Timing:
    median_s: float   # per call
    samples: int
    number: int       # calls per sample


def measure(fn, budget_s, min_samples=3):
    """Time ``fn()`` adaptively; returns a ``Timing`` of one call."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if first > budget_s:  # too slow to repeat: the warm-up is the figure
        return Timing(first, 1, 1)
    start = time.perf_counter()
    fn()
    estimate = max(time.perf_counter() - start, 1e-9)
    number = max(1, int(MIN_SAMPLE_S / estimate))
    wanted = int(budget_s / (estimate * number))
    samples = max(min_samples, min(MAX_SAMPLES, wanted))
    times = []
    deadline = time.perf_counter() + budget_s
    for i in range(samples):
        start = time.perf_counter()
        for j in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
        if i + 1 >= min_samples and time.perf_counter() > deadline:
            break
    return Timing(statistics.median(times), len(times), number)


def format_seconds(seconds):
    """3 significant digits in the unit that suits: 12.3 µs, 4.56 ms, 7.89 s."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


PAIRED_ROUNDS = 31


def paired_ratio(run, baseline, budget_s, rounds=PAIRED_ROUNDS):
    """Median over rounds of (time of ``run``) / (time of ``baseline``), the
    two timed one right after the other in every round (each as a sample of
    enough back-to-back calls to last MIN_SAMPLE_S); at least 5 rounds, then
    as many of ``rounds`` as ``budget_s`` allows."""
    numbers = []
    for fn in (run, baseline):
        start = time.perf_counter()
        fn()
        numbers.append(max(1, int(MIN_SAMPLE_S / max(time.perf_counter() - start, 1e-9))))
    ratios = []
    deadline = time.perf_counter() + budget_s
    for i in range(rounds):
        times = []
        for fn, number in zip((run, baseline), numbers):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times.append((time.perf_counter() - start) / number)
        ratios.append(times[0] / times[1])
        if i + 1 >= 5 and time.perf_counter() > deadline:
            break
    return statistics.median(ratios)
