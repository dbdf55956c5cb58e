"""The bulk-run side of the CLI, shared by every command that runs one (``assign``,
``remove``, and any later command that continues a run): its options, the ``--report`` file,
the table and summary printed, and the exit code of the outcome."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from verizon_sdk import bulk
from verizon_sdk.bulk._export import write_file
from verizon_sdk.cli._common import (
    EXIT_DEVICES_FAILED,
    EXIT_OK,
    RunFailed,
    UsageError,
    print_table,
)

BULK_OPTIONS = ("chunk_size", "workers", "progress", "report", "journal")
REPORT_FORMATS = (".csv", ".json")


def add_bulk_options(command: argparse.ArgumentParser) -> None:
    """V3 sends any number of ids in concurrent chunks (see verizon_sdk.bulk)."""
    add_output_options(command)
    group = command.add_argument_group("bulk (V3)")
    group.add_argument(
        "--chunk-size",
        type=int,
        metavar="N",
        help=f"device ids per request (default {bulk.DEFAULT_CHUNK_SIZE})",
    )
    group.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"requests in flight at once (default {bulk.DEFAULT_MAX_WORKERS})",
    )
    group.add_argument(
        "--progress", action="store_true", help="show a progress bar on stderr (needs tqdm)"
    )
    group.add_argument(
        "--report",
        metavar="FILE",
        help="write every device's outcome to FILE: CSV (.csv) or JSON (.json)",
    )
    group.add_argument(
        "--journal",
        metavar="FILE",
        help="keep a crash-safe journal of the run in FILE (SQLite); finish a killed run"
        " with: verizon-licenses resume FILE",
    )


SHOWN_PER_OUTCOME = 10  # rows printed per outcome unless --show says otherwise


def add_output_options(command: argparse.ArgumentParser) -> None:
    """How much of a bulk result the terminal shows (the --report file always has it all)."""
    command.add_argument(
        "--verbose", "-v", action="store_true", help="list the devices that succeeded too"
    )
    command.add_argument(
        "--show",
        type=_show_limit,
        default=SHOWN_PER_OUTCOME,
        metavar="N|all",
        help=f"rows printed per outcome (default {SHOWN_PER_OUTCOME}); 'all' prints every row",
    )


def _show_limit(text: str) -> int | None:
    if text == "all":
        return None
    if text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r}: a number of rows or 'all'")


def bulk_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``assign_licenses_bulk`` keywords that the command line set."""
    options: dict[str, Any] = {"progress": args.progress}
    if args.chunk_size is not None:
        options["chunk_size"] = args.chunk_size
    if args.workers is not None:
        options["max_workers"] = args.workers
    if args.journal is not None:
        options["journal"] = args.journal
    return options


def report_path(args: argparse.Namespace) -> Path | None:
    """``--report FILE``, checked before anything is sent."""
    report = Path(args.report) if args.report else None
    if report is not None and report.suffix.lower() not in REPORT_FORMATS:
        raise UsageError(f"--report {args.report}: the file name must end in .csv or .json")
    try:
        found = report is None or report.resolve().parent.is_dir()
    # a loop of links (RuntimeError before Python 3.13), a name the system cannot encode
    except (OSError, RuntimeError, ValueError) as exc:
        raise UsageError(f"--report {args.report}: {exc}") from exc
    if not found:
        raise UsageError(f"--report {args.report}: no such directory")
    return report


def run_and_show(
    run: Callable[[], bulk.BulkResult],
    args: argparse.Namespace,
    out: TextIO,
    report: Path | None,
) -> int:
    """Run a bulk operation and show its result; an interrupt still shows what it got."""
    try:
        result = run()
    except KeyboardInterrupt as exc:
        partial = getattr(exc, "bulk_result", None)
        if partial is not None:
            write_bulk_result(partial, out, report, table=True, every=args.verbose, show=args.show)
        raise
    failure = run_failure(result)
    table = failure is None or _answered(result) > 0
    write_bulk_result(result, out, report, table=table, every=args.verbose, show=args.show)
    if failure is not None:
        raise RunFailed(failure)
    return EXIT_OK if result.ok else EXIT_DEVICES_FAILED


def _print_outcomes(
    result: bulk.BulkResult, out: TextIO, report: Path | None, *, every: bool, show: int | None
) -> None:
    """One table, grouped by outcome; past ``show`` rows of an outcome, one line says how many
    more there are and where to find them."""
    groups: dict[bulk.Outcome, list[list[str]]] = {}
    for device_id, r in result.items():
        if every or r.outcome is not bulk.Outcome.SUCCEEDED:
            row = [device_id, r.outcome.value, r.status or "", r.reason or r.error or ""]
            groups.setdefault(r.outcome, []).append(row)
    if not groups:
        return
    where = f"see {report}" if report is not None else "see --report"
    lines: list[list[str] | str] = []
    for outcome in bulk.Outcome:
        rows = groups.get(outcome, [])
        shown = rows if show is None else rows[:show]
        lines.extend(shown)
        if len(rows) > len(shown):
            lines.append(f"... {len(rows) - len(shown)} more {outcome.value}: {where}")
    print_table(out, ["DEVICE ID", "OUTCOME", "STATUS", "REASON"], lines)


def run_failure(result: bulk.BulkResult) -> str | None:
    """Why the run as a whole failed (auth, account, network), or None if devices got answers."""
    if result.stopped and not result.interrupted:
        return result.stopped
    errors = [r.error for r in result.not_attempted.values() if r.error and not r.invalid]
    errors += [r.error for r in result.unknown.values() if r.error]
    if _answered(result) == 0 and errors:
        return errors[0]
    return None


def _answered(result: bulk.BulkResult) -> int:
    """Devices the service answered for (an unknown status included), or found succeeded."""
    return sum(1 for _, r in result.items() if r.outcome is bulk.Outcome.SUCCEEDED or r.answered)


def write_bulk_result(
    result: bulk.BulkResult,
    out: TextIO,
    report: Path | None,
    *,
    table: bool,
    every: bool,
    show: int | None = SHOWN_PER_OUTCOME,
) -> None:
    """The report file first (it must survive a closed stdout), then the devices that did not
    succeed (the succeeded too with ``every``), at most ``show`` rows per outcome (all with
    None), and a summary."""
    report_error: str | None = None
    if report is not None:
        try:
            if report.suffix.lower() == ".csv":
                result.to_csv(report)
            else:
                text = result.to_json(indent=2) + "\n"
                write_file(report, lambda file: file.write(text))
        except (OSError, ValueError) as exc:  # ValueError: a path the system cannot encode
            report_error = getattr(exc, "strerror", None) or str(exc)  # shown after the outcome
    if table:
        _print_outcomes(result, out, report, every=every, show=show)
    counts = result.counts
    line = (
        f"{counts['succeeded']} succeeded, {counts['failed']} failed, "
        f"{counts['not_attempted']} not attempted, {counts['unknown']} unknown"
    )
    notes = [
        f"{len(result.duplicates)} repeated ids counted once" if result.duplicates else "",
        f"{result.reconciled} settled by reading the license list" if result.reconciled else "",
        f"reconciliation failed: {result.reconciliation_error}"
        if result.reconciliation_error
        else "",
        f"stopped early: {result.stopped}" if result.stopped else "",
    ]
    out.write("; ".join([line, *(n for n in notes if n)]) + "\n")
    if report_error is not None:
        raise UsageError(f"cannot write {report}: {report_error}")
    if report is not None:
        out.write(f"report written to {report}\n")
