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
    """Every spelling of one character a service may echo: a JSON escape (``\\/``,
    ``\\u00XX``, a surrogate pair), its URL-encoded UTF-8 bytes, or itself.

    The character itself comes last: where an escape of it is in the text, the whole escape is
    masked. A backslash tried first would match the first half of ``\\\\``, and masking would
    leave the other half to escape the quote that follows, breaking the JSON around it.
    """
    options = []
    if char in _SHORT_ESCAPES:
        options.append(_SHORT_ESCAPES[char])
    units = char.encode("utf-16-be", "surrogatepass")
    options.append("".join(r"\\u" + _hex(units[i : i + 2].hex()) for i in range(0, len(units), 2)))
    options.append("".join("%" + _hex(f"{b:02x}") for b in char.encode("utf-8", "surrogatepass")))
    if char == " ":
        options.append(r"\+")
    options.append(re.escape(char))
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
        self._compiled: _Compiled | None = None
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
        self._compiled = _Compiled(self.secrets)

    def __call__(self, text: str) -> str:
        compiled = self._compiled
        return text if compiled is None else compiled.redact(text)


#: The longest spelling of one character: a surrogate pair as two ``\\uXXXX``, or four
#: URL-encoded UTF-8 bytes (``%XX`` each).
_LONGEST_SPELLING = 12


class _Compiled:
    """The masking pattern of one set of secrets, with a cheap test run before it.

    The full pattern tries every spelling of every secret at every position of the text,
    which costs milliseconds on a page of a thousand devices, and nearly every answer holds no
    secret. Every spelling of a character other than the character itself starts with a
    *lead*: ``\\`` (a JSON escape), ``%`` (URL-encoded) or ``+`` (a URL-encoded space, a lead
    only when a secret holds a space). So an echoed secret is either spelled plainly, which
    ``str.find`` sees, or it contains a lead, and then lies within ``reach`` characters of
    it: the pattern is searched only in those windows. When either test finds something the
    whole text goes through the full pattern, so the result is exactly what the full pattern
    alone gives.
    """

    __slots__ = ("leads", "pattern", "reach", "secrets")

    def __init__(self, secrets: frozenset[str]) -> None:
        # Longest first, so a secret containing another is masked whole.
        known = sorted(secrets, key=len, reverse=True)
        self.secrets = tuple(known)
        self.pattern = re.compile("|".join(_secret_pattern(s) for s in known))
        self.reach = _LONGEST_SPELLING * len(known[0])
        spaced = any(" " in secret for secret in known)
        self.leads = ("\\", "%", "+") if spaced else ("\\", "%")

    def redact(self, text: str) -> str:
        if self.holds_secret(text):
            return self.pattern.sub(MASK, text)
        return text

    def holds_secret(self, text: str) -> bool:
        """Whether the full pattern matches anywhere in ``text``."""
        if any(secret in text for secret in self.secrets):
            return True
        reach, end = self.reach, len(text)
        position = 0
        while True:
            lead = self._next_lead(text, position, end)
            if lead < 0:
                return False
            low, high = max(0, lead - reach), lead + reach
            # widen the window over every lead within reach of it (one search per window)
            while True:
                last = self._last_lead(text, lead + 1, min(high, end))
                if last < 0:
                    break
                lead, high = last, last + reach
            if self.pattern.search(text, low, high) is not None:
                return True
            position = high

    def _next_lead(self, text: str, start: int, end: int) -> int:
        found = [i for i in (text.find(lead, start, end) for lead in self.leads) if i >= 0]
        return min(found) if found else -1

    def _last_lead(self, text: str, start: int, end: int) -> int:
        return max(text.rfind(lead, start, end) for lead in self.leads)
