"""Issue 13: a journaled bulk run killed with SIGKILL at 6 points, then resumed.

The simulator runs in its own process (``python -m verizon_sdk.simulator --latency 0.02``);
each case has its own account on it. The run (tests/crash_child.py, 20,000 ids) runs in a
subprocess and is killed at a point made wide by a simulator fault (a slow token, a slow POST,
a slow license-list read) and found by polling the journal, or at a point the child announces.
After the kill, the run is resumed and checked: every id accounted for exactly once, the
simulator's assigned set equal to ``succeeded``, and no id (so no chunk recorded ``sending``)
POSTed twice.

The same six points are then hit through the CLI (``assign ACCOUNT - --journal``, the ids on
stdin, in the same child with the same switches), resumed with ``resume JOURNAL --report``,
and checked the same way, with the resumed command's output and exit code.
"""

from __future__ import annotations

import collections
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.crash_child import device_ids
from verizon_sdk import ThingspaceOauthCredentials, VerizonClient, VZM2mTokenCredentials
from verizon_sdk.bulk import BulkResult

CHILD = str(Path(__file__).with_name("crash_child.py"))
COUNT = 20_000
WAIT = 30.0  # seconds before a poll gives up (never reached when things work)


class SimProcess:
    """The simulator in a process of its own, driven over its control routes."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "verizon_sdk.simulator", "--latency", "0.02"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url

    def call(self, method: str, route: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_sim/{route}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"null")

    def posts(self, account: str) -> list[list[str]]:
        """The id lists of every assign/remove POST the simulator received for ``account``.

        A POST cut off by the kill before its body was complete has no readable body (the
        simulator answers it 400 and applies nothing); it carries no ids.
        """
        entries = self.call("GET", "requests")["requests"]
        return [
            e["body"]["deviceList"]
            for e in entries
            if e["method"] == "POST"
            and f"/licenses/{account}/" in e["path"]
            and isinstance(e["body"], dict)
        ]

    def wait_for_fault(self, path: str) -> None:
        """Wait until the request to ``path`` that a fault slowed down has been answered (and
        so is in the request log)."""
        poll(
            lambda: any(
                e["fault"]
                for e in self.call("GET", "requests")["requests"]
                if e["path"].endswith(path)
            ),
            f"the slowed request to {path}",
        )

    def assigned(self, account: str) -> set[str]:
        return set(self.call("GET", f"accounts/{account}")["assignedDevices"])

    def client(self) -> VerizonClient:
        return VerizonClient(
            thingspace_oauth_credentials=ThingspaceOauthCredentials(
                oauth_client_id="sim-client", oauth_client_secret="sim-secret"
            ),
            vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token="sim-m2m-token"),
            base_url=self.url,
        )

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    server = SimProcess()
    try:
        yield server
    finally:
        server.stop()


def journal_state(path: Path) -> dict[str, int]:
    """Chunks per state in the journal at ``path`` (read from this process), {} before it exists."""
    if not path.exists():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        states = dict(db.execute("SELECT state, count(*) FROM chunks GROUP BY state").fetchall())
    finally:
        db.close()
    return states


def sending_ids(path: Path) -> set[str]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT device_id FROM ids JOIN chunks ON ids.chunk = chunks.idx"
            " WHERE chunks.state = 'sending'"
        ).fetchall()
    finally:
        db.close()
    return {d for (d,) in rows}


def poll(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.005)


CLI_ENV = {
    "VERIZON_CLIENT_ID": "sim-client",
    "VERIZON_CLIENT_SECRET": "sim-secret",
    "VERIZON_M2M_TOKEN": "sim-m2m-token",
}


def start_child(
    sim: SimProcess, account: str, journal: Path, *, cli: bool = False, **env: str
) -> subprocess.Popen[str]:
    """The run in a child: the library call, or (``cli``) the command with the ids on stdin."""
    child = subprocess.Popen(
        [sys.executable, CHILD, sim.url, account, str(journal), str(COUNT)]
        + (["--cli"] if cli else []),
        stdin=subprocess.PIPE if cli else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(CLI_ENV if cli else {}), **env},
    )
    if cli:
        assert child.stdin is not None
        child.stdin.write("\n".join(device_ids(COUNT)))
        child.stdin.close()
    return child


def announced(child: subprocess.Popen[str], word: str) -> None:
    """Read the child's output (the command's own lines first, with ``--cli``) up to ``word``."""
    assert child.stdout is not None
    lines = []
    while (line := child.stdout.readline()) and line.strip() != word:
        lines.append(line)
    assert line.strip() == word, lines


def kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    assert child.wait(10) == -signal.SIGKILL


def check_resumed(sim: SimProcess, account: str, result: BulkResult, in_flight: set[str]) -> None:
    ids = device_ids(COUNT)
    assert list(result) == ids  # every id once, in input order
    assert sum(result.counts.values()) == COUNT
    assert set(result.succeeded) == sim.assigned(account) == set(ids)
    posted = collections.Counter(d for body in sim.posts(account) for d in body)
    assert set(posted) <= set(ids)
    assert max(posted.values()) == 1, "an id was POSTed twice"
    assert all(posted[d] <= 1 for d in in_flight)


CASES = ["before_first_send", "post_in_flight", "between_chunks", "reconciling", "commit", "done"]


def arrange(sim: SimProcess, account: str, point: str) -> dict[str, str]:
    """Make ``point`` wide enough to be hit: faults on the simulator, or the child's switches."""
    sim.call("POST", f"accounts/{account}", {"pool": COUNT + 10})
    assign = f"/licenses/{account}/assign"
    if point == "before_first_send":  # the token takes 3 s: nothing can be POSTed meanwhile
        sim.call("POST", "faults", {"path": "/oauth2/token", "latency": 3.0})
    elif point == "post_in_flight":  # one POST answers after 3 s; the others settle
        sim.call("POST", "faults", {"path": assign, "method": "POST", "latency": 3.0})
    elif point == "reconciling":  # a 500 (applied) makes ids unknown; the list read is slow
        sim.call("POST", "faults", {"path": assign, "status": 500, "apply": True})
        sim.call(
            "POST", "faults", {"path": f"/licenses/{account}", "method": "GET", "latency": 3.0}
        )
    elif point == "between_chunks":
        return {"CRASH_PAUSE_AFTER": "5"}
    elif point == "commit":
        return {"CRASH_COMMIT": "12"}
    return {}


def kill_at(
    sim: SimProcess, child: subprocess.Popen[str], journal: Path, account: str, point: str
) -> None:
    """Wait for ``point`` in the running child, and SIGKILL it there."""
    try:
        if point == "before_first_send":
            poll(lambda: journal_state(journal).get("sending", 0) > 0, "the first chunk sending")
            assert sim.posts(account) == []
            kill(child)
        elif point == "post_in_flight":
            poll(lambda: journal_state(journal).get("settled", 0) >= 3, "three settled chunks")
            kill(child)  # resumed at once: the resume waits out the slow POST's deadline
        elif point == "reconciling":
            poll(lambda: set(journal_state(journal)) == {"settled"}, "every chunk settled")
            kill(child)
        elif point == "commit":
            assert child.wait(WAIT) == -signal.SIGKILL
        else:
            announced(child, "paused" if point == "between_chunks" else "finished")
            kill(child)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        assert child.stdout is not None
        child.stdout.close()


def check_point(
    sim: SimProcess,
    account: str,
    journal: Path,
    point: str,
    result: BulkResult,
    in_flight: set[str],
    before: int,
) -> None:
    """The three checks, and what each point must show besides."""
    if point == "post_in_flight":  # the killed run's slow POST, logged once it is answered
        sim.wait_for_fault(f"/licenses/{account}/assign")
    check_resumed(sim, account, result, in_flight)
    if point == "done":
        assert len(sim.posts(account)) == before  # a finished run: nothing sent
    if point == "before_first_send":  # nothing had gone out: every id sent once, on resume
        assert before == 0 and len(in_flight) > 0
    if point == "post_in_flight":  # the slow chunk was applied: settled by reading, not sent
        assert result.reconciled >= 1000
    if point == "reconciling":  # the 500 chunk's ids were settled by the resumed reading
        assert result.reconciled >= 1000
    assert journal_state(journal) == {"settled": journal_state(journal)["settled"]}


@pytest.mark.parametrize("point", CASES)
def test_kill_and_resume(sim: SimProcess, tmp_path: Path, point: str) -> None:
    account = f"00001234{CASES.index(point):02d}-00013"
    journal = tmp_path / "run.db"
    env = arrange(sim, account, point)
    kill_at(sim, start_child(sim, account, journal, **env), journal, account, point)
    in_flight = sending_ids(journal)
    before = len(sim.posts(account))
    if point == "post_in_flight":
        assert in_flight  # the slow chunk, at least, was left sending
    result = sim.client().software_management_licenses_v3.resume_bulk(journal)
    check_point(sim, account, journal, point, result, in_flight, before)


# -- the same through the CLI: assign --journal, kill, resume ---------------------------------


def run_cli(sim: SimProcess, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "verizon_sdk", "--base-url", sim.url, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **CLI_ENV},
        timeout=120,
    )


@pytest.mark.parametrize("point", CASES)
def test_cli_kill_and_resume(sim: SimProcess, tmp_path: Path, point: str) -> None:
    account = f"00001235{CASES.index(point):02d}-00013"
    journal = tmp_path / "run.db"
    env = arrange(sim, account, point)
    kill_at(sim, start_child(sim, account, journal, cli=True, **env), journal, account, point)
    in_flight = sending_ids(journal)
    before = len(sim.posts(account))
    if point == "post_in_flight":
        assert in_flight
    report = tmp_path / "report.csv"
    done = run_cli(sim, "resume", str(journal), "--report", str(report))
    assert done.returncode == 0, done.stderr  # as the uninterrupted command: all succeeded
    assert f"{COUNT} succeeded" in done.stdout
    with report.open() as file:
        rows = list(csv.DictReader(file))
    assert [r["device_id"] for r in rows] == device_ids(COUNT)
    assert {r["outcome"] for r in rows} == {"succeeded"}
    stored = sim.client().software_management_licenses_v3.resume_bulk(journal)  # sends nothing
    assert [r["device_id"] for r in stored.rows()] == [r["device_id"] for r in rows]
    check_point(sim, account, journal, point, stored, in_flight, before)
    sent = len(sim.posts(account))
    again = run_cli(sim, "assign", account, "-", "--journal", str(journal), stdin="990000000000001")
    assert again.returncode == 0, again.stderr
    assert f"{COUNT} succeeded" in again.stdout
    assert len(sim.posts(account)) == sent  # a finished run: its result, nothing sent
