"""One client shared by many threads, against the simulator: auth, retries and the pool."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests import sim_helpers
from tests.sim_helpers import ACCOUNT, LOGIN, STATUS, TOKEN, Waits, get_status, sim_client
from verizon_sdk import VerizonClient
from verizon_sdk.models import V3LicenseIMEI
from verizon_sdk.simulator import Fault, Simulator

sim = sim_helpers.sim
waits = sim_helpers.waits

THREADS = 16
CALLS = 100


def run_threads(worker: Callable[[int], None], threads: int = THREADS) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def run(index: int) -> None:
        try:
            barrier.wait()
            worker(index)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)
    assert not any(thread.is_alive() for thread in pool), "a thread hung"
    return errors


def device(thread: int, call: int) -> str:
    return f"99{thread:03d}{call:010d}"


class ExpirySchedule:
    """Expires every token after ``thresholds`` completed calls, mid-run.

    The next expiry also waits until every thread has finished a call since the last
    one, so no call can span two expiries: a call whose renewed token is expired again
    before its replay arrives would (rightly) fail with AuthenticationError.
    """

    def __init__(self, sim: Simulator, thresholds: tuple[int, ...]) -> None:
        self._sim = sim
        self._pending = list(thresholds)
        self._lock = threading.Lock()
        self._since = [0] * THREADS
        self.done = 0
        self.expired = 0

    def completed(self, thread: int) -> None:
        with self._lock:
            self.done += 1
            self._since[thread] += 1
            if self._pending and self.done >= self._pending[0] and all(self._since):
                self._pending.pop(0)
                self._sim.expire_tokens()
                self.expired += 1
                self._since = [0] * THREADS


@pytest.mark.parametrize("session", [True, False], ids=["session-login", "static-m2m-token"])
def test_16_threads_x_100_calls_with_every_token_expiring_mid_run(
    sim: Simulator, session: bool
) -> None:
    schedule = ExpirySchedule(sim, (400, 800, 1200))
    results: list[Any] = []
    with sim_client(sim, session=session, pool_maxsize=THREADS) as client:
        controller = client.software_management_licenses_v3

        def worker(thread: int) -> None:
            for call in range(CALLS):
                if call % 10 == 0:  # a POST now and then: never lost, never repeated
                    body = V3LicenseIMEI(device_list=[device(thread, call)])
                    result = controller.assign_licenses_to_devices(ACCOUNT, body)
                    assert result.device_list[0].status == "Success"
                else:
                    results.append(controller.get_account_licenses_status(ACCOUNT))
                schedule.completed(thread)

        errors = run_threads(worker)
    assert errors == []
    assert schedule.done == THREADS * CALLS
    assert schedule.expired == 3
    assert len(results) == THREADS * CALLS * 9 // 10
    # one token fetch (and one login) for the cold start and for each expiry
    assert sim.token_count == 1 + schedule.expired
    assert sim.request_count(TOKEN) == 1 + schedule.expired
    assert sim.login_count == (1 + schedule.expired if session else 0)
    assert sim.request_count(LOGIN) == (1 + schedule.expired if session else 0)
    expected = {device(t, c) for t in range(THREADS) for c in range(0, CALLS, 10)}
    assert sim.assigned(ACCOUNT) == expected


def test_cold_client_many_threads_one_token_one_login(sim: Simulator) -> None:
    with sim_client(sim, session=True, pool_maxsize=THREADS) as client:
        errors = run_threads(lambda _: [get_status(client) for _ in range(5)])
    assert errors == []
    assert sim.token_count == 1
    assert sim.login_count == 1
    assert sim.request_count(STATUS) == THREADS * 5


def test_refused_login_under_concurrency_is_attempted_once(sim: Simulator) -> None:
    with Simulator(logins={"sim-user": "not-this"}) as simulator:
        with sim_client(simulator, session=True) as client:
            failures: list[BaseException] = []

            def worker(_: int) -> None:
                for _ in range(10):
                    try:
                        get_status(client)
                    except Exception as exc:
                        failures.append(exc)

            assert run_threads(worker) == []
        assert len(failures) == THREADS * 10
        # one refusal, raised to each caller as its own copy of the same error
        assert len({(type(f), str(f)) for f in failures}) == 1
        assert simulator.request_count(LOGIN) == 1
        assert simulator.request_count(STATUS) == 0


def test_threads_with_faults_and_retries_share_the_pool(sim: Simulator, waits: Waits) -> None:
    sim.inject(Fault(path=STATUS, status=503, times=None, probability=0.2, seed=1))
    sim.inject(Fault(path=STATUS, drop="after", times=None, probability=0.05, seed=2))
    with sim_client(sim, pool_maxsize=4, max_retries=10) as client:
        errors = run_threads(lambda _: [get_status(client) for _ in range(25)], threads=8)
        pool: Any = client._pipeline.session.get_adapter(client.config.api_root).poolmanager
    assert errors == []
    statuses = [r.status for r in sim.requests(STATUS)]
    assert statuses.count(200) == 8 * 25
    assert len(statuses) == 8 * 25 + statuses.count(503) + statuses.count(None)
    assert sim.token_count == 1
    assert pool is not None


def test_clones_used_from_threads_are_independent(sim: Simulator, waits: Waits) -> None:
    with sim_client(sim) as client:
        get_status(client)
        clones: list[VerizonClient] = []

        def worker(index: int) -> None:
            with client.clone_with(max_retries=index % 2) as clone:
                clones.append(clone)
                get_status(clone)

        assert run_threads(worker, threads=8) == []
        assert client.config.max_retries == 3
        assert sorted(c.config.max_retries for c in clones) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert sim.token_count == 1 + 8  # each clone has its own token cache
