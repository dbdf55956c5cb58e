"""A bulk run in its own process, for the crash tests (tests/test_journal_crash.py).

``python tests/crash_child.py URL ACCOUNT JOURNAL COUNT [assign|remove]`` runs
``assign_licenses_bulk`` (or remove) over COUNT IMEI-like ids with ``journal=JOURNAL``, prints
``finished`` and waits to be killed. Two test-only switches, both read here and nowhere in the
library: ``CRASH_PAUSE_AFTER=N`` prints ``paused`` from ``on_chunk`` after N chunks and waits
(a kill between chunks); ``CRASH_COMMIT=N`` SIGKILLs the process at the N-th ``COMMIT`` the
journal issues, after that transaction's writes and before its commit.
"""

from __future__ import annotations

import os
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


def main() -> None:
    url, account, journal, count = sys.argv[1:5]
    action = sys.argv[5] if len(sys.argv) > 5 else "assign"
    if os.environ.get("CRASH_COMMIT"):
        _kill_at_commit(int(os.environ["CRASH_COMMIT"]))
    from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials

    client = VerizonClient(
        thingspace_oauth_credentials=ThingspaceOauthCredentials(
            oauth_client_id="sim-client", oauth_client_secret="sim-secret"
        ),
        vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="sim-m2m-token"),
        base_url=url,
    )
    pause = int(os.environ.get("CRASH_PAUSE_AFTER", "0"))
    seen = 0

    def on_chunk(event: object) -> None:
        nonlocal seen
        seen += 1
        if seen == pause:
            print("paused", flush=True)
            time.sleep(600)

    licenses = client.software_management_licenses_v3
    bulk = licenses.assign_licenses_bulk if action == "assign" else licenses.remove_licenses_bulk
    bulk(account, device_ids(int(count)), journal=journal, on_chunk=on_chunk)
    print("finished", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main()
