"""``status``: every licensed device of an account, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import json
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, TextIO

from verizon_sdk._client import VerizonClient
from verizon_sdk.bulk._export import write_csv
from verizon_sdk.cli._common import EXIT_OK, print_table


def register(commands: Any) -> None:
    """Add ``status`` to the sub-command parsers (``argparse`` keeps their type private)."""
    status = commands.add_parser("status", help="list every licensed device of an account")
    status.add_argument("account")
    status.add_argument("--format", choices=("table", "json", "csv"), default="table")
    status.set_defaults(handler=run_status)


def run_status(client: VerizonClient, args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
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
            "deviceList": [{**d.to_dictionary(), "assignmentTime": iso_time(d)} for d in rows],
        }
        json.dump(document, out, indent=2)
        out.write("\n")
    elif args.format == "csv":
        # the bulk report's writer: formulas neutralised, a row holding a CR quoted whole
        cells = ({"deviceId": d.device_id, "assignmentTime": iso_time(d)} for d in rows)
        write_csv(cells, ["deviceId", "assignmentTime"], out)
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
    return [device.device_id or "", iso_time(device) or ""]


def iso_time(device: Any) -> str | None:
    """The assignment time in RFC 3339 (``2026-12-01T10:36:25.999Z``), which spreadsheets and
    pandas read; the service's own text when it cannot be parsed."""
    moment: datetime | None = device.assignment_time
    if moment is None:
        raw: str | None = device.assignment_time_raw
        return raw
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    text = moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
    return text.removesuffix("+00:00") + "Z" if moment.tzinfo is not None else text
