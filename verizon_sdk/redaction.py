"""Keeps secrets out of logs and error text."""

from __future__ import annotations

import threading

MASK = "***"


class Redactor:
    """Replaces every known secret in a text with ``***``.

    Secrets are registered as they become known: client secret and password at
    construction, tokens when they are fetched.
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
            if secret not in self._secrets:
                # Longest first, so a secret containing another is masked whole.
                self._secrets = tuple(sorted((*self._secrets, secret), key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text
