"""``candidates list|add|clear``: the V2 license cancellation candidates."""

from __future__ import annotations

import argparse
import warnings
from typing import Any, TextIO

from verizon_sdk._client import VerizonClient
from verizon_sdk.cli._common import EXIT_OK, add_device_sources, ids_from_arguments
from verizon_sdk.models import V2ListOfLicensesToRemoveRequest


def register(commands: Any) -> None:
    candidates = commands.add_parser("candidates", help="the V2 license cancellation candidates")
    candidates.set_defaults(handler=run_candidates)
    actions = candidates.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="list the candidates").add_argument("account")
    add = actions.add_parser("add", help="add devices to the candidates")
    add.add_argument("account")
    add.add_argument("--replace", action="store_true", help="replace the list instead")
    add_device_sources(add)
    actions.add_parser("clear", help="delete the candidate list").add_argument("account")


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
