"""The examples run against the simulator when no credentials are set; so does the notebook."""

from __future__ import annotations

import ast
import asyncio
import base64
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
    assert "560 succeeded, 40 failed" in out


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


def test_notebook_executes_in_a_kernel_with_a_chart_and_a_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notebook as Jupyter runs it: nbclient, a kernel on this venv's python, Agg."""
    import nbclient  # the test extra has them all: a missing one is a failure, not a skip
    import nbformat
    from ipykernel import kernelspec

    for name in list(os.environ):
        if name.startswith("VERIZON_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # a python3 kernel that is this interpreter, found before any other on the machine
    kernelspec.install(prefix=str(tmp_path / "jupyter"), kernel_name="python3")
    kernels = tmp_path / "jupyter" / "share" / "jupyter"
    spec = json.loads((kernels / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    monkeypatch.setenv("JUPYTER_PATH", str(kernels))
    notebook = nbformat.read(EXAMPLES / "account_usage.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": tmp_path}}
    )
    client.execute()  # raises CellExecutionError when a cell fails
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    data = [out.get("data", {}) for out in outputs]
    images = [d["image/png"] for d in data if "image/png" in d]
    assert images
    assert base64.b64decode(images[0]).startswith(b"\x89PNG")
    tables = [d["text/html"] for d in data if "<table" in d.get("text/html", "")]
    # the failures of the run past the pool: the BulkResult's own table and the DataFrame's
    failed = [t for t in tables if "<td>No license available</td>" in t]
    assert any("BulkResult assign" in t for t in failed)
    assert any('class="dataframe"' in t for t in failed)
    text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "640 of 1500 licenses assigned (4 pages)" in text
    assert "300 succeeded, 1 failed" in text
    assert "560 licenses free, 600 asked for" in text
    assert "560 succeeded, 40 failed" in text
