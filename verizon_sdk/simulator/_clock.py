"""The simulator's clock (which ``advance_time`` moves forward) and its two wire time formats."""

from __future__ import annotations

import calendar
import functools
import threading
import time
from datetime import datetime, timezone


class Clock:
    """Wall and monotonic time plus an offset shared by tokens, sessions and timestamps."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def now_ms(self) -> int:
        """Epoch milliseconds, advanced."""
        return int((time.time() + self._offset) * 1000)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += seconds


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
