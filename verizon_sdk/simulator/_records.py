"""What the simulator received: a bounded log of requests and a counter per method and path."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any


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


class RequestLog:
    """Counts every request and keeps the last ``size`` of them."""

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._log: deque[RecordedRequest] = deque(maxlen=size)

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._counts[entry.method, entry.path] += 1
            self._log.append(entry)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def count(self, path_suffix: str | None = None, method: str | None = None) -> int:
        wanted = method.upper() if method else None
        with self._lock:
            return sum(
                count
                for (verb, path), count in self._counts.items()
                if (wanted is None or verb == wanted)
                and (path_suffix is None or path.endswith(path_suffix))
            )

    def entries(
        self, path_suffix: str | None = None, method: str | None = None
    ) -> list[RecordedRequest]:
        wanted = method.upper() if method else None
        with self._lock:
            return [
                entry
                for entry in self._log
                if (wanted is None or entry.method == wanted)
                and (path_suffix is None or entry.path.endswith(path_suffix))
            ]

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._log.clear()
