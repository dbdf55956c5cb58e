"""Benchmarks: verizon-sdk against raw ``requests`` and against the published SDK.

Run it from the repository root, in the project's virtualenv::

    pip install -e '.[bench]'                # the published SDK and matplotlib
    python benchmarks/run.py                 # ~3 minutes; writes benchmarks/results/
    python benchmarks/run.py --quick         # seconds; every case briefly (CI smoke test)

Outputs, under ``--out`` (default ``benchmarks/results/``; ``--quick`` defaults to
``benchmarks/results/quick/``, which is not committed): ``results.json`` (everything, including
each round's numbers), ``results.md`` (the tables) and ``ratios.png`` (the ratios against their
targets). The exit status is 0 whether or not a target is met: the numbers are reported, never
asserted, since they depend on the machine.

The cases (targets from issue 6):

1. V3 status GET of 100 devices, 2. of 1,000 devices (Go-format times), 3. V3 assign of 100 ids
   whose result items carry three timestamps each. A fixed-response server
   (``fixed_server.py``, its own process) isolates the clients' own cost. Contenders and what
   each does per call: ``contenders.py``. Method: ``measure.py``.
4. Cold start: import and build a client in a fresh interpreter; time and peak RSS
   (``coldstart.py``). Start-up (issue 15): whole-process wall time of ``import verizon_sdk`` +
   a client against ``import requests``, 10 interleaved runs each, goal at most 1.25 times.
5. Iterate 100,000 licensed devices, pages of 1,000, RSS growth; 6. bulk assign of 100,000 ids
   with 50 ms latency, 8 workers against 1 (``fleet.py``, against the simulator).

Optional contenders: the published SDK (``sdksio-verizon-apis-sdk==2.0.0``, import name
``verizon``) and matplotlib (the chart) come with the ``bench`` extra. Without them their
columns and the chart are skipped and the output says so; ``--without published,chart``
skips them on purpose. The published SDK installs beside this one without conflict (``pip
check`` is clean with apimatic-core 0.2.25): it needs no separate virtualenv.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import coldstart  # noqa: E402
import contenders  # noqa: E402
import fixtures  # noqa: E402
import fleet  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
from fixed_server import FixedServer  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Settings:
    rounds: int
    warmup: int
    batch_seconds: float
    cold_rounds: int
    startup_rounds: int
    iterate_devices: int
    bulk_devices: int
    bulk_latency: float
    bulk_rounds: int


FULL = Settings(
    rounds=21,
    warmup=20,
    batch_seconds=0.15,
    cold_rounds=15,
    startup_rounds=10,
    iterate_devices=100_000,
    bulk_devices=100_000,
    bulk_latency=0.05,
    bulk_rounds=5,
)
QUICK = Settings(
    rounds=2,
    warmup=2,
    batch_seconds=0.002,
    cold_rounds=1,
    startup_rounds=1,
    iterate_devices=3_000,
    bulk_devices=2_000,
    bulk_latency=0.01,
    bulk_rounds=1,
)

CASES = ("status100", "status1000", "assign100", "cold", "startup", "iterate", "bulk")

_PACKAGES = (
    "verizon-sdk",
    "apimatic-core",
    "requests",
    "urllib3",
    "sdksio-verizon-apis-sdk",
    "matplotlib",
)


def _meta(mode: str) -> dict[str, Any]:
    packages = {}
    for name in _PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": mode,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": packages,
        "command": "python " + shlex.join(["benchmarks/run.py", *sys.argv[1:]]),
        "source": _source(),
    }


def _source() -> dict[str, Any]:
    """Where the measured verizon_sdk comes from: its git commit, and whether it was edited."""
    root = Path(coldstart.SOURCE)
    git = ["git", "-C", str(root)]
    try:
        commit = subprocess.run(
            [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changes = subprocess.run(
            [*git, "status", "--porcelain", "--", "verizon_sdk"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"path": str(root), "commit": None, "modified": None}
    return {"path": str(root), "commit": commit, "modified": bool(changes)}


def _throughput_case(
    title: str, detail: str, cases: list[contenders.Contender], settings: Settings
) -> dict[str, Any]:
    seconds = measure.interleave(cases, settings.rounds, settings.warmup, settings.batch_seconds)
    result: dict[str, Any] = {"title": title, "detail": detail, "contenders": {}, "ratios": {}}
    for contender in cases:
        per_call = measure.summary(seconds[contender.key])
        result["contenders"][contender.key] = {
            "label": contender.label,
            "seconds_per_call": per_call,
            "calls_per_second": 1 / per_call["median"],
            "rounds": seconds[contender.key],
        }
    for ours in ("ours", "ours_times"):
        for other in ("raw", "raw_no_env", "published"):
            if other in seconds:
                ratios = measure.per_round_ratios(seconds[other], seconds[ours])
                result["ratios"][f"{ours} / {other}"] = measure.summary(ratios)
    return result


def _target(
    case: str, comparison: str, summary: dict[str, float] | None, op: str, threshold: float
) -> dict[str, Any]:
    met = None
    if summary is not None:
        value = summary["median"]
        met = value >= threshold if op == ">=" else value <= threshold
    return {
        "case": case,
        "comparison": comparison,
        "target": f"{op} {threshold:g}",
        "threshold": threshold,
        "measured": summary,
        "met": met,
        "ratio": True,
    }


def run(selected: list[str], settings: Settings, without: set[str], mode: str) -> dict[str, Any]:
    results: dict[str, Any] = {"meta": _meta(mode), "skipped": {}, "targets": [], "notes": []}
    results["meta"]["settings"] = dataclasses.asdict(settings)
    targets = results["targets"]
    throughput_cases = [c for c in ("status100", "status1000", "assign100") if c in selected]
    if throughput_cases:
        results["throughput"] = {}
        with FixedServer() as server:
            clients = contenders.Clients(server.api_root, use_published="published" not in without)
            results["skipped"].update(clients.skipped)
            plan = {
                "status100": (
                    "V3 status GET, 100 devices",
                    "one page, Go-format assignmentTime",
                    contenders.status_contenders(clients, fixtures.ACCOUNT_100, 100),
                    (0.90, 1.7),
                ),
                "status1000": (
                    "V3 status GET, 1,000 devices",
                    "one page, Go-format assignmentTime",
                    contenders.status_contenders(clients, fixtures.ACCOUNT_1000, 1000),
                    (0.75, 2.0),
                ),
                "assign100": (
                    "V3 assign, 100 ids",
                    "result items with 3 RFC 3339 timestamps each",
                    contenders.assign_contenders(clients, fixtures.ACCOUNT_ASSIGN, 100),
                    (0.80, 6.0),
                ),
            }
            for key in throughput_cases:
                title, detail, cases, (vs_raw, vs_published) = plan[key]
                print(f"-- {title} ...", flush=True)
                case = _throughput_case(title, detail, cases, settings)
                results["throughput"][key] = case
                ratios = case["ratios"]
                targets.append(
                    _target(title, "vs raw requests", ratios["ours / raw"], ">=", vs_raw)
                )
                targets.append(
                    _target(
                        title,
                        "vs published SDK",
                        ratios.get("ours / published"),
                        ">=",
                        vs_published,
                    )
                )
            clients.close()
    if "cold" in selected:
        print("-- cold start ...", flush=True)
        keys = ["python", "requests", "ours", "requests_first", "ours_first"]
        if "published" not in without and contenders.published_sdk()[0] is not None:
            keys += ["published", "published_first"]
        with FixedServer() as server:
            fill = {
                "root": server.api_root,
                "account": fixtures.ACCOUNT_100,
                "m2m": fixtures.M2M_TOKEN,
            }
            cold = coldstart.measure_cold_start(keys, settings.cold_rounds, fill)
        results["cold_start"] = cold
        case = "cold import + client (time)"
        ratios = cold["ratios"]
        targets.append(_target(case, "÷ import requests", ratios.get("ours / requests"), "<=", 1.5))
        targets.append(_target(case, "÷ published SDK", ratios.get("ours / published"), "<=", 0.75))
        rss = _target("peak RSS, import + client", "MiB", cold["ours"]["peak_rss_mib"], "<=", 33)
        rss["ratio"] = False
        targets.append(rss)
    if "startup" in selected:
        print("-- start-up (whole process) ...", flush=True)
        results["startup"] = coldstart.measure_startup(settings.startup_rounds)
    if "iterate" in selected:
        print("-- iterate ...", flush=True)
        iterate = fleet.measure_iterate(settings.iterate_devices, 1000)
        results["iterate"] = iterate
        growth = iterate["growth_in_held_pages"]
        target = _target(
            f"iterate {settings.iterate_devices:,} devices",
            "RSS growth in pages held",
            {"median": growth, "p25": growth, "p75": growth},
            "<=",
            3,
        )
        target["ratio"] = False
        targets.append(target)
    if "bulk" in selected:
        print("-- bulk assign ...", flush=True)
        bulk = fleet.measure_bulk(
            settings.bulk_devices, settings.bulk_latency, (1, 8), settings.bulk_rounds
        )
        results["bulk"] = bulk
        targets.append(
            _target(
                f"bulk assign {settings.bulk_devices:,} ids",
                "8 workers ÷ 1 worker (throughput)",
                bulk["speedup"],
                ">=",
                6,
            )
        )
    if mode == "quick":
        results["notes"].append(
            "quick (smoke) run: too few rounds and too little work for the numbers to mean much"
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="run every case briefly (CI)")
    parser.add_argument("--out", type=Path, help="output folder")
    parser.add_argument(
        "--only", default=",".join(CASES), help=f"comma-separated cases ({', '.join(CASES)})"
    )
    parser.add_argument(
        "--without", default="", help="skip optional contenders on purpose: published, chart"
    )
    parser.add_argument("--rounds", type=int, help="rounds per throughput case")
    args = parser.parse_args(argv)
    selected = [c for c in args.only.split(",") if c]
    unknown = sorted(set(selected) - set(CASES))
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    without = {w for w in args.without.split(",") if w}
    settings = QUICK if args.quick else FULL
    if args.rounds:
        settings = dataclasses.replace(settings, rounds=args.rounds)
    out = args.out or (HERE / "results" / ("quick" if args.quick else ""))
    mode = "quick" if args.quick else "full"
    results = run(selected, settings, without, mode)
    paths = report.write(results, out, chart="chart" not in without)
    print()
    print(report.markdown(results))
    for key, why in results["skipped"].items():
        print(f"SKIPPED {key}: {why}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
