"""``assign`` and ``remove``: V3 through the bulk path, V2 as one request."""

from __future__ import annotations

import argparse
import warnings
from typing import Any, TextIO

from verizon_sdk import bulk
from verizon_sdk._client import VerizonClient
from verizon_sdk.cli._bulk_output import (
    BULK_OPTIONS,
    add_bulk_options,
    bulk_options,
    report_path,
    run_and_show,
)
from verizon_sdk.cli._common import (
    EXIT_DEVICES_FAILED,
    EXIT_OK,
    UsageError,
    add_device_sources,
    ids_from_arguments,
    print_table,
)
from verizon_sdk.models import V2LicenseIMEI


def register(commands: Any) -> None:
    for name, verb in (("assign", "assign licenses to"), ("remove", "remove licenses from")):
        command = commands.add_parser(name, help=f"{verb} devices")
        command.add_argument("account")
        add_device_sources(command)
        add_bulk_options(command)
        command.set_defaults(handler=run_assign_or_remove)


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


def bulk_command(
    client: VerizonClient, args: argparse.Namespace, out: TextIO, stdin: TextIO
) -> int:
    """V3 assign or remove through the bulk path: every id gets exactly one outcome."""
    report = report_path(args)  # checked before anything is read or sent
    ids = ids_from_arguments(args, stdin)
    controller = client.software_management_licenses_v3
    method = (
        controller.assign_licenses_bulk
        if args.command == "assign"
        else controller.remove_licenses_bulk
    )
    return run_and_show(lambda: method(args.account, ids, **bulk_options(args)), args, out, report)
