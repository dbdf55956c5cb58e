"""Reading the ids, sending the chunks from a thread pool, and reconciliation."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, replace
from typing import Any

from verizon_sdk._pagination import CursorWalk
from verizon_sdk.bulk._records import _PENDING, DeviceResult, Outcome, read_into
from verizon_sdk.bulk._result import BulkResult, ChunkEvent
from verizon_sdk.bulk._rules import (
    IN_FLIGHT_PER_WORKER,
    Action,
    _describe,
    _error_outcome,
    _text,
    judge_answer,
    reconciled_outcome,
    stops_the_run,
)
from verizon_sdk.bulk._steps import drive_steps
from verizon_sdk.models import V3LicenseSummary

logger = logging.getLogger("verizon_sdk.bulk")


def read_device_ids(
    device_ids: Iterable[str], result: BulkResult, *, strict: bool = False, rule: str = "printable"
) -> list[str]:
    """Read and validate every id into ``result``; return the valid distinct ids, in order."""
    read_into(result._store, device_ids, strict=strict, rule=rule)
    return [d for d, r, _ in result._store.rows() if r is _PENDING]


@dataclass
class _Reply:
    index: int
    ids: list[str]
    body: Any = None
    error: Exception | None = None
    duration: float = 0.0


def _send(send: Callable[[list[str]], Any], index: int, ids: list[str]) -> _Reply:
    """Runs on a worker thread: one request, never raising an ``Exception``."""
    started = time.monotonic()
    try:
        body = send(ids)
    except Exception as exc:
        return _Reply(index, ids, error=exc, duration=time.monotonic() - started)
    return _Reply(index, ids, body=body, duration=time.monotonic() - started)


def _predecessor(device_id: str) -> str | None:
    """The all-digit id just before ``device_id`` (same length); None before the first."""
    number = int(device_id)
    return str(number - 1).zfill(len(device_id)) if number > 0 else None


def _imei_like(ids: Iterable[str]) -> bool:
    lengths = {len(d) if d.isdigit() and d.isascii() else -1 for d in ids}
    return len(lengths) == 1 and -1 not in lengths


class _Run:
    """One bulk run's state. Records are only changed on the calling thread, through the
    result's :class:`~verizon_sdk.bulk._records.RecordStore` (dicts, or the journal)."""

    def __init__(
        self,
        result: BulkResult,
        action: Action,
        send: Callable[[list[str]], Any],
        fetch: Callable[[str | None], V3LicenseSummary],
        *,
        total: int,
        chunks: list[int],
        chunk_size: int,
        max_workers: int,
        stop_on_error: bool,
        on_chunk: Callable[[ChunkEvent], object] | None,
        bar: Any,
        started: float | None = None,
    ) -> None:
        self.result = result
        self.store = result._store
        self.action = action
        #: Valid ids in the chunks to send; the chunks' indexes (their ids are in the store).
        self.total = total
        self.chunks = chunks
        self.send = send
        self.fetch = fetch
        self.chunk_size = chunk_size
        self.max_workers = max_workers
        self.stop_on_error = stop_on_error
        self.on_chunk = on_chunk
        self.bar = bar
        self.total_chunks = len(chunks)
        self.started = time.monotonic() if started is None else started
        self.done = 0
        #: The chunk being handed to the pool (an interrupt may land in between).
        self.submitting: tuple[int, list[str]] | None = None
        #: Chunks committed as sending and not yet handed to the pool.
        self.marked: list[int] = []

    # -- sending ----------------------------------------------------------------------------

    def send_all(self) -> None:
        pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="verizon-bulk")
        in_flight: dict[Future[_Reply], tuple[int, list[str]]] = {}
        limit = self.max_workers * IN_FLIGHT_PER_WORKER
        position = 0
        try:
            while True:
                if self.result.stopped is not None:  # marked ahead, now not to be sent
                    for index in self.marked:
                        self.store.unsend(index)
                    self.marked = []
                room = limit - len(in_flight) if self.result.stopped is None else 0
                batch = self.chunks[position : position + max(room, 0)]
                self.marked = list(batch)
                fresh = [i for i in batch if not self.store.is_sending(i)]
                if fresh:  # a journal commits them all as sending, durably, before any POST
                    self.store.sending(fresh)
                for index in batch:
                    ids = self.store.chunk_ids(index)
                    self.submitting = (index, ids)
                    in_flight[pool.submit(_send, self.send, index, ids)] = self.submitting
                    self.marked.remove(index)  # before submitting is cleared: see abort()
                    self.submitting = None
                    position += 1
                if not in_flight:
                    break
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=lambda f: in_flight[f][0]):
                    # the chunk that takes this one's place is marked sending in the same
                    # commit as this one's outcomes (a journal: one transaction per chunk)
                    ahead = position + len(self.marked)
                    then = self.chunks[ahead : ahead + 1] if self.result.stopped is None else []
                    self.marked.extend(then)
                    self.collect(future, *in_flight.pop(future), sending=then)
        except BaseException as exc:
            self.result.interrupted = isinstance(exc, KeyboardInterrupt)
            self.result.stopped = f"interrupted by {_describe(exc)}"
            self.abort(in_flight)
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            self.settle_unsent()

    def abort(self, in_flight: dict[Future[_Reply], tuple[int, list[str]]]) -> None:
        """Cancel the chunks not started; wait for and record the ones in flight."""
        handed = {index for index, _ in in_flight.values()}
        if self.submitting is not None:
            handed.add(self.submitting[0])
        for index in self.marked:  # marked sending, never handed to the pool
            if index not in handed:  # one that was is sent or may be: it stays sending
                self.store.unsend(index)
        if self.submitting is not None and all(
            chunk is not self.submitting for chunk in in_flight.values()
        ):
            # interrupted between submit() and recording the future: it may be running
            index, ids = self.submitting
            self.mark(ids, Outcome.UNKNOWN, f"being submitted when {self.result.stopped}", index)
        for future, (index, ids) in list(in_flight.items()):
            if future.cancel():
                del in_flight[future]
                self.store.unsend(index)
                self.mark(ids, Outcome.NOT_ATTEMPTED, f"not sent: {self.result.stopped}", index)
        try:
            for future in as_completed(list(in_flight)):
                self.collect(future, *in_flight.pop(future), notify=False)
        except BaseException:  # a second interrupt: stop waiting
            for index, ids in in_flight.values():
                self.result.chunks_sent += 1  # running: its request may well have gone out
                error = f"in flight when the run was interrupted ({self.result.stopped})"
                self.mark(ids, Outcome.UNKNOWN, error, index)

    def settle_unsent(self) -> None:
        """Every id still pending was never handed to a worker: not attempted."""
        self.store.settle_pending(
            f"not sent: {self.result.stopped or 'the run ended before this chunk'}"
        )

    def mark(self, ids: list[str], outcome: Outcome, error: str, index: int) -> None:
        """The whole chunk ``index`` gets one outcome; not final (it was interrupted)."""
        self.store.write(index, [(DeviceResult(outcome, error=error, chunk=index), ids)])

    def collect(
        self,
        future: Future[_Reply],
        index: int,
        ids: list[str],
        *,
        notify: bool = True,
        sending: list[int] | None = None,
    ) -> None:
        """Record a finished chunk (and mark ``sending`` the chunks to send next), update
        progress, then tell ``on_chunk``."""
        self.result.chunks_sent += 1
        interrupt = future.exception()
        if interrupt is not None:  # a BaseException on the worker (KeyboardInterrupt ...)
            self.mark(
                ids, Outcome.UNKNOWN, f"interrupted while sending: {_describe(interrupt)}", index
            )
            if notify:
                raise interrupt
            return
        reply = future.result()
        groups = self.record(reply)
        self.store.write(index, groups, settled=True, sending=sending or ())
        counts = dict.fromkeys(Outcome, 0)
        for record, shared in groups:
            counts[record.outcome] += len(shared)
        self.done += len(ids)
        if self.bar is not None:
            self.bar.update(len(ids))
        if counts[Outcome.SUCCEEDED] < len(ids):
            wait = getattr(reply.error, "retry_after", None)
            if wait is not None:
                self.result.retry_after = max(wait, self.result.retry_after or 0.0)
            if (
                reply.error is not None
                and stops_the_run(reply.error)
                and self.result.stopped is None
            ):
                self.result.stopped = (
                    f"chunk {index} failed with {_describe(reply.error)}, "
                    "which every later chunk would meet"
                )
            elif self.stop_on_error and self.result.stopped is None:
                self.result.stopped = f"chunk {index} did not fully succeed (stop_on_error=True)"
        if notify and self.on_chunk is not None:
            self.on_chunk(
                ChunkEvent(
                    index=index,
                    total_chunks=self.total_chunks,
                    size=len(ids),
                    succeeded=counts[Outcome.SUCCEEDED],
                    failed=counts[Outcome.FAILED],
                    not_attempted=counts[Outcome.NOT_ATTEMPTED],
                    unknown=counts[Outcome.UNKNOWN],
                    error=None if reply.error is None else _describe(reply.error),
                    duration=reply.duration,
                    elapsed=time.monotonic() - self.started,
                    done=self.done,
                    total=self.total,
                )
            )

    def record(self, reply: _Reply) -> list[tuple[DeviceResult, list[str]]]:
        """Classify one chunk's answer: each distinct record with the ids that get it."""
        index = reply.index
        if reply.error is not None:
            outcome = _error_outcome(reply.error)
            logger.debug("chunk %d: %s (%s)", index, outcome.value, _describe(reply.error))
            error = DeviceResult(outcome, error=_describe(reply.error), chunk=index)
            return [(error, reply.ids)]
        answers: dict[str, tuple[str | None, str | None]] = {}
        conflicting: set[str] = set()
        for item in getattr(reply.body, "device_list", None) or ():
            device_id = getattr(item, "device_id", None)
            if not isinstance(device_id, str):
                continue  # not one of ours, whatever it is
            answer = (
                _text(getattr(item, "status", None)),
                _text(getattr(item, "result_reason", None)),
            )
            if device_id in answers and answers[device_id] != answer:
                conflicting.add(device_id)
            answers[device_id] = answer
        shared: dict[tuple[Any, ...], tuple[DeviceResult, list[str]]] = {}
        for device_id in reply.ids:
            if device_id in conflicting:
                key: tuple[Any, ...] = (Outcome.UNKNOWN, "the answer lists this device twice")
            elif device_id not in answers:
                key = (Outcome.UNKNOWN, "the answer does not mention this device")
            else:
                key = answers[device_id]
            group = shared.get(key)
            if group is None:
                group = shared[key] = (self.judge(key, index), [])
            group[1].append(device_id)
        return list(shared.values())

    def judge(self, key: tuple[Any, ...], index: int) -> DeviceResult:
        if key[0] is Outcome.UNKNOWN:
            return DeviceResult(Outcome.UNKNOWN, error=key[1], chunk=index)
        status, reason = key
        outcome, note = judge_answer(self.action, status, reason)
        return DeviceResult(outcome, status, reason, error=note, chunk=index)

    # -- reconciliation ---------------------------------------------------------------------

    def reconcile(self) -> None:
        """Settle the ``unknown`` ids (unrecognised statuses included) by reading the license
        list; if it cannot be read they stay ``unknown``."""
        drive_steps(self.reconcile_steps(), self.fetch)

    def reconcile_steps(self) -> Generator[str | None, Any, None]:
        """Reconciliation without I/O: yields each cursor to read, receives its page.

        A driver sends back the page, or throws in the error its fetch raised.
        """
        ambiguous = [(d, r) for d, r, _ in self.store.rows(Outcome.UNKNOWN.value)]
        if not ambiguous:
            return
        try:
            licensed = yield from self.licensed({d for d, _ in ambiguous})
        except Exception as exc:
            self.result.reconciliation_error = _describe(exc)
            logger.warning("bulk %s: reconciliation failed: %s", self.action, _describe(exc))
            return
        wanted = self.action == "assign"
        found_groups: list[tuple[DeviceResult, list[str]]] = []
        for device_id, before in ambiguous:
            outcome = reconciled_outcome(before, (device_id in licensed) == wanted)
            state = "lists" if device_id in licensed else "does not list"
            found = f"reconciled: the account {state} the device as licensed"
            error = found if before.error is None else f"{before.error}; {found}"
            after = replace(before, outcome=outcome, error=error, reconciled=True)
            found_groups.append((after, [device_id]))
        self.store.write(None, found_groups)
        self.result.reconciled += len(ambiguous)
        logger.debug("bulk %s: reconciled %d ids", self.action, len(ambiguous))

    def licensed(self, ids: set[str]) -> Generator[str | None, Any, set[str]]:
        """Which of ``ids`` the account lists as licensed (yields the cursors to read)."""
        if not _imei_like(ids):
            return (yield from self.scan(ids))
        remaining = sorted(ids)  # one length: string order is number order
        found: set[str] = set()
        position = 0
        while position < len(remaining):
            page = yield _predecessor(remaining[position])
            listed = {getattr(d, "device_id", None) for d in page.device_list or ()}
            final = page.has_more_data is None or page.has_more_data is False
            # The page lists every licensed id after the cursor up to its last comparable id
            # (same length, digits), or to the end when it is the final page.
            last = max(
                (d for d in listed if isinstance(d, str) and _imei_like((d, remaining[0]))),
                default=None,
            )
            before = position
            while position < len(remaining) and (
                final or (last is not None and remaining[position] <= last)
            ):
                if remaining[position] in listed:
                    found.add(remaining[position])
                position += 1
            if position == before:  # nothing comparable on the page: read the whole list
                return found | (yield from self.scan(set(remaining[position:])))
        return found

    def scan(self, ids: set[str]) -> Generator[str | None, Any, set[str]]:
        """Read the whole license list (with the iterator's checks); keep ``ids`` found."""
        found: set[str] = set()
        walk = CursorWalk("V3 license status (reconciliation)")
        while not walk.done:
            page = yield walk.requested
            walk.check(page)
            for device in page.device_list or ():
                if device.device_id in ids:
                    found.add(device.device_id)
        return found
