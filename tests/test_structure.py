"""The package's structure: an import graph without cycles, short modules, honest ``__all__``,
and an ``import verizon_sdk`` that leaves the feature modules for later.

The graph is read from the source with :mod:`ast`: every ``import`` and ``from ... import``,
including those under ``TYPE_CHECKING`` and inside functions, counts as an edge.
"""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "verizon_sdk"
MAX_LINES = 450
PUBLIC_MODULES = [
    "verizon_sdk",
    "verizon_sdk.models",
    "verizon_sdk.exceptions",
    "verizon_sdk.controllers",
    "verizon_sdk.bulk",
    "verizon_sdk.simulator",
    "verizon_sdk.cli",
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path) -> set[str]:
    """The ``verizon_sdk`` modules ``name`` imports, wherever in its source the import is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from pkg import mod" imports the module pkg.mod; "from pkg import name" runs pkg
            submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            names_from_base = len(submodules) < len(node.names)
            targets = submodules + ([base] if names_from_base else [])
        for target in targets:
            # "import a.b.c" also runs a and a.b: the nearest module of the package counts
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target.startswith("verizon_sdk") and target != name:
                found.add(target)
    return found


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def test_cycle_finder_reports_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_graph_sees_imports_under_type_checking_and_inside_functions() -> None:
    # controllers import pagination and bulk inside methods, models only for type checking
    v3 = GRAPH["verizon_sdk.controllers.software_management_licenses_v3_controller"]
    assert {"verizon_sdk._pagination", "verizon_sdk.bulk", "verizon_sdk.models"} <= v3
    assert "verizon_sdk._endpoints" in GRAPH["verizon_sdk.controllers._base"]


def test_import_graph_has_no_cycle() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


# The layers, bottom up (TEAM.md); a module may import only modules listed before it (or its
# own package's). A new module gets a line here, in its layer.
LAYERS = [
    # values
    "verizon_sdk._version",
    "verizon_sdk._headers",
    "verizon_sdk._wire",
    "verizon_sdk._timeparse",
    "verizon_sdk._display",
    "verizon_sdk._redaction",
    "verizon_sdk.exceptions",
    "verizon_sdk._credentials",
    "verizon_sdk.models",
    "verizon_sdk._proxies",
    "verizon_sdk._configuration",
    # policies without I/O
    "verizon_sdk._checks",
    "verizon_sdk._endpoints",
    "verizon_sdk._retry",
    "verizon_sdk._auth",
    "verizon_sdk._calls",
    # drivers
    "verizon_sdk._connection_errors",
    "verizon_sdk._connections",
    "verizon_sdk._transport",
    "verizon_sdk._apimatic",
    "verizon_sdk._pipeline",
    "verizon_sdk._async_transport",
    "verizon_sdk._async_pipeline",
    # features
    "verizon_sdk._pagination",
    "verizon_sdk._async_pagination",
    "verizon_sdk.bulk",
    # controllers, clients
    "verizon_sdk.controllers",
    "verizon_sdk._client",
    "verizon_sdk._async_client",
    "verizon_sdk",
    # tools
    "verizon_sdk.simulator",
    "verizon_sdk._demo",
    "verizon_sdk.cli",
    "verizon_sdk.__main__",
]


def rank(module: str) -> int | None:
    """The position of the longest entry of LAYERS that is ``module`` or a package of it."""
    # the root entry is the package's __init__ only, not everything below it
    owners = [
        e for e in LAYERS if module == e or (e != "verizon_sdk" and module.startswith(e + "."))
    ]
    return LAYERS.index(max(owners, key=len)) if owners else None


def test_rank_places_submodules_and_leaves_new_modules_unplaced() -> None:
    assert rank("verizon_sdk._auth._tokens") == rank("verizon_sdk._auth")
    assert (rank("verizon_sdk._auth") or 0) < (rank("verizon_sdk._pipeline") or 0)
    assert rank("verizon_sdk._not_placed_yet") is None
    assert rank("verizon_sdk") == LAYERS.index("verizon_sdk")


def test_imports_go_down_the_layers() -> None:
    unplaced = sorted(m for m in GRAPH if rank(m) is None)
    assert unplaced == [], f"add these modules to LAYERS: {unplaced}"
    upward = [
        f"{m} -> {d}"
        for m, deps in sorted(GRAPH.items())
        for d in sorted(deps)
        if (rank(d) or 0) > (rank(m) or 0)  # equal: within one entry (a package)
    ]
    assert upward == [], "imports that do not go down the layers: " + ", ".join(upward)


def test_no_module_over_450_lines() -> None:
    lengths = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in MODULES.values()
    }
    too_long = {p: n for p, n in lengths.items() if n > MAX_LINES}
    assert too_long == {}, f"modules over {MAX_LINES} lines: {too_long}"


GATHERING = {
    "verizon_sdk",
    "verizon_sdk.models",
    "verizon_sdk.exceptions",
    "verizon_sdk.controllers",
    "verizon_sdk.simulator",
}


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_module_all_matches_what_it_exports(name: str) -> None:
    module = importlib.import_module(name)
    declared = getattr(module, "__all__", None)
    assert declared is not None, f"{name} has no __all__"
    assert len(declared) == len(set(declared)), f"{name}.__all__ repeats a name"
    missing = [n for n in declared if not hasattr(module, n)]
    assert missing == [], f"{name}.__all__ names what does not exist: {missing}"
    path = Path(module.__file__ or "")
    if path.name != "__init__.py":
        return  # a plain module: its other functions are the command's own helpers
    # A package's surface: the public classes and functions it defines and, for the packages
    # that gather their submodules' names (not bulk, which also uses internal helpers from
    # its submodules), every public name it takes from its own submodules.
    own = name + "." if name != "verizon_sdk" else "verizon_sdk._"
    exported: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            exported.add(node.name)
        elif (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith(own)
            and name in GATHERING
        ):
            exported |= {alias.asname or alias.name for alias in node.names}
    unlisted = sorted(n for n in exported - set(declared) if not n.startswith("_"))
    assert unlisted == [], f"{name} exports names missing from __all__: {unlisted}"


def test_import_verizon_sdk_leaves_feature_modules_for_later() -> None:
    code = """
import json, sys
import verizon_sdk
from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials
client = VerizonClient(
    thingspace_oauth_credentials=ThingspaceOauthCredentials(
        oauth_client_id="id", oauth_client_secret="secret"),
    vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="token"),
)
client.software_management_licenses_v3
print(json.dumps(sorted(sys.modules)))
"""
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    later = [
        "verizon_sdk.bulk",
        "verizon_sdk.bulk._engine",
        "verizon_sdk._pagination",
        "verizon_sdk._endpoints",
        "verizon_sdk.models",
        "verizon_sdk._apimatic",
        "verizon_sdk.simulator",
        "verizon_sdk.cli",
        "apimatic_core.api_call",
        "apimatic_core.request_builder",
        "apimatic_requests_client_adapter",
        "concurrent.futures",
        "typing_extensions",
    ]
    assert [name for name in later if name in loaded] == []
    assert "verizon_sdk._auth" in loaded  # what building a client needs is there
