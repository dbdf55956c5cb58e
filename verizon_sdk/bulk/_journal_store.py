"""The journal as a run's record store: :class:`~verizon_sdk.bulk.BulkResult` answered by queries.

A journaled run writes every id and outcome to the journal (:mod:`verizon_sdk.bulk._journal`)
and keeps none of them in Python: ``result["id"]``, iteration, the four categories,
``retry_ids()``, the counts and the exports read the file as they are asked, in input order
(``ORDER BY pos``). While the run is going the journal's own connection is used; after it, a
connection is opened on first use (read-only) and closed when the store is collected, so the
file must stay while the result is read. A pickled result carries its records (a
:class:`~verizon_sdk.bulk._records.MemoryStore`), not the path.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

from verizon_sdk.bulk._journal import Journal
from verizon_sdk.bulk._records import _PENDING, DeviceResult, Groups, Outcome, RecordStore
from verizon_sdk.bulk._result import BulkResult

_COLUMNS = "device_id, outcome, status, reason, error, chunk, reconciled, invalid, occurrences"
#: ``rows(where)`` as SQL; a pending id (outcome NULL) reads as ``unknown``.
_WHERE = {
    "": "",
    Outcome.SUCCEEDED.value: "WHERE outcome = 'succeeded'",
    Outcome.FAILED.value: "WHERE outcome = 'failed'",
    Outcome.NOT_ATTEMPTED.value: "WHERE outcome = 'not_attempted'",
    Outcome.UNKNOWN.value: "WHERE outcome IS NULL OR outcome = 'unknown'",
    "retry": "WHERE outcome IS NULL OR outcome = 'unknown'"
    " OR (outcome = 'not_attempted' AND invalid = 0)",
}
#: Distinct records kept for sharing while reading (most ids of a run share a handful).
_SHARED = 256


class JournalStore(RecordStore):
    """The records of the run journaled at ``path``; ``journal`` is open while it runs."""

    def __init__(self, path: str, journal: Journal | None) -> None:
        self.path = os.path.abspath(path)  # read later, maybe from another directory
        self.journal = journal
        self._reader: sqlite3.Connection | None = None
        self._length: int | None = None

    @classmethod
    def result(cls, journal: Journal, *, keep_open: bool) -> BulkResult:
        """The recorded run as a :class:`BulkResult` reading ``journal`` (closed unless
        ``keep_open``, when the store writes through it)."""
        store = cls(journal.path, journal if keep_open else None)
        result = BulkResult(journal.meta["action"], journal.meta["account"], _store=store)
        for name, value in journal.summary().items():
            setattr(result, name, value)
        if not keep_open:
            journal.close()
        return result

    def _db(self) -> sqlite3.Connection:
        if self.journal is not None:
            return self.journal._db
        if self._reader is None:
            self._reader = sqlite3.connect(
                f"file:{urllib.parse.quote(os.path.abspath(self.path))}?mode=ro",
                uri=True,
                check_same_thread=False,
            )
            weakref.finalize(self, self._reader.close)
        return self._reader

    # -- writing: the journal's state changes -------------------------------------------------

    def add(self, batch: Sequence[tuple[str, DeviceResult | None]]) -> None:
        assert self.journal is not None
        self.journal.add(batch)

    def plan(self, chunk_size: int) -> int:
        assert self.journal is not None
        return self.journal.commit_plan()

    def discard(self) -> None:
        if self.journal is not None:
            self.journal.discard()
            self.journal = None

    def chunk_ids(self, index: int) -> list[str]:
        rows = self._db().execute(
            "SELECT device_id FROM ids WHERE chunk = ? ORDER BY pos", (index,)
        )
        return [d for (d,) in rows]

    def chunks(self, state: str) -> list[int]:
        """The indexes of the chunks in ``state``, in order."""
        rows = self._db().execute("SELECT idx FROM chunks WHERE state = ? ORDER BY idx", (state,))
        return [int(i) for (i,) in rows]

    def planned_ids(self) -> int:
        """How many ids the ``planned`` chunks hold."""
        return self._one(
            "SELECT count(*) FROM ids"
            " WHERE chunk IN (SELECT idx FROM chunks WHERE state = 'planned')"
        )

    def sending(self, indexes: Sequence[int]) -> None:
        assert self.journal is not None
        self.journal.sending(indexes)

    def unsend(self, index: int) -> None:
        assert self.journal is not None
        self.journal.unsend(index)

    def is_sending(self, index: int) -> bool:
        return self.journal is not None and index in self.journal.marked

    def write(
        self,
        index: int | None,
        groups: Groups,
        *,
        settled: bool = False,
        sending: Sequence[int] = (),
    ) -> None:
        assert self.journal is not None
        self.journal.write(index, groups, settled=settled, sending=sending)

    def settle_pending(self, error: str) -> None:
        assert self.journal is not None
        self.journal.settle_pending(error)

    def settle_planned(self) -> None:
        assert self.journal is not None
        self.journal.settle_planned()

    def finish(self, result: Any) -> None:
        """Take the totals of every attempt at the run from the journal, and finish it."""
        assert self.journal is not None
        result.chunks_sent = self._one("SELECT count(*) FROM chunks WHERE sent = 1")
        result.reconciled = self._one("SELECT count(*) FROM records WHERE reconciled = 1")
        self.journal.finish(result)

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    # -- reading ------------------------------------------------------------------------------

    def invalid_count(self) -> int:
        return self._one("SELECT count(*) FROM ids WHERE invalid = 1")

    def _one(self, sql: str, *args: Any) -> int:
        (value,) = self._db().execute(sql, args).fetchone()
        return int(value or 0)

    def __len__(self) -> int:
        if self._length is None:
            length = self._one("SELECT count(*) FROM ids")
            if self.journal is None or self.journal.partial is None:
                self._length = length  # the plan is complete: no id is added any more
            return length
        return self._length

    def ids(self) -> Iterator[str]:
        return (d for (d,) in self._db().execute("SELECT device_id FROM ids ORDER BY pos"))

    def get(self, device_id: str) -> DeviceResult | None:
        row = (
            self._db()
            .execute(f"SELECT {_COLUMNS} FROM records WHERE device_id = ?", (device_id,))
            .fetchone()
        )
        return None if row is None else _record(row[1:8], {})

    def rows(self, where: str = "") -> Iterator[tuple[str, DeviceResult, int]]:
        shared: dict[tuple[Any, ...], DeviceResult] = {}
        cursor = self._db().execute(f"SELECT {_COLUMNS} FROM records {_WHERE[where]} ORDER BY pos")
        for row in cursor:
            yield row[0], _record(row[1:8], shared), row[8]

    def counts(self) -> dict[str, int]:
        """One pass, no sort (a ``GROUP BY`` over the view would sort every row)."""
        names = [o.value for o in Outcome]
        sums = ", ".join(f"total(coalesce(outcome, 'unknown') = '{name}')" for name in names)
        row = self._db().execute(f"SELECT {sums} FROM records").fetchone()
        return {name: int(n) for name, n in zip(names, row, strict=True)}

    def duplicates(self) -> dict[str, int]:
        rows = self._db().execute(
            "SELECT device_id, occurrences FROM ids WHERE occurrences > 1 ORDER BY pos"
        )
        return dict(rows)

    def duplicate_count(self) -> int:
        return self._one("SELECT count(*) FROM ids WHERE occurrences > 1")

    def input_count(self) -> int:
        return self._one("SELECT sum(occurrences) FROM ids")


def _record(key: tuple[Any, ...], shared: dict[tuple[Any, ...], DeviceResult]) -> DeviceResult:
    """The record of one row (outcome NULL: pending), shared with equal rows while reading."""
    if key[0] is None:
        return _PENDING
    record = shared.get(key)
    if record is None:
        if len(shared) >= _SHARED:
            shared.clear()
        outcome, status, reason, error, chunk, reconciled, invalid = key
        record = shared[key] = DeviceResult(
            Outcome(outcome), status, reason, error, chunk, bool(reconciled), bool(invalid)
        )
    return record
