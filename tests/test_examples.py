"""The examples run against the simulator when no credentials are set; so does the notebook."""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def offline_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("VERIZON_")}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_script_runs_offline(script: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "using a local simulator" in result.stdout


def test_fleet_sync_with_inventory_prune_and_report(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.txt"
    inventory.write_text("".join(f"99000342573{n:04d}\n" for n in range(100, 200)))
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "fleet_sync.py"), str(inventory), "--prune",
         "--report", "sync.json"],
        cwd=tmp_path, env=offline_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "901 licensed, 100 wanted: 0 to assign, 801 not in the inventory" in result.stdout
    report = json.loads((tmp_path / "remove-sync.json").read_text())
    assert report["summary"]["succeeded"] == 801


def test_notebook_code_cells_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("VERIZON_"):
            monkeypatch.delenv(name)
    notebook = json.loads((EXAMPLES / "account_usage.ipynb").read_text())
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    try:
        for number, cell in enumerate(notebook["cells"]):
            if cell["cell_type"] == "code":
                code = "".join(cell["source"])
                # as Jupyter does: a cell may use ``await`` at the top level
                flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
                compiled = compile(code, f"account_usage.ipynb cell {number}", "exec", flags=flags)
                result = eval(compiled, namespace)
                if inspect.iscoroutine(result):
                    asyncio.run(result)
    finally:
        if namespace.get("sim") is not None:
            namespace["sim"].stop()
    out = capsys.readouterr().out
    assert "640 of 1500 licenses assigned (4 pages)" in out
    assert "300 succeeded, 1 failed" in out
    assert "async: 940 of 1500 licenses assigned" in out


def run_example(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_nightly_reconciliation_resends_open_ids_to_the_reports_account(tmp_path: Path) -> None:
    report = {
        "summary": {"action": "assign", "account": "0000999999-00001"},
        "devices": [
            {"device_id": "990000000000001", "outcome": "unknown", "invalid": False},
            {"device_id": "990000000000002", "outcome": "not_attempted", "invalid": False},
            {"device_id": "bad id", "outcome": "not_attempted", "invalid": True},
            {"device_id": "990000000000003", "outcome": "succeeded", "invalid": False},
        ],
    }
    (tmp_path / "last.json").write_text(json.dumps(report))
    result = run_example("nightly_reconciliation.py", "last.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "BulkResult(assign 0000999999-00001: 2 ids, 2 succeeded" in result.stderr
    missing = run_example("nightly_reconciliation.py", "nope.json", cwd=tmp_path)
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    assert "cannot read the report nope.json" in missing.stderr


def test_fleet_sync_report_in_another_directory(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    result = run_example("fleet_sync.py", "--report", "out/sync.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "assign-sync.csv").exists()
