"""How a per-device answer or a chunk error is judged: the rules of a bulk run."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from verizon_sdk._checks import DEFAULT_CHUNK_SIZE as DEFAULT_CHUNK_SIZE  # re-exported
from verizon_sdk._checks import DEFAULT_MAX_WORKERS as DEFAULT_MAX_WORKERS
from verizon_sdk.bulk._result import DeviceResult, Outcome
from verizon_sdk.exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    LoginRefusedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    TokenRequestError,
    ValidationError,
)

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


def judge_answer(action: str, status: str | None, reason: str | None) -> tuple[Outcome, str | None]:
    """The outcome of a per-device answer, and the SDK's note on it (None when it has none).

    ``status`` is an open set: one the SDK does not know is not guessed at. It is ``unknown``
    (never ``failed``: the service may have acted), so reconciliation checks the device, and
    if it cannot, the id stays in ``retry_ids()``.
    """
    if in_asked_for_state(action, status, reason):
        return Outcome.SUCCEEDED, None
    if _norm(status) in FAILURE_STATUSES:
        return Outcome.FAILED, None
    return Outcome.UNKNOWN, f"status {status!r} is not one the SDK knows"


def reconciled_outcome(record: DeviceResult, in_asked_for_state: bool) -> Outcome:
    """What an ambiguous (``unknown``) record becomes once the license list has been read.

    In the asked-for state it ``succeeded``. Otherwise: an id the service answered for with a
    status or reason the SDK does not know (kept in ``record.status`` and ``record.reason``)
    ``failed``; any other id was not acted on (``not_attempted``).
    """
    if in_asked_for_state:
        return Outcome.SUCCEEDED
    return Outcome.FAILED if record.answered else Outcome.NOT_ATTEMPTED


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

    A token endpoint or login that answered 408, 429 or a 5xx is an outage that may pass: not
    fatal.
    """
    if isinstance(error, TokenRequestError) and not isinstance(error, LoginRefusedError):
        code = error.response_code  # 408, 429 and 5xx pass; a refusal does not
        return code is not None and code < 500 and code not in (408, 429)
    if isinstance(error, FATAL_ERRORS):
        return True
    if isinstance(error, RateLimitError):  # still limited after the retries: so is every chunk
        return True
    return isinstance(error, APIStatusError) and _norm(error.error_message) in ACCOUNT_ERRORS


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
