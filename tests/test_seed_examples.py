"""Every example in the controller pages (the seeds' own examples) runs as written."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import responses

import verizon_sdk.models
from tests.conftest import API_ROOT
from verizon_sdk import VerizonClient
from verizon_sdk._endpoints import ALL_ENDPOINTS, Endpoint

ROOT = Path(__file__).resolve().parent.parent
# The seeds themselves (beside the repository in CI), else their copies in doc/controllers.
SEEDS = ROOT.parent / "shared" / "seeds"
DOC = SEEDS if SEEDS.is_dir() else ROOT / "doc" / "controllers"
SECTION = re.compile(r"^# (?=\S)", re.M)
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def examples() -> list[tuple[str, str, str, str, str]]:
    found = []
    for page in sorted(DOC.glob("software-management-licenses-v*.md")):
        version = page.stem[-2:]
        for section in SECTION.split(page.read_text())[1:]:
            signature = re.search(r"def (\w+)\(self", section)
            usage = section.split("## Example Usage", 1)
            answer = section.split("## Example Response", 1)
            if not (signature and len(usage) == 2 and len(answer) == 2):
                continue
            if signature.group(1) not in {e.name for e in ALL_ENDPOINTS}:
                continue  # an SDK helper (iterator, bulk), run by tests/test_docs.py
            code = FENCE.search(usage[1])
            body = FENCE.search(answer[1])
            response_type = re.search(r"## Response Type\s+\[`(\w+)`\]", section)
            assert code and body and response_type, section[:80]
            found.append(
                (version, signature.group(1), code.group(2), body.group(2), response_type.group(1))
            )
    return found


EXAMPLES = examples()


def endpoint_for(version: str, name: str) -> Endpoint[Any]:
    (endpoint,) = [e for e in ALL_ENDPOINTS if e.name == name and e.server.value.endswith(version)]
    return endpoint


def test_every_method_has_an_example() -> None:
    assert sorted((v, n) for v, n, *_ in EXAMPLES) == sorted(
        (e.server.value[-2:], e.name) for e in ALL_ENDPOINTS
    )


@pytest.mark.parametrize(
    ("version", "name", "code", "answer", "response_type"),
    EXAMPLES,
    ids=[f"{v}-{n}" for v, n, *_ in EXAMPLES],
)
def test_seed_example_runs_as_written(
    client: VerizonClient,
    mocked: responses.RequestsMock,
    version: str,
    name: str,
    code: str,
    answer: str,
    response_type: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    endpoint = endpoint_for(version, name)
    server = {"v2": "/fota/v2", "v3": "/fota/v3"}[version]
    path = re.sub(r"\{\w+\}", "[^/?]+", endpoint.path)
    url = re.compile(re.escape(API_ROOT + server) + path)
    mocked.add(endpoint.method, url, body=answer, content_type="application/json")
    namespace: dict[str, Any] = {
        name: getattr(verizon_sdk.models, name) for name in verizon_sdk.models.__all__
    }
    namespace["client"] = client
    namespace[f"software_management_licenses_{version}_controller"] = getattr(
        client, f"software_management_licenses_{version}"
    )
    warns = (
        pytest.warns(DeprecationWarning, match=name)
        if endpoint.deprecated
        else contextlib.nullcontext()
    )
    with warns:
        exec(compile(code, f"<{version} {name} example>", "exec"), namespace)
    result = namespace["result"]
    assert type(result).__name__ == response_type
    assert result.to_dictionary() == json.loads(answer)
    assert len(mocked.calls) == 2  # the token, then the call itself
