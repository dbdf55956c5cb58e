"""The retry policy, checked against real HTTP (the simulator) with request counts.

Waits between attempts are recorded instead of slept (the ``waits`` fixture), so
the assertions can name them exactly and the tests stay fast.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
from urllib3.util.retry import RequestHistory

from tests import sim_helpers
from tests.sim_helpers import (
    ACCOUNT,
    ASSIGN,
    DEVICE,
    LOGIN,
    STATUS,
    TOKEN,
    Gate,
    Waits,
    assign,
    create_candidates,
    delete_candidates,
    get_status,
    sim_client,
    warm,
)
from verizon_sdk import VerizonClient
from verizon_sdk._configuration import Configuration
from verizon_sdk._transport import SAFE_METHODS, SdkRetry, build_retry
from verizon_sdk.exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    RateLimitError,
    ServerError,
    TokenRequestError,
)
from verizon_sdk.simulator import Fault, Simulator

sim = sim_helpers.sim
waits = sim_helpers.waits


def adapter_retry(client: VerizonClient, url: str | None = None) -> Any:
    adapter: Any = client._pipeline.session.get_adapter(url or client.config.api_root + "/fota")
    return adapter.max_retries


# -- the policy object ------------------------------------------------------------------------


def test_retries_are_on_by_default_with_the_documented_policy() -> None:
    config = Configuration.__dataclass_fields__
    assert config["max_retries"].default == 3
    assert config["backoff_factor"].default == 0.5
    assert config["backoff_max"].default == 30.0
    assert config["max_retry_after"].default == 60.0
    assert config["retry_statuses"].default == (408, 429, 500, 502, 503, 504)


@pytest.mark.parametrize(
    ("method", "status", "retried"),
    [
        ("GET", 500, True),
        ("GET", 502, True),
        ("GET", 503, True),
        ("GET", 504, True),
        ("GET", 408, True),
        ("GET", 429, True),
        ("DELETE", 503, True),
        ("DELETE", 429, True),
        ("POST", 429, True),  # rate limited: the service did not act
        ("POST", 500, False),
        ("POST", 502, False),
        ("POST", 503, False),
        ("POST", 504, False),
        ("POST", 408, False),
        ("GET", 400, False),
        ("GET", 401, False),
        ("GET", 404, False),
        ("GET", 501, False),
        ("GET", 413, False),  # urllib3 would retry a 413 with Retry-After; we do not
    ],
)
def test_which_statuses_are_retried(method: str, status: int, retried: bool) -> None:
    retry = SdkRetry(
        total=3, status_forcelist=(408, 429, 500, 502, 503, 504), allowed_methods=SAFE_METHODS
    )
    assert retry.is_retry(method, status, has_retry_after=True) is retried


def test_backoff_is_full_jitter_under_an_exponential_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    retry = SdkRetry(total=10, backoff_factor=0.5, backoff_max=3.0)
    seen: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        seen.append((low, high))
        return high

    monkeypatch.setattr(random, "uniform", uniform)
    assert retry.get_backoff_time() == 0.0  # no failure yet
    for _ in range(5):
        retry = retry.new(history=(*retry.history, RequestHistory("GET", "/", None, 503, None)))
        retry.get_backoff_time()
    assert seen == [(0.0, 0.5), (0.0, 1.0), (0.0, 2.0), (0.0, 3.0), (0.0, 3.0)]
    monkeypatch.undo()
    samples = {retry.get_backoff_time() for _ in range(200)}
    assert all(0.0 <= s <= 3.0 for s in samples)
    assert len(samples) > 100  # jittered, not a constant


def test_backoff_never_overflows_with_absurd_retry_counts() -> None:
    history = (RequestHistory("GET", "/", None, 503, None),) * 1500
    retry = SdkRetry(total=2000, backoff_factor=0.5, backoff_max=3.0, history=history)
    assert 0.0 <= retry.get_backoff_time() <= 3.0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, 4 * 40 + 3 * 60),
        ({"max_retry_after": 0}, 4 * 40 + 0.5 + 1 + 2),
        ({"max_retries": 0}, 40),
        (
            {"timeout": (1, 2), "max_retries": 2, "backoff_factor": 4, "max_retry_after": 5},
            3 * 3 + 5 + 8,
        ),
        (
            {"backoff_max": 1.5, "max_retry_after": 0, "max_retries": 4},
            5 * 40 + 0.5 + 1 + 1.5 + 1.5,
        ),
    ],
)
def test_time_budget_formula(changes: dict[str, Any], expected: float) -> None:
    from tests.conftest import make_client

    with make_client(**{"max_retries": 3, **changes}) as client:
        assert client.config.time_budget() == pytest.approx(expected)


# -- statuses against the simulator -----------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_get_burst_shorter_than_budget_succeeds(sim: Simulator, waits: Waits, status: int) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, method="GET", status=status, times=3))
        assert get_status(client).account_name == ACCOUNT
    assert sim.request_count(STATUS, "GET") == 4
    assert len(waits.seconds) == 3
    assert all(0 <= w <= cap for w, cap in zip(waits.seconds, (0.5, 1.0, 2.0), strict=True))


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_get_burst_longer_than_budget_raises_server_error(
    sim: Simulator, waits: Waits, status: int
) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, method="GET", status=status, times=10))
        with pytest.raises(ServerError) as info:
            get_status(client)
    assert info.value.response_code == status
    assert sim.request_count(STATUS, "GET") == 4  # 1 + max_retries
    assert len(waits.seconds) == 3


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_post_is_not_retried_on_5xx_or_408(sim: Simulator, waits: Waits, status: int) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=ASSIGN, status=status, apply=True))
        with pytest.raises(APIStatusError) as info:
            assign(client)
    assert info.value.response_code == status
    assert sim.request_count(ASSIGN, "POST") == 1
    assert waits.seconds == []
    assert sim.assigned(ACCOUNT) == {DEVICE}  # it had been applied: a retry would repeat it


def test_post_429_is_retried_and_applied_once(sim: Simulator, waits: Waits) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=ASSIGN, status=429, retry_after="2", times=2))
        result = assign(client)
    assert result.device_list[0].status == "Success"
    assert sim.request_count(ASSIGN, "POST") == 3
    assert waits.seconds == [2.0, 2.0]
    assert sim.assigned(ACCOUNT) == {DEVICE}


def test_delete_is_retried_like_get(sim: Simulator, waits: Waits) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path="/cancel", method="DELETE", status=503, times=2))
        assert delete_candidates(client).success is True
    assert sim.request_count("/cancel", "DELETE") == 3


def test_v2_cancel_list_post_is_not_retried(sim: Simulator, waits: Waits) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path="/cancel", method="POST", status=502))
        with pytest.raises(ServerError):
            create_candidates(client)
    assert sim.request_count("/cancel", "POST") == 1


# -- Retry-After ------------------------------------------------------------------------------


def test_retry_after_seconds_on_503_is_honoured(sim: Simulator, waits: Waits) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, status=503, retry_after="7"))
        get_status(client)
    assert waits.seconds == [7.0]
    assert sim.request_count(STATUS) == 2


def test_retry_after_http_date_is_honoured(sim: Simulator, waits: Waits) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, status=429, retry_after=when))
        get_status(client)
    (wait,) = waits.seconds
    assert 28.0 <= wait <= 30.0
    assert sim.request_count(STATUS) == 2


def test_retry_after_in_the_past_falls_back_to_backoff(sim: Simulator, waits: Waits) -> None:
    when = format_datetime(datetime.now(timezone.utc) - timedelta(hours=1), usegmt=True)
    with warm(sim, backoff_factor=0.25) as client:
        sim.inject(Fault(path=STATUS, status=503, retry_after=when))
        get_status(client)
    (wait,) = waits.seconds
    assert 0.0 <= wait <= 0.25


@pytest.mark.parametrize("value", ["soon", "-5", "1e999999", "Fri, 99 Foo 2024"])
def test_unusable_retry_after_is_ignored_not_fatal(
    sim: Simulator, waits: Waits, value: str
) -> None:
    # urllib3 alone raises InvalidHeader here, failing the call; we fall back to the backoff
    with warm(sim, backoff_factor=0.25) as client:
        sim.inject(Fault(path=STATUS, status=503, retry_after=value))
        assert get_status(client).account_name == ACCOUNT
    assert sim.request_count(STATUS) == 2
    assert all(w <= 0.25 for w in waits.seconds)


@pytest.mark.parametrize(
    "value",
    ["120", format_datetime(datetime.now(timezone.utc) + timedelta(hours=2), usegmt=True)],
)
def test_retry_after_beyond_ceiling_raises_rate_limit_error_at_once(
    sim: Simulator, waits: Waits, value: str
) -> None:
    with warm(sim, max_retry_after=60) as client:
        sim.inject(Fault(path=ASSIGN, status=429, retry_after=value))
        with pytest.raises(RateLimitError) as info:
            assign(client)
    assert info.value.retry_after is not None
    assert info.value.retry_after > 60
    assert "retry after" in str(info.value)
    assert sim.request_count(ASSIGN) == 1
    assert waits.seconds == []


def test_retry_after_beyond_ceiling_on_503_is_carried_by_server_error(
    sim: Simulator, waits: Waits
) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, status=503, retry_after="3600"))
        with pytest.raises(ServerError) as info:
            get_status(client)
    assert info.value.retry_after == 3600.0
    assert sim.request_count(STATUS) == 1


def test_429_exhausting_retries_carries_the_last_wait(sim: Simulator, waits: Waits) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, status=429, retry_after="1", times=None))
        with pytest.raises(RateLimitError) as info:
            get_status(client)
    assert info.value.retry_after == 1.0
    assert waits.seconds == [1.0, 1.0, 1.0]
    assert sim.request_count(STATUS) == 4


def test_retry_after_is_really_slept(sim: Simulator) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, status=503, retry_after="0.3"))
        started = time.monotonic()
        get_status(client)
        assert time.monotonic() - started >= 0.3


# -- connection failures ----------------------------------------------------------------------


@pytest.mark.parametrize("drop", ["before", "after"])
def test_get_dropped_connection_is_retried(sim: Simulator, waits: Waits, drop: str) -> None:
    with warm(sim) as client:
        sim.inject(Fault(path=STATUS, drop=drop, times=2))  # type: ignore[arg-type]
        assert get_status(client).account_name == ACCOUNT
    assert sim.request_count(STATUS) == 3


@pytest.mark.parametrize("drop", ["before", "after"])
def test_post_dropped_connection_is_not_retried(sim: Simulator, waits: Waits, drop: str) -> None:
    # Either way the request was sent: the SDK cannot tell whether it was applied.
    with warm(sim) as client:
        sim.inject(Fault(path=ASSIGN, drop=drop))  # type: ignore[arg-type]
        with pytest.raises(APIConnectionError, match="may have applied it") as info:
            assign(client)
    assert type(info.value) is APIConnectionError
    assert sim.request_count(ASSIGN) == 1
    assert sim.assigned(ACCOUNT) == ({DEVICE} if drop == "after" else set())


def test_post_is_retried_when_nothing_could_be_sent(sim: Simulator, waits: Waits) -> None:
    gate = Gate(sim.port).open()
    try:
        with warm(sim, base_url=gate.url) as client:
            gate.refuse()  # connections refused from now on: nothing can be sent
            waits.hook = lambda _: gate.is_open or gate.open()
            result = assign(client)
        assert result.device_list[0].status == "Success"
        assert len(waits.seconds) == 1
        assert sim.request_count(ASSIGN) == 1
    finally:
        gate.close()


def test_post_is_retried_after_a_connect_timeout(sim: Simulator, waits: Waits) -> None:
    gate = Gate(sim.port).open()
    try:
        with warm(sim, base_url=gate.url, timeout=(0.2, 1.0)) as client:
            gate.stall()  # the next connect times out: nothing is sent
            waits.hook = lambda _: gate.is_open or gate.open()
            result = assign(client)
        assert result.device_list[0].status == "Success"
        assert len(waits.seconds) == 1
        assert sim.request_count(ASSIGN) == 1
    finally:
        gate.close()


def test_connect_timeout_exhausts_retries_as_a_timeout(sim: Simulator, waits: Waits) -> None:
    gate = Gate(sim.port).open()
    try:
        with warm(sim, base_url=gate.url, timeout=(0.1, 1.0)) as client:
            gate.stall()
            with pytest.raises(APITimeoutError, match="before anything was sent"):
                assign(client)
    finally:
        gate.close()
    assert len(waits.seconds) == 3
    assert sim.request_count(ASSIGN) == 0


def test_connection_refused_exhausts_retries(sim: Simulator, waits: Waits) -> None:
    gate = Gate(sim.port).open()
    try:
        with warm(sim, base_url=gate.url) as client:
            gate.refuse()
            with pytest.raises(APIConnectionError, match="before anything was sent") as info:
                assign(client)
    finally:
        gate.close()
    assert not isinstance(info.value, APITimeoutError)
    assert len(waits.seconds) == 3
    assert sim.request_count(ASSIGN) == 0


def test_tls_failure_is_not_retried(sim: Simulator, waits: Waits) -> None:
    # "other" errors (TLS, proxy) do not go away by themselves: one attempt.
    gate = Gate(sim.port).open()
    try:
        tls_url = gate.url.replace("http://", "https://")
        with (
            sim_client(sim, base_url=tls_url) as client,
            pytest.raises(APIConnectionError, match="SSLError") as info,
        ):
            get_status(client)
    finally:
        gate.close()
    assert not isinstance(info.value, APITimeoutError)
    assert gate.accepted == 1
    assert waits.seconds == []


@pytest.mark.parametrize("call", [get_status, assign])
def test_server_closing_idle_keep_alive_connection_is_harmless(
    sim: Simulator, waits: Waits, call: Any
) -> None:
    # The pooled connection is dead; urllib3 notices before sending and reconnects,
    # so even a POST goes through, once.
    gate = Gate(sim.port).open()
    try:
        with warm(sim, base_url=gate.url) as client:
            before = gate.accepted  # token and API connections (two pools)
            gate.cut()
            call(client)
            assert gate.accepted == before + 1
        assert waits.seconds == []
        assert sim.request_count(ASSIGN if call is assign else STATUS) == 1
    finally:
        gate.close()


class TruncatingServer:
    """Answers a token, then every other request with a body cut off after 14 bytes."""

    TOKEN_BODY = b'{"access_token": "cut-token-1234", "expires_in": 3600}'

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/api"
        self.cut = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                request = conn.recv(65536)
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                if b"/oauth2/token" in request:
                    body = self.TOKEN_BODY
                    conn.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
                else:
                    self.cut += 1
                    conn.sendall(head + b'Content-Length: 1000\r\n\r\n{"accountName"')

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()


def test_get_cut_off_mid_body_is_not_retried(sim: Simulator, waits: Waits) -> None:
    # Documented limitation: urllib3 reads the body after its retry loop.
    server = TruncatingServer()
    try:
        with (
            sim_client(sim, base_url=server.url) as client,
            pytest.raises(APIConnectionError, match="IncompleteRead") as info,
        ):
            get_status(client)
    finally:
        server.close()
    assert not isinstance(info.value, APITimeoutError)
    assert server.cut == 1


# -- token endpoint and login -----------------------------------------------------------------


def test_token_endpoint_5xx_burst_is_retried(sim: Simulator, waits: Waits) -> None:
    sim.inject(Fault(path=TOKEN, status=503, times=2))
    with sim_client(sim) as client:
        get_status(client)
    assert sim.request_count(TOKEN) == 3
    assert sim.token_count == 1


def test_token_endpoint_401_is_not_retried(sim: Simulator, waits: Waits) -> None:
    sim.inject(Fault(path=TOKEN, status=401, times=None))
    with sim_client(sim) as client, pytest.raises(TokenRequestError):
        get_status(client)
    assert sim.request_count(TOKEN) == 1


def test_login_5xx_is_not_retried(sim: Simulator, waits: Waits) -> None:
    sim.inject(Fault(path=LOGIN, status=503))
    with sim_client(sim, session=True) as client:
        with pytest.raises(TokenRequestError, match="M2M session login failed"):
            get_status(client)
        assert sim.request_count(LOGIN) == 1
        get_status(client)  # not a refusal: the next call logs in
    assert sim.request_count(LOGIN) == 2


def test_login_429_is_retried(sim: Simulator, waits: Waits) -> None:
    sim.inject(Fault(path=LOGIN, status=429, retry_after="1"))
    with sim_client(sim, session=True) as client:
        get_status(client)
    assert sim.request_count(LOGIN) == 2
    assert waits.seconds == [1.0]


# -- per-call overrides and shared state ------------------------------------------------------


def _snapshot(retry: Any) -> dict[str, Any]:
    return dict(vars(retry))


def test_clone_with_overrides_retries_without_touching_the_original(
    sim: Simulator, waits: Waits
) -> None:
    with warm(sim) as client:
        original = adapter_retry(client)
        token_retry = adapter_retry(client, client.config.token_url)
        before, token_before = _snapshot(original), _snapshot(token_retry)
        with client.clone_with(max_retries=0) as clone:
            assert adapter_retry(clone).total == 0
            sim.inject(Fault(path=STATUS, status=503, times=1))
            with pytest.raises(ServerError):
                get_status(clone)
        assert sim.request_count(STATUS) == 1
        sim.inject(Fault(path=STATUS, status=503, times=2))
        get_status(client)  # the original still retries
        assign(client)
        sim.inject(Fault(path=ASSIGN, status=503))
        with pytest.raises(ServerError):
            assign(client, "990000000000002")
        assert adapter_retry(client) is original
        assert _snapshot(original) == before
        assert _snapshot(token_retry) == token_before
        assert original.allowed_methods == SAFE_METHODS
    assert sim.request_count(STATUS) == 4


def test_retries_under_concurrency_share_one_immutable_policy(sim: Simulator, waits: Waits) -> None:
    with warm(sim) as client:
        original = adapter_retry(client)
        before = _snapshot(original)
        sim.inject(Fault(path=STATUS, status=503, times=None, probability=0.3, seed=7))
        errors: list[BaseException] = []

        def worker() -> None:
            for _ in range(20):
                try:
                    get_status(client)
                except ServerError:
                    pass  # four 503 in a row: possible, and fine
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert _snapshot(original) == before


def test_build_retry_uses_the_configuration() -> None:
    from tests.conftest import make_client

    with make_client(max_retries=5, backoff_factor=0.1, backoff_max=2, max_retry_after=9) as c:
        retry = build_retry(c.config)
        assert (retry.total, retry.connect, retry.read, retry.status) == (5, 5, 5, 5)
        assert (retry.other, retry.redirect) == (0, 0)
        assert retry.backoff_factor == 0.1
        assert retry.backoff_max == 2
        assert retry.max_retry_after == 9
        assert retry.new().max_retry_after == 9
        assert retry.raise_on_status is False
