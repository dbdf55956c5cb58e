"""A bulk run in its own process, for the crash tests (tests/test_journal_crash.py).

``python tests/crash_child.py URL ACCOUNT JOURNAL COUNT [assign|remove] [--cli]`` runs
``assign_licenses_bulk`` (or remove) over COUNT IMEI-like ids with ``journal=JOURNAL``, prints
``finished`` and waits to be killed. With ``--cli`` it runs the command line instead, exactly
as ``python -m verizon_sdk --base-url URL assign ACCOUNT - --journal JOURNAL`` (the ids come on
stdin; credentials from the ``VERIZON_*`` environment), and prints ``finished`` after the
command's own output.

Two test-only switches, both read here and nowhere in the library, the same in both modes:
``CRASH_PAUSE_AFTER=N`` prints ``paused`` once N chunks are recorded and waits (a kill between
chunks); ``CRASH_COMMIT=N`` SIGKILLs the process at the N-th ``COMMIT`` the journal issues,
after that transaction's writes and before its commit.
"""

from __future__ import annotations

import os
import runpy
import signal
import sqlite3
import sys
import time
from typing import Any

FIRST_ID = 990000000000000


def device_ids(count: int) -> list[str]:
    return [str(FIRST_ID + i) for i in range(count)]


def _kill_at_commit(number: int) -> None:
    commits = 0

    class Dying(sqlite3.Connection):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            nonlocal commits
            if sql == "COMMIT":
                commits += 1
                if commits == number:
                    os.kill(os.getpid(), signal.SIGKILL)
            return super().execute(sql, *args)

    connect = sqlite3.connect

    def dying_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return connect(*args, factory=Dying, **kwargs)

    sqlite3.connect = dying_connect  # type: ignore[assignment]


def _pause_after(number: int) -> None:
    """Once ``number`` chunks are recorded (and journaled), say so and wait to be killed."""
    from verizon_sdk.bulk import _engine

    collect = _engine._Run.collect
    seen = 0

    def pausing(self: _engine._Run, *args: Any, **kwargs: Any) -> None:
        nonlocal seen
        collect(self, *args, **kwargs)
        seen += 1
        if seen == number:
            print("paused", flush=True)
            time.sleep(600)

    _engine._Run.collect = pausing  # type: ignore[method-assign]


#: The child's timeouts: its attempt deadline (5 s) is what a resume waits for after a kill,
#: and it is longer than the 3 s the slowed requests take.
TIMEOUT = (1.0, 4.0)


def _library(url: str, account: str, journal: str, count: int, action: str) -> None:
    from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials

    client = VerizonClient(
        thingspace_oauth_credentials=ThingspaceOauthCredentials(
            oauth_client_id="sim-client", oauth_client_secret="sim-secret"
        ),
        vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="sim-m2m-token"),
        base_url=url,
        timeout=TIMEOUT,
    )
    licenses = client.software_management_licenses_v3
    bulk = licenses.assign_licenses_bulk if action == "assign" else licenses.remove_licenses_bulk
    bulk(account, device_ids(count), journal=journal)


def _cli(url: str, account: str, journal: str, action: str) -> None:
    from verizon_sdk import VerizonClient

    from_environment = VerizonClient.from_environment.__func__  # type: ignore[attr-defined]

    def with_timeout(cls: type[VerizonClient], *args: Any, **overrides: Any) -> VerizonClient:
        return from_environment(cls, *args, timeout=TIMEOUT, **overrides)  # type: ignore[no-any-return]

    VerizonClient.from_environment = classmethod(with_timeout)  # type: ignore[assignment, method-assign]
    sys.argv = ["verizon_sdk", "--base-url", url, action, account, "-", "--journal", journal]
    try:
        runpy.run_module("verizon_sdk", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        print(f"exit {exit.code}", flush=True)


def main() -> None:
    cli = "--cli" in sys.argv
    arguments = [a for a in sys.argv[1:] if a != "--cli"]
    url, account, journal, count = arguments[:4]
    action = arguments[4] if len(arguments) > 4 else "assign"
    if os.environ.get("CRASH_COMMIT"):
        _kill_at_commit(int(os.environ["CRASH_COMMIT"]))
    if os.environ.get("CRASH_PAUSE_AFTER"):
        _pause_after(int(os.environ["CRASH_PAUSE_AFTER"]))
    if cli:
        _cli(url, account, journal, action)
    else:
        _library(url, account, journal, int(count), action)
    print("finished", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main()
