"""Parse and format the two timestamp layouts the licenses service puts on the wire.

- RFC 3339 with 0 to 9 fractional digits and a ``Z`` or ``±hh:mm`` offset:
  ``2017-11-29T16:03:42.000Z``, ``2022-10-05T21:05:01.19Z``, ``2022-10-06T18:35:00+02:00``.
- Go's default ``time.Time.String()`` layout: ``2017-11-29 20:15:42.738 +0000 UTC``, with 0 to 9
  fractional digits, a numeric offset and a zone abbreviation (and, rarely, Go's monotonic clock
  suffix ``m=+0.000123``, which is ignored).

One precompiled regular expression checks the exact grammar of both; ``datetime.fromisoformat``
(C code) then builds the value from the matched text, normalised to ``date time±hh:mm``. That is
about half a microsecond a value, the same on every Python from 3.10 (whose ``fromisoformat``
also rejects ``Z`` and fractions of other than 3 or 6 digits, so there the fraction is padded).
There is deliberately no ``dateutil`` fallback: guessing would turn a malformed value into a
wrong instant, where None plus the raw string kept by the model is honest.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone

__all__ = ["format_wire_datetime", "parse_wire_datetime"]

_UTC = timezone.utc

_WIRE_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.([0-9]{1,9}))?)"
    r"(?:"
    r"([Zz])"  # RFC 3339 UTC
    r"|([+-][0-9]{2}):([0-9]{2})"  # RFC 3339 offset
    r"| ([+-][0-9]{2})([0-9]{2}) (?:[A-Za-z]{1,10}|[+-][0-9]{2,4})"  # Go: offset and zone
    r"(?: m=[+-][0-9]+\.[0-9]+)?"
    r")"
)

# Before 3.11, fromisoformat takes exactly 3 or 6 fractional digits.
_PAD_FRACTION = sys.version_info < (3, 11)
_fromisoformat = datetime.fromisoformat


def _six_digits(stamp: str, fraction: str) -> str:
    """``stamp`` with its ``fraction`` cut or padded to microseconds."""
    return f"{stamp[: len(stamp) - len(fraction)]}{fraction[:6]:0<6}"


def parse_wire_datetime(value: object) -> datetime | None:
    """Return a timezone-aware datetime, or None when `value` is not a wire timestamp.

    Never raises. Fractional digits beyond microseconds are truncated.
    """
    if type(value) is not str:
        return None
    match = _WIRE_TIME.fullmatch(value)
    if match is None:
        return None
    stamp, fraction, zulu, rfc_h, rfc_m, go_h, go_m = match.groups()
    if fraction is not None and _PAD_FRACTION and len(fraction) not in (3, 6):
        stamp = _six_digits(stamp, fraction)
    if zulu:
        offset = "+00:00"
    elif rfc_h:
        offset = f"{rfc_h}:{rfc_m}"
    else:
        offset = f"{go_h}:{go_m}"
    if offset[4] > "5":  # fromisoformat would carry 60 minutes into the hour
        return None
    try:
        return _fromisoformat(stamp + offset)
    except ValueError:  # month 13, hour 25, leap second 60, offset 24:00 ...
        return None


def format_wire_datetime(dt: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``: ``2022-10-06T18:35:00.000Z``.

    A naive datetime is taken to be UTC. Milliseconds are always written; microseconds only
    when they are not whole milliseconds, so no precision is lost.
    """
    if dt.utcoffset() is None:
        utc = dt.replace(tzinfo=None)
    else:
        utc = dt.astimezone(_UTC).replace(tzinfo=None)
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.isoformat(timespec=spec) + "Z"
