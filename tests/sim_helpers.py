"""Helpers for the reliability tests that run against the embedded simulator."""

from __future__ import annotations

import contextlib
import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from verizon_sdk import (
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VerizonClient,
    VZM2mTokenCredentials,
)
from verizon_sdk import _transport as transport
from verizon_sdk.models import V2ListOfLicensesToRemoveRequest, V3LicenseIMEI
from verizon_sdk.simulator import Simulator

ACCOUNT = "0000123456-00001"
DEVICE = "990000000000001"
STATUS = f"/licenses/{ACCOUNT}"  # path suffix of the status GET (V2 and V3)
ASSIGN = f"/licenses/{ACCOUNT}/assign"
TOKEN = "/oauth2/token"
LOGIN = "/session/login"
CLIENT_SECRET = "sim-secret-Qz8w"
PASSWORD = "sim-password-Hk3v"
USERNAME = "sim-user"
M2M_TOKEN = "sim-m2m-token"  # the simulator's default static token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Gate:
    """A TCP forwarder in front of the simulator that can refuse or cut connections.

    ``open()`` listens (on the same port every time), ``refuse()`` stops listening
    and cuts every connection (new connections are then refused: nothing can be
    sent), ``stall()`` makes new connections time out instead, ``cut()`` closes the
    open connections only (idle keep-alive connections in the client's pool go
    stale). ``close()`` stops everything.
    """

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self._target = target_port
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._listener: threading.Thread | None = None
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._stalled: list[socket.socket] = []
        self.accepted = 0

    def stall(self) -> None:
        """Listen without ever accepting, the queue full: a connect now times out.

        Nothing is sent on such a connection (the handshake never completes), like a
        server that is down behind a firewall that drops packets.
        """
        self.refuse()
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(0)
        self._stalled = [listener]
        for _ in range(3):  # fill the accept queue (backlog 0 still queues one or two)
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", self.port))
            self._stalled.append(filler)

    def _unstall(self) -> None:
        for sock in self._stalled:
            sock.close()
        self._stalled = []

    def open(self) -> Gate:
        self._unstall()
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        server.settimeout(0.02)
        self._listening.set()
        self._listener = threading.Thread(target=self._accept, args=(server,), daemon=True)
        self._listener.start()
        return self

    def _accept(self, server: socket.socket) -> None:
        with server:
            while self._listening.is_set():
                try:
                    downstream, _ = server.accept()
                except TimeoutError:
                    continue
                downstream.settimeout(None)
                upstream = socket.create_connection(("127.0.0.1", self._target))
                with self._lock:
                    self.accepted += 1
                    self._sockets += [downstream, upstream]
                    for a, b in ((downstream, upstream), (upstream, downstream)):
                        pump = threading.Thread(target=self._pump, args=(a, b), daemon=True)
                        self._threads.append(pump)
                        pump.start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
            threads, self._threads = self._threads, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(5)
        for sock in sockets:
            sock.close()

    def refuse(self) -> None:
        self._unstall()
        self._listening.clear()
        if self._listener is not None:
            self._listener.join(5)
            self._listener = None
        self.cut()

    close = refuse

    @property
    def is_open(self) -> bool:
        return self._listening.is_set()


def sim_client(sim: Simulator, *, session: bool = False, **options: Any) -> VerizonClient:
    """A client of ``sim`` with small timeouts.

    ``session=True`` logs in with ``M2MSessionCredentials`` instead of sending the
    simulator's static M2M token; ``options`` go to ``VerizonClient``.
    """
    credentials: dict[str, Any] = {
        "thingspace_oauth_credentials": ThingspaceOauthCredentials(
            oauth_client_id="sim-client", oauth_client_secret=CLIENT_SECRET
        )
    }
    if session:
        credentials["m2m_session_credentials"] = M2MSessionCredentials(
            username=USERNAME, password=PASSWORD
        )
    else:
        credentials["vz_m2m_token_credentials"] = VZM2mTokenCredentials(vz_m2m_token=M2M_TOKEN)
    settings: dict[str, Any] = {"base_url": sim.url, "timeout": (1.0, 1.0), **options}
    if CLIENT_KIND["kind"] == "async":  # tests that set it run once per client
        from tests.async_bridge import open_client

        return open_client("async", VerizonClient, **credentials, **settings)  # type: ignore[no-any-return]
    return VerizonClient(**credentials, **settings)


#: Which client ``sim_client`` builds; the ``client_kind`` fixture of a module sets it.
CLIENT_KIND = {"kind": "sync"}


def get_status(client: VerizonClient) -> Any:
    return client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)


def assign(client: VerizonClient, device: str = DEVICE) -> Any:
    return client.software_management_licenses_v3.assign_licenses_to_devices(
        ACCOUNT, V3LicenseIMEI(device_list=[device])
    )


def delete_candidates(client: VerizonClient) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return client.software_management_licenses_v2.delete_licenses_removal_candidates(ACCOUNT)


def create_candidates(client: VerizonClient) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return client.software_management_licenses_v2.create_list_of_licenses_to_remove(
            ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=[DEVICE], mtype="append")
        )


class Waits:
    """Records every wait between attempts instead of sleeping (see ``transport._sleep``)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.hook: Callable[[float], None] | None = None

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        if self.hook is not None:
            self.hook(seconds)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Waits:
    recorder = Waits()
    monkeypatch.setattr(transport, "_sleep", recorder)
    if CLIENT_KIND["kind"] == "async":
        from verizon_sdk import _async_transport

        async def record(seconds: float) -> None:
            recorder(seconds)

        monkeypatch.setattr(_async_transport, "_sleep", record)
    return recorder


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


@contextmanager
def warm(sim: Simulator, **options: Any) -> Iterator[VerizonClient]:
    """A client that already holds its tokens; the simulator's counters start at zero."""
    with sim_client(sim, **options) as client:
        get_status(client)
        sim.reset_counters()
        yield client
