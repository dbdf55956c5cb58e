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
``journal``        None     a path: keep a crash-safe SQLite journal (below)
=================  =======  =============================================================

How a run goes
==============

1. **Read.** Every id is validated before anything is sent, so the whole input is read first
   (any iterable, a generator over millions of ids included). Each distinct id is kept once, in
   input order, with the record that later holds its outcome: in one dict (about 100 bytes per
   distinct id), or with ``journal=`` in the journal file only, so that Python's memory does not
   grow with the ids (the :class:`BulkResult` then reads the file as it is asked). Repeats are
   collapsed and counted in :attr:`BulkResult.duplicates`. An id that fails
   :func:`~verizon_sdk._checks.check_device_id` is never sent: it is ``not_attempted``
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
    The service answered for the device with a definite failure: ``"Failure"`` with its
    reason (``"Device does not exist."``, ``"No license available"``, ...); or a status the
    SDK does not know, when reconciliation then read the license list and found the device
    not in the asked-for state.
``not_attempted``
    The request did not act on the device: the id was invalid; the service refused the whole
    chunk with a 4xx (400, 401, 403, 404, 429 ...); the connection could not be made; the run
    stopped before sending the chunk (``stop_on_error``, an error every chunk would meet, an
    interrupt); or reconciliation found an ambiguous device not in the asked-for state.
    ``error`` says which.
``unknown``
    The SDK cannot judge the outcome. The request may have been applied, but no usable answer
    came back: a read timeout, a connection dropped after sending, a 5xx, a 2xx body that
    cannot be read, or an answer that does not mention the device. Or the service answered
    with a status the SDK does not know: ``status`` is an open set (the service documents no
    closed list), so ``"UpgradePending"``, say, is not guessed at; the raw status and reason
    are kept. Reconciliation settles these; they stay ``unknown`` (never ``failed``, so they
    are in :meth:`BulkResult.retry_ids`) only with ``reconcile=False``, when reconciliation
    itself failed (``reconciliation_error``), or after an interrupt.

:meth:`BulkResult.retry_ids` is ``unknown`` plus ``not_attempted`` minus the invalid ids:
everything worth sending again. ``failed`` ids are left out, because the service gave a
definite answer that a re-send would repeat; :meth:`BulkResult.failed_ids` lists them.

An error that every later chunk would meet too (401 after the token refresh, a refused token or
login, 403, 404, a 429 still answered after the retries, or a 400 about the account itself:
"Invalid account name format", "Inactive account") stops the run as ``stop_on_error`` does.
:attr:`BulkResult.retry_after` holds the longest ``Retry-After`` the service asked for, so a
scheduler knows when to come back.

Reconciliation
==============

After the last chunk, the ids left ``unknown`` (unrecognised statuses included) are settled by
reading the account's license list with ``GET /licenses/{acc}``; no POST is repeated. When the
ids are all IMEI-like (digits, one length), only the pages that hold them are read: each
lookup asks for the page after the first unsettled id's predecessor, and that page settles
every id up to its last device. No two lookups read the same devices, so this costs at most
one page more than the full listing, and usually a page or two. Other ids are looked up in
the full listing. An ambiguous device found in the asked-for state becomes ``succeeded``;
otherwise it is ``failed`` if the service answered for it (an unrecognised status) and
``not_attempted`` if not; each such record has ``reconciled=True``, and
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

Journal and resume
==================

With ``journal=PATH`` the run is recorded in SQLite (:mod:`verizon_sdk.bulk._journal`): the
plan, each chunk's ``sending`` state committed before its POST leaves, and each outcome. After
a crash (kill -9 included), ``resume_bulk(PATH)`` on the V3 controller finishes the run: a
chunk left ``sending`` is settled by reading the license list, never re-sent blindly. The same
call with the same path returns a finished run's stored result and sends nothing, and refuses
an unfinished run (resume it) or a journal of another action, account or format version. See
``doc/fleet.md``, "Surviving a crash".
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

from verizon_sdk._checks import MAX_DEVICES_PER_REQUEST, check_account, unexpected_keyword
from verizon_sdk.bulk import _runner
from verizon_sdk.bulk._engine import _Run, read_device_ids
from verizon_sdk.bulk._journal import FORMAT_VERSION, Journal
from verizon_sdk.bulk._journal_store import JournalStore
from verizon_sdk.bulk._records import MemoryStore, RecordStore, read_into
from verizon_sdk.bulk._result import BulkResult, ChunkEvent, DeviceResult, Outcome
from verizon_sdk.bulk._rules import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_WORKERS,
    Action,
    in_asked_for_state,
    stops_the_run,
)
from verizon_sdk.bulk._runner import resume_run
from verizon_sdk.exceptions import InvalidTypeError, ValidationError

if TYPE_CHECKING:
    from verizon_sdk._configuration import Configuration
    from verizon_sdk._pipeline import Pipeline

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_WORKERS",
    "FORMAT_VERSION",
    "Action",
    "BulkOptions",
    "BulkResult",
    "ChunkEvent",
    "DeviceResult",
    "Outcome",
    "check_options",
    "in_asked_for_state",
    "read_device_ids",
    "resume_run",
    "run_bulk",
    "stops_the_run",
]

logger = logging.getLogger("verizon_sdk.bulk")


def _tqdm() -> Any:
    """``tqdm.auto.tqdm``: a notebook widget in Jupyter when ipywidgets is installed
    (``verizon-sdk[notebook]``), text in a terminal, and quietly text in a notebook without
    ipywidgets (tqdm's "IProgress not found" warning is silenced)."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            from tqdm.auto import tqdm
    except ImportError:
        raise ValidationError(
            "progress", "progress=True needs tqdm: pip install 'verizon-sdk[progress]'"
        ) from None
    return tqdm


class BulkOptions(TypedDict, total=False):
    """Keyword options of ``assign_licenses_bulk`` / ``remove_licenses_bulk`` (see above)."""

    chunk_size: int
    max_workers: int
    reconcile: bool
    stop_on_error: bool
    strict: bool
    progress: bool
    on_chunk: Callable[[ChunkEvent], object] | None
    journal: str | os.PathLike[str] | None


def check_options(caller: str, options: Mapping[str, Any]) -> BulkOptions:
    """``options`` for ``caller``, or a TypeError naming an unknown one (with a suggestion)."""
    known = BulkOptions.__annotations__
    for name in options:
        if name not in known:
            raise unexpected_keyword(caller, name, known)
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


def run_bulk(
    pipeline: Pipeline,
    action: Action,
    acc: str,
    device_ids: Iterable[str],
    *,
    reconcile: bool = True,
    journal: str | os.PathLike[str] | None = None,
    **options: Any,
) -> BulkResult:
    """Assign or remove (``action``) licenses for every id; see the module docstring."""
    stored = _stored_run(journal, action, acc)
    if stored is not None:
        return stored  # a finished run: nothing is read or sent
    send, fetch = _runner.wire(pipeline, action, acc)
    run = _prepare_run(
        _Run, pipeline.config, action, acc, device_ids, send, fetch, journal=journal, **options
    )
    return _runner.drive(run, reconcile=reconcile)


def _stored_run(
    journal: str | os.PathLike[str] | None, action: Action, acc: str
) -> BulkResult | None:
    """The stored result of a finished run journaled at ``journal``; refusals raise."""
    check_account("acc", acc)
    if journal is None:
        return None
    if not isinstance(journal, (str, os.PathLike)):
        raise InvalidTypeError("journal", f"expected a path, got {type(journal).__name__}")
    return _runner.existing_run(journal, action, acc)


RunT = TypeVar("RunT", bound=_Run)


def _prepare_run(
    run_class: type[RunT],
    config: Configuration,
    action: Action,
    acc: str,
    device_ids: Iterable[str],
    send: Callable[[list[str]], Any],
    fetch: Callable[[str | None], Any],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_workers: int = DEFAULT_MAX_WORKERS,
    stop_on_error: bool = False,
    strict: bool = False,
    progress: bool = False,
    on_chunk: Callable[[ChunkEvent], object] | None = None,
    journal: str | os.PathLike[str] | None = None,
) -> RunT:
    """Check the options, read the ids and set up a run (sync or async): nothing is sent yet.

    The account was checked by :func:`_stored_run`, which every caller calls first.
    """
    _check_options(chunk_size, max_workers, on_chunk)
    progress_bar = _tqdm() if progress else None  # fail before reading, let alone sending
    if max_workers > config.pool_maxsize:
        logger.warning(
            "max_workers=%d exceeds the client's pool_maxsize=%d: connections beyond the pool "
            "are opened and discarded; use client.clone_with(pool_maxsize=%d)",
            max_workers,
            config.pool_maxsize,
            max_workers,
        )
    started = time.monotonic()
    store: RecordStore = (
        MemoryStore()
        if journal is None
        else JournalStore(
            os.fspath(journal),
            Journal.start(
                journal,
                action,
                acc,
                chunk_size,
                config.timeout.deadline,
                stop_on_error=stop_on_error,
            ),
        )
    )
    try:
        read_into(store, device_ids, strict=strict, rule=config.device_id_rule)
        total = store.plan(chunk_size)
    except BaseException:
        store.discard()  # a journal's partial plan is removed: nothing was planned
        raise
    bar = None
    if progress_bar is not None:
        bar = progress_bar(total=total, unit="id", desc=f"{action} {acc}")
    return run_class(
        BulkResult(action, acc, _store=store),
        action,
        send,
        fetch,
        total=total,
        chunks=list(range(-(-total // chunk_size))),
        chunk_size=chunk_size,
        max_workers=max_workers,
        stop_on_error=stop_on_error,
        on_chunk=on_chunk,
        bar=bar,
        started=started,
    )
