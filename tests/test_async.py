"""AsyncVerizonClient: what the shared end-to-end suites do not show.

Unit tests mock HTTP with httpx's ``MockTransport``; the concurrency and cancellation tests
drive the simulator over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ACCESS_TOKEN, ACCOUNT, API_ROOT, M2M_TOKEN, make_client
from tests.sim_helpers import LOGIN, TOKEN, sim_client
from verizon_sdk import (
    AsyncVerizonClient,
)
from verizon_sdk import _async_transport as async_transport
from verizon_sdk.exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    FotaV3ResultException,
    PaginationError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
)
from verizon_sdk.models import V2LicenseIMEI, V3LicenseIMEI, V3LicenseSummary
from verizon_sdk.simulator import Simulator

V3 = f"{API_ROOT}/fota/v3/licenses/{ACCOUNT}"
DEVICE = "990000000000001"
Handler = Callable[[httpx.Request], httpx.Response]


def page(devices: list[str], more: bool = False, last: str | None = None) -> dict[str, Any]:
    return {
        "accountName": ACCOUNT,
        "hasMoreData": more,
        "lastSeenDeviceId": last if last is not None else (devices[-1] if devices else ""),
        "deviceList": [{"deviceId": d} for d in devices],
    }


class Mock:
    """A MockTransport that answers the token endpoint and records every other request."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.token_requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            self.token_requests += 1
            return httpx.Response(200, json={"access_token": ACCESS_TOKEN, "expires_in": 3600})
        self.requests.append(request)
        return self.handler(request)


def make(mock: Mock, **options: Any) -> AsyncVerizonClient:
    """A client configured as conftest's ``make_client``, sending through ``mock``."""
    with make_client(**options) as sync:
        config = sync.config
    return AsyncVerizonClient(
        configuration=config, http_client=httpx.AsyncClient(transport=httpx.MockTransport(mock))
    )


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def record(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(async_transport, "_sleep", record)
    return recorded


def test_importing_without_httpx_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['httpx'] = None\n"
        "try:\n"
        "    from verizon_sdk import AsyncVerizonClient\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "import verizon_sdk; verizon_sdk.VerizonClient\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert 'pip install "verizon-sdk[async]"' in done.stdout


def test_a_call_sends_the_same_request_as_the_sync_client() -> None:
    mock = Mock(lambda r: httpx.Response(200, json=page([DEVICE])))

    async def main() -> Any:
        async with make(mock) as client:
            return await client.software_management_licenses_v3.get_account_licenses_status(
                ACCOUNT, last_seen_device_id="5"
            )

    summary = asyncio.run(main())
    assert isinstance(summary, V3LicenseSummary)
    assert summary.device_list[0].device_id == DEVICE
    (sent,) = mock.requests
    assert str(sent.url) == f"{V3}?lastSeenDeviceId=5"
    assert sent.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert sent.headers["VZ-M2M-Token"] == M2M_TOKEN
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"].startswith("verizon-sdk/")


def test_raw_response_and_deprecation_warning() -> None:
    result = {"deviceList": [{"deviceId": DEVICE, "status": "Success"}]}
    mock = Mock(lambda r: httpx.Response(200, json=result))

    async def main() -> Any:
        async with make(mock) as client:
            raw_v3 = client.software_management_licenses_v3.with_raw_response
            raw = await raw_v3.get_account_licenses_status(ACCOUNT)
            with pytest.warns(DeprecationWarning, match="V2Controller.assign_licenses_to_devices"):
                pending = client.software_management_licenses_v2.assign_licenses_to_devices(
                    ACCOUNT, V2LicenseIMEI(device_list=[DEVICE])
                )
            return raw, await pending

    raw, assigned = asyncio.run(main())
    assert raw.status_code == 200
    assert raw.request.headers["Authorization"] == "***"
    assert raw.body.device_list[0].device_id == DEVICE
    assert assigned.device_list[0].status == "Success"
    assert json.loads(mock.requests[1].content) == {"deviceList": [DEVICE]}


def test_status_table_and_bad_input() -> None:
    codes = iter([400, 404, 418, 503])
    mock = Mock(lambda r: httpx.Response(next(codes), json={"errorMessage": "no"}))

    async def main() -> list[type[BaseException]]:
        seen: list[type[BaseException]] = []
        async with make(mock) as client:
            v3 = client.software_management_licenses_v3
            for _ in range(4):
                try:
                    await v3.get_account_licenses_status(ACCOUNT)
                except APIStatusError as exc:
                    seen.append(type(exc))
            with pytest.raises(ValidationError):
                await v3.get_account_licenses_status("")
        return seen

    assert asyncio.run(main()) == [
        FotaV3ResultException,
        __import__("verizon_sdk").exceptions.NotFoundError,
        APIStatusError,
        ServerError,
    ]
    assert len(mock.requests) == 4  # the bad account was never sent


def test_retry_policy_get_retried_post_not_and_retry_after(waits: list[float]) -> None:
    answers = iter(
        [
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json=page([DEVICE])),
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "3600"}),
        ]
    )
    mock = Mock(lambda r: next(answers))

    async def main() -> list[Any]:
        async with make(mock, max_retries=3, backoff_factor=0.5) as client:
            v3 = client.software_management_licenses_v3
            out: list[Any] = [await v3.get_account_licenses_status(ACCOUNT)]
            body = V3LicenseIMEI(device_list=[DEVICE])
            for _ in range(2):
                try:
                    await v3.assign_licenses_to_devices(ACCOUNT, body)
                except APIStatusError as exc:
                    out.append(exc)
        return out

    summary, server_error, rate_limited = asyncio.run(main())
    assert isinstance(summary, V3LicenseSummary)
    assert len(waits) == 2 and 0 <= waits[0] <= 0.5 and waits[1] == 2.0
    assert isinstance(server_error, ServerError)  # a POST is not retried on 503
    assert isinstance(rate_limited, RateLimitError) and rate_limited.retry_after == 3600
    assert [r.method for r in mock.requests] == ["GET", "GET", "GET", "POST", "POST"]


def test_connect_failure_retried_even_for_post_read_failure_not(waits: list[float]) -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        if calls["n"] == 2:
            return httpx.Response(200, json={"deviceList": [{"deviceId": DEVICE}]})
        raise httpx.ReadTimeout("slow", request=request)

    mock = Mock(handler)

    async def main() -> Any:
        async with make(mock, max_retries=2) as client:
            v3 = client.software_management_licenses_v3
            body = V3LicenseIMEI(device_list=[DEVICE])
            first = await v3.assign_licenses_to_devices(ACCOUNT, body)
            with pytest.raises(APIConnectionError) as info:
                await v3.assign_licenses_to_devices(ACCOUNT, body)
            return first, info.value

    first, error = asyncio.run(main())
    assert first.device_list[0].device_id == DEVICE
    assert "not retried" in str(error) and "timed out" in str(error)
    assert error.never_sent is False
    assert calls["n"] == 3


def test_no_redirect_followed_and_body_size_limited() -> None:
    answers = iter(
        [
            httpx.Response(302, headers={"Location": "http://elsewhere.test/"}),
            httpx.Response(200, content=b"{" + b" " * 1000 + b"}"),
        ]
    )
    mock = Mock(lambda r: next(answers))

    async def main() -> list[BaseException]:
        errors: list[BaseException] = []
        async with make(mock, max_response_bytes=500) as client:
            for _ in range(2):
                try:
                    await client.software_management_licenses_v3.get_account_licenses_status(
                        ACCOUNT
                    )
                except Exception as exc:
                    errors.append(exc)
        return errors

    redirect, too_big = asyncio.run(main())
    assert isinstance(redirect, APIStatusError) and redirect.response_code == 302
    assert isinstance(too_big, ResponseTooLargeError) and too_big.limit == 500
    assert [r.url.host for r in mock.requests] == ["api.test", "api.test"]


def test_async_iterator_pages_and_cursor_guard() -> None:
    pages = {
        "0": page(["990000000000001", "990000000000002"], more=True),
        "990000000000002": page(["990000000000003"], more=True, last="990000000000001"),
    }
    mock = Mock(lambda r: httpx.Response(200, json=pages[r.url.params["lastSeenDeviceId"]]))

    async def main() -> tuple[list[str], PaginationError]:
        seen: list[str] = []
        async with make(mock) as client:
            devices = client.software_management_licenses_v3.iter_account_licenses(ACCOUNT)
            try:
                async for device in devices:
                    seen.append(device.device_id)
            except PaginationError as exc:
                return seen, exc
        raise AssertionError("no PaginationError")

    seen, error = asyncio.run(main())
    assert seen == ["990000000000001", "990000000000002"]  # the bad page yields nothing
    assert "goes backwards" in str(error) and error.page_number == 2


def test_client_options_and_misuse() -> None:
    with pytest.raises(ConfigurationError, match=r"httpx\.AsyncClient"):
        AsyncVerizonClient(http_client=object())  # type: ignore[arg-type]
    mock = Mock(lambda r: httpx.Response(200, json=page([])))
    client = make(mock)
    with pytest.raises(TypeError, match="aclose"):
        client.close()
    with pytest.raises(TypeError, match="async with"), client:
        pass
    clone = client.clone_with(max_retries=5)
    assert isinstance(clone, AsyncVerizonClient) and clone.config.max_retries == 5
    assert repr(clone).startswith("AsyncVerizonClient(")

    async def close() -> None:
        await clone.aclose()
        await client.aclose()

    asyncio.run(close())


# -- against the simulator -------------------------------------------------------------------

TASKS = 500


@pytest.mark.parametrize("session", [True, False], ids=["session-login", "static-m2m-token"])
def test_500_tasks_on_a_cold_client_one_fetch_per_expiry(session: bool) -> None:
    """Three waves of 500 concurrent calls; tokens expire halfway through each wave."""
    waves = 3
    with Simulator() as sim:
        config = sim_client(sim, session=session, pool_maxsize=20).config

        async def main() -> list[Any]:
            results: list[Any] = []
            async with AsyncVerizonClient(configuration=config) as client:
                v3 = client.software_management_licenses_v3
                for wave in range(waves):
                    done = 0

                    async def call(task: int, wave: int = wave) -> Any:
                        nonlocal done
                        if task % 10 == 0:  # a POST now and then: never lost, never repeated
                            body = V3LicenseIMEI(device_list=[f"99{wave:03d}{task:010d}"])
                            answer = await v3.assign_licenses_to_devices(ACCOUNT, body)
                        else:
                            answer = await v3.get_account_licenses_status(ACCOUNT)
                        done += 1
                        if done == TASKS // 2:
                            sim.expire_tokens()
                        return answer

                    results += await asyncio.gather(*(call(t) for t in range(TASKS)))
            return results

        results = asyncio.run(main())
        assert len(results) == TASKS * waves
        # the cold start, then one per expiry: never one per task
        assert sim.request_count(TOKEN) == 1 + waves
        assert sim.request_count(LOGIN) == (1 + waves if session else 0)
        expected = {f"99{w:03d}{t:010d}" for w in range(waves) for t in range(0, TASKS, 10)}
        assert sim.assigned(ACCOUNT) == expected


def test_cancelled_bulk_run_accounts_for_every_id_once() -> None:
    ids = [f"99{n:013d}" for n in range(5000)]
    with Simulator(pool_size=10_000, latency=0.02) as sim:
        config = sim_client(sim, pool_maxsize=4).config
        events: list[Any] = []

        async def main() -> BaseException:
            async with AsyncVerizonClient(configuration=config) as client:
                v3 = client.software_management_licenses_v3
                run = asyncio.ensure_future(
                    v3.assign_licenses_bulk(
                        ACCOUNT, ids, chunk_size=100, max_workers=4, on_chunk=events.append
                    )
                )
                while len(events) < 5:
                    await asyncio.sleep(0.01)
                run.cancel()
                with pytest.raises(asyncio.CancelledError) as info:
                    await run
                return info.value

        cancelled = asyncio.run(main())
        result = cancelled.bulk_result  # type: ignore[attr-defined]
        assert result.stopped and "CancelledError" in result.stopped
        counts = result.counts
        assert sum(counts.values()) == len(ids)  # every id exactly once
        assert sorted(d for d, _ in result.items()) == sorted(ids)
        assert 0 < counts["succeeded"] < len(ids)
        assert counts["not_attempted"] > 0
        assert counts["unknown"] == 0  # chunks in flight were awaited and recorded
        assert set(result.succeeded) == sim.assigned(ACCOUNT)


async def _ids(values: list[str]) -> AsyncIterator[str]:
    for value in values:
        yield value


def test_bulk_takes_an_async_iterable_and_reconciles(waits: list[float]) -> None:
    ids = [f"99{n:013d}" for n in range(30)]
    with Simulator() as sim:
        config = sim_client(sim).config

        async def main() -> Any:
            async with AsyncVerizonClient(configuration=config) as client:
                v3 = client.software_management_licenses_v3
                first = await v3.assign_licenses_bulk(ACCOUNT, _ids(ids), chunk_size=7)
                again = await v3.remove_licenses_bulk(ACCOUNT, ids[:10], chunk_size=5)
                return first, again

        first, again = asyncio.run(main())
    assert len(first.succeeded) == 30 and first.chunks_sent == 5
    assert len(again.succeeded) == 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert first.action == "assign"


@pytest.mark.parametrize("where", ["data", "error", "token"])
def test_a_body_past_max_response_bytes_is_response_too_large(where: str) -> None:
    big = json.dumps({"access_token": "x" * 5000, "expires_in": 3600, "hasMoreData": False})

    def answer(request: httpx.Request) -> httpx.Response:
        token = request.url.path.endswith("/oauth2/token")
        if token != (where == "token"):
            fine = {"access_token": ACCESS_TOKEN, "expires_in": 3600} if token else page([])
            return httpx.Response(200, json=fine)
        return httpx.Response(500 if where == "error" else 200, content=big.encode())

    with make_client(max_response_bytes=4096) as sync:
        config = sync.config
    client = AsyncVerizonClient(
        configuration=config,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
    )

    async def main() -> None:
        async with client:
            await client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)

    with pytest.raises(ResponseTooLargeError) as info:
        asyncio.run(main())
    assert info.value.limit == 4096
    assert "larger than max_response_bytes (4096 bytes" in str(info.value)


def test_a_body_within_max_response_bytes_is_read_whole() -> None:
    body = json.dumps({**page([DEVICE]), "pad": "y" * 3000}).encode()
    mock = Mock(lambda _: httpx.Response(200, content=body))

    async def main() -> V3LicenseSummary:
        async with make(mock, max_response_bytes=len(body)) as client:
            return await client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)

    assert asyncio.run(main()).device_list[0].device_id == DEVICE


def test_a_trickling_body_is_cut_at_the_attempt_deadline() -> None:
    sent = {"chunks": 0}

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"deviceList": ['
        for _ in range(200):  # 4 s in all, far past the 0.2 s deadline
            sent["chunks"] += 1
            await asyncio.sleep(0.02)
            yield b" "
        yield b"]}"

    mock = Mock(lambda _: httpx.Response(200, content=trickle()))

    async def main() -> None:
        async with make(mock, timeout=0.1, max_retries=0) as client:
            await client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)

    with pytest.raises(APITimeoutError) as info:
        asyncio.run(main())
    assert "timed out" in str(info.value)
    assert sent["chunks"] < 200
    assert len(mock.requests) == 1


def _bulk_client(handler: Callable[[httpx.Request], Any]) -> AsyncVerizonClient:
    """A client whose licenses requests go to the async ``handler`` (tokens answered here)."""

    async def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": ACCESS_TOKEN, "expires_in": 3600})
        response: httpx.Response = await handler(request)
        return response

    with make_client() as sync:
        config = sync.config
    return AsyncVerizonClient(
        configuration=config, http_client=httpx.AsyncClient(transport=httpx.MockTransport(answer))
    )


def _assigned(request: httpx.Request) -> httpx.Response:
    ids = json.loads(request.content)["deviceList"]
    return httpx.Response(
        200, json={"deviceList": [{"deviceId": d, "status": "Success"} for d in ids]}
    )


def test_a_finished_request_frees_its_slot_before_its_answer_is_recorded() -> None:
    ids = [f"99{n:013d}" for n in range(6)]
    posted: list[str] = []
    sending = {"now": 0, "most": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content)["deviceList"][0])
        sending["now"] += 1
        sending["most"] = max(sending["most"], sending["now"])
        await asyncio.sleep(0.001)
        sending["now"] -= 1
        return _assigned(request)

    posted_when_recorded: list[int] = []

    async def main() -> Any:
        async with _bulk_client(handler) as client:
            return await client.software_management_licenses_v3.assign_licenses_bulk(
                ACCOUNT,
                ids,
                chunk_size=1,
                max_workers=2,
                on_chunk=lambda event: posted_when_recorded.append(len(posted)),
            )

    result = asyncio.run(main())
    assert len(result.succeeded) == 6 and sorted(posted) == ids
    assert sending["most"] == 2  # never more requests at once than max_workers
    # each answer was recorded after the chunk handed over next had taken the freed slot
    assert len(posted_when_recorded) == 6
    assert all(n >= min(i + 3, 6) for i, n in enumerate(posted_when_recorded))


def test_cancelling_a_run_never_sends_the_chunks_waiting_for_a_slot() -> None:
    ids = [f"99{n:013d}" for n in range(4)]
    posted: list[str] = []
    entered = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content)["deviceList"][0])
        entered.set()
        await asyncio.sleep(0.05)
        return _assigned(request)

    async def main() -> BaseException:
        async with _bulk_client(handler) as client:
            run = asyncio.ensure_future(
                client.software_management_licenses_v3.assign_licenses_bulk(
                    ACCOUNT, ids, chunk_size=1, max_workers=1
                )
            )
            await entered.wait()
            run.cancel()
            with pytest.raises(asyncio.CancelledError) as info:
                await run
            return info.value

    result = asyncio.run(main()).bulk_result  # type: ignore[attr-defined]
    assert posted == ids[:1]  # chunk 1 was handed over, waiting for the slot: never sent
    assert list(result.succeeded) == ids[:1]  # the chunk sending was awaited and recorded
    assert result.counts["not_attempted"] == 3 and result.chunks_sent == 1


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("application/json", '{"a": "é"}'.encode(), '{"a": "é"}'),
        ("application/json; charset=latin-1", '{"a": "é"}'.encode("latin-1"), '{"a": "é"}'),
        ("application/json; charset=no-such-codec", '{"a": "é"}'.encode(), '{"a": "é"}'),
    ],
)
def test_the_body_is_decoded_by_its_charset_else_utf8(
    content_type: str, body: bytes, text: str
) -> None:
    mock = Mock(lambda _: httpx.Response(200, content=body, headers={"Content-Type": content_type}))

    async def main() -> Any:
        async with make(mock) as client:
            v3 = client.software_management_licenses_v3.with_raw_response
            with pytest.raises(UnexpectedResponseError) as info:  # no V3 field in the body
                await v3.get_account_licenses_status(ACCOUNT)
            return info.value

    error = asyncio.run(main())
    assert error.response.text == text


def test_a_client_the_sdk_builds_sends_the_same_headers() -> None:
    with Simulator() as sim:
        config = sim_client(sim).config

        async def main() -> None:
            async with AsyncVerizonClient(configuration=config) as client:
                v3 = client.software_management_licenses_v3
                await v3.get_account_licenses_status(ACCOUNT)
                await v3.assign_licenses_to_devices(ACCOUNT, V3LicenseIMEI(device_list=[DEVICE]))

        asyncio.run(main())
        token, status, assign = sim.requests()[-3:]
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert b"grant_type=client_credentials" in token.raw_body
    for sent in (status, assign):
        assert sent.headers["content-type"] == "application/json"
        assert sent.headers["accept"] == "application/json"
        assert sent.headers["user-agent"].startswith("verizon-sdk/")
        assert sent.headers["authorization"].startswith("Bearer ")
    assert json.loads(assign.raw_body) == {"deviceList": [DEVICE]}


@settings(max_examples=100, deadline=None)
@given(cursor=st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=12))
def test_a_request_url_is_the_one_httpx_builds_from_params(cursor: str) -> None:
    client = AsyncVerizonClient(
        configuration=make_client().config,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(500))),
    )
    pipeline = client._pipeline
    query = {"lastSeenDeviceId": cursor, "startIndex": "7"}
    expected = httpx.AsyncClient().build_request("GET", V3, params=query).url
    assert pipeline._target(V3, query) == expected
    assert str(pipeline._target(V3, query)) == str(expected)
    assert pipeline._target(V3, {}) == httpx.URL(V3)


def test_the_parsed_urls_are_bounded() -> None:
    client = AsyncVerizonClient(configuration=make_client().config)
    pipeline = client._pipeline
    for n in range(600):
        pipeline._target(V3, {"lastSeenDeviceId": str(n)})
    assert 0 < len(pipeline._urls) <= 256
