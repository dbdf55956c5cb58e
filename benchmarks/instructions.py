"""Where the async client spends: instruction counts under callgrind, which machine noise does
not move.

    python benchmarks/instructions.py                 # both cases; writes results/instructions.*
    python benchmarks/instructions.py --case request  # or --case bulk
    python benchmarks/instructions.py --keep DIR      # and keep the callgrind files

Timing the two bulk engines against each other on this shared 2-core machine moves by 5-10%
from one run to the next, about as much as they differ. Counting the instructions this process
executes (``valgrind --tool=callgrind``; the server runs in its own, uncounted process) gives
nearly the same number every time (within about 2%), so small differences can be seen and
attributed. Each figure is
the difference between a run with many units of work and one with few, divided by the
difference in units, so start-up, imports, the token fetch and the warm-up cancel out.

1. **request**: one V3 assign of 1,000 ids (a 116 KB answer from the fixed server), 16 at a
   time: the async client against the sync client, and raw ``httpx.AsyncClient`` against raw
   ``requests`` (each with ``json.loads``), per request.
2. **bulk**: ``assign_licenses_bulk`` with 16 in flight against the simulator (no added
   latency), the async engine against the threaded one, per 1,000-id chunk.

An instruction is not a nanosecond: copies, cache misses, the GIL and system calls cost time
that this does not count, so these figures explain the timed benchmarks, they do not replace
them. Needs valgrind; about ten minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: (case, contender) -> (few units, many units): the difference is what is counted.
UNITS = {"request": (0, 100), "bulk": (1, 21)}
CONTENDERS = {
    "request": ("async_sdk", "sync_sdk", "async_raw", "sync_raw"),
    "bulk": ("async", "threads"),
}
IN_FLIGHT = 16
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def collected(stderr: str) -> int:
    """The instruction count callgrind prints at exit (``Collected : <n>``)."""
    match = _COLLECTED.search(stderr)
    if match is None:
        raise RuntimeError(f"callgrind printed no instruction count:\n{stderr[-2000:]}")
    return int(match.group(1))


def per_unit(few: tuple[int, int], many: tuple[int, int]) -> float:
    """Instructions per unit from two ``(units, instructions)`` runs."""
    (units_a, count_a), (units_b, count_b) = few, many
    if units_b <= units_a:
        raise ValueError("the second run must do more units of work than the first")
    return (count_b - count_a) / (units_b - units_a)


# -- the workloads, run in a child process under callgrind -----------------------------------


def _request_workload(contender: str, requests_count: int) -> None:
    import fixtures
    import httpx
    import requests
    from fixed_server import FixedServer
    from fleet import client_for

    from verizon_sdk import AsyncVerizonClient
    from verizon_sdk.models import V3LicenseIMEI

    account = fixtures.ACCOUNT_ASSIGN_1000
    ids = fixtures.imeis(1000)
    body = V3LicenseIMEI(device_list=ids)
    raw_body = json.dumps({"deviceList": ids})
    headers = {"Content-Type": "application/json"}
    with FixedServer() as server:
        sync = client_for(server.api_root, pool_maxsize=IN_FLIGHT)
        url = f"{server.api_root}/fota/v3/licenses/{account}/assign"
        if contender.startswith("async"):

            async def run() -> None:
                limits = httpx.Limits(max_connections=IN_FLIGHT)
                async with AsyncVerizonClient(configuration=sync.config) as client, \
                        httpx.AsyncClient(limits=limits) as raw:  # fmt: skip
                    v3 = client.software_management_licenses_v3
                    slots = asyncio.Semaphore(IN_FLIGHT)

                    async def one() -> None:
                        async with slots:
                            if contender == "async_raw":
                                answer = await raw.post(url, content=raw_body, headers=headers)
                                assert len(json.loads(answer.content)["deviceList"]) == 1000
                            else:
                                result = await v3.assign_licenses_to_devices(account, body)
                                assert len(result.device_list) == 1000

                    await asyncio.gather(*(one() for _ in range(IN_FLIGHT)))  # warm-up
                    await asyncio.gather(*(one() for _ in range(requests_count)))

            asyncio.run(run())
            return
        v3 = sync.software_management_licenses_v3
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=IN_FLIGHT)
        session.mount("http://", adapter)

        def call(_: int) -> None:
            if contender == "sync_raw":
                answer = session.post(url, data=raw_body, headers=headers)
                assert len(json.loads(answer.content)["deviceList"]) == 1000
            else:
                assert len(v3.assign_licenses_to_devices(account, body).device_list) == 1000

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            list(pool.map(call, range(IN_FLIGHT)))  # warm-up
            list(pool.map(call, range(requests_count)))
        session.close()
        sync.close()


def _bulk_workload(contender: str, chunks: int) -> None:
    from fleet import SEED_BASE, SimulatorProcess, client_for

    from verizon_sdk import AsyncVerizonClient

    ids = [f"{SEED_BASE + i:015d}" for i in range(1000 * chunks)]
    account = "0000000001-00001"
    with SimulatorProcess("--pool", str(1000 * max(UNITS["bulk"]))) as simulator:
        sync = client_for(simulator.url, pool_maxsize=IN_FLIGHT)
        v3 = sync.software_management_licenses_v3
        v3.get_account_licenses_status("0000000000-00000")  # token, connection, models
        if contender == "threads":
            result = v3.assign_licenses_bulk(account, ids, max_workers=IN_FLIGHT)
        else:

            async def run() -> Any:
                async with AsyncVerizonClient(configuration=sync.config) as client:
                    a3 = client.software_management_licenses_v3
                    await a3.get_account_licenses_status("0000000000-00000")
                    return await a3.assign_licenses_bulk(account, ids, max_workers=IN_FLIGHT)

            result = asyncio.run(run())
        sync.close()
    if len(result.succeeded) != len(ids):
        raise AssertionError(f"{contender}: {result!r}")


def child(case: str, contender: str, units: int) -> None:
    (_request_workload if case == "request" else _bulk_workload)(contender, units)


# -- the parent: runs each workload twice under callgrind ------------------------------------


def count(case: str, contender: str, units: int, keep: Path | None = None) -> int:
    """The instructions of one workload; its callgrind file is kept in ``keep`` if given."""
    with tempfile.TemporaryDirectory() as scratch:
        out = (keep or Path(scratch)) / f"callgrind.{case}.{contender}.{units}.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            case,
            contender,
            str(units),
        ]
        done = subprocess.run(command, capture_output=True, text=True, cwd=HERE)
    if done.returncode != 0:
        raise RuntimeError(f"{case} {contender} {units} failed:\n{done.stderr[-2000:]}")
    return collected(done.stderr)


def measure(cases: list[str], keep: Path | None = None) -> dict[str, dict[str, float]]:
    jobs = [
        (case, contender, units)
        for case in cases
        for contender in CONTENDERS[case]
        for units in UNITS[case]
    ]
    with ThreadPoolExecutor(2) as pool:  # two cores: two valgrinds at a time
        counts = dict(zip(jobs, pool.map(lambda job: count(*job, keep=keep), jobs), strict=True))
    results: dict[str, dict[str, float]] = {}
    for case in cases:
        few, many = UNITS[case]
        results[case] = {
            contender: per_unit(
                (few, counts[case, contender, few]), (many, counts[case, contender, many])
            )
            for contender in CONTENDERS[case]
        }
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Instruction counts (callgrind)",
        "",
        f"Commit {results['commit']}, {results['machine']}, Python {results['python']}.",
        "Millions of instructions this process executes per unit of work (the server's are not",
        "counted); within about 2% from run to run, unlike time.",
        "",
        "| case | async | sync | async / sync |",
        "|---|---|---|---|",
    ]
    request = results["cases"].get("request")
    if request:
        for label, a, s in (
            ("V3 assign, 1,000 ids, 16 at a time: the SDK (per request)", "async_sdk", "sync_sdk"),
            ("the same with raw httpx / requests + json.loads", "async_raw", "sync_raw"),
        ):
            lines.append(
                f"| {label} | {request[a] / 1e6:.1f} | {request[s] / 1e6:.1f} | "
                f"{request[a] / request[s]:.3f} |"
            )
    bulk = results["cases"].get("bulk")
    if bulk:
        lines.append(
            f"| bulk assign, 16 in flight (per 1,000-id chunk) | {bulk['async'] / 1e6:.1f} | "
            f"{bulk['threads'] / 1e6:.1f} | {bulk['async'] / bulk['threads']:.3f} |"
        )
    return "\n".join([*lines, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("request", "bulk", "both"), default="both")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep the callgrind files here (read them with callgrind_annotate)",
    )
    parser.add_argument("--child", nargs=3, metavar=("CASE", "CONTENDER", "UNITS"))
    options = parser.parse_args()
    if options.child:
        case, contender, units = options.child
        child(case, contender, int(units))
        return
    if shutil.which("valgrind") is None:
        parser.exit(2, "instructions.py needs valgrind (apt install valgrind)\n")
    cases = ["request", "bulk"] if options.case == "both" else [options.case]
    if options.keep is not None:
        options.keep.mkdir(parents=True, exist_ok=True)
        options.keep = options.keep.resolve()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    results = {
        "commit": commit,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "units": {case: UNITS[case] for case in cases},
        "cases": measure(cases, options.keep),
    }
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "instructions.json").write_text(json.dumps(results, indent=2) + "\n")
    (options.out / "instructions.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
