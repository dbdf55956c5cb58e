"""Issue 13: the journal's refusals (each with nothing sent); the crash tests (the library and
the CLI) are in tests/test_journal_crash.py."""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.crash_child import device_ids
from verizon_sdk._checks import check_account
from verizon_sdk.bulk import FORMAT_VERSION, ChunkEvent
from verizon_sdk.exceptions import ValidationError
from verizon_sdk.simulator import Simulator

ACCOUNT = "0000123456-00001"
IDS = device_ids(2500)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as server:
        server.seed(ACCOUNT, pool=5000)
        server.seed("0000123456-00002", pool=5000)
        yield server


def stop_after_first_chunk(event: ChunkEvent) -> None:
    raise RuntimeError("stopped by the test")


def unfinished(sim: Simulator, path: Path) -> None:
    """A journaled run that stopped after its first chunk (not finished)."""
    licenses = sim.client().software_management_licenses_v3
    with pytest.raises(RuntimeError):
        licenses.assign_licenses_bulk(
            ACCOUNT, IDS, journal=path, max_workers=1, on_chunk=stop_after_first_chunk
        )


def refused(sim: Simulator, call: object, match: str) -> None:
    """``call()`` raises a ValidationError matching ``match``, and nothing reaches the server."""
    before = sim.request_count()
    with pytest.raises(ValidationError, match=match) as caught:
        call()  # type: ignore[operator]
    assert "nothing was sent" in str(caught.value)
    assert sim.request_count() == before


def test_finished_run_returns_the_stored_result_and_sends_nothing(
    sim: Simulator, tmp_path: Path
) -> None:
    path = tmp_path / "run.db"
    licenses = sim.client().software_management_licenses_v3
    first = licenses.assign_licenses_bulk(ACCOUNT, [*IDS, "990000000000001"], journal=path)
    before = sim.request_count()
    again = licenses.assign_licenses_bulk(ACCOUNT, ["990000000009999"], journal=path)
    resumed = licenses.resume_bulk(path)
    assert sim.request_count() == before
    for result in (again, resumed):
        assert list(result) == IDS and result.counts == first.counts == {
            "succeeded": 2500,
            "failed": 0,
            "not_attempted": 0,
            "unknown": 0,
        }
        assert result.duplicates == {"990000000000001": 2}
        assert result.chunks_sent == first.chunks_sent == 3
        assert result["990000000000007"] == first["990000000000007"]


def test_unfinished_run_is_refused_with_a_hint_to_resume(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    unfinished(sim, path)
    licenses = sim.client().software_management_licenses_v3
    refused(sim, lambda: licenses.assign_licenses_bulk(ACCOUNT, IDS, journal=path), "resume")
    result = licenses.resume_bulk(path)  # ... and resuming finishes it
    assert set(result.succeeded) == sim.assigned(ACCOUNT) == set(IDS)
    posted = collections.Counter(
        d for r in sim.requests("/assign", "POST") for d in r.body["deviceList"]
    )
    assert set(posted.values()) == {1}


@pytest.mark.parametrize(
    ("method", "account", "match"),
    [
        ("remove_licenses_bulk", ACCOUNT, "for assign 0000123456-00001, not remove"),
        ("assign_licenses_bulk", "0000123456-00002", "not assign 0000123456-00002"),
    ],
)
def test_another_action_or_account_is_refused(
    sim: Simulator, tmp_path: Path, method: str, account: str, match: str
) -> None:
    path = tmp_path / "run.db"
    unfinished(sim, path)
    bulk = getattr(sim.client().software_management_licenses_v3, method)
    refused(sim, lambda: bulk(account, IDS, journal=path), match)


def test_another_format_version_is_refused(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    unfinished(sim, path)
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (FORMAT_VERSION + 1,))
    db.commit()
    db.close()
    licenses = sim.client().software_management_licenses_v3
    match = f"format version {FORMAT_VERSION + 1} is not the version {FORMAT_VERSION}"
    refused(sim, lambda: licenses.assign_licenses_bulk(ACCOUNT, IDS, journal=path), match)
    refused(sim, lambda: licenses.resume_bulk(path), match)


def _text_file(path: Path) -> None:
    path.write_text("device_id\n990000000000001\n")


def _other_database(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('format', 'something else')")
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (_text_file, "not a bulk journal, or corrupt"),
        (_other_database, "not a bulk journal"),
    ],
)
def test_a_file_that_is_not_a_journal_is_refused(
    sim: Simulator, tmp_path: Path, make: object, match: str
) -> None:
    path = tmp_path / "run.db"
    make(path)  # type: ignore[operator]
    licenses = sim.client().software_management_licenses_v3
    refused(sim, lambda: licenses.assign_licenses_bulk(ACCOUNT, IDS, journal=path), match)
    refused(sim, lambda: licenses.resume_bulk(path), match)


@pytest.mark.parametrize("damage", ["header", "truncated"])
def test_a_corrupt_journal_is_refused(sim: Simulator, tmp_path: Path, damage: str) -> None:
    path = tmp_path / "run.db"
    unfinished(sim, path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    db.close()
    data = path.read_bytes()
    if damage == "header":
        path.write_bytes(b"\x00" * 100 + data[100:])
    else:
        path.write_bytes(data[: len(data) // 2])
    licenses = sim.client().software_management_licenses_v3
    refused(sim, lambda: licenses.resume_bulk(path), "not a bulk journal, or corrupt")
    refused(
        sim,
        lambda: licenses.assign_licenses_bulk(ACCOUNT, IDS, journal=path),
        "not a bulk journal, or corrupt",
    )


def test_resume_of_a_missing_journal_is_refused(sim: Simulator, tmp_path: Path) -> None:
    licenses = sim.client().software_management_licenses_v3
    refused(sim, lambda: licenses.resume_bulk(tmp_path / "none.db"), "no such journal")


def test_no_secret_is_written(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    sim.client(client_secret="sim-secret-Zk9").software_management_licenses_v3.assign_licenses_bulk(
        ACCOUNT, IDS, journal=path
    )
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in (b"sim-secret-Zk9", b"sim-m2m-token", b"Bearer"):
        assert secret not in stored


def test_a_journaled_run_checks_the_account_once(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verizon_sdk import bulk

    calls: list[tuple[str, str]] = []

    def counting(name: str, value: str) -> str:
        calls.append((name, value))
        return check_account(name, value)

    monkeypatch.setattr(bulk, "check_account", counting)
    licenses = sim.client().software_management_licenses_v3
    result = licenses.assign_licenses_bulk(ACCOUNT, IDS[:10], journal=tmp_path / "run.db")
    assert result.counts["succeeded"] == 10
    assert calls == [("acc", ACCOUNT)]


def test_every_post_leaves_after_its_chunk_is_committed_sending_one_commit_a_chunk(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: a chunk's outcomes and its successor's ``sending`` share one commit."""
    from verizon_sdk.bulk import _engine

    path = tmp_path / "run.db"
    states: list[tuple[int, str]] = []
    commits = 0
    send = _engine._send
    connect = sqlite3.connect

    class Counting(sqlite3.Connection):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            nonlocal commits
            commits += sql == "COMMIT"
            return super().execute(sql, *args)

    def checking(post: Any, index: int, ids: list[str]) -> Any:
        with connect(f"file:{path}?mode=ro", uri=True) as db:  # what another process sees
            states.append(db.execute("SELECT state FROM chunks WHERE idx = ?", (index,)).fetchone())
        return send(post, index, ids)

    monkeypatch.setattr(_engine, "_send", checking)
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: connect(*a, factory=Counting, **k))
    licenses = sim.client().software_management_licenses_v3
    result = licenses.assign_licenses_bulk(
        ACCOUNT, IDS, chunk_size=100, max_workers=2, journal=path
    )
    assert result.counts["succeeded"] == len(IDS) and result.chunks_sent == 25
    assert states == [("sending",)] * 25
    assert commits <= 25 + 6, commits  # the plan, the first group, one a chunk, the finish


def test_an_interrupt_while_a_chunk_is_handed_over_leaves_it_sending(
    sim: Simulator, tmp_path: Path
) -> None:
    # Ctrl-C right after a chunk went to a worker (its POST may be on the wire): the journal
    # must keep it `sending`, or a resume would send it again blindly
    import time

    from verizon_sdk import bulk
    from verizon_sdk.bulk import _runner
    from verizon_sdk.bulk._engine import _Run
    from verizon_sdk.simulator import Fault

    path = tmp_path / "run.db"
    seen: list[list[tuple[Any, ...]]] = []

    class Marked(list[int]):
        fired = False

        def remove(self, index: int) -> None:
            if not Marked.fired:
                Marked.fired = True
                time.sleep(0.1)  # the worker has taken the chunk and is sending it
                raise KeyboardInterrupt
            super().remove(index)

    class HandOverRun(_Run):
        @property  # type: ignore[override]
        def marked(self) -> list[int]:
            return self._marked

        @marked.setter
        def marked(self, value: list[int]) -> None:
            self._marked = Marked(value)

    sim.inject(Fault(path="/assign", method="POST", latency=0.3))
    controller = sim.client().software_management_licenses_v3
    send, fetch = _runner.wire(controller._pipeline, "assign", ACCOUNT)

    def observed(chunk: list[str]) -> Any:
        answer = send(chunk)
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:  # what a kill -9 leaves
            seen.append(db.execute("SELECT idx, state FROM chunks ORDER BY idx").fetchall())
        return answer

    ids = device_ids(20)
    run = bulk._prepare_run(
        HandOverRun, controller._pipeline.config, "assign", ACCOUNT, ids, observed, fetch,
        chunk_size=10, max_workers=1, journal=str(path),
    )  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        _runner.drive(run, reconcile=True)
    assert seen[0] == [(0, "sending"), (1, "planned")]
    assert sim.request_count("/assign", "POST") == 1
    result = controller.resume_bulk(str(path))
    assert sim.request_count("/assign", "POST") == 2  # chunk 1 only: chunk 0 was reconciled
    assert set(result.succeeded) == set(ids) == sim.assigned(ACCOUNT)


def test_a_resumed_run_keeps_stop_on_error(sim: Simulator, tmp_path: Path) -> None:
    # as the uninterrupted run would: after a chunk that did not fully succeed, no more chunks
    from verizon_sdk.simulator import Fault

    path = tmp_path / "run.db"
    licenses = sim.client().software_management_licenses_v3
    ids = device_ids(12)
    with pytest.raises(RuntimeError):
        licenses.assign_licenses_bulk(
            ACCOUNT, ids, journal=path, chunk_size=2, max_workers=1, stop_on_error=True,
            on_chunk=stop_after_first_chunk,
        )  # fmt: skip
    sim.inject(Fault(path="/assign", method="POST", status=400, times=1))  # the next chunk fails
    result = licenses.resume_bulk(path, max_workers=1)
    assert result.stopped is not None
    posted = [d for r in sim.requests("/assign", "POST") for d in r.body["deviceList"]]
    # chunks 0 and 1 before the stop; on resume chunk 2 fails, and chunk 3 had been handed to
    # the worker with it (two chunks a worker, as in any run); chunks 4 and 5 are never sent
    assert posted == ids[:8]
    assert set(result.not_attempted) >= set(ids[8:])
