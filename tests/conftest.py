"""Shared fixtures: a mocked HTTP layer (``responses``) and a client pointed at it."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import responses

from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials

API_ROOT = "http://api.test/api"
TOKEN_URL = API_ROOT + "/ts/v1/oauth2/token"
LOGIN_URL = API_ROOT + "/m2m/v1/session/login"
V2 = API_ROOT + "/fota/v2"
V3 = API_ROOT + "/fota/v3"
ACCOUNT = "0000123456-00001"
CLIENT_ID = "client-id-1"
CLIENT_SECRET = "client-secret-Xy9"
ACCESS_TOKEN = "access-token-Qw7"
M2M_TOKEN = "m2m-token-Zt4"


def token_body(token: str = ACCESS_TOKEN, expires_in: int = 3600) -> dict[str, Any]:
    return {"access_token": token, "token_type": "bearer", "expires_in": expires_in}


def make_client(**options: Any) -> VerizonClient:
    settings: dict[str, Any] = {
        "thingspace_oauth_credentials": ThingspaceOauthCredentials(
            oauth_client_id=CLIENT_ID, oauth_client_secret=CLIENT_SECRET
        ),
        "vz_m2m_token_credentials": VZM2mTokenCredentials(vz_m2m_token=M2M_TOKEN),
        "base_url": API_ROOT,
        "max_retries": 0,
    }
    settings.update(options)
    return VerizonClient(**settings)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """``responses`` with the token endpoint answering; nothing else is reachable."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, TOKEN_URL, json=token_body())
        yield mock


@pytest.fixture
def client(mocked: responses.RequestsMock) -> Iterator[VerizonClient]:
    with make_client() as c:
        yield c


def api_calls(mock: responses.RequestsMock) -> list[Any]:
    """The recorded calls other than token requests."""
    return [c for c in mock.calls if not c.request.url.startswith(TOKEN_URL)]


def sent_json(call: Any) -> Any:
    body = call.request.body
    return json.loads(body) if body is not None else None


@pytest.fixture(params=["sdk", "pages"])
def reading(request: pytest.FixtureRequest) -> str:
    """Which reading of the service a simulator plays: the published SDK's or Verizon's pages'.

    ``Simulator(SimulatorOptions.for_reading(reading), ...)``; a test that takes this fixture
    runs once per reading, with the same assertions.
    """
    value: str = request.param
    return value


@pytest.fixture
def quiet_deprecations() -> Iterator[None]:
    """Silence the V2 methods' DeprecationWarning (tested in test_licenses_v2.py)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


@pytest.fixture(params=["sync", "async"])
def client_kind(request: pytest.FixtureRequest) -> str:
    """Which client a test drives: ``VerizonClient`` or ``AsyncVerizonClient`` (bridged).

    With :func:`tests.async_bridge.open_client` a test body written against the sync client
    runs once per client, with the same assertions.
    """
    value: str = request.param
    return value


@pytest.fixture
def connect(client_kind: str) -> Any:
    """``connect(sim.client, **options)``: a context manager giving a client of ``client_kind``."""
    from tests.async_bridge import open_client

    return partial(open_client, client_kind)
