"""What a hostile server (hand-written, raw bytes on 127.0.0.1) must not break.

The simulator is too polite for this: :class:`HostileServer` answers each request with
whatever bytes a test scripts, including malformed, escaped and oversized ones.
"""

from __future__ import annotations

import json
import logging
import pickle
import socket
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


SECRETS = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=6, max_size=16)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), secret=SECRETS.filter(lambda s: "*" not in s))
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
