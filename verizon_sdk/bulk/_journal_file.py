"""A journal file: creating it (streaming the plan into a partial file) and opening it.

:class:`JournalFile` writes the layout (``_SCHEMA``) and the plan, and opens an existing file
with clear refusals; :class:`verizon_sdk.bulk._journal.Journal` adds the run's state changes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import Iterable
from typing import TypeVar

from verizon_sdk.bulk._records import DeviceResult
from verizon_sdk.exceptions import ValidationError

#: The layout version this SDK writes and reads.
FORMAT_VERSION = 3
FORMAT_NAME = "verizon-sdk bulk journal"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE ids (
    pos INTEGER PRIMARY KEY, device_id TEXT NOT NULL UNIQUE, chunk INTEGER,
    occurrences INTEGER NOT NULL, outcome TEXT, status TEXT, reason TEXT, error TEXT,
    reconciled INTEGER NOT NULL DEFAULT 0, invalid INTEGER NOT NULL DEFAULT 0);
CREATE TABLE chunks (
    idx INTEGER PRIMARY KEY, state TEXT NOT NULL, sent INTEGER NOT NULL, sending_at REAL,
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


FileT = TypeVar("FileT", bound="JournalFile")


class JournalFile:
    """An open journal file. Use :meth:`start` (a new plan) or :meth:`open`."""

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
        cls: type[FileT],
        path: str | os.PathLike[str],
        action: str,
        account: str,
        chunk_size: int,
        attempt_deadline: float,
        *,
        stop_on_error: bool = False,
    ) -> FileT:
        """Begin a new journal's plan beside ``path``; :meth:`add` ids, then :meth:`commit_plan`.

        ``attempt_deadline``: the longest one POST of this run can take (``Timeout.deadline``);
        a resume waits that long after a chunk was marked ``sending`` before reading the list.
        """
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
            "attempt_deadline": repr(float(attempt_deadline)),
            "stop_on_error": "1" if stop_on_error else "0",  # a resume keeps the run's rule
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "state": "running",
        }
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        journal = cls(path, db, meta)
        journal.partial = partial
        return journal

    def add(self, batch: Iterable[tuple[str, DeviceResult | None]]) -> None:
        """Insert ids in input order (None: valid); a repeat only counts an occurrence.

        Runs of valid ids go in with two columns, many rows a statement (planning is on the
        run's critical path); the others (invalid ids) one by one with their record.
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
        """Many rows a statement (``VALUES (...), (...)``): a third of ``executemany``'s cost."""
        for start in range(0, len(rows), _ROWS_A_STATEMENT):
            part = rows[start : start + _ROWS_A_STATEMENT]
            self._db.execute(_insert_rows(len(part)), [value for row in part for value in row])

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
    def open(cls: type[FileT], path: str | os.PathLike[str]) -> FileT:
        """Open an existing journal, or a clear ``ValidationError`` if it is not one we write."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise _refuse(path, "no such journal")
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            meta = dict(db.execute("SELECT key, value FROM meta"))
            db.execute("SELECT count(*) FROM ids").fetchone()
        except sqlite3.DatabaseError as exc:
            db.close()
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

    @property
    def attempt_deadline(self) -> float:
        """The longest one POST of the run could take, as its client was configured."""
        return float(self.meta["attempt_deadline"])

    def in_flight_until(self) -> float:
        """The wall-clock time (``time.time()``) by which every POST of a chunk left
        ``sending`` had ended, however its process died; 0 when no chunk is ``sending``."""
        (latest,) = self._db.execute(
            "SELECT max(sending_at) FROM chunks WHERE state = 'sending'"
        ).fetchone()
        return 0.0 if latest is None else float(latest) + self.attempt_deadline

    def close(self) -> None:
        self._db.close()


#: Valid ids a planning statement inserts: 2 parameters each, under SQLite's oldest limit (999).
_ROWS_A_STATEMENT = 400


@functools.lru_cache(maxsize=4)
def _insert_rows(count: int) -> str:
    rows = ", ".join(["(?, ?, 1)"] * count)
    return (
        f"INSERT INTO ids (device_id, chunk, occurrences) VALUES {rows}"
        " ON CONFLICT (device_id) DO UPDATE SET occurrences = occurrences + 1"
    )
