"""Cold start: import and build a client in a fresh interpreter; wall time and peak RSS.

Start-up (:func:`measure_startup`, issue 15 item 7) is the whole-process wall time of
``python -I -c "import verizon_sdk; <build a client>"`` against ``python -I -c "import requests"``,
interleaved, median of 10 runs each; goal: at most 1.25 times. Run it alone, also against
another source tree (say the code before a change, from ``git archive``)::

    python benchmarks/coldstart.py --rounds 10 [--source /tmp/verizon-sdk-before]

Each measurement is one new ``python -I`` process that imports nothing before the clock starts
(``time`` is built in), runs the snippet, stops the clock, then reads its own peak resident
set size. The parent also times the whole process (interpreter start-up included). Contenders
are interleaved by round; medians.

Peak RSS is ``VmHWM`` from ``/proc/self/status`` (the high-water mark of this process image),
with ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` beside it. On Linux ``ru_maxrss`` survives
``execve``: a child forked from this benchmark process (tens of MiB, with the published SDK
and the clients loaded) reports the parent's peak as its own when that is higher, whereas
``VmHWM`` starts afresh with the new image. Launched from a shell, the two agree.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import measure

import verizon_sdk

SOURCE = str(Path(verizon_sdk.__file__).resolve().parent.parent)

_OURS = """\
from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials
client = VerizonClient(
    thingspace_oauth_credentials=ThingspaceOauthCredentials(
        oauth_client_id="bench-client", oauth_client_secret="bench-secret"),
    vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="{m2m}"),
    base_url="{root}",
)
licenses = client.software_management_licenses_v3
"""
_OURS_CALL = 'assert len(licenses.get_account_licenses_status("{account}").device_list) == 100\n'

_PUBLISHED = """\
from verizon.configuration import Environment, Server
from verizon.http.auth.thingspace_oauth import ThingspaceOauthCredentials
from verizon.http.auth.vz_m2m_token import VZM2mTokenCredentials
from verizon.verizon_client import VerizonClient
client = VerizonClient(
    thingspace_oauth_credentials=ThingspaceOauthCredentials(
        oauth_client_id="bench-client", oauth_client_secret="bench-secret"),
    vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="{m2m}"),
)
licenses = client.software_management_licenses_v3
"""
# As in contenders.py: no base-URL option, so every server is pointed at the local root.
_PUBLISHED_CALL = """\
_suffix = {{Server.OAUTH_SERVER: "/ts/v1", Server.SOFTWARE_MANAGEMENT_V3: "/fota/v3"}}
client.config.environments = {{
    Environment.PRODUCTION: {{s: "{root}" + _suffix.get(s, "/unused") for s in Server}}
}}
assert len(licenses.get_account_licenses_status("{account}").body.device_list) == 100
"""

_RAW_CALL = """\
import json
session = requests.Session()
token = session.post(
    "{root}/ts/v1/oauth2/token",
    data={{"grant_type": "client_credentials"}},
    auth=("bench-client", "bench-secret"),
).json()["access_token"]
response = session.get(
    "{root}/fota/v3/licenses/{account}",
    headers={{"Authorization": "Bearer " + token, "VZ-M2M-Token": "{m2m}",
             "Accept": "application/json"}},
)
response.raise_for_status()
assert len(json.loads(response.content)["deviceList"]) == 100
"""

SNIPPETS: dict[str, tuple[str, str]] = {
    "python": ("bare interpreter", "pass"),
    "requests": ("import requests", "import requests"),
    "ours": ("import verizon_sdk + client", _OURS),
    "published": ("import verizon (published) + client", _PUBLISHED),
    "requests_first": ("import requests + token + status GET", "import requests\n" + _RAW_CALL),
    "ours_first": ("import verizon_sdk + client + first call", _OURS + _OURS_CALL),
    "published_first": (
        "import verizon (published) + client + first call",
        _PUBLISHED + _PUBLISHED_CALL,
    ),
}

# sys is built in: putting this process's verizon_sdk first on the path costs nothing, and the
# child measures the same source the parent runs (python -I ignores PYTHONPATH).
_TEMPLATE = """\
import sys
sys.path.insert(0, {source!r})
import time
_started = time.perf_counter()
{snippet}
_elapsed = time.perf_counter() - _started
import resource
_hwm = -1
try:
    with open("/proc/self/status") as _status:
        _hwm = next(int(line.split()[1]) for line in _status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
print(_elapsed, _hwm, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run_once(key: str, fill: dict[str, str]) -> tuple[float, float, float, float]:
    """Seconds in the snippet, peak RSS (MiB), ru_maxrss (MiB), seconds for the process."""
    code = _TEMPLATE.format(snippet=SNIPPETS[key][1].format(**fill), source=SOURCE)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=False
    )
    process_seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"cold start of {key!r} failed:\n{done.stderr}")
    seconds, hwm_kib, maxrss_kib = done.stdout.split()
    peak = int(hwm_kib) if int(hwm_kib) > 0 else int(maxrss_kib)
    return float(seconds), peak / 1024, int(maxrss_kib) / 1024, process_seconds


def measure_cold_start(keys: list[str], rounds: int, fill: dict[str, str]) -> dict[str, Any]:
    """``fill``: ``root`` (the fixed server's API root), ``account`` and ``m2m``."""
    samples: dict[str, list[tuple[float, float, float, float]]] = {key: [] for key in keys}
    for key in keys:  # warm the OS file cache: "cold" means a fresh interpreter, not a cold disk
        run_once(key, fill)
    for round_index in range(rounds):
        shift = round_index % len(keys)
        for key in [*keys[shift:], *keys[:shift]]:
            samples[key].append(run_once(key, fill))
    results: dict[str, Any] = {}
    for key, runs in samples.items():
        results[key] = {
            "label": SNIPPETS[key][0],
            "seconds": measure.summary([r[0] for r in runs]),
            "peak_rss_mib": measure.summary([r[1] for r in runs]),
            "ru_maxrss_mib": measure.summary([r[2] for r in runs]),
            "process_seconds": measure.summary([r[3] for r in runs]),
            "runs": [
                {"seconds": s, "peak_rss_mib": m, "ru_maxrss_mib": u, "process_seconds": p}
                for s, m, u, p in runs
            ],
        }
    results["ratios"] = {}
    for ours, other in [
        ("ours", "requests"),
        ("ours", "published"),
        ("ours_first", "requests_first"),
        ("ours_first", "published_first"),
    ]:
        if other in samples and ours in samples:
            ratios = measure.per_round_ratios(
                [r[0] for r in samples[ours]], [r[0] for r in samples[other]]
            )
            results["ratios"][f"{ours} / {other}"] = measure.summary(ratios)
    return results


#: Whole-process start-up: the client is built (no request is sent, so no server is needed).
_STARTUP = {
    "requests": "import requests",
    "ours": _OURS.format(m2m="startup-m2m-token", root="http://127.0.0.1:9/api"),
}
STARTUP_GOAL = 1.25
_STARTUP_PROBE = """
import sys
feature = ("verizon_sdk.bulk", "verizon_sdk._pagination", "apimatic_core.api_call")
print(json.dumps({"modules": len(sys.modules),
                  "verizon_sdk": sorted(m for m in sys.modules if m.startswith("verizon_sdk")),
                  "feature_modules_loaded": [m for m in feature if m in sys.modules]}))
"""


def _startup_once(key: str, source: str) -> float:
    code = f"import sys\nsys.path.insert(0, {source!r})\n" + _STARTUP[key]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"start-up of {key!r} failed:\n{done.stderr.decode()}")
    return seconds


def measure_startup(rounds: int = 10, source: str = SOURCE) -> dict[str, Any]:
    """Whole-process seconds of ``requests`` and ``ours``, interleaved; medians and the ratio."""
    keys = list(_STARTUP)
    for key in keys:  # warm the OS file cache and the bytecode caches
        _startup_once(key, source)
    runs: dict[str, list[float]] = {key: [] for key in keys}
    for round_index in range(rounds):
        for key in keys if round_index % 2 == 0 else reversed(keys):
            runs[key].append(_startup_once(key, source))
    medians = {key: statistics.median(values) for key, values in runs.items()}
    ratio = medians["ours"] / medians["requests"]
    probe = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys, json\nsys.path.insert(0, {source!r})\n"
            + _STARTUP["ours"]
            + _STARTUP_PROBE,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "label": "whole process: import verizon_sdk + client ÷ import requests",
        "rounds": rounds,
        "source": source,
        "process_seconds": {key: measure.summary(values) for key, values in runs.items()},
        "runs": runs,
        "ratio_of_medians": ratio,
        "per_round_ratio": measure.summary(
            measure.per_round_ratios(runs["ours"], runs["requests"])
        ),
        "goal": STARTUP_GOAL,
        "met": ratio <= STARTUP_GOAL,
        "loaded": json.loads(probe.stdout),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="whole-process start-up, ours ÷ requests")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--source", default=SOURCE, help="the tree whose verizon_sdk is measured")
    args = parser.parse_args(argv)
    result = measure_startup(args.rounds, args.source)
    seconds = result["process_seconds"]
    print(
        f"source {args.source}: requests {seconds['requests']['median'] * 1e3:.1f} ms, "
        f"ours {seconds['ours']['median'] * 1e3:.1f} ms (medians of {args.rounds}); "
        f"ratio {result['ratio_of_medians']:.3f} (goal <= {STARTUP_GOAL}); "
        f"per-round median {result['per_round_ratio']['median']:.3f}; "
        f"{len(result['loaded']['verizon_sdk'])} verizon_sdk modules, "
        f"{result['loaded']['modules']} in all"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
