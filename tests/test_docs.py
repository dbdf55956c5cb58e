"""The documentation is true: every Python block runs, every page and link exists.

Convention for ``python`` blocks in README.md and doc/**/*.md (doc/README.md says it too):

- The blocks of one page run in order in one namespace, against a fresh simulator.
- ``client`` (a client of that simulator) and ``sim`` are predefined; so are the model classes.
- A ``VerizonClient`` that a block builds itself, with any credentials, is pointed at the
  simulator, and so is ``VerizonClient.from_environment()``.
- A block that only shows a signature (it starts with ``def`` and has no body) is not run.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import verizon_sdk
import verizon_sdk._client
import verizon_sdk.models
from verizon_sdk import exceptions
from verizon_sdk.controllers import (
    SoftwareManagementLicensesV2Controller,
    SoftwareManagementLicensesV3Controller,
)
from verizon_sdk.simulator import Simulator

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "doc").rglob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
SIGNATURE = re.compile(r"^def \w+\([^)]*\)\s*$", re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)#\s]+)(#[^)\s]*)?\)")


def python_blocks(page: Path) -> list[str]:
    return [
        code
        for lang, code in FENCE.findall(page.read_text(encoding="utf-8"))
        if lang == "python" and not SIGNATURE.match(code.strip())
    ]


def load_tool(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def doc_simulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Simulator]:
    """A fresh simulator that every client built by a doc block is pointed at."""
    monkeypatch.chdir(tmp_path)  # blocks that write reports write them here
    with Simulator(m2m_tokens=("...", "sim-m2m-token"), max_page_size=100) as sim:
        real = verizon_sdk._client.VerizonClient

        class SimulatedClient(real):  # type: ignore[misc, valid-type]
            def __init__(self, **options: Any) -> None:
                if "configuration" not in options:
                    options["base_url"] = sim.url
                    options.setdefault("max_retries", 0)
                super().__init__(**options)

        monkeypatch.setattr(verizon_sdk, "VerizonClient", SimulatedClient)
        monkeypatch.setattr(verizon_sdk._client, "VerizonClient", SimulatedClient)
        for name, value in {
            "VERIZON_CLIENT_ID": "doc-client",
            "VERIZON_CLIENT_SECRET": "doc-secret",
            "VERIZON_M2M_TOKEN": "sim-m2m-token",
            "VERIZON_BASE_URL": sim.url,
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("VERIZON_USERNAME", "VERIZON_PASSWORD", "VERIZON_ENVIRONMENT"):
            monkeypatch.delenv(name, raising=False)
        yield sim


@pytest.mark.parametrize(
    "page", [p for p in PAGES if python_blocks(p)], ids=lambda p: str(p.relative_to(ROOT))
)
def test_python_blocks_run(
    page: Path, doc_simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, Any] = {
        name: getattr(verizon_sdk.models, name) for name in verizon_sdk.models.__all__
    }
    with doc_simulator.client() as client:
        namespace.update(client=client, sim=doc_simulator, __name__="__doc__")
        for number, code in enumerate(python_blocks(page), 1):
            label = f"{page.relative_to(ROOT)} block {number}"
            with warnings.catch_warnings():
                # deprecated V2 calls warn; that is tested in test_licenses_v2.py
                warnings.simplefilter("ignore", DeprecationWarning)
                exec(compile(code, label, "exec"), namespace)
    capsys.readouterr()


def test_model_pages_are_current() -> None:
    for path, text in load_tool("model_docs").render_all().items():
        assert path.exists(), f"missing {path.relative_to(ROOT)}: run python tools/model_docs.py"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run python tools/model_docs.py"
        )


def test_every_model_and_exception_has_a_page() -> None:
    names = [n for n in verizon_sdk.models.__all__ if n != "Model"]
    names += [n for n in exceptions.__all__ if inspect.isclass(getattr(exceptions, n))]
    tool = load_tool("model_docs")
    for name in names:
        assert (ROOT / "doc" / "models" / f"{tool.kebab(name)}.md").exists(), name


@pytest.mark.parametrize(
    ("controller", "page"),
    [
        (SoftwareManagementLicensesV2Controller, "software-management-licenses-v2.md"),
        (SoftwareManagementLicensesV3Controller, "software-management-licenses-v3.md"),
    ],
)
def test_every_public_method_is_on_its_controller_page(controller: type, page: str) -> None:
    text = (ROOT / "doc" / "controllers" / page).read_text(encoding="utf-8")
    methods = [
        name
        for name, value in vars(controller).items()
        if not name.startswith("_") and callable(value)
    ]
    assert methods
    for name in methods:
        assert f"def {name}(" in text, f"{name} is not documented in {page}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    for target, _anchor in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):
            continue
        assert (page.parent / target).resolve().exists(), f"{page.name}: broken link {target}"
