"""What the ``verizon-licenses`` tests share: the child's environment, ids, and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from verizon_sdk.simulator import Simulator


def imei(n: int) -> str:
    """The n-th 15-digit test id."""
    return f"{990000000000000 + n:015d}"


def cli_environment(sim: Simulator | str, **extra: str) -> dict[str, str]:
    """This process's environment with no ``VERIZON_*`` of its own, pointed at ``sim`` (a
    simulator, or the base URL of another test server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERIZON_")}
    env.update(
        VERIZON_CLIENT_ID="cli-client",
        VERIZON_CLIENT_SECRET="cli-secret",
        VERIZON_M2M_TOKEN="sim-m2m-token",
        VERIZON_BASE_URL=sim if isinstance(sim, str) else sim.url,
    )
    env.update(extra)
    return env


def interrupted(sim: Simulator, argv: list[str], *, after: int = 3) -> tuple[int, str, str]:
    """Run ``argv`` against ``sim``, press Ctrl-C (SIGINT) once ``after`` assign POSTs have
    arrived, and return the exit code, stdout and stderr."""
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_environment(sim),
    )
    deadline = time.monotonic() + 30
    while sim.request_count("/assign") < after and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr
