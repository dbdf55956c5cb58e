"""Fleet-scale iteration and bulk work against the simulator (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import random
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from verizon_sdk import VerizonClient
from verizon_sdk import _endpoints as endpoints
from verizon_sdk import _pagination as pagination
from verizon_sdk.bulk import BulkResult, ChunkEvent, Outcome
from verizon_sdk.models import V3LicenseSummary
from verizon_sdk.simulator import Fault, Simulator

ACCOUNT = "0000123456-00001"
FIRST = 990000000000000


def imei(n: int) -> str:
    return f"{FIRST + n:015d}"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(pool_size=100_000, request_log_size=20_000) as simulator:
        yield simulator


@pytest.fixture
def client(sim: Simulator) -> Iterator[VerizonClient]:
    # Retries on (GET only: POST is never retried after it may have been sent), no waiting.
    with sim.client(max_retries=3, backoff_factor=0) as c:
        yield c


def fleet_input(rng: random.Random) -> tuple[list[str], set[str], set[str], set[str]]:
    """10,000 ids: valid IMEIs, repeats, ids the SDK rejects and ids the service rejects."""
    valid = [imei(n) for n in range(9_800)]
    sdk_invalid = [f" {imei(90_000 + n)}" for n in range(40)] + ["", "tab\tid"]
    service_invalid = [f"IMEI-{n:05d}" for n in range(58)]
    ids = valid + sdk_invalid + service_invalid
    ids += rng.sample(valid, 100)  # 100 repeats
    rng.shuffle(ids)
    assert len(ids) == 10_000
    return ids, set(valid), set(sdk_invalid), set(service_invalid)


def test_bulk_assign_10k_with_faults_accounts_for_every_id_and_converges(
    sim: Simulator, client: VerizonClient
) -> None:
    ids, valid, sdk_invalid, service_invalid = fleet_input(random.Random(4))
    # ~10% of all licenses requests answer 503; ~5% of assigns are applied, then dropped.
    sim.inject(Fault(path_regex="/licenses/", status=503, probability=0.1, times=None, seed=7))
    sim.inject(Fault(path="/assign", drop="after", probability=0.05, times=None, seed=11))
    controller = client.software_management_licenses_v3

    started = time.perf_counter()
    first = controller.assign_licenses_bulk(ACCOUNT, iter(ids), chunk_size=100, max_workers=8)
    elapsed = time.perf_counter() - started

    # every distinct id exactly once, in input order; repeats collapsed and reported
    assert list(first) == list(dict.fromkeys(ids))
    assert sum(first.counts.values()) == len(set(ids)) == 9_900
    assert len(first.duplicates) == 100
    assert first.input_count == 10_000
    # the faults did happen, and reconciliation settled every ambiguous chunk
    posts = sim.requests("/assign", method="POST")
    assert any(r.status == 503 for r in posts)
    assert any(r.status is None for r in posts)  # dropped after being applied
    assert first.reconciled > 0
    assert first.reconciliation_error is None
    assert first.unknown == {}
    # the truth: what the simulator holds is exactly what the result calls succeeded
    assert sim.assigned(ACCOUNT) == set(first.succeeded)
    assert set(first.succeeded) <= valid
    assert {d for d, r in first.not_attempted.items() if r.invalid} == sdk_invalid
    assert set(first.failed) <= service_invalid
    assert all(r.reason == "Device does not exist." for r in first.failed.values())
    assert elapsed < 20

    # a second run over retry_ids() completes the job
    sim.clear_faults()
    retry = first.retry_ids()
    assert retry
    assert not set(retry) & (sdk_invalid | set(first.succeeded) | set(first.failed))
    second = controller.assign_licenses_bulk(ACCOUNT, retry, chunk_size=100, max_workers=8)
    assert second.retry_ids() == []
    assert second.unknown == {} and second.not_attempted == {}
    assert sim.assigned(ACCOUNT) == valid == set(first.succeeded) | set(second.succeeded)
    assert set(first.failed) | set(second.failed) == service_invalid


def test_bulk_remove_with_dropped_connections_matches_the_simulator(
    sim: Simulator, client: VerizonClient
) -> None:
    held = [imei(n) for n in range(3_000)]
    sim.seed(ACCOUNT, pool=10_000, assigned=held)
    to_remove = held[:2_000] + [imei(50_000 + n) for n in range(100)]  # 100 never licensed
    sim.inject(Fault(path="/remove", drop="after", probability=0.15, times=None, seed=3))
    result = client.software_management_licenses_v3.remove_licenses_bulk(
        ACCOUNT, to_remove, chunk_size=50, max_workers=8
    )
    assert list(result) == to_remove
    assert result.counts == {"succeeded": 2_100, "failed": 0, "not_attempted": 0, "unknown": 0}
    assert result.reconciled > 0
    assert sim.assigned(ACCOUNT) == set(held) - set(result.succeeded)
    never = result[imei(50_000)]
    assert never.reason == "No license attached to device" or never.reconciled


def test_interrupt_mid_run_leaves_a_truthful_partial_result() -> None:
    with Simulator(pool_size=10_000, latency=0.02) as sim, sim.client(max_retries=0) as client:
        ids = [imei(n) for n in range(2_000)]

        def on_chunk(event: ChunkEvent) -> None:
            if event.index == 2:
                raise KeyboardInterrupt  # as if Ctrl-C were pressed here

        with pytest.raises(KeyboardInterrupt) as info:
            client.software_management_licenses_v3.assign_licenses_bulk(
                ACCOUNT, ids, chunk_size=100, max_workers=4, on_chunk=on_chunk
            )
        result: BulkResult = info.value.bulk_result  # type: ignore[attr-defined]
        assert list(result) == ids  # nothing lost
        assert result.interrupted
        assert sim.assigned(ACCOUNT) == set(result.succeeded)  # in-flight chunks were recorded
        assert result.unknown == {}
        assert 3 <= result.chunks_sent < 20
        assert sim.request_count("/assign", method="POST") == result.chunks_sent
        assert all(not r.invalid for r in result.not_attempted.values())
        assert set(result.retry_ids()) == set(ids) - set(result.succeeded)


def test_refused_credentials_stop_the_run_before_any_post() -> None:
    with (
        Simulator(client_credentials={"sim-client": "right"}) as sim,
        sim.client(client_secret="wrong", max_retries=0) as client,
    ):
        result = client.software_management_licenses_v3.assign_licenses_bulk(
            ACCOUNT, [imei(n) for n in range(500)], chunk_size=10, max_workers=2
        )
        assert sim.request_count("/assign") == 0
        assert result.counts["not_attempted"] == 500
        assert result.stopped is not None
        assert "TokenRequestError" in result.stopped
        assert result.retry_ids() == list(result)


# -- iteration ------------------------------------------------------------------------------------


class WeakSummary(V3LicenseSummary):
    """A V3 page that can be weakly referenced, to watch when it is collected."""

    __slots__ = ("__weakref__",)


def test_iterate_50k_devices_every_one_once_in_order_no_page_retained(
    sim: Simulator, client: VerizonClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = 50_000
    sim.seed(ACCOUNT, pool=60_000, assigned=range(FIRST, FIRST + total))
    # Parse pages into a weakly referenceable subclass, and watch every page fetched.
    endpoint = dataclasses.replace(
        endpoints.V3_GET_ACCOUNT_LICENSES_STATUS, response_model=WeakSummary
    )
    monkeypatch.setattr(endpoints, "V3_GET_ACCOUNT_LICENSES_STATUS", endpoint)
    pages: list[weakref.ref[Any]] = []
    real_fetcher = pagination.page_fetcher

    def watching_fetcher(*args: Any, **kwargs: Any) -> Callable[[str | None], Any]:
        fetch = real_fetcher(*args, **kwargs)

        def watched(cursor: str | None) -> Any:
            assert all(ref() is None for ref in pages), "a page is alive during the next fetch"
            page = fetch(cursor)
            assert isinstance(page, WeakSummary)
            pages.append(weakref.ref(page))
            return page

        return watched

    monkeypatch.setattr(pagination, "page_fetcher", watching_fetcher)

    started = time.perf_counter()
    count = 0
    expected = FIRST
    for device in client.software_management_licenses_v3.iter_account_licenses(ACCOUNT):
        assert device.device_id == f"{expected:015d}"  # every device once, in order
        assert pages[-1]() is None  # the page it came in is already collectable
        expected += 1
        count += 1
    elapsed = time.perf_counter() - started
    assert count == total
    assert len(pages) == 50
    assert elapsed < 20


def test_iterate_pages_exposes_the_summary_counts(sim: Simulator, client: VerizonClient) -> None:
    sim.seed(ACCOUNT, pool=5_000, assigned=range(FIRST, FIRST + 2_500))
    pages = list(client.software_management_licenses_v3.iter_account_licenses(ACCOUNT, pages=True))
    assert [len(p.device_list or []) for p in pages] == [1_000, 1_000, 500]
    assert {(p.total_licenses, p.assigned_licenses) for p in pages} == {(5_000, 2_500)}
    assert [p.has_more_data for p in pages] == [True, True, False]


def test_v2_iterators_against_the_simulator() -> None:
    with Simulator(max_page_size=10) as sim, sim.client(max_retries=0) as client:
        held = [imei(n) for n in range(25)]
        sim.seed(ACCOUNT, pool=100, assigned=held, candidates=held[:23])
        v2 = client.software_management_licenses_v2
        assert [d.device_id for d in v2.iter_account_licenses(ACCOUNT)] == held
        assert [p.total_license for p in v2.iter_account_licenses(ACCOUNT, pages=True)] == [100] * 3
        with pytest.warns(DeprecationWarning, match="iter_licenses_to_remove"):
            candidates = v2.iter_licenses_to_remove(ACCOUNT)
        assert list(candidates) == held[:23]
        assert sim.request_count("/cancel", method="GET") == 3


def test_bulk_outcome_names_are_the_report_names() -> None:
    assert [o.value for o in Outcome] == ["succeeded", "failed", "not_attempted", "unknown"]
