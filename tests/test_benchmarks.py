"""``benchmarks/run.py --quick`` runs every case briefly; its numbers are never asserted.

The published SDK and matplotlib (the ``bench`` extra) are optional: without them, or with
``--without published,chart``, their contenders are skipped, the output says so, and the run
still succeeds.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = {"status100", "status1000", "assign100"}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _run_script(script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``benchmarks/<script> <arguments>``, which must succeed."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _run_quick(
    out: Path, *options: str, script: str = "run.py", results: str = "results.json"
) -> tuple[subprocess.CompletedProcess[str], Any]:
    done = _run_script(script, "--quick", "--out", str(out), *options)
    return done, json.loads((out / results).read_text())


@pytest.mark.parametrize("without", ["", "published,chart"], ids=["available", "without-optional"])
def test_run_quick_covers_every_case(tmp_path: Path, without: str) -> None:
    options = ("--without", without) if without else ()
    done, results = _run_quick(tmp_path, *options)
    published = _installed("verizon") and "published" not in without
    chart = _installed("matplotlib") and "chart" not in without

    assert results["meta"]["mode"] == "quick"
    assert set(results["throughput"]) == CASES
    for case in results["throughput"].values():
        assert {"raw", "raw_no_env", "ours", "ours_times"} <= set(case["contenders"])
        assert ("published" in case["contenders"]) is published
    assert {"python", "requests", "ours"} <= set(results["cold_start"])
    assert results["iterate"]["devices"] == 3000
    assert results["bulk"]["devices"] == 2000
    # Every target is reported: measured, or skipped with a reason when its contender is absent.
    for target in results["targets"]:
        if target["measured"] is None:
            assert "published" in target["comparison"]
            assert not published
    assert len(results["targets"]) == 11

    assert ("published" in results["skipped"]) is not published
    assert ("SKIPPED published" in done.stdout) is not published
    assert (tmp_path / "ratios.png").exists() is chart
    assert ("SKIPPED chart" in done.stdout) is not chart
    markdown = (tmp_path / "results.md").read_text()
    assert "## Targets" in markdown
    assert "V3 status GET, 1,000 devices" in markdown


def test_import_and_client_leave_apimatic_pipeline_to_the_first_request() -> None:
    # Cold start (benchmarks/coldstart.py): apimatic-core's call pipeline pulls in jsonpickle,
    # PyYAML and dateutil; importing the SDK and building a client must not.
    heavy = ["jsonpickle", "yaml", "dateutil", "apimatic_core.api_call", "apimatic_core.utilities"]
    code = f"""
import sys
from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials
client = VerizonClient(
    thingspace_oauth_credentials=ThingspaceOauthCredentials(
        oauth_client_id="id", oauth_client_secret="secret"),
    vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="token"),
)
client.software_management_licenses_v3
print(sorted(name for name in {heavy!r} if name in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_startup_case_reports_whole_process_ratio_and_modules(tmp_path: Path) -> None:
    # Issue 15 item 7: the case is measured and reported (its numbers are not asserted).
    done, results = _run_quick(tmp_path, "--only", "startup")
    startup = results["startup"]
    assert set(startup["process_seconds"]) == {"requests", "ours"}
    assert startup["goal"] == 1.25
    medians = {k: v["median"] for k, v in startup["process_seconds"].items()}
    assert startup["ratio_of_medians"] == medians["ours"] / medians["requests"]
    assert startup["met"] is (startup["ratio_of_medians"] <= 1.25)
    assert startup["loaded"]["feature_modules_loaded"] == []
    assert "## Start-up (whole process)" in (tmp_path / "results.md").read_text()
    assert "start-up (whole process)" in done.stdout


def test_async_benchmark_quick_run_writes_its_results(tmp_path: Path) -> None:
    _, results = _run_quick(tmp_path, script="async_bench.py", results="async.json")
    assert results["bulk"]["devices"] == 5000
    assert set(results["bulk"]["cpu_ms_per_chunk"]) == {"async", "threads"}
    assert results["status"]["ratio_sdk_over_raw"]["median"] > 0
    assert results["status"]["met"] is (results["status"]["ratio_sdk_over_raw"]["median"] >= 0.9)
    assert results["bulk"]["met"] is (results["bulk"]["ratio_threads_over_async"]["median"] >= 1)
    assert len(results["load_average"]["before"]) == 3
    assert "CPU per 1,000-id chunk" in (tmp_path / "async.md").read_text()
    assert "load average (1 min)" in (tmp_path / "async.md").read_text()


def test_deadline_benchmark_quick_run_writes_its_results(tmp_path: Path) -> None:
    _, results = _run_quick(tmp_path, script="deadline.py", results="deadline.json")
    assert set(results["cases"]) == {"status100", "status1000"}
    for case in results["cases"].values():
        for clock in ("wall", "cpu"):
            assert set(case[clock]["seconds_per_call"]) == {"deadline", "no_deadline"}
            assert case[clock]["ratio deadline / no_deadline"]["median"] > 0
    assert "| status100, cpu time |" in (tmp_path / "deadline.md").read_text()


def _instructions_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "instructions", ROOT / "benchmarks" / "instructions.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("case", "contender"),
    [("request", c) for c in ("async_sdk", "sync_sdk", "async_raw", "sync_raw")]
    + [("bulk", "async"), ("bulk", "threads")],
)
def test_instruction_workloads_run_and_check_their_answers(case: str, contender: str) -> None:
    # what callgrind counts, run plainly: each workload asserts on every answer it gets
    _run_script("instructions.py", "--child", case, contender, "2")


def test_instruction_counts_are_read_and_divided_per_unit() -> None:
    instructions = _instructions_module()
    assert instructions.collected("==1== Events    : Ir\n==1== Collected : 123456\n") == 123456
    with pytest.raises(RuntimeError, match="no instruction count"):
        instructions.collected("valgrind: command not found")
    assert instructions.per_unit((1, 1_000), (21, 41_000)) == 2_000
    with pytest.raises(ValueError, match="more units"):
        instructions.per_unit((5, 10), (5, 20))
    table = instructions.markdown(
        {
            "commit": "abc1234",
            "machine": "x86_64, 2 CPUs",
            "python": "3.11.7",
            "cases": {
                "request": {
                    "async_sdk": 3.5e7,
                    "sync_sdk": 3.0e7,
                    "async_raw": 2e7,
                    "sync_raw": 1.6e7,
                },
                "bulk": {"async": 5.5e7, "threads": 5.0e7},
            },
        }
    )
    assert "| bulk assign, 16 in flight (per 1,000-id chunk) | 55.0 | 50.0 | 1.100 |" in table
    assert "| 35.0 | 30.0 | 1.167 |" in table
