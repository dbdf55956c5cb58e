"""Fault injection: rules that match requests and change how the simulator answers them."""

from __future__ import annotations

import dataclasses
import json
import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal, get_args

from verizon_sdk.simulator._http import Reply

Malformed = Literal["invalid_json", "html", "empty", "truncated_json", "yaml"]
Drop = Literal["before", "after"]

_MALFORMED_BODIES: dict[str, tuple[str, bytes]] = {
    "invalid_json": (
        "application/json",
        b'{"accountName": "0000123456-00001", "licCount": 1000,, "deviceList": [}',
    ),
    "html": (
        "text/html; charset=utf-8",
        b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
        b"<body><h1>502 Bad Gateway</h1><p>The upstream server is unavailable.</p></body>"
        b"</html>\n",
    ),
    "empty": ("application/json", b""),
    "truncated_json": (
        "application/json",
        b'{"accountName": "0000123456-00001", "licCount": 1000, "licUsedCount": 2, '
        b'"deviceList": [{"deviceId": "99000342573',
    ),
    "yaml": (
        "text/plain; charset=utf-8",
        b"accountName: 0000123456-00001\nlicCount: 1000\nlicUsedCount: 1\ndeviceList:\n"
        b"- deviceId: '990003425730535'\n  status: Success\n  resultReason: Success\n",
    ),
}


@dataclass(frozen=True)
class Fault:
    """A fault rule: which requests it matches, how often, and what it does to them.

    Matching: ``path`` is a suffix of the request path (as sent, percent-encoded, without the
    query), ``path_regex`` is searched in it, ``method`` is compared case-insensitively; unset
    means "any". The rule fires for the next ``times`` matching requests (``None``: forever),
    each with ``probability`` (drawn from ``random.Random(seed)``).

    Effects, combinable: ``latency`` seconds of delay; ``expire_tokens`` before the request is
    handled; ``drop`` the connection without an answer, ``"before"`` or ``"after"`` the request
    is applied; or a replacement answer: ``status`` (default 200) with ``body`` (a JSON value),
    ``raw_body`` (bytes) or a ``malformed`` body (a ``str`` ``body`` is the error message:
    ``{"errorCode": <status name>, "errorMessage": body}``, as the service sends errors), plus
    ``content_type``, ``headers`` and ``retry_after``. A replacement answer leaves state
    untouched unless ``apply=True``.
    """

    path: str | None = None
    path_regex: str | None = None
    method: str | None = None
    times: int | None = 1
    probability: float = 1.0
    seed: int | None = None
    status: int | None = None
    body: Any = None
    raw_body: bytes | None = None
    malformed: Malformed | None = None
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    retry_after: str | int | None = None
    latency: float = 0.0
    drop: Drop | None = None
    apply: bool = False
    expire_tokens: bool = False

    def __post_init__(self) -> None:
        if self.path_regex is not None:
            try:
                re.compile(self.path_regex)
            except re.error as exc:
                raise ValueError(f"path_regex does not compile: {exc}") from None
        problems = [
            (self.times is not None and self.times < 1, "times must be >= 1 or None"),
            (not 0 < self.probability <= 1, "probability must be in (0, 1]"),
            (self.status is not None and not 200 <= self.status <= 599, "status must be 200-599"),
            (self.latency < 0, "latency must be >= 0"),
            (
                self.malformed is not None and self.malformed not in _MALFORMED_BODIES,
                f"malformed must be one of {sorted(_MALFORMED_BODIES)}",
            ),
            (self.drop is not None and self.drop not in get_args(Drop), "drop: before|after"),
            (
                sum(x is not None for x in (self.body, self.raw_body, self.malformed)) > 1,
                "give at most one of body, raw_body, malformed",
            ),
            (self.drop is not None and self.responds, "drop cannot be combined with an answer"),
            (
                not self.responds
                and (
                    self.apply
                    or self.retry_after is not None
                    or self.headers
                    or self.content_type is not None
                ),
                "apply, headers, content_type and retry_after need status/body/raw_body/malformed",
            ),
            (
                not (self.responds or self.drop or self.latency or self.expire_tokens),
                "a Fault needs an effect: status, body, raw_body, malformed, latency, drop "
                "or expire_tokens",
            ),
        ]
        for bad, message in problems:
            if bad:
                raise ValueError(message)

    @property
    def responds(self) -> bool:
        """Whether this fault replaces the answer."""
        return any(x is not None for x in (self.status, self.body, self.raw_body, self.malformed))

    @classmethod
    def from_dict(cls, data: Any) -> Fault:
        """Build a fault from the JSON of ``POST /api/_sim/faults`` (``raw_body`` as text)."""
        if not isinstance(data, dict):
            raise ValueError("a fault is a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown fault fields: {unknown}")
        values = dict(data)
        if isinstance(values.get("raw_body"), str):
            values["raw_body"] = values["raw_body"].encode()
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        values["headers"] = dict(self.headers)
        if self.raw_body is not None:
            values["raw_body"] = self.raw_body.decode("utf-8", "replace")
        return values

    def reply(self, applied: Reply | None) -> Reply:
        """The replacement answer; ``applied`` is the real answer when ``apply=True``."""
        status = self.status or 200
        if self.raw_body is not None:
            content_type, body = "application/json", self.raw_body
        elif self.malformed is not None:
            content_type, body = _MALFORMED_BODIES[self.malformed]
            if self.malformed == "truncated_json" and applied is not None and applied.body:
                body = applied.body[: len(applied.body) // 2]
        elif isinstance(self.body, str):  # the error message, in the service's error shape
            content_type, body = "application/json", _error_body(status, self.body)
        elif self.body is not None:
            content_type, body = "application/json", json.dumps(self.body).encode()
        else:
            content_type, body = "application/json", _error_body(status, None)
        headers = tuple(self.headers.items())
        if self.retry_after is not None:
            headers += (("Retry-After", str(self.retry_after)),)
        return Reply(status, body, self.content_type or content_type, headers)


def _error_body(status: int, message: str | None) -> bytes:
    """``{"errorCode": <status name>, "errorMessage": message}``; by default the phrase."""
    try:
        code, phrase = HTTPStatus(status).name, HTTPStatus(status).phrase
    except ValueError:
        code, phrase = "ERROR", f"HTTP {status}"
    text = message if message is not None else f"Simulated fault: {phrase}"
    return json.dumps({"errorCode": code, "errorMessage": text}).encode()


class _Rule:
    __slots__ = ("fault", "hits", "id", "regex", "remaining", "rng")

    def __init__(self, rule_id: int, fault: Fault) -> None:
        self.id = rule_id
        self.fault = fault
        self.remaining = fault.times
        self.hits = 0
        self.regex = re.compile(fault.path_regex) if fault.path_regex is not None else None
        self.rng = random.Random(fault.seed)

    def matches(self, method: str, path: str) -> bool:
        fault = self.fault
        return (
            (fault.method is None or fault.method.upper() == method)
            and (fault.path is None or path.endswith(fault.path))
            and (self.regex is None or self.regex.search(path) is not None)
        )


class FaultRules:
    """The active fault rules, in the order they were added (the first that fires wins)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._next_id = 1

    def add(self, fault: Fault) -> int:
        with self._lock:
            rule = _Rule(self._next_id, fault)
            self._next_id += 1
            self._rules.append(rule)
            return rule.id

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [rule for rule in self._rules if rule.id != rule_id]
            return len(self._rules) < before

    def clear(self) -> int:
        with self._lock:
            count = len(self._rules)
            self._rules = []
            return count

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"id": rule.id, "remaining": rule.remaining, "hits": rule.hits}
                | rule.fault.to_dict()
                for rule in self._rules
            ]

    def take(self, method: str, path: str) -> tuple[int, Fault] | None:
        """The first rule that fires for this request, counting it down."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.fault.probability < 1 and rule.rng.random() >= rule.fault.probability:
                    continue
                rule.hits += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                return rule.id, rule.fault
        return None
