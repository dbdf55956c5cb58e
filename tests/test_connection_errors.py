"""A request that got no HTTP response: the message names the kind of failure and the host and
keeps the root cause's text; no internal name reaches the user."""

from __future__ import annotations

import socket
from typing import Any

import pytest

import verizon_sdk as sdk
from verizon_sdk.exceptions import APIConnectionError, APITimeoutError
from verizon_sdk.simulator import Simulator

ACCOUNT = "0000123456-00001"


def client(base_url: str, **options: Any) -> sdk.VerizonClient:
    return sdk.VerizonClient(
        thingspace_oauth_credentials=sdk.ThingspaceOauthCredentials(
            oauth_client_id="conn-client", oauth_client_secret="conn-secret-value"
        ),
        vz_m2m_token_credentials=sdk.VZM2mTokenCredentials(vz_m2m_token="sim-m2m-token"),
        base_url=base_url,
        max_retries=0,
        **options,
    )


def status(c: sdk.VerizonClient) -> Any:
    return c.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refused_names_the_kind_the_host_and_the_root_cause() -> None:
    port = free_port()
    with client(f"http://127.0.0.1:{port}/api") as c, pytest.raises(APIConnectionError) as info:
        status(c)
    message = str(info.value)
    assert f"connection refused by 127.0.0.1:{port} (POST /api/ts/v1/oauth2/token)" in message
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in message
    assert info.value.never_sent
    assert "conn-secret-value" not in message + repr(info.value)


def test_a_licenses_call_names_the_method_not_an_internal_server_name() -> None:
    with Simulator() as sim:
        c = client(sim.url)
        status(c)  # tokens obtained; the next call goes straight to the licenses endpoint
        url = sim.url
    with c, pytest.raises(APIConnectionError) as info:
        status(c)
    message = str(info.value)
    host = url.split("//")[1].split("/")[0]
    assert message.startswith("get_account_licenses_status failed before anything was sent")
    assert f"connection refused by {host} (GET /api/fota/v3/licenses/{ACCOUNT})" in message
    assert "software_management" not in message
    # __cause__ (documented in doc/errors.md): the requests error, credential headers masked
    cause = info.value.__cause__
    assert cause is not None
    sent = getattr(cause, "request", None)
    assert sent is not None
    assert "sim-m2m-token" not in str(dict(sent.headers))


def test_tls_failure_says_tls_and_keeps_the_ssl_text() -> None:
    with Simulator() as sim:
        tls_url = sim.url.replace("http://", "https://")
        with client(tls_url) as c, pytest.raises(APIConnectionError) as info:
            status(c)
        host = tls_url.split("//")[1].split("/")[0]
    message = str(info.value)
    assert f"TLS handshake failed with {host}" in message
    assert "SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number" in message
    assert not isinstance(info.value, APITimeoutError)


def test_dns_failure_says_dns_and_keeps_the_resolver_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked_up: list[str] = []

    def no_such_name(host: str, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # nothing leaves the machine
    with (
        client("http://licenses.sim.invalid:8080/api") as c,
        pytest.raises(APIConnectionError) as info,
    ):
        status(c)
    message = str(info.value)
    assert looked_up == ["licenses.sim.invalid"]
    assert "DNS lookup failed for licenses.sim.invalid:8080" in message
    assert "gaierror: [Errno -2] Name or service not known" in message
    assert "Max retries exceeded" not in message  # the wrappers' noise is gone


def test_timeout_says_read_timed_out_with_the_host() -> None:
    with Simulator(latency=2) as sim:
        with client(sim.url, timeout=0.3) as c, pytest.raises(APITimeoutError) as info:
            status(c)
        host = sim.url.split("//")[1].split("/")[0]
    message = str(info.value)
    assert f"read timed out with {host}" in message
    assert "Read timed out. (read timeout=0.3)" in message


def test_a_long_root_cause_is_not_cut_at_200_characters() -> None:
    error = APIConnectionError("x" * 150 + " root cause: " + "y" * 150)
    assert str(error).endswith("y" * 150)
