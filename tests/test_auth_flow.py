"""The auth flow driven by hand (no I/O), and against a service that reissues the same token.

Verizon documents that an OAuth token is "valid one hour from first issue; further token
requests during that hour return the same token", with ``expires_in`` the time left or a full
3600. The SDK must neither storm the token endpoint nor replay a rejected token again and again.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import responses
from responses import matchers

from tests.conftest import ACCOUNT, LOGIN_URL, TOKEN_URL, V3, make_client
from verizon_sdk import M2MSessionCredentials, ThingspaceOauthCredentials, VZM2mTokenCredentials
from verizon_sdk import _auth as auth
from verizon_sdk._auth import (
    REISSUED_HINT,
    Auth,
    AuthRequest,
    AuthResponse,
    Credentials,
    M2MSession,
    OAuthToken,
    StaticM2MToken,
)
from verizon_sdk._redaction import Redactor
from verizon_sdk.exceptions import (
    APIConnectionError,
    AuthenticationError,
    LoginRefusedError,
    TokenRequestError,
)

STATUS_URL = f"{V3}/licenses/{ACCOUNT}"
SUMMARY = {"accountName": ACCOUNT, "hasMoreData": False, "deviceList": []}
OK = AuthResponse(200, {}, "{}")


def token_response(token: str, expires_in: int = 3600) -> AuthResponse:
    return AuthResponse(
        200,
        {"Content-Type": "application/json"},
        f'{{"access_token": "{token}", "expires_in": {expires_in}}}',
    )


def unauthorized(body: str = '{"errorMessage": "Unauthorized"}') -> AuthResponse:
    return AuthResponse(401, {}, body)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def static_auth(clock: Clock | None = None, skew: float = 60.0) -> Auth:
    oauth = OAuthToken(
        ThingspaceOauthCredentials(oauth_client_id="id", oauth_client_secret="secret"),
        "http://x/token",
        Redactor(),
        refresh_skew=skew,
        clock=clock,
    )
    return Auth(oauth, StaticM2MToken(VZM2mTokenCredentials(vz_m2m_token="m2m-static")))


def test_flow_asks_for_a_token_then_yields_both_headers_and_ends_on_success() -> None:
    flow = static_auth().auth_flow("status")
    request = next(flow)
    assert isinstance(request, AuthRequest)
    assert (request.method, request.url, request.what) == (
        "POST",
        "http://x/token",
        "OAuth token request",
    )
    assert request.form == {"grant_type": "client_credentials"}
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.idempotent and request.still_needed()
    sent = flow.send(token_response("tok-1"))
    assert sent == Credentials({"Authorization": "Bearer tok-1", "VZ-M2M-Token": "m2m-static"})
    with pytest.raises(StopIteration) as done:
        flow.send(OK)
    assert done.value.value is None


def test_waiting_flow_is_sent_none_and_rereads_the_fresh_state() -> None:
    shared = static_auth()
    first, second = shared.auth_flow(), shared.auth_flow()
    request_1, request_2 = next(first), next(second)
    assert isinstance(request_2, AuthRequest)
    assert first.send(token_response("tok-1")) == Credentials(
        {"Authorization": "Bearer tok-1", "VZ-M2M-Token": "m2m-static"}
    )
    # the driver holds its lock, asks, and sends None: no second token request
    assert not request_2.still_needed()
    assert second.send(None) == Credentials(
        {"Authorization": "Bearer tok-1", "VZ-M2M-Token": "m2m-static"}
    )
    assert request_1 == request_2


def test_401_renews_the_token_once_then_stands_with_the_reason() -> None:
    flow = static_auth().auth_flow()
    next(flow)
    flow.send(token_response("tok-1"))
    renewal = flow.send(unauthorized())
    assert isinstance(renewal, AuthRequest)  # the rejected token was dropped
    replay = flow.send(token_response("tok-2"))
    assert replay == Credentials({"Authorization": "Bearer tok-2", "VZ-M2M-Token": "m2m-static"})
    with pytest.raises(StopIteration) as done:
        flow.send(unauthorized())
    assert done.value.value is None  # a new token was rejected too: no SDK hint


def test_reissued_rejected_token_gets_one_replay_and_then_is_not_fetched_again() -> None:
    shared = static_auth()
    flow = shared.auth_flow()
    next(flow)
    flow.send(token_response("same-token"))
    flow.send(unauthorized())
    replay = flow.send(token_response("same-token"))  # the service handed it out again
    assert isinstance(replay, Credentials)
    with pytest.raises(StopIteration) as done:
        flow.send(unauthorized())
    assert done.value.value == REISSUED_HINT
    # the next call sends it once; a 401 then stands at once, with no token request
    later = shared.auth_flow()
    assert isinstance(next(later), Credentials)
    with pytest.raises(StopIteration) as done:
        later.send(unauthorized())
    assert done.value.value == REISSUED_HINT


def test_401_blaming_the_static_m2m_token_has_no_token_hint() -> None:
    shared = static_auth()
    flow = shared.auth_flow()
    next(flow)
    flow.send(token_response("same-token"))
    blame_m2m = '{"errorCode": "SessionToken.Invalid"}'
    flow.send(unauthorized(blame_m2m))
    flow.send(token_response("same-token"))
    with pytest.raises(StopIteration) as done:
        flow.send(unauthorized(blame_m2m))
    assert done.value.value is None


def test_reissued_token_that_works_is_trusted_again() -> None:
    shared = static_auth()
    flow = shared.auth_flow()
    next(flow)
    flow.send(token_response("same-token"))
    flow.send(unauthorized())
    flow.send(token_response("same-token"))
    with pytest.raises(StopIteration):
        flow.send(OK)  # the first 401 was a glitch
    later = shared.auth_flow()
    next(later)
    assert isinstance(later.send(unauthorized()), AuthRequest)  # renewed as usual


@pytest.mark.parametrize(
    "reported", ["remaining", "full"], ids=["expires_in-left", "expires_in-3600"]
)
def test_same_token_on_refresh_is_kept_until_it_expires(reported: str) -> None:
    clock = Clock()
    oauth = static_auth(clock, skew=60).oauth

    def fetch(token: str, expires_in: int) -> auth.Grant:
        flow = oauth.flow()
        assert isinstance(next(flow), AuthRequest)
        with pytest.raises(StopIteration) as done:
            flow.send(token_response(token, expires_in))
        grant: auth.Grant = done.value.value
        return grant

    first = fetch("same-token", 100)
    assert first.refresh_at == 1000 + 100 - 50  # halfway: the lifetime is under twice the skew
    clock.now = 1051
    assert oauth.fresh() is None
    again = fetch("same-token", 49 if reported == "remaining" else 3600)
    # asking before it expires would only return it again: kept until it expires, not past
    assert again.expires_at == pytest.approx(1100)
    assert again.refresh_at == pytest.approx(1100)
    clock.now = 1099
    assert oauth.fresh() is again
    clock.now = 1100
    assert oauth.fresh() is None
    assert fetch("next-hour-token", 3600).refresh_at == 1100 + 3600 - 60


def test_same_token_with_nothing_left_is_not_asked_for_in_a_loop() -> None:
    clock = Clock()
    oauth = static_auth(clock).oauth
    flow = oauth.flow()
    next(flow)
    with pytest.raises(StopIteration):
        flow.send(token_response("same-token", 10))
    clock.now = 1020  # past its expiry by our clock; the service still hands it out
    flow = oauth.flow()
    next(flow)
    with pytest.raises(StopIteration) as done:
        flow.send(token_response("same-token", 0))
    assert done.value.value.refresh_at == 1020 + auth.SAME_TOKEN_MIN_WAIT


def test_login_request_is_no_longer_needed_once_the_bearer_changed() -> None:
    redactor = Redactor()
    oauth = OAuthToken(
        ThingspaceOauthCredentials(oauth_client_id="id", oauth_client_secret="secret"),
        "http://x/token",
        redactor,
    )
    session = M2MSession(
        M2MSessionCredentials(username="u", password="pw-1234"), "http://x/login", redactor
    )
    flow = Auth(oauth, session).auth_flow()
    next(flow)
    login = flow.send(token_response("tok-1"))
    assert isinstance(login, AuthRequest) and login.json == {"username": "u", "password": "pw-1234"}
    assert login.headers["Authorization"] == "Bearer tok-1" and login.still_needed()
    oauth.reject_token("tok-1")
    assert not login.still_needed()  # a login with a rejected Bearer would be wasted
    assert flow.send(None) == oauth.request  # re-read: a new token first


# -- against a mocked service that reissues the same token ------------------------------------


def token_calls(mock: responses.RequestsMock) -> int:
    return len([c for c in mock.calls if c.request.url == TOKEN_URL])


def api_calls(mock: responses.RequestsMock) -> int:
    return len([c for c in mock.calls if c.request.url.startswith(V3)])


def status(client: Any) -> Any:
    return client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)


def test_revoked_token_that_keeps_coming_back_is_a_clear_error_without_wasted_fetches(
    mocked: responses.RequestsMock,
) -> None:
    # the token endpoint always returns the same token; the API rejects it (revoked)
    mocked.get(STATUS_URL, status=401, json={"errorCode": "AccessToken.Revoked"})
    with make_client() as client:
        with pytest.raises(AuthenticationError) as first:
            status(client)
        assert (token_calls(mocked), api_calls(mocked)) == (2, 2)  # one renewal, one replay
        for _ in range(3):
            with pytest.raises(AuthenticationError) as later:
                status(client)
        assert (token_calls(mocked), api_calls(mocked)) == (2, 5)  # one request per call
    for error in (first.value, later.value):
        assert type(error) is AuthenticationError
        assert error.hint == REISSUED_HINT
        assert "issued again the very access token this 401 rejected (revoked?)" in str(error)


def test_threads_seeing_a_revoked_token_cause_one_renewal(mocked: responses.RequestsMock) -> None:
    mocked.get(STATUS_URL, json=SUMMARY)
    with make_client() as client:
        status(client)  # warm: the token is cached
        mocked.replace(responses.GET, STATUS_URL, status=401, json={"error": "invalid_token"})
        barrier = threading.Barrier(8)
        errors: list[BaseException] = []

        def worker() -> None:
            barrier.wait()
            try:
                status(client)
            except AuthenticationError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(errors) == 8
    assert token_calls(mocked) == 2  # the cold fetch and one renewal, not one per thread
    assert api_calls(mocked) <= 1 + 8 * 2


def test_glitch_401_with_the_same_token_reissued_is_replayed_once(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(STATUS_URL, status=401, json={"error": "invalid_token"})
    mocked.get(STATUS_URL, json=SUMMARY)  # responses answers in order once the first is used
    with make_client() as client:
        assert status(client).account_name == ACCOUNT
        assert status(client).account_name == ACCOUNT
    assert token_calls(mocked) == 2
    assert api_calls(mocked) == 3


def test_login_whose_bearer_is_rejected_with_a_reissued_token_is_not_a_refusal(
    mocked: responses.RequestsMock,
) -> None:
    challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    mocked.post(LOGIN_URL, status=401, headers=challenge, json={"error": "invalid_token"})
    credentials = M2MSessionCredentials(username="user-1", password="pass-Word9")
    with make_client(vz_m2m_token_credentials=None, m2m_session_credentials=credentials) as c:
        with pytest.raises(TokenRequestError) as info:
            status(c)
        assert not isinstance(info.value, LoginRefusedError)
        assert "issued the same token again" in str(info.value)
        assert len([x for x in mocked.calls if x.request.url == LOGIN_URL]) == 1
        # not remembered as a refusal: the next call logs in again
        mocked.replace(responses.POST, LOGIN_URL, json={"sessionToken": "session-1234"})
        mocked.get(
            STATUS_URL,
            json=SUMMARY,
            match=[matchers.header_matcher({"VZ-M2M-Token": "session-1234"})],
        )
        assert status(c).account_name == ACCOUNT
    assert token_calls(mocked) == 2  # the cold fetch and the one after the login's 401


@pytest.mark.parametrize("endpoint", [TOKEN_URL, LOGIN_URL], ids=["token", "login"])
def test_token_or_login_transport_failure_says_the_call_never_left(
    mocked: responses.RequestsMock, endpoint: str
) -> None:
    import requests

    mocked.replace(responses.POST, TOKEN_URL, json={"access_token": "tok-12345"})
    mocked.post(LOGIN_URL, body=requests.ConnectionError("reset by peer"))
    if endpoint == TOKEN_URL:
        mocked.replace(responses.POST, TOKEN_URL, body=requests.ConnectionError("refused"))
    credentials = M2MSessionCredentials(username="user-1", password="pass-Word9")
    client = make_client(vz_m2m_token_credentials=None, m2m_session_credentials=credentials)
    with client, pytest.raises(APIConnectionError) as info:
        status(client)
    assert info.value.never_sent is True
    assert ("OAuth token request" if endpoint == TOKEN_URL else "M2M session login") in str(
        info.value
    )
    assert "pass-Word9" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert api_calls(mocked) == 0


def test_token_endpoint_rate_limit_keeps_retry_after_in_any_case(
    mocked: responses.RequestsMock,
) -> None:
    mocked.replace(responses.POST, TOKEN_URL, status=429, headers={"retry-after": "7"}, body="{}")
    with make_client() as client, pytest.raises(TokenRequestError) as info:
        status(client)
    assert info.value.response_code == 429
    assert info.value.retry_after == 7
