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
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from verizon_sdk.bulk._records import DeviceResult, Groups
from verizon_sdk.exceptions import ValidationError

#: The layout version this SDK writes and reads.
FORMAT_VERSION = 2
FORMAT_NAME = "verizon-sdk bulk journal"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE ids (
    pos INTEGER PRIMARY KEY, device_id TEXT NOT NULL UNIQUE, chunk INTEGER,
    occurrences INTEGER NOT NULL, outcome TEXT, status TEXT, reason TEXT, error TEXT,
    reconciled INTEGER NOT NULL DEFAULT 0, invalid INTEGER NOT NULL DEFAULT 0);
CREATE TABLE chunks (
    idx INTEGER PRIMARY KEY, state TEXT NOT NULL, sent INTEGER NOT NULL,
    outcome TEXT, status TEXT, reason TEXT, error TEXT, reconciled INTEGER NOT NULL DEFAULT 0);
CREATE VIEW records AS SELECT
    ids.pos, ids.device_id, ids.chunk, ids.occurrences, ids.invalid,
    CASE WHEN ids.outcome IS NULL THEN chunks.outcome ELSE ids.outcome END AS outcome,
    CASE WHEN ids.outcome IS NULL THEN chunks.status ELSE ids.status END AS status,
    CASE WHEN ids.outcome IS NULL THEN chunks.reason ELSE ids.reason END AS reason,
    CASE WHEN ids.outcome IS NULL THEN chunks.error ELSE ids.error END AS error,
    CASE WHEN ids.outcome IS NULL THEN coalesce(chunks.reconciled, 0) ELSE ids.reconciled END
        AS reconciled
    FROM ids LEFT JOIN chunks ON chunks.idx = ids.chunk;
"""
_SUMMARY_FIELDS = (
    "reconciled",
    "reconciliation_error",
    "stopped",
    "interrupted",
    "retry_after",
    "chunks_sent",
    "elapsed",
)


def _refuse(path: str, why: str) -> ValidationError:
    return ValidationError("journal", f"{path}: {why}; nothing was sent")


def _fsync_rename(partial: str, path: str) -> None:
    """Sync ``partial``, rename it to ``path``, and sync the directory (the rename too)."""
    with open(partial, "rb+") as file:
        os.fsync(file.fileno())
    os.replace(partial, path)
    directory = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


class Journal:
    """An open journal file; see the module docstring. Use :meth:`create` or :meth:`open`."""

    def __init__(self, path: str, connection: sqlite3.Connection, meta: dict[str, str]) -> None:
        self.path = path
        self._db = connection
        self.meta = meta
        #: The file being planned (renamed to ``path`` by :meth:`commit_plan`), else None.
        self.partial: str | None = None
        self._valid_seen = 0  # valid ids added, repeats included
        #: Chunks this process committed as ``sending`` and has not settled or unsent.
        self.marked: set[int] = set()
        self._durable = True  # the connection's synchronous setting is FULL

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def start(
        cls, path: str | os.PathLike[str], action: str, account: str, chunk_size: int
    ) -> Journal:
        """Begin a new journal's plan beside ``path``; :meth:`add` ids, then :meth:`commit_plan`."""
        path = os.fspath(path)
        partial = f"{path}.partial"
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        db = sqlite3.connect(partial, isolation_level=None, check_same_thread=False)
        # no rollback journal or syncs while writing the partial file: a crash leaves only
        # the partial file, never read; it is synced once before the rename
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.executescript(_SCHEMA)
        db.execute("BEGIN")
        meta = {
            "format": FORMAT_NAME,
            "format_version": str(FORMAT_VERSION),
            "api": "v3",
            "action": action,
            "account": account,
            "chunk_size": str(chunk_size),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "state": "running",
        }
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        journal = cls(path, db, meta)
        journal.partial = partial
        return journal

    def add(self, batch: Iterable[tuple[str, DeviceResult | None]]) -> None:
        """Insert ids in input order (None: valid); a repeat only counts an occurrence.

        Runs of valid ids go in with a two-column statement (binding fewer parameters is
        what makes planning cheap); the others (invalid ids) one by one with their record.
        """
        size = self.chunk_size
        valid: list[tuple[str, int]] = []
        for device_id, record in batch:
            if record is None:  # its chunk, if no valid id repeats (commit_plan checks)
                valid.append((device_id, self._valid_seen // size))
                self._valid_seen += 1
                continue
            self._insert_valid(valid)
            valid = []
            self._db.execute(
                "INSERT INTO ids (device_id, occurrences, outcome, error, invalid)"
                " VALUES (?, 1, ?, ?, ?)"
                " ON CONFLICT (device_id) DO UPDATE SET occurrences = occurrences + 1",
                (device_id, record.outcome.value, record.error, int(record.invalid)),
            )
        self._insert_valid(valid)

    def _insert_valid(self, rows: list[tuple[str, int]]) -> None:
        if rows:
            self._db.executemany(
                "INSERT INTO ids (device_id, chunk, occurrences) VALUES (?, ?, 1)"
                " ON CONFLICT (device_id) DO UPDATE SET occurrences = occurrences + 1",
                rows,
            )

    def commit_plan(self) -> int:
        """Cut the valid ids into chunks, make the file durable and open it; how many ids."""
        db, partial, size = self._db, self.partial, self.chunk_size
        assert partial is not None, "the plan was committed already"
        (valid,) = db.execute("SELECT count(*) FROM ids WHERE invalid = 0").fetchone()
        if valid != self._valid_seen:  # a valid id repeated: number the distinct ones again
            starts = [
                pos
                for n, (pos,) in enumerate(
                    db.execute("SELECT pos FROM ids WHERE invalid = 0 ORDER BY pos")
                )
                if n % size == 0
            ]
            for index, first in enumerate(starts):
                last = starts[index + 1] if index + 1 < len(starts) else None
                db.execute(
                    "UPDATE ids SET chunk = ? WHERE invalid = 0 AND pos >= ?"
                    + ("" if last is None else " AND pos < ?"),
                    (index, first) if last is None else (index, first, last),
                )
        db.execute("CREATE INDEX ids_chunk ON ids (chunk)")  # once the rows are in: faster
        db.executemany(
            "INSERT INTO chunks (idx, state, sent) VALUES (?, 'planned', 0)",
            ((i,) for i in range(-(-valid // size))),
        )
        db.execute("COMMIT")
        db.close()
        _fsync_rename(partial, self.path)
        self.partial = None
        self._db = self.open(self.path)._db
        return int(valid)

    def discard(self) -> None:
        """The plan could not be completed: close and remove the partial file."""
        self._db.close()
        if self.partial is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.partial)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Journal:
        """Open an existing journal, or a clear ``ValidationError`` if it is not one we write."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise _refuse(path, "no such journal")
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            meta = dict(db.execute("SELECT key, value FROM meta"))
            db.execute("SELECT count(*) FROM ids").fetchone()
        except sqlite3.DatabaseError as exc:
            raise _refuse(path, f"not a bulk journal, or corrupt ({exc})") from None
        if meta.get("format") != FORMAT_NAME:
            db.close()
            raise _refuse(path, "not a bulk journal")
        if meta.get("format_version") != str(FORMAT_VERSION):
            db.close()
            raise _refuse(
                path,
                f"journal format version {meta.get('format_version')} is not the version "
                f"{FORMAT_VERSION} this SDK reads",
            )
        return cls(path, db, meta)

    def check_run(self, action: str, account: str) -> None:
        """Refuse a journal written by another action or account."""
        for name, want in (("action", action), ("account", account)):
            if self.meta.get(name) != want:
                self.close()
                raise _refuse(
                    self.path,
                    f"the journal is for {self.meta.get('action')} {self.meta.get('account')},"
                    f" not {action} {account}",
                )

    @property
    def finished(self) -> bool:
        return self.meta.get("state") == "finished"

    @property
    def chunk_size(self) -> int:
        return int(self.meta["chunk_size"])

    def close(self) -> None:
        self._db.close()

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
        db.executemany(
            "UPDATE chunks SET state = 'sending', sent = 1 WHERE idx = ?", ((i,) for i in indexes)
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
