"""``verizon-licenses``: the license workflow from a shell.

Credentials come from the ``VERIZON_*`` environment variables (see
:meth:`VerizonClient.from_environment`); no secret is ever taken as a flag.

Exit codes: 0 success; 1 some devices failed, were not attempted or are unknown
(listed); 2 usage or validation error; 3 authentication, API or network error;
130 interrupted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from verizon_sdk import bulk
from verizon_sdk._client import VerizonClient
from verizon_sdk._configuration import Configuration, Environment
from verizon_sdk.exceptions import APIException, ConfigurationError, ValidationError
from verizon_sdk.models import V2LicenseIMEI, V2ListOfLicensesToRemoveRequest

__all__ = ["main"]

EXIT_OK, EXIT_DEVICES_FAILED, EXIT_USAGE, EXIT_API, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BROKEN_PIPE = 141  # as if killed by SIGPIPE, like other Unix tools


class UsageError(Exception):
    """A command-line mistake: exit code 2."""


class RunFailed(Exception):
    """A bulk run that the service or the network stopped as a whole: exit code 3."""


# -- arguments ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verizon-licenses",
        description="Manage ThingSpace FOTA licenses. Credentials come from VERIZON_CLIENT_ID, "
        "VERIZON_CLIENT_SECRET and VERIZON_M2M_TOKEN (or VERIZON_USERNAME and VERIZON_PASSWORD).",
        epilog="Exit codes: 0 ok; 1 some devices failed, were not attempted or are unknown"
        " (listed); 2 usage or validation error; 3 auth, API or network error; 130 interrupted.",
    )
    parser.add_argument("--base-url", help="API root, e.g. http://127.0.0.1:8080/api")
    parser.add_argument(
        "--environment",
        choices=[e.value for e in Environment],
        help="ThingSpace environment (default: production, or VERIZON_ENVIRONMENT)",
    )
    parser.add_argument("--api", choices=("v2", "v3"), default="v3", help="API version (v3)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status = commands.add_parser("status", help="list every licensed device of an account")
    status.add_argument("account")
    status.add_argument("--format", choices=("table", "json", "csv"), default="table")

    for name, verb in (("assign", "assign licenses to"), ("remove", "remove licenses from")):
        command = commands.add_parser(name, help=f"{verb} devices")
        command.add_argument("account")
        add_device_sources(command)
        add_bulk_options(command)

    candidates = commands.add_parser("candidates", help="the V2 license cancellation candidates")
    actions = candidates.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="list the candidates").add_argument("account")
    add = actions.add_parser("add", help="add devices to the candidates")
    add.add_argument("account")
    add.add_argument("--replace", action="store_true", help="replace the list instead")
    add_device_sources(add)
    actions.add_parser("clear", help="delete the candidate list").add_argument("account")

    commands.add_parser(
        "simulator", help="serve the ThingSpace simulator (see --help)", add_help=False
    )
    commands.add_parser("demo", help="run a whole license workflow against a local simulator")
    return parser


def add_device_sources(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "devices", nargs="*", metavar="DEVICE_ID", help="device ids; '-' reads stdin"
    )
    command.add_argument(
        "--file", "-f", help="read device ids from a file (one per line or comma-separated)"
    )


def add_bulk_options(command: argparse.ArgumentParser) -> None:
    """V3 sends any number of ids in concurrent chunks (see verizon_sdk.bulk)."""
    command.add_argument(
        "--verbose", "-v", action="store_true", help="list every device, not only the problems"
    )
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


# -- commands -------------------------------------------------------------------------------


def run_status(client: VerizonClient, args: argparse.Namespace, out: TextIO) -> int:
    rows: list[Any] = []
    summary: Any = None
    for page in iter_status_pages(client, args.api, args.account):
        summary = page
        rows.extend(page.device_list or [])
    total = summary.total_licenses if args.api == "v3" else summary.total_license
    if args.format == "json":
        document = {
            "accountName": getattr(summary, "account_name", args.account),
            "totalLicenses": total,
            "assignedLicenses": getattr(summary, "assigned_licenses", None),
            "deviceList": [d.to_dictionary() for d in rows],
        }
        json.dump(document, out, indent=2)
        out.write("\n")
    elif args.format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["deviceId", "assignmentTime"])
        writer.writerows([d.device_id, d.assignment_time_raw] for d in rows)
    else:
        print_table(out, ["DEVICE ID", "ASSIGNED AT"], [_device_row(d) for d in rows])
        assigned = getattr(summary, "assigned_licenses", None)
        out.write(f"{len(rows)} devices listed; {assigned} of {total} licenses assigned\n")
    return EXIT_OK


def iter_status_pages(client: VerizonClient, api: str, account: str) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if api == "v2":
            yield from client.software_management_licenses_v2.iter_account_licenses(
                account, pages=True
            )
        else:
            yield from client.software_management_licenses_v3.iter_account_licenses(
                account, pages=True
            )


def _device_row(device: Any) -> list[str]:
    moment = device.assignment_time
    when = moment.isoformat(sep=" ") if moment is not None else device.assignment_time_raw or ""
    return [device.device_id or "", when]


def run_assign_or_remove(
    client: VerizonClient, args: argparse.Namespace, out: TextIO, stdin: TextIO
) -> int:
    if args.api == "v3":
        return bulk_command(client, args, out, stdin)
    given = [
        f"--{n.replace('_', '-')}" for n in BULK_OPTIONS if getattr(args, n) not in (None, False)
    ]
    if given:
        raise UsageError(f"{', '.join(given)}: only with --api v3 (V2 sends one request)")
    ids = ids_from_arguments(args, stdin)
    v2 = client.software_management_licenses_v2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        method = (
            v2.assign_licenses_to_devices
            if args.command == "assign"
            else v2.remove_licenses_from_devices
        )
        result = method(args.account, V2LicenseIMEI(device_list=ids))
    outcomes = [
        [d.device_id or "", d.status or "", d.result_reason or ""] for d in result.device_list or []
    ]
    print_table(out, ["DEVICE ID", "STATUS", "REASON"], outcomes)
    failed = [r for r in outcomes if not bulk.in_asked_for_state(args.command, r[1], r[2])]
    used = result.lic_used_count
    out.write(f"{len(outcomes) - len(failed)} succeeded, {len(failed)} failed; {used} in use\n")
    return EXIT_DEVICES_FAILED if failed else EXIT_OK


BULK_OPTIONS = ("chunk_size", "workers", "progress", "report")
REPORT_FORMATS = (".csv", ".json")


def bulk_command(
    client: VerizonClient, args: argparse.Namespace, out: TextIO, stdin: TextIO
) -> int:
    """V3 assign or remove through the bulk path: every id gets exactly one outcome."""
    report = Path(args.report) if args.report else None
    if report is not None and report.suffix.lower() not in REPORT_FORMATS:
        raise UsageError(f"--report {args.report}: the file name must end in .csv or .json")
    if report is not None and not report.resolve().parent.is_dir():
        raise UsageError(f"--report {args.report}: no such directory")
    ids = ids_from_arguments(args, stdin)
    controller = client.software_management_licenses_v3
    method = (
        controller.assign_licenses_bulk
        if args.command == "assign"
        else controller.remove_licenses_bulk
    )
    options: dict[str, Any] = {"progress": args.progress}
    if args.chunk_size is not None:
        options["chunk_size"] = args.chunk_size
    if args.workers is not None:
        options["max_workers"] = args.workers
    try:
        result = method(args.account, ids, **options)
    except KeyboardInterrupt as exc:
        partial = getattr(exc, "bulk_result", None)
        if partial is not None:
            write_bulk_result(partial, out, report, table=True, every=args.verbose)
        raise
    failure = run_failure(result)
    answered = result.counts["succeeded"] + result.counts["failed"]
    write_bulk_result(
        result, out, report, table=failure is None or answered > 0, every=args.verbose
    )
    if failure is not None:
        raise RunFailed(failure)
    return EXIT_OK if result.ok else EXIT_DEVICES_FAILED


def run_failure(result: bulk.BulkResult) -> str | None:
    """Why the run as a whole failed (auth, account, network), or None if devices got answers."""
    if result.stopped and not result.interrupted:
        return result.stopped
    answered = result.counts["succeeded"] + result.counts["failed"]
    errors = [r.error for r in result.not_attempted.values() if r.error and not r.invalid]
    errors += [r.error for r in result.unknown.values() if r.error]
    if answered == 0 and errors:
        return errors[0]
    return None


def write_bulk_result(
    result: bulk.BulkResult, out: TextIO, report: Path | None, *, table: bool, every: bool
) -> None:
    """The report file first (it must survive a closed stdout), then the devices that did not
    succeed (all of them with ``every``) and a summary."""
    report_error: OSError | None = None
    if report is not None:
        try:
            if report.suffix.lower() == ".csv":
                result.to_csv(report)
            else:
                report.write_text(result.to_json(indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            report_error = exc  # reported after the outcome has been shown
    rows = [
        [device_id, r.outcome.value, r.status or "", r.reason or r.error or ""]
        for device_id, r in result.items()
        if every or r.outcome is not bulk.Outcome.SUCCEEDED
    ]
    if table and rows:
        print_table(out, ["DEVICE ID", "OUTCOME", "STATUS", "REASON"], rows)
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
        raise UsageError(f"cannot write {report}: {report_error.strerror}") from report_error
    if report is not None:
        out.write(f"report written to {report}\n")


def run_candidates(
    client: VerizonClient, args: argparse.Namespace, out: TextIO, stdin: TextIO
) -> int:
    v2 = client.software_management_licenses_v2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if args.action == "list":
            count = 0
            for device_id in v2.iter_licenses_to_remove(args.account):
                out.write(f"{device_id}\n")
                count += 1
            out.write(f"{count} cancellation candidate{'' if count == 1 else 's'}\n")
        elif args.action == "add":
            ids = ids_from_arguments(args, stdin)
            request = V2ListOfLicensesToRemoveRequest(
                device_list=ids, mtype="replace" if args.replace else "append", count=len(ids)
            )
            result = v2.create_list_of_licenses_to_remove(args.account, request)
            out.write(f"{result.count} cancellation candidate{'' if result.count == 1 else 's'}\n")
        else:
            v2.delete_licenses_removal_candidates(args.account)
            out.write("cancellation candidates cleared\n")
    return EXIT_OK


def demo_command(out: TextIO) -> int:
    from verizon_sdk._demo import run_demo as demo

    return demo(out)


def print_table(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    rows = list(rows)
    widths = [max([len(header[i]), *(len(r[i]) for r in rows)]) for i in range(len(header))]
    for row in [header, *rows]:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")


# -- entry point ----------------------------------------------------------------------------


def make_client(args: argparse.Namespace) -> VerizonClient:
    overrides: dict[str, Any] = {}
    if args.base_url:
        overrides["base_url"] = args.base_url
    if args.environment:
        overrides["environment"] = args.environment
    workers = getattr(args, "workers", None)
    if workers is not None and workers > Configuration.pool_maxsize:
        overrides["pool_maxsize"] = workers  # one pooled connection per worker
    return VerizonClient.from_environment(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, rest = parser.parse_known_args(arguments)
    if args.command == "simulator":  # its options are the simulator's own
        from verizon_sdk.simulator._cli import main as simulator_main

        return simulator_main(rest, prog="verizon-licenses simulator")
    if rest and hasattr(args, "devices") and not any(a.startswith("-") and a != "-" for a in rest):
        args.devices += rest  # device ids given after an option (argparse stops at the first)
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "demo":
            return demo_command(out)
        with make_client(args) as client:
            if args.command == "status":
                return run_status(client, args, out)
            if args.command == "candidates":
                return run_candidates(client, args, out, sys.stdin)
            return run_assign_or_remove(client, args, out, sys.stdin)
    except (UsageError, ValidationError, ConfigurationError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    except (APIException, RunFailed) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_API
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
