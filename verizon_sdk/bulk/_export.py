"""A bulk result's CSV and JSON reports: every row written, whatever text the server sent.

Two rules apply to every text cell (device id, status, reason, error), in CSV and JSON alike:

- **Text that cannot be encoded.** A lone surrogate (``"\\ud800"``, which a JSON body may
  carry as ``\\ud800`` and Python then holds as a half character) cannot be written as UTF-8.
  It is written as its backslash escape, the six characters ``\\ud800``, as
  ``errors="backslashreplace"`` would; every other character is kept as it is.
- **Spreadsheet formulas (CSV only).** As OWASP's CSV-injection guidance says, a cell that
  begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote
  ``'`` in front, so a spreadsheet shows it as text instead of running it. A cell that
  already begins with ``'`` gets one too, so the rule reads back without ambiguity: a text
  cell that begins with ``'`` has had exactly one quote added (strip it to get the value).
  Device ids are text cells: the service accepts ids such as ``-1234``, and they are written
  ``'-1234``. The SDK's own columns (``outcome``, ``chunk``, ``reconciled``, ``invalid``,
  ``occurrences``) are never negative numbers or formulas and are written as they are.

A report written to a path is written to a temporary file beside it, flushed to the disk, and
renamed into place (the folder is then flushed too), so the path holds the whole previous file
or the whole new one, never a half-written one, even after a crash of the machine. Where the
folder cannot be written but the file can, the file is overwritten in place instead.
"""

from __future__ import annotations

import csv
import json
import os
import stat
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TextIO

#: The first characters that make a spreadsheet read a cell as a formula (OWASP), and ``'``.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def encodable(text: str) -> str:
    """``text`` with each lone surrogate spelled as its backslash escape (``\\ud800``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def csv_cell(value: Any) -> Any:
    """A text cell made safe to open in a spreadsheet; other values are left as they are."""
    if not isinstance(value, str):
        return value
    text = encodable(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _encodable_tree(value: Any) -> Any:
    """The JSON-ready ``value`` (dicts, lists, scalars, as ``to_dict`` builds) with every
    string, keys included, made encodable."""
    if isinstance(value, str):
        return encodable(value)
    if isinstance(value, Mapping):
        return {_encodable_tree(k): _encodable_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encodable_tree(v) for v in value]
    return value


def to_json(document: Mapping[str, Any], *, indent: int | None = None) -> str:
    """``document`` as JSON, every string encodable as UTF-8."""
    return json.dumps(_encodable_tree(document), indent=indent)


def write_csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], file: TextIO) -> None:
    """A header line, then one line per row, every text cell passed through :func:`csv_cell`.

    Lines end in ``\\n``, so the csv module would leave a lone ``\\r`` inside a cell unquoted,
    and a reader would start a new row there (whose first cell escaped the quote rule): a row
    holding one is written with every cell quoted.
    """
    writer = csv.DictWriter(file, fieldnames=fields, lineterminator="\n")
    quoted = csv.DictWriter(file, fieldnames=fields, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for row in rows:
        cells = {k: csv_cell(v) for k, v in row.items()}
        has_cr = any(isinstance(v, str) and "\r" in v for v in cells.values())
        (quoted if has_cr else writer).writerow(cells)


def write_file(path: str | os.PathLike[str], write: Callable[[TextIO], object]) -> None:
    """Call ``write`` on ``path`` opened for UTF-8 text, replacing the file only when it has
    all been written (a symbolic link is followed; a file replaced keeps its permissions). A
    path that exists and is not a regular file (``/dev/stdout``, a pipe) is written directly.
    An ``OSError`` leaves ``path`` as it was and no temporary file."""
    target = os.path.realpath(path) if os.path.islink(path) else os.fspath(path)
    if os.path.exists(target) and not os.path.isfile(target):
        with open(target, "w", newline="", encoding="utf-8") as file:
            write(file)
        return
    folder, name = os.path.split(target)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        if os.path.lexists(temporary):  # left by a killed process of the same id
            os.remove(temporary)
        file = open(temporary, "x", newline="", encoding="utf-8")  # noqa: SIM115
    except PermissionError:
        if not os.access(target, os.W_OK):
            raise
        with open(target, "w", newline="", encoding="utf-8") as file:  # a folder we may not write
            write(file)
        return
    try:
        with file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if os.path.exists(target):
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        if os.path.lexists(temporary):
            os.remove(temporary)
        raise
    _sync_folder(folder or ".")


def _sync_folder(folder: str) -> None:
    """Flush ``folder``'s entries (the rename) to the disk, where the system allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems refuse to sync a folder
        pass
    finally:
        os.close(descriptor)
