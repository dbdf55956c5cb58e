"""No response body is ever decoded by jsonpickle or YAML; no secret ever leaks."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import responses

from tests.conftest import (
    ACCESS_TOKEN,
    ACCOUNT,
    CLIENT_SECRET,
    LOGIN_URL,
    M2M_TOKEN,
    TOKEN_URL,
    V3,
    make_client,
)
from verizon_sdk import M2MSessionCredentials
from verizon_sdk.exceptions import (
    APIException,
    FotaV3ResultException,
    TokenRequestError,
    UnexpectedResponseError,
)
from verizon_sdk.models import V3LicenseIMEI

STATUS_URL = f"{V3}/licenses/{ACCOUNT}"
PASSWORD = "pass-Word9"
SESSION_TOKEN = "session-token-Kp2"


def payload(tmp_path: Path) -> str:
    target = str(tmp_path / "pwned")
    return json.dumps({"py/reduce": [{"py/type": "os.makedirs"}, {"py/tuple": [target]}]})


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("200", UnexpectedResponseError),
        ("400", FotaV3ResultException),
        ("token", TokenRequestError),
    ],
)
def test_jsonpickle_payload_is_never_executed(
    mocked: responses.RequestsMock, tmp_path: Path, where: str, expected: type[APIException]
) -> None:
    body = payload(tmp_path)
    if where == "token":
        mocked.replace(responses.POST, TOKEN_URL, body=body, content_type="application/json")
    else:
        mocked.get(STATUS_URL, status=int(where), body=body, content_type="application/json")
    with make_client() as client, pytest.raises(expected) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert not (tmp_path / "pwned").exists()
    assert str(info.value)


def test_yaml_looking_body_never_becomes_a_model(
    client: Any, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        STATUS_URL,
        body="accountName: x\nhasMoreData: false\ndeviceList: []\n",
        content_type="application/json",
    )
    with pytest.raises(UnexpectedResponseError, match="not valid JSON"):
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)


def test_no_secret_in_debug_logs_reprs_or_errors(
    mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="verizon_sdk")
    mocked.post(LOGIN_URL, json={"sessionToken": SESSION_TOKEN})
    mocked.get(
        STATUS_URL,
        json={
            "accountName": ACCOUNT,
            "hasMoreData": False,
            "deviceList": [],
        },
    )

    def echo_credentials(request: Any) -> tuple[int, dict[str, str], str]:
        # a misbehaving service that echoes the credentials it received
        echoed = f"{request.headers['Authorization']} {request.headers['VZ-M2M-Token']}"
        return 400, {}, json.dumps({"errorCode": "E", "errorMessage": echoed})

    mocked.add_callback(responses.POST, f"{V3}/licenses/{ACCOUNT}/assign", echo_credentials)
    texts: list[str] = []
    for options in (
        {},
        {
            "vz_m2m_token_credentials": None,
            "m2m_session_credentials": M2MSessionCredentials(username="u", password=PASSWORD),
        },
    ):
        with make_client(**options) as client:
            texts += [repr(client), repr(client.config), str(client.config)]
            client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
            with pytest.raises(FotaV3ResultException) as info:
                client.software_management_licenses_v3.assign_licenses_to_devices(
                    ACCOUNT, V3LicenseIMEI(device_list=["990003425730524"])
                )
            texts += [str(info.value), repr(info.value)]
    mocked.replace(
        responses.POST, TOKEN_URL, status=401, body=f'{{"error": "bad {CLIENT_SECRET}"}}'
    )
    with make_client() as client, pytest.raises(TokenRequestError) as token_error:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    texts += [str(token_error.value), repr(token_error.value), token_error.value.body or ""]
    logged = caplog.text
    assert "Request" in logged  # DEBUG logging really ran
    assert "Response" in logged
    everything = "\n".join([logged, *texts])
    for secret in (CLIENT_SECRET, PASSWORD, ACCESS_TOKEN, M2M_TOKEN, SESSION_TOKEN):
        assert secret not in everything, secret


def reachable_strings(root: object, limit: int = 4000) -> list[str]:
    """Every string reachable from ``root`` through attributes, containers and exception links."""
    seen: set[int] = set()
    found: list[str] = []
    stack: list[object] = [root]
    while stack and len(seen) < limit:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
            continue
        if isinstance(item, (int, float, bool, bytes, type)) or item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict) or hasattr(item, "items"):
            try:
                pairs = list(item.items())  # type: ignore[attr-defined]
            except Exception:  # not a mapping after all
                pairs = []
            for key, value in pairs:
                stack += [key, value]
        if isinstance(item, (list, tuple, set, frozenset)):
            stack += list(item)
        if isinstance(item, BaseException):
            stack += [item.__cause__, item.__context__, *item.args]
        for name in getattr(item, "__slots__", ()):
            stack.append(getattr(item, name, None))
        stack += list(getattr(item, "__dict__", {}).values())
    return found


@pytest.mark.parametrize("status", [400, 401, 404, 500])
def test_no_live_token_is_reachable_from_an_error(
    mocked: responses.RequestsMock, status: int
) -> None:
    mocked.get(STATUS_URL, status=status, json={"errorMessage": "no"})
    with make_client() as client, pytest.raises(APIException) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    strings = "\n".join(reachable_strings(info.value))
    assert "/licenses/" in strings  # the walk did reach the request
    assert ACCESS_TOKEN not in strings
    assert M2M_TOKEN not in strings


def test_no_live_token_is_reachable_from_a_transport_error(mocked: responses.RequestsMock) -> None:
    import requests

    mocked.get(STATUS_URL, body=requests.ConnectionError("refused"))
    with make_client() as client, pytest.raises(APIException) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    strings = "\n".join(reachable_strings(info.value))
    assert ACCESS_TOKEN not in strings
    assert M2M_TOKEN not in strings


def test_raw_response_request_has_credentials_masked(
    client: Any, mocked: responses.RequestsMock
) -> None:
    mocked.get(STATUS_URL, json={"accountName": ACCOUNT, "deviceList": []})
    controller = client.software_management_licenses_v3
    raw = controller.with_raw_response.get_account_licenses_status(ACCOUNT)
    assert raw.request.headers["Authorization"] == "***"
    assert raw.request.headers["VZ-M2M-Token"] == "***"
    assert raw.request.query_url.endswith(f"/licenses/{ACCOUNT}?lastSeenDeviceId=0")  # None sends 0


@pytest.mark.parametrize("where", ["/oauth2/token", "/session/login"])
def test_no_credential_is_reachable_when_token_or_login_request_fails(where: str) -> None:
    import base64

    from verizon_sdk.simulator import Fault, Simulator

    with Simulator() as sim:
        sim.inject(Fault(path=where, drop="before"))
        with (
            sim.client(
                client_secret=CLIENT_SECRET, username="user", password=PASSWORD, max_retries=0
            ) as client,
            pytest.raises(APIException) as info,
        ):
            client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
        tokens = [r.headers.get("authorization", "") for r in sim.requests("/session/login")]
    assert info.value.__cause__ is None
    strings = "\n".join(reachable_strings(info.value))
    basic = base64.b64encode(f"sim-client:{CLIENT_SECRET}".encode()).decode()
    for secret in (CLIENT_SECRET, PASSWORD, basic, *[t[7:] for t in tokens if t]):
        assert secret not in strings
