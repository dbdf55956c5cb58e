"""What every command shares: exit codes, the two CLI errors, device-id input, tables."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TextIO

from verizon_sdk._client import VerizonClient

EXIT_OK, EXIT_DEVICES_FAILED, EXIT_USAGE, EXIT_API, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BROKEN_PIPE = 141  # as if killed by SIGPIPE, like other Unix tools


class UsageError(Exception):
    """A command-line mistake: exit code 2."""


class RunFailed(Exception):
    """A bulk run that the service or the network stopped as a whole: exit code 3."""


class Handler(Protocol):
    """What a command module sets as ``handler`` on its parser (``set_defaults``)."""

    def __call__(
        self, client: VerizonClient, args: argparse.Namespace, out: TextIO, stdin: TextIO
    ) -> int: ...


def add_device_sources(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "devices", nargs="*", metavar="DEVICE_ID", help="device ids; '-' reads stdin"
    )
    command.add_argument(
        "--file", "-f", help="read device ids from a file (one per line or comma-separated)"
    )


def ids_from_arguments(args: argparse.Namespace, stdin: TextIO) -> list[str]:
    ids: list[str] = []
    for value in args.devices:
        ids.extend(_split(stdin.read()) if value == "-" else _split(value))
    if args.file:
        try:
            with open(args.file, encoding="utf-8") as handle:
                ids.extend(_split(handle.read()))
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror}") from exc
    if not ids:
        raise UsageError("no device ids given (arguments, --file FILE, or '-' for stdin)")
    return ids


def _split(text: str) -> Iterator[str]:
    for line in text.splitlines():
        for part in line.split(","):
            if part.strip():
                yield part.strip()


def print_table(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[str] | str]) -> None:
    """Columns padded to the widest cell; a ``str`` in ``rows`` is a note printed as it is."""
    rows = list(rows)
    cells = [r for r in rows if not isinstance(r, str)]
    widths = [max([len(header[i]), *(len(r[i]) for r in cells)]) for i in range(len(header))]
    for row in [header, *rows]:
        if isinstance(row, str):
            out.write(f"{row}\n")
            continue
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")
