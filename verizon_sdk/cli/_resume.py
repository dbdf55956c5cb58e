"""``resume JOURNAL``: finish a journaled ``assign``/``remove --journal`` run that was killed."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from verizon_sdk._client import VerizonClient
from verizon_sdk.cli._bulk_output import add_output_options, report_path, run_and_show


def register(commands: Any) -> None:
    command = commands.add_parser(
        "resume", help="finish a bulk run from its --journal file (a finished run: its result)"
    )
    command.add_argument("journal", metavar="JOURNAL", help="the file given to --journal")
    add_output_options(command)
    command.add_argument("--workers", type=int, metavar="N", help="requests in flight (4)")
    command.add_argument(
        "--report", metavar="FILE", help="write every device's outcome to FILE (.csv or .json)"
    )
    command.set_defaults(handler=run_resume)


def run_resume(client: VerizonClient, args: argparse.Namespace, out: TextIO, _: TextIO) -> int:
    """Same output and exit codes as the ``assign``/``remove`` run it finishes."""
    report = report_path(args)
    options = {} if args.workers is None else {"max_workers": args.workers}
    controller = client.software_management_licenses_v3
    return run_and_show(lambda: controller.resume_bulk(args.journal, **options), args, out, report)
