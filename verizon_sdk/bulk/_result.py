"""What a bulk run reports: one outcome per distinct device id, and its exports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from verizon_sdk import _display
from verizon_sdk.bulk import _export
from verizon_sdk.bulk._records import _PENDING, DeviceResult, MemoryStore, Outcome, RecordStore

__all__ = ["_PENDING", "BulkResult", "ChunkEvent", "DeviceResult", "Outcome"]


@dataclass(frozen=True)
class ChunkEvent:
    """One chunk's outcome, given to ``on_chunk``; counts are before reconciliation."""

    index: int
    total_chunks: int
    size: int
    succeeded: int
    failed: int
    not_attempted: int
    unknown: int
    #: The error that stopped the whole chunk (``"ServerError: 503 ..."``), else None.
    error: str | None
    #: Seconds the request took, and seconds since the run started.
    duration: float
    elapsed: float
    #: Ids in the chunks finished so far, and valid ids in all.
    done: int
    total: int


_CSV_FIELDS = (
    "device_id",
    "outcome",
    "status",
    "reason",
    "error",
    "chunk",
    "reconciled",
    "invalid",
    "occurrences",
)


class BulkResult:
    """The account of a bulk run: every distinct input id exactly once, in input order.

    ``result[device_id]`` is its :class:`DeviceResult`; ``succeeded``, ``failed``,
    ``not_attempted`` and ``unknown`` map ids to records (built on each access);
    ``counts`` has the four sizes. See the module docstring for the categories.
    """

    def __init__(self, action: str, account: str, *, _store: RecordStore | None = None) -> None:
        self.action = action
        self.account = account
        #: Where the records are: dicts, or a run's journal (read by queries, lazily).
        self._store: RecordStore = MemoryStore() if _store is None else _store
        #: How many ids reconciliation settled.
        self.reconciled = 0
        #: Why reconciliation could not settle the ambiguous ids, if it failed.
        self.reconciliation_error: str | None = None
        #: Why chunks were left unsent (stop_on_error, a fatal error, an interrupt), else None.
        self.stopped: str | None = None
        self.interrupted = False
        #: The longest ``Retry-After`` (seconds) the service asked for, e.g. with a 429.
        self.retry_after: float | None = None
        #: Chunks sent (whatever their outcome), and seconds the run took.
        self.chunks_sent = 0
        self.elapsed = 0.0

    # -- reading ----------------------------------------------------------------------------

    @property
    def duplicates(self) -> dict[str, int]:
        """Ids that appeared more than once: id -> times it appeared."""
        return self._store.duplicates()

    def __len__(self) -> int:
        return len(self._store)

    def __bool__(self) -> bool:
        """``result.ok``, as ``bool(requests.Response)`` is ``response.ok``: ``if result:``
        reads "did every device succeed?", not "was any id given?" (use ``len`` for that)."""
        return self.ok

    def __eq__(self, other: object) -> bool:
        """The same run outcome: every field equal (so a pickled copy equals the original)."""
        if not isinstance(other, BulkResult):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable while the run fills it

    def __iter__(self) -> Iterator[str]:
        return self._store.ids()

    def __contains__(self, device_id: object) -> bool:
        return isinstance(device_id, str) and self._store.get(device_id) is not None

    def __getitem__(self, device_id: str) -> DeviceResult:
        if not isinstance(device_id, str):  # ids are text: 990000000000001 is not one
            raise KeyError(device_id)
        record = self._store.get(device_id)
        if record is None:
            raise KeyError(device_id)
        return record

    def items(self) -> Iterator[tuple[str, DeviceResult]]:
        return ((d, r) for d, r, _ in self._store.rows())

    def _where(self, where: str) -> dict[str, DeviceResult]:
        return {d: r for d, r, _ in self._store.rows(where)}

    @property
    def succeeded(self) -> dict[str, DeviceResult]:
        return self._where(Outcome.SUCCEEDED.value)

    @property
    def failed(self) -> dict[str, DeviceResult]:
        return self._where(Outcome.FAILED.value)

    @property
    def not_attempted(self) -> dict[str, DeviceResult]:
        return self._where(Outcome.NOT_ATTEMPTED.value)

    @property
    def unknown(self) -> dict[str, DeviceResult]:
        return self._where(Outcome.UNKNOWN.value)

    @property
    def counts(self) -> dict[str, int]:
        return self._store.counts()

    @property
    def input_count(self) -> int:
        """Ids read, repeats included."""
        return self._store.input_count()

    @property
    def ok(self) -> bool:
        """Every id succeeded (and the run was not cut short)."""
        return not self.interrupted and self.counts[Outcome.SUCCEEDED.value] == len(self)

    def failed_ids(self) -> list[str]:
        """Ids the service answered for with a failure (see ``failed`` for the reasons)."""
        return [d for d, _, _ in self._store.rows(Outcome.FAILED.value)]

    def retry_ids(self) -> list[str]:
        """Ids worth sending again: ``unknown`` and ``not_attempted`` except invalid ids."""
        return [d for d, _, _ in self._store.rows("retry")]

    # -- export -----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "account": self.account,
            "total": len(self),
            "input_count": self.input_count,
            **self.counts,
            "duplicates": self._store.duplicate_count(),
            "reconciled": self.reconciled,
            "reconciliation_error": self.reconciliation_error,
            "stopped": self.stopped,
            "interrupted": self.interrupted,
            "retry_after": self.retry_after,
            "chunks_sent": self.chunks_sent,
            "elapsed": round(self.elapsed, 3),
        }

    def rows(self) -> Iterator[dict[str, Any]]:
        """One dict per distinct id, with the ``to_csv`` columns (read from either store)."""
        for device_id, record, occurrences in self._store.rows():
            yield {
                "device_id": device_id,
                "outcome": record.outcome.value,
                "status": record.status,
                "reason": record.reason,
                "error": record.error,
                "chunk": record.chunk,
                "reconciled": record.reconciled,
                "invalid": record.invalid,
                "occurrences": occurrences,
            }

    def to_dict(self) -> dict[str, Any]:
        """The summary, the repeated ids and one entry per device (JSON-ready)."""
        return {
            "summary": self.summary(),
            "duplicates": dict(self.duplicates),
            "devices": list(self.rows()),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """``to_dict()`` as JSON; a lone surrogate is written as its escape (see ``to_csv``)."""
        return _export.to_json(self.to_dict(), indent=indent)

    def to_csv(self, path_or_file: str | os.PathLike[str] | TextIO) -> None:
        """Write one row per distinct id (columns: ``_CSV_FIELDS``) to a path or text file.

        Every row is written whatever the text: a lone surrogate becomes its backslash escape
        (``\\ud800``), and a text cell beginning with ``= + - @``, tab, CR or ``'`` gets a
        ``'`` in front so no spreadsheet runs it (OWASP). A path is replaced only once the
        whole file is written. See :mod:`verizon_sdk.bulk._export`.
        """
        if isinstance(path_or_file, (str, os.PathLike)):
            _export.write_file(path_or_file, self._write_csv)
        else:
            self._write_csv(path_or_file)

    def _write_csv(self, file: TextIO) -> None:
        _export.write_csv(self.rows(), _CSV_FIELDS, file)

    def _repr_html_(self) -> str:
        return _display.bulk_html(self)

    def to_dataframe(self) -> Any:
        """Every device's outcome as a ``pandas.DataFrame`` (``verizon-sdk[pandas]``)."""
        return _display.to_dataframe(_display.bulk_rows(self), _display.BULK_COLUMNS)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {name}" for name, n in self.counts.items())
        repeated = self._store.duplicate_count()
        extra = "".join(
            f", {text}"
            for text, shown in (
                (_plural(repeated, "duplicate"), repeated),
                (f"{self.reconciled} reconciled", self.reconciled),
                ("reconciliation failed", self.reconciliation_error),
                ("stopped early", self.stopped and not self.interrupted),
                ("interrupted", self.interrupted),
            )
            if shown
        )
        return f"BulkResult({self.action} {self.account}: {len(self)} ids, {counts}{extra})"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- the run ----------------------------------------------------------------------------------
