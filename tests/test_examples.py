"""The examples run against the simulator when no credentials are set; so does the notebook."""

from __future__ import annotations

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
                exec(compile(code, f"account_usage.ipynb cell {number}", "exec"), namespace)
    finally:
        if namespace.get("sim") is not None:
            namespace["sim"].stop()
    out = capsys.readouterr().out
    assert "640 of 1500 licenses assigned (4 pages)" in out
    assert "300 succeeded, 1 failed" in out
