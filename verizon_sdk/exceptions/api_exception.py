"""The exception classes; the tree is drawn in the package docstring."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from requests.structures import CaseInsensitiveDict

from verizon_sdk._redaction import SafeRequest
from verizon_sdk._wire import parse_json_text, parse_retry_after

_WHITESPACE = re.compile(r"\s+")
_SNIPPET = 200


def _one_line(text: str, limit: int = _SNIPPET) -> str:
    flat = _WHITESPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _scrub_headers(
    headers: Mapping[str, str] | None, scrub: Callable[[str], str]
) -> CaseInsensitiveDict[str]:
    return CaseInsensitiveDict({name: scrub(str(value)) for name, value in (headers or {}).items()})


def _scrub_data(value: Any, scrub: Callable[[str], str]) -> Any:
    """Parsed JSON with every string (keys too) passed through ``scrub``."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub(str(k)): _scrub_data(v, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_data(v, scrub) for v in value]
    return value


class ResponseSnapshot:
    """The parts of an HTTP response an error keeps: nothing in it carries a live secret."""

    __slots__ = ("headers", "reason_phrase", "request", "status_code", "text")

    def __init__(self, response: Any, scrub: Callable[[str], str]) -> None:
        self.status_code: int | None = getattr(response, "status_code", None)
        self.reason_phrase: str | None = getattr(response, "reason_phrase", None)
        self.headers: CaseInsensitiveDict[str] = _scrub_headers(
            getattr(response, "headers", None), scrub
        )
        text = getattr(response, "text", None)
        self.text: str | None = scrub(text) if isinstance(text, str) else None
        request = getattr(response, "request", None)
        self.request: SafeRequest | None = None if request is None else SafeRequest(request)

    def __repr__(self) -> str:
        return f"ResponseSnapshot(status_code={self.status_code})"


class APIException(Exception):
    """Root of every error raised while talking to the service.

    ``reason`` is a short description; ``response`` is the raw HTTP response
    (status, headers, text, request) when there was one, else ``None``.
    """

    def __init__(self, reason: str, response: Any = None) -> None:
        self.reason = reason
        self.response = response
        self.response_code: int | None = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None)
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        text = getattr(response, "text", None)
        self.body: str | None = text if isinstance(text, str) else None
        super().__init__(reason)

    def redact(self, scrub: Callable[[str], str]) -> None:
        """Mask secrets in everything this error holds.

        ``scrub`` masks known secrets in text (for example a token the service echoed): the
        reason, the body, every response header value and, after decoding, the parsed body.
        ``response`` is replaced by a snapshot (status, headers, scrubbed text, and the
        request with its credential headers masked), so no live token stays reachable
        from the exception.
        """
        self.reason = scrub(self.reason)
        if self.body is not None:
            self.body = scrub(self.body)
        self.headers = _scrub_headers(self.headers, scrub)
        if self.response is not None:
            self.response = ResponseSnapshot(self.response, scrub)
        self.args = (self.reason,)

    def _where(self) -> str:
        request = getattr(self.response, "request", None)
        url = getattr(request, "query_url", None)
        method = getattr(request, "http_method", None)
        if not url:
            return ""
        path = url.split("://", 1)[-1]
        path = path[path.find("/") :] if "/" in path else path
        return f" ({method} {path})" if method else f" ({path})"

    def __str__(self) -> str:
        return _one_line(self.reason)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take other constructor arguments; rebuild from the state instead, so
        # errors cross process boundaries (multiprocessing, Celery) intact.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[APIException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class APIConnectionError(APIException):
    """No HTTP response came back: the connection failed, was reset or dropped.

    ``never_sent`` is True when the failure provably happened before the request left
    (the connection could not be made), so the service cannot have acted on it.
    """

    never_sent: bool = False

    def __str__(self) -> str:
        # the kind of failure, the host and the root cause: longer than a status line
        return _one_line(self.reason, limit=4 * _SNIPPET)


class APITimeoutError(APIConnectionError):
    """The connect or read timeout expired, or the attempt's wall-clock deadline passed."""


class ResponseTooLargeError(APIException):
    """The response body, decoded, is larger than the client's ``max_response_bytes``.

    Reading stopped at the limit (the rest was never read nor decompressed). ``limit`` is that
    limit in bytes. The request itself was answered: a POST may have been applied.
    """

    def __init__(self, reason: str, response: Any = None, *, limit: int = 0) -> None:
        super().__init__(reason, response)
        self.limit = limit


class UnexpectedResponseError(APIException):
    """A successful status whose body is not the JSON object the endpoint returns."""

    def __str__(self) -> str:
        status = f"{self.response_code} " if self.response_code is not None else ""
        return _one_line(f"{status}{self.reason}{self._where()}")


class PaginationError(UnexpectedResponseError):
    """The service's pages do not add up, so iteration stopped instead of looping.

    ``page_number`` is the 1-based number of the offending page; ``cursor`` is the
    ``lastSeenDeviceId`` (or ``startIndex``) it was requested with (None for the first page).
    """

    def __init__(self, reason: str, *, page_number: int, cursor: str | None) -> None:
        super().__init__(reason)
        self.page_number = page_number
        self.cursor = cursor


class APIStatusError(APIException):
    """The service answered with a non-2xx status.

    Carries ``response_code``, ``headers``, the raw ``body`` text, the parsed
    ``json_body`` (``None`` when the body is not JSON), ``error_code`` /
    ``error_message`` taken from the body when it has them, whatever its shape,
    and ``retry_after``: the wait in seconds a ``Retry-After`` header asked for
    (on a 429 or 503), else ``None``.
    """

    def __init__(self, reason: str, response: Any = None) -> None:
        super().__init__(reason, response)
        self.retry_after: float | None = parse_retry_after(self.headers.get("Retry-After"))
        self._read_body()

    def redact(self, scrub: Callable[[str], str]) -> None:
        super().redact(scrub)
        # What str() shows is read from the parsed body: mask it after decoding too.
        self._read_body(scrub)

    def _read_body(self, scrub: Callable[[str], str] | None = None) -> None:
        data = parse_json_text(self.body)
        self.json_body: Any = data if scrub is None else _scrub_data(data, scrub)
        self.error_code: str | None = None
        self.error_message: str | None = None
        if isinstance(self.json_body, dict):
            code = self.json_body.get("errorCode", self.json_body.get("error"))
            message = self.json_body.get(
                "errorMessage",
                self.json_body.get("error_description", self.json_body.get("message")),
            )
            self.error_code = None if code is None else str(code)
            self.error_message = None if message is None else str(message)

    def _service_says(self) -> str | None:
        """What the body says: its error code and message, or the body text itself."""
        said = ": ".join(p for p in (self.error_code, self.error_message) if p)
        if not said and self.body and self.json_body is None:
            said = f"body: {self.body}"
        return said or None

    def __str__(self) -> str:
        status = str(self.response_code) if self.response_code is not None else "error"
        said = self._service_says()
        if said is None:
            text = f"{status}: {self.reason}"
        elif self.error_code or self.error_message:
            text = f"{status} {said}"
        else:
            text = f"{status}: {self.reason}; {said}"
        text = _one_line(text + self._where(), limit=400)
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g} s)"
        return text


class AuthenticationError(APIStatusError):
    """401: the service rejected the credentials (after one refresh and replay).

    ``hint`` is what the SDK concluded beyond the status, when it concluded something (for
    example that the token endpoint keeps issuing the rejected token); ``str()`` ends with it.
    """

    hint: str | None = None

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}; {self.hint}" if self.hint else text


class TokenRequestError(AuthenticationError):
    """The OAuth token endpoint (or the M2M login) refused or failed; secrets are redacted."""

    def __str__(self) -> str:
        said = self._service_says()
        return _one_line(f"{self.reason}: {said}" if said else self.reason, limit=400)


class LoginRefusedError(TokenRequestError):
    """The M2M session login was refused.

    Never retried: five refused logins lock the account. Every later call on
    the same client fails fast with this error until the credentials are
    replaced (``client.clone_with(m2m_session_credentials=...)``).
    """


class PermissionDeniedError(APIStatusError):
    """403: authenticated, but not allowed."""


class NotFoundError(APIStatusError):
    """404: no such resource (or wrong base URL)."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the requested wait in seconds.

    Raised once the retries are used up, or at once when ``Retry-After`` asks
    for longer than the client's ``max_retry_after``.
    """


class ServerError(APIStatusError):
    """5xx: the service failed."""


# The one status-to-class table. The 400 class depends on the endpoint (V2 or V3);
# "5XX" covers every 5xx; "default" covers any other non-2xx.
STATUS_ERRORS: dict[str, tuple[type[APIStatusError], str]] = {
    "401": (AuthenticationError, "Unauthorized"),
    "403": (PermissionDeniedError, "Forbidden"),
    "404": (NotFoundError, "Not found"),
    "429": (RateLimitError, "Too many requests"),
    "5XX": (ServerError, "Server error"),
    "default": (APIStatusError, "Unexpected status"),
}
