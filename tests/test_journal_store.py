"""Issue 13, memory: a journaled run keeps its per-id records in the journal, not in Python.

The same run, with and without a journal, must give a :class:`BulkResult` that answers every
question the same way (the journaled one by queries); and a journaled run's peak of Python
allocations must not grow with the number of ids.
"""

from __future__ import annotations

import io
import json
import logging
import pickle
import sqlite3
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.crash_child import device_ids
from tests.test_journal_crash import SimProcess
from verizon_sdk.bulk import BulkResult, ChunkEvent
from verizon_sdk.exceptions import InvalidTypeError, ValidationError
from verizon_sdk.simulator import Fault, Simulator

ACCOUNT = "0000123456-00001"


def mixed_input() -> list[str]:
    """Valid ids (some repeated), invalid ones, and more ids than the pool has licenses."""
    ids = device_ids(2600)
    # ids[900] repeats before ids[3] does: duplicates are listed in first-given order
    return [*ids[:1200], ids[900], ids[3], "", "x" * 65, *ids[1200:], ids[1500], ids[1500], " bad"]


def run(tmp_path: Path, journal: bool, **options: Any) -> tuple[BulkResult, Simulator]:
    sim = Simulator()
    sim.start()
    sim.seed(ACCOUNT, pool=2400)  # the last 200 ids find no license: failed
    # one chunk's POST is applied but answered 500: unknown, then reconciled
    sim.inject(Fault(path="/assign", method="POST", status=500, apply=True))
    licenses = sim.client().software_management_licenses_v3
    path = tmp_path / "run.db" if journal else None
    result = licenses.assign_licenses_bulk(
        ACCOUNT, iter(mixed_input()), chunk_size=500, max_workers=1, journal=path, **options
    )
    return result, sim


def surfaces(result: BulkResult) -> dict[str, Any]:
    """Everything the public API answers, as plain values."""
    csv = io.StringIO()
    result.to_csv(csv)
    summary = result.summary()
    del summary["elapsed"]  # the one field two runs cannot share
    exported = json.loads(result.to_json())
    del exported["summary"]["elapsed"]
    some = list(result)[::97]
    return {
        "ids": list(result),
        "len": len(result),
        "items": list(result.items()),
        "categories": [
            result.succeeded,
            result.failed,
            result.not_attempted,
            result.unknown,
        ],
        "counts": result.counts,
        "retry": result.retry_ids(),
        "failed_ids": result.failed_ids(),
        "duplicates": result.duplicates,
        "input_count": result.input_count,
        "ok": result.ok,
        "get": [result[d] for d in some],
        "contains": [d in result for d in [*some, "990000000099999", 7]],
        "csv": csv.getvalue(),
        "json": exported,
        "summary": summary,
        "repr": repr(result),
        "html": result._repr_html_(),
    }


def test_a_journaled_result_answers_as_the_in_memory_one(tmp_path: Path) -> None:
    plain, sim_a = run(tmp_path / "a", journal=False)
    odd = tmp_path / "b #1?%20"  # the result reads the file by a file: URI
    odd.mkdir()
    journaled, sim_b = run(odd, journal=True)
    try:
        assert sim_a.assigned(ACCOUNT) == sim_b.assigned(ACCOUNT)
    finally:
        sim_a.stop()
        sim_b.stop()
    expected = surfaces(plain)
    assert expected["counts"] == {
        "succeeded": 2400,
        "failed": 200,
        "not_attempted": 3,
        "unknown": 0,
    }
    assert plain.reconciled == 500
    assert list(plain.duplicates.items()) == [  # in the order the ids were first given
        (device_ids(4)[3], 2),
        (device_ids(901)[900], 2),
        (device_ids(1501)[1500], 3),
    ]
    assert surfaces(journaled) == expected
    assert journaled == journaled and journaled != plain  # elapsed differs
    copy = pickle.loads(pickle.dumps(journaled))  # a pickle carries the records themselves
    assert copy == journaled and surfaces(copy) == expected
    with pytest.raises(KeyError):
        journaled["990000000099999"]
    pytest.importorskip("pandas")
    assert journaled.to_dataframe().equals(plain.to_dataframe())


def test_the_records_are_in_the_journal_as_soon_as_known(tmp_path: Path) -> None:
    """Each chunk's outcomes are in the file when ``on_chunk`` hears of it."""
    path = tmp_path / "run.db"
    seen: list[dict[str, int]] = []

    def on_chunk(event: ChunkEvent) -> None:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            seen.append(dict(db.execute("SELECT outcome, count(*) FROM records GROUP BY 1")))

    with Simulator() as sim:
        sim.seed(ACCOUNT, pool=5000)
        sim.client().software_management_licenses_v3.assign_licenses_bulk(
            ACCOUNT, device_ids(2500), journal=path, max_workers=1, on_chunk=on_chunk
        )
    assert seen == [
        {None: 1500, "succeeded": 1000},
        {None: 500, "succeeded": 2000},
        {"succeeded": 2500},
    ]


def test_an_interrupted_journaled_run_reports_from_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "run.db"

    def stop(event: ChunkEvent) -> None:
        raise RuntimeError("stopped by the test")

    with Simulator() as sim:
        sim.seed(ACCOUNT, pool=5000)
        licenses = sim.client().software_management_licenses_v3
        with pytest.raises(RuntimeError) as caught:
            licenses.assign_licenses_bulk(
                ACCOUNT, device_ids(2500), journal=path, max_workers=1, on_chunk=stop
            )
        partial: BulkResult = caught.value.bulk_result  # type: ignore[attr-defined]
        # the chunk in flight when on_chunk raised is waited for and recorded
        assert partial.counts == {
            "succeeded": 2000,
            "failed": 0,
            "not_attempted": 500,
            "unknown": 0,
        }
        assert partial.retry_ids() == device_ids(2500)[2000:]
        resumed = licenses.resume_bulk(path)  # the planned chunks are sent, once
        assert resumed.counts["succeeded"] == 2500
        assert sim.assigned(ACCOUNT) == set(device_ids(2500))


# -- bounded memory -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim_process() -> Iterator[SimProcess]:
    server = SimProcess()
    try:
        yield server
    finally:
        server.stop()


def traced_peak(sim: SimProcess, account: str, count: int, journal: Path | None) -> int:
    """Peak bytes Python allocated during one run over ``count`` ids from a generator."""
    sim.call("POST", f"accounts/{account}", {"pool": count})
    client = sim.client()
    licenses = client.software_management_licenses_v3
    ids = (str(990000000000000 + n) for n in range(count))
    sdk_logger = logging.getLogger("verizon_sdk")
    level = sdk_logger.level
    sdk_logger.setLevel(logging.WARNING)  # DEBUG lines kept by pytest's capture would count
    tracemalloc.start()
    try:
        result = licenses.assign_licenses_bulk(account, ids, journal=journal, max_workers=2)
        assert result.counts["succeeded"] == count
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        sdk_logger.setLevel(level)
        client.close()
    return peak


def test_a_journaled_run_holds_no_per_id_state_in_python(
    sim_process: SimProcess, tmp_path: Path
) -> None:
    """Four times the ids: the same peak with a journal; four times it without one."""
    small = traced_peak(sim_process, "0000500001-00013", 10_000, tmp_path / "small.db")
    large = traced_peak(sim_process, "0000500002-00013", 40_000, tmp_path / "large.db")
    plain = traced_peak(sim_process, "0000500003-00013", 40_000, None)
    assert large < small * 1.5, (small, large, plain)
    assert large * 2 < plain, (small, large, plain)


def test_a_stopped_journaled_run_leaves_no_chunk_sending(tmp_path: Path) -> None:
    """``stop_on_error``: the chunk marked ahead is set back and settled, as without a journal."""
    results = []
    for journal in (None, tmp_path / "run.db"):
        with Simulator() as sim:
            sim.seed(ACCOUNT, pool=5000)
            sim.inject(Fault(path="/assign", method="POST", status=400, body="Bad request"))
            licenses = sim.client().software_management_licenses_v3
            results.append(
                licenses.assign_licenses_bulk(
                    ACCOUNT,
                    device_ids(2500),
                    chunk_size=500,
                    max_workers=1,
                    stop_on_error=True,
                    journal=journal,
                )
            )
            posted = len(sim.requests("/assign", "POST"))
    plain, journaled = results
    assert surfaces(journaled) == surfaces(plain)
    assert journaled.stopped is not None and posted == journaled.chunks_sent == 2
    with sqlite3.connect(f"file:{tmp_path / 'run.db'}?mode=ro", uri=True) as db:
        states = dict(db.execute("SELECT state, count(*) FROM chunks GROUP BY state"))
    assert states == {"settled": 5}


def test_bad_input_leaves_no_journal_and_sends_nothing(tmp_path: Path) -> None:
    """The plan is streamed into a partial file: an input that fails halfway removes it."""
    path = tmp_path / "run.db"
    with Simulator() as sim:
        sim.seed(ACCOUNT, pool=5000)
        licenses = sim.client().software_management_licenses_v3
        with pytest.raises(InvalidTypeError, match=r"device_ids\[7000\]"):
            licenses.assign_licenses_bulk(ACCOUNT, [*device_ids(7000), 7], journal=path)
        with pytest.raises(ValidationError, match="1 invalid device id"):
            licenses.assign_licenses_bulk(ACCOUNT, ["", *device_ids(10)], journal=path, strict=True)
        assert sim.request_count() == 0
    assert list(tmp_path.iterdir()) == []


def test_either_client_journals_the_same_run(tmp_path: Path, connect: Any) -> None:
    """The async driver writes through the same store: the stored result is the one returned."""
    path = tmp_path / "run.db"
    with Simulator() as sim:
        sim.seed(ACCOUNT, pool=2400)
        sim.inject(Fault(path="/assign", method="POST", status=500, apply=True))
        with connect(sim.client) as client:
            result = client.software_management_licenses_v3.assign_licenses_bulk(
                ACCOUNT, iter(mixed_input()), chunk_size=500, journal=path
            )
        stored = sim.client().software_management_licenses_v3.resume_bulk(path)  # sends nothing
        assert sim.assigned(ACCOUNT) == set(result.succeeded)
    assert result.counts == {"succeeded": 2400, "failed": 200, "not_attempted": 3, "unknown": 0}
    assert result.reconciled == 500
    assert surfaces(stored) == surfaces(result)


def test_a_journaled_result_is_read_from_any_directory_and_takes_only_text_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Simulator() as sim:
        sim.seed(ACCOUNT, pool=10)
        ids = device_ids(3)
        licenses = sim.client().software_management_licenses_v3
        result = licenses.assign_licenses_bulk(ACCOUNT, ids, journal="relative.db")
        monkeypatch.chdir("/")  # the result still reads the journal it was written to
        assert result.counts["succeeded"] == 3
        assert result[ids[0]].outcome.value == "succeeded"
        for store in (result, licenses.assign_licenses_bulk(ACCOUNT, ids)):
            with pytest.raises(KeyError):
                store[int(ids[0])]  # type: ignore[index]
