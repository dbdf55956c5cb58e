"""The public :class:`Simulator`: options, lifecycle, seeding, faults and inspection.

It wires the pieces together: `_server` (HTTP), `_routes` (routing and faults), `_tokens` and
`_licenses` (state). ``Simulator(options, **overrides)`` takes a `SimulatorOptions` and keyword
overrides of its fields; the fields are declared once, on `SimulatorOptions`, and the
signature shown by ``help(Simulator)`` is generated from them.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from verizon_sdk.simulator._faults import Fault
from verizon_sdk.simulator._options import SimulatorOptions
from verizon_sdk.simulator._records import RecordedRequest
from verizon_sdk.simulator._routes import Router
from verizon_sdk.simulator._server import HttpServer

if TYPE_CHECKING:
    from verizon_sdk._client import VerizonClient

API_ROOT = "/api"

_OPTION_NAMES = frozenset(field.name for field in dataclasses.fields(SimulatorOptions))


def _options(options: SimulatorOptions | None, overrides: dict[str, Any]) -> SimulatorOptions:
    unknown = sorted(set(overrides) - _OPTION_NAMES)
    if unknown:
        raise TypeError(f"Simulator() got an unexpected keyword argument {unknown[0]!r}")
    base = SimulatorOptions() if options is None else options
    return dataclasses.replace(base, **overrides) if overrides else base


class Simulator:
    """An in-process ThingSpace licenses API on a background thread.

    ``with Simulator(max_page_size=10) as sim: ...`` starts it on a free port; ``sim.url`` is
    the API root to give a client. ``Simulator(SimulatorOptions(...), port=8080)`` takes a
    whole configuration and overrides some of it. See the package docstring for every option.
    """

    def __init__(
        self,
        options: SimulatorOptions | None = None,
        *,
        accounts: Mapping[str, Mapping[str, Any]] | None = None,
        faults: Iterable[Fault] = (),
        **overrides: Any,
    ) -> None:
        self.options = _options(options, overrides)
        self._router = Router(self.options)
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        for name, spec in (accounts or {}).items():
            self.seed(name, **spec)
        for fault in faults:
            self.inject(fault)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind the socket and serve on a background thread. Returns ``self``."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        options = self.options
        server = HttpServer(
            options.host, options.port, self._router.handle, verbose=options.verbose
        )
        self._router.stopping.clear()
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
        self._router.stopping.set()
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
        Other keyword arguments go to ``VerizonClient`` and win over these defaults (pass
        ``base_url=`` to reach the simulator through a proxy of your own, say).
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
        options = {"thingspace_oauth_credentials": oauth, **m2m, "base_url": self.url}
        client: VerizonClient = sdk.VerizonClient(**{**options, **kwargs})
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
        id to assignment time. ``assigned_at`` stamps the others; without it their times are
        spread deterministically over the 14 days before now, the first ids oldest and more
        assignments on recent days (so a chart of assignments per day has a shape).
        """
        self._router.licenses.seed(
            account, pool=pool, assigned=assigned, assigned_at=assigned_at, candidates=candidates
        )

    def assigned(self, account: str) -> set[str]:
        """Device ids holding a license on ``account``."""
        return self._router.licenses.assigned(account)

    def assignments(self, account: str) -> dict[str, datetime]:
        """Device id to (UTC) assignment time on ``account``."""
        return self._router.licenses.assignments(account)

    def candidates(self, account: str) -> list[str]:
        """The V2 license-removal candidate list of ``account``."""
        return self._router.licenses.candidates(account)

    def inject(self, fault: Fault) -> int:
        """Add a fault rule; returns its id (for :meth:`remove_fault`)."""
        return self._router.faults.add(fault)

    def remove_fault(self, fault_id: int) -> bool:
        return self._router.faults.remove(fault_id)

    def clear_faults(self) -> int:
        """Remove every fault rule; returns how many were active."""
        return self._router.faults.clear()

    def active_faults(self) -> list[dict[str, Any]]:
        """The rules still active, each with its ``id``, ``remaining`` and ``hits``."""
        return self._router.faults.active()

    def expire_tokens(self) -> dict[str, int]:
        """Expire every issued access and session token (static M2M tokens stay valid)."""
        return self._router.tokens.expire_tokens()

    def advance_time(self, seconds: float) -> None:
        """Move the simulator's clock forward: tokens age, new timestamps move on."""
        self._router.clock.advance(seconds)

    def unlock(self, username: str | None = None) -> None:
        """Unlock one locked-out login (or all) and forget its failed attempts."""
        self._router.tokens.unlock(username)

    def request_count(self, path_suffix: str | None = None, method: str | None = None) -> int:
        """Requests received (control routes excluded) whose path ends with ``path_suffix``."""
        return self._router.log.count(path_suffix, method)

    def requests(
        self, path_suffix: str | None = None, method: str | None = None
    ) -> list[RecordedRequest]:
        """The recent requests (bounded by ``request_log_size``), oldest first."""
        return self._router.log.entries(path_suffix, method)

    def last_request(
        self, path_suffix: str | None = None, method: str | None = None
    ) -> RecordedRequest | None:
        entries = self.requests(path_suffix, method)
        return entries[-1] if entries else None

    @property
    def token_count(self) -> int:
        """Access tokens issued."""
        return self._router.tokens.token_count

    @property
    def login_count(self) -> int:
        """Successful session logins."""
        return self._router.tokens.login_count

    @property
    def refused_login_count(self) -> int:
        """Session logins answered with an error (after the Bearer check passed)."""
        return self._router.tokens.refused_login_count

    def reset_counters(self) -> None:
        """Zero the request, token and login counters and empty the request log."""
        self._router.reset_counters()

    def stats(self) -> dict[str, Any]:
        """Counters, locked users, per-account figures and the number of active faults."""
        return self._router.stats()


def _signature() -> inspect.Signature:
    """``Simulator``'s signature with every option spelled out, for ``help()`` and completion."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    fields = dataclasses.fields(SimulatorOptions)
    return inspect.Signature(
        [
            inspect.Parameter("options", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
            *(inspect.Parameter(f.name, keyword, default=f.default) for f in fields),
            inspect.Parameter("accounts", keyword, default=None),
            inspect.Parameter("faults", keyword, default=()),
        ]
    )


Simulator.__signature__ = _signature()  # type: ignore[attr-defined]
