"""Transport-neutral request and reply values shared by the simulator's modules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

_UNSET: Any = object()


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: status, body bytes, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def json_reply(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """Serialise ``payload`` as compact JSON."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Reply(status, body, "application/json", headers)


class ApiError(Exception):
    """Raised by a route to answer with an error reply instead of its normal result."""

    def __init__(
        self, status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(status, payload)
        self.reply = json_reply(status, payload, headers)


def invalid_parameter(message: str) -> ApiError:
    """The service's documented 400: ``{"errorCode": "INVALID_PARAMETER", ...}``."""
    return ApiError(400, {"errorCode": "INVALID_PARAMETER", "errorMessage": message})


class Request:
    """A request as the routes see it: path without query, decoded query, lower-case headers."""

    __slots__ = ("_json", "headers", "method", "path", "query", "raw_body")

    def __init__(
        self, method: str, target: str, headers: dict[str, str], raw_body: bytes = b""
    ) -> None:
        path, _, query = target.partition("?")
        self.method = method
        self.path = path
        self.query: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            self.query.setdefault(key, value)
        self.headers = headers
        self.raw_body = raw_body
        self._json: Any = _UNSET

    def json(self) -> Any:
        """The body parsed as JSON (None when empty); ``ValueError`` when it is not JSON."""
        if self._json is _UNSET:
            self._json = json.loads(self.raw_body) if self.raw_body else None
        return self._json

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (first value wins)."""
        form: dict[str, str] = {}
        for key, value in parse_qsl(self.raw_body.decode("utf-8", "replace"), True):
            form.setdefault(key, value)
        return form

    def parsed_body(self) -> Any:
        """Best-effort body for the request log: JSON, else form fields, else None."""
        if not self.raw_body:
            return None
        try:
            return self.json()
        except ValueError:
            pass
        if "x-www-form-urlencoded" in self.headers.get("content-type", ""):
            return self.form()
        return None
