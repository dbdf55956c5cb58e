"""Reading values off the wire: JSON text and ``Retry-After``, tolerant of what servers send."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

#: The deepest nesting of arrays and objects accepted from a server. The service's bodies nest
#: 4 levels (answer, device list, device, value); a deeper body is refused before it is parsed,
#: so no recursive walk over a parsed body (models, ``repr``, pickling, redaction, bulk
#: reports, display) meets one deep enough to exhaust a caller's stack.
MAX_JSON_DEPTH = 32

#: Every byte but the brackets and quotes: deleted before nesting is measured.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
#: JSON's escape letters (after a backslash), kept with it until the escapes are dropped.
_ESCAPE_LETTERS = b"/bfnrtu"
_NOT_STRUCTURE_OR_ESCAPE = bytes(
    b for b in range(256) if b not in b'[]{}"\\' and b not in _ESCAPE_LETTERS
)
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")


def nests_too_deep(text: str) -> bool:
    """Whether the arrays and objects of JSON ``text`` nest deeper than :data:`MAX_JSON_DEPTH`.
    No recursion; brackets inside strings do not count.

    Exact for valid JSON; for invalid text any answer will do, as :func:`json.loads` then
    refuses the text anyway. Each step is a pass in C: keep only brackets and quotes (and the
    escapes, dropped next), drop the strings, then peel the innermost pairs level by level.
    """
    data = text.encode("utf-8", "surrogatepass")
    if b"\\" in data:  # each escape is a backslash and a letter kept until it is dropped
        data = _ESCAPE.sub(b"", data.translate(None, _NOT_STRUCTURE_OR_ESCAPE))
        data = data.translate(None, _ESCAPE_LETTERS)
    else:
        data = data.translate(None, _NOT_STRUCTURE)
    if len(data) <= MAX_JSON_DEPTH:
        return False  # too few brackets to nest past the limit
    # an empty string, or two strings with nothing but deleted bytes between: no structure
    data = data.replace(b'""', b"")
    if b'"' in data:  # strings holding brackets
        data = _STRING.sub(b"", data)
    # Quick rounds first: removing every "{}" then every "[]" peels one or two levels, so
    # after r rounds the depth is between r and 2r.
    rounds, rest = 0, data
    while rest and rounds <= MAX_JSON_DEPTH:
        peeled = rest.replace(b"{}", b"").replace(b"[]", b"")
        if peeled == rest:
            return False  # unbalanced: not JSON
        rest, rounds = peeled, rounds + 1
    if rounds > MAX_JSON_DEPTH or 2 * rounds <= MAX_JSON_DEPTH:
        return rounds > MAX_JSON_DEPTH
    depth = 0  # between the two: peel exactly one level a pass
    while data and depth <= MAX_JSON_DEPTH:
        data = _INNERMOST.sub(b"", data)
        depth += 1
    return depth > MAX_JSON_DEPTH


def load_json(text: str) -> Any:
    """:func:`json.loads` of text from a server (never jsonpickle, never YAML).

    Raises ``ValueError`` for text that is not JSON, or that nests arrays and objects deeper
    than :data:`MAX_JSON_DEPTH`.
    """
    if nests_too_deep(text):
        raise ValueError(f"arrays and objects nest more than {MAX_JSON_DEPTH} levels deep")
    try:
        return json.loads(text)
    except RecursionError as exc:  # a caller whose own stack is nearly exhausted
        raise ValueError("nests too deep for the stack left") from exc


def parse_json_text(text: str | None) -> Any:
    """:func:`load_json`, or None when ``text`` is empty, not JSON, or nested too deep."""
    if not text:
        return None
    try:
        return load_json(text)
    except ValueError:
        return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
