"""The HTTP server, its routes, and the public :class:`Simulator` facade."""

from __future__ import annotations

import contextlib
import importlib
import re
import selectors
import socket
import socketserver
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from verizon_sdk.simulator._faults import Fault, FaultRules
from verizon_sdk.simulator._http import ApiError, Reply, Request, json_reply
from verizon_sdk.simulator._state import (
    DEFAULT_M2M_TOKEN,
    LicenseState,
    RecordedRequest,
    SimulatorOptions,
)

if TYPE_CHECKING:
    from verizon_sdk._client import VerizonClient

API_ROOT = "/api"
CONTROL_PREFIX = "/api/_sim"
MAX_BODY = 64 * 1024 * 1024
_JOIN_TIMEOUT = 5.0

_Handler = Callable[[Request, dict[str, str]], Reply]
_Routes = list[tuple[re.Pattern[str], dict[str, _Handler]]]

_NOT_JSON = object()  # stands for an unparseable body: not a dict, so "Invalid request body"

_ACCOUNT = r"(?P<account>[^/]+)"
_LICENSES = rf"/api/fota/v(?P<version>[23])/licenses/{_ACCOUNT}"


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str] | None:
    return None if mapping is None else MappingProxyType(dict(mapping))


class _BadRequestBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.reply = json_reply(status, {"errorCode": "INVALID_REQUEST", "errorMessage": message})


class _RequestHandler(BaseHTTPRequestHandler):
    """Reads one request, hands it to the simulator, writes (or withholds) the answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server_version = "ThingSpaceSimulator/1.0"
    sys_version = ""
    server: _Server

    def handle_request(self) -> None:
        try:
            raw_body = self._read_body()
        except _BadRequestBody as exc:
            self.close_connection = True
            self._send(exc.reply)
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, self.path, headers, raw_body)
        try:
            reply = self.server.simulator._handle(request)
        except Exception as exc:  # a bug in the simulator: answer 500, never hang the client
            if self.server.simulator.options.verbose:
                traceback.print_exc()
            reply = json_reply(500, {"errorCode": "SIMULATOR_ERROR", "errorMessage": repr(exc)})
        if reply is None:  # a dropped connection: close the socket, write nothing
            self.close_connection = True
            return
        self._send(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_request  # noqa: N815

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            size = int(length)
        except ValueError:
            raise _BadRequestBody(400, "Invalid Content-Length") from None
        if size < 0:
            raise _BadRequestBody(400, "Invalid Content-Length")
        if size > MAX_BODY:
            raise _BadRequestBody(413, "Request body too large")
        return self.rfile.read(size)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequestBody(400, "Invalid chunked body") from None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise _BadRequestBody(413, "Request body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(65537)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.simulator.options.verbose:
            super().log_message(format, *args)


class _Server(HTTPServer):
    """HTTPServer with one daemon thread per connection, all closed and joined on stop."""

    # socketserver's default backlog of 5 drops the SYNs of a burst of new connections
    # (16 client threads), stalling each such connect for the 1 s SYN retransmission.
    request_queue_size = 128

    def __init__(self, simulator: Simulator) -> None:
        host, port = simulator.options.host, simulator.options.port
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.simulator = simulator
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        self._wake_reader, self._wake_writer = socket.socketpair()
        super().__init__((host, port), _RequestHandler)  # on a bind error, calls server_close()

    def serve(self) -> None:
        """Accept connections until :meth:`wake` (no polling, so stopping is immediate)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_reader:
                        return
                    try:
                        request, client_address = self.get_request()
                    except OSError:  # pragma: no cover - the client gave up before accept()
                        continue
                    self.process_request(request, client_address)

    def wake(self) -> None:
        """Make :meth:`serve` return."""
        self._wake_writer.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind(): it calls socket.getfqdn(), a reverse DNS lookup.
        socketserver.TCPServer.server_bind(self)  # SO_REUSEADDR: restart on the same port
        self.server_name = self.simulator.options.host
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="thingspace-simulator-connection",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[request] = thread
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.simulator.options.verbose:
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Shut down every open connection and wait for its thread."""
        with self._connections_lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in connections:
            thread.join(_JOIN_TIMEOUT)


class Simulator:
    """An in-process ThingSpace licenses API on a background thread.

    ``with Simulator(max_page_size=10) as sim: ...`` starts it on a free port; ``sim.url`` is
    the API root to give a client. See the package docstring for every option.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        pool_size: int = 1000,
        max_page_size: int = 1000,
        token_lifetime: float = 3600.0,
        session_lifetime: float = 1200.0,
        latency: float = 0.0,
        client_credentials: Mapping[str, str] | None = None,
        logins: Mapping[str, str] | None = None,
        m2m_tokens: Iterable[str] = (DEFAULT_M2M_TOKEN,),
        strict_accounts: bool = False,
        unknown_devices: Iterable[str] = (),
        invalid_device_format_error: bool = False,
        lockout_after: int = 5,
        login_refusal_status: int = 400,
        request_log_size: int = 1000,
        control_routes: bool = True,
        verbose: bool = False,
        accounts: Mapping[str, Mapping[str, Any]] | None = None,
        faults: Iterable[Fault] = (),
    ) -> None:
        if isinstance(m2m_tokens, str) or isinstance(unknown_devices, str):
            raise TypeError("m2m_tokens and unknown_devices are collections of strings")
        self.options = SimulatorOptions(
            host=host,
            port=port,
            pool_size=pool_size,
            max_page_size=max_page_size,
            token_lifetime=token_lifetime,
            session_lifetime=session_lifetime,
            latency=latency,
            client_credentials=_frozen(client_credentials),
            logins=_frozen(logins),
            m2m_tokens=frozenset(m2m_tokens),
            strict_accounts=strict_accounts,
            unknown_devices=frozenset(unknown_devices),
            invalid_device_format_error=invalid_device_format_error,
            lockout_after=lockout_after,
            login_refusal_status=login_refusal_status,
            request_log_size=request_log_size,
            control_routes=control_routes,
            verbose=verbose,
        )
        self._state = LicenseState(self.options)
        self._faults = FaultRules()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes: _Routes = [
            (re.compile(r"/api/ts/v1/oauth2/token"), {"POST": self._token}),
            (re.compile(r"/api/m2m/v1/session/login"), {"POST": self._login}),
            (re.compile(_LICENSES), {"GET": self._status}),
            (re.compile(_LICENSES + r"/assign"), {"POST": self._assign}),
            (re.compile(_LICENSES + r"/remove"), {"POST": self._remove}),
            (
                re.compile(r"/api/fota/v2/licenses/" + _ACCOUNT + r"/cancel"),
                {
                    "GET": self._list_candidates,
                    "POST": self._set_candidates,
                    "DELETE": self._delete_candidates,
                },
            ),
        ]
        self._control_routes: _Routes = [
            (re.compile(r"/api/_sim/stats"), {"GET": self._control_stats}),
            (re.compile(r"/api/_sim/reset-counters"), {"POST": self._control_reset}),
            (
                re.compile(r"/api/_sim/faults"),
                {
                    "GET": self._control_faults,
                    "POST": self._control_inject,
                    "DELETE": self._control_clear_faults,
                },
            ),
            (re.compile(r"/api/_sim/faults/(?P<id>[0-9]+)"), {"DELETE": self._control_remove}),
            (re.compile(r"/api/_sim/expire-tokens"), {"POST": self._control_expire}),
            (re.compile(r"/api/_sim/advance-time"), {"POST": self._control_advance}),
            (re.compile(r"/api/_sim/unlock"), {"POST": self._control_unlock}),
            (
                re.compile(r"/api/_sim/accounts/" + _ACCOUNT),
                {"GET": self._control_account, "POST": self._control_seed},
            ),
            (re.compile(r"/api/_sim/requests"), {"GET": self._control_requests}),
        ]
        for name, spec in (accounts or {}).items():
            self.seed(name, **spec)
        for fault in faults:
            self.inject(fault)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind the socket and serve on a background thread. Returns ``self``."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        server = _Server(self)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve, name="thingspace-simulator", daemon=True
        )
        self._server = server
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and the socket, join the threads. Idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        self._stopping.set()
        server.wake()
        thread.join()
        server.close_connections()
        server.server_close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """The API root, e.g. ``http://127.0.0.1:8080/api``."""
        host = self.options.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}{API_ROOT}"

    def client(
        self,
        *,
        client_id: str = "sim-client",
        client_secret: str = "sim-secret",
        m2m_token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> VerizonClient:
        """A ``verizon_sdk.VerizonClient`` pointed at this simulator.

        It uses a static M2M token (``m2m_token``, else one of ``m2m_tokens``) unless
        ``username``/``password`` ask for a session login (or no static token is configured).
        Other keyword arguments go to ``VerizonClient``.
        """
        sdk = importlib.import_module("verizon_sdk")
        oauth = sdk.ThingspaceOauthCredentials(
            oauth_client_id=client_id, oauth_client_secret=client_secret
        )
        token = m2m_token or min(self.options.m2m_tokens, default=None)
        if username is not None or password is not None or token is None:
            m2m = {
                "m2m_session_credentials": sdk.M2MSessionCredentials(
                    username=username or "sim-user", password=password or "sim-password"
                )
            }
        else:
            m2m = {"vz_m2m_token_credentials": sdk.VZM2mTokenCredentials(vz_m2m_token=token)}
        client: VerizonClient = sdk.VerizonClient(
            thingspace_oauth_credentials=oauth, **m2m, base_url=self.url, **kwargs
        )
        return client

    # -- state, faults and inspection ---------------------------------------------------------

    def seed(
        self,
        account: str,
        *,
        pool: int | None = None,
        assigned: Iterable[str | int] | Mapping[str, datetime] = (),
        assigned_at: datetime | None = None,
        candidates: Iterable[str | int] = (),
    ) -> None:
        """Create or replace ``account``: its pool, assigned devices and V2 cancel list.

        ``assigned`` holds 15-digit ids, ints (formatted as 15 digits, so
        ``range(990000000000000, 990000000100000)`` seeds 100k devices fast) or a mapping of
        id to assignment time. ``assigned_at`` (default now) stamps the others.
        """
        self._state.seed(
            account, pool=pool, assigned=assigned, assigned_at=assigned_at, candidates=candidates
        )

    def assigned(self, account: str) -> set[str]:
        """Device ids holding a license on ``account``."""
        return self._state.assigned(account)

    def assignments(self, account: str) -> dict[str, datetime]:
        """Device id to (UTC) assignment time on ``account``."""
        return self._state.assignments(account)

    def candidates(self, account: str) -> list[str]:
        """The V2 license-removal candidate list of ``account``."""
        return self._state.candidates(account)

    def inject(self, fault: Fault) -> int:
        """Add a fault rule; returns its id (for :meth:`remove_fault`)."""
        return self._faults.add(fault)

    def remove_fault(self, fault_id: int) -> bool:
        return self._faults.remove(fault_id)

    def clear_faults(self) -> int:
        """Remove every fault rule; returns how many were active."""
        return self._faults.clear()

    def active_faults(self) -> list[dict[str, Any]]:
        """The rules still active, each with its ``id``, ``remaining`` and ``hits``."""
        return self._faults.active()

    def expire_tokens(self) -> dict[str, int]:
        """Expire every issued access and session token (static M2M tokens stay valid)."""
        return self._state.expire_tokens()

    def advance_time(self, seconds: float) -> None:
        """Move the simulator's clock forward: tokens age, new timestamps move on."""
        self._state.advance_time(seconds)

    def unlock(self, username: str | None = None) -> None:
        """Unlock one locked-out login (or all) and forget its failed attempts."""
        self._state.unlock(username)

    def request_count(self, path_suffix: str | None = None, method: str | None = None) -> int:
        """Requests received (control routes excluded) whose path ends with ``path_suffix``."""
        return self._state.request_count(path_suffix, method)

    def requests(
        self, path_suffix: str | None = None, method: str | None = None
    ) -> list[RecordedRequest]:
        """The recent requests (bounded by ``request_log_size``), oldest first."""
        return self._state.requests(path_suffix, method)

    def last_request(
        self, path_suffix: str | None = None, method: str | None = None
    ) -> RecordedRequest | None:
        entries = self.requests(path_suffix, method)
        return entries[-1] if entries else None

    @property
    def token_count(self) -> int:
        """Access tokens issued."""
        return self._state.token_count

    @property
    def login_count(self) -> int:
        """Successful session logins."""
        return self._state.login_count

    @property
    def refused_login_count(self) -> int:
        """Session logins answered with an error (after the Bearer check passed)."""
        return self._state.refused_login_count

    def reset_counters(self) -> None:
        """Zero the request, token and login counters and empty the request log."""
        self._state.reset_counters()

    def stats(self) -> dict[str, Any]:
        """Counters, locked users, per-account figures and the number of active faults."""
        return self._state.stats() | {"activeFaults": len(self._faults.active())}

    # -- request handling ---------------------------------------------------------------------

    def _handle(self, request: Request) -> Reply | None:
        """The answer to ``request``, or None to drop the connection without one."""
        path = request.path
        if self.options.control_routes and (
            path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
        ):
            return self._dispatch(request, self._control_routes)
        fault_id: int | None = None
        reply: Reply | None = None  # stays None (a dropped connection) when stopping
        if not self._stopping.wait(self.options.latency):
            taken = self._faults.take(request.method, path)
            if taken is None:
                reply = self._dispatch(request, self._routes)
            else:
                fault_id, fault = taken
                reply = self._apply_fault(fault, request)
        self._state.record(
            RecordedRequest(
                method=request.method,
                path=path,
                query=request.query,
                headers=request.headers,
                body=request.parsed_body(),
                raw_body=request.raw_body,
                status=None if reply is None else reply.status,
                fault=fault_id,
                time=time.time(),
            )
        )
        return reply

    def _apply_fault(self, fault: Fault, request: Request) -> Reply | None:
        if self._stopping.wait(fault.latency):
            return None
        if fault.expire_tokens:
            self._state.expire_tokens()
        if fault.drop == "before":
            return None
        if fault.drop == "after":
            self._dispatch(request, self._routes)
            return None
        if fault.responds:
            applied = self._dispatch(request, self._routes) if fault.apply else None
            return fault.reply(applied)
        return self._dispatch(request, self._routes)

    @staticmethod
    def _dispatch(request: Request, routes: _Routes) -> Reply:
        for pattern, methods in routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            route = methods.get(request.method)
            if route is None:
                allowed = ", ".join(methods)
                return json_reply(
                    405,
                    {
                        "errorCode": "METHOD_NOT_ALLOWED",
                        "errorMessage": f"{request.method} is not allowed; use {allowed}",
                    },
                    (("Allow", allowed),),
                )
            params = {name: unquote(value) for name, value in match.groupdict().items()}
            try:
                return route(request, params)
            except ApiError as exc:
                return exc.reply
        return json_reply(
            404,
            {"errorCode": "NOT_FOUND", "errorMessage": f"No route for {request.path}"},
        )

    # -- API routes ---------------------------------------------------------------------------

    def _token(self, request: Request, _: dict[str, str]) -> Reply:
        payload = self._state.issue_access_token(
            request.headers.get("authorization"), request.form()
        )
        return json_reply(200, payload, (("Cache-Control", "no-store"),))

    def _login(self, request: Request, _: dict[str, str]) -> Reply:
        self._state.check_bearer(request.headers.get("authorization"))
        try:
            body = request.json()
        except ValueError:
            body = None
        return json_reply(200, self._state.login(body))

    def _licenses_body(self, request: Request) -> Any:
        """The JSON body of an authorized licenses request (a non-JSON body gives a 400 later,
        after the account name has been checked, as the real service orders its checks)."""
        self._state.authorize(request)
        try:
            return request.json()
        except ValueError:
            return _NOT_JSON

    def _status(self, request: Request, params: dict[str, str]) -> Reply:
        self._state.authorize(request)
        last_seen = request.query.get("lastSeenDeviceId")
        payload = self._state.status(int(params["version"]), params["account"], last_seen)
        return json_reply(200, payload)

    def _assign(self, request: Request, params: dict[str, str]) -> Reply:
        body = self._licenses_body(request)
        payload = self._state.change(int(params["version"]), params["account"], body, assign=True)
        return json_reply(200, payload)

    def _remove(self, request: Request, params: dict[str, str]) -> Reply:
        body = self._licenses_body(request)
        payload = self._state.change(int(params["version"]), params["account"], body, assign=False)
        return json_reply(200, payload)

    def _set_candidates(self, request: Request, params: dict[str, str]) -> Reply:
        body = self._licenses_body(request)
        return json_reply(200, self._state.set_candidates(params["account"], body))

    def _list_candidates(self, request: Request, params: dict[str, str]) -> Reply:
        self._state.authorize(request)
        start = request.query.get("startIndex")
        return json_reply(200, self._state.list_candidates(params["account"], start))

    def _delete_candidates(self, request: Request, params: dict[str, str]) -> Reply:
        self._state.authorize(request)
        return json_reply(200, self._state.delete_candidates(params["account"]))

    # -- control routes -----------------------------------------------------------------------

    @staticmethod
    def _control_body(request: Request) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError:
            body = None
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, {"error": "expected a JSON object"})
        return body

    def _control_stats(self, request: Request, _: dict[str, str]) -> Reply:
        return json_reply(200, self.stats())

    def _control_reset(self, request: Request, _: dict[str, str]) -> Reply:
        self.reset_counters()
        return json_reply(200, {"reset": True})

    def _control_faults(self, request: Request, _: dict[str, str]) -> Reply:
        return json_reply(200, {"faults": self.active_faults()})

    def _control_inject(self, request: Request, _: dict[str, str]) -> Reply:
        try:
            fault = Fault.from_dict(self._control_body(request))
        except (TypeError, ValueError) as exc:
            raise ApiError(400, {"error": str(exc)}) from None
        return json_reply(201, {"id": self.inject(fault)})

    def _control_clear_faults(self, request: Request, _: dict[str, str]) -> Reply:
        return json_reply(200, {"cleared": self.clear_faults()})

    def _control_remove(self, request: Request, params: dict[str, str]) -> Reply:
        if not self.remove_fault(int(params["id"])):
            raise ApiError(404, {"error": f"no active fault {params['id']}"})
        return json_reply(200, {"removed": int(params["id"])})

    def _control_expire(self, request: Request, _: dict[str, str]) -> Reply:
        return json_reply(200, {"expired": self.expire_tokens()})

    def _control_advance(self, request: Request, _: dict[str, str]) -> Reply:
        seconds = self._control_body(request).get("seconds")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
            raise ApiError(400, {"error": "seconds must be a number >= 0"})
        self.advance_time(seconds)
        return json_reply(200, {"advanced": seconds})

    def _control_unlock(self, request: Request, _: dict[str, str]) -> Reply:
        username = self._control_body(request).get("username")
        self.unlock(username if isinstance(username, str) else None)
        return json_reply(200, {"unlocked": username})

    def _control_account(self, request: Request, params: dict[str, str]) -> Reply:
        info = self._state.account_info(params["account"])
        if info is None:
            raise ApiError(404, {"error": f"no account {params['account']}"})
        devices = sorted(self.assigned(params["account"]))
        candidates = self.candidates(params["account"])
        return json_reply(200, info | {"assignedDevices": devices, "candidateDevices": candidates})

    def _control_seed(self, request: Request, params: dict[str, str]) -> Reply:
        body = self._control_body(request)
        assigned: Iterable[str | int] = body.get("assigned", ())
        try:
            if "assigned_range" in body:
                start, stop = body["assigned_range"]
                assigned = range(int(start), int(stop))
            self.seed(
                params["account"],
                pool=body.get("pool"),
                assigned=assigned,
                candidates=body.get("candidates", ()),
            )
        except (TypeError, ValueError) as exc:
            raise ApiError(400, {"error": str(exc)}) from None
        return json_reply(200, self._state.account_info(params["account"]))

    def _control_requests(self, request: Request, _: dict[str, str]) -> Reply:
        entries = self.requests()
        limit = request.query.get("limit")
        if limit is not None and limit.isdigit():
            entries = entries[-int(limit) :] if int(limit) else []
        return json_reply(200, {"requests": [entry.to_json() for entry in entries]})
