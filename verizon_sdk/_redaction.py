"""Keeps secrets out of logs and error text."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

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


#: JSON's two-character escapes (RFC 8259 section 7), as regular expressions.
_SHORT_ESCAPES = {
    '"': r"\\\"",
    "\\": r"\\\\",
    "/": r"\\/",
    "\b": r"\\b",
    "\f": r"\\f",
    "\n": r"\\n",
    "\r": r"\\r",
    "\t": r"\\t",
}


def _hex(digits: str) -> str:
    """``digits`` as a pattern matching either case of each hex letter."""
    return "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in digits)


def _char_pattern(char: str) -> str:
    """Every spelling of one character a service may echo: itself, a JSON escape
    (``\\/``, ``\\u00XX``, a surrogate pair), or its URL-encoded UTF-8 bytes."""
    options = [re.escape(char)]
    if char in _SHORT_ESCAPES:
        options.append(_SHORT_ESCAPES[char])
    units = char.encode("utf-16-be", "surrogatepass")
    options.append("".join(r"\\u" + _hex(units[i : i + 2].hex()) for i in range(0, len(units), 2)))
    options.append("".join("%" + _hex(f"{b:02x}") for b in char.encode("utf-8", "surrogatepass")))
    if char == " ":
        options.append(r"\+")
    return "(?:" + "|".join(options) + ")"


def _secret_pattern(secret: str) -> str:
    """The secret in any mix of spellings, character by character (see :func:`_char_pattern`)."""
    return "".join(_char_pattern(char) for char in secret)


class Redactor:
    """Replaces every known secret in a text with ``***``, however the text escapes it.

    A service may echo a secret raw, JSON-escaped in any style (``\\u0026``, ``\\/``,
    ``\\u002B``, every character as ``\\uXXXX``) or URL-encoded, and mix these within one
    value: each character of a secret is matched in every spelling, so the text is masked
    before anything parses (and so unescapes) it. Values shorter than 4 characters are not
    registered: masking them would garble ordinary text.

    Only live secrets are kept, so the cost of a call does not grow with the number of
    tokens a client has seen: the configured credentials (given at construction or with
    :meth:`add`) and, for each token kind, the current token and the one it just replaced
    (:meth:`rotate`; a response to a request sent with the old one may still echo it).
    """

    def __init__(self, *secrets: str | None) -> None:
        self._lock = threading.Lock()
        self._fixed: tuple[str, ...] = ()
        self._tokens: dict[str, tuple[str, ...]] = {}
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Keep masking ``secret`` for the life of this redactor (a configured credential)."""
        if not secret or len(secret) < 4:
            return
        with self._lock:
            if secret not in self._fixed:
                self._fixed += (secret,)
                self._compile()

    def rotate(self, kind: str, token: str | None) -> None:
        """``token`` is now the current ``kind`` token; only it and its predecessor are kept."""
        if not token or len(token) < 4:
            return
        with self._lock:
            held = self._tokens.get(kind, ())
            if held and held[-1] == token:
                return
            self._tokens[kind] = (*held[-1:], token)
            self._compile()

    @property
    def secrets(self) -> frozenset[str]:
        """The secrets masked now."""
        return frozenset(self._fixed).union(*self._tokens.values())

    def _compile(self) -> None:
        # Longest first, so a secret containing another is masked whole.
        known = sorted(self.secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(_secret_pattern(s) for s in known))

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        return text if pattern is None else pattern.sub(MASK, text)
