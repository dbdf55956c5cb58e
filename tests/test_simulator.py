"""The embedded ThingSpace simulator, driven over real HTTP with plain ``requests``."""

from __future__ import annotations

import base64
import inspect
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
import requests

import verizon_sdk.simulator as simulator_package
from verizon_sdk.simulator import Fault, RecordedRequest, Simulator, SimulatorOptions

ACCOUNT = "0000123456-00001"
OTHER = "0000654321-00002"
IMEI_A, IMEI_B, IMEI_C = "990000000000001", "990000000000002", "990000000000003"
RFC3339_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
GO_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})? \+0000 UTC")


class Api:
    """A ``requests`` session bound to one simulator, fetching a Bearer token when needed."""

    def __init__(self, sim: Simulator, session: requests.Session) -> None:
        self.sim = sim
        self.session = session
        self._token: str | None = None

    @property
    def url(self) -> str:
        return self.sim.url

    def token(self, client: tuple[str, str] = ("sim-client", "sim-secret"), **data: str) -> str:
        response = self.session.post(
            self.url + "/ts/v1/oauth2/token",
            auth=client,
            data={"grant_type": "client_credentials", **data},
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def headers(
        self, m2m: str | None = "sim-m2m-token", bearer: str | None = None
    ) -> dict[str, str]:
        if bearer is None:
            if self._token is None:
                self._token = self.token()
            bearer = self._token
        headers = {"Authorization": f"Bearer {bearer}"}
        if m2m is not None:
            headers["VZ-M2M-Token"] = m2m
        return headers

    def login(self, username: str = "user", password: str = "pw") -> requests.Response:
        return self.session.post(
            self.url + "/m2m/v1/session/login",
            headers=self.headers(m2m=None),
            json={"username": username, "password": password},
        )

    def session_token(self) -> str:
        response = self.login()
        assert response.status_code == 200, response.text
        token: str = response.json()["sessionToken"]
        return token

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        return self.session.request(
            method,
            self.url + path,
            headers=self.headers() if headers is None else headers,
            **kwargs,
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def assign(self, devices: list[str], version: int = 3, account: str = ACCOUNT) -> Any:
        response = self.post(f"/fota/v{version}/licenses/{account}/assign", {"deviceList": devices})
        assert response.status_code == 200, response.text
        return response.json()

    def remove(self, devices: list[str], version: int = 3, account: str = ACCOUNT) -> Any:
        response = self.post(f"/fota/v{version}/licenses/{account}/remove", {"deviceList": devices})
        assert response.status_code == 200, response.text
        return response.json()

    def status(self, version: int = 3, account: str = ACCOUNT, **params: str) -> Any:
        response = self.get(f"/fota/v{version}/licenses/{account}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def control(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.session.request(method, self.url + "/_sim" + path, json=body)


@pytest.fixture
def make_api() -> Iterator[Callable[..., Api]]:
    """Start a simulator with the given options; everything is stopped at teardown."""
    started: list[tuple[Simulator, requests.Session]] = []

    def make(**options: Any) -> Api:
        sim = Simulator(**options).start()
        session = requests.Session()
        session.trust_env = False  # never route 127.0.0.1 through a proxy from the environment
        started.append((sim, session))
        return Api(sim, session)

    yield make
    for sim, session in started:
        session.close()
        sim.stop()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


def error(response: requests.Response) -> tuple[int, str]:
    body = response.json()
    return response.status_code, body.get("errorMessage") or body.get("error")


# -- package surface, options, lifecycle --------------------------------------------------------


def test_all_lists_the_public_names() -> None:
    public = {name for name in vars(simulator_package) if not name.startswith("_")}
    assert set(simulator_package.__all__) == public
    for name in simulator_package.__all__:
        assert getattr(simulator_package, name) is not None


def test_simulator_defaults_match_simulator_options() -> None:
    sim = Simulator()
    assert sim.options == SimulatorOptions()
    parameters = inspect.signature(Simulator).parameters
    for name, value in vars(SimulatorOptions()).items():
        default = parameters[name].default
        if name in ("m2m_tokens", "unknown_devices"):
            default = frozenset(default)
        assert default == value, name


@pytest.mark.parametrize(
    "options",
    [
        {"port": -1},
        {"pool_size": -1},
        {"max_page_size": 0},
        {"token_lifetime": 0},
        {"session_lifetime": -1},
        {"latency": -0.1},
        {"lockout_after": -1},
        {"login_refusal_status": 500},
        {"request_log_size": -1},
        {"m2m_tokens": [""]},
    ],
)
def test_options_invalid_values_raise_value_error(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        Simulator(**options)


def test_options_value_object_with_keyword_overrides() -> None:
    base = SimulatorOptions(max_page_size=7, m2m_tokens=["t1"], logins={"alice": "pw"})
    sim = Simulator(base, pool_size=20)
    assert sim.options == SimulatorOptions(
        max_page_size=7, pool_size=20, m2m_tokens=frozenset({"t1"}), logins={"alice": "pw"}
    )
    assert base.pool_size == SimulatorOptions().pool_size  # the given options are not changed
    assert Simulator(options=base).options is base
    assert isinstance(sim.options.m2m_tokens, frozenset)
    with pytest.raises(TypeError):
        sim.options.logins["bob"] = "pw"  # type: ignore[index]


def test_options_unknown_keyword_raises_type_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_page'"):
        Simulator(max_page=3)


def test_options_string_instead_of_collection_raises_type_error() -> None:
    with pytest.raises(TypeError, match="collections of strings"):
        Simulator(m2m_tokens="sim-m2m-token")


def test_lifecycle_start_stop_and_url() -> None:
    sim = Simulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = sim.url
    assert not sim.running
    with sim:
        assert sim.running
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", sim.url)
        assert sim.url.endswith(f":{sim.port}/api")
        with pytest.raises(RuntimeError, match="already running"):
            sim.start()
    assert not sim.running
    sim.stop()  # idempotent
    with sim:  # restartable, on a new free port
        assert sim.running


def test_restart_on_the_same_port(api: Api) -> None:
    assert api.token()
    port = api.sim.port
    api.sim.stop()
    restarted = Simulator(port=port)
    with restarted:
        assert restarted.port == port
        api.sim = restarted
        assert api.token()  # the pooled connection is dead; requests reconnects


def test_stop_closes_keep_alive_connections_and_joins_threads(api: Api) -> None:
    assert api.status()["assignedLicenses"] == 0
    url = api.url
    api.sim.stop()
    alive = [t for t in threading.enumerate() if t.name.startswith("thingspace-simulator")]
    assert alive == []
    with pytest.raises(requests.ConnectionError):
        api.session.get(f"{url}/fota/v3/licenses/{ACCOUNT}", headers=api.headers())


@pytest.mark.parametrize(
    ("options", "fault"), [({"latency": 30}, None), ({}, Fault(path="/nothing", latency=30))]
)
def test_stop_interrupts_latency_waits(
    make_api: Callable[..., Api], options: dict[str, Any], fault: Fault | None
) -> None:
    api = make_api(**options, faults=[fault] if fault else [])
    url = api.url
    outcomes: list[BaseException] = []

    def call() -> None:
        try:
            api.session.get(url + "/nothing")
        except BaseException as exc:
            outcomes.append(exc)

    worker = threading.Thread(target=call)
    started = time.monotonic()
    worker.start()
    time.sleep(0.2)
    api.sim.stop()
    worker.join(10)
    assert not worker.is_alive()
    assert time.monotonic() - started < 5
    # A request still waiting when the simulator stops gets no answer.
    assert len(outcomes) == 1
    assert isinstance(outcomes[0], requests.ConnectionError), repr(outcomes[0])


def test_ipv6_loopback_url_uses_brackets() -> None:
    sim = Simulator(host="::1")
    try:
        sim.start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert sim.url == f"http://[::1]:{sim.port}/api"
        with requests.Session() as session:
            session.trust_env = False
            response = session.post(sim.url + "/ts/v1/oauth2/token", auth=("a", "b"))
            assert response.status_code == 400
    finally:
        sim.stop()


# -- OAuth token endpoint -----------------------------------------------------------------------


def test_token_issues_bearer_token_and_counts_it(api: Api) -> None:
    response = api.session.post(
        api.url + "/ts/v1/oauth2/token",
        auth=("sim-client", "sim-secret"),
        data={"grant_type": "client_credentials", "scope": "ts.license ts.m2m"},
    )
    body = response.json()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "ts.license ts.m2m"
    assert len(body["access_token"]) >= 16
    assert api.sim.token_count == 1


def test_token_fractional_lifetime_is_reported_as_is(make_api: Callable[..., Api]) -> None:
    api = make_api(token_lifetime=1.5)
    response = api.session.post(
        api.url + "/ts/v1/oauth2/token", auth=("a", "b"), data={"grant_type": "client_credentials"}
    )
    assert response.json()["expires_in"] == 1.5
    assert "scope" not in response.json()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer abc",
        "Basic !!!not-base64!!!",
        "Basic " + _b64(b"no-colon"),
        "Basic " + _b64(b":secret"),
        "Basic " + _b64(b"client:"),
        "Basic " + _b64(b"\xff\xfe:\xfd"),
    ],
)
def test_token_bad_client_authentication_is_401(api: Api, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = api.session.post(
        api.url + "/ts/v1/oauth2/token", headers=headers, data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert api.sim.token_count == 0


def test_token_restricted_client_credentials(make_api: Callable[..., Api]) -> None:
    api = make_api(client_credentials={"id-1": "secret-1"})
    url = api.url + "/ts/v1/oauth2/token"
    data = {"grant_type": "client_credentials"}
    assert api.session.post(url, auth=("id-1", "wrong"), data=data).status_code == 401
    assert api.session.post(url, auth=("other", "secret-1"), data=data).status_code == 401
    assert api.session.post(url, auth=("id-1", "secret-1"), data=data).status_code == 200


@pytest.mark.parametrize(
    ("data", "expected"),
    [({}, "invalid_request"), ({"grant_type": "password"}, "unsupported_grant_type")],
)
def test_token_missing_or_unsupported_grant_is_400(
    api: Api, data: dict[str, str], expected: str
) -> None:
    response = api.session.post(api.url + "/ts/v1/oauth2/token", auth=("a", "b"), data=data)
    assert response.status_code == 400
    assert response.json()["error"] == expected


# -- M2M session login --------------------------------------------------------------------------


def test_login_returns_session_token_usable_as_m2m_token(api: Api) -> None:
    token = api.session_token()
    assert api.sim.login_count == 1
    response = api.get(f"/fota/v3/licenses/{ACCOUNT}", headers=api.headers(m2m=token))
    assert response.status_code == 200


def test_login_needs_a_valid_bearer_token(api: Api) -> None:
    url = api.url + "/m2m/v1/session/login"
    response = api.session.post(url, json={"username": "u", "password": "p"})
    assert response.status_code == 401
    assert response.json()["errorCode"] == "AccessToken.Missing"
    response = api.session.post(
        url, json={"username": "u", "password": "p"}, headers={"Authorization": "Bearer nope"}
    )
    assert response.json()["errorCode"] == "AccessToken.Invalid"
    assert api.sim.login_count == 0
    assert api.sim.refused_login_count == 0


@pytest.mark.parametrize(
    "body", [{"username": "u"}, {"username": "", "password": "p"}, [1, 2], "not json"]
)
def test_login_without_username_and_password_is_400(api: Api, body: Any) -> None:
    headers = api.headers(m2m=None)
    url = api.url + "/m2m/v1/session/login"
    if body == "not json":
        response = api.session.post(url, data=b"{oops", headers=headers)
    else:
        response = api.session.post(url, json=body, headers=headers)
    assert error(response) == (400, "username and password are required")
    assert api.sim.refused_login_count == 1


def test_login_refused_then_locked_after_five_failures(make_api: Callable[..., Api]) -> None:
    api = make_api(logins={"alice": "secret"})
    for _ in range(4):
        response = api.login("alice", "wrong")
        assert response.status_code == 400
        assert response.json()["errorCode"] == "INVALID_CREDENTIALS"
    assert api.login("alice", "secret").status_code == 200  # success resets the streak
    for _ in range(5):
        assert api.login("alice", "wrong").status_code == 400
    locked = api.login("alice", "secret")
    assert locked.status_code == 400
    assert locked.json()["errorCode"] == "ACCOUNT_LOCKED"
    assert api.sim.refused_login_count == 10
    assert api.sim.login_count == 1
    assert api.sim.stats()["lockedUsers"] == ["alice"]
    api.sim.unlock("alice")
    assert api.login("alice", "secret").status_code == 200
    assert api.login("bob", "secret").status_code == 400  # unknown users are refused too


def test_login_refusal_status_and_lockout_can_be_configured(make_api: Callable[..., Api]) -> None:
    api = make_api(logins={"alice": "secret"}, login_refusal_status=401, lockout_after=0)
    for _ in range(7):
        assert api.login("alice", "wrong").status_code == 401
    assert api.login("alice", "secret").status_code == 200


def test_unlock_everyone_via_control_route(make_api: Callable[..., Api]) -> None:
    api = make_api(logins={"alice": "secret"}, lockout_after=1)
    assert api.login("alice", "wrong").status_code == 400
    assert api.login("alice", "secret").json()["errorCode"] == "ACCOUNT_LOCKED"
    assert api.control("POST", "/unlock").json() == {"unlocked": None}
    assert api.login("alice", "secret").status_code == 200
    assert api.login("alice", "wrong").status_code == 400
    assert api.control("POST", "/unlock", {"username": "alice"}).status_code == 200
    assert api.login("alice", "secret").status_code == 200


# -- the two auth headers on the licenses routes ------------------------------------------------


LICENSE_CALLS = [
    ("GET", f"/fota/v2/licenses/{ACCOUNT}"),
    ("GET", f"/fota/v3/licenses/{ACCOUNT}"),
    ("POST", f"/fota/v2/licenses/{ACCOUNT}/assign"),
    ("POST", f"/fota/v2/licenses/{ACCOUNT}/remove"),
    ("POST", f"/fota/v3/licenses/{ACCOUNT}/assign"),
    ("POST", f"/fota/v3/licenses/{ACCOUNT}/remove"),
    ("GET", f"/fota/v2/licenses/{ACCOUNT}/cancel"),
    ("POST", f"/fota/v2/licenses/{ACCOUNT}/cancel"),
    ("DELETE", f"/fota/v2/licenses/{ACCOUNT}/cancel"),
]


@pytest.mark.parametrize(("method", "path"), LICENSE_CALLS)
def test_licenses_routes_need_both_tokens(api: Api, method: str, path: str) -> None:
    body = {"deviceList": [IMEI_A]}
    bearer = api.headers()["Authorization"]
    cases = [
        ({}, "AccessToken.Missing"),
        ({"Authorization": "Bearer not-issued"}, "AccessToken.Invalid"),
        ({"Authorization": "Basic abc"}, "AccessToken.Invalid"),
        ({"VZ-M2M-Token": "sim-m2m-token"}, "AccessToken.Missing"),
        ({"Authorization": bearer}, "SessionToken.Missing"),
        ({"Authorization": bearer, "VZ-M2M-Token": "not-issued"}, "SessionToken.Invalid"),
    ]
    for headers, code in cases:
        response = api.request(method, path, headers=headers, json=body)
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["errorCode"] == code
    response = api.request(method, path, json=body)
    assert response.status_code == 200, response.text


def test_expired_tokens_are_401_with_expired_codes(api: Api) -> None:
    session = api.session_token()
    path = f"/fota/v3/licenses/{ACCOUNT}"
    assert api.get(path, headers=api.headers(m2m=session)).status_code == 200
    assert api.sim.expire_tokens() == {"accessTokens": 1, "sessionTokens": 1}
    response = api.get(path, headers=api.headers(m2m=session))
    assert response.status_code == 401
    assert response.json()["errorCode"] == "AccessToken.Expired"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    fresh = api.token()
    response = api.get(path, headers=api.headers(m2m=session, bearer=fresh))
    assert response.json()["errorCode"] == "SessionToken.Expired"
    # Static M2M tokens do not expire.
    assert api.get(path, headers=api.headers(bearer=fresh)).status_code == 200


def test_expire_tokens_control_route(api: Api) -> None:
    api.headers()
    response = api.control("POST", "/expire-tokens")
    assert response.json() == {"expired": {"accessTokens": 1, "sessionTokens": 0}}
    assert api.get(f"/fota/v3/licenses/{ACCOUNT}").status_code == 401


def test_token_lifetime_and_session_inactivity_follow_the_clock(api: Api) -> None:
    path = f"/fota/v3/licenses/{ACCOUNT}"
    session = api.session_token()
    headers = api.headers(m2m=session)
    api.sim.advance_time(1000)
    assert api.get(path, headers=headers).status_code == 200
    api.sim.advance_time(1000)  # 2000 s since login, 1000 s since last use: still alive
    assert api.get(path, headers=headers).status_code == 200
    api.sim.advance_time(1601)  # the access token (3600 s) has now expired
    assert api.get(path, headers=headers).json()["errorCode"] == "AccessToken.Expired"
    headers = api.headers(m2m=session, bearer=api.token())
    assert api.get(path, headers=headers).json()["errorCode"] == "SessionToken.Expired"


def test_advance_time_validation(api: Api) -> None:
    with pytest.raises(ValueError, match="forward"):
        api.sim.advance_time(-1)
    for bad in ({"seconds": -1}, {"seconds": "1"}, {"seconds": True}, {}):
        assert api.control("POST", "/advance-time", bad).status_code == 400
    assert api.control("POST", "/advance-time", {"seconds": 5}).json() == {"advanced": 5}


# -- routing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/fota/v3/licenses/0000123456-00001/cancel",  # V3 has no cancel list
        "/fota/v4/licenses/0000123456-00001",
        "/fota/v3/licenses/0000123456-00001/",
        "/fota/v3/licenses",
        "/nothing",
    ],
)
def test_unknown_route_is_404_json(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["errorCode"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", f"/fota/v3/licenses/{ACCOUNT}", "GET"),
        ("GET", f"/fota/v3/licenses/{ACCOUNT}/assign", "POST"),
        ("PUT", f"/fota/v2/licenses/{ACCOUNT}/cancel", "GET, POST, DELETE"),
        ("PATCH", "/m2m/v1/session/login", "POST"),
        ("OPTIONS", "/ts/v1/oauth2/token", "POST"),
    ],
)
def test_wrong_method_is_405_with_allow(api: Api, method: str, path: str, allow: str) -> None:
    response = api.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert response.json()["errorCode"] == "METHOD_NOT_ALLOWED"


def test_head_gets_headers_without_body(api: Api) -> None:
    response = api.request("HEAD", f"/fota/v3/licenses/{ACCOUNT}")
    assert response.status_code == 405
    assert response.content == b""
    # The connection is still in sync for the next request.
    assert api.status()["assignedLicenses"] == 0


def test_percent_encoded_account_is_decoded(api: Api) -> None:
    assert api.status(account="0000123456%2D00001")["accountName"] == ACCOUNT
    response = api.get("/fota/v3/licenses/a%2F..%2Fb")
    assert error(response) == (400, "Invalid account name format")


def test_body_is_json_whatever_the_content_type(api: Api) -> None:
    for content_type in ("*/*", "text/plain", None):
        headers = api.headers()
        if content_type:
            headers["Content-Type"] = content_type
        device = {"*/*": IMEI_A, "text/plain": IMEI_B, None: IMEI_C}[content_type]
        response = api.session.post(
            f"{api.url}/fota/v2/licenses/{ACCOUNT}/assign",
            data=json.dumps({"deviceList": [device]}),
            headers=headers,
        )
        assert response.json()["deviceList"][0]["status"] == "Success"
    assert api.sim.assigned(ACCOUNT) == {IMEI_A, IMEI_B, IMEI_C}


def test_chunked_request_body_is_read(api: Api) -> None:
    chunks = iter([b'{"deviceList": ', b'["990000000000001"]', b"}"])
    response = api.session.post(
        f"{api.url}/fota/v3/licenses/{ACCOUNT}/assign", data=chunks, headers=api.headers()
    )
    assert response.status_code == 200
    assert api.sim.assigned(ACCOUNT) == {IMEI_A}
    assert api.status()["assignedLicenses"] == 1  # same connection, still in sync


def _raw_exchange(api: Api, request: bytes) -> bytes:
    import socket

    with socket.create_connection(("127.0.0.1", api.sim.port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        (b"Content-Length: abc\r\n", b"", b"400"),
        (b"Content-Length: -5\r\n", b"", b"400"),
        (b"Content-Length: 999999999999\r\n", b"", b"413"),
        (b"Transfer-Encoding: chunked\r\n", b"zz\r\n", b"400"),
        (b"Transfer-Encoding: chunked\r\n", b"7fffffff\r\n", b"413"),
    ],
)
def test_unreadable_request_bodies_are_rejected(
    api: Api, headers: bytes, body: bytes, status: bytes
) -> None:
    request = b"POST /api/ts/v1/oauth2/token HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n" + body
    answer = _raw_exchange(api, request)
    assert answer.startswith(b"HTTP/1.1 " + status)
    assert b"Connection: close" in answer


def test_chunked_body_with_trailers(api: Api) -> None:
    body = b"grant_type=client_credentials"
    auth = base64.b64encode(b"a:b")
    request = (
        b"POST /api/ts/v1/oauth2/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Authorization: Basic "
        + auth
        + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x};ext=1\r\n".encode()
        + body
        + b"\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    answer = _raw_exchange(api, request)
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"access_token" in answer


def test_internal_error_answers_500_json(
    api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(api.sim._router.licenses, "status", broken)
    response = api.get(f"/fota/v3/licenses/{ACCOUNT}")
    assert response.status_code == 500
    assert response.json()["errorCode"] == "SIMULATOR_ERROR"
    assert capsys.readouterr().err == ""  # quiet by default


def test_verbose_logs_requests_and_tracebacks(
    make_api: Callable[..., Api],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = make_api(verbose=True)
    api.status()

    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(api.sim._router.licenses, "status", broken)
    assert api.get(f"/fota/v3/licenses/{ACCOUNT}").status_code == 500
    api.sim._server.handle_error(None, ("127.0.0.1", 1))  # type: ignore[union-attr]
    err = capsys.readouterr().err
    assert '"GET /api/fota/v3/licenses/0000123456-00001 HTTP/1.1" 200' in err
    assert "RuntimeError: boom" in err


def test_connection_errors_are_quiet(
    api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    server = api.sim._server
    assert server is not None

    def broken(request: Any, address: Any) -> None:
        raise ConnectionResetError("the peer went away")

    monkeypatch.setattr(server, "finish_request", broken)
    ours, theirs = socket.socketpair()
    with theirs:
        server.process_request_thread(ours, ("127.0.0.1", 1))
    assert ours.fileno() == -1  # closed
    assert capsys.readouterr().err == ""


def test_quiet_by_default(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    api.status()
    api.get("/nothing")
    assert capsys.readouterr().err == ""


# -- licenses: accounts -------------------------------------------------------------------------


@pytest.mark.parametrize("account", ["123", "0000123456-0001", "0000123456_00001", "x" * 16])
@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("POST", "/assign")])
def test_invalid_account_name_is_400(api: Api, account: str, method: str, suffix: str) -> None:
    response = api.request(
        method, f"/fota/v3/licenses/{account}{suffix}", json={"deviceList": [IMEI_A]}
    )
    assert error(response) == (400, "Invalid account name format")
    assert response.json()["errorCode"] == "INVALID_PARAMETER"


def test_strict_accounts_answer_inactive_for_unknown_accounts(make_api: Callable[..., Api]) -> None:
    api = make_api(strict_accounts=True, accounts={ACCOUNT: {"pool": 5}})
    assert api.status()["totalLicenses"] == 5
    for method, suffix in [("GET", ""), ("POST", "/assign"), ("DELETE", "/cancel")]:
        response = api.request(
            method, f"/fota/v2/licenses/{OTHER}{suffix}", json={"deviceList": [IMEI_A]}
        )
        assert error(response) == (400, "Inactive account")


def test_accounts_are_created_on_first_use_with_the_default_pool(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(pool_size=7)
    assert api.status(version=2, account=OTHER)["totalLicense"] == 7
    assert api.sim.stats()["accounts"] == {OTHER: {"pool": 7, "assigned": 0, "candidates": 0}}


# -- licenses: assign and remove ----------------------------------------------------------------


def test_assign_v3_result_shape_and_outcomes(make_api: Callable[..., Api]) -> None:
    api = make_api(pool_size=3, unknown_devices=["990000000000666"])
    api.sim.seed(ACCOUNT, pool=3, assigned=[IMEI_A])
    devices = [
        IMEI_A,  # already assigned
        IMEI_B,  # success
        "12345",  # not 15 digits
        "99000000000000x",
        "990000000000666",  # unknown to the service
        IMEI_C,  # success: the pool is now used up
        "990000000000004",  # no license left
        IMEI_B,  # duplicate: sees the first one's effect
    ]
    result = api.assign(devices)
    assert result["accountName"] == ACCOUNT
    assert result["licCount"] == 3
    assert result["licUsedCount"] == 3
    assert "licTotalCount" not in result
    outcomes = [(d["deviceId"], d["status"], d["resultReason"]) for d in result["deviceList"]]
    assert outcomes == [
        (IMEI_A, "Failure", "Device license preexisting"),
        (IMEI_B, "Success", "Success"),
        ("12345", "Failure", "Device does not exist."),
        ("99000000000000x", "Failure", "Device does not exist."),
        ("990000000000666", "Failure", "Device does not exist."),
        (IMEI_C, "Success", "Success"),
        ("990000000000004", "Failure", "No license available"),
        (IMEI_B, "Failure", "Device license preexisting"),
    ]
    for item in result["deviceList"]:
        assert RFC3339_MS.fullmatch(item["updatedTime"])
    assert api.sim.assigned(ACCOUNT) == {IMEI_A, IMEI_B, IMEI_C}


def test_remove_v2_result_shape_and_outcomes(api: Api) -> None:
    api.sim.seed(ACCOUNT, pool=10, assigned=[IMEI_A, IMEI_B])
    response = api.post(
        f"/fota/v2/licenses/{ACCOUNT}/remove",
        {"accountName": ACCOUNT, "deviceList": [IMEI_A, IMEI_C, IMEI_A, "bad"]},
    )
    result = response.json()
    assert result == {
        "accountName": ACCOUNT,
        "licTotalCount": 10,
        "licUsedCount": 1,
        "deviceList": [
            {"deviceId": IMEI_A, "status": "Success", "resultReason": "Success"},
            {
                "deviceId": IMEI_C,
                "status": "Failure",
                "resultReason": "No license attached to device",
            },
            {
                "deviceId": IMEI_A,
                "status": "Failure",
                "resultReason": "No license attached to device",
            },
            {"deviceId": "bad", "status": "Failure", "resultReason": "Device does not exist."},
        ],
    }
    assert api.sim.assigned(ACCOUNT) == {IMEI_B}


def test_assign_then_remove_keep_used_count_equal_to_assigned_devices(api: Api) -> None:
    devices = [f"99000000000{n:04d}" for n in range(60)]  # > the small-batch threshold
    assert api.assign(devices, version=2)["licUsedCount"] == 60
    assert api.remove(devices[:50], version=2)["licUsedCount"] == 10
    assert api.remove(devices[50:55])["licUsedCount"] == 5
    status = api.status()
    assert status["assignedLicenses"] == 5
    assert [d["deviceId"] for d in status["deviceList"]] == devices[55:]


@pytest.mark.parametrize("suffix", ["/assign", "/remove"])
@pytest.mark.parametrize("version", [2, 3])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"deviceList": []}, "Device list is empty"),
        ({}, "Device list is empty"),
        (None, "Device list is empty"),
        ({"deviceList": None}, "Device list is empty"),
        ({"deviceList": "990000000000001"}, "Invalid request body"),
        ([IMEI_A], "Invalid request body"),
        ({"deviceList": [990000000000001]}, "Invalid device id format"),
    ],
)
def test_assign_remove_bad_bodies_are_400(
    api: Api, suffix: str, version: int, body: Any, message: str
) -> None:
    response = api.post(f"/fota/v{version}/licenses/{ACCOUNT}{suffix}", body)
    assert error(response) == (400, message)


def test_non_json_body_is_400_invalid_request_body(api: Api) -> None:
    response = api.session.post(
        f"{api.url}/fota/v3/licenses/{ACCOUNT}/assign", data=b"{nope", headers=api.headers()
    )
    assert error(response) == (400, "Invalid request body")
    response = api.session.post(
        f"{api.url}/fota/v3/licenses/bad-account/assign", data=b"{nope", headers=api.headers()
    )
    assert error(response) == (400, "Invalid account name format")


def test_invalid_device_format_error_mode_rejects_the_whole_request(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(invalid_device_format_error=True, unknown_devices=[IMEI_C])
    response = api.post(f"/fota/v3/licenses/{ACCOUNT}/assign", {"deviceList": [IMEI_A, "123"]})
    assert error(response) == (400, "Invalid device id format")
    assert api.sim.assigned(ACCOUNT) == set()
    outcomes = api.assign([IMEI_A, IMEI_C])["deviceList"]
    assert [d["resultReason"] for d in outcomes] == ["Success", "Device does not exist."]


# -- licenses: status pages ---------------------------------------------------------------------


@pytest.mark.parametrize(("version", "total_key"), [(2, "totalLicense"), (3, "totalLicenses")])
def test_status_pages_through_devices_in_order(
    make_api: Callable[..., Api], version: int, total_key: str
) -> None:
    api = make_api(max_page_size=3)
    devices = [f"99000000000000{n}" for n in (7, 1, 5, 3, 2, 6, 4)]
    api.sim.seed(ACCOUNT, pool=50, assigned=devices)
    pages = []
    last = "0"
    while True:
        page = api.status(version=version, lastSeenDeviceId=last)
        pages.append(page)
        assert page[total_key] == 50
        assert page["assignedLicenses"] == 7
        assert page["maxPageSize"] == 3
        if not page["hasMoreData"]:
            break
        last = page["lastSeenDeviceId"]
    assert [[d["deviceId"] for d in p["deviceList"]] for p in pages] == [
        ["990000000000001", "990000000000002", "990000000000003"],
        ["990000000000004", "990000000000005", "990000000000006"],
        ["990000000000007"],
    ]
    assert [p["lastSeenDeviceId"] for p in pages] == [
        "990000000000003",
        "990000000000006",
        "990000000000007",
    ]
    time_format = GO_TIME if version == 3 else RFC3339_MS
    for page in pages:
        for device in page["deviceList"]:
            assert time_format.fullmatch(device["assignmentTime"])
    # Absent lastSeenDeviceId is the first page too; a full last page says no more data.
    assert api.status(version=version)["deviceList"] == pages[0]["deviceList"]
    api.sim.seed(ACCOUNT, pool=50, assigned=devices[:6])
    assert api.status(version=version, lastSeenDeviceId="990000000000003")["hasMoreData"] is False


def test_status_empty_pages_echo_last_seen(api: Api) -> None:
    empty = api.status()
    assert empty["deviceList"] == []
    assert empty["hasMoreData"] is False
    assert empty["lastSeenDeviceId"] == "0"
    assert api.status(lastSeenDeviceId="999999999999999")["lastSeenDeviceId"] == "999999999999999"


@pytest.mark.parametrize("value", ["abc", "", "-1", "1.5", "\uff11\uff12"])
@pytest.mark.parametrize("version", [2, 3])
def test_status_non_numeric_last_seen_is_400(api: Api, value: str, version: int) -> None:
    response = api.get(f"/fota/v{version}/licenses/{ACCOUNT}", params={"lastSeenDeviceId": value})
    assert error(response) == (400, "LastSeenDeviceId Not Valid")


def test_status_time_formats_are_exact(api: Api) -> None:
    base = datetime(2017, 11, 29, 20, 15, 42, tzinfo=timezone.utc)
    api.sim.seed(
        ACCOUNT,
        assigned={
            IMEI_A: base + timedelta(milliseconds=738),
            IMEI_B: base + timedelta(milliseconds=700),
            IMEI_C: base.replace(tzinfo=None),  # naive: taken as UTC
        },
    )
    v2 = [d["assignmentTime"] for d in api.status(version=2)["deviceList"]]
    v3 = [d["assignmentTime"] for d in api.status(version=3)["deviceList"]]
    assert v2 == [
        "2017-11-29T20:15:42.738Z",
        "2017-11-29T20:15:42.700Z",
        "2017-11-29T20:15:42.000Z",
    ]
    assert v3 == [
        "2017-11-29 20:15:42.738 +0000 UTC",
        "2017-11-29 20:15:42.7 +0000 UTC",
        "2017-11-29 20:15:42 +0000 UTC",
    ]
    assert api.sim.assignments(ACCOUNT)[IMEI_A] == base + timedelta(milliseconds=738)


def test_seeded_assignment_times_spread_over_the_last_two_weeks(api: Api) -> None:
    before = datetime.now(timezone.utc)
    api.sim.seed(ACCOUNT, pool=1000, assigned=range(990000000000000, 990000000000640))
    after = datetime.now(timezone.utc)
    times = api.sim.assignments(ACCOUNT)
    assert len(times) == 640
    assert all(before - timedelta(days=14) <= t <= after for t in times.values())
    per_day = Counter(t.date() for t in times.values())
    assert len(per_day) >= 10  # several days, not one instant
    assert len(set(per_day.values())) > 1  # not flat: a chart per day has a shape
    first, last = times["990000000000000"], times["990000000000639"]
    assert first < last - timedelta(days=10)  # the first ids are the oldest
    # deterministic: the same seed gives the same offsets from now
    offsets = sorted(after - t for t in times.values())
    api.sim.seed(ACCOUNT, pool=1000, assigned=range(990000000000000, 990000000000640))
    again = sorted(datetime.now(timezone.utc) - t for t in api.sim.assignments(ACCOUNT).values())
    drift = [abs(a - b) for a, b in zip(offsets, again, strict=True)]
    assert max(drift) < timedelta(minutes=1)
    # on the wire too: the V3 page shows the spread times (Go format), V2 the same moments
    v3 = [d["assignmentTime"] for d in api.status(version=3)["deviceList"]]
    assert len({cell[:10] for cell in v3}) >= 10
    # an explicit assigned_at still stamps every device alike
    stamp = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    api.sim.seed(ACCOUNT, assigned=range(990000000000000, 990000000000005), assigned_at=stamp)
    assert set(api.sim.assignments(ACCOUNT).values()) == {stamp}


def test_status_page_of_1000_with_100k_assigned_is_fast(api: Api) -> None:
    started = time.perf_counter()
    api.sim.seed(ACCOUNT, pool=200_000, assigned=range(990000000000000, 990000000100000))
    seeded = time.perf_counter() - started
    api.status()  # warm up the connection and token
    started = time.perf_counter()
    page = api.status(lastSeenDeviceId="990000000050000")
    elapsed = time.perf_counter() - started
    assert page["assignedLicenses"] == 100_000
    assert len(page["deviceList"]) == 1000
    assert page["deviceList"][0]["deviceId"] == "990000000050001"
    assert page["hasMoreData"] is True
    assert seeded < 2.0
    assert elapsed < 0.5


# -- licenses: V2 removal candidates ------------------------------------------------------------


def test_cancel_list_append_replace_page_and_delete(make_api: Callable[..., Api]) -> None:
    api = make_api(max_page_size=3)
    path = f"/fota/v2/licenses/{ACCOUNT}/cancel"
    empty = api.get(path).json()
    assert empty == {"count": 0, "hasMoreData": False, "deviceList": []}
    first = [f"99000000000000{n}" for n in range(5)]
    response = api.post(path, {"type": "append", "count": 5, "deviceList": first + first[:1]})
    assert response.json() == {"count": 5, "deviceList": first}
    more = ["990000000000004", "990000000000005", "990000000000006"]
    assert api.post(path, {"type": "append", "count": 3, "deviceList": more}).json() == {
        "count": 3,
        "deviceList": more,
    }
    pages = []
    start = 0
    while True:
        page = api.get(path, params={"startIndex": str(start)}).json()
        pages.append(page)
        assert GO_TIME.fullmatch(page["updateTime"])
        if not page["hasMoreData"]:
            break
        start += page["count"]
    assert [p["deviceList"] for p in pages] == [
        first[:3],
        [first[3], first[4], "990000000000005"],
        ["990000000000006"],
    ]
    assert [p["count"] for p in pages] == [3, 3, 1]
    assert api.get(path, params={"startIndex": "99"}).json()["deviceList"] == []
    assert api.post(path, {"type": "replace", "deviceList": [IMEI_C]}).json()["count"] == 1
    assert api.sim.candidates(ACCOUNT) == [IMEI_C]
    assert api.post(path, {"type": "append", "deviceList": [IMEI_A]}).status_code == 200
    assert api.sim.candidates(ACCOUNT) == [IMEI_C, IMEI_A]
    # Verizon's page: a POST without type=append replaces the list (any other type too)
    assert api.post(path, {"deviceList": [IMEI_B]}).status_code == 200
    assert api.sim.candidates(ACCOUNT) == [IMEI_B]
    assert api.post(path, {"type": "merge", "deviceList": [IMEI_A]}).status_code == 200
    assert api.sim.candidates(ACCOUNT) == [IMEI_A]
    assert api.delete(path).json() == {"success": True}
    assert api.get(path).json() == {"count": 0, "hasMoreData": False, "deviceList": []}
    assert api.sim.candidates(ACCOUNT) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "append", "deviceList": []}, "Device list is empty"),
        ({"type": "append"}, "Device list is empty"),
        ({"type": "append", "deviceList": ["123"]}, "Invalid device id format"),
        ("just a string", "Invalid request body"),
    ],
)
def test_cancel_list_bad_bodies_are_400(api: Api, body: Any, message: str) -> None:
    response = api.post(f"/fota/v2/licenses/{ACCOUNT}/cancel", body)
    assert error(response) == (400, message)


@pytest.mark.parametrize("value", ["x", "-1", ""])
def test_cancel_list_bad_start_index_is_400(api: Api, value: str) -> None:
    response = api.get(f"/fota/v2/licenses/{ACCOUNT}/cancel", params={"startIndex": value})
    assert error(response) == (400, "StartIndex Not Valid")


# -- seeding ------------------------------------------------------------------------------------


def test_seed_through_constructor_and_method(make_api: Callable[..., Api]) -> None:
    api = make_api(accounts={ACCOUNT: {"pool": 5000, "assigned": [IMEI_A, IMEI_B]}})
    assert api.status()["assignedLicenses"] == 2
    assert api.status()["totalLicenses"] == 5000
    api.sim.seed(OTHER, assigned=[990000000000009], candidates=[IMEI_C])
    assert api.sim.assigned(OTHER) == {"990000000000009"}
    assert api.sim.candidates(OTHER) == [IMEI_C]
    assert api.status(account=OTHER)["totalLicenses"] == 1000
    api.sim.seed(ACCOUNT, pool=1)  # replaces the account
    assert api.sim.assigned(ACCOUNT) == set()
    assert api.sim.assigned("0000000000-00000") == set()
    assert api.sim.assignments("0000000000-00000") == {}
    assert api.sim.candidates("0000000000-00000") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"account": "nope"}, "account name"),
        ({"assigned": ["123"]}, "15-digit"),
        ({"assigned": [None]}, "15-digit"),
        ({"assigned": [10**15]}, "15-digit"),
        ({"assigned": range(-1, 3)}, r"\[0, 10\*\*15\)"),
        ({"assigned": [IMEI_A, IMEI_B], "pool": 1}, "exceed the pool"),
        ({"pool": -1}, "pool must be"),
        ({"assigned": {"x": datetime(2020, 1, 1)}}, "15-digit"),
    ],
)
def test_seed_rejects_bad_input(api: Api, kwargs: dict[str, Any], message: str) -> None:
    account = kwargs.pop("account", ACCOUNT)
    with pytest.raises(ValueError, match=message):
        api.sim.seed(account, **kwargs)


def test_seed_and_inspect_through_control_routes(api: Api) -> None:
    assert api.control("GET", f"/accounts/{ACCOUNT}").status_code == 404
    response = api.control(
        "POST",
        f"/accounts/{ACCOUNT}",
        {"pool": 10, "assigned_range": [990000000000000, 990000000000003], "candidates": [IMEI_C]},
    )
    assert response.json() == {"pool": 10, "assigned": 3, "candidates": 1}
    info = api.control("GET", f"/accounts/{ACCOUNT}").json()
    assert info["assignedDevices"] == ["990000000000000", IMEI_A, IMEI_B]
    assert info["candidateDevices"] == [IMEI_C]
    response = api.control("POST", f"/accounts/{OTHER}", {"assigned": [IMEI_A]})
    assert response.json()["assigned"] == 1
    for bad in ({"assigned": ["1"]}, {"assigned_range": [1]}, {"pool": "many"}):
        assert api.control("POST", f"/accounts/{ACCOUNT}", bad).status_code == 400
    assert api.control("POST", f"/accounts/{ACCOUNT}", [1]).status_code == 400


# -- inspection ---------------------------------------------------------------------------------


def test_request_counts_and_log(api: Api) -> None:
    api.assign([IMEI_A])
    api.assign([IMEI_B], version=2)
    api.status(lastSeenDeviceId="0")
    api.get("/nothing")
    assert api.sim.request_count() == 5  # token included
    assert api.sim.request_count("/assign") == 2
    assert api.sim.request_count("/assign", method="post") == 2
    assert api.sim.request_count("/assign", method="GET") == 0
    assert api.sim.request_count("/oauth2/token") == 1
    token_entry = api.sim.last_request("/oauth2/token")
    assert token_entry is not None
    assert token_entry.body == {"grant_type": "client_credentials"}
    entry = api.sim.last_request("/assign", method="POST")
    assert isinstance(entry, RecordedRequest)
    assert entry.path == f"/api/fota/v2/licenses/{ACCOUNT}/assign"
    assert entry.body == {"deviceList": [IMEI_B]}
    assert entry.headers["vz-m2m-token"] == "sim-m2m-token"
    assert entry.headers["authorization"].startswith("Bearer ")
    assert entry.status == 200
    assert entry.fault is None
    status_entry = api.sim.last_request(method="GET")
    assert status_entry is not None
    assert status_entry.status == 404
    assert [e.query for e in api.sim.requests(f"/licenses/{ACCOUNT}")] == [
        {"lastSeenDeviceId": "0"}
    ]
    assert api.sim.last_request("/cancel") is None
    api.sim.reset_counters()
    assert api.sim.request_count() == 0
    assert api.sim.requests() == []
    assert api.sim.token_count == 0


def test_request_log_is_bounded_and_keeps_unparsed_bodies(make_api: Callable[..., Api]) -> None:
    api = make_api(request_log_size=2)
    api.session.post(api.url + "/nothing", data=b"\x00binary")
    api.status()
    api.status()
    entries = api.sim.requests()
    assert len(entries) == 2
    assert api.sim.request_count() == 4
    api.sim.reset_counters()
    api.session.post(api.url + "/nothing", data=b"\x00binary")
    (entry,) = api.sim.requests()
    assert entry.body is None
    assert entry.raw_body == b"\x00binary"


def test_stats_requests_and_reset_control_routes(api: Api) -> None:
    api.assign([IMEI_A])
    api.login()
    stats = api.control("GET", "/stats").json()
    assert stats == {
        "requests": 3,
        "tokensIssued": 1,
        "logins": 1,
        "refusedLogins": 0,
        "lockedUsers": [],
        "accounts": {ACCOUNT: {"pool": 1000, "assigned": 1, "candidates": 0}},
        "activeFaults": 0,
    }
    log = api.control("GET", "/requests?limit=1").json()["requests"]
    assert len(log) == 1
    assert log[0]["path"] == "/api/m2m/v1/session/login"
    assert log[0]["status"] == 200
    assert len(api.control("GET", "/requests").json()["requests"]) == 3
    assert api.control("GET", "/requests?limit=0").json()["requests"] == []
    assert api.control("POST", "/reset-counters").json() == {"reset": True}
    assert api.sim.request_count() == 0  # control routes are never counted
    assert api.control("GET", "/nothing").status_code == 404
    assert api.control("DELETE", "/stats").status_code == 405


def test_control_routes_can_be_disabled(make_api: Callable[..., Api]) -> None:
    api = make_api(control_routes=False)
    assert api.control("GET", "/stats").status_code == 404
    assert api.sim.request_count() == 1


# -- thread safety ------------------------------------------------------------------------------


def test_concurrent_clients_assign_disjoint_devices_exactly(make_api: Callable[..., Api]) -> None:
    api = make_api(pool_size=10_000)
    token = api.token()
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            with requests.Session() as session:
                session.trust_env = False
                headers = {"Authorization": f"Bearer {token}", "VZ-M2M-Token": "sim-m2m-token"}
                for batch in range(10):
                    devices = [f"99{number:02d}{batch:02d}000000{n:03d}" for n in range(25)]
                    response = session.post(
                        f"{api.url}/fota/v3/licenses/{ACCOUNT}/assign",
                        json={"deviceList": devices},
                        headers=headers,
                    )
                    assert response.status_code == 200
                    assert {d["status"] for d in response.json()["deviceList"]} == {"Success"}
                    status = session.get(f"{api.url}/fota/v2/licenses/{ACCOUNT}", headers=headers)
                    assert status.status_code == 200
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(api.sim.assigned(ACCOUNT)) == 8 * 10 * 25
    status = api.status()
    assert status["assignedLicenses"] == 2000
    assert api.remove(sorted(api.sim.assigned(ACCOUNT))[:1])["licUsedCount"] == 1999


def test_concurrent_assigns_never_exceed_the_pool(make_api: Callable[..., Api]) -> None:
    api = make_api(pool_size=500)
    token = api.token()
    successes: list[int] = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        with requests.Session() as session:
            session.trust_env = False
            devices = [f"98{number:02d}00000000{n:03d}" for n in range(100)]
            response = session.post(
                f"{api.url}/fota/v3/licenses/{ACCOUNT}/assign",
                json={"deviceList": devices},
                headers={"Authorization": f"Bearer {token}", "VZ-M2M-Token": "sim-m2m-token"},
            )
            ok = sum(d["status"] == "Success" for d in response.json()["deviceList"])
            with lock:
                successes.append(ok)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(successes) == 500
    assert api.status()["assignedLicenses"] == 500


# -- sim.client() -------------------------------------------------------------------------------


def _sdk_client_available() -> bool:
    try:
        from verizon_sdk import VerizonClient  # noqa: F401
    except ImportError:
        return False
    return True


def test_client_passes_credentials_and_base_url(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import verizon_sdk

    class Recorder:
        def __init__(self, **kwargs: Any) -> None:
            self.kwargs = kwargs

    for name in (
        "VerizonClient",
        "ThingspaceOauthCredentials",
        "VZM2mTokenCredentials",
        "M2MSessionCredentials",
    ):
        monkeypatch.setattr(verizon_sdk, name, type(name, (Recorder,), {}), raising=False)
    client = api.sim.client(timeout=5)
    assert client.kwargs["base_url"] == api.sim.url
    assert client.kwargs["timeout"] == 5
    oauth = client.kwargs["thingspace_oauth_credentials"].kwargs
    assert oauth == {"oauth_client_id": "sim-client", "oauth_client_secret": "sim-secret"}
    m2m = client.kwargs["vz_m2m_token_credentials"].kwargs
    assert m2m == {"vz_m2m_token": "sim-m2m-token"}
    session = api.sim.client(username="alice", password="pw").kwargs
    assert session["m2m_session_credentials"].kwargs == {"username": "alice", "password": "pw"}
    assert "vz_m2m_token_credentials" not in session
    with Simulator(m2m_tokens=()) as bare:
        login = bare.client().kwargs["m2m_session_credentials"].kwargs
        assert login == {"username": "sim-user", "password": "sim-password"}
    # the caller's keywords win over the defaults instead of colliding with them
    routed = api.sim.client(base_url="http://127.0.0.1:9/api").kwargs
    assert routed["base_url"] == "http://127.0.0.1:9/api"


@pytest.mark.skipif(not _sdk_client_available(), reason="verizon_sdk.VerizonClient not there yet")
@pytest.mark.parametrize("session_login", [False, True])
def test_client_talks_to_the_simulator(api: Api, session_login: bool) -> None:
    api.sim.seed(ACCOUNT, assigned=[IMEI_A, IMEI_B])
    kwargs = {"username": "alice", "password": "pw"} if session_login else {}
    client = api.sim.client(**kwargs)
    try:
        summary = client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
        assert summary.assigned_licenses == 2
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()
    assert api.sim.login_count == int(session_login)


# -- fault injection ----------------------------------------------------------------------------


def test_status_fault_with_retry_after_seconds_then_recovers(api: Api) -> None:
    fault_id = api.sim.inject(Fault(path="/assign", status=503, times=3, retry_after="2"))
    assert api.sim.active_faults()[0]["id"] == fault_id
    for _ in range(3):
        response = api.post(f"/fota/v3/licenses/{ACCOUNT}/assign", {"deviceList": [IMEI_A]})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "2"
        assert response.json() == {
            "errorCode": "SERVICE_UNAVAILABLE",
            "errorMessage": "Simulated fault: Service Unavailable",
        }
    assert api.sim.assigned(ACCOUNT) == set()  # a replacing answer does not apply the request
    assert api.sim.active_faults() == []
    assert api.assign([IMEI_A])["licUsedCount"] == 1
    faulted = [e.fault for e in api.sim.requests("/assign")]
    assert faulted == [fault_id, fault_id, fault_id, None]


def test_status_fault_with_http_date_headers_and_body(api: Api) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    api.sim.inject(
        Fault(
            method="GET",
            status=429,
            retry_after=when,
            headers={"X-RateLimit-Remaining": "0"},
            body={"errorCode": "RATE_LIMITED", "errorMessage": "slow down"},
        )
    )
    response = api.get(f"/fota/v3/licenses/{ACCOUNT}")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == when
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert error(response) == (429, "slow down")


def test_status_fault_integer_retry_after_and_unknown_status(api: Api) -> None:
    api.headers()
    api.sim.inject(Fault(status=599, retry_after=1))
    response = api.get(f"/fota/v3/licenses/{ACCOUNT}")
    assert response.status_code == 599
    assert response.headers["Retry-After"] == "1"
    assert response.json()["errorCode"] == "ERROR"


def test_fault_matching_by_method_regex_and_forever(api: Api) -> None:
    api.sim.inject(
        Fault(method="get", path_regex=r"/fota/v3/licenses/[^/]+$", status=500, times=None)
    )
    for _ in range(3):
        assert api.get(f"/fota/v3/licenses/{ACCOUNT}").status_code == 500
    assert api.get(f"/fota/v2/licenses/{ACCOUNT}").status_code == 200
    assert api.assign([IMEI_A])["licUsedCount"] == 1
    (rule,) = api.sim.active_faults()
    assert rule["remaining"] is None
    assert rule["hits"] == 3
    assert api.sim.clear_faults() == 1
    assert api.get(f"/fota/v3/licenses/{ACCOUNT}").status_code == 200


def test_first_active_rule_that_fires_wins_and_rules_can_be_removed(api: Api) -> None:
    first = api.sim.inject(Fault(path="/assign", status=502))
    api.sim.inject(Fault(path="/assign", status=504))
    assert api.sim.remove_fault(first) is True
    assert api.sim.remove_fault(first) is False
    response = api.post(f"/fota/v3/licenses/{ACCOUNT}/assign", {"deviceList": [IMEI_A]})
    assert response.status_code == 504


def test_probability_faults_are_reproducible_with_a_seed(api: Api) -> None:
    def run() -> list[int]:
        api.sim.clear_faults()
        api.sim.inject(
            Fault(path="/oauth2/token", status=503, probability=0.5, seed=42, times=None)
        )
        url = api.url + "/ts/v1/oauth2/token"
        data = {"grant_type": "client_credentials"}
        return [api.session.post(url, auth=("a", "b"), data=data).status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert 0 < first.count(503) < 20
    assert set(first) == {200, 503}


def test_latency_fault_and_global_latency(make_api: Callable[..., Api]) -> None:
    api = make_api()
    api.headers()
    api.sim.inject(Fault(path="/assign", latency=0.3))
    started = time.monotonic()
    assert api.assign([IMEI_A])["licUsedCount"] == 1  # delayed, then answered normally
    assert time.monotonic() - started >= 0.3
    slow = make_api(latency=0.2)
    started = time.monotonic()
    slow.token()
    assert time.monotonic() - started >= 0.2


def test_latency_combines_with_a_status(api: Api) -> None:
    api.sim.inject(Fault(status=503, latency=0.2))
    started = time.monotonic()
    assert api.session.get(api.url + "/nothing").status_code == 503
    assert time.monotonic() - started >= 0.2


def _is_json(content: bytes) -> bool:
    try:
        json.loads(content)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("kind", "content_type", "check"),
    [
        ("invalid_json", "application/json", lambda body: body and not _is_json(body)),
        ("html", "text/html", lambda body: body.startswith(b"<!DOCTYPE html>")),
        ("empty", "application/json", lambda body: body == b""),
        ("truncated_json", "application/json", lambda body: body.startswith(b'{"accountName"')),
        ("yaml", "text/plain", lambda body: b"accountName: 0000123456-00001" in body),
    ],
)
def test_malformed_bodies_with_status_200(
    api: Api, kind: str, content_type: str, check: Callable[[bytes], bool]
) -> None:
    api.sim.inject(Fault(path="/assign", malformed=kind))  # type: ignore[arg-type]
    response = api.post(f"/fota/v3/licenses/{ACCOUNT}/assign", {"deviceList": [IMEI_A]})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(content_type)
    assert check(response.content)
    assert not _is_json(response.content)
    assert api.sim.assigned(ACCOUNT) == set()


def test_every_malformed_kind_is_known() -> None:
    from typing import get_args

    from verizon_sdk.simulator import Malformed

    for kind in get_args(Malformed):
        assert Fault(malformed=kind).responds


def test_truncated_real_body_when_applied(api: Api) -> None:
    api.sim.inject(Fault(path="/assign", malformed="truncated_json", apply=True))
    response = api.post(f"/fota/v3/licenses/{ACCOUNT}/assign", {"deviceList": [IMEI_A]})
    assert response.status_code == 200
    assert response.content.startswith(b'{"accountName":"0000123456-00001"')
    assert not _is_json(response.content)
    assert api.sim.assigned(ACCOUNT) == {IMEI_A}  # the request was applied


def test_status_fault_applied_changes_state(api: Api) -> None:
    api.sim.inject(Fault(path="/assign", status=504, apply=True))
    response = api.post(f"/fota/v3/licenses/{ACCOUNT}/assign", {"deviceList": [IMEI_A]})
    assert response.status_code == 504
    assert api.sim.assigned(ACCOUNT) == {IMEI_A}


def test_raw_body_jsonpickle_payload(api: Api) -> None:
    payload = b'{"py/reduce": [{"py/type": "subprocess.getoutput"}, {"py/tuple": ["id"]}]}'
    api.sim.inject(Fault(path=f"/licenses/{ACCOUNT}", raw_body=payload))
    response = api.get(f"/fota/v3/licenses/{ACCOUNT}")
    assert response.status_code == 200
    assert response.content == payload
    assert response.headers["Content-Type"] == "application/json"


def test_raw_body_with_content_type_and_status(api: Api) -> None:
    api.headers()
    api.sim.inject(Fault(raw_body=b"plain words", content_type="text/plain", status=400))
    response = api.get(f"/fota/v3/licenses/{ACCOUNT}")
    assert (response.status_code, response.content) == (400, b"plain words")
    assert response.headers["Content-Type"] == "text/plain"


def test_drop_before_leaves_state_unchanged(api: Api) -> None:
    api.headers()
    fault_id = api.sim.inject(Fault(path="/assign", drop="before"))
    with pytest.raises(requests.ConnectionError):
        api.post(f"/fota/v3/licenses/{ACCOUNT}/assign", {"deviceList": [IMEI_A]})
    assert api.sim.assigned(ACCOUNT) == set()
    entry = api.sim.last_request("/assign")
    assert entry is not None
    assert (entry.status, entry.fault) == (None, fault_id)
    assert api.assign([IMEI_A])["licUsedCount"] == 1  # the session reconnects


def test_drop_after_applies_the_request(api: Api) -> None:
    api.headers()
    api.sim.inject(Fault(path="/assign", drop="after"))
    with pytest.raises(requests.ConnectionError):
        api.post(f"/fota/v3/licenses/{ACCOUNT}/assign", {"deviceList": [IMEI_A]})
    assert api.sim.assigned(ACCOUNT) == {IMEI_A}
    result = api.assign([IMEI_A])
    assert result["deviceList"][0]["resultReason"] == "Device license preexisting"


def test_expire_tokens_fault(api: Api) -> None:
    api.headers()
    api.sim.inject(Fault(path="/assign", expire_tokens=True))
    response = api.post(f"/fota/v3/licenses/{ACCOUNT}/assign", {"deviceList": [IMEI_A]})
    assert response.status_code == 401
    assert response.json()["errorCode"] == "AccessToken.Expired"


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Fault(path="/oauth2/token", status=401, body={"error": "invalid_client"}), 401),
        (Fault(path="/oauth2/token", status=500), 500),
    ],
)
def test_token_endpoint_faults(api: Api, fault: Fault, status: int) -> None:
    api.sim.inject(fault)
    response = api.session.post(
        api.url + "/ts/v1/oauth2/token", auth=("a", "b"), data={"grant_type": "client_credentials"}
    )
    assert response.status_code == status
    assert api.sim.token_count == 0
    api.token()
    assert api.sim.token_count == 1


def test_faults_given_to_the_constructor(make_api: Callable[..., Api]) -> None:
    api = make_api(faults=[Fault(path="/login", status=503)])
    assert api.login().status_code == 503
    assert api.login().status_code == 200
    assert api.sim.stats()["activeFaults"] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": 503, "times": 0}, "times"),
        ({"status": 503, "probability": 0}, "probability"),
        ({"status": 503, "probability": 1.5}, "probability"),
        ({"status": 199}, "status"),
        ({"status": 503, "path_regex": "("}, "compile"),
        ({"latency": -1}, "latency"),
        ({"malformed": "xml"}, "malformed"),
        ({"drop": "during"}, "drop"),
        ({"body": {}, "raw_body": b"x"}, "at most one"),
        ({"drop": "before", "status": 500}, "cannot be combined"),
        ({"drop": "after", "apply": True}, "need status"),
        ({"retry_after": "1"}, "need status"),
        ({"headers": {"X": "1"}}, "need status"),
        ({"path": "/assign"}, "needs an effect"),
    ],
)
def test_fault_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault(**kwargs)


def test_faults_control_routes(api: Api) -> None:
    payload = '{"py/reduce": [{"py/type": "os.getcwd"}, {"py/tuple": []}]}'
    response = api.control("POST", "/faults", {"path": "/remove", "raw_body": payload, "times": 2})
    assert response.status_code == 201
    fault_id = response.json()["id"]
    listed = api.control("GET", "/faults").json()["faults"]
    assert listed[0]["id"] == fault_id
    assert listed[0]["raw_body"] == payload
    assert listed[0]["remaining"] == 2
    got = api.post(f"/fota/v3/licenses/{ACCOUNT}/remove", {"deviceList": [IMEI_A]})
    assert got.text == payload
    assert api.control("DELETE", f"/faults/{fault_id}").json() == {"removed": fault_id}
    assert api.control("DELETE", f"/faults/{fault_id}").status_code == 404
    api.control("POST", "/faults", {"status": 503, "retry_after": 3, "method": "POST"})
    api.control("POST", "/faults", {"drop": "before"})
    assert api.control("DELETE", "/faults").json() == {"cleared": 2}
    for bad in ({"status": 42}, {"nonsense": 1}, [1], {"status": "503"}):
        response = api.control("POST", "/faults", bad)
        assert response.status_code == 400, bad
        assert response.json()["error"]
    bad_json = api.session.post(api.url + "/_sim/faults", data=b"{not json")
    assert bad_json.status_code == 400
    assert api.sim.active_faults() == []


def test_fault_from_dict_and_to_dict_round_trip() -> None:
    fault = Fault(path="/assign", status=503, retry_after="5", headers={"X-A": "b"})
    assert Fault.from_dict(fault.to_dict()) == fault
    with pytest.raises(ValueError, match="JSON object"):
        Fault.from_dict(["status", 503])


# -- python -m verizon_sdk.simulator and main() -------------------------------------------------


def test_module_runs_as_a_subprocess_and_stops_on_sigterm() -> None:
    import signal
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-m", "verizon_sdk.simulator", "--port", "0", "--seed", f"{ACCOUNT}:50:3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", url), url
            with requests.Session() as session:
                session.trust_env = False
                info = session.get(f"{url}/_sim/accounts/{ACCOUNT}").json()
                assert info["assigned"] == 3
                token = session.post(
                    url + "/ts/v1/oauth2/token",
                    auth=("a", "b"),
                    data={"grant_type": "client_credentials"},
                )
                assert token.status_code == 200
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
            assert process.stderr is not None
            assert process.stderr.read() == ""
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


class _Output:
    """A stdout stand-in that a second thread can read while main() runs."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_main_serves_until_a_signal(monkeypatch: pytest.MonkeyPatch, signame: str) -> None:
    import os
    import signal

    from verizon_sdk.simulator import main

    output = _Output()
    monkeypatch.setattr("sys.stdout", output)
    results: dict[str, Any] = {}
    before = signal.getsignal(signal.SIGTERM)

    def drive() -> None:
        deadline = time.monotonic() + 10
        while "\n" not in output.text and time.monotonic() < deadline:
            time.sleep(0.01)
        if "\n" not in output.text:
            return  # main() failed before serving: it has already returned
        url = output.text.splitlines()[0].strip()  # the export lines follow
        results["url"] = url
        try:
            with requests.Session() as session:
                session.trust_env = False
                results["status"] = session.get(f"{url}/fota/v3/licenses/{ACCOUNT}").status_code
        finally:
            os.kill(os.getpid(), getattr(signal, signame))

    driver = threading.Thread(target=drive)
    driver.start()
    code = main(["--port", "0", "--max-page-size", "5", "--client", "id:secret"])
    driver.join(10)
    assert code == 0
    assert results["status"] == 401
    assert signal.getsignal(signal.SIGTERM) == before


def test_main_reports_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from verizon_sdk.simulator import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    assert "cannot listen" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "-1"],
        ["--client", "no-colon"],
        ["--login", ":pw"],
        ["--seed", f"{ACCOUNT}:x"],
        ["--seed", f"{ACCOUNT}:1:2:3"],
        ["--seed", "bad-account"],
    ],
)
def test_main_rejects_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from verizon_sdk.simulator import main

    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert "error" in capsys.readouterr().err


def test_arguments_configure_the_simulator() -> None:
    from verizon_sdk.simulator._cli import build_parser, simulator_from_args

    args = build_parser().parse_args(
        [
            "--pool", "20", "--max-page-size", "7", "--token-lifetime", "60",
            "--session-lifetime", "30", "--latency", "0.01", "--client", "id:secret",
            "--login", "alice:pw", "--m2m-token", "t1", "--m2m-token", "t2",
            "--unknown-device", IMEI_C, "--strict-accounts", "--invalid-device-format-error",
            "--lockout-after", "3", "--seed", ACCOUNT, "--seed", f"{OTHER}:9:4",
            "--no-control-routes", "--verbose",
        ]
    )  # fmt: skip
    sim = simulator_from_args(args)
    options = sim.options
    assert (options.pool_size, options.max_page_size) == (20, 7)
    assert (options.token_lifetime, options.session_lifetime, options.latency) == (60, 30, 0.01)
    assert options.client_credentials == {"id": "secret"}
    assert options.logins == {"alice": "pw"}
    assert options.m2m_tokens == {"t1", "t2"}
    assert options.unknown_devices == {IMEI_C}
    assert options.strict_accounts and options.invalid_device_format_error
    assert options.lockout_after == 3
    assert not options.control_routes and options.verbose
    assert sim.assigned(ACCOUNT) == set()
    assert sim.stats()["accounts"][ACCOUNT]["pool"] == 20
    assert sorted(sim.assigned(OTHER)) == [f"99000000000000{n}" for n in range(4)]


def test_dunder_main_module_runs_main(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    monkeypatch.setattr("sys.argv", ["simulator", "--help"])
    with pytest.raises(SystemExit) as raised:
        runpy.run_module("verizon_sdk.simulator", run_name="__main__")
    assert raised.value.code == 0


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.0.2.10", False),
        ("sim.example", False),
    ],
)
def test_non_loopback_hosts_are_recognised_for_the_warning(host: str, loopback: bool) -> None:
    from verizon_sdk.simulator._cli import _is_loopback

    assert _is_loopback(host) is loopback
