"""What the nesting check (issue 10 item 5) costs on a 2xx body: ``json.loads`` alone (A)
against ``verizon_sdk._wire.load_json``, the check then ``json.loads`` (B).

The body is a 1000-device license page (79 kB), as the service sends it. A and B run
interleaved (A, B, A, B, ...) in one process; the output is each median and the median ratio
B/A with its spread. Run: ``python benchmarks/json_depth.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from verizon_sdk._wire import load_json

PAGE = json.dumps(
    {
        "accountName": "0000123456-00001",
        "hasMoreData": True,
        "lastSeenDeviceId": "990000000000999",
        "deviceList": [
            {"deviceId": f"{990000000000000 + i}", "assignmentTime": "2026-11-22T11:41:51.585Z"}
            for i in range(1000)
        ],
    }
)


def per_call_ms(parse: Callable[[str], Any], calls: int = 200) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        parse(PAGE)
    return (time.perf_counter() - started) / calls * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    plain, checked = [], []
    for _ in range(rounds):
        plain.append(per_call_ms(json.loads))
        checked.append(per_call_ms(load_json))
    ratios = [b / a for a, b in zip(plain, checked, strict=True)]
    print(
        f"page {len(PAGE)} bytes, {rounds} rounds: json.loads median {statistics.median(plain):.3f}"
        f" ms, load_json median {statistics.median(checked):.3f} ms; ratio median"
        f" {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
    )


if __name__ == "__main__":
    main()
