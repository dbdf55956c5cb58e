"""A crash-safe record of a bulk run in SQLite (WAL): what was planned, sent and settled.

The engine calls one method per state change, each a short transaction of its own:
:meth:`Journal.create` writes the whole plan (every distinct id, each chunk ``planned``) into
a new file atomically (written beside ``path`` and renamed into place, so a crash leaves either
no journal or a complete plan); :meth:`Journal.sending` commits a chunk's ``sending`` state
durably (``synchronous=FULL``) *before* its POST leaves; :meth:`Journal.settle` writes the
chunk's outcomes and ``settled``; :meth:`Journal.reconciled` writes what reconciliation found;
:meth:`Journal.finish` marks the run finished with its summary. A chunk left ``sending`` by a
crash is never re-sent blindly: :func:`verizon_sdk.bulk.resume_run` settles it by reading the
license list first.

Only ids, the service's statuses and reasons, and the SDK's explanations are written; no
credential, token or header. The connection is opened with ``check_same_thread=False`` and
every method is one transaction, so an async driver may call it from its event-loop thread
or an executor thread, one call at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from typing import Any

from verizon_sdk.bulk._result import _PENDING, BulkResult, DeviceResult, Outcome
from verizon_sdk.exceptions import ValidationError

#: The layout version this SDK writes and reads.
FORMAT_VERSION = 1
FORMAT_NAME = "verizon-sdk bulk journal"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE ids (
    pos INTEGER PRIMARY KEY, device_id TEXT NOT NULL, chunk INTEGER,
    occurrences INTEGER NOT NULL, outcome TEXT, status TEXT, reason TEXT, error TEXT,
    reconciled INTEGER NOT NULL DEFAULT 0, invalid INTEGER NOT NULL DEFAULT 0);
CREATE TABLE chunks (idx INTEGER PRIMARY KEY, state TEXT NOT NULL, sent INTEGER NOT NULL);
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


def _plan_rows(result: BulkResult, chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """One ``ids`` row per distinct id; the valid (pending) ids are chunked in input order."""
    duplicates = result.duplicates
    position = 0
    for device_id, record in result._records.items():
        if record is _PENDING:
            yield device_id, position // chunk_size, duplicates.get(device_id, 1), None, None, 0
            position += 1
        else:
            occurrences = duplicates.get(device_id, 1)
            outcome = record.outcome.value
            yield device_id, None, occurrences, outcome, record.error, int(record.invalid)


class Journal:
    """An open journal file; see the module docstring. Use :meth:`create` or :meth:`open`."""

    def __init__(self, path: str, connection: sqlite3.Connection, meta: dict[str, str]) -> None:
        self.path = path
        self._db = connection
        self.meta = meta

    # -- opening ----------------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | os.PathLike[str], result: BulkResult, valid: list[str], chunk_size: int
    ) -> Journal:
        """Write a new journal holding the plan for ``valid`` (the ids in ``result``)."""
        path = os.fspath(path)
        partial = f"{path}.partial"
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        db = sqlite3.connect(partial, isolation_level=None)
        try:
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
                "action": result.action,
                "account": result.account,
                "chunk_size": str(chunk_size),
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "state": "running",
            }
            db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            db.executemany(
                "INSERT INTO ids (device_id, chunk, occurrences, outcome, error, invalid)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                _plan_rows(result, chunk_size),
            )
            # built once the rows are in: faster than growing them row by row
            db.execute("CREATE UNIQUE INDEX ids_device ON ids (device_id)")
            db.execute("CREATE INDEX ids_chunk ON ids (chunk)")
            chunks = -(-len(valid) // chunk_size)
            db.executemany(
                "INSERT INTO chunks VALUES (?, 'planned', 0)", ((i,) for i in range(chunks))
            )
            db.execute("COMMIT")
        finally:
            db.close()
        with open(partial, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(partial, path)
        directory = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)
        return cls.open(path)

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
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- state changes ----------------------------------------------------------------------

    def sending(self, index: int) -> None:
        """Commit chunk ``index`` as ``sending``; call before its POST leaves."""
        with self._transaction() as db:
            db.execute("UPDATE chunks SET state = 'sending', sent = 1 WHERE idx = ?", (index,))

    def unsend(self, index: int) -> None:
        """Chunk ``index`` was cancelled before a worker took it: ``planned`` again."""
        with self._transaction() as db:
            db.execute("UPDATE chunks SET state = 'planned', sent = 0 WHERE idx = ?", (index,))

    def settle(self, index: int | None, records: Iterable[tuple[str, DeviceResult]]) -> None:
        """Write ``records``; with an ``index``, mark that chunk ``settled`` too.

        With an ``index``, ``records`` must cover the whole chunk: the record most of its ids
        share (the engine shares one record per distinct answer) is written with one
        statement for the chunk, the others id by id.
        """
        if index is None:
            with self._transaction() as db:
                self._write(db, records)
            return
        groups: dict[int, tuple[DeviceResult, list[tuple[str, DeviceResult]]]] = {}
        for device_id, record in records:
            groups.setdefault(id(record), (record, []))[1].append((device_id, record))
        common = max(groups, key=lambda key: len(groups[key][1]), default=None)
        with self._transaction() as db:
            if common is not None:
                r = groups.pop(common)[0]
                db.execute(
                    "UPDATE ids SET outcome = ?, status = ?, reason = ?, error = ?,"
                    " reconciled = ? WHERE chunk = ?",
                    (r.outcome.value, r.status, r.reason, r.error, int(r.reconciled), index),
                )
            for _, rows in groups.values():
                self._write(db, rows)
            db.execute("UPDATE chunks SET state = 'settled' WHERE idx = ?", (index,))

    def replan(
        self,
        settled: Iterable[int],
        records: Iterable[tuple[str, DeviceResult]],
        again: list[str],
    ) -> int | None:
        """Chunks ``settled`` are done (``records``); ``again`` go in new planned chunks.

        Returns the first new chunk's index, or None when nothing is to be sent again.
        """
        with self._transaction() as db:
            self._write(db, records)
            db.executemany(
                "UPDATE chunks SET state = 'settled' WHERE idx = ?", ((i,) for i in settled)
            )
            if not again:
                return None
            (top,) = db.execute("SELECT coalesce(max(idx), -1) FROM chunks").fetchone()
            size = self.chunk_size
            first = top + 1
            for start in range(0, len(again), size):
                db.execute("INSERT INTO chunks VALUES (?, 'planned', 0)", (first + start // size,))
            db.executemany(
                "UPDATE ids SET chunk = ?, outcome = NULL, error = NULL WHERE device_id = ?",
                ((first + i // size, d) for i, d in enumerate(again)),
            )
            return int(first)

    def finish(self, result: BulkResult) -> None:
        """Mark the run finished, with its summary."""
        summary = {name: getattr(result, name) for name in _SUMMARY_FIELDS}
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('summary', ?)", (json.dumps(summary),))
            db.execute("UPDATE meta SET value = 'finished' WHERE key = 'state'")
        self.meta["state"] = "finished"

    @staticmethod
    def _write(db: sqlite3.Connection, records: Iterable[tuple[str, DeviceResult]]) -> None:
        db.executemany(
            "UPDATE ids SET outcome = ?, status = ?, reason = ?, error = ?, reconciled = ?"
            " WHERE device_id = ?",
            (
                (r.outcome.value, r.status, r.reason, r.error, int(r.reconciled), d)
                for d, r in records
            ),
        )

    # -- reading ----------------------------------------------------------------------------

    def chunks(self, state: str) -> list[tuple[int, list[str]]]:
        """The chunks in ``state``, each with its ids in input order."""
        indexes = [
            i
            for (i,) in self._db.execute(
                "SELECT idx FROM chunks WHERE state = ? ORDER BY idx", (state,)
            )
        ]
        return [
            (
                i,
                [
                    d
                    for (d,) in self._db.execute(
                        "SELECT device_id FROM ids WHERE chunk = ? ORDER BY pos", (i,)
                    )
                ],
            )
            for i in indexes
        ]

    def tally(self) -> tuple[int, int]:
        """Chunks sent (in every attempt at the run) and ids settled by reconciliation."""
        (sent,) = self._db.execute("SELECT count(*) FROM chunks WHERE sent = 1").fetchone()
        (settled,) = self._db.execute("SELECT count(*) FROM ids WHERE reconciled = 1").fetchone()
        return int(sent), int(settled)

    def load(self) -> BulkResult:
        """The run as recorded: ids without an outcome are pending (not yet sent)."""
        result = BulkResult(self.meta["action"], self.meta["account"])
        records = result._records
        shared: dict[tuple[Any, ...], DeviceResult] = {}
        rows = self._db.execute(
            "SELECT device_id, occurrences, outcome, status, reason, error, chunk, reconciled,"
            " invalid FROM ids ORDER BY pos"
        )
        for device_id, occurrences, *key in rows:
            if occurrences > 1:
                result.duplicates[device_id] = occurrences
            if key[0] is None:
                records[device_id] = _PENDING
                continue
            record = shared.get(tuple(key))
            if record is None:
                outcome, status, reason, error, chunk, reconciled, invalid = key
                record = shared[tuple(key)] = DeviceResult(
                    Outcome(outcome), status, reason, error, chunk, bool(reconciled), bool(invalid)
                )
            records[device_id] = record
        summary = json.loads(self.meta.get("summary", "{}"))
        for name, value in summary.items():
            setattr(result, name, value)
        return result
