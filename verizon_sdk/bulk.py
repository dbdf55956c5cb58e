"""Fleet-scale assign and remove: chunked, concurrent, and a complete account of every device.

::

    licenses = client.software_management_licenses_v3
    result = licenses.assign_licenses_bulk("0000123456-00001", ids, max_workers=8)
    print(result)           # BulkResult(assign 0000123456-00001: 10000 ids, 9890 succeeded, ...)
    result.to_csv("assign-report.csv")
    if result.retry_ids():
        licenses.assign_licenses_bulk("0000123456-00001", result.retry_ids())

``remove_licenses_bulk`` takes the same arguments. Both are V3 only: the V2 assign and remove
endpoints are deprecated in favour of V3, and a new helper should not be built on them.

Defaults
========

=================  =======  =============================================================
option             default  meaning
=================  =======  =============================================================
``chunk_size``     1000     ids per request (1 to 10,000, the SDK's per-request limit);
                            the largest page the service is known to return is 1000
``max_workers``    4        requests in flight at once; keep it at or under the client's
                            ``pool_maxsize`` (10), or connections are opened and discarded
``reconcile``      True     settle ambiguous ids by reading the license list (below)
``stop_on_error``  False    True: send no further chunk once a chunk did not fully succeed
``strict``         False    True: an invalid id raises ``ValidationError``; nothing is sent
``progress``       False    True: a ``tqdm.auto`` progress bar (``pip install
                            'verizon-sdk[progress]'``); without tqdm, ``ValidationError``
``on_chunk``       None     called with a :class:`ChunkEvent` after each chunk
=================  =======  =============================================================

How a run goes
==============

1. **Read.** Every id is validated before anything is sent, so the whole input is read first
   (any iterable, a generator over millions of ids included). Each distinct id is kept once, in
   input order, in one dict that later holds its outcome (about 100 bytes per distinct id);
   repeats are collapsed and counted in :attr:`BulkResult.duplicates`. An id that fails
   :func:`~verizon_sdk.validation.check_device_id` is never sent: it is ``not_attempted``
   (``invalid=True``), or with ``strict=True`` the run raises
   :class:`~verizon_sdk.exceptions.ValidationError`. A non-string item raises
   :class:`~verizon_sdk.exceptions.InvalidTypeError`. Either way nothing has been sent.
2. **Send.** The valid ids are cut into chunks of ``chunk_size`` and posted by a pool of
   ``max_workers`` threads that share the controller's client: one token cache and one
   connection pool. At most ``2 * max_workers`` chunks are queued or in flight at a time. The
   bulk layer never re-sends a POST; the transport retries it only where the service provably
   did not act (a failed connect, a 429).
3. **Classify** each chunk's answer (below) on the calling thread, then call ``on_chunk``.
4. **Reconcile** the ambiguous ids, once, at the end (below).

Outcomes
========

Every distinct input id ends in exactly one of four categories:

``succeeded``
    The device is in the state asked for. The service said status ``"Success"`` (assign or
    remove) or ``"LicenseAssignSuccess"`` (assign); or it said the device was already there:
    ``"Device license preexisting"`` on assign, ``"No license attached to device"`` on remove.
    Counting those as success makes a re-run over :meth:`BulkResult.retry_ids` safe and
    keeps ``succeeded`` equal to the devices in the asked-for state. The service's status and
    reason are kept (``result["..."].reason``). Or reconciliation found it in that state.
``failed``
    The service answered for the device, and not with success: ``"Failure"`` with its reason
    (``"Device does not exist."``, ``"No license available"``, ...). ``status`` is an open set
    (DESIGN.md), so a status the SDK does not know (``"UpgradePending"``, say) is not guessed
    at: reconciliation checks the device, which becomes ``succeeded`` if it is in the asked-for
    state and stays ``failed``, with the raw status, otherwise (and always when
    ``reconcile=False``).
``not_attempted``
    The request did not act on the device: the id was invalid; the service refused the whole
    chunk with a 4xx (400, 401, 403, 404, 429 ...); the connection could not be made; the run
    stopped before sending the chunk (``stop_on_error``, an error every chunk would meet, an
    interrupt); or reconciliation found an ambiguous device not in the asked-for state.
    ``error`` says which.
``unknown``
    The request may have been applied, but no usable answer came back: a read timeout, a
    connection dropped after sending, a 5xx, a 2xx body that cannot be read, or an answer that
    does not mention the device. Reconciliation settles these; they stay ``unknown`` only with
    ``reconcile=False``, when reconciliation itself failed (``reconciliation_error``), or after
    an interrupt.

:meth:`BulkResult.retry_ids` is ``unknown`` plus ``not_attempted`` minus the invalid ids:
everything worth sending again. ``failed`` ids are left out, because the service gave a
definite answer that a re-send would repeat; :meth:`BulkResult.failed_ids` lists them.

An error that every later chunk would meet too (401 after the token refresh, a refused token or
login, 403, 404, or a 400 about the account itself: "Invalid account name format", "Inactive
account") stops the run as ``stop_on_error`` does.

Reconciliation
==============

After the last chunk, the ids left ``unknown`` (and the unrecognised statuses) are settled by
reading the account's license list with ``GET /licenses/{acc}``; no POST is repeated. When the
ids are all IMEI-like (digits, one length), only the pages that hold them are read: each
lookup asks for the page after the first unsettled id's predecessor, and that page settles
every id up to its last device. No two lookups read the same devices, so this costs at most
one page more than the full listing, and usually a page or two. Other ids are looked up in
the full listing. An ambiguous device found in the asked-for state becomes ``succeeded``,
otherwise ``not_attempted``; each such record has ``reconciled=True``, and
:attr:`BulkResult.reconciled` counts them. If the reading fails, the ids stay ``unknown`` and
:attr:`BulkResult.reconciliation_error` says why.

The list is read as it is at that moment. A request the service is still processing (one
that timed out on a slow server, say) could land after it was read, making a device reported
``not_attempted`` hold a license after all. A re-run over ``retry_ids()`` then answers
"Device license preexisting", which counts as ``succeeded``, so it converges.

Interrupts and callbacks
========================

``on_chunk`` runs on the calling thread after each chunk's outcomes are recorded. A
``KeyboardInterrupt`` (Ctrl-C) during the run, or any exception escaping ``on_chunk``, stops it
cleanly: chunks not yet started are cancelled (``not_attempted``), chunks in flight are waited
for and recorded (a second Ctrl-C stops the wait; those ids become ``unknown``), no
reconciliation runs, and the exception is re-raised with the partial :class:`BulkResult`
attached as ``exc.bulk_result``. It is not returned: code after the call must not mistake an
interrupted run for a finished one. A Ctrl-C while the input is still being read has nothing
to report and is re-raised as is.
"""

from __future__ import annotations

import csv
import difflib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal, TextIO, TypedDict, cast

from verizon_sdk import endpoints
from verizon_sdk.exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    InvalidTypeError,
    LoginRefusedError,
    NotFoundError,
    PermissionDeniedError,
    TokenRequestError,
    ValidationError,
)
from verizon_sdk.models import V3LicenseAssignedRemovedResult, V3LicenseIMEI, V3LicenseSummary
from verizon_sdk.pagination import iter_cursor_pages, page_fetcher
from verizon_sdk.validation import MAX_DEVICES_PER_REQUEST, check_account, check_device_id

if TYPE_CHECKING:
    from verizon_sdk.pipeline import Pipeline

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_WORKERS",
    "BulkResult",
    "ChunkEvent",
    "DeviceResult",
    "Outcome",
    "run_bulk",
]

logger = logging.getLogger("verizon_sdk.bulk")

DEFAULT_CHUNK_SIZE = 1000
DEFAULT_MAX_WORKERS = 4
#: Chunks queued or in flight per worker thread: enough to keep every worker busy.
IN_FLIGHT_PER_WORKER = 2

Action = Literal["assign", "remove"]

#: Statuses that mean "done", compared case-insensitively.
SUCCESS_STATUSES: Mapping[str, frozenset[str]] = {
    "assign": frozenset({"success", "licenseassignsuccess"}),
    "remove": frozenset({"success"}),
}
#: Failure reasons that mean the device is already in the asked-for state.
ALREADY_DONE_REASONS: Mapping[str, frozenset[str]] = {
    "assign": frozenset({"device license preexisting"}),
    "remove": frozenset({"no license attached to device"}),
}
FAILURE_STATUSES = frozenset({"failure"})


def in_asked_for_state(action: str, status: Any, reason: Any) -> bool:
    """Whether a per-device answer to ``action`` ("assign"/"remove") leaves the device as asked."""
    return _norm(_text(status)) in SUCCESS_STATUSES[action] or (
        _norm(_text(reason)) in ALREADY_DONE_REASONS[action]
    )


#: Errors that every later chunk would meet too: they stop the run.
FATAL_ERRORS: tuple[type[Exception], ...] = (
    AuthenticationError,
    PermissionDeniedError,
    NotFoundError,
)
#: 400 messages about the account itself: every later chunk would get them too.
ACCOUNT_ERRORS = frozenset({"invalid account name format", "inactive account"})


def stops_the_run(error: BaseException | None) -> bool:
    """Whether a chunk's ``error`` is one every later chunk of the run would meet too.

    A token endpoint or login that failed with a 5xx is an outage that may pass: not fatal.
    """
    if isinstance(error, TokenRequestError) and not isinstance(error, LoginRefusedError):
        code = error.response_code
        return code is not None and code < 500
    if isinstance(error, FATAL_ERRORS):
        return True
    return isinstance(error, APIStatusError) and _norm(error.error_message) in ACCOUNT_ERRORS


class Outcome(str, Enum):
    """Where a device ended up; the values are the names used in reports."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DeviceResult:
    """What happened to one device id.

    ``status`` and ``reason`` are the service's per-device ``status`` and ``resultReason``
    when it answered for the device; ``error`` is the SDK's explanation when it did not (the
    error that stopped the chunk, the validation message, what reconciliation found).
    ``chunk`` is the 0-based index of the chunk that carried (or would have carried) the id,
    None for an invalid id. Records are shared between ids, so never mutate one.
    """

    outcome: Outcome
    status: str | None = None
    reason: str | None = None
    error: str | None = None
    chunk: int | None = None
    reconciled: bool = False
    invalid: bool = False

    @property
    def retryable(self) -> bool:
        """Whether sending the id again could help: unknown, or not attempted and valid."""
        return self.outcome is Outcome.UNKNOWN or (
            self.outcome is Outcome.NOT_ATTEMPTED and not self.invalid
        )


@dataclass(frozen=True)
class ChunkEvent:
    """One chunk's outcome, given to ``on_chunk``; counts are before reconciliation."""

    index: int
    total_chunks: int
    size: int
    succeeded: int
    failed: int
    not_attempted: int
    unknown: int
    #: The error that stopped the whole chunk (``"ServerError: 503 ..."``), else None.
    error: str | None
    #: Seconds the request took, and seconds since the run started.
    duration: float
    elapsed: float
    #: Ids in the chunks finished so far, and valid ids in all.
    done: int
    total: int


_PENDING = DeviceResult(Outcome.UNKNOWN, error="no outcome recorded")
_CSV_FIELDS = (
    "device_id",
    "outcome",
    "status",
    "reason",
    "error",
    "chunk",
    "reconciled",
    "invalid",
    "occurrences",
)


class BulkResult:
    """The account of a bulk run: every distinct input id exactly once, in input order.

    ``result[device_id]`` is its :class:`DeviceResult`; ``succeeded``, ``failed``,
    ``not_attempted`` and ``unknown`` map ids to records (built on each access);
    ``counts`` has the four sizes. See the module docstring for the categories.
    """

    def __init__(self, action: str, account: str) -> None:
        self.action = action
        self.account = account
        self._records: dict[str, DeviceResult] = {}
        #: Ids that appeared more than once: id -> times it appeared.
        self.duplicates: dict[str, int] = {}
        #: How many ids reconciliation settled.
        self.reconciled = 0
        #: Why reconciliation could not settle the ambiguous ids, if it failed.
        self.reconciliation_error: str | None = None
        #: Why chunks were left unsent (stop_on_error, a fatal error, an interrupt), else None.
        self.stopped: str | None = None
        self.interrupted = False
        #: Chunks sent (whatever their outcome), and seconds the run took.
        self.chunks_sent = 0
        self.elapsed = 0.0

    # -- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._records

    def __getitem__(self, device_id: str) -> DeviceResult:
        return self._records[device_id]

    def items(self) -> Iterator[tuple[str, DeviceResult]]:
        return iter(self._records.items())

    def _where(self, outcome: Outcome) -> dict[str, DeviceResult]:
        return {d: r for d, r in self._records.items() if r.outcome is outcome}

    @property
    def succeeded(self) -> dict[str, DeviceResult]:
        return self._where(Outcome.SUCCEEDED)

    @property
    def failed(self) -> dict[str, DeviceResult]:
        return self._where(Outcome.FAILED)

    @property
    def not_attempted(self) -> dict[str, DeviceResult]:
        return self._where(Outcome.NOT_ATTEMPTED)

    @property
    def unknown(self) -> dict[str, DeviceResult]:
        return self._where(Outcome.UNKNOWN)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((o.value for o in Outcome), 0)
        for record in self._records.values():
            counts[record.outcome.value] += 1
        return counts

    @property
    def input_count(self) -> int:
        """Ids read, repeats included."""
        return len(self._records) + sum(n - 1 for n in self.duplicates.values())

    @property
    def ok(self) -> bool:
        """Every id succeeded (and the run was not cut short)."""
        return not self.interrupted and all(
            r.outcome is Outcome.SUCCEEDED for r in self._records.values()
        )

    def failed_ids(self) -> list[str]:
        """Ids the service answered for with a failure (see ``failed`` for the reasons)."""
        return list(self._where(Outcome.FAILED))

    def retry_ids(self) -> list[str]:
        """Ids worth sending again: ``unknown`` and ``not_attempted`` except invalid ids."""
        return [d for d, r in self._records.items() if r.retryable]

    # -- export -----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "account": self.account,
            "total": len(self._records),
            "input_count": self.input_count,
            **self.counts,
            "duplicates": len(self.duplicates),
            "reconciled": self.reconciled,
            "reconciliation_error": self.reconciliation_error,
            "stopped": self.stopped,
            "interrupted": self.interrupted,
            "chunks_sent": self.chunks_sent,
            "elapsed": round(self.elapsed, 3),
        }

    def rows(self) -> Iterator[dict[str, Any]]:
        """One dict per distinct id, with the ``to_csv`` columns."""
        for device_id, record in self._records.items():
            yield {
                "device_id": device_id,
                "outcome": record.outcome.value,
                "status": record.status,
                "reason": record.reason,
                "error": record.error,
                "chunk": record.chunk,
                "reconciled": record.reconciled,
                "invalid": record.invalid,
                "occurrences": self.duplicates.get(device_id, 1),
            }

    def to_dict(self) -> dict[str, Any]:
        """The summary, the repeated ids and one entry per device (JSON-ready)."""
        return {
            "summary": self.summary(),
            "duplicates": dict(self.duplicates),
            "devices": list(self.rows()),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_csv(self, path_or_file: str | os.PathLike[str] | TextIO) -> None:
        """Write one row per distinct id (columns: ``_CSV_FIELDS``) to a path or text file."""
        if isinstance(path_or_file, (str, os.PathLike)):
            with open(path_or_file, "w", newline="", encoding="utf-8") as file:
                self._write_csv(file)
        else:
            self._write_csv(path_or_file)

    def _write_csv(self, file: TextIO) -> None:
        writer = csv.DictWriter(file, fieldnames=_CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows())

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {name}" for name, n in self.counts.items())
        extra = "".join(
            f", {text}"
            for text, shown in (
                (f"{len(self.duplicates)} duplicates", self.duplicates),
                (f"{self.reconciled} reconciled", self.reconciled),
                ("reconciliation failed", self.reconciliation_error),
                ("stopped early", self.stopped and not self.interrupted),
                ("interrupted", self.interrupted),
            )
            if shown
        )
        return f"BulkResult({self.action} {self.account}: {len(self)} ids, {counts}{extra})"


# -- the run ----------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A wire value as text (the models store what came, which need not be a string)."""
    return None if value is None else value if isinstance(value, str) else json.dumps(value)


def _norm(text: str | None) -> str | None:
    return None if text is None else text.strip().rstrip(".").casefold()


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _error_outcome(exc: Exception) -> Outcome:
    """A chunk whose request raised ``exc``: not acted on, or maybe acted on."""
    if isinstance(exc, (ValidationError, TokenRequestError)):
        return Outcome.NOT_ATTEMPTED  # refused before the POST was sent (token, login)
    if isinstance(exc, APIStatusError):
        code = exc.response_code
        return Outcome.NOT_ATTEMPTED if code is not None and 400 <= code < 500 else Outcome.UNKNOWN
    if isinstance(exc, APIConnectionError) and exc.never_sent:
        return Outcome.NOT_ATTEMPTED
    return Outcome.UNKNOWN  # timeouts, dropped connections, unreadable 2xx, anything else


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
    """One bulk run's state. Records are only changed on the calling thread."""

    def __init__(
        self,
        result: BulkResult,
        action: Action,
        valid: list[str],
        send: Callable[[list[str]], Any],
        fetch: Callable[[str | None], V3LicenseSummary],
        *,
        chunk_size: int,
        max_workers: int,
        stop_on_error: bool,
        on_chunk: Callable[[ChunkEvent], object] | None,
        bar: Any,
    ) -> None:
        self.result = result
        self.records = result._records
        self.action = action
        self.valid = valid
        self.send = send
        self.fetch = fetch
        self.chunk_size = chunk_size
        self.max_workers = max_workers
        self.stop_on_error = stop_on_error
        self.on_chunk = on_chunk
        self.bar = bar
        self.total_chunks = math.ceil(len(valid) / chunk_size)
        self.started = time.monotonic()
        self.done = 0
        #: Ids answered with a status the SDK does not know: reconciliation checks them.
        self.to_verify: set[str] = set()
        #: The chunk being handed to the pool (an interrupt may land in between).
        self.submitting: tuple[int, list[str]] | None = None

    # -- sending ----------------------------------------------------------------------------

    def send_all(self) -> None:
        pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="verizon-bulk")
        in_flight: dict[Future[_Reply], tuple[int, list[str]]] = {}
        limit = self.max_workers * IN_FLIGHT_PER_WORKER
        size = self.chunk_size
        index = 0
        try:
            while True:
                while self.result.stopped is None and index < self.total_chunks:
                    if len(in_flight) >= limit:
                        break
                    ids = self.valid[index * size : (index + 1) * size]
                    self.submitting = (index, ids)
                    in_flight[pool.submit(_send, self.send, index, ids)] = self.submitting
                    self.submitting = None
                    index += 1
                if not in_flight:
                    break
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=lambda f: in_flight[f][0]):
                    self.collect(future, *in_flight.pop(future))
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
        if self.submitting is not None and all(
            chunk is not self.submitting for chunk in in_flight.values()
        ):
            # interrupted between submit() and recording the future: it may be running
            index, ids = self.submitting
            self.mark(ids, Outcome.UNKNOWN, f"being submitted when {self.result.stopped}", index)
        for future, (index, ids) in list(in_flight.items()):
            if future.cancel():
                del in_flight[future]
                self.mark(ids, Outcome.NOT_ATTEMPTED, f"not sent: {self.result.stopped}", index)
        try:
            for future in as_completed(list(in_flight)):
                self.collect(future, *in_flight.pop(future), notify=False)
        except BaseException:  # a second interrupt: stop waiting
            for index, ids in in_flight.values():
                error = f"in flight when the run was interrupted ({self.result.stopped})"
                self.mark(ids, Outcome.UNKNOWN, error, index)

    def settle_unsent(self) -> None:
        """Every id still pending was never handed to a worker: not attempted."""
        reason = f"not sent: {self.result.stopped or 'the run ended before this chunk'}"
        shared: dict[int, DeviceResult] = {}
        for position, device_id in enumerate(self.valid):
            if self.records[device_id] is _PENDING:
                index = position // self.chunk_size
                record = shared.get(index)
                if record is None:
                    record = shared[index] = DeviceResult(
                        Outcome.NOT_ATTEMPTED, error=reason, chunk=index
                    )
                self.records[device_id] = record

    def mark(self, ids: list[str], outcome: Outcome, error: str, index: int) -> None:
        record = DeviceResult(outcome, error=error, chunk=index)
        for device_id in ids:
            self.records[device_id] = record

    def collect(
        self, future: Future[_Reply], index: int, ids: list[str], *, notify: bool = True
    ) -> None:
        """Record a finished chunk, update progress, then tell ``on_chunk``."""
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
        counts = self.record(reply)
        self.done += len(ids)
        if self.bar is not None:
            self.bar.update(len(ids))
        if counts[Outcome.SUCCEEDED] < len(ids):
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
                    total=len(self.valid),
                )
            )

    def record(self, reply: _Reply) -> dict[Outcome, int]:
        """Classify one chunk's answer into per-device records; returns the counts."""
        counts = dict.fromkeys(Outcome, 0)
        index = reply.index
        if reply.error is not None:
            outcome = _error_outcome(reply.error)
            self.mark(reply.ids, outcome, _describe(reply.error), index)
            counts[outcome] = len(reply.ids)
            logger.debug("chunk %d: %s (%s)", index, outcome.value, _describe(reply.error))
            return counts
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
        shared: dict[tuple[Any, ...], DeviceResult] = {}
        for device_id in reply.ids:
            if device_id in conflicting:
                key: tuple[Any, ...] = (Outcome.UNKNOWN, "the answer lists this device twice")
            elif device_id not in answers:
                key = (Outcome.UNKNOWN, "the answer does not mention this device")
            else:
                key = answers[device_id]
            record = shared.get(key)
            if record is None:
                record = shared[key] = self.judge(key, index)
            self.records[device_id] = record
            counts[record.outcome] += 1
            if record.outcome is Outcome.FAILED and record.error is not None:
                self.to_verify.add(device_id)
        return counts

    def judge(self, key: tuple[Any, ...], index: int) -> DeviceResult:
        if key[0] is Outcome.UNKNOWN:
            return DeviceResult(Outcome.UNKNOWN, error=key[1], chunk=index)
        status, reason = key
        if in_asked_for_state(self.action, status, reason):
            return DeviceResult(Outcome.SUCCEEDED, status, reason, chunk=index)
        if _norm(status) in FAILURE_STATUSES:
            return DeviceResult(Outcome.FAILED, status, reason, chunk=index)
        return DeviceResult(
            Outcome.FAILED,
            status,
            reason,
            error=f"status {status!r} is not one the SDK knows",
            chunk=index,
        )

    # -- reconciliation ---------------------------------------------------------------------

    def reconcile(self) -> None:
        """Settle the ``unknown`` ids and unrecognised statuses by reading the license list."""
        ambiguous = [
            d
            for d, r in self.records.items()
            if r.outcome is Outcome.UNKNOWN or d in self.to_verify
        ]
        if not ambiguous:
            return
        try:
            licensed = self.licensed(set(ambiguous))
        except Exception as exc:
            self.result.reconciliation_error = _describe(exc)
            logger.warning("bulk %s: reconciliation failed: %s", self.action, _describe(exc))
            return
        wanted = self.action == "assign"
        for device_id in ambiguous:
            before = self.records[device_id]
            done = (device_id in licensed) == wanted
            state = "lists" if device_id in licensed else "does not list"
            found = f"reconciled: the account {state} the device as licensed"
            if done:
                outcome = Outcome.SUCCEEDED
            elif before.outcome is Outcome.FAILED:
                outcome = Outcome.FAILED
            else:
                outcome = Outcome.NOT_ATTEMPTED
            error = found if before.error is None else f"{before.error}; {found}"
            self.records[device_id] = replace(before, outcome=outcome, error=error, reconciled=True)
        self.result.reconciled = len(ambiguous)
        logger.debug("bulk %s: reconciled %d ids", self.action, len(ambiguous))

    def licensed(self, ids: set[str]) -> set[str]:
        """Which of ``ids`` the account lists as licensed."""
        if not _imei_like(ids):
            return self.scan(ids)
        remaining = sorted(ids)  # one length: string order is number order
        found: set[str] = set()
        position = 0
        while position < len(remaining):
            page = self.fetch(_predecessor(remaining[position]))
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
                return found | self.scan(set(remaining[position:]))
        return found

    def scan(self, ids: set[str]) -> set[str]:
        """Read the whole license list (with the iterator's checks); keep ``ids`` found."""
        found: set[str] = set()
        for page in iter_cursor_pages(self.fetch, what="V3 license status (reconciliation)"):
            for device in page.device_list or ():
                if device.device_id in ids:
                    found.add(device.device_id)
        return found


def _tqdm() -> Any:
    """``tqdm.auto.tqdm`` (a notebook widget in Jupyter, text in a terminal)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ValidationError(
            "progress", "progress=True needs tqdm: pip install 'verizon-sdk[progress]'"
        ) from None
    return tqdm


def check_options(caller: str, options: Mapping[str, Any]) -> BulkOptions:
    """``options`` for ``caller``, or a TypeError naming an unknown one (with a suggestion)."""
    known = BulkOptions.__annotations__
    for name in options:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}{hint}")
    return cast(BulkOptions, options)


def _check_options(chunk_size: Any, max_workers: Any, on_chunk: Any) -> None:
    if on_chunk is not None and not callable(on_chunk):
        raise InvalidTypeError("on_chunk", f"expected a callable, got {type(on_chunk).__name__}")
    for name, value, top in (
        ("chunk_size", chunk_size, MAX_DEVICES_PER_REQUEST),
        ("max_workers", max_workers, None),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidTypeError(name, f"expected an integer, got {type(value).__name__}")
        if value < 1 or (top is not None and value > top):
            bounds = f"between 1 and {top}" if top is not None else "at least 1"
            raise ValidationError(name, f"must be {bounds}, got {value}")


def read_device_ids(
    device_ids: Iterable[str], result: BulkResult, *, strict: bool = False
) -> list[str]:
    """Read and validate every id into ``result``; return the valid distinct ids, in order."""
    if isinstance(device_ids, (str, bytes)) or not isinstance(device_ids, Iterable):
        raise InvalidTypeError(
            "device_ids",
            f"expected an iterable of device id strings, got {type(device_ids).__name__}",
        )
    records = result._records
    duplicates = result.duplicates
    valid: list[str] = []
    invalid = 0
    first = ""
    for position, device_id in enumerate(device_ids):
        if not isinstance(device_id, str):
            raise InvalidTypeError(
                f"device_ids[{position}]",
                f"expected a device id string, got {type(device_id).__name__}; nothing was sent",
            )
        if device_id in records:
            duplicates[device_id] = duplicates.get(device_id, 1) + 1
            continue
        try:
            check_device_id(f"device_ids[{position}]", device_id)
        except ValidationError as exc:
            invalid += 1
            if strict and invalid == 1:
                first = str(exc)
            records[device_id] = DeviceResult(
                Outcome.NOT_ATTEMPTED, error=f"invalid: {exc}", invalid=True
            )
            continue
        records[device_id] = _PENDING
        valid.append(device_id)
    if strict and invalid:
        raise ValidationError(
            "device_ids", f"{invalid} invalid device id(s), nothing was sent; first: {first}"
        )
    return valid


class BulkOptions(TypedDict, total=False):
    """Keyword options of ``assign_licenses_bulk`` / ``remove_licenses_bulk`` (see above)."""

    chunk_size: int
    max_workers: int
    reconcile: bool
    stop_on_error: bool
    strict: bool
    progress: bool
    on_chunk: Callable[[ChunkEvent], object] | None


def run_bulk(
    pipeline: Pipeline,
    action: Action,
    acc: str,
    device_ids: Iterable[str],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_workers: int = DEFAULT_MAX_WORKERS,
    reconcile: bool = True,
    stop_on_error: bool = False,
    strict: bool = False,
    progress: bool = False,
    on_chunk: Callable[[ChunkEvent], object] | None = None,
) -> BulkResult:
    """Assign or remove (``action``) licenses for every id; see the module docstring."""
    check_account("acc", acc)
    _check_options(chunk_size, max_workers, on_chunk)
    progress_bar = _tqdm() if progress else None  # fail before reading, let alone sending
    if max_workers > pipeline.config.pool_maxsize:
        logger.warning(
            "max_workers=%d exceeds the client's pool_maxsize=%d: connections beyond the pool "
            "are opened and discarded; use client.clone_with(pool_maxsize=%d)",
            max_workers,
            pipeline.config.pool_maxsize,
            max_workers,
        )
    result = BulkResult(action, acc)
    started = time.monotonic()
    valid = read_device_ids(device_ids, result, strict=strict)
    endpoint = (
        endpoints.V3_ASSIGN_LICENSES_TO_DEVICES
        if action == "assign"
        else endpoints.V3_REMOVE_LICENSES_FROM_DEVICES
    )

    def send(ids: list[str]) -> V3LicenseAssignedRemovedResult:
        answer: V3LicenseAssignedRemovedResult = pipeline.execute(
            endpoint, {"acc": acc, "body": V3LicenseIMEI(device_list=ids)}
        ).body
        return answer

    fetch = page_fetcher(
        pipeline, endpoints.V3_GET_ACCOUNT_LICENSES_STATUS, "last_seen_device_id", acc=acc
    )
    bar = None
    if progress_bar is not None:
        bar = progress_bar(total=len(valid), unit="id", desc=f"{action} {acc}")
    run = _Run(
        result,
        action,
        valid,
        send,
        fetch,
        chunk_size=chunk_size,
        max_workers=max_workers,
        stop_on_error=stop_on_error,
        on_chunk=on_chunk,
        bar=bar,
    )
    try:
        run.send_all()
        if reconcile:
            run.reconcile()
    except BaseException as exc:
        if result.stopped is None:  # interrupted while reconciling
            result.stopped = f"interrupted by {_describe(exc)}"
        result.interrupted = result.interrupted or isinstance(exc, KeyboardInterrupt)
        exc.bulk_result = result  # type: ignore[attr-defined]
        raise
    finally:
        result.elapsed = time.monotonic() - started
        if bar is not None:
            bar.close()
    return result
