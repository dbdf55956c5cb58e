"""Parse and format the two timestamp layouts the licenses service puts on the wire.

- RFC 3339 with 0 to 9 fractional digits and a ``Z`` or ``±hh:mm`` offset:
  ``2017-11-29T16:03:42.000Z``, ``2022-10-05T21:05:01.19Z``, ``2022-10-06T18:35:00+02:00``.
- Go's default ``time.Time.String()`` layout: ``2017-11-29 20:15:42.738 +0000 UTC``, with 0 to 9
  fractional digits, a numeric offset and a zone abbreviation (and, rarely, Go's monotonic clock
  suffix ``m=+0.000123``, which is ignored).

One precompiled regular expression recognises both, so parsing costs about a microsecond and
behaves the same on every Python from 3.10 (whose ``datetime.fromisoformat`` rejects ``Z``).
There is deliberately no ``dateutil`` fallback: guessing would turn a malformed value into a
wrong instant, where None plus the raw string kept by the model is honest.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

__all__ = ["format_wire_datetime", "parse_wire_datetime"]

_UTC = timezone.utc

_WIRE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?"
    r"(?:"
    r"([Zz])"  # RFC 3339 UTC
    r"|([+-][0-9]{2}):([0-9]{2})"  # RFC 3339 offset
    r"| ([+-][0-9]{2})([0-9]{2}) (?:[A-Za-z]{1,10}|[+-][0-9]{2,4})"  # Go: offset and zone
    r"(?: m=[+-][0-9]+\.[0-9]+)?"
    r")"
)


@lru_cache(maxsize=64)
def _offset(hours: str, minutes: str) -> timezone:
    """`hours` carries the sign (``"+05"``); raises ValueError when out of range."""
    mins = int(minutes)
    if mins > 59:
        raise ValueError(f"offset minutes out of range: {minutes}")
    delta = timedelta(hours=int(hours[1:]), minutes=mins)
    if not delta:
        return _UTC
    return timezone(-delta if hours[0] == "-" else delta)


def parse_wire_datetime(value: object) -> datetime | None:
    """Return a timezone-aware datetime, or None when `value` is not a wire timestamp.

    Never raises. Fractional digits beyond microseconds are truncated.
    """
    if type(value) is not str:
        return None
    match = _WIRE_TIME.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, zulu, rfc_h, rfc_m, go_h, go_m = match.groups()
    try:
        if zulu:
            tz = _UTC
        elif rfc_h:
            tz = _offset(rfc_h, rfc_m)
        else:
            tz = _offset(go_h, go_m)
        micros = int(frac[:6].ljust(6, "0")) if frac else 0
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tz
        )
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
