"""Fleet-scale cases against the simulator (``python -m verizon_sdk.simulator``, its own process).

- **iterate**: ``iter_account_licenses`` over an account of N licensed devices, pages of 1000,
  reading every device's ``assignment_time``. It runs in a fresh interpreter
  (``python benchmarks/fleet.py iterate URL ACCOUNT N``) so that its resident set size is its
  own. RSS is sampled (``/proc/self/statm``) after every page's worth of devices; the growth is
  the highest sample minus the RSS after a warm-up page. A page's worth is measured with
  ``tracemalloc``: ``held`` is what one parsed 1000-device page occupies while the caller keeps
  it, ``peak`` is the most one page fetch allocates at once (body text, decoded JSON and models).
- **bulk**: ``assign_licenses_bulk`` of N ids (chunks of 1000, the default) with the simulator
  adding 50 ms to every answer, 1 worker against 8 workers, interleaved, each run on a fresh
  account. Every id must come back ``succeeded``. A third contender is the ceiling of this
  setup: raw ``requests`` posting the same chunks from 8 threads (``json.loads`` only). With
  8 requests in flight the client's CPU work per answer (decode, parse, account) and the
  simulator's, on 2 shared cores and under each process's GIL, are what keep 8 workers from
  being 8 times faster.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import measure
import requests

from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials

SEED_BASE = 990000000000000  # the simulator's --seed assigns ids from here up
ITERATE_ACCOUNT = "0000100000-00001"


class SimulatorProcess:
    """``python -m verizon_sdk.simulator`` in a child process; ``url`` is its API root."""

    def __init__(self, *arguments: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "verizon_sdk.simulator", "--port", "0", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.close()
            raise RuntimeError(f"simulator did not start: {line!r}")
        self.url = line

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def client_for(url: str, **options: Any) -> VerizonClient:
    return VerizonClient(
        thingspace_oauth_credentials=ThingspaceOauthCredentials(
            oauth_client_id="bench-client", oauth_client_secret="bench-secret"
        ),
        vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="sim-m2m-token"),
        base_url=url,
        **options,
    )


# -- iterate ---------------------------------------------------------------------------------

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE_BYTES


def iterate_in_this_process(url: str, account: str, expected: int) -> dict[str, Any]:
    client = client_for(url)
    v3 = client.software_management_licenses_v3
    page = v3.get_account_licenses_status(account)  # warm-up: token, connection, compiled model
    page_devices = len(page.device_list or ())
    del page
    gc.collect()

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    page = v3.get_account_licenses_status(account)
    for device in page.device_list or ():
        _ = device.assignment_time  # parsed and cached, as in the walk below
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del page
    gc.collect()

    start_rss = high_rss = _rss_bytes()
    count = 0
    started = time.perf_counter()
    for device in v3.iter_account_licenses(account):
        if device.assignment_time is None:
            raise AssertionError(f"unparsed time {device.assignment_time_raw!r}")
        count += 1
        if count % 1000 == 0:
            high_rss = max(high_rss, _rss_bytes())
    elapsed = time.perf_counter() - started
    high_rss = max(high_rss, _rss_bytes())
    client.close()
    if count != expected:
        raise AssertionError(f"iterated {count} devices, expected {expected}")
    return {
        "devices": count,
        "page_size": page_devices,
        "seconds": elapsed,
        "devices_per_second": count / elapsed,
        "start_rss_mib": start_rss / 2**20,
        "rss_growth_mib": (high_rss - start_rss) / 2**20,
        "page_held_mib": (held - before) / 2**20,
        "page_peak_mib": (peak - before) / 2**20,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_iterate(devices: int, page_size: int) -> dict[str, Any]:
    seed = f"{ITERATE_ACCOUNT}:{devices}:{devices}"
    with SimulatorProcess("--max-page-size", str(page_size), "--seed", seed) as simulator:
        done = subprocess.run(
            [sys.executable, __file__, "iterate", simulator.url, ITERATE_ACCOUNT, str(devices)],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"iterate case failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["growth_in_held_pages"] = result["rss_growth_mib"] / result["page_held_mib"]
    result["growth_in_peak_pages"] = result["rss_growth_mib"] / result["page_peak_mib"]
    return result


# -- bulk ------------------------------------------------------------------------------------


def _raw_threads(api_root: str, chunk_size: int, threads: int) -> Callable[[str, list[str]], None]:
    """The ceiling for the bulk case: plain ``requests`` POSTs of the chunks from a thread pool.

    No validation, no models, no per-device accounting: ``json.loads`` of each answer only.
    """
    session = requests.Session()
    token = session.post(
        f"{api_root}/ts/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("bench-client", "bench-secret"),
    ).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "VZ-M2M-Token": "sim-m2m-token",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }

    def run(account: str, ids: list[str]) -> None:
        url = f"{api_root}/fota/v3/licenses/{account}/assign"

        def post(chunk: list[str]) -> int:
            response = session.post(url, data=json.dumps({"deviceList": chunk}), headers=headers)
            response.raise_for_status()
            return len(json.loads(response.content)["deviceList"])

        chunks = [ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size)]
        with ThreadPoolExecutor(threads) as pool:
            if sum(pool.map(post, chunks)) != len(ids):
                raise AssertionError("raw bulk: an answer is missing devices")

    return run


def measure_bulk(
    devices: int, latency: float, workers: tuple[int, int], rounds: int
) -> dict[str, Any]:
    """:func:`bulk_in_this_process` in a fresh interpreter.

    Not in the benchmark's own process, whose heap (the published SDK, earlier results) would
    make every garbage collection of the 100,000 per-device results slower.
    """
    arguments = [str(devices), str(latency), str(workers[0]), str(workers[1]), str(rounds)]
    done = subprocess.run(
        [sys.executable, __file__, "bulk", *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"bulk case failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def bulk_in_this_process(
    devices: int, latency: float, workers: tuple[int, int], rounds: int
) -> dict[str, Any]:
    """``assign_licenses_bulk`` with ``workers[0]`` and ``workers[1]`` workers, and raw
    ``requests`` from ``workers[1]`` threads, interleaved; each run on a fresh account."""
    ids = [f"{SEED_BASE + i:015d}" for i in range(devices)]
    few, many = workers
    keys = [str(few), str(many), f"raw{many}"]
    seconds: dict[str, list[float]] = {key: [] for key in keys}
    cpu: dict[str, list[float]] = {key: [] for key in keys}  # this process's CPU seconds
    runs = 0
    with SimulatorProcess("--latency", str(latency), "--pool", str(devices)) as simulator:
        client = client_for(simulator.url)
        v3 = client.software_management_licenses_v3
        v3.get_account_licenses_status("0000000000-00000")  # warm-up: token and connection
        raw = _raw_threads(simulator.url, 1000, many)
        for round_index in range(rounds):
            shift = round_index % len(keys)
            for key in [*keys[shift:], *keys[:shift]]:
                runs += 1
                account = f"{runs:010d}-{round_index:05d}"  # a fresh account: every id is new
                started, cpu_started = time.perf_counter(), time.process_time()
                if key.startswith("raw"):
                    raw(account, ids)
                else:
                    result = v3.assign_licenses_bulk(account, ids, max_workers=int(key))
                seconds[key].append(time.perf_counter() - started)
                cpu[key].append(time.process_time() - cpu_started)
                if not key.startswith("raw") and len(result.succeeded) != devices:
                    raise AssertionError(f"bulk run on {account}: {result!r}")
        client.close()
    return {
        "devices": devices,
        "latency_seconds": latency,
        "workers": list(workers),
        "seconds": {key: measure.summary(s) for key, s in seconds.items()},
        "ids_per_second": {
            key: devices / measure.summary(s)["median"] for key, s in seconds.items()
        },
        "speedup": measure.summary(measure.per_round_ratios(seconds[str(few)], seconds[str(many)])),
        "raw_speedup": measure.summary(
            measure.per_round_ratios(seconds[str(few)], seconds[f"raw{many}"])
        ),
        "sdk_over_raw": measure.summary(
            measure.per_round_ratios(seconds[f"raw{many}"], seconds[str(many)])
        ),
        "client_cpu_ms_per_chunk": {
            key: measure.summary(s)["median"] * 1000 / -(-devices // 1000) for key, s in cpu.items()
        },
        "runs": seconds,
    }


if __name__ == "__main__" and sys.argv[1:2] == ["iterate"]:
    _, _, api_root, account_name, expected_count = sys.argv
    print(json.dumps(iterate_in_this_process(api_root, account_name, int(expected_count))))
elif __name__ == "__main__" and sys.argv[1:2] == ["bulk"]:
    _, _, count, delay, few_workers, many_workers, round_count = sys.argv
    workers_pair = (int(few_workers), int(many_workers))
    bulk = bulk_in_this_process(int(count), float(delay), workers_pair, int(round_count))
    print(json.dumps(bulk))
