"""What the bulk journal costs (issue 13): wall time at 50 ms latency, peak RSS at 1,000,000 ids.

::

    cd benchmarks && python journal.py --case both   # writes results/journal.json
    python benchmarks/journal.py --quick             # 10,000 / 20,000 ids (a smoke run)
    python benchmarks/journal.py --profile           # where a journaled run's journal time goes

- **wall**: ``assign_licenses_bulk`` of 100,000 ids (chunks of 1000, 4 workers) against the
  simulator in its own process adding 50 ms to every answer, with ``journal=`` and without,
  interleaved (the order flips each round), each run on a fresh account; the ratio is the
  median of per-round ratios (journal / none; the goal is at most 1.10), with their spread.
- **rss**: one 1,000,000-id run in a fresh interpreter, with a journal and without (no added
  latency), the ids given as a generator; peak RSS is the child's ``ru_maxrss`` (the goal with
  a journal: under 150 MiB).

The machine's load average (``os.getloadavg``, as ``uptime`` shows it) is recorded before and
after each case: on a shared machine the wall ratio is only as good as the quiet it had.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from fleet import SimulatorProcess, client_for

HERE = Path(__file__).resolve().parent
FIRST = 990000000000000


def ids(count: int) -> list[str]:
    return [str(FIRST + n) for n in range(count)]


def id_stream(count: int) -> Iterator[str]:
    """The same ids as a generator: the caller holds none of them."""
    return (str(FIRST + n) for n in range(count))


def seed(url: str, account: str, pool: int) -> None:
    import requests

    requests.post(
        f"{url}/_sim/accounts/{account}", json={"pool": pool}, timeout=30
    ).raise_for_status()


def one_run(
    url: str, account: str, count: int, journal: str | None, *, stream: bool = False
) -> float:
    """Seconds for one run; every id must succeed. ``stream``: ids from a generator."""
    client = client_for(url)
    device_ids: Iterable[str] = id_stream(count) if stream else ids(count)
    started = time.perf_counter()
    result = client.software_management_licenses_v3.assign_licenses_bulk(
        account, device_ids, journal=journal
    )
    seconds = time.perf_counter() - started
    assert result.counts["succeeded"] == count, result
    client.close()
    return seconds


def wall(count: int, rounds: int) -> dict[str, object]:
    times: dict[str, list[float]] = {"journal": [], "none": []}
    with SimulatorProcess("--latency", "0.05") as sim, tempfile.TemporaryDirectory() as tmp:
        for number in range(rounds):
            for kind in ("none", "journal") if number % 2 == 0 else ("journal", "none"):
                suffix = "00001" if kind == "none" else "00002"
                account = f"00002{number:03d}{len(times[kind]):02d}-{suffix}"
                seed(sim.url, account, count)
                path = os.path.join(tmp, f"{account}.db") if kind == "journal" else None
                times[kind].append(one_run(sim.url, account, count, path))
    ratios = [j / n for j, n in zip(times["journal"], times["none"], strict=True)]
    median = statistics.median(ratios)
    return {
        "ids": count,
        "latency": 0.05,
        "rounds": rounds,
        "seconds": times,
        "ratio_median": median,
        "ratio_spread": [min(ratios), max(ratios)],
        "ratios": ratios,
        "goal": "<= 1.10",
        "met": median <= 1.10,
    }


def rss(count: int) -> dict[str, object]:
    out: dict[str, object] = {"ids": count}
    with SimulatorProcess() as sim, tempfile.TemporaryDirectory() as tmp:
        for kind in ("journal", "none"):
            account = f"0000300000-0000{1 if kind == 'journal' else 2}"
            seed(sim.url, account, count)
            path = os.path.join(tmp, "run.db") if kind == "journal" else ""
            child = subprocess.run(
                [sys.executable, __file__, "child", sim.url, account, str(count), path],
                capture_output=True,
                text=True,
                check=True,
            )
            out[kind] = json.loads(child.stdout)
            if kind == "journal":
                out[kind]["journal_bytes"] = os.path.getsize(path)  # type: ignore[index]
    out["goal"] = "journal peak RSS < 150 MiB"
    out["met"] = out["journal"]["peak_rss_mib"] < 150  # type: ignore[index]
    return out


def child(url: str, account: str, count: int, path: str) -> None:
    seconds = one_run(url, account, count, path or None, stream=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"peak_rss_mib": round(peak, 1), "seconds": round(seconds, 2)}))


def profile(count: int, rounds: int) -> None:
    """Seconds spent in each journal step of a journaled run (on the calling thread)."""
    from collections import Counter, defaultdict
    from collections.abc import Callable
    from typing import Any

    from verizon_sdk.bulk import _journal

    seconds: defaultdict[str, float] = defaultdict(float)
    calls: Counter[str] = Counter()

    def timed(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                seconds[name] += time.perf_counter() - started
                calls[name] += 1

        return wrapper

    steps = ("add", "commit_plan", "sending", "write", "settle_pending", "settle_planned", "finish")
    for name in steps:
        setattr(_journal.Journal, name, timed(name, getattr(_journal.Journal, name)))
    with SimulatorProcess("--latency", "0.05") as sim, tempfile.TemporaryDirectory() as tmp:
        for number in range(rounds):
            seconds.clear()
            calls.clear()
            account = f"00004000{number:02d}-00001"
            seed(sim.url, account, count)
            total = one_run(sim.url, account, count, os.path.join(tmp, f"{number}.db"))
            steps_seen = {n: [calls[n], round(seconds[n], 3)] for n in steps if calls[n]}
            print(json.dumps({"run_seconds": round(total, 2), "calls_seconds": steps_seen}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--case", choices=("wall", "rss", "both"), default="both")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.profile:
        profile(100_000, 3)
        return
    results: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    results["commit"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    if args.case in ("wall", "both"):
        load = os.getloadavg()
        results["wall"] = wall(10_000 if args.quick else 100_000, 2 if args.quick else args.rounds)
        results["wall"]["load_before_after"] = [load, os.getloadavg()]  # type: ignore[index]
        results["wall"]["commit"] = results["commit"]  # type: ignore[index]
    if args.case in ("rss", "both"):
        load = os.getloadavg()
        results["rss"] = rss(20_000 if args.quick else 1_000_000)
        results["rss"]["load_before_after"] = [load, os.getloadavg()]  # type: ignore[index]
        results["rss"]["commit"] = results["commit"]  # type: ignore[index]
    text = json.dumps(results, indent=2)
    print(text)
    if not args.quick:  # a run of one case keeps the other's recorded numbers
        path = HERE / "results" / "journal.json"
        recorded = json.loads(path.read_text()) if path.exists() else {}
        recorded.update(results)
        path.write_text(json.dumps(recorded, indent=2) + "\n")


if __name__ == "__main__":
    main()
