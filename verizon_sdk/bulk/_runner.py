"""Driving a run to its end (send, reconcile, finish), and resuming one from its journal."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from verizon_sdk import _endpoints as endpoints
from verizon_sdk._pagination import page_fetcher
from verizon_sdk.bulk._engine import _Run
from verizon_sdk.bulk._journal import Journal
from verizon_sdk.bulk._journal_store import JournalStore
from verizon_sdk.bulk._records import DeviceResult, Outcome
from verizon_sdk.bulk._result import BulkResult, ChunkEvent
from verizon_sdk.bulk._rules import Action, _describe
from verizon_sdk.bulk._steps import drive_steps
from verizon_sdk.exceptions import ValidationError
from verizon_sdk.models import V3LicenseAssignedRemovedResult, V3LicenseIMEI, V3LicenseSummary

if TYPE_CHECKING:
    from verizon_sdk._pipeline import Pipeline

#: What a resumed run records for an id whose chunk was ``sending`` when the run stopped.
IN_FLIGHT = "its chunk was being sent when the run stopped"


logger = logging.getLogger("verizon_sdk.bulk")


def wire(
    pipeline: Pipeline, action: Action, acc: str
) -> tuple[
    Callable[[list[str]], V3LicenseAssignedRemovedResult], Callable[[str | None], V3LicenseSummary]
]:
    """The POST for one chunk and the license-list page reader, for ``acc``."""
    endpoint = action_endpoint(action)

    def send(ids: list[str]) -> V3LicenseAssignedRemovedResult:
        answer: V3LicenseAssignedRemovedResult = pipeline.execute(
            endpoint, {"acc": acc, "body": V3LicenseIMEI(device_list=ids)}
        ).body
        return answer

    fetch = page_fetcher(
        pipeline, endpoints.V3_GET_ACCOUNT_LICENSES_STATUS, "last_seen_device_id", acc=acc
    )
    return send, fetch


def action_endpoint(action: Action) -> Any:
    """The V3 POST endpoint of ``action``."""
    if action == "assign":
        return endpoints.V3_ASSIGN_LICENSES_TO_DEVICES
    return endpoints.V3_REMOVE_LICENSES_FROM_DEVICES


@contextmanager
def settling(run: _Run) -> Iterator[None]:
    """Around sending and reconciling (sync or async): the partial result on any exception,
    elapsed time, the bar closed, and the journal closed (finished first on success)."""
    result = run.result
    try:
        yield
    except BaseException as exc:
        if result.stopped is None:  # interrupted while reconciling
            result.stopped = f"interrupted by {_describe(exc)}"
        result.interrupted = result.interrupted or isinstance(exc, KeyboardInterrupt)
        exc.bulk_result = result  # type: ignore[attr-defined]
        run.store.close()
        raise
    finally:
        result.elapsed += time.monotonic() - run.started
        if run.bar is not None:
            run.bar.close()
    run.store.finish(result)
    run.store.close()


def journal_unsent(run: _Run) -> None:
    """Chunks a stop left unsent (already ``not_attempted``) are settled in a journal."""
    run.store.settle_planned()


def drive(run: _Run, *, reconcile: bool) -> BulkResult:
    """Send every chunk of ``run``, reconcile, and (with a journal) finish it."""
    with settling(run):
        run.send_all()
        journal_unsent(run)
        if reconcile:
            run.reconcile()
    return run.result


def existing_run(path: str | os.PathLike[str], action: str, acc: str) -> BulkResult | None:
    """The stored result if ``path`` holds this finished run; None if there is no file.

    Refuses (``ValidationError``, before anything is read or sent) an unfinished run, another
    action or account, and a file that is not a journal.
    """
    if not os.path.exists(path):
        return None
    journal = Journal.open(path)
    journal.check_run(action, acc)
    if not journal.finished:
        journal.close()
        raise ValidationError(
            "journal",
            f"{os.fspath(path)} holds an unfinished {action} run for {acc}: resume it with "
            f"resume_bulk({os.fspath(path)!r}) (CLI: verizon-licenses resume "
            f"{os.fspath(path)}); nothing was sent",
        )
    return JournalStore.result(journal, keep_open=False)


def resume_run(
    pipeline: Pipeline,
    path: str | os.PathLike[str],
    *,
    max_workers: int,
    reconcile: bool = True,
    on_chunk: Callable[[ChunkEvent], object] | None = None,
    bar_factory: Any = None,
) -> BulkResult:
    """Finish the run journaled at ``path``; a finished run's stored result is returned."""
    journal = Journal.open(path)
    if journal.finished:
        return JournalStore.result(journal, keep_open=False)
    started = time.monotonic()
    action: Action = "assign" if journal.meta["action"] == "assign" else "remove"
    acc = journal.meta["account"]
    send, fetch = wire(pipeline, action, acc)
    result = JournalStore.result(journal, keep_open=True)
    store = result._store
    assert isinstance(store, JournalStore)
    run = _Run(
        result,
        action,
        send,
        fetch,
        total=0,
        chunks=[],
        chunk_size=journal.chunk_size,
        max_workers=max_workers,
        stop_on_error=journal.meta["stop_on_error"] == "1",
        on_chunk=on_chunk,
        bar=None,
        started=started,
    )
    try:
        journal.reset_planned()  # an interrupted attempt may have marked them not attempted
        _wait_for_in_flight_posts(journal.in_flight_until())
        settle_in_flight(run, store, store.chunks("sending"))
    except BaseException:
        journal.close()
        raise
    run.chunks = store.chunks("planned")
    run.total_chunks = len(run.chunks)
    run.total = store.planned_ids()
    if bar_factory is not None:
        run.bar = bar_factory(total=run.total, unit="id", desc=f"{action} {acc}")
    return drive(run, reconcile=reconcile)


def _wait_for_in_flight_posts(until: float) -> None:
    """Sleep until ``until`` (``time.time()``): a POST the dead process sent may still be
    being applied, and the list read before it ends would not prove its devices untouched."""
    wait = until - time.time()
    if wait > 0:
        logger.warning(
            "resume: waiting %.1f s for the POSTs the interrupted run had in flight to end "
            "(its attempt deadline) before reading the license list",
            wait,
        )
        time.sleep(wait)


def settle_in_flight(run: _Run, store: JournalStore, sending: list[int]) -> None:
    """Settle chunks left ``sending`` by reading the license list, never by re-sending.

    A device in the asked-for state is ``succeeded``; the others were provably not acted on
    (at the time of reading) and go into a new planned chunk. If the list cannot be read, the
    resume stops here with the error and nothing is sent.
    """
    if not sending:
        return
    chunks = [(index, store.chunk_ids(index)) for index in sending]
    licensed = drive_steps(run.licensed({d for _, ids in chunks for d in ids}), run.fetch)
    wanted = run.action == "assign"
    state = "lists" if wanted else "does not list"
    done: list[tuple[DeviceResult, list[str]]] = []
    again: list[str] = []
    for index, ids in chunks:
        record = DeviceResult(
            Outcome.SUCCEEDED,
            error=f"{IN_FLIGHT}; reconciled: the account {state} the device as licensed",
            chunk=index,
            reconciled=True,
        )
        done.append((record, [d for d in ids if (d in licensed) == wanted]))
        again.extend(d for d in ids if (d in licensed) != wanted)
    assert store.journal is not None
    store.journal.replan(sending, done, again)
    run.result.reconciled += sum(len(ids) for _, ids in done)
