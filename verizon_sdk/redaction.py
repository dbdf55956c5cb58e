"""Keeps secrets out of logs and error text."""

from __future__ import annotations

import json
import threading
from urllib.parse import quote, quote_plus

MASK = "***"


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
