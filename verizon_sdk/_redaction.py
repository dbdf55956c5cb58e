"""Keeps secrets out of logs and error text."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
#: Request headers that carry credentials; never kept on anything handed to the user.
CREDENTIAL_HEADERS = frozenset({"authorization", "vz-m2m-token"})


def mask_credential_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """A copy of ``headers`` with the credential headers' values replaced by ``***``."""
    return {
        name: MASK if name.lower() in CREDENTIAL_HEADERS else value
        for name, value in (headers or {}).items()
    }


class SafeRequest:
    """What a user may see of a sent request: method, URL and headers, credentials masked."""

    __slots__ = ("headers", "http_method", "query_url")

    def __init__(self, request: Any) -> None:
        self.http_method: str | None = getattr(request, "http_method", None)
        self.query_url: str | None = getattr(request, "query_url", None)
        self.headers = mask_credential_headers(getattr(request, "headers", None))

    def __repr__(self) -> str:
        return f"SafeRequest({self.http_method} {self.query_url})"


def _spellings(secret: str) -> set[str]:
    """The secret as a service may echo it: raw, JSON-escaped, or URL-encoded."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret),
    }


class Redactor:
    """Replaces every known secret in a text with ``***``.

    Secrets are registered as they become known: client secret and password at
    construction, tokens when they are fetched. Each is also masked in its
    JSON-escaped and URL-encoded spellings. Values shorter than 4 characters are
    not registered: masking them would garble ordinary text.
    """

    def __init__(self, *secrets: str | None) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < 4:
            return
        with self._lock:
            known = set(self._secrets) | _spellings(secret)
            # Longest first, so a secret containing another is masked whole.
            self._secrets = tuple(sorted(known, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text
