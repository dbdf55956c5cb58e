"""Client configuration: one validated, immutable value object."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from difflib import get_close_matches
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import requests
from apimatic_core.http.configurations.proxy_settings import ProxySettings

from verizon_sdk._credentials import (
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VZM2mTokenCredentials,
)
from verizon_sdk._headers import HEADER_SAFE, HEADER_TEXT
from verizon_sdk._proxies import check_proxy
from verizon_sdk.exceptions import ConfigurationError


class Environment(str, Enum):
    """Which ThingSpace deployment to call (``API_ROOTS`` has their roots).

    ``client.environment`` reports ``CUSTOM`` when ``base_url`` replaces the root, whatever
    ``environment`` was given; ``client.api_root`` is the root really used.
    """

    PRODUCTION = "production"
    STAGING = "staging"
    MOCK_SERVER = "mock_server"
    CUSTOM = "custom"


class Server(str, Enum):
    """The servers under an API root."""

    OAUTH = "oauth"
    M2M = "m2m"
    SOFTWARE_MANAGEMENT_V2 = "software_management_v2"
    SOFTWARE_MANAGEMENT_V3 = "software_management_v3"


#: The published SDK 2.0.0's roots (its 1.7.0 had ``https://mock.thingspace.verizon.com/api``).
API_ROOTS: dict[Environment, str] = {
    Environment.PRODUCTION: "https://thingspace.verizon.com/api",
    Environment.STAGING: "https://staging.thingspace.verizon.com/api",
    Environment.MOCK_SERVER: "https://mock-staging.thingspace.verizon.com/api",
}

#: The OAuth token endpoint under its server. Fetching a token changes nothing on the service,
#: so this POST is retried like a GET.
#: ``Configuration.max_response_bytes`` by default: 32 MiB, far above any page the service sends.
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
#: ``Configuration.max_pages`` by default: 100,000 pages, millions of devices.
DEFAULT_MAX_PAGES = 100_000
TOKEN_PATH = "/oauth2/token"
#: The M2M session login endpoint under its server.
LOGIN_PATH = "/v1/session/login"

SERVER_SUFFIXES: dict[Server, str] = {
    Server.OAUTH: "/ts/v1",
    Server.M2M: "/m2m",
    Server.SOFTWARE_MANAGEMENT_V2: "/fota/v2",
    Server.SOFTWARE_MANAGEMENT_V3: "/fota/v3",
}


def attempt_deadline(connect: float, read: float) -> float:
    """Wall-clock seconds one HTTP attempt may take, from connecting to the last body byte.

    The one definition: ``_connections`` enforces it on the sync client's sockets and
    :meth:`Configuration.time_budget` counts it; the async transport ends each attempt after
    the same connect + read seconds.
    """
    return connect + read


@dataclass(frozen=True)
class Timeout:
    """Connect and read timeouts, in seconds, for every single HTTP attempt.

    ``connect`` bounds opening the connection, ``read`` each wait for data; the whole attempt
    (sending, the status line and headers, every body read) ends by :attr:`deadline`.
    """

    connect: float = 10.0
    read: float = 30.0

    def __post_init__(self) -> None:
        for name in ("connect", "read"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigurationError(f"timeout.{name} must be a number of seconds")
            if not math.isfinite(value) or value <= 0:
                raise ConfigurationError(
                    f"timeout.{name} must be a positive finite number, got {value!r}"
                )

    def as_requests(self) -> tuple[float, float]:
        return (float(self.connect), float(self.read))

    @property
    def deadline(self) -> float:
        """Wall-clock seconds one attempt may take in all: ``connect + read``."""
        return attempt_deadline(self.connect, self.read)


_USERINFO = re.compile(r"(?<=://)[^/?#]*@")


def _shown(url: Any) -> str:
    """``url`` as an error may repeat it: any ``user:password@`` replaced by ``***@``."""
    return repr(_USERINFO.sub("***@", url) if isinstance(url, str) else url)


def _check_base_url(url: Any) -> str:
    """``http(s)://host[:port][/path]``: no credentials, query, fragment or whitespace.

    No error repeats the credentials a URL carries (``user:password@``)."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"base_url must be an http:// or https:// URL, got {_shown(url)}")
    if not HEADER_SAFE.fullmatch(url):
        raise ConfigurationError(
            "base_url must not contain whitespace, control or non-ASCII characters "
            "(percent-encode them)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when it is not a number in range
    except ValueError as exc:
        shown = _shown(url)
        raise ConfigurationError(f"base_url {shown} is not a valid URL: {exc}") from None
    if not parts.hostname:
        raise ConfigurationError(f"base_url {_shown(url)} has no host")
    if "@" in parts.netloc:
        raise ConfigurationError(
            "base_url must not carry credentials (user:password@): they would replace the "
            "OAuth token; give credentials through the credential objects"
        )
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ConfigurationError(f"base_url must not have a query or fragment, got {_shown(url)}")
    del port
    return url.rstrip("/")


def _check_option_names(options: Mapping[str, Any]) -> None:
    known = {f.name for f in fields(Configuration)}
    unknown = sorted(set(options) - known)
    if unknown:
        hints = [
            f"{name} (did you mean {close[0]}?)"
            if (close := get_close_matches(name, known, 1))
            else name
            for name in unknown
        ]
        raise ConfigurationError(f"unknown configuration option(s): {', '.join(hints)}")


def _non_negative(name: str, value: Any, *, integer: bool = False) -> None:
    kinds: tuple[type[int] | type[float], ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an integer" if integer else "a number"
        raise ConfigurationError(f"{name} must be {kind}, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ConfigurationError(f"{name} must be >= 0, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class Configuration:
    """Everything a :class:`~verizon_sdk.VerizonClient` is built from.

    ``base_url`` replaces the API root of every server (for example
    ``"http://127.0.0.1:8080/api"``); otherwise ``environment`` picks it.
    ``timeout`` is a :class:`Timeout` or one number used for both connect and read.
    """

    thingspace_oauth_credentials: ThingspaceOauthCredentials | None = None
    vz_m2m_token_credentials: VZM2mTokenCredentials | None = None
    m2m_session_credentials: M2MSessionCredentials | None = None
    environment: Environment = Environment.PRODUCTION
    base_url: str | None = None
    timeout: Timeout = Timeout()
    max_retries: int = 3
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 60.0
    retry_statuses: tuple[int, ...] = (408, 429, 500, 502, 503, 504)
    proxy_settings: ProxySettings | None = None
    verify: bool | str = True
    http_session: requests.Session | None = None
    pool_maxsize: int = 10
    token_refresh_skew: float = 60.0
    user_agent: str | None = None
    #: What the SDK refuses before sending: "printable", "thingspace" or "none" (doc/errors.md).
    device_id_rule: str = "printable"
    #: Most device ids one call may carry; an SDK setting (Verizon publishes none); None: no cap.
    max_devices_per_request: int | None = 10_000
    #: Largest response body read, in bytes after decoding (gzip included); past it the call
    #: raises ResponseTooLargeError (doc/reliability.md).
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    #: Most pages one iterator walks; past it a PaginationError stops it (doc/reliability.md).
    max_pages: int = DEFAULT_MAX_PAGES

    def __new__(cls, *args: Any, **options: Any) -> Configuration:
        # Before the dataclass __init__, which would raise a bare TypeError.
        _check_option_names(options)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        self._check_credentials()
        self._normalise_environment()
        self._normalise_timeout()
        _non_negative("max_retries", self.max_retries, integer=True)
        for name in ("backoff_factor", "backoff_max", "max_retry_after", "token_refresh_skew"):
            _non_negative(name, getattr(self, name))
        _non_negative("pool_maxsize", self.pool_maxsize, integer=True)
        for name in ("max_response_bytes", "max_pages"):
            _non_negative(name, getattr(self, name), integer=True)
            if getattr(self, name) < 1:
                raise ConfigurationError(f"{name} must be at least 1")
        if self.pool_maxsize < 1:
            raise ConfigurationError("pool_maxsize must be at least 1")
        statuses: Any = self.retry_statuses
        if isinstance(statuses, (str, bytes)) or not isinstance(statuses, Iterable):
            raise ConfigurationError("retry_statuses must be a collection of HTTP status codes")
        statuses = tuple(statuses)  # once: a generator can be read only once
        if not all(
            isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in statuses
        ):
            raise ConfigurationError("retry_statuses must be HTTP status codes (100-599)")
        object.__setattr__(self, "retry_statuses", statuses)
        if self.proxy_settings is not None and not isinstance(self.proxy_settings, ProxySettings):
            raise ConfigurationError("proxy_settings must be an apimatic ProxySettings")
        if self.proxy_settings is not None:
            check_proxy(self.proxy_settings)
        if self.http_session is not None and not isinstance(self.http_session, requests.Session):
            raise ConfigurationError("http_session must be a requests.Session")
        verify = self.verify
        if not isinstance(verify, (bool, str)) or (isinstance(verify, str) and not verify.strip()):
            raise ConfigurationError("verify must be True, False or the path of a CA bundle")
        if self.http_session is not None and (
            self.proxy_settings is not None or verify is not True
        ):
            raise ConfigurationError(
                "http_session is used as given: set proxies and verify on that session "
                "instead of proxy_settings/verify"
            )
        if isinstance(verify, str) and not os.path.exists(verify):
            raise ConfigurationError(f"verify: no CA bundle at {verify!r}")
        if self.device_id_rule not in ("printable", "thingspace", "none"):
            raise ConfigurationError(
                "device_id_rule must be 'printable', 'thingspace' or 'none', "
                f"got {self.device_id_rule!r}"
            )
        if self.max_devices_per_request is not None:
            _non_negative("max_devices_per_request", self.max_devices_per_request, integer=True)
            if self.max_devices_per_request < 1:
                raise ConfigurationError("max_devices_per_request must be at least 1 (or None)")
        if self.user_agent is not None and (
            not isinstance(self.user_agent, str) or not HEADER_TEXT.fullmatch(self.user_agent)
        ):
            raise ConfigurationError(
                "user_agent must be a non-empty string of printable ASCII characters"
            )

    def _check_credentials(self) -> None:
        checks: tuple[tuple[str, type], ...] = (
            ("thingspace_oauth_credentials", ThingspaceOauthCredentials),
            ("vz_m2m_token_credentials", VZM2mTokenCredentials),
            ("m2m_session_credentials", M2MSessionCredentials),
        )
        for name, kind in checks:
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise ConfigurationError(
                    f"{name} must be a {kind.__name__}, got {type(value).__name__}"
                )
        if self.thingspace_oauth_credentials is None:
            raise ConfigurationError(
                "thingspace_oauth_credentials is required: "
                "ThingspaceOauthCredentials(oauth_client_id=..., oauth_client_secret=...)"
            )
        if self.vz_m2m_token_credentials is None and self.m2m_session_credentials is None:
            raise ConfigurationError(
                "an M2M credential is required: vz_m2m_token_credentials="
                "VZM2mTokenCredentials(...) or m2m_session_credentials=M2MSessionCredentials(...)"
            )
        if self.vz_m2m_token_credentials is not None and self.m2m_session_credentials is not None:
            raise ConfigurationError(
                "give either vz_m2m_token_credentials or m2m_session_credentials, not both"
            )
        if ":" in self.thingspace_oauth_credentials.oauth_client_id:
            raise ConfigurationError(
                "oauth_client_id must not contain ':' (HTTP Basic authentication splits on it)"
            )
        m2m = self.vz_m2m_token_credentials
        if m2m is not None and not HEADER_SAFE.fullmatch(m2m.vz_m2m_token):
            # sent as a header: a space, control or non-ASCII character cannot be sent
            raise ConfigurationError(
                "vz_m2m_token must be printable ASCII without spaces or control characters"
            )

    def _normalise_environment(self) -> None:
        env = self.environment
        if not isinstance(env, Environment):
            names = ", ".join(e.name for e in Environment)
            try:
                env = Environment(str(env).lower()) if isinstance(env, str) else None
            except ValueError:
                env = Environment.__members__.get(str(env).upper())
            if env is None:
                raise ConfigurationError(
                    f"unknown environment {self.environment!r}; expected one of {names}"
                )
            object.__setattr__(self, "environment", env)
        if self.base_url is not None:
            object.__setattr__(self, "base_url", _check_base_url(self.base_url))
        elif env is Environment.CUSTOM:
            raise ConfigurationError(
                "Environment.CUSTOM means that base_url replaces the API root: give base_url"
            )

    def _normalise_timeout(self) -> None:
        timeout: Any = self.timeout
        if isinstance(timeout, Timeout):
            return
        if isinstance(timeout, tuple) and len(timeout) == 2:
            object.__setattr__(self, "timeout", Timeout(connect=timeout[0], read=timeout[1]))
        elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
            object.__setattr__(self, "timeout", Timeout(connect=timeout, read=timeout))
        else:
            raise ConfigurationError(
                "timeout must be seconds, a (connect, read) pair, or a Timeout, "
                f"got {type(timeout).__name__}"
            )

    @property
    def api_root(self) -> str:
        return self.base_url or API_ROOTS[self.environment]

    @property
    def effective_environment(self) -> Environment:
        """``environment``, or ``Environment.CUSTOM`` when ``base_url`` replaces its root."""
        return Environment.CUSTOM if self.base_url is not None else self.environment

    def server_url(self, server: Server) -> str:
        return self.api_root + SERVER_SUFFIXES[server]

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint."""
        return self.server_url(Server.OAUTH) + TOKEN_PATH

    @property
    def login_url(self) -> str:
        """The M2M session login endpoint."""
        return self.server_url(Server.M2M) + LOGIN_PATH

    def time_budget(self) -> float:
        """Most seconds one HTTP exchange (all its retries) takes, whatever the server sends.

        ``(max_retries + 1) * timeout.deadline`` (each attempt ends by its wall-clock
        deadline, connect + read, even against a server that trickles bytes) plus, before
        retry ``n``, the longer of the backoff cap ``min(backoff_max, backoff_factor *
        2**(n-1))`` and ``max_retry_after``. A call is at most a few exchanges (API request,
        replays after a 401, token fetch, login): ``doc/reliability.md`` counts them.
        """

        def wait(n: int) -> float:
            cap = min(self.backoff_max, self.backoff_factor * 2.0 ** min(n - 1, 1000))
            return max(cap, self.max_retry_after)

        head = min(self.max_retries, 1000)  # past that every wait is the same
        waits = sum(wait(n) for n in range(1, head + 1)) + (self.max_retries - head) * wait(head)
        return (self.max_retries + 1) * self.timeout.deadline + waits

    def clone_with(self, **changes: Any) -> Configuration:
        """A copy with ``changes`` applied; 0, False and empty values are kept."""
        _check_option_names(changes)
        m2m = ("vz_m2m_token_credentials", "m2m_session_credentials")
        for given, other in (m2m, m2m[::-1]):
            if changes.get(given) is not None and other not in changes:
                changes[other] = None  # switching M2M credential kinds
        return replace(self, **changes)
