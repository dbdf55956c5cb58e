"""Cold start: import and build a client in a fresh interpreter; wall time and peak RSS.

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

import subprocess
import sys
import time
from typing import Any

import measure

_CLIENT = (
    "client = VerizonClient("
    "thingspace_oauth_credentials=ThingspaceOauthCredentials("
    "oauth_client_id='bench-client', oauth_client_secret='bench-secret'), "
    "vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token='t'))\n"
    "client.software_management_licenses_v3"
)

SNIPPETS: dict[str, tuple[str, str]] = {
    "python": ("bare interpreter", "pass"),
    "requests": ("import requests", "import requests"),
    "ours": (
        "import verizon_sdk + client",
        "from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials\n"
        + _CLIENT,
    ),
    "published": (
        "import verizon (published) + client",
        "from verizon.verizon_client import VerizonClient\n"
        "from verizon.http.auth.thingspace_oauth import ThingspaceOauthCredentials\n"
        "from verizon.http.auth.vz_m2m_token import VZM2mTokenCredentials\n" + _CLIENT,
    ),
}

_TEMPLATE = """\
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


def run_once(key: str) -> tuple[float, float, float, float]:
    """Seconds in the snippet, peak RSS (MiB), ru_maxrss (MiB), seconds for the process."""
    code = _TEMPLATE.format(snippet=SNIPPETS[key][1])
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


def measure_cold_start(keys: list[str], rounds: int) -> dict[str, Any]:
    samples: dict[str, list[tuple[float, float, float, float]]] = {key: [] for key in keys}
    for key in keys:  # warm the OS file cache: "cold" means a fresh interpreter, not a cold disk
        run_once(key)
    for round_index in range(rounds):
        shift = round_index % len(keys)
        for key in [*keys[shift:], *keys[:shift]]:
            samples[key].append(run_once(key))
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
    for other in ("requests", "published"):
        if other in samples and "ours" in samples:
            ratios = measure.per_round_ratios(
                [r[0] for r in samples["ours"]], [r[0] for r in samples[other]]
            )
            results[f"ours_over_{other}"] = measure.summary(ratios)
    return results
