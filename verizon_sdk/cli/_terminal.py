"""Output to a terminal: control characters that came from a server are shown, never obeyed.

Reasons, statuses and error messages are the service's text. Printed as they come, an ``ESC``
sequence in one could move the cursor, rewrite earlier lines, set the window title or (on
some terminals) answer back, and a CR or a bidirectional override could make a line read
other than it is. On a terminal every such character is written as its Python escape
(``\\x1b``, ``\\r``, ``\\u202e``), the way ``repr`` spells it. Newline and tab stay. A pipe or
file gets the text unchanged: the CSV and JSON written there are data, and their formats escape
what they must.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TextIO, cast

__all__ = ["cli_streams", "for_terminal", "shown"]

_KEPT = {"\n", "\t"}
#: C0 controls, DEL, C1 controls, and the bidirectional marks, embeddings, overrides and
#: isolates.
_CONTROLS = [
    *map(chr, range(0x20)),
    "\x7f",
    *map(chr, range(0x80, 0xA0)),
    "\u061c",
    "\u200e",
    "\u200f",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
]
_ESCAPES = {ord(c): c.encode("unicode_escape").decode("ascii") for c in _CONTROLS if c not in _KEPT}


def shown(text: str) -> str:
    """``text`` with every control character but newline and tab written as its escape."""
    return text.translate(_ESCAPES)


class _TerminalWriter(io.TextIOBase):
    """A text stream that writes :func:`shown` text to the terminal stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(shown(text))
        return len(text)

    def flush(self) -> None:
        if not self._stream.closed:  # also called when this writer is collected
            self._stream.flush()

    def isatty(self) -> bool:
        return True


def for_terminal(stream: TextIO) -> TextIO:
    """``stream`` as the CLI writes to it: through :func:`shown` when it is a terminal."""
    isatty = getattr(stream, "isatty", None)
    if isatty is None or not isatty():
        return stream
    return cast(TextIO, _TerminalWriter(stream))


@contextmanager
def _escaping_unencodable(stream: TextIO) -> Iterator[None]:
    """Text the stream cannot encode (a lone surrogate a server sent) written as its
    backslash escape instead of raising; the stream's own setting comes back after."""
    if not isinstance(stream, io.TextIOWrapper):
        yield
        return
    errors = stream.errors
    stream.reconfigure(errors="backslashreplace")
    try:
        yield
    finally:
        stream.reconfigure(errors=errors)


@contextmanager
def _sdk_warnings_to(err: TextIO) -> Iterator[None]:
    """The SDK's warnings (a failed reconciliation, say), which carry the service's text,
    written through ``err`` while nothing else handles them (logging's last resort would
    write them to ``sys.stderr`` raw)."""
    logger = logging.getLogger("verizon_sdk")
    if logger.hasHandlers():  # the host program configured logging: its choice stands
        yield
        return
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


@contextmanager
def cli_streams() -> Iterator[tuple[TextIO, TextIO]]:
    """The command's stdout and stderr, safe for what a server sent, for the run of it."""
    with ExitStack() as stack:
        for stream in (sys.stdout, sys.stderr):
            stack.enter_context(_escaping_unencodable(stream))
        out, err = for_terminal(sys.stdout), for_terminal(sys.stderr)
        stack.enter_context(_sdk_warnings_to(err))
        yield out, err
