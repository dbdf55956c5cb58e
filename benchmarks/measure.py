"""Interleaved timing and the statistics every case reports.

The machine is shared and noisy (2 cores), so no contender is ever timed in one long stretch:
after a warm-up, each round times one batch of calls of every contender, one after the other,
and the next round starts with the next contender (A B C, B C A, C A B, ...), so that none is
always first after the collector ran or always last. A ratio is computed inside each round,
between batches that ran seconds apart, and the reported ratio is the median of those
per-round ratios. Absolute times are reported as medians too, and are never asserted.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol


class Timed(Protocol):
    key: str
    call: Callable[[], Any]
    check: Callable[[Any], None]


def calibrate(contender: Timed, warmup: int, batch_seconds: float) -> int:
    """Run the warm-up (checking each result) and return the calls that fill one batch."""
    started = time.perf_counter()
    for _ in range(warmup):
        contender.check(contender.call())
    per_call = (time.perf_counter() - started) / warmup
    return max(2, round(batch_seconds / per_call))


def interleave(
    contenders: Sequence[Timed],
    rounds: int,
    warmup: int,
    batch_seconds: float,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Seconds per call of each contender, one value per round, by ``clock`` (wall time;
    ``time.process_time`` counts this process's CPU only, less moved by other processes)."""
    calls = {c.key: calibrate(c, warmup, batch_seconds) for c in contenders}
    seconds: dict[str, list[float]] = {c.key: [] for c in contenders}
    for round_index in range(rounds):
        shift = round_index % len(contenders)
        for contender in [*contenders[shift:], *contenders[:shift]]:
            n, call = calls[contender.key], contender.call
            gc.collect()  # each batch starts without the previous contender's garbage
            started = clock()
            for _ in range(n):
                call()
            seconds[contender.key].append((clock() - started) / n)
    return seconds


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median and quartiles (the middle half of the rounds lies between p25 and p75)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return {"median": ordered[0], "p25": ordered[0], "p75": ordered[0]}
    quartiles = statistics.quantiles(ordered, n=4, method="inclusive")
    return {"median": statistics.median(ordered), "p25": quartiles[0], "p75": quartiles[2]}


def per_round_ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    return [a / b for a, b in zip(numerator, denominator, strict=True)]
