"""What a hostile server (hand-written, raw bytes on 127.0.0.1) must not break.

The simulator is too polite for this: :class:`HostileServer` answers each request with
whatever bytes a test scripts, including malformed, escaped and oversized ones.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import json
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.cli_helpers import cli_environment
from verizon_sdk import (
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VerizonClient,
    VZM2mTokenCredentials,
)
from verizon_sdk._redaction import Redactor
from verizon_sdk.exceptions import (
    APIException,
    ConfigurationError,
    PaginationError,
    ResponseTooLargeError,
    UnexpectedResponseError,
    ValidationError,
)
from verizon_sdk.models import V2ListOfLicensesToRemoveRequest, V3LicenseIMEI

ACCOUNT = "0000123456-00001"
TOKEN_PATH = "/api/ts/v1/oauth2/token"
LOGIN_PATH = "/api/m2m/v1/session/login"
STATUS_PATH = f"/api/fota/v3/licenses/{ACCOUNT}"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[[Request], bytes]


def http(status: int, body: bytes | str = b"", headers: dict[str, str] | None = None) -> bytes:
    """A whole HTTP/1.1 response, closing the connection."""
    data = body.encode() if isinstance(body, str) else body
    head = {"Content-Type": "application/json", "Content-Length": str(len(data))}
    head.update(headers or {})
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in head.items()]
    return ("\r\n".join([*lines, "Connection: close", "", ""])).encode("latin-1") + data


def token_answer(token: str = "access-token-Qw7", expires_in: int = 3600) -> bytes:
    return http(200, json.dumps({"access_token": token, "expires_in": expires_in}))


@dataclass
class HostileServer:
    """A thread accepting connections; each request is answered by ``routes[(method, path)]``."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.routes[("POST", TOKEN_PATH)] = lambda _: token_answer()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/api"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                request = self._read(conn)
                self.requests.append(request)
                handler = self.routes.get((request.method, request.path))
                answer = handler(request) if handler else http(404, "{}")
                conn.sendall(answer)
            except OSError:
                pass

    @staticmethod
    def _read(conn: socket.socket) -> Request:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        first, *lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines if ": " in line)
        length = int(headers.get("Content-Length", "0"))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        method, target, _ = first.split(" ", 2)
        return Request(method, target.split("?", 1)[0], headers, body)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(5)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    hostile = HostileServer()
    yield hostile
    hostile.close()


def client_for(server: HostileServer, **options: Any) -> VerizonClient:
    settings_: dict[str, Any] = {
        "thingspace_oauth_credentials": ThingspaceOauthCredentials(
            oauth_client_id="client-id-1", oauth_client_secret="client-secret-Xy9"
        ),
        "vz_m2m_token_credentials": VZM2mTokenCredentials(vz_m2m_token="m2m-token-Zt4"),
        "base_url": server.base_url,
        "max_retries": 0,
    }
    settings_.update(options)
    return VerizonClient(**settings_)


# -- items 1, 2: echoed secrets, however escaped, on every surface ----------------------------

SECRET = "s3cr/et&<>+Val"  # has the characters each escaping style rewrites


def every_char_unicode(secret: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in secret)


def php_slashes(secret: str) -> str:
    return json.dumps(secret)[1:-1].replace("/", "\\/")


def go_style(secret: str) -> str:
    escaped = json.dumps(secret)[1:-1]
    for char in "&<>+":
        escaped = escaped.replace(char, f"\\u{ord(char):04X}")
    return escaped


def url_encoded(secret: str) -> str:
    return quote(secret, safe="")


ESCAPES = {
    "unicode": every_char_unicode,
    "slash": php_slashes,
    "go": go_style,
    "url": url_encoded,
}


def secret_options(kind: str, secret: str) -> dict[str, Any]:
    """Client options that make ``secret`` the ``kind`` credential, and the server routes."""
    if kind == "client_secret":
        return {
            "thingspace_oauth_credentials": ThingspaceOauthCredentials(
                oauth_client_id="client-id-1", oauth_client_secret=secret
            )
        }
    if kind == "m2m_token":
        return {"vz_m2m_token_credentials": VZM2mTokenCredentials(vz_m2m_token=secret)}
    if kind in ("password", "session_token"):
        password = secret if kind == "password" else "pass-Word9"
        return {
            "vz_m2m_token_credentials": None,
            "m2m_session_credentials": M2MSessionCredentials(username="u", password=password),
        }
    return {}


def surfaces(exc: APIException, logs: str) -> list[str]:
    """Everything a user sees of an error."""
    return [
        str(exc),
        repr(exc),
        pickle.dumps(exc).decode("latin-1"),
        repr(dict(exc.headers)),
        str(exc.body),
        repr(getattr(exc, "json_body", None)),
        logs,
    ]


def assert_hidden(secret: str, shown: list[str]) -> None:
    spellings = {secret, json.dumps(secret)[1:-1], url_encoded(secret), php_slashes(secret)}
    for text in shown:
        for spelling in spellings:
            assert spelling not in text


@pytest.mark.parametrize("escape", sorted(ESCAPES))
@pytest.mark.parametrize(
    "kind", ["client_secret", "access_token", "m2m_token", "password", "session_token"]
)
def test_an_echoed_secret_is_masked_on_every_surface_in_every_escape_style(
    server: HostileServer, caplog: pytest.LogCaptureFixture, kind: str, escape: str
) -> None:
    secret = SECRET if kind in ("client_secret", "password") else SECRET.replace(" ", "")
    if kind == "access_token":
        server.route("POST", TOKEN_PATH, lambda _: token_answer(secret))
    server.route(
        "POST",
        LOGIN_PATH,
        lambda _: http(
            200, json.dumps({"sessionToken": secret if kind == "session_token" else "sess-T0k"})
        ),
    )
    body = '{"errorCode": "E1", "errorMessage": "echo ' + ESCAPES[escape](secret) + '"}'
    server.route("GET", STATUS_PATH, lambda _: http(500, body, {"X-Echo": secret}))
    caplog.set_level(logging.DEBUG, logger="verizon_sdk")
    with (
        client_for(server, **secret_options(kind, secret)) as client,
        pytest.raises(APIException) as info,
    ):
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert info.value.response_code == 500
    assert "echo ***" in str(info.value)
    assert info.value.headers["X-Echo"] == "***"
    assert_hidden(secret, surfaces(info.value, caplog.text))


def mixed_escape(secret: str, choices: list[int]) -> str:
    """``secret`` with each character spelled in one of the styles a JSON or URL echo uses."""
    out = []
    for char, choice in zip(secret, choices, strict=True):
        styles = [json.dumps(char)[1:-1], f"\\u{ord(char):04x}", f"\\u{ord(char):04X}"]
        styles += ["%" + "%".join(f"{b:02X}" for b in char.encode())]
        if char == "/":
            styles.append("\\/")
        out.append(styles[choice % len(styles)])
    return "".join(out)


#: Characters no surface prints unless a server echoed them: a secret holding one cannot be
#: mistaken for ordinary output ("report", the "000012" of the account, "0000" of device ids).
UNPRINTED = "`^|~"
_SECRET_CHARS = st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="*")
#: Random secrets of 6 to 16 printable characters, one of them from ``UNPRINTED``.
SECRETS = st.builds(
    lambda head, mark, tail: head + mark + tail,
    st.text(_SECRET_CHARS, min_size=3, max_size=8),
    st.sampled_from(UNPRINTED),
    st.text(_SECRET_CHARS, min_size=2, max_size=7),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), secret=SECRETS)
def test_property_a_random_secret_under_a_random_escaping_never_shows(
    server: HostileServer, caplog: pytest.LogCaptureFixture, data: st.DataObject, secret: str
) -> None:
    caplog.clear()
    choices = data.draw(st.lists(st.integers(0, 4), min_size=len(secret), max_size=len(secret)))
    echoed = mixed_escape(secret, choices)
    body = '{"errorCode": "E1", "errorMessage": "' + echoed + '"}'
    server.route("GET", STATUS_PATH, lambda _: http(502, body, {"X-Echo": secret}))
    caplog.set_level(logging.DEBUG, logger="verizon_sdk")
    options = secret_options("client_secret", secret)
    with client_for(server, **options) as client, pytest.raises(APIException) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert info.value.response_code == 502
    assert_hidden(secret, surfaces(info.value, caplog.text))


# -- item 13: only live secrets are kept -------------------------------------------------------


def test_the_redactor_keeps_only_the_live_tokens(server: HostileServer) -> None:
    issued = iter(range(10_000))
    server.route("POST", TOKEN_PATH, lambda _: token_answer(f"tok-{next(issued):05d}", 0))
    server.route("GET", STATUS_PATH, lambda _: http(200, '{"hasMoreData": false}'))
    with client_for(server) as client:
        redactor: Redactor = client._pipeline.redactor
        configured = set(redactor.secrets)
        for _ in range(30):
            client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
        tokens = redactor.secrets - configured
    assert len([r for r in server.requests if r.path == TOKEN_PATH]) == 30
    assert tokens == {"tok-00028", "tok-00029"}  # the current one and the one it replaced
    assert "client-secret-Xy9" in configured


# -- item 3: a bounded response size -----------------------------------------------------------

BOMB_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from tests.test_hostile_server import (
    HostileServer, http, client_for, ACCOUNT, STATUS_PATH, TOKEN_PATH,
)
from verizon_sdk.exceptions import ResponseTooLargeError
where, path = sys.argv[1], sys.argv[2]
bomb = open(path, "rb").read()
server = HostileServer()
reply = http(500 if where == "error" else 200, bomb, {"Content-Encoding": "gzip, gzip"})
server.route("POST" if where == "token" else "GET", TOKEN_PATH if where == "token" else STATUS_PATH,
             lambda _: reply)
try:
    with client_for(server) as client:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    print("no error")
except ResponseTooLargeError as exc:
    print("too large:", exc.limit)
except BaseException as exc:
    print("other:", type(exc).__name__)
server.close()
# VmHWM: this process's peak RSS since exec (ru_maxrss would include the forked parent's)
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print("peak_rss_kib", int(hwm[0].split()[1]))
"""


@pytest.fixture(scope="module")
def gzip_bomb(tmp_path_factory: pytest.TempPathFactory) -> str:
    """12 kB that inflate, through ``Content-Encoding: gzip, gzip``, to 1 GiB of zeros."""
    inner = zlib.compressobj(1, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    layer = b"".join([*(inner.compress(zeros) for _ in range(1024)), inner.flush()])
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    path = tmp_path_factory.mktemp("bomb") / "bomb.gz"
    path.write_bytes(outer.compress(layer) + outer.flush())
    return str(path)


@pytest.mark.parametrize("where", ["data", "error", "token"])
def test_a_gzip_bomb_raises_response_too_large_with_bounded_memory(
    gzip_bomb: str, where: str
) -> None:
    root = Path(__file__).resolve().parents[1]
    child = subprocess.run(
        [sys.executable, "-c", BOMB_CHILD, where, gzip_bomb],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = child.stdout.splitlines()
    assert lines[:1] == [f"too large: {32 * 1024 * 1024}"], child.stdout + child.stderr
    peak_kib = int(lines[-1].split()[-1])
    assert peak_kib < 256 * 1024


@pytest.mark.parametrize("where", ["data", "error", "token", "login"])
def test_a_body_past_max_response_bytes_is_an_sdk_error(server: HostileServer, where: str) -> None:
    big = json.dumps({"accessToken": "x" * 5000, "hasMoreData": False})
    answer = http(500 if where == "error" else 200, big)
    routes = {"token": ("POST", TOKEN_PATH), "login": ("POST", LOGIN_PATH)}
    server.route(*routes.get(where, ("GET", STATUS_PATH)), lambda _: answer)
    options: dict[str, Any] = {"max_response_bytes": 4096}
    if where == "login":
        options.update(secret_options("password", "pass-Word9"))
    with client_for(server, **options) as client, pytest.raises(ResponseTooLargeError) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert info.value.limit == 4096
    assert "larger than max_response_bytes (4096 bytes" in str(info.value)


def test_a_body_within_max_response_bytes_is_read_whole(server: HostileServer) -> None:
    body = json.dumps({"accountName": ACCOUNT, "hasMoreData": False, "pad": "y" * 3000})
    server.route("GET", STATUS_PATH, lambda _: http(200, body))
    with client_for(server, max_response_bytes=len(body)) as client:
        summary = client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert summary.account_name == ACCOUNT


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "32"])
def test_max_response_bytes_must_be_a_positive_integer(server: HostileServer, bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_response_bytes"):
        client_for(server, max_response_bytes=bad)


# -- item 10: 1xx interim responses are skipped ------------------------------------------------

EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"


def test_103_early_hints_before_the_answer_is_skipped(server: HostileServer) -> None:
    body = json.dumps({"accountName": ACCOUNT, "hasMoreData": False})
    server.route("POST", TOKEN_PATH, lambda _: EARLY_HINTS + token_answer())
    server.route("GET", STATUS_PATH, lambda _: EARLY_HINTS + EARLY_HINTS + http(200, body))
    with client_for(server) as client:
        summary = client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert summary.account_name == ACCOUNT


def test_103_before_an_applied_post_gives_its_result(server: HostileServer) -> None:
    path = f"/api/fota/v3/licenses/{ACCOUNT}/assign"
    device = {"deviceId": "990000000000001", "status": "Success"}
    answer = json.dumps({"accountName": ACCOUNT, "deviceList": [device]})
    server.route("POST", path, lambda _: EARLY_HINTS + http(200, answer))
    with client_for(server) as client:
        result = client.software_management_licenses_v3.assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=["990000000000001"])
        )
    assert result.account_name == ACCOUNT
    assert [r.path for r in server.requests].count(path) == 1


# -- items 4, 8: hostile pages ----------------------------------------------------------------

V2_STATUS_PATH = f"/api/fota/v2/licenses/{ACCOUNT}"
V2_CANCEL_PATH = f"/api/fota/v2/licenses/{ACCOUNT}/cancel"


#: After this many pages a looping script ends its listing, so a walk that does not stop
#: by itself fails its test instead of hanging it.
GIVE_UP = 50


def pages(*bodies: dict[str, Any]) -> Handler:
    """Answers the n-th request with ``bodies[n]`` (the last one from then on)."""
    served = iter(range(10**9))

    def answer(_: Request) -> bytes:
        n = next(served)
        body = bodies[min(n, len(bodies) - 1)]
        return http(200, json.dumps({**body, "hasMoreData": False} if n >= GIVE_UP else body))

    return answer


@pytest.mark.parametrize("api", ["v2", "v3"])
def test_a_device_id_of_5000_digits_is_compared_without_int(
    server: HostileServer, api: str
) -> None:
    huge = "1" * 5000
    path = V2_STATUS_PATH if api == "v2" else STATUS_PATH
    first = {"hasMoreData": True, "lastSeenDeviceId": "5", "deviceList": [{"deviceId": "5"}]}
    second = {"hasMoreData": False, "deviceList": [{"deviceId": huge}]}
    server.route("GET", path, pages(first, second))
    with client_for(server) as client:
        controller: Any = (
            client.software_management_licenses_v2
            if api == "v2"
            else client.software_management_licenses_v3
        )
        ids = [d.device_id for d in controller.iter_account_licenses(ACCOUNT)]
    assert ids == ["5", huge]


def test_a_v2_candidate_list_serving_the_same_page_forever_stops(
    server: HostileServer, quiet_deprecations: None
) -> None:
    server.route("GET", V2_CANCEL_PATH, pages({"hasMoreData": True, "deviceList": ["a1", "b2"]}))
    with client_for(server) as client, pytest.raises(PaginationError, match="repeated page"):
        list(client.software_management_licenses_v2.iter_licenses_to_remove(ACCOUNT))
    assert [r.path for r in server.requests].count(V2_CANCEL_PATH) == 2


def test_fresh_cursors_with_repeated_non_digit_ids_stop(server: HostileServer) -> None:
    cursors = iter(range(10**9))

    def answer(_: Request) -> bytes:
        n = next(cursors)
        page = {"hasMoreData": n < GIVE_UP, "lastSeenDeviceId": f"c-{n}"}
        return http(200, json.dumps({**page, "deviceList": [{"deviceId": "dev-a"}]}))

    server.route("GET", STATUS_PATH, answer)
    with client_for(server) as client, pytest.raises(PaginationError, match="repeated page"):
        list(client.software_management_licenses_v3.iter_account_licenses(ACCOUNT))
    assert [r.path for r in server.requests].count(STATUS_PATH) == 2


def test_an_endless_listing_stops_at_max_pages(server: HostileServer) -> None:
    counter = iter(range(10**9))

    def answer(_: Request) -> bytes:
        n = next(counter)
        page = {"hasMoreData": n < GIVE_UP, "lastSeenDeviceId": f"c-{n}"}
        return http(200, json.dumps({**page, "deviceList": [{"deviceId": f"dev-{n}"}]}))

    server.route("GET", STATUS_PATH, answer)
    with client_for(server, max_pages=5) as client, pytest.raises(PaginationError) as info:
        list(client.software_management_licenses_v3.iter_account_licenses(ACCOUNT))
    assert "more than max_pages (5) pages" in str(info.value)
    assert info.value.page_number == 6
    # five pages yielded; the sixth, fetched, is refused
    assert [r.path for r in server.requests].count(STATUS_PATH) == 6


@pytest.mark.parametrize("bad", [0, -3, "5", 2.0])
def test_max_pages_must_be_a_positive_integer(server: HostileServer, bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_pages"):
        client_for(server, max_pages=bad)


# -- item 11: bad caller input is a ValidationError, and nothing is sent -----------------------


def bad_calls() -> dict[str, Callable[[VerizonClient], Any]]:
    v2 = lambda c: c.software_management_licenses_v2  # noqa: E731
    v3 = lambda c: c.software_management_licenses_v3  # noqa: E731
    ids = ["990000000000001"]
    return {
        "last_seen_device_id": lambda c: v3(c).get_account_licenses_status(
            ACCOUNT, last_seen_device_id=10**5000
        ),
        "start_index": lambda c: v2(c).list_licenses_to_remove(ACCOUNT, start_index=10**5000),
        "count": lambda c: v2(c).create_list_of_licenses_to_remove(
            ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=ids, count=10**5000)
        ),
        "set": lambda c: v3(c).assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=ids, additional_properties={"x": {1, 2}})
        ),
        "str": lambda c: v3(c).assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=ids, additional_properties="oops")
        ),
        "nan": lambda c: v3(c).assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=ids, additional_properties={"x": float("nan")})
        ),
    }


@pytest.mark.parametrize("case", sorted(bad_calls()))
def test_bad_caller_input_is_a_validation_error_before_sending(
    server: HostileServer, quiet_deprecations: None, case: str
) -> None:
    with client_for(server) as client, pytest.raises(ValidationError):
        bad_calls()[case](client)
    assert [r for r in server.requests if r.path != TOKEN_PATH] == []


# -- item 12: configuration errors never echo credentials -------------------------------------


@pytest.mark.parametrize(
    "url", ["https://user:pw@h:99999/api", "HTTP://user:pw@h/api", "ftp://user:pw@h/"]
)
def test_a_base_url_error_does_not_repeat_its_credentials(server: HostileServer, url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        client_for(server, base_url=url)
    assert "pw" not in str(info.value)
    assert "pw" not in repr(info.value)


def test_a_proxy_address_with_credentials_is_refused_without_echo(server: HostileServer) -> None:
    from apimatic_core.http.configurations.proxy_settings import ProxySettings

    proxy = ProxySettings(address="http://user:s3cretPw@proxy.test", port=3128)
    with pytest.raises(ConfigurationError, match="must not carry credentials") as info:
        client_for(server, proxy_settings=proxy)
    assert "s3cretPw" not in str(info.value)


# -- item 7: an answer the SDK cannot judge is unknown, never failed ---------------------------

ASSIGN_PATH = f"{STATUS_PATH}/assign"
BULK_IDS = [f"{990000000000000 + n:015d}" for n in range(6)]


def answering_with(status: str) -> Handler:
    """An assign answer giving every id it was sent ``status``."""

    def answer(request: Request) -> bytes:
        sent = json.loads(request.body)["deviceList"]
        devices = [{"deviceId": d, "status": status, "resultReason": "queued"} for d in sent]
        return http(200, json.dumps({"accountName": ACCOUNT, "deviceList": devices}))

    return answer


def posted(server: HostileServer) -> list[list[str]]:
    """The ids of each assign POST the server received, in order."""
    return [json.loads(r.body)["deviceList"] for r in server.requests if r.path == ASSIGN_PATH]


def unjudgeable_server(server: HostileServer) -> None:
    """Every id answered "UpgradePending"; the license list cannot be read (503)."""
    server.route("POST", ASSIGN_PATH, answering_with("UpgradePending"))
    server.route("GET", STATUS_PATH, lambda _: http(503, '{"errorMessage": "down"}'))


def assert_left_unknown(result: Any, ids: list[str]) -> None:
    assert result.counts["failed"] == 0
    assert result.failed_ids() == []
    assert {d: result[d].outcome.value for d in ids} == dict.fromkeys(ids, "unknown")
    assert result.retry_ids() == ids
    assert all(result[d].status == "UpgradePending" for d in ids)  # the raw answer is kept
    assert result[ids[0]].error == "status 'UpgradePending' is not one the SDK knows"
    assert not result[ids[0]].reconciled
    assert result.reconciliation_error is not None
    assert result.reconciliation_error.startswith("ServerError: 503")


def test_item7_unknown_status_and_unreadable_list_is_unknown_not_failed(
    server: HostileServer, connect: Any
) -> None:
    unjudgeable_server(server)
    with connect(lambda **o: client_for(server, **o)) as client:
        result = client.software_management_licenses_v3.assign_licenses_bulk(
            ACCOUNT, BULK_IDS, chunk_size=4, max_workers=1
        )
    assert_left_unknown(result, BULK_IDS)
    assert posted(server) == [BULK_IDS[:4], BULK_IDS[4:]]  # each id sent once, never again
    assert [r.method for r in server.requests if r.path == STATUS_PATH] == ["GET"]


def test_item7_unknown_status_without_reconciliation_is_unknown(server: HostileServer) -> None:
    unjudgeable_server(server)
    with client_for(server) as client:
        result = client.software_management_licenses_v3.assign_licenses_bulk(
            ACCOUNT, BULK_IDS, reconcile=False
        )
    assert result.unknown.keys() == set(BULK_IDS)
    assert result.retry_ids() == BULK_IDS
    assert [r.path for r in server.requests if r.path != TOKEN_PATH] == [ASSIGN_PATH]


def test_item7_a_readable_list_still_settles_unknown_statuses(server: HostileServer) -> None:
    server.route("POST", ASSIGN_PATH, answering_with("UpgradePending"))
    listed = [{"deviceId": d} for d in BULK_IDS[:3]]  # the first three were licensed
    server.route("GET", STATUS_PATH, pages({"hasMoreData": False, "deviceList": listed}))
    with client_for(server) as client:
        result = client.software_management_licenses_v3.assign_licenses_bulk(ACCOUNT, BULK_IDS)
    assert list(result.succeeded) == BULK_IDS[:3]
    # answered, and provably not in the asked-for state: a definite failure
    assert result.failed_ids() == BULK_IDS[3:]
    assert all(result[d].reconciled for d in BULK_IDS)
    assert result.retry_ids() == []
    assert result.reconciliation_error is None


def stop_after_the_first_chunk(event: Any) -> None:
    raise RuntimeError(f"stopped after chunk {event.index}")


def test_item7_a_journaled_run_resumed_leaves_unknown_statuses_unknown(
    server: HostileServer, tmp_path: Path
) -> None:
    unjudgeable_server(server)
    path = tmp_path / "run.db"
    with client_for(server) as client:
        licenses = client.software_management_licenses_v3
        with pytest.raises(RuntimeError, match="stopped after chunk 0"):
            licenses.assign_licenses_bulk(
                ACCOUNT,
                BULK_IDS,
                chunk_size=2,
                max_workers=1,
                journal=path,
                on_chunk=stop_after_the_first_chunk,
            )
        sent_before = posted(server)  # chunk 0, and chunk 1 if it was already in flight
        assert sent_before[0] == BULK_IDS[:2]
        result = licenses.resume_bulk(path)
        assert_left_unknown(result, BULK_IDS)
        stored = licenses.assign_licenses_bulk(ACCOUNT, BULK_IDS, journal=path)
    assert stored == result  # what the journal holds is unknown too
    sent = posted(server)
    assert sorted(d for chunk in sent for d in chunk) == BULK_IDS  # no id was sent twice
    assert len(sent) > len(sent_before)  # the resume sent the rest


def test_item7_devices_the_simulator_changed_are_never_reported_failed() -> None:
    """The issue's case, on the simulator: it applies the assign (the devices change), answers
    a status the SDK does not know, and the license list cannot be read."""
    from verizon_sdk.simulator import Fault, Simulator

    answer = {"deviceList": [{"deviceId": d, "status": "UpgradePending"} for d in BULK_IDS]}
    with Simulator() as sim:
        sim.inject(Fault(method="POST", path="/assign", body=answer, apply=True))
        sim.inject(Fault(method="GET", path=f"/licenses/{ACCOUNT}", status=503, times=None))
        with sim.client(max_retries=0) as client:
            result = client.software_management_licenses_v3.assign_licenses_bulk(ACCOUNT, BULK_IDS)
        assert sim.assigned(ACCOUNT) == set(BULK_IDS)  # the server changed every device
        assert sim.request_count("/assign", "POST") == 1
        assert sim.request_count(f"/licenses/{ACCOUNT}", "GET") == 1
    assert_left_unknown(result, BULK_IDS)


def test_item7_cli_lists_unknown_statuses_and_exits_1(
    server: HostileServer, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    unjudgeable_server(server)
    code, out, err = run_cli("assign", ACCOUNT, *BULK_IDS)
    assert code == 1, err  # devices listed, not a run failure (3)
    assert "0 succeeded, 0 failed, 0 not attempted, 6 unknown" in out
    assert "reconciliation failed: ServerError: 503" in out
    assert out.count("UpgradePending") == len(BULK_IDS)


# -- item 6: the bulk CSV/JSON report is written whole, and never runs a formula --------------

#: (device id, status, reason as the server spells it inside a JSON string)
HOSTILE_ROWS = [
    ("990000000000001", "Failure", '=HYPERLINK(\\"http://evil.test\\",\\"x\\")'),
    ("990000000000002", "Failure", "+1+cmd|' /C calc'!A0"),
    ("990000000000003", "Failure", "-2+3"),
    ("990000000000004", "Failure", "@SUM(1)"),
    ("990000000000005", "Failure", "\\tTAB"),
    ("990000000000006", "Failure", "\\rCR"),
    ("990000000000007", "Failure", "broken \\ud800 half"),
    ("990000000000008", "Failure", "'=quoted"),
    ("990000000000009", "Failure", "plain reason"),
    ("990000000000010", "Failure", "ok\\r=cmd|' /C calc'!A0"),  # a CR, then a formula
    ("-12345", "=1+1", "\\udc80"),  # a valid printable id starting with "-"
]


def hostile_reasons() -> Handler:
    spelled = {d: (status, reason) for d, status, reason in HOSTILE_ROWS}

    def answer(request: Request) -> bytes:
        items = []
        for d in json.loads(request.body)["deviceList"]:
            status, reason = spelled[d]
            fields = f'"deviceId": {json.dumps(d)}, "status": {json.dumps(status)}'
            items.append("{" + fields + f', "resultReason": "{reason}"' + "}")
        return http(200, f'{{"accountName": "{ACCOUNT}", "deviceList": [{", ".join(items)}]}}')

    return answer


def expected_csv_cell(text: str) -> str:
    """The item-6 rule, written out: a lone surrogate as its escape, a formula start quoted."""
    text = text.replace("\ud800", "\\ud800").replace("\udc80", "\\udc80")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "'") else text


@pytest.fixture
def hostile_result(server: HostileServer) -> Any:
    server.route("POST", ASSIGN_PATH, hostile_reasons())
    ids = [d for d, *_ in HOSTILE_ROWS]
    with client_for(server) as client:
        result = client.software_management_licenses_v3.assign_licenses_bulk(
            ACCOUNT, ids, reconcile=False
        )
    assert posted(server) == [ids]
    assert result["990000000000007"].reason == "broken \ud800 half"  # as the server sent it
    return result


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_report_rows(rows: list[dict[str, str]], result: Any) -> None:
    assert [r["device_id"] for r in rows] == [expected_csv_cell(d) for d in result]
    for row, (_, record) in zip(rows, result.items(), strict=True):
        assert row["status"] == expected_csv_cell(record.status)
        assert row["reason"] == expected_csv_cell(record.reason)
        assert row["outcome"] == record.outcome.value
    for row in rows:  # no text cell a spreadsheet would read as a formula
        for name in ("device_id", "status", "reason", "error"):
            assert not row[name].startswith(("=", "+", "-", "@", "\t", "\r"))


def test_item6_to_csv_writes_every_row_with_formulas_neutralised(
    hostile_result: Any, tmp_path: Path
) -> None:
    path = tmp_path / "report.csv"
    hostile_result.to_csv(path)
    text = path.read_bytes().decode("utf-8")  # strict, and a CR in a cell kept
    assert_report_rows(read_csv(text), hostile_result)
    assert "'=HYPERLINK(" in text
    assert "broken \\ud800 half" in text
    buffer = io.StringIO()
    hostile_result.to_csv(buffer)  # a caller's text file gets the same bytes
    assert buffer.getvalue() == text
    buffer.getvalue().encode("utf-8")  # and they are all encodable


def test_item6_to_json_escapes_lone_surrogates_the_same_way(hostile_result: Any) -> None:
    text = hostile_result.to_json()
    text.encode("utf-8")  # strict: no lone surrogate, not even as a \ud800 JSON escape
    assert "\\ud800" not in text.replace("\\\\ud800", "")
    devices = {d["device_id"]: d for d in json.loads(text)["devices"]}
    assert devices["990000000000007"]["reason"] == "broken \\ud800 half"
    assert devices["-12345"]["reason"] == "\\udc80"
    # JSON keeps values as they are otherwise: no spreadsheet reads it
    assert devices["990000000000001"]["reason"] == '=HYPERLINK("http://evil.test","x")'


def test_item6_a_failed_write_leaves_the_old_report_whole(
    hostile_result: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verizon_sdk.bulk import _export

    path = tmp_path / "report.csv"
    path.write_text("the previous report\n", encoding="utf-8")
    real = _export.csv_cell
    calls = iter(range(10**6))

    def full_disk(value: Any) -> Any:
        if next(calls) == 40:  # well into the rows
            raise OSError(28, "No space left on device")
        return real(value)

    monkeypatch.setattr(_export, "csv_cell", full_disk)
    with pytest.raises(OSError, match="No space left"):
        hostile_result.to_csv(path)
    assert path.read_text(encoding="utf-8") == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]  # no temporary left


@pytest.fixture
def run_cli(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """``run_cli(*argv)``: ``verizon-licenses`` in this process against ``server``; returns
    the exit code, stdout and stderr."""
    from verizon_sdk import cli

    for name, value in {
        "VERIZON_CLIENT_ID": "client-id-1",
        "VERIZON_CLIENT_SECRET": "client-secret-Xy9",
        "VERIZON_M2M_TOKEN": "m2m-token-Zt4",
        "VERIZON_BASE_URL": server.base_url,
    }.items():
        monkeypatch.setenv(name, value)

    def run(
        *argv: str, environment: Mapping[str, str | None] | None = None
    ) -> tuple[int, str, str]:
        """``environment``: ``VERIZON_*`` values to change for this run (None: unset)."""
        with monkeypatch.context() as scoped:
            for name, value in (environment or {}).items():
                if value is None:
                    scoped.delenv(name, raising=False)
                else:
                    scoped.setenv(name, value)
            capsys.readouterr()
            code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_item6_cli_report_with_hostile_text_writes_every_row(
    server: HostileServer, run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path, suffix: str
) -> None:
    server.route("POST", ASSIGN_PATH, hostile_reasons())
    server.route("GET", STATUS_PATH, pages({"hasMoreData": False, "deviceList": []}))
    report = tmp_path / f"x{suffix}"
    ids = [d for d, *_ in HOSTILE_ROWS]
    given = tmp_path / "ids.txt"
    given.write_text("\n".join(ids), encoding="utf-8")  # "-12345" would read as an option
    code, out, err = run_cli("assign", ACCOUNT, "--file", str(given), "--report", str(report))
    assert code == 1, err  # devices failed: listed, no traceback
    assert err == ""
    assert out.splitlines()[-1] == f"report written to {report}"
    assert "broken \\ud800 half" in out  # the terminal gets the escape too
    text = report.read_bytes().decode("utf-8")
    if suffix == ".csv":
        rows = read_csv(text)
        assert [r["device_id"] for r in rows] == [expected_csv_cell(d) for d in ids]
    else:
        assert [d["device_id"] for d in json.loads(text)["devices"]] == ids


@pytest.mark.parametrize("where", ["/proc/x.csv", "/proc/x.json", "surrogate\ud800.csv"])
def test_item6_cli_unwritable_report_is_a_one_line_error_exit_2(
    server: HostileServer,
    run_cli: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    where: str,
) -> None:
    server.route("POST", ASSIGN_PATH, hostile_reasons())
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("assign", ACCOUNT, "990000000000009", "--report", where)
    assert code == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("error: ")
    if where.startswith("/proc"):  # the run happened: its outcome is shown before the error
        assert err.startswith(f"error: cannot write {where}: ")
        assert "0 succeeded, 1 failed" in out
    else:  # a name the system cannot encode: refused before anything is sent
        assert posted(server) == []


def test_item6_a_report_to_a_device_file_is_written_in_place(hostile_result: Any) -> None:
    hostile_result.to_csv(os.devnull)  # not a regular file: written directly, not replaced
    assert os.path.exists(os.devnull) and not os.path.isfile(os.devnull)


def test_item6_a_report_through_a_link_keeps_the_link_and_the_permissions(
    hostile_result: Any, tmp_path: Path
) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    hostile_result.to_csv(link)
    assert link.is_symlink()
    assert len(read_csv(real.read_bytes().decode())) == len(HOSTILE_ROWS)
    assert real.stat().st_mode & 0o777 == 0o600


def test_item6_a_report_is_on_the_disk_before_it_replaces_the_old_one(
    hostile_result: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        path = os.readlink(f"/proc/self/fd/{descriptor}")
        events.append(f"fsync {Path(path).name if Path(path).is_file() else 'folder'}")
        real_fsync(descriptor)

    def replace(source: str, target: str) -> None:
        events.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    hostile_result.to_csv(tmp_path / "r.csv")
    temporary = f".r.csv.{os.getpid()}.{threading.get_ident()}.tmp"
    assert events == [f"fsync {temporary}", "replace", "fsync folder"]


def test_item6_a_report_in_a_folder_it_may_not_write_is_overwritten_in_place(
    hostile_result: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a report file the user may write, in a folder they may not (checked as root, so the
    # refusal to create the temporary file is simulated)
    from verizon_sdk.bulk import _export

    report = tmp_path / "r.csv"
    report.write_text("old\n", encoding="utf-8")

    def no_new_files(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "x" in mode:
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr(_export, "open", no_new_files, raising=False)
    hostile_result.to_csv(report)
    assert len(read_csv(report.read_text(encoding="utf-8"))) == len(HOSTILE_ROWS)
    report.chmod(0o400)
    monkeypatch.setattr(os, "access", lambda *_: False)  # and one it may not write either
    with pytest.raises(PermissionError):
        hostile_result.to_csv(report)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_item6_cli_report_through_a_loop_of_links_is_a_one_line_error(
    server: HostileServer, run_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    code, _, err = run_cli(
        "assign", ACCOUNT, BULK_IDS[0], "--report", str(tmp_path / "a" / "x.csv")
    )
    assert code == 2
    assert err.startswith(f"error: --report {tmp_path / 'a' / 'x.csv'}: ") and err.count("\n") == 1
    assert posted(server) == []


def test_item6_status_csv_is_written_by_the_same_safe_writer(
    server: HostileServer, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    listed = [{"deviceId": '=HYPERLINK("http://evil.test","x")'}, {"deviceId": "a\rb"}]
    server.route("GET", STATUS_PATH, pages({"hasMoreData": False, "deviceList": listed}))
    code, out, err = run_cli("status", ACCOUNT, "--format", "csv")
    assert code == 0, err
    assert (
        out == 'deviceId,assignmentTime\n"\'=HYPERLINK(""http://evil.test"",""x"")",\n"a\rb",""\n'
    )


def test_item6_a_stale_temporary_file_does_not_block_the_report(
    hostile_result: Any, tmp_path: Path
) -> None:
    stale = tmp_path / f".r.csv.{os.getpid()}.{threading.get_ident()}.tmp"  # a killed run's
    stale.write_text("half", encoding="utf-8")
    hostile_result.to_csv(tmp_path / "r.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]
    assert len(read_csv((tmp_path / "r.csv").read_bytes().decode())) == len(HOSTILE_ROWS)


# -- item 5: deep nesting never reaches a recursive walk, however deep the caller's stack ------

#: Frames left free under ``sys.getrecursionlimit()`` when the SDK is called.
HEADROOM = 100


def with_headroom(call: Callable[[], Any], headroom: int = HEADROOM) -> Any:
    """``call()`` from a recursion that leaves only ``headroom`` frames below the limit."""

    def depth() -> int:
        frame, count = sys._getframe(), 0
        while frame is not None:
            frame, count = frame.f_back, count + 1
        return count

    def descend(remaining: int) -> Any:
        return call() if remaining <= 0 else descend(remaining - 1)

    return descend(sys.getrecursionlimit() - headroom - depth())


def nested(levels: int) -> str:
    return "[" * levels + '"x"' + "]" * levels


@pytest.mark.parametrize("levels", [800, 1000])
def test_item5_a_deeply_nested_status_on_a_deep_stack_is_not_a_recursion_error(
    server: HostileServer, levels: int
) -> None:
    def answer(request: Request) -> bytes:
        ids = json.loads(request.body)["deviceList"]
        items = ", ".join(f'{{"deviceId": "{d}", "status": {nested(levels)}}}' for d in ids)
        return http(200, f'{{"accountName": "{ACCOUNT}", "deviceList": [{items}]}}')

    server.route("POST", ASSIGN_PATH, answer)
    server.route("GET", STATUS_PATH, pages({"hasMoreData": False, "deviceList": []}))
    with client_for(server) as client:
        licenses = client.software_management_licenses_v3
        result = with_headroom(lambda: licenses.assign_licenses_bulk(ACCOUNT, BULK_IDS))
        shown = with_headroom(lambda: (repr(result), result.to_json(), str(result.rows())))
    # the 2xx body was refused as unreadable: ambiguous, so reconciliation read the list
    assert posted(server) == [BULK_IDS]
    assert [r.path for r in server.requests].count(STATUS_PATH) == 1
    assert result.not_attempted.keys() == set(BULK_IDS)  # the list does not show them
    error = result[BULK_IDS[0]].error or ""
    assert "UnexpectedResponseError" in error
    assert "nest more than 32 levels deep" in error
    assert "probably applied" in error  # a POST's unreadable 2xx says so
    assert "not_attempted" in shown[0]


def test_item5_a_deep_data_body_is_refused_before_any_model_sees_it(
    server: HostileServer, connect: Any
) -> None:
    body = json.dumps({"accountName": ACCOUNT, "hasMoreData": False})[:-1]
    server.route("GET", STATUS_PATH, lambda _: http(200, body + f', "x": {nested(600)}}}'))
    refused = pytest.raises(UnexpectedResponseError, match="nest more than 32 levels")
    with connect(lambda **o: client_for(server, **o)) as client, refused as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    # whatever the caller then does with the error, on whatever stack, no walk goes deep
    shown = with_headroom(lambda: (str(info.value), repr(info.value), pickle.dumps(info.value)))
    assert "nest more than 32 levels" in shown[0]


def test_item5_a_deep_error_body_keeps_no_deep_json(server: HostileServer) -> None:
    deep = f'{{"errorCode": "E1", "errorMessage": "boom", "x": {nested(600)}}}'
    server.route("GET", STATUS_PATH, lambda _: http(500, deep))
    with client_for(server) as client, pytest.raises(APIException) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert info.value.response_code == 500
    assert info.value.json_body is None  # refused as JSON; the text is kept
    shown = with_headroom(lambda: (str(info.value), repr(info.value), pickle.dumps(info.value)))
    assert "500" in shown[0]


def test_item5_a_body_at_the_depth_limit_is_read(server: HostileServer) -> None:
    from verizon_sdk._wire import MAX_JSON_DEPTH

    extra = nested(MAX_JSON_DEPTH - 1)  # inside the top object: exactly the limit
    body = json.dumps({"accountName": ACCOUNT, "hasMoreData": False})[:-1] + f', "x": {extra}}}'
    server.route("GET", STATUS_PATH, lambda _: http(200, body))
    with client_for(server) as client:
        summary = with_headroom(
            lambda: client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
        )
        assert with_headroom(lambda: repr(summary))
    assert summary.account_name == ACCOUNT


JSON_TREES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text('[]{}"\\/abfnrtu\n\t\b\f\r\u00e9\ud800\U0001f600', max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text('[]{}"\\k', max_size=4), inner, max_size=3)
    ),
    max_leaves=60,
)


def tree_depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(tree_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(tree_depth, value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(tree=JSON_TREES, wrap=st.integers(0, 40), ascii_only=st.booleans())
def test_item5_property_the_depth_check_is_exact(tree: Any, wrap: int, ascii_only: bool) -> None:
    from verizon_sdk._wire import MAX_JSON_DEPTH, nests_too_deep

    for _ in range(wrap):
        tree = [tree] if wrap % 2 else {"k[": tree}
    text = json.dumps(tree, ensure_ascii=ascii_only)
    assert nests_too_deep(text) == (tree_depth(tree) > MAX_JSON_DEPTH)


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.sampled_from('[]{}"\\ab,:1'), max_size=120))
@example(text="[" * 40)  # unbalanced
@example(text="[" * 20 + "{" * 20 + "]" * 20)
def test_item5_property_the_depth_check_takes_any_text(text: str) -> None:
    from verizon_sdk._wire import load_json, nests_too_deep

    assert nests_too_deep(text) in (True, False)
    with contextlib.suppress(ValueError):  # not JSON, or too deep: the one error it raises
        load_json(text)


def test_item5_json_on_a_nearly_exhausted_stack_is_a_value_error() -> None:
    from verizon_sdk._wire import load_json, parse_json_text

    text = nested(30)  # within the limit, but deeper than the stack left
    with pytest.raises(ValueError, match="too deep for the stack left"):
        with_headroom(lambda: load_json(text), headroom=12)
    assert with_headroom(lambda: parse_json_text(text), headroom=12) is None


# -- items 1, 2, the remaining surfaces: echoed secrets through the bulk reports and the CLI ---


def echoing_bulk_server(server: HostileServer, echoed: str) -> None:
    """The assign answer echoes ``echoed`` (already spelled for a JSON string) as every
    device's reason, with a status the SDK does not know, except a chunk holding
    ``BULK_IDS[-1]``, refused (400) with the echo; reading the license list is refused with
    the echo too. (4xx, so no retry waits.)"""
    error = '{"errorCode": "E1", "errorMessage": "echo ' + echoed + '"}'

    def answer(request: Request) -> bytes:
        ids = json.loads(request.body)["deviceList"]
        if BULK_IDS[-1] in ids:
            return http(400, error)
        items = ", ".join(
            f'{{"deviceId": "{d}", "status": "Queued", "resultReason": "echo {echoed}"}}'
            for d in ids
        )
        return http(200, f'{{"accountName": "{ACCOUNT}", "deviceList": [{items}]}}')

    server.route("POST", ASSIGN_PATH, answer)
    server.route("GET", STATUS_PATH, lambda _: http(400, error))


def cli_secret_environment(kind: str, secret: str) -> dict[str, str | None]:
    """``VERIZON_*`` variables that make ``secret`` the ``kind`` credential of the CLI."""
    if kind == "client_secret":
        return {"VERIZON_CLIENT_SECRET": secret}
    if kind == "m2m_token":
        return {"VERIZON_M2M_TOKEN": secret}
    if kind in ("password", "session_token"):
        password = secret if kind == "password" else "pass-Word9"
        return {"VERIZON_M2M_TOKEN": None, "VERIZON_USERNAME": "u", "VERIZON_PASSWORD": password}
    return {}


def bulk_surfaces(
    server: HostileServer,
    options: dict[str, Any],
    cli: Callable[..., tuple[int, str, str]],
    environment: dict[str, str | None],
    folder: Path,
    logs: Callable[[], str],
) -> list[str]:
    """Everything a user sees of a bulk run whose answers echo a secret: the result's
    ``repr``, ``to_json()``, ``to_csv()``, HTML display, journal file and logs; the CLI's
    output and ``--report`` files."""
    journal = folder / "run.db"
    if journal.exists():
        journal.unlink()
    with client_for(server, **options) as client:
        result = client.software_management_licenses_v3.assign_licenses_bulk(
            ACCOUNT, BULK_IDS, chunk_size=3, max_workers=1, journal=journal
        )
    # the echo reached every part of the result: reasons, a chunk error, reconciliation
    assert result[BULK_IDS[0]].reason == "echo ***"
    assert "echo ***" in (result[BULK_IDS[-1]].error or "")
    assert "echo ***" in (result.reconciliation_error or "")
    buffer = io.StringIO()
    result.to_csv(buffer)
    shown = [repr(result), result.to_json(), result.to_json(indent=2), buffer.getvalue()]
    shown += [result._repr_html_(), journal.read_bytes().decode("utf-8", "replace")]
    for suffix in (".csv", ".json"):
        report = folder / f"report{suffix}"
        code, out, err = cli(
            "assign", ACCOUNT, *BULK_IDS, "--chunk-size", "3", "--report", str(report),
            environment=environment,
        )  # fmt: skip
        assert code == 1, err
        assert "echo ***" in out
        shown += [out, err, report.read_bytes().decode("utf-8")]
    return [*shown, logs()]


def assert_hidden_in_reports(secret: str, shown: list[str]) -> None:
    """:func:`assert_hidden`, and the CSV and HTML spellings of the secret."""
    assert_hidden(secret, shown)
    for text in shown:
        assert secret.replace('"', '""') not in text
        assert html.escape(secret) not in text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), secret=SECRETS)
def test_property_a_random_secret_echoed_in_a_bulk_run_never_shows(
    server: HostileServer,
    caplog: pytest.LogCaptureFixture,
    run_cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    data: st.DataObject,
    secret: str,
) -> None:
    """The property above, on the bulk surfaces: a result's reports and the CLI's."""
    caplog.clear()
    choices = data.draw(st.lists(st.integers(0, 4), min_size=len(secret), max_size=len(secret)))
    echoing_bulk_server(server, mixed_escape(secret, choices))
    caplog.set_level(logging.DEBUG, logger="verizon_sdk")
    options = secret_options("client_secret", secret)
    environment = cli_secret_environment("client_secret", secret)
    shown = bulk_surfaces(server, options, run_cli, environment, tmp_path, lambda: caplog.text)
    assert_hidden_in_reports(secret, shown)


@pytest.mark.parametrize("escape", sorted(ESCAPES))
@pytest.mark.parametrize(
    "kind", ["client_secret", "access_token", "m2m_token", "password", "session_token"]
)
def test_an_echoed_secret_is_masked_in_bulk_reports_and_the_cli(
    server: HostileServer,
    caplog: pytest.LogCaptureFixture,
    run_cli: Callable[..., tuple[int, str, str]],
    tmp_path: Path,
    kind: str,
    escape: str,
) -> None:
    secret = SECRET
    if kind == "access_token":
        server.route("POST", TOKEN_PATH, lambda _: token_answer(secret))
    session = secret if kind == "session_token" else "sess-T0k"
    server.route("POST", LOGIN_PATH, lambda _: http(200, json.dumps({"sessionToken": session})))
    echoing_bulk_server(server, ESCAPES[escape](secret))
    caplog.set_level(logging.DEBUG, logger="verizon_sdk")
    shown = bulk_surfaces(
        server,
        secret_options(kind, secret),
        run_cli,
        cli_secret_environment(kind, secret),
        tmp_path,
        lambda: caplog.text,
    )
    assert_hidden_in_reports(secret, shown)


# -- item 9: a trickling server cannot outlive the deadline (section owned by "deadline") ----
# tests/test_deadline.py has the whole set: token, login, POST, HTTPS, reuse, threads, drain.


@pytest.mark.parametrize("part", ["head", "body"])
def test_an_answer_trickled_1_byte_per_0_2_s_ends_by_the_deadline(part: str) -> None:
    from tests.test_deadline import TrickleServer, status_times_out  # it imports this module

    trickle = TrickleServer(slow={("GET", STATUS_PATH): part})
    try:
        body = json.dumps({"accountName": ACCOUNT, "hasMoreData": False}).ljust(60)
        trickle.route("GET", STATUS_PATH, lambda _: http(200, body))
        status_times_out(trickle, 0)  # within time_budget() + 2 s, naming the deadline
    finally:
        trickle.close()
    assert [r.path for r in trickle.requests] == [TOKEN_PATH, STATUS_PATH]


# -- control characters from the server reach a terminal shown, never obeyed -----------------

#: A reason that would set the window title, clear the screen, rewrite the line and reverse it.
TERMINAL_ATTACK = "\x1b]0;pwned\x07\x1b[2J\rrewritten \u202eesrever\x9b"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def answering_with_reason(reason: str) -> Handler:
    def answer(request: Request) -> bytes:
        sent = json.loads(request.body)["deviceList"]
        devices = [{"deviceId": d, "status": "Failure", "resultReason": reason} for d in sent]
        return http(200, json.dumps({"accountName": ACCOUNT, "deviceList": devices}))

    return answer


def test_control_characters_from_the_server_are_escaped_on_a_terminal(
    server: HostileServer,
    run_cli: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from verizon_sdk import cli

    server.route("POST", ASSIGN_PATH, answering_with_reason(TERMINAL_ATTACK))
    terminal_out, terminal_err = FakeTerminal(), FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal_out)
    monkeypatch.setattr(sys, "stderr", terminal_err)
    del run_cli  # requested for the environment it sets: the calls below print to the fakes
    assert cli.main(["assign", ACCOUNT, BULK_IDS[0]]) == 1
    shown = terminal_out.getvalue()
    for control in ("\x1b", "\x07", "\r", "\u202e", "\x9b"):
        assert control not in shown
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\rrewritten \\u202eesrever\\x9b" in shown
    assert shown.count("\n") > 1  # the CLI's own newlines are kept

    # an error message carrying the same text is escaped on stderr
    server.route(
        "POST", ASSIGN_PATH, lambda _: http(400, json.dumps({"errorMessage": TERMINAL_ATTACK}))
    )
    terminal_err.seek(0)
    terminal_err.truncate()
    assert cli.main(["assign", ACCOUNT, BULK_IDS[0]]) == 3  # the service refused the run
    assert "\x1b" not in terminal_err.getvalue() + terminal_out.getvalue()
    assert "\\x1b]0;pwned" in terminal_err.getvalue() + terminal_out.getvalue()


def test_control_characters_reach_a_pipe_unchanged(
    server: HostileServer, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    # a pipe or file gets the service's text as data: only a terminal interprets it
    server.route("POST", ASSIGN_PATH, answering_with_reason(TERMINAL_ATTACK))
    code, out, _ = run_cli("assign", ACCOUNT, BULK_IDS[0])
    assert code == 1
    assert TERMINAL_ATTACK in out


def read_terminal(master: int, process: subprocess.Popen[bytes]) -> bytes:
    """Everything the child wrote to its terminal, until it exits."""
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    return b"".join(chunks)


def test_the_sdks_own_warnings_reach_a_terminal_escaped(server: HostileServer) -> None:
    # the service's text also travels in the SDK's log lines (a failed reconciliation's
    # warning); with no logging configured they go to the terminal through the same escaping
    import pty

    server.route("POST", ASSIGN_PATH, answering_with("UpgradePending"))
    server.route(
        "GET", STATUS_PATH, lambda _: http(503, json.dumps({"errorMessage": TERMINAL_ATTACK}))
    )
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "verizon_sdk", "assign", ACCOUNT, BULK_IDS[0]],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=slave,
            env=cli_environment(server.base_url),
        )
        os.close(slave)
        shown = read_terminal(master, process).decode("utf-8")
    finally:
        os.close(master)
    assert process.returncode == 1, shown
    assert "reconciliation failed" in shown.splitlines()[0]  # the warning, first
    assert shown.count("\\x1b]0;pwned\\x07\\x1b[2J") == 2  # the warning and the summary line
    for control in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert control not in shown
