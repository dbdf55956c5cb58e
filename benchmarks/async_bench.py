"""The async client's benchmarks (issue 11), ratios from one interleaved run.

    python benchmarks/async_bench.py            # writes benchmarks/results/async.json and .md
    python benchmarks/async_bench.py --quick    # seconds; writes benchmarks/results/quick/

1. **status**: ``await v3.get_account_licenses_status`` of a 100-device page from the fixed
   server (``fixed_server.py``, its own process) against raw ``httpx.AsyncClient.get`` +
   ``json.loads`` of the same URL, one call at a time, interleaved rounds. The ratio is the
   SDK's calls per second over raw httpx's (target at least 0.90).
2. **bulk**: ``await v3.assign_licenses_bulk`` of 100,000 ids (chunks of 1,000) with 16 requests
   in flight, against the threaded engine (``VerizonClient``) with 16 workers, the simulator
   adding 50 ms to every answer (its own process), interleaved, a fresh account per run. The
   ratio is threaded seconds over async seconds (target at least 1.0).
3. **CPU per chunk**: this process's CPU seconds per 1,000-id chunk in those runs, both engines,
   and per run its user and system time and the time spent in the cyclic garbage collector.

Both servers run in their own process (the client's event loop and GIL are its own) and are
stopped at the end. Every batch starts after a ``gc.collect()``. The load average is recorded
before and after (the machine is shared: 2 cores), and each ratio is marked met or missed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fixtures  # noqa: E402
import httpx  # noqa: E402
import measure  # noqa: E402
from fixed_server import FixedServer  # noqa: E402
from fleet import SEED_BASE, SimulatorProcess, client_for  # noqa: E402

from verizon_sdk import AsyncVerizonClient  # noqa: E402


async def status_case(api_root: str, rounds: int, calls: int) -> dict[str, Any]:
    account = fixtures.ACCOUNT_100
    url = f"{api_root}/fota/v3/licenses/{account}"
    async with AsyncVerizonClient(configuration=client_for(api_root).config) as client, \
            httpx.AsyncClient() as raw:  # fmt: skip
        v3 = client.software_management_licenses_v3

        async def sdk() -> None:
            page = await v3.get_account_licenses_status(account)
            assert len(page.device_list) == 100

        async def plain() -> None:
            response = await raw.get(url, params={"lastSeenDeviceId": "0"})
            assert len(json.loads(response.text)["deviceList"]) == 100

        contenders = {"sdk": sdk, "raw_httpx": plain}
        for call in contenders.values():  # warm-up: token, connections, compiled models
            for _ in range(20):
                await call()
        seconds: dict[str, list[float]] = {key: [] for key in contenders}
        for index in range(rounds):
            order = list(contenders) if index % 2 == 0 else list(reversed(contenders))
            for key in order:
                gc.collect()
                started = time.perf_counter()
                for _ in range(calls):
                    await contenders[key]()
                seconds[key].append((time.perf_counter() - started) / calls)
    ratio = measure.summary(measure.per_round_ratios(seconds["raw_httpx"], seconds["sdk"]))
    return {
        "calls_per_round": calls,
        "rounds": rounds,
        "seconds_per_call": {key: measure.summary(s) for key, s in seconds.items()},
        "ratio_sdk_over_raw": ratio,
        "target": 0.90,
        "met": ratio["median"] >= 0.90,
    }


def bulk_case(devices: int, latency: float, in_flight: int, rounds: int) -> dict[str, Any]:
    ids = [f"{SEED_BASE + i:015d}" for i in range(devices)]
    chunks = -(-devices // 1000)
    seconds: dict[str, list[float]] = {"async": [], "threads": []}
    cpu: dict[str, list[float]] = {"async": [], "threads": []}
    # where the CPU went: user and system time, and the cyclic collector's share of it
    user: dict[str, list[float]] = {"async": [], "threads": []}
    system: dict[str, list[float]] = {"async": [], "threads": []}
    collector: dict[str, list[float]] = {"async": [], "threads": []}
    collecting = _CollectorClock()
    with SimulatorProcess("--latency", str(latency), "--pool", str(devices)) as simulator:
        sync = client_for(simulator.url, pool_maxsize=in_flight)
        sync_v3 = sync.software_management_licenses_v3
        sync_v3.get_account_licenses_status("0000000000-00000")  # warm-up
        loop = asyncio.new_event_loop()
        aclient = loop.run_until_complete(_async_client(sync))
        async_v3 = aclient.software_management_licenses_v3
        loop.run_until_complete(async_v3.get_account_licenses_status("0000000000-00000"))
        runs = 0
        for index in range(rounds):
            order = ["async", "threads"] if index % 2 == 0 else ["threads", "async"]
            for key in order:
                runs += 1
                account = f"{runs:010d}-{index:05d}"  # a fresh account: every id is new
                result = None  # the previous run's records are garbage before this one starts
                gc.collect()
                collecting.seconds = 0.0
                times = os.times()
                started, cpu_started = time.perf_counter(), time.process_time()
                if key == "async":
                    result = loop.run_until_complete(
                        async_v3.assign_licenses_bulk(account, ids, max_workers=in_flight)
                    )
                else:
                    result = sync_v3.assign_licenses_bulk(account, ids, max_workers=in_flight)
                seconds[key].append(time.perf_counter() - started)
                cpu[key].append(time.process_time() - cpu_started)
                user[key].append(os.times().user - times.user)
                system[key].append(os.times().system - times.system)
                collector[key].append(collecting.seconds)
                if len(result.succeeded) != devices:
                    raise AssertionError(f"{key} run on {account}: {result!r}")
        loop.run_until_complete(aclient.aclose())
        loop.close()
        sync.close()
    collecting.stop()
    ratio = measure.summary(measure.per_round_ratios(seconds["threads"], seconds["async"]))
    return {
        "devices": devices,
        "latency_seconds": latency,
        "in_flight": in_flight,
        "rounds": rounds,
        "seconds": {key: measure.summary(s) for key, s in seconds.items()},
        "ratio_threads_over_async": ratio,
        "target": 1.0,
        "met": ratio["median"] >= 1.0,
        "cpu_ms_per_chunk": {
            key: measure.summary([1000 * c / chunks for c in values]) for key, values in cpu.items()
        },
        "seconds_per_run": {
            what: {key: measure.summary(values) for key, values in series.items()}
            for what, series in (("user", user), ("system", system), ("collector", collector))
        },
    }


class _CollectorClock:
    """Seconds spent in the cyclic garbage collector (``gc.callbacks``) since ``seconds`` was
    last set to zero."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)


async def _async_client(sync: Any) -> AsyncVerizonClient:
    return AsyncVerizonClient(configuration=sync.config)


def _ratio(summary: dict[str, float]) -> str:
    return f"{summary['median']:.2f}x [{summary['p25']:.2f}-{summary['p75']:.2f}]"


def markdown(results: dict[str, Any]) -> str:
    status, bulk = results["status"], results["bulk"]
    sps = status["seconds_per_call"]
    cpu = bulk["cpu_ms_per_chunk"]
    load = results["load_average"]
    lines = [
        "# Async client benchmarks",
        "",
        f"Commit {results['commit']}, {results['machine']}, Python {results['python']}; "
        f"load average (1 min) {load['before'][0]:.2f} before, {load['after'][0]:.2f} after.",
        f"Ratios: median of the per-round ratios [p25-p75]; {status['rounds']} rounds of "
        f"{status['calls_per_round']} calls (status), {bulk['rounds']} rounds (bulk).",
        "",
        "| case | async SDK | other | ratio | target |",
        "|---|---|---|---|---|",
        f"| V3 status GET, 100 devices (ms per call) | {1000 * sps['sdk']['median']:.3f} | "
        f"raw httpx + json.loads {1000 * sps['raw_httpx']['median']:.3f} | "
        f"{_ratio(status['ratio_sdk_over_raw'])} | >= 0.90x: "
        f"{'met' if status['met'] else 'missed'} |",
        f"| bulk assign {bulk['devices']:,} ids, {bulk['latency_seconds'] * 1000:.0f} ms latency, "
        f"{bulk['in_flight']} in flight (s) | {bulk['seconds']['async']['median']:.2f} | "
        f"threaded, {bulk['in_flight']} workers {bulk['seconds']['threads']['median']:.2f} | "
        f"{_ratio(bulk['ratio_threads_over_async'])} | >= 1.0x: "
        f"{'met' if bulk['met'] else 'missed'} |",
        f"| CPU per 1,000-id chunk (ms) | {cpu['async']['median']:.2f} | "
        f"threaded {cpu['threads']['median']:.2f} | "
        f"{cpu['threads']['median'] / cpu['async']['median']:.2f}x | recorded |",
    ]
    per_run = bulk["seconds_per_run"]
    for what, label in (
        ("user", "user CPU per bulk run (s)"),
        ("system", "system CPU per bulk run (s)"),
        ("collector", "cyclic GC per bulk run (s)"),
    ):
        lines.append(
            f"| {label} | {per_run[what]['async']['median']:.3f} | "
            f"threaded {per_run[what]['threads']['median']:.3f} | | recorded |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every case briefly")
    parser.add_argument("--out", type=Path, default=None)
    options = parser.parse_args()
    out = options.out or HERE / "results" / ("quick" if options.quick else "")
    out.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    load_before = os.getloadavg()
    with FixedServer() as server:
        rounds, calls = (3, 20) if options.quick else (15, 200)
        status = asyncio.run(status_case(server.api_root, rounds, calls))
    if options.quick:
        bulk = bulk_case(devices=5000, latency=0.05, in_flight=16, rounds=1)
    else:
        # 12 rounds: a run's CPU per chunk moves by 5-10% from one run to the next on this
        # shared machine, and the two engines are within that of each other
        bulk = bulk_case(devices=100_000, latency=0.05, in_flight=16, rounds=12)
    results = {
        "commit": commit,
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPUs",
        "python": platform.python_version(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "status": status,
        "bulk": bulk,
    }
    (out / "async.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "async.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
