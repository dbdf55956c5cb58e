"""A wall-clock deadline per attempt (issue 10 item 9): a trickling server cannot outlive it.

``requests`` and urllib3 time each socket operation only, so a server sending one byte every
0.2 s never trips a 1 s read timeout. The SDK ends every attempt ``Timeout.deadline`` seconds
(connect + read) after it starts, whatever part of the exchange the server trickles: the
status line and headers, the body, the OAuth token answer, the M2M login answer; over HTTP
and HTTPS; with the connection cut by the deadline never reused.

:class:`TrickleServer` is :class:`~tests.test_hostile_server.HostileServer` (raw bytes on
127.0.0.1) sending chosen routes' answers slowly. The time bounds below are correctness bounds
with wide margins (the deadline plus 2 s or more), not speed goals: without the deadline each
of these calls lasts 10 s or more (the trickle's length), or never fails at all.
"""

from __future__ import annotations

import itertools
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import urllib3.util.connection

from tests.sim_helpers import Gate
from tests.test_hostile_server import (
    ACCOUNT,
    LOGIN_PATH,
    STATUS_PATH,
    TOKEN_PATH,
    HostileServer,
    client_for,
    http,
)
from verizon_sdk import (
    Configuration,
    M2MSessionCredentials,
    ProxySettings,
    ThingspaceOauthCredentials,
    Timeout,
    VerizonClient,
    VZM2mTokenCredentials,
)
from verizon_sdk._configuration import attempt_deadline
from verizon_sdk._connection_errors import DeadlineExceeded
from verizon_sdk._connections import _Connection, _DeadlineIO
from verizon_sdk._transport import build_session
from verizon_sdk.exceptions import APITimeoutError
from verizon_sdk.models import V3LicenseIMEI

CERT = Path(__file__).parent / "data" / "localhost-tls.pem"
SLOW_ACCOUNT = "0000123456-00002"
SLOW_PATH = f"/api/fota/v3/licenses/{SLOW_ACCOUNT}"
ASSIGN_PATH = f"{STATUS_PATH}/assign"
#: a small timeout: each attempt ends 1.5 s after it starts
TIMEOUT = (0.5, 1.0)
#: for tests whose fast calls must succeed too, on a loaded machine: 3 s
ROOMY = (1.0, 2.0)
#: how long an "endless" body goes on (so that a run without the deadline ends, and fails)
ENDLESS = 15.0
#: a status answer whose body alone takes 12 s at 0.2 s a byte
STATUS_BODY = json.dumps({"accountName": ACCOUNT, "hasMoreData": False}).ljust(60)


def answer(status: int, body: str, *, close: bool = True) -> bytes:
    """``http()``'s answer; with ``close=False`` the connection stays open (keep-alive)."""
    data = http(status, body)
    return data if close else data.replace(b"Connection: close\r\n", b"")


@dataclass
class TrickleServer(HostileServer):
    """A :class:`HostileServer` that sends the answer of each route in ``slow`` one byte every
    ``byte_delay`` seconds: its head (status line and headers) when the mode is ``"head"``,
    its body when ``"body"``; with ``"endless"``, a body without end, 6 MB/s. With
    ``keep_alive`` a connection serves request after request; ``connections[i]`` numbers the
    connection that carried ``requests[i]``."""

    slow: dict[tuple[str, str], str] = field(default_factory=dict)
    byte_delay: float = 0.2
    keep_alive: bool = False
    tls: ssl.SSLContext | None = None
    connections: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.tls is not None:
            self.base_url = self.base_url.replace("http://", "https://")
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    def _serve(self, conn: Any) -> None:
        number = next(self._numbers)
        try:
            conn.settimeout(10)
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            while True:
                request = self._read(conn)
                with self._lock:
                    self.requests.append(request)
                    self.connections.append(number)
                handler = self.routes.get((request.method, request.path))
                data = handler(request) if handler else http(404, "{}")
                self._send(conn, data, self.slow.get((request.method, request.path)))
                if not self.keep_alive:
                    return
        except (OSError, ValueError):  # the client went away (ValueError: nothing to parse)
            pass
        finally:
            conn.close()

    def _send(self, conn: Any, data: bytes, mode: str | None) -> None:
        head, _, body = data.partition(b"\r\n\r\n")
        head += b"\r\n\r\n"
        if mode == "endless":  # a body that does not end (for ENDLESS seconds), 6 MB/s
            conn.sendall(head)
            end = time.monotonic() + ENDLESS
            while time.monotonic() < end:
                conn.sendall(b" " * 65536)
                time.sleep(0.01)
            return
        slow, fast = {"head": (head, body), "body": (body, b"")}.get(mode or "", (b"", data))
        if mode == "body":
            conn.sendall(head)
        for i in range(len(slow)):
            conn.sendall(slow[i : i + 1])
            time.sleep(self.byte_delay)
        conn.sendall(fast)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


@pytest.fixture
def trickle() -> Iterator[TrickleServer]:
    server = TrickleServer()
    server.route("GET", STATUS_PATH, lambda _: http(200, STATUS_BODY))
    yield server
    server.close()


def timed(call: Callable[[], Any]) -> tuple[APITimeoutError, float]:
    """The ``APITimeoutError`` that ``call`` raises, and the seconds it took to raise it."""
    start = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        call()
    return info.value, time.monotonic() - start


def fast_client(server: HostileServer, retries: int, **options: Any) -> VerizonClient:
    """A client with ``TIMEOUT`` and short waits, so that ``time_budget()`` is a few seconds."""
    settings: dict[str, Any] = {"timeout": TIMEOUT, "max_retries": retries}
    settings |= {"backoff_factor": 0.01, "max_retry_after": 0}
    return client_for(server, **(settings | options))


def assert_deadline(
    error: APITimeoutError, seconds: float, config: Configuration, margin: float = 2.0
) -> None:
    """``error`` names the deadline; the call took less than ``time_budget()`` + ``margin``."""
    assert f"deadline of {config.timeout.deadline:g} s (connect + read timeout)" in str(error)
    budget = config.time_budget()
    assert seconds < budget + margin, f"took {seconds:.1f} s; time_budget() is {budget:.2f} s"


def status_times_out(server: HostileServer, retries: int, **options: Any) -> APITimeoutError:
    """The error of a V3 status call through ``fast_client``, checked to end by the deadline."""
    with fast_client(server, retries, **options) as client:
        error, seconds = timed(
            lambda: client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
        )
    assert_deadline(error, seconds, client.config)
    return error


# -- the shared number ---------------------------------------------------------------------


def test_the_deadline_is_connect_plus_read_and_time_budget_counts_it() -> None:
    assert Timeout().deadline == attempt_deadline(10, 30) == 40
    assert Timeout(connect=0.5, read=1.0).deadline == 1.5
    config = Configuration(
        thingspace_oauth_credentials=ThingspaceOauthCredentials("client-id-1", "secret-Xy9"),
        vz_m2m_token_credentials=VZM2mTokenCredentials("m2m-token-Zt4"),
    )
    assert config.time_budget() == 4 * 40 + 3 * 60  # 340 s by default
    assert config.clone_with(max_retry_after=0).time_budget() == 160 + 0.5 + 1 + 2


# -- a data call: status line and headers, body ----------------------------------------------


@pytest.mark.parametrize("retries", [0, 1])
def test_trickled_status_line_and_headers_end_at_the_deadline(
    trickle: TrickleServer, retries: int
) -> None:
    trickle.slow[("GET", STATUS_PATH)] = "head"
    error = status_times_out(trickle, retries)
    assert f"GET {STATUS_PATH}" in str(error)
    # a GET whose answer did not come in time is retried like a read timeout
    assert trickle.paths() == [TOKEN_PATH] + [STATUS_PATH] * (retries + 1)


@pytest.mark.parametrize("retries", [0, 1])
def test_a_trickled_body_ends_at_the_deadline(trickle: TrickleServer, retries: int) -> None:
    trickle.slow[("GET", STATUS_PATH)] = "body"
    status_times_out(trickle, retries)
    # the body is read after urllib3's retry loop: cut off mid-body is not retried (as today)
    assert trickle.paths() == [TOKEN_PATH, STATUS_PATH]


def test_a_post_whose_answer_trickles_is_not_sent_again(trickle: TrickleServer) -> None:
    trickle.route("POST", ASSIGN_PATH, lambda _: http(200, STATUS_BODY))
    trickle.slow[("POST", ASSIGN_PATH)] = "head"
    devices = V3LicenseIMEI(device_list=["990000000000001"])
    with fast_client(trickle, 2) as client:
        error, seconds = timed(
            lambda: client.software_management_licenses_v3.assign_licenses_to_devices(
                ACCOUNT, devices
            )
        )
    assert_deadline(error, seconds, client.config)
    assert "may have applied it" in str(error)
    assert trickle.paths() == [TOKEN_PATH, ASSIGN_PATH]  # sent once: it may have been applied


def test_a_retried_status_whose_body_never_ends_is_drained_by_the_deadline(
    trickle: TrickleServer,
) -> None:
    """urllib3 reads and discards the body of a status it retries (``drain_conn``): part of
    the attempt, so the deadline ends it, and the retry happens."""
    head = "HTTP/1.1 503 X\r\nRetry-After: 0\r\nContent-Length: 1000000000000\r\n\r\n"
    trickle.route("GET", STATUS_PATH, lambda _: head.encode())
    trickle.slow[("GET", STATUS_PATH)] = "endless"
    status_times_out(trickle, 1)
    # each attempt ended by its deadline: the first while draining, the last while reading
    assert trickle.paths() == [TOKEN_PATH, STATUS_PATH, STATUS_PATH]


# -- the OAuth token and the M2M login -------------------------------------------------------


@pytest.mark.parametrize(("mode", "retries"), [("head", 0), ("head", 1), ("body", 0), ("body", 1)])
def test_a_trickled_token_answer_ends_at_the_deadline(
    trickle: TrickleServer, mode: str, retries: int
) -> None:
    trickle.slow[("POST", TOKEN_PATH)] = mode
    error = status_times_out(trickle, retries)
    assert error.never_sent  # the licenses request never left
    # the token POST is retried like a GET, before its body; a body cut off is not retried
    tokens = retries + 1 if mode == "head" else 1
    assert trickle.paths() == [TOKEN_PATH] * tokens


def test_a_trickled_login_answer_ends_at_the_deadline_and_is_not_sent_again(
    trickle: TrickleServer,
) -> None:
    trickle.route("POST", LOGIN_PATH, lambda _: http(200, json.dumps({"sessionToken": "s-1"})))
    trickle.slow[("POST", LOGIN_PATH)] = "head"
    options = {
        "vz_m2m_token_credentials": None,
        "m2m_session_credentials": M2MSessionCredentials(username="u", password="pass-Word9"),
    }
    error = status_times_out(trickle, 2, **options)
    assert error.never_sent
    assert trickle.paths() == [TOKEN_PATH, LOGIN_PATH]  # a login is never sent twice


# -- HTTPS, connection reuse, many threads -----------------------------------------------------


def test_the_deadline_holds_over_https() -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT)
    server = TrickleServer(tls=context, keep_alive=True)
    try:
        server.route("GET", STATUS_PATH, lambda _: answer(200, STATUS_BODY, close=False))
        server.route("GET", SLOW_PATH, lambda _: answer(200, STATUS_BODY, close=False))
        server.slow[("GET", SLOW_PATH)] = "head"
        with fast_client(server, 0, verify=str(CERT), timeout=ROOMY) as client:
            v3 = client.software_management_licenses_v3
            assert v3.get_account_licenses_status(ACCOUNT).account_name == ACCOUNT
            error, seconds = timed(lambda: v3.get_account_licenses_status(SLOW_ACCOUNT))
    finally:
        server.close()
    assert_deadline(error, seconds, client.config)
    assert server.paths() == [TOKEN_PATH, STATUS_PATH, SLOW_PATH]


@pytest.mark.parametrize("mode", ["head", "body"])
def test_a_connection_cut_by_the_deadline_is_not_reused(mode: str) -> None:
    server = TrickleServer(keep_alive=True)
    try:
        for path in (STATUS_PATH, SLOW_PATH):
            server.route("GET", path, lambda _: answer(200, STATUS_BODY, close=False))
        server.slow[("GET", SLOW_PATH)] = mode
        with fast_client(server, 0, timeout=ROOMY) as client:
            v3 = client.software_management_licenses_v3
            v3.get_account_licenses_status(ACCOUNT)
            timed(lambda: v3.get_account_licenses_status(SLOW_ACCOUNT))
            v3.get_account_licenses_status(ACCOUNT)
            v3.get_account_licenses_status(ACCOUNT)
    finally:
        server.close()
    carried = [
        n for n, p in zip(server.connections, server.paths(), strict=True) if p != TOKEN_PATH
    ]
    first, cut, after, again = carried
    assert cut == first  # kept alive and reused before the deadline...
    assert after != cut  # ...but never after it cut the connection
    assert again == after


def test_concurrent_calls_each_end_by_their_own_deadline() -> None:
    server = TrickleServer(keep_alive=True)
    try:
        for path in (STATUS_PATH, SLOW_PATH):
            server.route("GET", path, lambda _: answer(200, STATUS_BODY, close=False))
        server.slow[("GET", SLOW_PATH)] = "head"
        with fast_client(server, 0, pool_maxsize=16, timeout=ROOMY) as client:
            v3 = client.software_management_licenses_v3
            budget = client.config.time_budget()

            def one(i: int) -> tuple[str, float]:
                start = time.monotonic()
                try:
                    name = v3.get_account_licenses_status(ACCOUNT if i % 2 else SLOW_ACCOUNT)
                    outcome = f"ok {name.account_name}"
                except APITimeoutError as exc:
                    outcome = "deadline" if "3 s (connect + read timeout)" in str(exc) else ""
                return outcome, time.monotonic() - start

            with ThreadPoolExecutor(16) as pool:
                results = list(pool.map(one, range(32)))
    finally:
        server.close()
    assert [o for o, _ in results] == ["deadline", f"ok {ACCOUNT}"] * 16
    slowest = max(s for _, s in results)
    assert slowest < budget + 3, f"a call took {slowest:.1f} s; time_budget() is {budget:.2f} s"
    assert server.paths().count(SLOW_PATH) == 16


@pytest.mark.parametrize("timeout", [None, (2.0, 4.0)])
def test_the_session_reads_a_whole_answer_with_or_without_timeouts(
    trickle: TrickleServer, timeout: tuple[float, float] | None
) -> None:
    """The session's own use without timeouts (as ``requests`` allows) has no deadline."""
    with build_session(fast_client(trickle, 0).config) as session:
        url = trickle.base_url + "/fota/v3/licenses/" + ACCOUNT
        response = session.get(url, stream=True, timeout=timeout)
        assert response.raw.fileno() > 0  # the reader under the response is the socket's
        assert response.json()["accountName"] == ACCOUNT


def test_a_read_or_send_past_the_deadline_raises_at_once() -> None:
    """Reached between two socket operations (the last byte came just in time), the deadline
    fails the next one before it waits; a send or a TLS handshake is bounded by the time left."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(30)
        reader = _DeadlineIO(ours.makefile("rb", buffering=0), ours, time.monotonic(), 1.5)
        with pytest.raises(DeadlineExceeded, match=r"deadline of 1\.5 s"):
            reader.readinto(bytearray(10))
        reader.close()
        connection = _Connection("127.0.0.1", 9)
        connection.start_attempt(5.0)
        connection._bound(ours)
        assert 0 < (ours.gettimeout() or 0) <= 5.0  # lowered from 30 s to what is left
        connection.start_attempt(0.0)
        with pytest.raises(DeadlineExceeded, match="deadline of 0 s"):
            connection._bound(ours)


def test_an_answer_trickled_within_the_deadline_is_read_whole(trickle: TrickleServer) -> None:
    body = json.dumps({"accountName": ACCOUNT, "hasMoreData": False}).ljust(60)
    trickle.route("GET", STATUS_PATH, lambda _: http(200, body))
    trickle.slow[("GET", STATUS_PATH)] = "body"
    trickle.byte_delay = 0.01  # 0.6 s in all, against a 12 s deadline
    with fast_client(trickle, 0, timeout=(4, 8)) as client:
        summary = client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert summary.account_name == ACCOUNT


# -- through a tunnelling (CONNECT) proxy ------------------------------------------------------


@dataclass
class TunnelProxy(HostileServer):
    """A ``CONNECT`` proxy on 127.0.0.1 piping each tunnel to its target; while ``trickle``,
    it sends its ``200`` answer one byte every ``byte_delay`` seconds (8.4 s in all).
    ``requests`` holds the ``CONNECT`` requests it got."""

    trickle: bool = False
    byte_delay: float = 0.1

    def _serve(self, conn: Any) -> None:
        with conn:
            try:
                conn.settimeout(10)
                request = self._read(conn)
                self.requests.append(request)
                established = b"HTTP/1.1 200 Connection established\r\nX-Pad: " + b"." * 36
                established += b"\r\n\r\n"
                if not self.trickle:
                    conn.sendall(established)
                for i in range(len(established) if self.trickle else 0):
                    conn.sendall(established[i : i + 1])
                    time.sleep(self.byte_delay)
                host, port = request.path.rsplit(":", 1)
                with socket.create_connection((host, int(port)), timeout=10) as upstream:
                    back = threading.Thread(target=Gate._pump, args=(upstream, conn))
                    back.start()
                    Gate._pump(conn, upstream)
                    back.join(10)
            except (OSError, ValueError):  # the client went away
                pass


@pytest.fixture
def tunnel() -> Iterator[tuple[TunnelProxy, TrickleServer, dict[str, Any]]]:
    """A proxy, an HTTPS server answering the status (``Connection: close``) behind it, and
    the client options that go through the proxy."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT)
    proxy, server = TunnelProxy(), TrickleServer(tls=context)
    server.route("GET", STATUS_PATH, lambda _: answer(200, STATUS_BODY))
    server.route("POST", ASSIGN_PATH, lambda _: answer(200, STATUS_BODY))
    address = ProxySettings(address="http://127.0.0.1", port=proxy.port)
    yield proxy, server, {"verify": str(CERT), "proxy_settings": address}
    proxy.close()
    server.close()


@pytest.mark.parametrize("retries", [0, 1])
def test_a_trickled_connect_answer_ends_at_the_deadline(
    tunnel: tuple[TunnelProxy, TrickleServer, dict[str, Any]], retries: int
) -> None:
    """The attempt starts when it takes the connection, before the proxy's ``CONNECT``."""
    proxy, server, options = tunnel
    proxy.trickle = True
    error = status_times_out(server, retries, **options)
    assert error.never_sent  # the tunnel never opened: the token request never left
    assert server.paths() == []
    assert [r.method for r in proxy.requests] == ["CONNECT"] * (retries + 1)


def test_a_call_after_a_tunnel_closed_and_a_pause_past_the_deadline_succeeds(
    tunnel: tuple[TunnelProxy, TrickleServer, dict[str, Any]],
) -> None:
    """The pooled connection object re-opened through the proxy has the new attempt's
    deadline, not the one its last attempt left on it."""
    proxy, server, options = tunnel
    with fast_client(server, 0, **options) as client:
        v3 = client.software_management_licenses_v3
        assert v3.get_account_licenses_status(ACCOUNT).account_name == ACCOUNT
        time.sleep(client.config.timeout.deadline + 0.5)
        assert v3.get_account_licenses_status(ACCOUNT).account_name == ACCOUNT
    assert server.paths() == [TOKEN_PATH, STATUS_PATH, STATUS_PATH]
    assert len(proxy.requests) == 3  # Connection: close: a tunnel each


def test_a_post_whose_connect_answer_trickles_is_reported_not_sent(
    tunnel: tuple[TunnelProxy, TrickleServer, dict[str, Any]],
) -> None:
    """Nothing of the request leaves before the tunnel is open: a connect timeout, which is
    retried for every method and reported as never sent."""
    proxy, server, options = tunnel
    devices = V3LicenseIMEI(device_list=["990000000000001"])
    with fast_client(server, 1, **options) as client:
        v3 = client.software_management_licenses_v3
        v3.get_account_licenses_status(ACCOUNT)  # the token, through a fast tunnel
        proxy.trickle = True
        error, seconds = timed(lambda: v3.assign_licenses_to_devices(ACCOUNT, devices))
    assert_deadline(error, seconds, client.config)
    assert error.never_sent
    assert "before anything was sent" in str(error) and "may have" not in str(error)
    assert server.paths() == [TOKEN_PATH, STATUS_PATH]  # the POST never reached the server
    assert len(proxy.requests) == 2 + 2  # two tunnels before, two trickled (retried once)


def test_a_socket_connected_past_the_deadline_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[socket.socket] = []
    connect = urllib3.util.connection.create_connection

    def recorded(*args: Any, **kwargs: Any) -> socket.socket:
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(urllib3.util.connection, "create_connection", recorded)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        connection = _Connection("127.0.0.1", listener.getsockname()[1], timeout=5)
        connection.start_attempt(0.0)
        with pytest.raises(DeadlineExceeded):
            connection.connect()
    assert [s.fileno() for s in opened] == [-1]  # closed, not left to the garbage collector


def test_a_connection_back_in_the_pool_has_no_deadline() -> None:
    """The attempt ends when its connection goes back to the pool; the next one starts its own."""
    server = TrickleServer(keep_alive=True)
    server.route("GET", STATUS_PATH, lambda _: answer(200, STATUS_BODY, close=False))
    try:
        with build_session(fast_client(server, 0).config) as session:
            url = server.base_url + "/fota/v3/licenses/" + ACCOUNT
            assert session.get(url, timeout=TIMEOUT).json()["accountName"] == ACCOUNT
            pools = session.get_adapter(url).poolmanager.pools
            keys = pools.keys()  # the container refuses iteration (not thread-safe)
            queues = [pools[key].pool.queue for key in keys]
            pooled = [c for queue in queues for c in queue if c is not None]
    finally:
        server.close()
    assert [c.deadline for c in pooled] == [math.inf]
