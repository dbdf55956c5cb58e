"""What ``verizon-licenses`` prints, through the installed console script in a subprocess:
large results stay short on the terminal, and times are RFC 3339."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.cli_helpers import cli_environment as environment
from tests.cli_helpers import imei, interrupted
from verizon_sdk.simulator import Simulator

ACCOUNT = "0000123456-00001"
ENTRY_POINT = str(Path(sys.executable).with_name("verizon-licenses"))
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def run(sim: Simulator, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ENTRY_POINT, *args],
        capture_output=True,
        text=True,
        env=environment(sim),
        timeout=60,
        check=False,
    )


@pytest.fixture
def small_pool() -> Iterator[Simulator]:
    with Simulator(pool_size=5) as simulator:
        yield simulator


def test_entry_point_is_installed() -> None:
    assert Path(ENTRY_POINT).is_file()


def test_large_result_shows_ten_rows_per_outcome(small_pool: Simulator, tmp_path: Path) -> None:
    ids = [imei(n) for n in range(30)]
    report = tmp_path / "out.csv"
    result = run(small_pool, "assign", ACCOUNT, *ids, "-v", "--report", str(report))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    succeeded = [line for line in lines if "  succeeded  " in line]
    failed = [line for line in lines if "  failed  " in line]
    assert len(succeeded) == 5  # fewer than 10: all of them, no "more" line
    assert len(failed) == 10
    assert f"... 15 more failed: see {report}" in lines
    assert not any(line.startswith("... ") and "succeeded" in line for line in lines)
    assert "5 succeeded, 25 failed, 0 not attempted, 0 unknown" in lines
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [r["device_id"] for r in rows] == ids  # the report file has every row


def test_more_line_points_at_report_when_none_was_given(small_pool: Simulator) -> None:
    result = run(small_pool, "assign", ACCOUNT, *(imei(n) for n in range(30)))
    assert result.returncode == 1, result.stderr
    assert "... 15 more failed: see --report" in result.stdout.splitlines()


def test_show_all_prints_every_row(small_pool: Simulator) -> None:
    result = run(small_pool, "assign", ACCOUNT, *(imei(n) for n in range(30)), "--show", "all")
    assert result.returncode == 1, result.stderr
    assert len([line for line in result.stdout.splitlines() if "  failed  " in line]) == 25
    assert "... " not in result.stdout


def test_show_takes_a_number(small_pool: Simulator) -> None:
    result = run(small_pool, "assign", ACCOUNT, *(imei(n) for n in range(30)), "--show", "3")
    assert len([line for line in result.stdout.splitlines() if "  failed  " in line]) == 3
    assert "... 22 more failed: see --report" in result.stdout


def test_show_rejects_a_bad_value(small_pool: Simulator) -> None:
    result = run(small_pool, "assign", ACCOUNT, imei(1), "--show", "lots")
    assert result.returncode == 2
    assert "'lots': a number of rows or 'all'" in result.stderr
    assert small_pool.request_count("/assign") == 0


def test_ctrl_c_prints_counts_and_at_most_ten_rows(tmp_path: Path) -> None:
    """The issue's case: Ctrl-C during an ``assign`` of 5,000 ids."""
    ids = [imei(n) for n in range(5_000)]
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids) + "\n", encoding="utf-8")
    report = tmp_path / "partial.csv"
    with Simulator(pool_size=10_000, latency=0.05) as sim:
        args = ["assign", ACCOUNT, "--file", str(source), "--chunk-size", "4", "--workers", "1"]
        code, stdout, stderr = interrupted(sim, [ENTRY_POINT, *args, "--report", str(report)])
    assert code == 130, stderr
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [r["device_id"] for r in rows] == ids  # the report has every row
    not_sent = sum(r["outcome"] == "not_attempted" for r in rows)
    assert not_sent > 4_000
    lines = stdout.splitlines()
    # header, 10 rows, the "more" line, the summary, the report line
    assert len(lines) <= 14, stdout
    assert len([line for line in lines if "  not_attempted  " in line]) == 10
    assert f"... {not_sent - 10} more not_attempted: see {report}" in lines
    assert "stopped early: interrupted by KeyboardInterrupt" in stdout


@pytest.fixture
def seeded() -> Iterator[Simulator]:
    with Simulator(max_page_size=3, pool_size=9) as simulator:
        simulator.seed(ACCOUNT, assigned=[imei(n) for n in range(4)])
        yield simulator


@pytest.mark.parametrize("api", ["v2", "v3"])
def test_status_times_are_rfc3339_everywhere(seeded: Simulator, api: str) -> None:
    table = run(seeded, "--api", api, "status", ACCOUNT)
    assert table.returncode == 0, table.stderr
    cells = [line.split()[1] for line in table.stdout.splitlines()[1:-1]]
    assert len(cells) == 4
    assert all(RFC3339.match(c) for c in cells), cells
    rows = list(csv.DictReader(io.StringIO(run(seeded, "--api", api, "status", ACCOUNT,
                                               "--format", "csv").stdout)))  # fmt: skip
    assert [r["assignmentTime"] for r in rows] == cells
    document = json.loads(run(seeded, "--api", api, "status", ACCOUNT, "--format", "json").stdout)
    assert [d["assignmentTime"] for d in document["deviceList"]] == cells
    for cell in cells:  # what pandas and spreadsheets do with it: a UTC moment
        assert datetime.fromisoformat(cell.replace("Z", "+00:00")).utcoffset() is not None
