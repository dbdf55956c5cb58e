from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from responses import matchers

from tests.conftest import (
    ACCESS_TOKEN,
    ACCOUNT,
    CLIENT_ID,
    CLIENT_SECRET,
    LOGIN_URL,
    M2M_TOKEN,
    TOKEN_URL,
    V3,
    make_client,
    token_body,
)
from verizon_sdk import M2MSessionCredentials, ThingspaceOauthCredentials
from verizon_sdk._pipeline import OAuthTokenProvider
from verizon_sdk._redaction import Redactor
from verizon_sdk.exceptions import (
    APIConnectionError,
    AuthenticationError,
    LoginRefusedError,
    TokenRequestError,
)

STATUS_URL = f"{V3}/licenses/{ACCOUNT}"
SUMMARY = {"accountName": ACCOUNT, "hasMoreData": False, "deviceList": []}


def token_calls(mock: responses.RequestsMock) -> list[Any]:
    return [c for c in mock.calls if c.request.url == TOKEN_URL]


def status(client: Any) -> Any:
    return client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)


def test_token_is_fetched_lazily_once_with_basic_auth(mocked: responses.RequestsMock) -> None:
    mocked.get(STATUS_URL, json=SUMMARY)
    with make_client(
        thingspace_oauth_credentials=ThingspaceOauthCredentials(
            oauth_client_id=CLIENT_ID, oauth_client_secret=CLIENT_SECRET, oauth_scopes=("a", "b")
        )
    ) as client:
        assert token_calls(mocked) == []
        status(client)
        status(client)
    (call,) = token_calls(mocked)
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert call.request.headers["Authorization"] == f"Basic {expected}"
    assert call.request.method == "POST"
    assert parse_qs(call.request.body) == {"grant_type": ["client_credentials"], "scope": ["a b"]}


def test_short_lived_token_is_reused_until_halfway(mocked: responses.RequestsMock) -> None:
    # a lifetime under the skew is refreshed halfway through, not on every call
    mocked.replace(responses.POST, TOKEN_URL, json=token_body(expires_in=30))
    mocked.get(STATUS_URL, json=SUMMARY)
    with make_client(token_refresh_skew=60) as client:
        status(client)
        status(client)
    assert len(token_calls(mocked)) == 1


def test_token_cache_uses_monotonic_clock() -> None:
    now = [1000.0]
    fetched: list[int] = []

    class FakeResponse:
        status_code = 200

        def __init__(self) -> None:
            self.headers: dict[str, str] = {}
            fetched.append(1)
            self.text = json.dumps({"access_token": f"tok-{len(fetched)}", "expires_in": 100})

        def iter_content(self, chunk_size: int) -> Iterator[bytes]:
            yield self.text.encode()

    class FakeSession:
        def post(self, *args: Any, **kwargs: Any) -> FakeResponse:
            return FakeResponse()

    provider = OAuthTokenProvider(
        ThingspaceOauthCredentials(oauth_client_id="i", oauth_client_secret="s"),
        "http://x/token",
        FakeSession(),  # type: ignore[arg-type]
        (1.0, 1.0),
        Redactor(),
        refresh_skew=10,
        clock=lambda: now[0],
    )
    assert provider.token() == "tok-1"
    now[0] += 89
    assert provider.token() == "tok-1"
    now[0] += 2  # inside the skew margin
    assert provider.token() == "tok-2"
    provider.invalidate("tok-1")  # stale rejection: keep the newer token
    assert provider.token() == "tok-2"
    provider.invalidate("tok-2")
    assert provider.token() == "tok-3"


def test_eight_threads_on_cold_client_fetch_one_token(mocked: responses.RequestsMock) -> None:
    def slow_token(request: Any) -> tuple[int, dict[str, str], str]:
        time.sleep(0.2)
        return 200, {"Content-Type": "application/json"}, '{"access_token": "t-1234"}'

    mocked.remove(responses.POST, TOKEN_URL)
    mocked.add_callback(responses.POST, TOKEN_URL, callback=slow_token)
    mocked.get(STATUS_URL, json=SUMMARY)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)
    with make_client() as client:

        def worker() -> None:
            barrier.wait()
            try:
                status(client)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(token_calls(mocked)) == 1
    assert len(mocked.calls) == 9


@pytest.mark.parametrize(
    ("status_code", "body"),
    [
        (401, '{"error": "invalid_client", "error_description": "bad secret client-secret-Xy9"}'),
        (500, "<html>down</html>"),
        (200, '{"token_type": "bearer"}'),
        (200, "not json"),
    ],
)
def test_failed_token_fetch_raises_with_status_and_body(
    mocked: responses.RequestsMock, status_code: int, body: str
) -> None:
    mocked.replace(responses.POST, TOKEN_URL, status=status_code, body=body)
    mocked.get(STATUS_URL, json=SUMMARY)
    with make_client() as client:
        with pytest.raises(TokenRequestError) as info:
            status(client)
        error = info.value
        assert error.response_code == status_code
        assert CLIENT_SECRET not in str(error)
        assert CLIENT_SECRET not in (error.body or "")
        assert isinstance(error, AuthenticationError)
        # no stale or absent token is ever sent: the licenses endpoint was never called
        assert [c.request.url for c in mocked.calls] == [TOKEN_URL]
        # the next call tries again rather than reusing a failure
        mocked.replace(responses.POST, TOKEN_URL, json=token_body())
        status(client)


def test_token_endpoint_unreachable_is_connection_error(mocked: responses.RequestsMock) -> None:
    import requests

    mocked.replace(responses.POST, TOKEN_URL, body=requests.ConnectionError("refused"))
    with make_client() as client, pytest.raises(APIConnectionError, match="OAuth token"):
        status(client)


def test_401_drops_token_and_replays_once(mocked: responses.RequestsMock) -> None:
    tokens = iter(["old-token-1", "new-token-2"])
    mocked.remove(responses.POST, TOKEN_URL)
    mocked.add_callback(
        responses.POST,
        TOKEN_URL,
        callback=lambda r: (200, {}, f'{{"access_token": "{next(tokens)}"}}'),
    )
    mocked.get(
        STATUS_URL,
        status=401,
        json={"error": "expired"},
        match=[matchers.header_matcher({"Authorization": "Bearer old-token-1"})],
    )
    mocked.get(
        STATUS_URL,
        json=SUMMARY,
        match=[matchers.header_matcher({"Authorization": "Bearer new-token-2"})],
    )
    with make_client() as client:
        assert status(client).account_name == ACCOUNT
    assert len(token_calls(mocked)) == 2
    assert len(mocked.calls) == 4


def test_second_401_surfaces_as_authentication_error(mocked: responses.RequestsMock) -> None:
    mocked.get(STATUS_URL, status=401, json={"errorMessage": "Invalid token"})
    with make_client() as client, pytest.raises(AuthenticationError) as info:
        status(client)
    assert type(info.value) is AuthenticationError
    assert len(token_calls(mocked)) == 2
    assert len(mocked.calls) == 4


def session_client(**options: Any) -> Any:
    return make_client(
        vz_m2m_token_credentials=None,
        m2m_session_credentials=M2MSessionCredentials(username="user-1", password="pass-Word9"),
        **options,
    )


def test_m2m_session_login_is_lazy_and_token_used(mocked: responses.RequestsMock) -> None:
    mocked.post(
        LOGIN_URL,
        json={"sessionToken": "session-token-77"},
        match=[
            matchers.json_params_matcher({"username": "user-1", "password": "pass-Word9"}),
            matchers.header_matcher({"Authorization": f"Bearer {ACCESS_TOKEN}"}),
        ],
    )
    mocked.get(
        STATUS_URL,
        json=SUMMARY,
        match=[matchers.header_matcher({"VZ-M2M-Token": "session-token-77"})],
    )
    with session_client() as client:
        assert [c.request.url for c in mocked.calls] == []
        status(client)
        status(client)
    logins = [c for c in mocked.calls if c.request.url == LOGIN_URL]
    assert len(logins) == 1


def test_rejected_session_token_logs_in_again_once(mocked: responses.RequestsMock) -> None:
    sessions = iter(["s-1111", "s-2222"])
    mocked.add_callback(
        responses.POST,
        LOGIN_URL,
        callback=lambda r: (200, {}, f'{{"sessionToken": "{next(sessions)}"}}'),
    )
    mocked.get(
        STATUS_URL,
        status=401,
        json={"errorMessage": "session expired"},
        match=[matchers.header_matcher({"VZ-M2M-Token": "s-1111"})],
    )
    mocked.get(
        STATUS_URL, json=SUMMARY, match=[matchers.header_matcher({"VZ-M2M-Token": "s-2222"})]
    )
    with session_client() as client:
        status(client)
    assert len([c for c in mocked.calls if c.request.url == LOGIN_URL]) == 2


@pytest.mark.parametrize("refusal", [400, 401, 403])
def test_refused_login_is_never_retried_and_fails_fast(
    mocked: responses.RequestsMock, refusal: int
) -> None:
    mocked.post(LOGIN_URL, status=refusal, json={"errorMessage": "Invalid credentials"})
    with session_client(max_retries=3) as client:
        with pytest.raises(LoginRefusedError) as first:
            status(client)
        with pytest.raises(LoginRefusedError) as second:
            status(client)
    assert second.value is not first.value  # a copy each time
    assert type(second.value) is type(first.value)
    assert str(second.value) == str(first.value)
    assert "pass-Word9" not in str(first.value)
    assert "not retried" in str(first.value)
    assert len([c for c in mocked.calls if c.request.url == LOGIN_URL]) == 1
    assert not any(c.request.url.startswith(V3) for c in mocked.calls)


@pytest.mark.parametrize(
    ("status_code", "body"), [(500, "oops"), (200, "{}"), (200, '{"sessionToken": ""}')]
)
def test_failed_login_raises_token_request_error(
    mocked: responses.RequestsMock, status_code: int, body: str
) -> None:
    mocked.post(LOGIN_URL, status=status_code, body=body)
    with session_client() as client, pytest.raises(TokenRequestError, match="M2M session login"):
        status(client)


def test_static_m2m_token_rejected_surfaces_after_one_replay(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(
        STATUS_URL,
        status=401,
        json={"errorMessage": "bad m2m"},
        match=[matchers.header_matcher({"VZ-M2M-Token": M2M_TOKEN})],
    )
    with make_client() as client, pytest.raises(AuthenticationError):
        status(client)
    assert len([c for c in mocked.calls if c.request.url.startswith(V3)]) == 2


def test_each_refusal_is_a_new_error_without_shared_notes(mocked: responses.RequestsMock) -> None:
    mocked.post(LOGIN_URL, status=401, json={"errorMessage": "Invalid credentials"})
    caught = []
    with session_client() as client:
        for number in range(3):
            with pytest.raises(LoginRefusedError) as info:
                status(client)
            info.value.add_note(f"caller {number}")
            caught.append(info.value)
    assert [e.__notes__ for e in caught] == [["caller 0"], ["caller 1"], ["caller 2"]]
    assert len({id(e) for e in caught}) == 3


def test_echoed_basic_credentials_are_masked(mocked: responses.RequestsMock) -> None:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    body = {"error": "invalid_client", "error_description": f"bad header Basic {basic}"}
    mocked.replace(responses.POST, TOKEN_URL, status=401, json=body)
    with make_client() as client, pytest.raises(TokenRequestError) as info:
        status(client)
    assert basic not in str(info.value)
    assert basic not in (info.value.body or "")
    assert "Basic ***" in str(info.value)
