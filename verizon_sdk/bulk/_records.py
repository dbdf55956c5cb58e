"""Where a bulk run keeps its per-id records: the outcome values, and the store seam.

:class:`RecordStore` is what the engine writes to and :class:`~verizon_sdk.bulk.BulkResult`
reads from. :class:`MemoryStore` keeps the records in dicts (a run without a journal);
:class:`verizon_sdk.bulk._journal_store.JournalStore` keeps them in the journal's SQLite file
and answers by queries, so a journaled run over millions of ids holds none of them in Python.
Both hold every distinct id exactly once, in input order; a *pending* id (valid, not yet sent)
reads as :data:`_PENDING`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import zip_longest
from typing import Any

from verizon_sdk._checks import check_device_id
from verizon_sdk.exceptions import InvalidTypeError, ValidationError


class Outcome(str, Enum):
    """Where a device ended up; the values are the names used in reports."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DeviceResult:
    """What happened to one device id.

    ``status`` and ``reason`` are the service's per-device ``status`` and ``resultReason``
    when it answered for the device; ``error`` is the SDK's explanation (the error that
    stopped the chunk, the validation message, a status it does not know, what
    reconciliation found).
    ``chunk`` is the 0-based index of the chunk that carried (or would have carried) the id,
    None for an invalid id. Records are shared between ids, so never mutate one.
    """

    outcome: Outcome
    status: str | None = None
    reason: str | None = None
    error: str | None = None
    chunk: int | None = None
    reconciled: bool = False
    invalid: bool = False

    @property
    def answered(self) -> bool:
        """Whether the service answered for this device (a status or reason it sent)."""
        return self.status is not None or self.reason is not None

    @property
    def retryable(self) -> bool:
        """Whether sending the id again could help: unknown, or not attempted and valid."""
        return self.outcome is Outcome.UNKNOWN or (
            self.outcome is Outcome.NOT_ATTEMPTED and not self.invalid
        )


_PENDING = DeviceResult(Outcome.UNKNOWN, error="no outcome recorded")

#: Records that share one value, written together: (record, the ids that get it).
Groups = Iterable[tuple[DeviceResult, Sequence[str]]]


class RecordStore:
    """The records of one run. Writes come from the engine, on the calling thread only."""

    # -- planning (the input is read in batches, then cut into chunks) -----------------------

    def add(self, batch: Sequence[tuple[str, DeviceResult | None]]) -> None:
        """Add ids in input order (None: valid, pending); a repeat counts an occurrence."""
        raise NotImplementedError

    def invalid_count(self) -> int:
        raise NotImplementedError

    def plan(self, chunk_size: int) -> int:
        """Cut the pending ids into chunks of ``chunk_size``, in order; returns how many ids."""
        raise NotImplementedError

    def discard(self) -> None:
        """The input could not be read: forget the plan (a journal's partial file is removed)."""

    def chunk_ids(self, index: int) -> list[str]:
        raise NotImplementedError

    # -- the run ------------------------------------------------------------------------------

    def sending(self, indexes: Sequence[int]) -> None:
        """These chunks are about to be sent (a journal commits this durably first)."""

    def unsend(self, index: int) -> None:
        """Chunk ``index`` was cancelled before a worker took it."""

    def is_sending(self, index: int) -> bool:
        """Whether chunk ``index`` is committed as sending (and not yet settled)."""
        return False

    def write(
        self,
        index: int | None,
        groups: Groups,
        *,
        settled: bool = False,
        sending: Sequence[int] = (),
    ) -> None:
        """Record ``groups``. With an ``index`` they cover that whole chunk; ``settled``: its
        outcome is final. ``sending``: chunks to mark as :meth:`sending` in the same step."""
        raise NotImplementedError

    def settle_pending(self, error: str) -> None:
        """Every pending id is ``not_attempted`` with ``error`` (its chunk never went out)."""
        raise NotImplementedError

    def settle_planned(self) -> None:
        """The run ended normally: chunks still planned (a stop left them unsent) are settled."""

    def finish(self, result: Any) -> None:
        """The run ended normally (``result`` is its :class:`BulkResult`)."""

    def close(self) -> None:
        """The run ended; reading the records stays possible."""

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        raise NotImplementedError

    def ids(self) -> Iterator[str]:
        raise NotImplementedError

    def get(self, device_id: str) -> DeviceResult | None:
        raise NotImplementedError

    def rows(self, where: str = "") -> Iterator[tuple[str, DeviceResult, int]]:
        """(id, record, occurrences) in input order; ``where``: one ``Outcome`` value, or
        ``"retry"`` (retryable), else all."""
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        raise NotImplementedError

    def duplicates(self) -> dict[str, int]:
        """Ids given more than once: id -> times given."""
        raise NotImplementedError

    def duplicate_count(self) -> int:
        return len(self.duplicates())

    def input_count(self) -> int:
        return len(self) + sum(n - 1 for n in self.duplicates().values())

    def __eq__(self, other: object) -> bool:
        """The same records, in the same order, whichever stores hold them."""
        if not isinstance(other, RecordStore):
            return NotImplemented
        if len(self) != len(other):
            return False
        return all(a == b for a, b in zip_longest(self.rows(), other.rows()))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        """A pickled store is a :class:`MemoryStore` of the same records (all of them)."""
        return (_memory_store, ({d: r for d, r, _ in self.rows()}, self.duplicates()))


def _memory_store(records: dict[str, DeviceResult], repeats: dict[str, int]) -> MemoryStore:
    store = MemoryStore()
    store.records, store.repeats = records, repeats
    return store


def matches(record: DeviceResult, where: str) -> bool:
    if where == "retry":
        return record.retryable
    return not where or record.outcome.value == where


class MemoryStore(RecordStore):
    """The records in two dicts (a run without a journal): about 100 bytes per distinct id."""

    def __init__(self) -> None:
        self.records: dict[str, DeviceResult] = {}
        #: Ids given more than once: id -> times given (``BulkResult.duplicates`` itself).
        self.repeats: dict[str, int] = {}
        self.valid: list[str] = []
        self.chunk_size = 1

    def add(self, batch: Sequence[tuple[str, DeviceResult | None]]) -> None:
        records = self.records
        for device_id, record in batch:
            if device_id in records:
                self.repeats[device_id] = self.repeats.get(device_id, 1) + 1
            else:
                records[device_id] = _PENDING if record is None else record

    def invalid_count(self) -> int:
        return sum(r.invalid for r in self.records.values())

    def plan(self, chunk_size: int) -> int:
        self.valid = [d for d, r in self.records.items() if r is _PENDING]
        self.chunk_size = chunk_size
        return len(self.valid)

    def chunk_ids(self, index: int) -> list[str]:
        return self.valid[index * self.chunk_size : (index + 1) * self.chunk_size]

    def write(
        self,
        index: int | None,
        groups: Groups,
        *,
        settled: bool = False,
        sending: Sequence[int] = (),
    ) -> None:
        records = self.records
        for record, ids in groups:
            for device_id in ids:
                records[device_id] = record

    def settle_pending(self, error: str) -> None:
        records = self.records
        shared: dict[int, DeviceResult] = {}
        for position, device_id in enumerate(self.valid):
            if records[device_id] is _PENDING:
                index = position // self.chunk_size
                record = shared.get(index)
                if record is None:
                    record = shared[index] = DeviceResult(
                        Outcome.NOT_ATTEMPTED, error=error, chunk=index
                    )
                records[device_id] = record

    def __len__(self) -> int:
        return len(self.records)

    def ids(self) -> Iterator[str]:
        return iter(self.records)

    def get(self, device_id: str) -> DeviceResult | None:
        return self.records.get(device_id)

    def rows(self, where: str = "") -> Iterator[tuple[str, DeviceResult, int]]:
        repeats = self.repeats
        for device_id, record in self.records.items():
            if matches(record, where):
                yield device_id, record, repeats.get(device_id, 1)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((o.value for o in Outcome), 0)
        for record in self.records.values():
            counts[record.outcome.value] += 1
        return counts

    def duplicates(self) -> dict[str, int]:
        # in the order the ids were first given, as the journal lists them; a copy
        repeats = self.repeats
        return {d: repeats[d] for d in self.records if d in repeats} if repeats else {}

    def duplicate_count(self) -> int:
        return len(self.repeats)

    def input_count(self) -> int:
        return len(self.records) + sum(n - 1 for n in self.repeats.values())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MemoryStore):
            return self.records == other.records and self.repeats == other.repeats
        return super().__eq__(other)

    __hash__ = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (_memory_store, (self.records, self.repeats))


#: Ids read per batch handed to the store (a journal inserts each batch with one statement).
READ_BATCH = 5000


def read_into(
    store: RecordStore, device_ids: Iterable[str], *, strict: bool = False, rule: str = "printable"
) -> None:
    """Validate every id and add it to ``store`` in batches (the store collapses repeats)."""
    if isinstance(device_ids, (str, bytes)) or not isinstance(device_ids, Iterable):
        raise InvalidTypeError(
            "device_ids",
            f"expected an iterable of device id strings, got {type(device_ids).__name__}",
        )
    batch: list[tuple[str, DeviceResult | None]] = []
    first = ""
    checked: dict[str, DeviceResult | None] = {}  # this batch's ids: a repeat is checked once
    for position, device_id in enumerate(device_ids):
        if not isinstance(device_id, str):
            raise InvalidTypeError(
                f"device_ids[{position}]",
                f"expected a device id string, got {type(device_id).__name__}; nothing was sent",
            )
        if device_id in checked:
            batch.append((device_id, checked[device_id]))
            continue
        record: DeviceResult | None = None
        try:
            check_device_id(f"device_ids[{position}]", device_id, rule)
        except ValidationError as exc:
            first = first or str(exc)
            record = DeviceResult(Outcome.NOT_ATTEMPTED, error=f"invalid: {exc}", invalid=True)
        checked[device_id] = record
        batch.append((device_id, record))
        if len(batch) >= READ_BATCH:
            store.add(batch)
            batch, checked = [], {}
    store.add(batch)
    if strict and first:
        invalid = store.invalid_count()
        raise ValidationError(
            "device_ids", f"{invalid} invalid device id(s), nothing was sent; first: {first}"
        )
