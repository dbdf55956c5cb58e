"""``verizon-licenses assign|remove`` on the bulk path, driven through a subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import cli_environment as environment
from tests.cli_helpers import imei, interrupted
from verizon_sdk import bulk, cli
from verizon_sdk.simulator import Fault, Simulator

ACCOUNT = "0000123456-00001"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(pool_size=10_000) as simulator:
        yield simulator


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "verizon_sdk", *args]


def run(sim: Simulator, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args),
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(sim),
        timeout=60,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_assign_in_chunks_writes_a_csv_report(sim: Simulator, tmp_path: Path) -> None:
    ids = [imei(n) for n in range(7)]
    report = tmp_path / "assign.csv"
    given = [*ids, ids[0], "12345"]  # a repeat, and an id the service does not know
    result = run(
        sim,
        "assign",
        ACCOUNT,
        *given,
        "--chunk-size",
        "2",
        "--workers",
        "3",
        "--report",
        str(report),
    )
    assert result.returncode == 1, result.stderr  # one device failed
    assert sim.request_count("/assign", method="POST") == 4  # 8 distinct ids, 2 per request
    assert sim.assigned(ACCOUNT) == set(ids)
    summary = result.stdout.splitlines()[-2]
    assert summary == (
        "7 succeeded, 1 failed, 0 not attempted, 0 unknown; 1 repeated ids counted once"
    )
    assert result.stdout.splitlines()[-1] == f"report written to {report}"
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [r["device_id"] for r in rows] == [*ids, "12345"]  # each distinct id once
    assert rows[-1]["outcome"] == "failed"
    assert rows[-1]["reason"] == "Device does not exist."
    assert rows[0]["occurrences"] == "2"


def test_remove_from_stdin_writes_a_json_report(sim: Simulator, tmp_path: Path) -> None:
    sim.seed(ACCOUNT, assigned=[imei(n) for n in range(5)])
    report = tmp_path / "remove.JSON"
    stdin = "\n".join(imei(n) for n in range(3)) + "\n"
    result = run(sim, "remove", ACCOUNT, "-", "--report", str(report), stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "3 succeeded, 0 failed, 0 not attempted, 0 unknown" in result.stdout
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["summary"]["action"] == "remove"
    assert document["summary"]["succeeded"] == 3
    assert [d["device_id"] for d in document["devices"]] == [imei(n) for n in range(3)]
    assert sim.assigned(ACCOUNT) == {imei(3), imei(4)}


def test_ambiguous_chunks_are_reconciled(sim: Simulator) -> None:
    sim.inject(Fault(path="/assign", drop="after", times=1))  # applied, answer lost
    sim.inject(Fault(path="/assign", status=503, times=1))  # not applied
    result = run(sim, "assign", ACCOUNT, *(imei(n) for n in range(6)), "--chunk-size", "2",
                 "--workers", "1")  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "4 succeeded, 0 failed, 2 not attempted, 0 unknown; 4 settled by reading the license list"
    )
    assert len(sim.assigned(ACCOUNT)) == 4
    assert "reconciled: the account does not list the device as licensed" in result.stdout


def test_progress_bar_goes_to_stderr(sim: Simulator) -> None:
    result = run(sim, "assign", ACCOUNT, *(imei(n) for n in range(20)), "--chunk-size", "5",
                 "--progress")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"assign {ACCOUNT}" in result.stderr
    assert "20/20" in result.stderr
    assert "20/20" not in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--report", "out.txt"], "must end in .csv or .json"),
        (["--report", "/nonexistent/dir/out.csv"], "no such directory"),
        (["--chunk-size", "0"], "chunk_size: must be between 1 and 10000"),
        (["--workers", "0"], "max_workers: must be at least 1"),
    ],
)
def test_bad_bulk_options_exit_2_before_sending(
    sim: Simulator, args: list[str], fragment: str
) -> None:
    result = run(sim, "assign", ACCOUNT, imei(1), *args)
    assert fragment in one_line_error(result, 2)
    assert sim.request_count("/assign") == 0


def test_bulk_options_need_v3(sim: Simulator) -> None:
    result = run(sim, "--api", "v2", "assign", ACCOUNT, imei(1), "--workers", "2", "--progress")
    line = one_line_error(result, 2)
    assert "--workers, --progress: only with --api v3" in line
    assert sim.request_count("/assign") == 0


def test_ctrl_c_writes_the_partial_report_and_exits_130(tmp_path: Path) -> None:
    report = tmp_path / "partial.csv"
    ids = [imei(n) for n in range(400)]
    with Simulator(pool_size=1_000, latency=0.05) as sim:
        args = ["assign", ACCOUNT, *ids, "--chunk-size", "4", "--workers", "1"]
        code, stdout, stderr = interrupted(sim, command(*args, "--report", str(report)))
        assigned = sim.assigned(ACCOUNT)
    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted"
    assert "stopped early: interrupted by KeyboardInterrupt" in stdout
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [r["device_id"] for r in rows] == ids  # every id, exactly once
    succeeded = {r["device_id"] for r in rows if r["outcome"] == "succeeded"}
    assert succeeded == assigned  # the report tells the truth
    assert 0 < len(succeeded) < len(ids)
    assert {r["outcome"] for r in rows} <= {"succeeded", "not_attempted"}


# -- the same paths in process (for coverage; the subprocess tests above are the contract) ------


@pytest.fixture
def env(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    for name, value in environment(sim).items():
        if name.startswith("VERIZON_"):
            monkeypatch.setenv(name, value)
    return sim


def test_main_bulk_assign_in_process(
    env: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.json"
    code = cli.main(["assign", ACCOUNT, imei(1), imei(2), imei(1), "--chunk-size", "1",
                     "--workers", "2", "--report", str(report)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "2 succeeded, 0 failed, 0 not attempted, 0 unknown; 1 repeated ids" in out
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["succeeded"] == 2
    assert env.assigned(ACCOUNT) == {imei(1), imei(2)}


def test_main_bulk_report_write_failure_is_a_usage_error(
    env: Simulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "taken.csv"
    report.mkdir()  # a directory where the file should go
    code = cli.main(["remove", ACCOUNT, imei(1), "--report", str(report)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith(f"error: cannot write {report}")
    assert "1 succeeded" in captured.out  # the outcome was still shown


def test_main_bulk_interrupt_prints_the_partial_result(
    env: Simulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from verizon_sdk.controllers import SoftwareManagementLicensesV3Controller

    def interrupted(self: object, acc: str, ids: list[str], **options: object) -> bulk.BulkResult:
        partial = bulk.BulkResult("assign", acc)
        bulk.read_device_ids(ids, partial)
        partial.interrupted = True
        partial.stopped = "interrupted by KeyboardInterrupt"
        exc = KeyboardInterrupt()
        exc.bulk_result = partial  # type: ignore[attr-defined]
        raise exc

    monkeypatch.setattr(SoftwareManagementLicensesV3Controller, "assign_licenses_bulk", interrupted)
    report = tmp_path / "partial.csv"
    code = cli.main(["assign", ACCOUNT, imei(1), "--report", str(report)])
    captured = capsys.readouterr()
    assert code == 130
    assert captured.err == "interrupted\n"
    assert "stopped early: interrupted by KeyboardInterrupt" in captured.out
    assert imei(1) in report.read_text(encoding="utf-8")


def test_main_bulk_options_rejected_for_v2_in_process(
    env: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--api", "v2", "remove", ACCOUNT, imei(1), "--report", "x.csv"]) == 2
    assert "--report: only with --api v3" in capsys.readouterr().err


def test_main_bulk_bad_report_names_in_process(
    env: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["assign", ACCOUNT, imei(1), "--report", "x.xml"]) == 2
    assert cli.main(["assign", ACCOUNT, imei(1), "--report", "/nonexistent/x.csv"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: --report x.xml: the file name must end in .csv or .json",
        "error: --report /nonexistent/x.csv: no such directory",
    ]
    assert env.request_count("/assign") == 0
