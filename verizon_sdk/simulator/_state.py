"""Licenses, tokens and bookkeeping of the simulator. One lock guards all of it."""

from __future__ import annotations

import base64
import binascii
import bisect
import calendar
import functools
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from verizon_sdk.simulator._http import ApiError, Request, invalid_parameter

ACCOUNT_RE = re.compile(r"[0-9]{10}-[0-9]{5}")
IMEI_RE = re.compile(r"[0-9]{15}")
_NUMBER_RE = re.compile(r"[0-9]+")
_SMALL_BATCH = 32  # below this, keep the sorted id list up to date with bisect.insort / del

DEFAULT_M2M_TOKEN = "sim-m2m-token"


@dataclass(frozen=True)
class SimulatorOptions:
    """The validated configuration of one :class:`Simulator` (see the package docstring)."""

    host: str = "127.0.0.1"
    port: int = 0
    pool_size: int = 1000
    max_page_size: int = 1000
    token_lifetime: float = 3600.0
    session_lifetime: float = 1200.0
    latency: float = 0.0
    client_credentials: Mapping[str, str] | None = None
    logins: Mapping[str, str] | None = None
    m2m_tokens: frozenset[str] = frozenset({DEFAULT_M2M_TOKEN})
    strict_accounts: bool = False
    unknown_devices: frozenset[str] = frozenset()
    invalid_device_format_error: bool = False
    lockout_after: int = 5
    login_refusal_status: int = 400
    request_log_size: int = 1000
    control_routes: bool = True
    verbose: bool = False

    def __post_init__(self) -> None:
        checks = [
            (0 <= self.port <= 65535, "port must be between 0 and 65535"),
            (self.pool_size >= 0, "pool_size must be >= 0"),
            (self.max_page_size >= 1, "max_page_size must be >= 1"),
            (self.token_lifetime > 0, "token_lifetime must be > 0"),
            (self.session_lifetime > 0, "session_lifetime must be > 0"),
            (self.latency >= 0, "latency must be >= 0"),
            (self.lockout_after >= 0, "lockout_after must be >= 0 (0 disables the lockout)"),
            (
                self.login_refusal_status in (400, 401, 403),
                "login_refusal_status must be 400/401/403",
            ),
            (self.request_log_size >= 0, "request_log_size must be >= 0"),
            (all(self.m2m_tokens), "m2m_tokens must be non-empty strings"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the simulator received it (kept in a bounded log)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw_body: bytes = field(repr=False)
    status: int | None
    fault: int | None
    time: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly view (no raw bytes) for the ``/api/_sim/requests`` route."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "fault": self.fault,
            "time": self.time,
        }


@functools.lru_cache(maxsize=8192)
def format_rfc3339(ms: int) -> str:
    """``2017-11-29T16:03:42.000Z``: RFC 3339, UTC, milliseconds."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


@functools.lru_cache(maxsize=8192)
def format_go(ms: int) -> str:
    """``2017-11-29 20:15:42.738 +0000 UTC``: Go's ``Time.String()`` (trailing zeros trimmed)."""
    seconds, millis = divmod(ms, 1000)
    fraction = f"{millis:03d}".rstrip("0")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
    return f"{stamp}.{fraction} +0000 UTC" if fraction else f"{stamp} +0000 UTC"


def to_millis(moment: datetime) -> int:
    """Epoch milliseconds of ``moment`` (a naive datetime is taken as UTC)."""
    return calendar.timegm(moment.utctimetuple()) * 1000 + moment.microsecond // 1000


def from_millis(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def reject_bad_account(name: str) -> None:
    if not ACCOUNT_RE.fullmatch(name):
        raise invalid_parameter("Invalid account name format")


def _unauthorized(code: str, message: str, bearer: bool) -> ApiError:
    headers = (("WWW-Authenticate", 'Bearer error="invalid_token"'),) if bearer else ()
    return ApiError(401, {"errorCode": code, "errorMessage": message}, headers)


def _device_list(body: Any) -> list[str]:
    """``deviceList`` of a request body, or the documented 400."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise invalid_parameter("Invalid request body")
    devices = body.get("deviceList")
    if devices is None or devices == []:
        raise invalid_parameter("Device list is empty")
    if not isinstance(devices, list):
        raise invalid_parameter("Invalid request body")
    if not all(isinstance(device, str) for device in devices):
        raise invalid_parameter("Invalid device id format")
    return devices


def seed_ids(devices: Iterable[str | int]) -> list[str]:
    """Device ids for seeding: 15-digit strings, or ints formatted as 15 digits."""
    if isinstance(devices, range):
        if len(devices) and not (min(devices) >= 0 and max(devices) < 10**15):
            raise ValueError("device numbers must lie in [0, 10**15)")
        return [f"{number:015d}" for number in devices]
    ids = []
    for device in devices:
        if isinstance(device, int) and 0 <= device < 10**15:
            ids.append(f"{device:015d}")
        elif isinstance(device, str) and IMEI_RE.fullmatch(device):
            ids.append(device)
        else:
            raise ValueError(f"not a 15-digit device id: {device!r}")
    return ids


class _Account:
    """One account: its pool, assigned devices (with a sorted id list) and cancel list."""

    __slots__ = ("candidate_set", "candidates", "candidates_updated", "devices", "order", "pool")

    def __init__(self, pool: int, devices: dict[str, int] | None = None) -> None:
        self.pool = pool
        self.devices: dict[str, int] = devices or {}  # device id -> assignment time (epoch ms)
        self.order: list[str] = sorted(self.devices)
        self.candidates: list[str] = []
        self.candidate_set: set[str] = set()
        self.candidates_updated: int | None = None

    def summary(self) -> dict[str, int]:
        return {
            "pool": self.pool,
            "assigned": len(self.devices),
            "candidates": len(self.candidates),
        }

    def set_candidates(self, devices: Iterable[str], now: int | None) -> None:
        self.candidates = list(dict.fromkeys(devices))
        self.candidate_set = set(self.candidates)
        self.candidates_updated = now

    def add_sorted(self, added: list[str]) -> None:
        if len(added) <= _SMALL_BATCH:
            for device in added:
                bisect.insort(self.order, device)
        else:
            self.order.extend(added)
            self.order.sort()

    def remove_sorted(self, removed: list[str]) -> None:
        if len(removed) <= _SMALL_BATCH:
            for device in removed:
                del self.order[bisect.bisect_left(self.order, device)]
        else:
            gone = set(removed)
            self.order = [device for device in self.order if device not in gone]


class LicenseState:
    """Everything the simulator knows. Every method takes ``self.lock`` for a short time."""

    def __init__(self, options: SimulatorOptions) -> None:
        self.options = options
        self.lock = threading.Lock()
        self._accounts: dict[str, _Account] = {}
        self._access_tokens: dict[str, float] = {}  # token -> expiry on the monotonic clock
        self._session_tokens: dict[str, float] = {}
        self._failed_logins: dict[str, int] = {}
        self._locked: set[str] = set()
        self._offset = 0.0  # advance_time() moves both clocks forward
        self._requests: Counter[tuple[str, str]] = Counter()
        self._log: deque[RecordedRequest] = deque(maxlen=options.request_log_size)
        self.token_count = 0
        self.login_count = 0
        self.refused_login_count = 0

    # -- clocks -------------------------------------------------------------------------------

    def _monotonic(self) -> float:
        return time.monotonic() + self._offset

    def _now_ms(self) -> int:
        return int((time.time() + self._offset) * 1000)

    def advance_time(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self.lock:
            self._offset += seconds

    # -- OAuth, session login and the two auth headers ----------------------------------------

    def issue_access_token(self, authorization: str | None, form: Mapping[str, str]) -> Any:
        client = _basic_credentials(authorization)
        allowed = self.options.client_credentials
        if client is None or (allowed is not None and allowed.get(client[0]) != client[1]):
            raise ApiError(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                (("WWW-Authenticate", 'Basic realm="ThingSpace"'),),
            )
        grant = form.get("grant_type")
        if not grant:
            raise ApiError(
                400, {"error": "invalid_request", "error_description": "grant_type is required"}
            )
        if grant != "client_credentials":
            raise ApiError(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"grant_type {grant!r} is not supported",
                },
            )
        token = secrets.token_hex(16)
        lifetime = self.options.token_lifetime
        with self.lock:
            self._access_tokens[token] = self._monotonic() + lifetime
            self.token_count += 1
        payload: dict[str, Any] = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(lifetime) if lifetime == int(lifetime) else lifetime,
        }
        if form.get("scope"):
            payload["scope"] = form["scope"]
        return payload

    def check_bearer(self, header: str | None) -> None:
        if not header:
            raise _unauthorized(
                "AccessToken.Missing", "Authorization: Bearer access token is missing", True
            )
        scheme, _, token = header.partition(" ")
        token = token.strip()
        with self.lock:
            expiry = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
            now = self._monotonic()
        if expiry is None:
            raise _unauthorized("AccessToken.Invalid", "Bearer access token is invalid", True)
        if expiry <= now:
            raise _unauthorized("AccessToken.Expired", "Bearer access token has expired", True)

    def check_m2m(self, token: str | None) -> None:
        if not token:
            raise _unauthorized("SessionToken.Missing", "VZ-M2M-Token header is missing", False)
        if token in self.options.m2m_tokens:
            return
        with self.lock:
            expiry = self._session_tokens.get(token)
            now = self._monotonic()
            if expiry is not None and expiry > now:
                # Sessions expire after a period of inactivity: each use extends them.
                self._session_tokens[token] = now + self.options.session_lifetime
                return
        if expiry is None:
            raise _unauthorized("SessionToken.Invalid", "VZ-M2M-Token is invalid", False)
        raise _unauthorized("SessionToken.Expired", "VZ-M2M-Token has expired", False)

    def authorize(self, request: Request) -> None:
        self.check_bearer(request.headers.get("authorization"))
        self.check_m2m(request.headers.get("vz-m2m-token"))

    def login(self, body: Any) -> Any:
        """Session login (the caller has checked the Bearer token)."""
        username = body.get("username") if isinstance(body, dict) else None
        password = body.get("password") if isinstance(body, dict) else None
        if not (isinstance(username, str) and username and isinstance(password, str) and password):
            with self.lock:
                self.refused_login_count += 1
            raise invalid_parameter("username and password are required")
        refusal = self.options.login_refusal_status
        with self.lock:
            if username in self._locked:
                self.refused_login_count += 1
                raise ApiError(
                    refusal,
                    {
                        "errorCode": "ACCOUNT_LOCKED",
                        "errorMessage": "Login locked after consecutive failed attempts; "
                        "contact Verizon support",
                    },
                )
            logins = self.options.logins
            if logins is not None and logins.get(username) != password:
                self.refused_login_count += 1
                failures = self._failed_logins.get(username, 0) + 1
                self._failed_logins[username] = failures
                if self.options.lockout_after and failures >= self.options.lockout_after:
                    self._locked.add(username)
                raise ApiError(
                    refusal,
                    {
                        "errorCode": "INVALID_CREDENTIALS",
                        "errorMessage": "Invalid username or password",
                    },
                )
            self._failed_logins.pop(username, None)
            token = secrets.token_hex(16)
            self._session_tokens[token] = self._monotonic() + self.options.session_lifetime
            self.login_count += 1
        return {"sessionToken": token}

    def unlock(self, username: str | None = None) -> None:
        with self.lock:
            if username is None:
                self._locked.clear()
                self._failed_logins.clear()
            else:
                self._locked.discard(username)
                self._failed_logins.pop(username, None)

    def expire_tokens(self) -> dict[str, int]:
        """Expire every issued access and session token; return how many were still live."""
        with self.lock:
            now = self._monotonic()
            counts = {}
            for kind, tokens in (
                ("accessTokens", self._access_tokens),
                ("sessionTokens", self._session_tokens),
            ):
                counts[kind] = sum(expiry > now for expiry in tokens.values())
                for token in tokens:
                    tokens[token] = now
        return counts

    # -- licenses -----------------------------------------------------------------------------

    def _account(self, name: str) -> _Account:
        """The account (lock held), created on first use unless ``strict_accounts``."""
        account = self._accounts.get(name)
        if account is None:
            if self.options.strict_accounts:
                raise invalid_parameter("Inactive account")
            account = self._accounts[name] = _Account(self.options.pool_size)
        return account

    def status(self, version: int, name: str, last_seen: str | None) -> Any:
        reject_bad_account(name)
        if last_seen is not None and not _NUMBER_RE.fullmatch(last_seen):
            raise invalid_parameter("LastSeenDeviceId Not Valid")
        size = self.options.max_page_size
        with self.lock:
            account = self._account(name)
            start = 0 if last_seen is None else bisect.bisect_right(account.order, last_seen)
            page = account.order[start : start + size]
            times = [account.devices[device] for device in page]
            more = start + len(page) < len(account.order)
            pool, assigned = account.pool, len(account.devices)
        fmt = format_go if version == 3 else format_rfc3339
        return {
            "accountName": name,
            ("totalLicenses" if version == 3 else "totalLicense"): pool,
            "assignedLicenses": assigned,
            "hasMoreData": more,
            "lastSeenDeviceId": page[-1] if page else (last_seen or "0"),
            "maxPageSize": size,
            "deviceList": [
                {"deviceId": device, "assignmentTime": fmt(ms)}
                for device, ms in zip(page, times, strict=True)
            ],
        }

    def change(self, version: int, name: str, body: Any, *, assign: bool) -> Any:
        """Assign (``assign=True``) or remove licenses, one outcome per listed device."""
        reject_bad_account(name)
        devices = _device_list(body)
        if self.options.invalid_device_format_error and not all(
            IMEI_RE.fullmatch(device) for device in devices
        ):
            raise invalid_parameter("Invalid device id format")
        unknown = self.options.unknown_devices
        outcomes: list[tuple[str, str, str]] = []
        changed: list[str] = []
        with self.lock:
            account = self._account(name)
            now = self._now_ms()
            held = account.devices
            for device in devices:
                if not IMEI_RE.fullmatch(device) or device in unknown:
                    outcomes.append((device, "Failure", "Device does not exist."))
                elif assign and device in held:
                    outcomes.append((device, "Failure", "Device license preexisting"))
                elif assign and len(held) >= account.pool:
                    outcomes.append((device, "Failure", "No license available"))
                elif not assign and device not in held:
                    outcomes.append((device, "Failure", "No license attached to device"))
                else:
                    if assign:
                        held[device] = now
                    else:
                        del held[device]
                    changed.append(device)
                    outcomes.append((device, "Success", "Success"))
            if assign:
                account.add_sorted(changed)
            else:
                account.remove_sorted(changed)
            pool, used = account.pool, len(held)
        if version == 3:
            updated = format_rfc3339(now)
            items: list[dict[str, str]] = [
                {"deviceId": d, "status": s, "resultReason": r, "updatedTime": updated}
                for d, s, r in outcomes
            ]
            return {
                "accountName": name,
                "licCount": pool,
                "licUsedCount": used,
                "deviceList": items,
            }
        items = [{"deviceId": d, "status": s, "resultReason": r} for d, s, r in outcomes]
        return {
            "accountName": name,
            "licTotalCount": pool,
            "licUsedCount": used,
            "deviceList": items,
        }

    def set_candidates(self, name: str, body: Any) -> Any:
        """V2 cancel list: ``append`` to it or ``replace`` it; echo the devices registered."""
        reject_bad_account(name)
        kind = body.get("type", "append") if isinstance(body, dict) else "append"
        if kind not in ("append", "replace"):
            raise invalid_parameter("Invalid type")
        devices = list(dict.fromkeys(_device_list(body)))
        if not all(IMEI_RE.fullmatch(device) for device in devices):
            raise invalid_parameter("Invalid device id format")
        with self.lock:
            account = self._account(name)
            kept = account.candidates if kind == "append" else []
            account.set_candidates([*kept, *devices], self._now_ms())
        return {"count": len(devices), "deviceList": devices}

    def list_candidates(self, name: str, start_index: str | None) -> Any:
        reject_bad_account(name)
        if start_index is not None and not _NUMBER_RE.fullmatch(start_index):
            raise invalid_parameter("StartIndex Not Valid")
        start = int(start_index or 0)
        size = self.options.max_page_size
        with self.lock:
            account = self._account(name)
            page = account.candidates[start : start + size]
            more = start + len(page) < len(account.candidates)
            updated = account.candidates_updated
        payload: dict[str, Any] = {"count": len(page), "hasMoreData": more}
        if updated is not None:
            payload["updateTime"] = format_go(updated)
        payload["deviceList"] = page
        return payload

    def delete_candidates(self, name: str) -> Any:
        reject_bad_account(name)
        with self.lock:
            self._account(name).set_candidates((), None)
        return {"success": True}

    # -- seeding and inspection ---------------------------------------------------------------

    def seed(
        self,
        name: str,
        *,
        pool: int | None = None,
        assigned: Iterable[str | int] | Mapping[str, datetime] = (),
        assigned_at: datetime | None = None,
        candidates: Iterable[str | int] = (),
    ) -> None:
        if not ACCOUNT_RE.fullmatch(name):
            raise ValueError(f"account name must look like 0000123456-00001, not {name!r}")
        pool = self.options.pool_size if pool is None else pool
        if pool < 0:
            raise ValueError("pool must be >= 0")
        if isinstance(assigned, Mapping):
            devices = {device: to_millis(at) for device, at in assigned.items()}
            seed_ids(devices)  # validates the ids
        else:
            at = self._now_ms() if assigned_at is None else to_millis(assigned_at)
            devices = dict.fromkeys(seed_ids(assigned), at)
        if len(devices) > pool:
            raise ValueError(f"{len(devices)} assigned devices exceed the pool of {pool}")
        account = _Account(pool, devices)
        account.set_candidates(seed_ids(candidates), self._now_ms() if candidates else None)
        with self.lock:
            self._accounts[name] = account

    def assignments(self, name: str) -> dict[str, datetime]:
        with self.lock:
            account = self._accounts.get(name)
            devices = dict(account.devices) if account else {}
        return {device: from_millis(ms) for device, ms in devices.items()}

    def assigned(self, name: str) -> set[str]:
        with self.lock:
            account = self._accounts.get(name)
            return set(account.devices) if account else set()

    def candidates(self, name: str) -> list[str]:
        with self.lock:
            account = self._accounts.get(name)
            return list(account.candidates) if account else []

    def account_info(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            account = self._accounts.get(name)
            return None if account is None else account.summary()

    # -- request accounting -------------------------------------------------------------------

    def record(self, entry: RecordedRequest) -> None:
        with self.lock:
            self._requests[entry.method, entry.path] += 1
            self._log.append(entry)

    def request_count(self, path_suffix: str | None = None, method: str | None = None) -> int:
        wanted = method.upper() if method else None
        with self.lock:
            return sum(
                count
                for (verb, path), count in self._requests.items()
                if (wanted is None or verb == wanted)
                and (path_suffix is None or path.endswith(path_suffix))
            )

    def requests(
        self, path_suffix: str | None = None, method: str | None = None
    ) -> list[RecordedRequest]:
        wanted = method.upper() if method else None
        with self.lock:
            return [
                entry
                for entry in self._log
                if (wanted is None or entry.method == wanted)
                and (path_suffix is None or entry.path.endswith(path_suffix))
            ]

    def reset_counters(self) -> None:
        with self.lock:
            self._requests.clear()
            self._log.clear()
            self.token_count = self.login_count = self.refused_login_count = 0

    def stats(self) -> dict[str, Any]:
        with self.lock:
            accounts = {name: account.summary() for name, account in self._accounts.items()}
            return {
                "requests": sum(self._requests.values()),
                "tokensIssued": self.token_count,
                "logins": self.login_count,
                "refusedLogins": self.refused_login_count,
                "lockedUsers": sorted(self._locked),
                "accounts": accounts,
            }


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(client_id, secret)`` from ``Authorization: Basic ...``, None if absent or empty."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    if not (colon and client_id and secret):
        return None
    return client_id, secret
