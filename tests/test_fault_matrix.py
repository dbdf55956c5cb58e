"""The fault matrix: one test per row, against the simulator over real HTTP.

Each row asserts the outcome (a result or a specific SDK error) and how many requests the
simulator saw. Every row also runs the secrets check: DEBUG logs of ``verizon_sdk``, reprs
and exception texts must hold no client secret, password, access token or M2M token (the
``matrix`` fixture collects them and checks at teardown). Waits between attempts are
recorded, not slept (``waits``), except in the rows about time.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from tests import sim_helpers
from tests.sim_helpers import (
    ACCOUNT,
    ASSIGN,
    CLIENT_SECRET,
    DEVICE,
    LOGIN,
    M2M_TOKEN,
    PASSWORD,
    STATUS,
    TOKEN,
    Waits,
    assign,
    get_status,
    sim_client,
    warm,
)
from verizon_sdk import M2MSessionCredentials
from verizon_sdk.exceptions import (
    APIConnectionError,
    APIException,
    APITimeoutError,
    AuthenticationError,
    FotaV3ResultException,
    LoginRefusedError,
    RateLimitError,
    ServerError,
    TokenRequestError,
    UnexpectedResponseError,
)
from verizon_sdk.models import V3LicenseAssignedRemovedResult, V3LicenseSummary
from verizon_sdk.simulator import Fault, Simulator

sim = sim_helpers.sim
waits = sim_helpers.waits


@pytest.fixture(autouse=True)
def _each_client(client_kind: str) -> Iterator[None]:
    """Every row runs against ``VerizonClient`` and ``AsyncVerizonClient``, same assertions."""
    sim_helpers.CLIENT_KIND["kind"] = client_kind
    yield
    sim_helpers.CLIENT_KIND["kind"] = "sync"


OTHER_DEVICE = "990000000000002"


class Matrix:
    """Runs calls, keeping every text a user could see for the secrets check."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.sims: list[Simulator] = []

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """The call's result, or the SDK error it raised (anything else fails the test)."""
        for arg in args:  # the client, its configuration and credentials
            config = getattr(arg, "config", None)
            self.texts += [repr(arg), repr(config), str(config)]
        try:
            result = fn(*args)
        except APIException as exc:
            self.texts += [str(exc), repr(exc), exc.body or "", repr(exc.__cause__)]
            return exc
        self.texts.append(repr(result))
        return result


@pytest.fixture(autouse=True)
def matrix(caplog: pytest.LogCaptureFixture, sim: Simulator) -> Iterator[Matrix]:
    caplog.set_level(logging.DEBUG, logger="verizon_sdk")
    runner = Matrix()
    runner.sims.append(sim)
    yield runner
    secrets = {CLIENT_SECRET, PASSWORD, M2M_TOKEN}
    for simulator in runner.sims:
        for entry in simulator.requests():
            bearer = entry.headers.get("authorization", "")
            if bearer.lower().startswith("bearer "):
                secrets.add(bearer[7:])
            secrets.add(entry.headers.get("vz-m2m-token", ""))
    secrets.discard("")
    records = [*caplog.get_records("setup"), *caplog.get_records("call")]
    assert any(r.name == "verizon_sdk" for r in records), "DEBUG logging did not run"
    logged = [logging.Formatter().format(record) for record in records]
    seen = "\n".join([*logged, *runner.texts])
    leaked = sorted(secret for secret in secrets if secret in seen)
    assert leaked == [], f"secrets leaked: {leaked}"


def wait_until(condition: Callable[[], bool], seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def jsonpickle_payload(target: Path) -> bytes:
    return json.dumps(
        {"py/reduce": [{"py/type": "os.makedirs"}, {"py/tuple": [str(target)]}]}
    ).encode()


def yaml_payload(target: Path) -> bytes:
    return f"!!python/object/apply:os.makedirs [{json.dumps(str(target))}]\n".encode()


# -- 5xx bursts -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_burst_shorter_than_retry_budget(
    sim: Simulator, waits: Waits, matrix: Matrix, status: int
) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, status=status, times=3))
        result = matrix.call(get_status, client)
    assert isinstance(result, V3LicenseSummary)
    assert sim.request_count(STATUS) == 4


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_burst_longer_than_retry_budget(
    sim: Simulator, waits: Waits, matrix: Matrix, status: int
) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, status=status, times=4))
        error = matrix.call(get_status, client)
        assert isinstance(error, ServerError)
        assert error.response_code == status
        assert sim.request_count(STATUS) == 4
        assert isinstance(matrix.call(get_status, client), V3LicenseSummary)  # burst over
    assert sim.request_count(STATUS) == 5


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_post_is_not_retried(
    sim: Simulator, waits: Waits, matrix: Matrix, status: int
) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=ASSIGN, status=status, times=3))
        error = matrix.call(assign, client)
    assert isinstance(error, ServerError)
    assert sim.request_count(ASSIGN) == 1
    assert waits.seconds == []


# -- 429 and Retry-After ----------------------------------------------------------------------


def test_429_with_retry_after_seconds(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=ASSIGN, status=429, retry_after="3"))
        result = matrix.call(assign, client)
    assert isinstance(result, V3LicenseAssignedRemovedResult)
    assert sim.request_count(ASSIGN) == 2
    assert waits.seconds == [3.0]
    assert sim.assigned(ACCOUNT) == {DEVICE}


def test_429_with_retry_after_http_date(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, status=429, retry_after=when))
        result = matrix.call(get_status, client)
    assert isinstance(result, V3LicenseSummary)
    assert sim.request_count(STATUS) == 2
    (wait,) = waits.seconds
    assert 18.0 <= wait <= 20.0


def test_429_asking_longer_than_max_retry_after(
    sim: Simulator, waits: Waits, matrix: Matrix
) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(minutes=10), usegmt=True)
    with warm(sim, max_retry_after=30) as client:
        sim.inject(Fault(path=STATUS, status=429, retry_after=when))
        error = matrix.call(get_status, client)
    assert isinstance(error, RateLimitError)
    assert error.retry_after is not None
    assert 590 <= error.retry_after <= 600
    assert sim.request_count(STATUS) == 1
    assert waits.seconds == []


# -- dropped connections ----------------------------------------------------------------------


@pytest.mark.parametrize("drop", ["before", "after"])
def test_connection_dropped_on_get(sim: Simulator, waits: Waits, matrix: Matrix, drop: str) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, drop=drop))  # type: ignore[arg-type]
        result = matrix.call(get_status, client)
    assert isinstance(result, V3LicenseSummary)
    assert sim.request_count(STATUS) == 2


@pytest.mark.parametrize("drop", ["before", "after"])
def test_connection_dropped_on_post(
    sim: Simulator, waits: Waits, matrix: Matrix, drop: str
) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=ASSIGN, drop=drop))  # type: ignore[arg-type]
        error = matrix.call(assign, client)
        assert isinstance(error, APIConnectionError)
        assert not isinstance(error, APITimeoutError)
        assert "may have applied it" in str(error)
        assert sim.request_count(ASSIGN) == 1
        # What the SDK cannot know, the caller can check:
        applied = DEVICE in {d.device_id for d in get_status(client).device_list}
    assert applied is (drop == "after")


# -- time: read timeouts, slow servers --------------------------------------------------------


def test_read_timeout_on_get(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    with warm(sim, timeout=(1.0, 0.1)) as client:
        sim.inject(Fault(path=STATUS, latency=0.5, times=None))
        error = matrix.call(get_status, client)
    sim.stop()  # cuts the injected latency short, so every request is counted
    assert isinstance(error, APITimeoutError)
    assert "timed out" in str(error)
    assert sim.request_count(STATUS) == 4
    assert len(waits.seconds) == 3


def test_read_timeout_once_on_get_then_success(
    sim: Simulator, waits: Waits, matrix: Matrix
) -> None:
    with warm(sim, timeout=(1.0, 0.1)) as client:
        sim.inject(Fault(path=STATUS, latency=0.5))
        result = matrix.call(get_status, client)
    sim.stop()
    assert isinstance(result, V3LicenseSummary)
    assert sim.request_count(STATUS) == 2


def test_read_timeout_on_post(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    with warm(sim, timeout=(1.0, 0.1)) as client:
        sim.inject(Fault(path=ASSIGN, latency=0.3))
        error = matrix.call(assign, client)
    wait_until(lambda: sim.request_count(ASSIGN) == 1)  # the service answers, too late
    assert isinstance(error, APITimeoutError)
    assert "may have applied it" in str(error)
    assert sim.request_count(ASSIGN) == 1
    assert sim.assigned(ACCOUNT) == {DEVICE}  # the service did act: a retry would repeat it


def test_slow_server_within_read_timeout(sim: Simulator, matrix: Matrix) -> None:
    with warm(sim, timeout=(1.0, 1.0)) as client:
        sim.inject(Fault(path=STATUS, latency=0.3))
        started = time.monotonic()
        result = matrix.call(get_status, client)
        elapsed = time.monotonic() - started
    assert isinstance(result, V3LicenseSummary)
    assert 0.3 <= elapsed < 1.0
    assert sim.request_count(STATUS) == 1


def test_stalled_server_call_ends_within_time_budget(sim: Simulator, matrix: Matrix) -> None:
    # Real sleeps: the budget formula must hold for the whole call.
    options = {"timeout": (0.2, 0.1), "max_retries": 2, "backoff_factor": 0.05}
    with warm(sim, **options) as client:
        sim.inject(Fault(path=STATUS, latency=2.0, times=None))
        started = time.monotonic()
        error = matrix.call(get_status, client)
        elapsed = time.monotonic() - started
        budget = client.config.time_budget()
    sim.stop()
    assert isinstance(error, APITimeoutError)
    assert 3 * 0.1 <= elapsed <= budget
    assert budget == pytest.approx(3 * 0.3 + 2 * 60)  # max_retry_after dominates the waits
    assert sim.request_count(STATUS) == 3


def test_slow_token_endpoint(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    sim.inject(Fault(path=TOKEN, latency=0.5, times=None))
    with sim_client(sim, timeout=(1.0, 0.1)) as client:
        error = matrix.call(get_status, client)
    sim.stop()
    assert isinstance(error, APITimeoutError)
    assert "OAuth token request timed out" in str(error)
    assert sim.request_count(TOKEN) == 4  # a token fetch changes nothing: retried
    assert sim.request_count(STATUS) == 0


def test_slow_login(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    with sim_client(sim, session=True, timeout=(1.0, 0.1)) as client:
        sim.inject(Fault(path=LOGIN, latency=0.5))
        error = matrix.call(get_status, client)
        assert isinstance(error, APITimeoutError)
        assert sim.request_count(LOGIN) == 0  # still sleeping in the simulator
        assert isinstance(matrix.call(get_status, client), V3LicenseSummary)  # not a refusal
    sim.stop()
    assert sim.request_count(LOGIN) == 2  # the timed-out login was not retried


# -- bodies that are not the model ------------------------------------------------------------


@pytest.mark.parametrize("malformed", ["invalid_json", "html", "empty", "truncated_json", "yaml"])
def test_malformed_success_body_on_get(
    sim: Simulator, waits: Waits, matrix: Matrix, malformed: str
) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, malformed=malformed))  # type: ignore[arg-type]
        error = matrix.call(get_status, client)
    assert isinstance(error, UnexpectedResponseError)
    assert error.response_code == 200
    assert sim.request_count(STATUS) == 1  # a 200 is an answer: not retried


@pytest.mark.parametrize("malformed", ["invalid_json", "html", "empty", "truncated_json", "yaml"])
def test_malformed_success_body_on_applied_post(
    sim: Simulator, waits: Waits, matrix: Matrix, malformed: str
) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=ASSIGN, malformed=malformed, apply=True))  # type: ignore[arg-type]
        error = matrix.call(assign, client)
    assert isinstance(error, UnexpectedResponseError)
    assert sim.request_count(ASSIGN) == 1
    assert sim.assigned(ACCOUNT) == {DEVICE}  # applied once, never repeated


def test_wrong_content_type(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    summary = {"accountName": ACCOUNT, "hasMoreData": False, "deviceList": []}
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, body=summary, content_type="text/plain"))
        error = matrix.call(get_status, client)
    assert isinstance(error, UnexpectedResponseError)
    assert "Content-Type 'text/plain'" in str(error)
    assert sim.request_count(STATUS) == 1


def test_html_error_page_with_5xx(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, status=502, malformed="html", times=None))
        error = matrix.call(get_status, client)
    assert isinstance(error, ServerError)
    assert error.json_body is None
    assert "502 Bad Gateway" in str(error)
    assert sim.request_count(STATUS) == 4


# -- token lifecycle --------------------------------------------------------------------------


def test_oauth_token_expiring_mid_run(sim: Simulator, matrix: Matrix) -> None:
    with warm(sim) as client:
        sim.expire_tokens()
        result = matrix.call(get_status, client)
        assert isinstance(matrix.call(get_status, client), V3LicenseSummary)
    assert isinstance(result, V3LicenseSummary)
    assert sim.request_count(STATUS) == 3  # 401, replay, next call
    assert sim.token_count == 1


def test_oauth_token_refreshed_before_expiry(matrix: Matrix) -> None:
    # The token lives 1 s; with a 0.4 s skew it is renewed after 0.6 s, before the
    # service would reject it: no 401 at all.
    with Simulator(token_lifetime=1.0) as simulator:
        matrix.sims.append(simulator)
        with sim_client(simulator, token_refresh_skew=0.4) as client:
            matrix.call(get_status, client)
            time.sleep(0.7)
            result = matrix.call(get_status, client)
        assert isinstance(result, V3LicenseSummary)
        assert simulator.token_count == 2
        assert simulator.request_count(STATUS) == 2
        assert all(r.status == 200 for r in simulator.requests(STATUS))


def test_m2m_session_expiring_mid_run(sim: Simulator, matrix: Matrix) -> None:
    with warm(sim, session=True) as client:
        sim.advance_time(1300)  # 20 minutes of inactivity: the session token expires
        result = matrix.call(get_status, client)
    assert isinstance(result, V3LicenseSummary)
    assert sim.request_count(STATUS) == 2
    assert sim.request_count(LOGIN) == 1
    assert sim.token_count == 0  # the OAuth token was still good: not renewed


def test_both_tokens_expiring_mid_run(sim: Simulator, matrix: Matrix) -> None:
    with warm(sim, session=True) as client:
        sim.expire_tokens()
        result = matrix.call(assign, client)
    assert isinstance(result, V3LicenseAssignedRemovedResult)
    assert [r.status for r in sim.requests(ASSIGN)] == [401, 401, 200]  # Bearer, then session
    assert sim.token_count == 1
    assert sim.request_count(LOGIN) == 1
    assert sim.assigned(ACCOUNT) == {DEVICE}


def test_401_naming_no_credential_renews_both(sim: Simulator, matrix: Matrix) -> None:
    with warm(sim, session=True) as client:
        sim.inject(Fault(path=STATUS, status=401, body={"message": "Unauthorized"}))
        result = matrix.call(get_status, client)
    assert isinstance(result, V3LicenseSummary)
    assert sim.request_count(STATUS) == 2
    assert sim.token_count == 1
    assert sim.request_count(LOGIN) == 1


def test_401_blaming_the_wrong_credential_still_recovers(sim: Simulator, matrix: Matrix) -> None:
    # The body names the OAuth token twice; after renewing it, the SDK does not trust the
    # body again and renews the session too.
    with warm(sim, session=True) as client:
        body = {"errorCode": "AccessToken.Invalid"}
        sim.inject(Fault(path=STATUS, status=401, body=body, times=2))
        result = matrix.call(get_status, client)
    assert isinstance(result, V3LicenseSummary)
    assert [r.status for r in sim.requests(STATUS)] == [401, 401, 200]
    assert sim.token_count == 1
    assert sim.request_count(LOGIN) == 1


@pytest.mark.parametrize(
    ("body", "requests", "tokens", "logins"),
    [
        # the body blames the OAuth token: renewed; blamed again: the body may be wrong,
        # so the session is renewed too before giving up
        ({"errorCode": "AccessToken.Invalid"}, 3, 1, 1),
        ({"message": "Unauthorized"}, 2, 1, 1),  # both renewed at once
    ],
)
def test_401_that_persists_surfaces_as_authentication_error(
    sim: Simulator,
    matrix: Matrix,
    body: dict[str, str],
    requests: int,
    tokens: int,
    logins: int,
) -> None:
    with warm(sim, session=True) as client:
        sim.inject(Fault(path=STATUS, status=401, body=body, times=None))
        error = matrix.call(get_status, client)
    assert type(error) is AuthenticationError
    assert sim.request_count(STATUS) == requests
    assert sim.token_count == tokens
    assert sim.request_count(LOGIN) == logins


def test_static_m2m_token_rejected(sim: Simulator, matrix: Matrix) -> None:
    with warm(sim) as client:
        sim.inject(
            Fault(path=STATUS, status=401, body={"errorCode": "SessionToken.Invalid"}, times=None)
        )
        error = matrix.call(get_status, client)
    # a static token cannot be renewed; the OAuth token is renewed once in case the
    # service's message was wrong, then the 401 stands
    assert type(error) is AuthenticationError
    assert sim.token_count == 1
    assert sim.request_count(STATUS) == 2


def test_token_endpoint_answering_401(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    sim.inject(
        Fault(path=TOKEN, status=401, body={"error": "invalid_client", "echo": CLIENT_SECRET})
    )
    with sim_client(sim) as client:
        error = matrix.call(get_status, client)
        assert isinstance(error, TokenRequestError)
        assert error.response_code == 401
        assert error.error_code == "invalid_client"
        assert CLIENT_SECRET not in (error.body or "")
        assert sim.request_count(TOKEN) == 1  # not retried
        assert sim.request_count(STATUS) == 0  # no request without a token
        assert isinstance(matrix.call(get_status, client), V3LicenseSummary)  # not remembered
    assert sim.request_count(TOKEN) == 2


def test_token_endpoint_answering_500(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    sim.inject(Fault(path=TOKEN, status=500, times=4))
    with sim_client(sim) as client:
        error = matrix.call(get_status, client)
        assert isinstance(error, TokenRequestError)
        assert error.response_code == 500
        assert sim.request_count(TOKEN) == 4  # retried: a token fetch changes nothing
        assert sim.request_count(STATUS) == 0
        assert isinstance(matrix.call(get_status, client), V3LicenseSummary)
    assert sim.request_count(TOKEN) == 5


def test_login_refused(waits: Waits, matrix: Matrix) -> None:
    with Simulator(logins={"sim-user": "another-password"}, lockout_after=2) as simulator:
        matrix.sims.append(simulator)
        with sim_client(simulator, session=True, max_retries=5) as client:
            first = matrix.call(get_status, client)
            assert isinstance(first, LoginRefusedError)
            assert "not retried" in str(first)
            later = [matrix.call(get_status, client) for _ in range(5)]
            # fail fast with the same error (a copy each time)
            assert all(type(e) is type(first) and str(e) == str(first) for e in later)
            assert simulator.request_count(LOGIN) == 1
            assert simulator.stats()["lockedUsers"] == []  # two refusals would lock it
            fixed = M2MSessionCredentials(username="sim-user", password="another-password")
            with client.clone_with(m2m_session_credentials=fixed) as clone:
                assert isinstance(matrix.call(get_status, clone), V3LicenseSummary)
        assert simulator.request_count(LOGIN) == 2
        assert simulator.refused_login_count == 1
        assert simulator.request_count(STATUS) == 1
        assert waits.seconds == []


def test_login_whose_oauth_token_expired_is_not_a_refusal(sim: Simulator, matrix: Matrix) -> None:
    # The service blames the session token while the OAuth token has expired too: the new
    # login is answered 401 for the Bearer token, before the password is looked at.
    with warm(sim, session=True) as client:
        sim.expire_tokens()
        sim.inject(Fault(path=STATUS, status=401, body={"errorCode": "SessionToken.Expired"}))
        result = matrix.call(get_status, client)
    assert isinstance(result, V3LicenseSummary)
    assert [r.status for r in sim.requests(LOGIN)] == [401, 200]
    assert sim.refused_login_count == 0
    assert sim.token_count == 1
    assert sim.request_count(STATUS) == 2


def test_login_answering_500(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    with sim_client(sim, session=True) as client:
        sim.inject(Fault(path=LOGIN, status=500, body={"echo": PASSWORD}))
        error = matrix.call(get_status, client)
        assert isinstance(error, TokenRequestError)
        assert not isinstance(error, LoginRefusedError)
        assert sim.request_count(LOGIN) == 1  # a login is never retried on 5xx
        assert isinstance(matrix.call(get_status, client), V3LicenseSummary)
    assert sim.request_count(LOGIN) == 2


# -- payloads that must never be decoded ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "expected"),
    [
        (STATUS, 200, UnexpectedResponseError),
        (STATUS, 400, FotaV3ResultException),
        (STATUS, 401, AuthenticationError),
        (STATUS, 503, ServerError),
        (ASSIGN, 200, UnexpectedResponseError),
        (TOKEN, 200, TokenRequestError),
        (TOKEN, 400, TokenRequestError),
        (LOGIN, 200, TokenRequestError),
        (LOGIN, 403, LoginRefusedError),
    ],
)
@pytest.mark.parametrize("kind", ["jsonpickle", "yaml"])
def test_hostile_payload_is_never_decoded(
    waits: Waits,
    matrix: Matrix,
    tmp_path: Path,
    path: str,
    status: int,
    expected: type[APIException],
    kind: str,
) -> None:
    target = tmp_path / "pwned"
    body = jsonpickle_payload(target) if kind == "jsonpickle" else yaml_payload(target)
    with Simulator() as simulator:
        matrix.sims.append(simulator)
        simulator.inject(Fault(path=path, status=status, raw_body=body, times=None))
        with sim_client(simulator, session=True) as client:
            call = assign if path == ASSIGN else get_status
            error = matrix.call(call, client)
    assert isinstance(error, expected)
    assert not target.exists()
    assert str(error)


def test_yaml_body_as_text_plain(sim: Simulator, waits: Waits, matrix: Matrix) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, malformed="yaml"))
        error = matrix.call(get_status, client)
    assert isinstance(error, UnexpectedResponseError)
    assert "text/plain" in str(error)
    assert sim.request_count(STATUS) == 1
