"""What the per-attempt deadline costs a call: the same SDK with and without it, interleaved.

Run it from the repository root, in the project's virtualenv::

    python benchmarks/deadline.py            # ~1 minute; writes benchmarks/results/deadline.*
    python benchmarks/deadline.py --quick    # seconds; writes benchmarks/results/quick/

Two clients of this SDK call the fixed-response server (``fixed_server.py``, its own process):
``deadline``, as built, and ``no_deadline``, whose session's pools are the ones before the
deadline existed (urllib3's stock pool and connection, with only the 1xx-skipping response
class of :mod:`verizon_sdk._connections`). Everything else (validation, auth, parsing) is the
same code, so the ratio is the deadline's cost. Cases: V3 status GET of 100 devices (one page,
about 20 kB) and of 1,000 devices (about 200 kB: more socket reads per call), each timed twice:
by wall clock, then by this process's CPU time (less moved by the load of other processes).
The ratio is ``deadline`` time ÷ ``no_deadline`` time per call (above 1: the deadline costs),
the median of per-round ratios (``measure.py``), goal at most 1.03.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import contenders  # noqa: E402
import fixtures  # noqa: E402
import measure  # noqa: E402
from fixed_server import FixedServer  # noqa: E402
from urllib3.connection import HTTPConnection  # noqa: E402
from urllib3.connectionpool import HTTPConnectionPool  # noqa: E402

from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials  # noqa: E402
from verizon_sdk._connections import _SkipInterimResponse  # noqa: E402

GOAL = 1.03


class _PlainConnection(HTTPConnection):
    response_class = _SkipInterimResponse


class _PlainPool(HTTPConnectionPool):
    ConnectionCls = _PlainConnection


def _client(api_root: str, *, deadline: bool) -> VerizonClient:
    client = VerizonClient(
        thingspace_oauth_credentials=ThingspaceOauthCredentials(
            oauth_client_id="bench-client", oauth_client_secret="bench-secret"
        ),
        vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token=fixtures.M2M_TOKEN),
        base_url=api_root,
    )
    if not deadline:  # before the first request: pools are made on first use
        for adapter in client._pipeline.session.adapters.values():
            adapter.poolmanager.clear()
            adapter.poolmanager.pool_classes_by_scheme = {"http": _PlainPool}
    return client


def _contenders(clients: dict[str, VerizonClient], account: str, devices: int) -> list[Any]:
    check = contenders._check_list(devices)
    out = []
    for key, client in clients.items():
        v3 = client.software_management_licenses_v3

        def call(v3: Any = v3) -> Any:
            return v3.get_account_licenses_status(account)

        out.append(contenders.Contender(key, key, call, check))
    return out


def run(rounds: int, warmup: int, batch_seconds: float) -> dict[str, Any]:
    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_average": os.getloadavg(),
            "command": "python " + " ".join(["benchmarks/deadline.py", *sys.argv[1:]]),
            "settings": {"rounds": rounds, "warmup": warmup, "batch_seconds": batch_seconds},
        },
        "cases": {},
    }
    with FixedServer() as server:
        clients = {
            "deadline": _client(server.api_root, deadline=True),
            "no_deadline": _client(server.api_root, deadline=False),
        }
        try:
            for name, account, devices in (
                ("status100", fixtures.ACCOUNT_100, 100),
                ("status1000", fixtures.ACCOUNT_1000, 1000),
            ):
                cases = _contenders(clients, account, devices)
                case: dict[str, Any] = {"goal": f"<= {GOAL}"}
                for clock_name, clock in (("wall", time.perf_counter), ("cpu", time.process_time)):
                    seconds = measure.interleave(cases, rounds, warmup, batch_seconds, clock)
                    ratio = measure.summary(
                        measure.per_round_ratios(seconds["deadline"], seconds["no_deadline"])
                    )
                    case[clock_name] = {
                        "seconds_per_call": {k: measure.summary(v) for k, v in seconds.items()},
                        "ratio deadline / no_deadline": ratio,
                        "met": ratio["median"] <= GOAL,
                        "rounds": seconds,
                    }
                results["cases"][name] = case
        finally:
            for client in clients.values():
                client.close()
    results["meta"]["load_average_after"] = os.getloadavg()
    return results


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    load = ", ".join(f"{x:.2f}" for x in meta["load_average"])
    lines = [
        "# Per-attempt deadline: cost per call",
        "",
        f"- date: {meta['date']}; Python {meta['python']}, {meta['cpu_count']} CPUs",
        f"- load average at start: {load}",
        f"- command: `{meta['command']}`",
        "",
        "| case | with deadline, ms/call | without | ratio: median [p25-p75] | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for name, case in results["cases"].items():
        for clock_name in ("wall", "cpu"):
            timing = case[clock_name]
            per = timing["seconds_per_call"]
            ratio = timing["ratio deadline / no_deadline"]
            lines.append(
                f"| {name}, {clock_name} time | {per['deadline']['median'] * 1e3:.3f} | "
                f"{per['no_deadline']['median'] * 1e3:.3f} | "
                f"{ratio['median']:.3f} [{ratio['p25']:.3f}-{ratio['p75']:.3f}] | "
                f"{case['goal']} | {'yes' if timing['met'] else '**no**'} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few rounds (smoke test)")
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--out", type=Path, help="output folder")
    args = parser.parse_args(argv)
    rounds, warmup, batch = (2, 2, 0.002) if args.quick else (args.rounds, 20, 0.15)
    out = args.out or (HERE / "results" / ("quick" if args.quick else ""))
    results = run(rounds, warmup, batch)
    out.mkdir(parents=True, exist_ok=True)
    (out / "deadline.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "deadline.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
