"""A crash-safe record of a bulk run in SQLite (WAL): what was planned, sent and settled.

The journal is also the run's record store (:mod:`verizon_sdk.bulk._journal_store`), so the
run holds no per-id state in Python. :meth:`Journal.start` begins the plan beside ``path``,
:meth:`Journal.add` inserts the ids (SQLite collapses repeats), :meth:`Journal.commit_plan`
cuts them into ``planned`` chunks, syncs the file and renames it into place (a crash leaves no
journal or a complete plan). :meth:`Journal.sending` commits chunks as ``sending`` durably
(``synchronous=FULL``) *before* their POSTs leave; :meth:`Journal.write` writes outcomes and
``settled`` (with the next chunks' ``sending``, durably, or alone, ``NORMAL``: see
doc/fleet.md); :meth:`Journal.finish` marks the run finished. A chunk left ``sending`` by a
crash is never re-sent blindly: :func:`verizon_sdk.bulk.resume_run` reads the license list.

Only ids, the service's statuses and reasons, and the SDK's explanations are written; no
credential, token or header. The connection is opened with ``check_same_thread=False`` and
every method is one transaction, so an async driver may call it from any one thread at a time.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from verizon_sdk.bulk._journal_file import FORMAT_VERSION, JournalFile
from verizon_sdk.bulk._records import DeviceResult, Groups

__all__ = ["FORMAT_VERSION", "Journal"]

_SUMMARY_FIELDS = (
    "reconciled",
    "reconciliation_error",
    "stopped",
    "interrupted",
    "retry_after",
    "chunks_sent",
    "elapsed",
)


class Journal(JournalFile):
    """An open journal: the run's state changes; see the module docstring."""

    @contextlib.contextmanager
    def _transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction; ``durable``: synced to disk (``FULL``), else ``NORMAL``: written
        at once (a kill -9 loses nothing), synced by the next durable commit."""
        if durable != self._durable:
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            self._durable = durable
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- state changes ----------------------------------------------------------------------

    def sending(self, indexes: Sequence[int]) -> None:
        """Commit the chunks ``indexes`` as ``sending``, durably; call before their POSTs leave
        (one commit for several chunks sent together: a group commit)."""
        with self._transaction() as db:
            self._mark_sending(db, indexes)
        self.marked.update(indexes)

    @staticmethod
    def _mark_sending(db: sqlite3.Connection, indexes: Sequence[int]) -> None:
        now = time.time()  # wall clock: a resume in another process compares against it
        db.executemany(
            "UPDATE chunks SET state = 'sending', sent = 1, sending_at = ? WHERE idx = ?",
            ((now, i) for i in indexes),
        )

    def unsend(self, index: int) -> None:
        """Chunk ``index`` was cancelled before a worker took it: ``planned`` again."""
        with self._transaction() as db:
            db.execute("UPDATE chunks SET state = 'planned', sent = 0 WHERE idx = ?", (index,))
        self.marked.discard(index)

    def write(
        self,
        index: int | None,
        groups: Groups,
        *,
        settled: bool = False,
        sending: Sequence[int] = (),
    ) -> None:
        """Write ``groups`` (see :meth:`RecordStore.write`); ``settled``: chunk ``index`` too;
        ``sending``: mark those chunks as :meth:`sending` does, in the same (then durable)
        commit.

        With an ``index`` the groups cover the whole chunk (written once per attempt at it):
        the largest is written as the chunk's own record, one row, which its ids without a
        record of their own read (the ``records`` view); the others are written id by id.
        """
        pairs = [(record, ids) for record, ids in groups]
        with self._transaction(durable=bool(sending)) as db:
            if index is not None:  # one statement for the chunk (its state, its record)
                record = (
                    pairs.pop(max(range(len(pairs)), key=lambda i: len(pairs[i][1])))[0]
                    if pairs
                    else None
                )
                db.execute(
                    "UPDATE chunks SET state = CASE WHEN ? THEN 'settled' ELSE state END,"
                    " outcome = ?, status = ?, reason = ?, error = ?, reconciled = ?"
                    " WHERE idx = ?",
                    (settled, *(_values(record) if record else (None,) * 4 + (0,)), index),
                )
            if pairs:
                db.executemany(
                    "UPDATE ids SET outcome = ?, status = ?, reason = ?, error = ?,"
                    " reconciled = ? WHERE device_id = ?",
                    ((*_values(r), d) for r, ids in pairs for d in ids),
                )
            self._mark_sending(db, sending)
        self.marked.update(sending)
        if settled and index is not None:
            self.marked.discard(index)

    def settle_pending(self, error: str) -> None:
        """Every pending id is ``not_attempted`` with ``error``; the chunks keep their state."""
        with self._transaction(durable=False) as db:
            db.execute(
                "UPDATE chunks SET outcome = 'not_attempted', status = NULL, reason = NULL,"
                " error = ?, reconciled = 0 WHERE idx IN"
                " (SELECT chunk FROM records WHERE outcome IS NULL AND chunk IS NOT NULL)",
                (error,),
            )

    def settle_planned(self) -> None:
        """The run ended without sending the chunks left ``planned``: they are settled."""
        with self._transaction() as db:
            db.execute("UPDATE chunks SET state = 'settled' WHERE state = 'planned'")

    def reset_planned(self) -> None:
        """A resume sends the ``planned`` chunks: their ids are pending again."""
        with self._transaction() as db:
            db.execute(
                "UPDATE ids SET outcome = NULL, status = NULL, reason = NULL, error = NULL,"
                " reconciled = 0 WHERE outcome IS NOT NULL"
                " AND chunk IN (SELECT idx FROM chunks WHERE state = 'planned')"
            )
            db.execute(
                "UPDATE chunks SET outcome = NULL, status = NULL, reason = NULL, error = NULL,"
                " reconciled = 0 WHERE state = 'planned'"
            )

    def replan(self, settled: Iterable[int], groups: Groups, again: list[str]) -> int | None:
        """Chunks ``settled`` are done (``groups``); ``again`` go in new planned chunks.

        Returns the first new chunk's index, or None when nothing is to be sent again.
        """
        with self._transaction() as db:
            db.executemany(
                "UPDATE ids SET outcome = ?, status = ?, reason = ?, error = ?, reconciled = ?"
                " WHERE device_id = ?",
                ((*_values(r), d) for r, ids in groups for d in ids),
            )
            db.executemany(
                "UPDATE chunks SET state = 'settled' WHERE idx = ?", ((i,) for i in settled)
            )
            if not again:
                return None
            (top,) = db.execute("SELECT coalesce(max(idx), -1) FROM chunks").fetchone()
            size = self.chunk_size
            first = top + 1
            for start in range(0, len(again), size):
                db.execute(
                    "INSERT INTO chunks (idx, state, sent) VALUES (?, 'planned', 0)",
                    (first + start // size,),
                )
            db.executemany(
                "UPDATE ids SET chunk = ?, outcome = NULL, status = NULL, reason = NULL,"
                " error = NULL, reconciled = 0 WHERE device_id = ?",
                ((first + i // size, d) for i, d in enumerate(again)),
            )
            return int(first)

    def finish(self, result: Any) -> None:
        """Mark the run finished, with its summary."""
        summary = {name: getattr(result, name) for name in _SUMMARY_FIELDS}
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('summary', ?)", (json.dumps(summary),))
            db.execute("UPDATE meta SET value = 'finished' WHERE key = 'state'")
        self.meta["state"] = "finished"

    # -- reading ----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """What :meth:`finish` recorded of the result ({} before the run finished)."""
        return dict(json.loads(self.meta.get("summary", "{}")))


def _values(record: DeviceResult) -> tuple[Any, ...]:
    """The columns a chunk or reconciliation writes: outcome, status, reason, error, reconciled."""
    return (record.outcome.value, record.status, record.reason, record.error, record.reconciled)
