"""License pools: accounts, their assigned devices and the V2 cancel list."""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from verizon_sdk.simulator._clock import Clock, format_go, format_rfc3339, from_millis, to_millis
from verizon_sdk.simulator._http import invalid_parameter
from verizon_sdk.simulator._options import SimulatorOptions

ACCOUNT_RE = re.compile(r"[0-9]{10}-[0-9]{5}")
IMEI_RE = re.compile(r"[0-9]{15}")
_NUMBER_RE = re.compile(r"[0-9]+")
_SMALL_BATCH = 32  # below this, keep the sorted id list up to date with bisect.insort / del
#: Seeded devices without ``assigned_at`` get times spread over this many days before now.
SEED_SPREAD_DAYS = 14
_DAY_MS = 86_400_000
_MINUTE_MS = 60_000


def reject_bad_account(name: str) -> None:
    if not ACCOUNT_RE.fullmatch(name):
        raise invalid_parameter("Invalid account name format")


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


def spread_times(count: int, now: int) -> list[int]:
    """Deterministic assignment times (epoch ms) for ``count`` seeded devices, in seed order.

    The first devices are the oldest (up to `SEED_SPREAD_DAYS` days before ``now``), and the
    assignments quicken towards ``now`` as a roll-out does, so a chart per day has a shape.
    Within a day the minute varies by position; no time lies after ``now``.
    """
    times = []
    for index in range(count):
        left = 1 - index / count  # 1 for the first device, towards 0 for the last
        days = min(SEED_SPREAD_DAYS - 1, int(SEED_SPREAD_DAYS * left * left))
        minutes = (index * 37) % (24 * 60)
        times.append(now - days * _DAY_MS - minutes * _MINUTE_MS)
    return times


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
    """Every account the simulator knows. Every method takes ``self.lock`` for a short time."""

    def __init__(self, options: SimulatorOptions, clock: Clock) -> None:
        self.options = options
        self.lock = threading.Lock()
        self._clock = clock
        self._accounts: dict[str, _Account] = {}

    def _now_ms(self) -> int:
        return self._clock.now_ms()

    def _status_total(self, version: int) -> str:
        """The V3 total is ``totalLicenses`` in the published SDK, ``totalLicense`` on the pages
        (V2 is ``totalLicense`` in both)."""
        sdk = version == 3 and self.options.spellings == "sdk"
        return "totalLicenses" if sdk else "totalLicense"

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
            self._status_total(version): pool,
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
                "licCount" if self.options.spellings == "sdk" else "licTotalCount": pool,
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
        """V2 cancel list: ``type: "append"`` appends to it; without it (or with another type)
        the list is replaced, as Verizon's page says. Echoes the devices registered."""
        reject_bad_account(name)
        append = isinstance(body, dict) and body.get("type") == "append"
        devices = list(dict.fromkeys(_device_list(body)))
        if not all(IMEI_RE.fullmatch(device) for device in devices):
            raise invalid_parameter("Invalid device id format")
        with self.lock:
            account = self._account(name)
            kept = account.candidates if append else []
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
        elif assigned_at is None:
            ids = seed_ids(assigned)
            devices = dict(zip(ids, spread_times(len(ids), self._now_ms()), strict=True))
        else:
            devices = dict.fromkeys(seed_ids(assigned), to_millis(assigned_at))
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

    def summaries(self) -> dict[str, dict[str, int]]:
        with self.lock:
            return {name: account.summary() for name, account in self._accounts.items()}
