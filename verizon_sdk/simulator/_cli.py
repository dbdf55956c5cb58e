"""``python -m verizon_sdk.simulator`` (also ``verizon-licenses simulator``)."""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import shlex
import signal
import sys
import threading
from types import FrameType
from typing import Any

from verizon_sdk.simulator._options import (
    DEFAULT_M2M_TOKEN,
    READINGS,
    SPELLINGS,
    SimulatorOptions,
)
from verizon_sdk.simulator._simulator import Simulator

SEED_BASE = 990000000000000  # --seed ACCOUNT:POOL:N assigns SEED_BASE .. SEED_BASE + N - 1


def _pair(text: str) -> tuple[str, str]:
    name, colon, secret = text.partition(":")
    if not (colon and name and secret):
        raise argparse.ArgumentTypeError(f"expected NAME:SECRET, got {text!r}")
    return name, secret


def _seed(text: str) -> tuple[str, int | None, int]:
    account, *rest = text.split(":")
    if len(rest) > 2 or not all(part.isdigit() for part in rest):
        raise argparse.ArgumentTypeError(f"expected ACCOUNT[:POOL[:ASSIGNED]], got {text!r}")
    numbers = [int(part) for part in rest]
    pool = numbers[0] if numbers else None
    return account, pool, numbers[1] if len(numbers) == 2 else 0


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or "python -m verizon_sdk.simulator",
        description="Serve a simulated ThingSpace Software Management Licenses API (FOTA V2/V3,"
        " OAuth and M2M session login) until Ctrl-C or SIGTERM. Prints the API root. Repeatable"
        " options (--client, --login, --m2m-token, --unknown-device, --seed) add to a list;"
        " without --client or --login any non-empty credentials are accepted. Then prints the"
        " export VERIZON_... lines (base URL, client id, secret, M2M token) that a client needs.",
    )
    add = parser.add_argument
    d = SimulatorOptions()
    add("--host", default=d.host, help=f"address to bind (default {d.host})")
    add("--port", type=int, default=d.port, help="port to bind (default 0: a free port)")
    add("--pool", type=int, default=d.pool_size, help=f"licenses per new account ({d.pool_size})")
    add("--max-page-size", type=int, default=d.max_page_size, help="devices per page")
    add("--token-lifetime", type=float, default=d.token_lifetime, help="access token seconds")
    add("--session-lifetime", type=float, default=d.session_lifetime, help="session idle seconds")
    add("--latency", type=float, default=d.latency, help="seconds added before every answer")
    many: dict[str, Any] = {"action": "append", "default": []}
    add("--client", type=_pair, metavar="ID:SECRET", **many, help="accepted OAuth client")
    add("--login", type=_pair, metavar="USER:PASSWORD", **many, help="accepted session login")
    add("--m2m-token", metavar="TOKEN", **many, help=f"static token ({DEFAULT_M2M_TOKEN})")
    add("--unknown-device", metavar="IMEI", **many, help="a device the service does not know")
    add("--strict-accounts", action="store_true", help="unknown accounts are inactive (400)")
    add("--invalid-device-format-error", action="store_true", help="400 on a non-IMEI id")
    add("--lockout-after", type=int, default=d.lockout_after, help="refusals that lock a user")
    add(
        "--seed",
        type=_seed,
        metavar="ACCOUNT[:POOL[:ASSIGNED]]",
        **many,
        help=f"create an account with ASSIGNED devices from {SEED_BASE} up",
    )
    add(
        "--reading",
        choices=READINGS,
        default="sdk",
        help="play the published SDK's reading of the service (sdk, the default) or Verizon's"
        " reference pages' (pages: their field spellings, lastSeenDeviceId and Content-Type"
        " required, the same OAuth token for its whole lifetime)",
    )
    add("--spellings", choices=SPELLINGS, help="field spellings only (default: the reading's)")
    add("--no-control-routes", action="store_true", help="disable /api/_sim/...")
    add("-v", "--verbose", action="store_true", help="log every request to stderr")
    add("--print-env", action="store_true", help="print only the export VERIZON_... lines")
    return parser


def env_lines(url: str, args: argparse.Namespace) -> list[str]:
    """The ``export VERIZON_...=...`` lines that point a client (or ``verizon-licenses``) at
    this simulator with credentials it accepts."""
    client_id, secret = args.client[0] if args.client else ("sim-client", "sim-secret")
    token = args.m2m_token[0] if args.m2m_token else DEFAULT_M2M_TOKEN
    values = {
        "VERIZON_BASE_URL": url,
        "VERIZON_CLIENT_ID": client_id,
        "VERIZON_CLIENT_SECRET": secret,
        "VERIZON_M2M_TOKEN": token,
    }
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]


def simulator_from_args(args: argparse.Namespace) -> Simulator:
    """A (not yet started) simulator configured from parsed arguments."""
    reading = SimulatorOptions.for_reading(args.reading)
    if args.spellings is not None:
        reading = dataclasses.replace(reading, spellings=args.spellings)
    simulator = Simulator(
        reading,
        host=args.host,
        port=args.port,
        pool_size=args.pool,
        max_page_size=args.max_page_size,
        token_lifetime=args.token_lifetime,
        session_lifetime=args.session_lifetime,
        latency=args.latency,
        client_credentials=dict(args.client) if args.client else None,
        logins=dict(args.login) if args.login else None,
        m2m_tokens=args.m2m_token or (DEFAULT_M2M_TOKEN,),
        strict_accounts=args.strict_accounts,
        unknown_devices=args.unknown_device,
        invalid_device_format_error=args.invalid_device_format_error,
        lockout_after=args.lockout_after,
        control_routes=not args.no_control_routes,
        verbose=args.verbose,
    )
    for account, pool, count in args.seed:
        simulator.seed(account, pool=pool, assigned=range(SEED_BASE, SEED_BASE + count))
    return simulator


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def main(argv: list[str] | None = None, *, prog: str | None = None) -> int:
    """Run the simulator until Ctrl-C or SIGTERM; print its API root and the environment a
    client needs first (only the environment with ``--print-env``). Returns 0."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        simulator = simulator_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        try:
            simulator.start()
        except OSError as exc:
            print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        if not _is_loopback(args.host):
            print(
                f"warning: listening on {args.host}, beyond this machine: the simulator "
                "accepts any credentials unless --client/--login restrict them, and its "
                "control routes change its state",
                file=sys.stderr,
                flush=True,
            )
        exports = "\n".join(env_lines(simulator.url, args))
        if args.print_env:
            print(exports, flush=True)
        else:
            print(simulator.url)
            print("# paste these lines into another shell to point a client at it:")
            print(exports, flush=True)
        while not stop.wait(0.5):  # the handlers above set it on Ctrl-C or SIGTERM
            pass
        return 0
    finally:
        simulator.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
