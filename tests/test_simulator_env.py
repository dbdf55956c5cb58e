"""``python -m verizon_sdk.simulator`` prints the exact environment a client needs."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ACCOUNT = "0000123456-00001"
ENTRY_POINT = str(Path(sys.executable).with_name("verizon-licenses"))


def serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "verizon_sdk.simulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> str:
    """Ctrl-C; what it printed after the lines already read."""
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    return rest


def parse_exports(lines: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in lines:
        word, assignment = shlex.split(line)
        assert word == "export"
        name, _, value = assignment.partition("=")
        env[name] = value
    return env


def status_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VERIZON_")}
    return subprocess.run(
        [ENTRY_POINT, "status", ACCOUNT],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_default_output_is_the_url_then_the_export_lines() -> None:
    process = serve("--seed", f"{ACCOUNT}:50:3")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        comment = process.stdout.readline()
        exports = [process.stdout.readline().strip() for _ in range(4)]
        env = parse_exports(exports)
        assert comment.startswith("# ")
        assert env == {
            "VERIZON_BASE_URL": url,
            "VERIZON_CLIENT_ID": "sim-client",
            "VERIZON_CLIENT_SECRET": "sim-secret",
            "VERIZON_M2M_TOKEN": "sim-m2m-token",
        }
        result = status_with(env)  # exactly what was printed, nothing else
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == "3 devices listed; 3 of 50 licenses assigned"
    finally:
        stop(process)


@pytest.mark.parametrize("via", ["module", "cli"])
def test_print_env_prints_only_the_exports_with_the_accepted_credentials(via: str) -> None:
    options = ["--print-env", "--client", "me:p w", "--m2m-token", "tok-1", "--seed", ACCOUNT]
    if via == "module":
        process = serve(*options)
    else:
        process = subprocess.Popen(
            [ENTRY_POINT, "simulator", "--port", "0", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(4)]
        env = parse_exports(lines)
        assert set(env) == {
            "VERIZON_BASE_URL",
            "VERIZON_CLIENT_ID",
            "VERIZON_CLIENT_SECRET",
            "VERIZON_M2M_TOKEN",
        }
        assert (env["VERIZON_CLIENT_ID"], env["VERIZON_CLIENT_SECRET"]) == ("me", "p w")
        assert env["VERIZON_M2M_TOKEN"] == "tok-1"
        assert status_with(env).returncode == 0
        refused = status_with({**env, "VERIZON_M2M_TOKEN": "some-other-token"})
        assert refused.returncode == 3
        assert "SessionToken.Invalid" in refused.stderr
    finally:
        assert stop(process) == ""  # nothing but the four lines
