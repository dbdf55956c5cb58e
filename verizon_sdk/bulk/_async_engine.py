"""The async driver of a bulk run: the same :class:`~verizon_sdk.bulk._engine._Run` decisions,
with a bound on requests in flight instead of a thread pool.

Chunks are sent as tasks, at most ``max_workers`` requests at once (and, as with the thread
pool, a few more chunks handed over, waiting for a slot); each is recorded as it finishes, in
the calling task (so records change in one place, as with threads). Cancelling the run cancels
the chunks still waiting for a slot, waits for the chunks sending, records them, marks the
rest ``not_attempted`` and re-raises
the ``CancelledError`` with the partial :class:`BulkResult` on ``exc.bulk_result``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, Iterable
from typing import TYPE_CHECKING, Any

from verizon_sdk import _endpoints as endpoints
from verizon_sdk.bulk import _prepare_run, _stored_run
from verizon_sdk.bulk._engine import _Reply, _Run
from verizon_sdk.bulk._result import BulkResult, Outcome
from verizon_sdk.bulk._rules import IN_FLIGHT_PER_WORKER, Action, _describe
from verizon_sdk.bulk._runner import action_endpoint, journal_unsent, settling
from verizon_sdk.bulk._steps import advance
from verizon_sdk.models import V3LicenseIMEI

if TYPE_CHECKING:
    from verizon_sdk._async_pipeline import AsyncPipeline


class AsyncRun(_Run):
    """A bulk run whose ``send`` and ``fetch`` are coroutines."""

    async def _asend(self, slots: asyncio.Semaphore, index: int, ids: list[str]) -> _Reply:
        """One request once a slot is free, never raising an ``Exception`` (a cancellation does
        propagate). ``sending`` holds the chunks past the wait for a slot."""
        async with slots:
            self.sending.add(index)
            started = time.monotonic()
            try:
                body = await self.send(ids)
            except Exception as exc:
                return _Reply(index, ids, error=exc, duration=time.monotonic() - started)
            return _Reply(index, ids, body=body, duration=time.monotonic() - started)

    async def asend_all(self) -> None:
        # As the thread pool: up to IN_FLIGHT_PER_WORKER chunks per slot are handed over, and
        # max_workers of them send at once. A finished request frees its slot for the next
        # chunk at once, while this task records the answer (the recording does not hold up
        # the sending).
        slots = asyncio.Semaphore(self.max_workers)
        self.sending: set[int] = set()
        in_flight: dict[asyncio.Task[_Reply], tuple[int, list[str]]] = {}
        limit = self.max_workers * IN_FLIGHT_PER_WORKER
        position = 0
        try:
            while True:
                while (
                    self.result.stopped is None
                    and position < self.total_chunks
                    and len(in_flight) < limit
                ):
                    index = self.chunks[position]
                    ids = self.store.chunk_ids(index)
                    self.store.sending([index])  # a journal: durable before the POST leaves
                    task = asyncio.ensure_future(self._asend(slots, index, ids))
                    in_flight[task] = (index, ids)
                    position += 1
                if not in_flight:
                    break
                finished, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in sorted(finished, key=lambda t: in_flight[t][0]):
                    self.collect(task, *in_flight.pop(task))  # type: ignore[arg-type]
        except BaseException as exc:
            self.result.stopped = f"interrupted by {_describe(exc)}"
            self.result.interrupted = isinstance(exc, KeyboardInterrupt)
            await self._drain(in_flight)
            raise
        finally:
            self.settle_unsent()

    async def _drain(self, in_flight: dict[asyncio.Task[_Reply], tuple[int, list[str]]]) -> None:
        """Cancel the chunks still waiting for a slot (never sent); wait for the ones sending
        and record them. A second cancellation stops waiting."""
        for task, (index, ids) in list(in_flight.items()):
            if index not in self.sending:
                task.cancel()
                del in_flight[task]
                self.store.unsend(index)  # a journal: planned again
                self.mark(ids, Outcome.NOT_ATTEMPTED, f"not sent: {self.result.stopped}", index)
        try:
            await asyncio.gather(*in_flight, return_exceptions=True)
        except BaseException:
            for task, (index, ids) in in_flight.items():
                task.cancel()
                self.result.chunks_sent += 1
                error = f"in flight when the run was interrupted ({self.result.stopped})"
                self.mark(ids, Outcome.UNKNOWN, error, index)
            return
        for task, (index, ids) in sorted(in_flight.items(), key=lambda item: item[1][0]):
            if task.cancelled():
                self.result.chunks_sent += 1
                self.mark(
                    ids, Outcome.UNKNOWN, f"cancelled while sending ({self.result.stopped})", index
                )
            else:
                self.collect(task, index, ids, notify=False)  # type: ignore[arg-type]

    async def areconcile(self) -> None:
        """:meth:`_Run.reconcile`, each page read with ``await``."""
        steps = self.reconcile_steps()
        page: Any = None
        error: Exception | None = None
        while True:
            done, cursor = advance(steps, page, error)
            if done:
                return
            try:
                page, error = await self.fetch(cursor), None  # type: ignore[misc]
            except Exception as exc:
                page, error = None, exc


async def arun_bulk(
    pipeline: AsyncPipeline,
    action: Action,
    acc: str,
    device_ids: Iterable[str] | AsyncIterable[str],
    *,
    reconcile: bool = True,
    **options: Any,
) -> BulkResult:
    """:func:`verizon_sdk.bulk.run_bulk` with async I/O; ``device_ids`` may be an async iterable."""
    if not isinstance(device_ids, Iterable) and isinstance(device_ids, AsyncIterable):
        device_ids = [device_id async for device_id in device_ids]
    endpoint = action_endpoint(action)
    status = endpoints.V3_GET_ACCOUNT_LICENSES_STATUS

    async def send(ids: list[str]) -> Any:
        body = V3LicenseIMEI(device_list=ids)
        return (await pipeline.execute(endpoint, {"acc": acc, "body": body})).body

    async def fetch(cursor: str | None) -> Any:
        arguments = {"acc": acc, "last_seen_device_id": cursor}
        return (await pipeline.execute(status, arguments)).body

    stored = _stored_run(options.get("journal"), action, acc)
    if stored is not None:
        return stored  # a finished run in the journal: nothing is read or sent
    run = _prepare_run(AsyncRun, pipeline.config, action, acc, device_ids, send, fetch, **options)
    with settling(run):
        await run.asend_all()
        journal_unsent(run)
        if reconcile:
            await run.areconcile()
    return run.result
