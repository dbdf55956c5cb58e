"""The ``verizon-licenses`` command, driven through a subprocess against the simulator."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import cli_environment as environment
from verizon_sdk import cli
from verizon_sdk.simulator import Simulator

ACCOUNT = "0000123456-00001"
SEEDED = [f"99000000000{n:04d}" for n in range(7)]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(max_page_size=3, pool_size=9) as simulator:
        simulator.seed(ACCOUNT, assigned=SEEDED)
        yield simulator


def run(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verizon_sdk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")


def test_status_table_walks_every_page(sim: Simulator) -> None:
    result = run(["status", ACCOUNT], environment(sim))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["DEVICE", "ID", "ASSIGNED", "AT"]
    assert [line.split()[0] for line in lines[1:-1]] == SEEDED
    assert lines[-1] == "7 devices listed; 7 of 9 licenses assigned"
    assert sim.request_count("/licenses/" + ACCOUNT, method="GET") == 3


@pytest.mark.parametrize("api", ["v2", "v3"])
def test_status_json_and_csv(sim: Simulator, api: str) -> None:
    document = json.loads(run(["--api", api, "status", ACCOUNT, "--format", "json"],
                              environment(sim)).stdout)  # fmt: skip
    assert document["accountName"] == ACCOUNT
    assert document["totalLicenses"] == 9
    assert [d["deviceId"] for d in document["deviceList"]] == SEEDED
    rows = list(csv.reader(io.StringIO(run(["--api", api, "status", ACCOUNT, "--format", "csv"],
                                           environment(sim)).stdout)))  # fmt: skip
    assert rows[0] == ["deviceId", "assignmentTime"]
    assert [r[0] for r in rows[1:]] == SEEDED


def test_assign_from_arguments_reports_failures_with_exit_1(sim: Simulator) -> None:
    result = run(["assign", ACCOUNT, "990000000009999", "12345"], environment(sim))
    assert result.returncode == 1, result.stderr
    assert "990000000009999" not in result.stdout  # only the problems are listed
    assert "12345      failed   Failure  Device does not exist." in result.stdout
    verbose = run(["assign", "-v", ACCOUNT, "990000000009998"], environment(sim))
    assert verbose.returncode == 0, verbose.stderr
    assert "990000000009998  succeeded  Success  Success" in verbose.stdout
    assert "1 succeeded, 1 failed" in result.stdout
    assert "990000000009999" in sim.assigned(ACCOUNT)


def test_remove_from_stdin_and_file(sim: Simulator, tmp_path: Path) -> None:
    result = run(["remove", ACCOUNT, "-"], environment(sim), stdin=f"{SEEDED[0]}\n{SEEDED[1]}\n")
    assert result.returncode == 0, result.stderr
    assert "2 succeeded, 0 failed" in result.stdout
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{SEEDED[2]},{SEEDED[3]}\n\n")
    result = run(["remove", ACCOUNT, "--file", str(ids)], environment(sim))
    assert result.returncode == 0, result.stderr
    assert sim.assigned(ACCOUNT) == set(SEEDED[4:])


def test_candidates_add_list_clear(sim: Simulator) -> None:
    env = environment(sim)
    added = run(["candidates", "add", ACCOUNT, SEEDED[0], SEEDED[1]], env)
    assert added.returncode == 0, added.stderr
    listed = run(["candidates", "list", ACCOUNT], env)
    assert listed.stdout.splitlines() == [SEEDED[0], SEEDED[1], "2 cancellation candidates"]
    replaced = run(["candidates", "add", "--replace", ACCOUNT, SEEDED[2]], env)
    assert replaced.returncode == 0, replaced.stderr
    assert sim.candidates(ACCOUNT) == [SEEDED[2]]
    cleared = run(["candidates", "clear", ACCOUNT], env)
    assert cleared.stdout.strip() == "cancellation candidates cleared"
    assert sim.candidates(ACCOUNT) == []


@pytest.mark.parametrize(
    ("args", "extra_env", "code", "fragment"),
    [
        (["assign", ACCOUNT], {}, 2, "no device ids"),
        (["assign", ACCOUNT, "--file", "/nonexistent/ids"], {}, 2, "cannot read"),
        (["assign", "bad/account", "990000000000001"], {}, 2, "acc:"),
        (["status", ACCOUNT], {"VERIZON_CLIENT_SECRET": ""}, 2, "VERIZON_CLIENT_SECRET"),
        (["status", "0000000000-1"], {}, 3, "Invalid account name format"),
    ],
)
def test_errors_are_one_line_with_exit_code(
    sim: Simulator, args: list[str], extra_env: dict[str, str], code: int, fragment: str
) -> None:
    result = run(args, environment(sim, **extra_env))
    assert_clean_error(result, code)
    assert fragment in result.stderr


@pytest.mark.parametrize(
    ("args", "extra_env", "fragment"),
    [
        (["assign", ACCOUNT, "990000000000001"], {"VERIZON_M2M_TOKEN": "bad"}, "401"),
        (["remove", "0000123456", "990000000000001"], {}, "Invalid account name format"),
        (["assign", ACCOUNT, "990000000000001"], {"VERIZON_BASE_URL": "http://127.0.0.1:1/api"},
         "APIConnectionError"),
    ],
)  # fmt: skip
def test_bulk_run_failing_as_a_whole_exits_3_with_one_line(
    sim: Simulator, args: list[str], extra_env: dict[str, str], fragment: str
) -> None:
    result = run(args, environment(sim, **extra_env))
    assert_clean_error(result, 3)
    assert fragment in result.stderr
    assert "990000000000001" not in result.stdout  # no per-device table for a whole failure


def test_refused_credentials_exit_3_without_echoing_secret() -> None:
    with Simulator(client_credentials={"right": "credentials"}) as sim:
        result = run(["status", ACCOUNT], environment(sim))
    assert_clean_error(result, 3)
    assert "cli-secret" not in result.stderr + result.stdout


def test_usage_error_from_argparse_exits_2(sim: Simulator) -> None:
    result = run(["frobnicate"], environment(sim))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_demo_runs_offline() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERIZON_")}
    result = run(["demo"], env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Device does not exist." in out
    assert "Device license preexisting" in out
    assert "page 3:" in out
    assert "4. Final usage: 5 of 10 licenses assigned" in out


def test_status_reports_an_empty_pool_as_zero() -> None:
    with Simulator() as empty:
        empty.seed(ACCOUNT, pool=0)
        result = run(["status", ACCOUNT], environment(empty))
        document = json.loads(
            run(["status", ACCOUNT, "--format", "json"], environment(empty)).stdout
        )
    assert result.stdout.splitlines()[-1] == "0 devices listed; 0 of 0 licenses assigned"
    assert document["totalLicenses"] == 0


@pytest.mark.parametrize("prefix", [[], ["--api", "v2"]])
def test_simulator_command_serves_until_sigterm(prefix: list[str]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "verizon_sdk", *prefix, "simulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/api")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_main_in_process(sim: Simulator, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    for name, value in environment(sim).items():
        if name.startswith("VERIZON_"):
            monkeypatch.setenv(name, value)
    assert cli.main(["status", ACCOUNT, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["assignedLicenses"] == 7
    monkeypatch.setattr("sys.stdin", io.StringIO("990000000001234\n"))
    assert cli.main(["--api", "v2", "assign", ACCOUNT, "-"]) == 0
    assert "1 succeeded, 0 failed" in capsys.readouterr().out


def test_a_closed_pipe_stops_quietly_and_keeps_the_report(tmp_path: Path) -> None:
    # `verizon-licenses ... | head -1`: the reader leaves after the first line
    ids = [f"99000000{n:07d}" for n in range(4000)]
    report = tmp_path / "report.csv"
    with Simulator(pool_size=10_000, max_page_size=1000) as big:
        big.seed(ACCOUNT, pool=10_000, assigned=ids)
        for args in (
            ["status", ACCOUNT, "--format", "csv"],
            ["remove", ACCOUNT, "-v", "--show", "all", "--report", str(report), *ids],
        ):
            process = subprocess.Popen(
                [sys.executable, "-m", "verizon_sdk", *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment(big),
            )
            assert process.stdout is not None
            assert process.stderr is not None
            process.stdout.readline()
            process.stdout.close()  # far more than a pipe holds is still to come
            stderr = process.stderr.read().decode()
            process.stderr.close()
            assert process.wait(timeout=60) == 141, stderr
            assert "Traceback" not in stderr
        assert big.assigned(ACCOUNT) == set()
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert len(rows) == len(ids)  # written before the output that hit the closed pipe


def test_device_ids_may_follow_options(sim: Simulator) -> None:
    result = run(["assign", ACCOUNT, "--chunk-size", "1", "990000000008881", "-"], environment(sim),
                 stdin="990000000008882\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert {"990000000008881", "990000000008882"} <= sim.assigned(ACCOUNT)
    wrong = run(["assign", ACCOUNT, "990000000008883", "--frobnicate"], environment(sim))
    assert wrong.returncode == 2
    assert "unrecognized arguments: --frobnicate" in wrong.stderr


def test_main_leaves_the_host_programs_streams_and_logging_as_it_found_them(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a program that calls cli.main() keeps its own stream settings and logger afterwards
    import logging

    for name, value in environment(sim).items():
        if name.startswith("VERIZON_"):
            monkeypatch.setenv(name, value)
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict")
    monkeypatch.setattr("sys.stdout", stdout)
    logger = logging.getLogger("verizon_sdk")
    handlers = list(logger.handlers)
    assert cli.main(["status", ACCOUNT, "--format", "json"]) == 0
    assert stdout.errors == "strict"
    assert logger.handlers == handlers
    stdout.flush()
    assert json.loads(stdout.buffer.getvalue())["assignedLicenses"] == 7  # type: ignore[attr-defined]
