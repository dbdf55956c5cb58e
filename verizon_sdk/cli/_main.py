"""The parser, the client and the dispatch: ``main`` is the console-script entry point."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from verizon_sdk._client import VerizonClient
from verizon_sdk._configuration import Configuration, Environment
from verizon_sdk.cli import _candidates, _licenses, _resume, _status
from verizon_sdk.cli._common import (
    EXIT_API,
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Handler,
    RunFailed,
    UsageError,
)
from verizon_sdk.cli._terminal import cli_streams
from verizon_sdk.exceptions import APIException, ConfigurationError, ValidationError

# Each command group adds its sub-commands and sets ``handler`` on them, in help order.
COMMAND_GROUPS = (_status, _licenses, _resume, _candidates)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verizon-licenses",
        description="Manage ThingSpace FOTA licenses. Credentials come from VERIZON_CLIENT_ID, "
        "VERIZON_CLIENT_SECRET and VERIZON_M2M_TOKEN (or VERIZON_USERNAME and VERIZON_PASSWORD).",
        epilog="Exit codes: 0 ok; 1 some devices failed, were not attempted or are unknown"
        " (listed); 2 usage or validation error (an unwritable --report too); 3 auth, API or"
        " network error; 130 interrupted.",
    )
    parser.add_argument("--base-url", help="API root, e.g. http://127.0.0.1:8080/api")
    parser.add_argument(
        "--environment",
        choices=[e.value for e in Environment],
        help="ThingSpace environment (default: production, or VERIZON_ENVIRONMENT)",
    )
    parser.add_argument("--api", choices=("v2", "v3"), default="v3", help="API version (v3)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    commands.add_parser(
        "simulator", help="serve the ThingSpace simulator (see --help)", add_help=False
    )
    commands.add_parser("demo", help="run a whole license workflow against a local simulator")
    return parser


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
    with cli_streams() as (out, err):
        return _run(args, out, err)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        if args.command == "demo":
            from verizon_sdk._demo import run_demo

            return run_demo(out)
        handler: Handler = args.handler
        with make_client(args) as client:
            return handler(client, args, out, sys.stdin)
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
