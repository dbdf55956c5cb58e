"""Bulk assign and remove (``verizon_sdk.bulk``) against a mocked HTTP layer."""

from __future__ import annotations

import asyncio
import bisect
import csv
import inspect
import io
import json
import logging
import pydoc
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

from tests.conftest import ACCOUNT, V3, api_calls, make_client, sent_json
from verizon_sdk import AsyncVerizonClient, VerizonClient
from verizon_sdk.bulk import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_WORKERS,
    BulkOptions,
    BulkResult,
    ChunkEvent,
    DeviceResult,
    Outcome,
    read_device_ids,
)
from verizon_sdk.controllers import SoftwareManagementLicensesV3Controller
from verizon_sdk.controllers._async import (
    AsyncSoftwareManagementLicensesV3Controller as AsyncV3Controller,
)
from verizon_sdk.exceptions import InvalidTypeError, ValidationError

ASSIGN_URL = f"{V3}/licenses/{ACCOUNT}/assign"
REMOVE_URL = f"{V3}/licenses/{ACCOUNT}/remove"
STATUS_URL = f"{V3}/licenses/{ACCOUNT}"
JSON = {"Content-Type": "application/json"}

Answer = tuple[str, str]
SUCCESS: Answer = ("Success", "Success")


def imei(n: int) -> str:
    return f"{990000000000000 + n:015d}"


def ids_of(count: int, start: int = 0) -> list[str]:
    return [imei(n) for n in range(start, start + count)]


def answering(
    table: dict[str, Answer] | None = None, *, omit: tuple[str, ...] = ()
) -> Callable[[Any], tuple[int, dict[str, str], str]]:
    """An assign/remove callback: each listed device gets ``table[id]`` (default Success)."""
    table = table or {}

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        devices = json.loads(request.body)["deviceList"]
        items = [
            {
                "deviceId": d,
                "status": table.get(d, SUCCESS)[0],
                "resultReason": table.get(d, SUCCESS)[1],
            }
            for d in devices
            if d not in omit
        ]
        body = {"accountName": ACCOUNT, "licCount": 100, "licUsedCount": 1, "deviceList": items}
        return 200, JSON, json.dumps(body)

    return callback


def listing(
    licensed: list[str], page_size: int = 3
) -> Callable[[Any], tuple[int, dict[str, str], str]]:
    """A status callback paging over ``licensed`` like the service (string order)."""
    ordered = sorted(licensed)

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        values = parse_qs(urlsplit(request.url).query).get("lastSeenDeviceId")
        start = bisect.bisect_right(ordered, values[0]) if values else 0
        page = ordered[start : start + page_size]
        body = {
            "accountName": ACCOUNT,
            "totalLicenses": 1000,
            "assignedLicenses": len(ordered),
            "hasMoreData": start + len(page) < len(ordered),
            "lastSeenDeviceId": page[-1] if page else (values[0] if values else "0"),
            "maxPageSize": page_size,
            "deviceList": [{"deviceId": d, "assignmentTime": "2024-01-02T03:04:05Z"} for d in page],
        }
        return 200, JSON, json.dumps(body)

    return callback


def posts(mocked: responses.RequestsMock) -> list[list[str]]:
    return [sent_json(c)["deviceList"] for c in api_calls(mocked) if c.request.method == "POST"]


def gets(mocked: responses.RequestsMock) -> list[str | None]:
    out: list[str | None] = []
    for call in api_calls(mocked):
        if call.request.method == "GET":
            values = parse_qs(urlsplit(call.request.url).query).get("lastSeenDeviceId")
            out.append(values[0] if values else None)
    return out


def assign(client: VerizonClient, ids: Any, **options: Any) -> BulkResult:
    return client.software_management_licenses_v3.assign_licenses_bulk(ACCOUNT, ids, **options)


def remove(client: VerizonClient, ids: Any, **options: Any) -> BulkResult:
    return client.software_management_licenses_v3.remove_licenses_bulk(ACCOUNT, ids, **options)


def outcomes(result: BulkResult) -> dict[str, str]:
    return {d: r.outcome.value for d, r in result.items()}


# -- reading the input ----------------------------------------------------------------------------


def test_read_device_ids_collapses_duplicates_and_keeps_order() -> None:
    result = BulkResult("assign", ACCOUNT)
    valid = read_device_ids(iter(["b", "a", "b", " c", "a", "b", " c"]), result)
    assert valid == ["b", "a"]
    assert list(result) == ["b", "a", " c"]  # every distinct id, in input order
    assert result.duplicates == {"b": 3, "a": 2, " c": 2}
    assert result.input_count == 7
    assert result[" c"].invalid
    assert result[" c"].outcome is Outcome.NOT_ATTEMPTED
    assert "surrounding whitespace" in (result[" c"].error or "")


def test_assign_bulk_reports_invalid_ids_and_sends_the_rest(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())
    result = assign(client, ["990000000000001", "", "x" * 65, "990000000000002"])
    assert posts(mocked) == [["990000000000001", "990000000000002"]]
    assert outcomes(result) == {
        "990000000000001": "succeeded",
        "": "not_attempted",
        "x" * 65: "not_attempted",
        "990000000000002": "succeeded",
    }
    assert result[""].error is not None
    assert result[""].error.startswith("invalid: device_ids[1]")
    assert result[""].chunk is None
    assert result.retry_ids() == []  # an invalid id is not worth sending again


def test_assign_bulk_strict_raises_before_sending(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    with pytest.raises(ValidationError, match=r"2 invalid device id\(s\), nothing was sent"):
        assign(client, [imei(1), "bad\tid", imei(2), ""], strict=True)
    assert api_calls(mocked) == []


@pytest.mark.parametrize(
    ("device_ids", "parameter"),
    [
        ("990000000000001", "device_ids"),  # one string is not a list of ids
        (b"990000000000001", "device_ids"),
        (None, "device_ids"),
        ([imei(1), 990000000000002], "device_ids[1]"),  # an int is not an id
    ],
)
def test_assign_bulk_wrong_input_types_raise_before_sending(
    client: VerizonClient, mocked: responses.RequestsMock, device_ids: Any, parameter: str
) -> None:
    with pytest.raises(InvalidTypeError) as info:
        assign(client, device_ids)
    assert info.value.parameter == parameter
    assert api_calls(mocked) == []


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": 10_001}, "chunk_size"),
        ({"chunk_size": True}, "chunk_size"),
        ({"chunk_size": 1.5}, "chunk_size"),
        ({"max_workers": 0}, "max_workers"),
        ({"max_workers": "8"}, "max_workers"),
    ],
)
def test_assign_bulk_bad_options_raise_before_sending(
    client: VerizonClient, mocked: responses.RequestsMock, options: dict[str, Any], parameter: str
) -> None:
    with pytest.raises(ValidationError) as info:
        assign(client, [imei(1)], **options)
    assert info.value.parameter == parameter
    assert api_calls(mocked) == []


def test_assign_bulk_non_callable_on_chunk_raises_before_sending(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    with pytest.raises(InvalidTypeError) as info:
        assign(client, [imei(1)], on_chunk=5)
    assert info.value.parameter == "on_chunk"
    assert api_calls(mocked) == []


@pytest.mark.parametrize("method", ["assign_licenses_bulk", "remove_licenses_bulk"])
def test_bulk_option_typo_names_the_method_and_suggests(
    client: VerizonClient, mocked: responses.RequestsMock, method: str
) -> None:
    controller = client.software_management_licenses_v3
    with pytest.raises(TypeError, match=rf"{method}\(\) got an unexpected keyword argument "
                       r"'chunksize' \(did you mean 'chunk_size'\?\)"):  # fmt: skip
        getattr(controller, method)(ACCOUNT, [imei(1)], chunksize=10)
    with pytest.raises(TypeError, match=r"argument 'colour'$"):
        getattr(controller, method)(ACCOUNT, [imei(1)], colour=1)
    assert api_calls(mocked) == []


BULK_METHOD_CLASSES = [SoftwareManagementLicensesV3Controller, AsyncV3Controller]
OPTION_DEFAULTS = {
    "chunk_size": DEFAULT_CHUNK_SIZE,
    "max_workers": DEFAULT_MAX_WORKERS,
    "reconcile": True,
    "stop_on_error": False,
    "strict": False,
    "progress": False,
    "on_chunk": None,
    "journal": None,
}


@pytest.mark.parametrize("cls", BULK_METHOD_CLASSES, ids=["sync", "async"])
@pytest.mark.parametrize("method", ["assign_licenses_bulk", "remove_licenses_bulk"])
def test_bulk_signature_lists_every_option_keyword_only_with_its_default(
    cls: type, method: str
) -> None:
    function = getattr(cls, method)
    parameters = inspect.signature(function).parameters
    assert list(parameters)[:3] == ["self", "acc", "device_ids"]
    options = {name: p.default for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY}
    assert options == OPTION_DEFAULTS
    assert set(options) == set(BulkOptions.__annotations__)  # the typed spelling agrees
    assert not any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    text = pydoc.render_doc(function, renderer=pydoc.plaintext)
    assert "Unpack" not in text and "**options" not in text
    assert "chunk_size: 'int' = 1000" in text and "journal: " in text
    assert inspect.iscoroutinefunction(function) is (cls is AsyncV3Controller)


@pytest.mark.parametrize("method", ["assign_licenses_bulk", "remove_licenses_bulk"])
def test_async_bulk_option_typo_names_the_method_and_suggests(method: str) -> None:
    async def call() -> None:
        async with AsyncVerizonClient(configuration=make_client().config) as client:
            controller = client.software_management_licenses_v3
            await getattr(controller, method)(ACCOUNT, [imei(1)], max_worker=2)

    with pytest.raises(TypeError, match=rf"{method}\(\) got an unexpected keyword argument "
                       r"'max_worker' \(did you mean 'max_workers'\?\)"):  # fmt: skip
        asyncio.run(call())


def test_bulk_defaults_reach_the_run(client: VerizonClient, mocked: responses.RequestsMock) -> None:
    # no options given: chunk_size defaults to 1000, so 1001 ids go in two requests
    mocked.add(responses.POST, ASSIGN_URL, json=[], headers=JSON)
    mocked.add(responses.GET, STATUS_URL, json={"deviceList": [], "hasMoreData": False})
    result = client.software_management_licenses_v3.assign_licenses_bulk(ACCOUNT, ids_of(1001))
    posts = [c for c in api_calls(mocked) if c.request.method == "POST"]
    # the two chunks are in flight at once: either may reach the server first
    assert sorted(len(sent_json(call)["deviceList"]) for call in posts) == [1, DEFAULT_CHUNK_SIZE]
    assert result.chunks_sent == 2


def test_assign_bulk_bad_account_raises_before_reading(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    def never() -> Iterator[str]:
        raise AssertionError("the input was read")
        yield ""

    controller = client.software_management_licenses_v3
    with pytest.raises(ValidationError, match="acc"):
        controller.assign_licenses_bulk("bad account!", never())
    assert api_calls(mocked) == []


def test_assign_bulk_empty_input_sends_nothing(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    result = assign(client, [])
    assert len(result) == 0
    assert result.ok
    assert api_calls(mocked) == []
    assert repr(result) == (
        f"BulkResult(assign {ACCOUNT}: 0 ids, 0 succeeded, 0 failed, 0 not_attempted, 0 unknown)"
    )


# -- chunks and per-device outcomes ---------------------------------------------------------------


def test_assign_bulk_streams_a_generator_in_chunks(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())
    ids = ids_of(25)
    result = assign(client, (d for d in ids), chunk_size=10, max_workers=3)
    sent = posts(mocked)
    assert sorted(len(chunk) for chunk in sent) == [5, 10, 10]
    assert sorted(d for chunk in sent for d in chunk) == ids
    assert list(result.succeeded) == ids
    assert result.ok
    assert result.chunks_sent == 3
    assert [result[d].chunk for d in (ids[0], ids[10], ids[24])] == [0, 1, 2]


def test_assign_bulk_per_device_statuses(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    ids = ids_of(6)
    table = {
        ids[1]: ("LicenseAssignSuccess", "Assigned"),
        ids[2]: ("Failure", "Device does not exist."),
        ids[3]: ("Failure", "Device license preexisting"),  # already holds one: done
        ids[4]: ("failure", "No license available"),
        ids[5]: ("UpgradePending", "Upgrade pending"),  # a status the SDK does not know
    }
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering(table))
    result = assign(client, ids, reconcile=False)
    assert outcomes(result) == {
        ids[0]: "succeeded",
        ids[1]: "succeeded",
        ids[2]: "failed",
        ids[3]: "succeeded",
        ids[4]: "failed",
        ids[5]: "unknown",  # not judged: without reconciliation it stays unknown (issue 10.7)
    }
    assert result[ids[2]] == DeviceResult(
        Outcome.FAILED, "Failure", "Device does not exist.", chunk=0
    )
    assert result[ids[3]].reason == "Device license preexisting"
    assert result[ids[5]].status == "UpgradePending"
    assert result[ids[5]].error == "status 'UpgradePending' is not one the SDK knows"
    assert result.failed_ids() == [ids[2], ids[4]]
    assert result.retry_ids() == [ids[5]]  # failed ids got a definite answer; ids[5] did not
    assert not result.ok


def test_remove_bulk_no_license_attached_counts_as_done(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    ids = ids_of(3)
    table = {
        ids[1]: ("Failure", "No license attached to device"),
        ids[2]: ("Failure", "Device license preexisting"),  # an assign reason: not for remove
    }
    mocked.add_callback(responses.POST, REMOVE_URL, callback=answering(table))
    result = remove(client, ids, reconcile=False)
    assert outcomes(result) == {ids[0]: "succeeded", ids[1]: "succeeded", ids[2]: "failed"}
    assert result.action == "remove"


def test_assign_bulk_device_missing_from_answer_is_unknown(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    ids = ids_of(3)
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering(omit=(ids[1],)))
    result = assign(client, ids, reconcile=False)
    assert outcomes(result) == {ids[0]: "succeeded", ids[1]: "unknown", ids[2]: "succeeded"}
    assert result[ids[1]].error == "the answer does not mention this device"
    assert result.retry_ids() == [ids[1]]


def test_assign_bulk_device_listed_twice_with_different_outcomes_is_unknown(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    ids = ids_of(2)
    items = [
        {"deviceId": ids[0], "status": "Success", "resultReason": "Success"},
        {"deviceId": ids[0], "status": "Failure", "resultReason": "Device does not exist."},
        {"deviceId": ids[1], "status": "Success", "resultReason": "Success"},
        {"deviceId": ids[1], "status": "Success", "resultReason": "Success"},
        {"deviceId": "990000000009999", "status": "Success"},  # not asked for: ignored
    ]
    mocked.post(ASSIGN_URL, json={"accountName": ACCOUNT, "deviceList": items})
    result = assign(client, ids, reconcile=False)
    assert outcomes(result) == {ids[0]: "unknown", ids[1]: "succeeded"}
    assert len(result) == 2


def test_assign_bulk_odd_answer_shapes_never_crash(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    ids = ids_of(3)
    items = [
        {"deviceId": int(ids[0]), "status": "Success"},  # a number is not our id
        {"deviceId": ids[1], "status": ["Success"], "resultReason": {"why": 1}},
        {"deviceId": ids[2], "status": None, "resultReason": "Device license preexisting"},
    ]
    mocked.post(ASSIGN_URL, json={"accountName": ACCOUNT, "deviceList": items})
    result = assign(client, ids, reconcile=False)
    # a status the SDK does not know is not judged: unknown, never failed (issue 10 item 7)
    assert outcomes(result) == {ids[0]: "unknown", ids[1]: "unknown", ids[2]: "succeeded"}
    assert result[ids[1]].status == '["Success"]'
    assert result[ids[1]].reason == '{"why": 1}'


def test_success_records_are_shared_within_a_chunk(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())
    ids = ids_of(4)
    result = assign(client, ids, chunk_size=2, max_workers=1)
    assert result[ids[0]] is result[ids[1]]
    assert result[ids[0]] is not result[ids[2]]  # another chunk


# -- a chunk that fails as a whole --------------------------------------------------------------


def connect_refused() -> Exception:
    reason = NewConnectionError(None, "Failed to establish a new connection: refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, ASSIGN_URL, reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "expected", "error"),
    [
        ({"status": 400, "json": {"errorCode": "INVALID_PARAMETER"}}, "not_attempted", "FotaV3"),
        ({"status": 429}, "not_attempted", "RateLimitError"),
        ({"status": 409}, "not_attempted", "APIStatusError"),
        ({"status": 500}, "unknown", "ServerError"),
        ({"status": 503}, "unknown", "ServerError"),
        ({"status": 302}, "unknown", "APIStatusError"),
        ({"body": "<html>oops</html>", "content_type": "text/html"}, "unknown", "Unexpected"),
        ({"body": requests.ReadTimeout("read timed out")}, "unknown", "APITimeoutError"),
        ({"body": requests.ConnectionError("Connection aborted.")}, "unknown", "APIConnection"),
        ({"body": requests.ConnectTimeout("connect timed out")}, "not_attempted", "APITimeout"),
        ({"body": connect_refused()}, "not_attempted", "APIConnectionError"),
    ],
)
def test_assign_bulk_chunk_errors(
    client: VerizonClient,
    mocked: responses.RequestsMock,
    answer: dict[str, Any],
    expected: str,
    error: str,
) -> None:
    mocked.add(responses.POST, ASSIGN_URL, **answer)
    ids = ids_of(2)
    result = assign(client, ids, reconcile=False)
    assert outcomes(result) == dict.fromkeys(ids, expected)
    assert (result[ids[0]].error or "").startswith(error)
    assert result.retry_ids() == ids
    assert len(posts(mocked)) == 1  # never re-sent by the bulk layer


@pytest.mark.parametrize("status", [401, 403, 404])
def test_assign_bulk_stops_on_an_error_every_chunk_would_meet(
    client: VerizonClient, mocked: responses.RequestsMock, status: int
) -> None:
    mocked.add(responses.POST, ASSIGN_URL, status=status)
    ids = ids_of(10)
    result = assign(client, ids, chunk_size=2, max_workers=1)
    sent = {tuple(chunk) for chunk in posts(mocked)}  # a 401 is replayed once, after a refresh
    assert len(sent) <= 2  # the chunks already queued, then nothing more
    assert set(outcomes(result).values()) == {"not_attempted"}
    assert result.stopped is not None
    assert "which every later chunk would meet" in result.stopped
    assert (result[ids[-1]].error or "").startswith("not sent: chunk 0 failed with")
    assert "stopped early" in repr(result)


@pytest.mark.parametrize("message", ["Invalid account name format", "Inactive account"])
def test_assign_bulk_stops_on_a_400_about_the_account(
    client: VerizonClient, mocked: responses.RequestsMock, message: str
) -> None:
    body = {"errorCode": "INVALID_PARAMETER", "errorMessage": message}
    mocked.add(responses.POST, ASSIGN_URL, status=400, json=body)
    result = assign(client, ids_of(10), chunk_size=2, max_workers=1)
    assert len(posts(mocked)) <= 2
    assert set(outcomes(result).values()) == {"not_attempted"}
    assert result.stopped is not None
    assert message in result.stopped


def test_assign_bulk_other_400_does_not_stop_the_run(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    body = {"errorCode": "INVALID_PARAMETER", "errorMessage": "Device list is empty"}
    mocked.add(responses.POST, ASSIGN_URL, status=400, json=body)
    result = assign(client, ids_of(6), chunk_size=2, max_workers=1)
    assert len(posts(mocked)) == 3
    assert result.stopped is None


def test_assign_bulk_token_failure_stops_the_run(mocked: responses.RequestsMock) -> None:
    mocked.replace(responses.POST, "http://api.test/api/ts/v1/oauth2/token", status=401)
    with make_client() as client:
        result = assign(client, ids_of(6), chunk_size=1, max_workers=1)
    assert posts(mocked) == []
    assert set(outcomes(result).values()) == {"not_attempted"}
    assert result.stopped is not None
    assert "TokenRequestError" in result.stopped


def test_assign_bulk_token_outage_is_not_attempted_and_does_not_stop(
    mocked: responses.RequestsMock,
) -> None:
    token = "http://api.test/api/ts/v1/oauth2/token"
    mocked.replace(responses.POST, token, status=503)
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())
    with make_client() as client:
        result = assign(client, ids_of(4), chunk_size=1, max_workers=1, reconcile=False)
    assert posts(mocked) == []  # no licenses POST ever left: the token never came
    assert set(outcomes(result).values()) == {"not_attempted"}
    assert result.stopped is None  # an outage may pass: every chunk was still tried
    assert len([c for c in mocked.calls if c.request.url == token]) == 4


@pytest.mark.parametrize(
    "failure",
    [requests.ConnectionError("reset"), requests.ReadTimeout("slow"), 429, 408],
    ids=["dropped", "timeout", "429", "408"],
)
def test_assign_bulk_token_step_failures_are_not_attempted(
    mocked: responses.RequestsMock, failure: Any
) -> None:
    token = "http://api.test/api/ts/v1/oauth2/token"
    if isinstance(failure, int):
        mocked.replace(responses.POST, token, status=failure)
    else:
        mocked.replace(responses.POST, token, body=failure)
    with make_client() as client:
        result = assign(client, ids_of(3), chunk_size=1, max_workers=1, reconcile=False)
    assert posts(mocked) == []
    assert set(outcomes(result).values()) == {"not_attempted"}  # the POST never left
    assert result.stopped is None  # a passing outage does not stop the run


def test_assign_bulk_stops_when_still_rate_limited_and_keeps_the_wait(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, ASSIGN_URL, status=429, json={}, headers={"Retry-After": "600"})
    result = assign(client, ids_of(10), chunk_size=2, max_workers=1)
    assert len(posts(mocked)) <= 2  # not one POST per chunk
    assert result.stopped is not None
    assert "RateLimitError" in result.stopped
    assert result.retry_after == 600.0
    assert result.summary()["retry_after"] == 600.0
    assert set(outcomes(result).values()) == {"not_attempted"}


def test_assign_bulk_stop_on_error(client: VerizonClient, mocked: responses.RequestsMock) -> None:
    ids = ids_of(8)
    table = {ids[3]: ("Failure", "Device does not exist.")}
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering(table))
    result = assign(client, ids, chunk_size=2, max_workers=1, stop_on_error=True)
    # chunk 1 (ids 2-3) fails. Chunk 2 was queued (2 per worker): whether the worker picked it
    # up before the stop cancelled it is a race, so it is sent (and succeeds) or is not
    # attempted; chunk 3 and later are never sent.
    sent = len(posts(mocked))
    assert sent in (2, 3)
    succeeded = 3 + 2 * (sent - 2)
    assert result.counts == {
        "succeeded": succeeded,
        "failed": 1,
        "not_attempted": 8 - 1 - succeeded,
        "unknown": 0,
    }
    assert result.stopped == "chunk 1 did not fully succeed (stop_on_error=True)"
    assert result[ids[7]].error == f"not sent: {result.stopped}"
    assert result[ids[7]].chunk == 3
    assert result.retry_ids() == ids[2 * sent :]


def test_assign_bulk_without_stop_on_error_sends_every_chunk(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, ASSIGN_URL, status=400)
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())
    result = assign(client, ids_of(6), chunk_size=2, max_workers=1)
    assert len(posts(mocked)) == 3
    assert result.counts == {"succeeded": 4, "failed": 0, "not_attempted": 2, "unknown": 0}
    assert result.stopped is None


# -- reconciliation -------------------------------------------------------------------------------


def test_reconcile_settles_unknown_ids_from_the_license_list(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    ids = ids_of(4)
    # the first chunk was applied but its answer was lost; the second was not applied
    mocked.add(responses.POST, ASSIGN_URL, body=requests.ConnectionError("Connection aborted."))
    mocked.add(responses.POST, ASSIGN_URL, status=503)
    licensed = [imei(100), ids[0], ids[1], imei(200)]
    mocked.add_callback(responses.GET, STATUS_URL, callback=listing(licensed))
    result = assign(client, ids, chunk_size=2, max_workers=1)
    assert outcomes(result) == {
        ids[0]: "succeeded",
        ids[1]: "succeeded",
        ids[2]: "not_attempted",
        ids[3]: "not_attempted",
    }
    assert result.reconciled == 4
    assert all(result[d].reconciled for d in ids)
    assert (result[ids[0]].error or "").endswith(
        "reconciled: the account lists the device as licensed"
    )
    assert (result[ids[2]].error or "").startswith("ServerError: 503")
    assert "4 reconciled" in repr(result)
    assert result.retry_ids() == ids[2:]
    assert len(posts(mocked)) == 2  # reconciliation reads; it never re-posts


def test_reconcile_reads_only_the_pages_that_hold_the_ids(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    licensed = ids_of(30)
    unknown = [imei(4), imei(5), imei(6), imei(20), imei(50)]  # 50 is not licensed
    mocked.add(responses.POST, ASSIGN_URL, status=502)
    mocked.add_callback(responses.GET, STATUS_URL, callback=listing(licensed, page_size=5))
    result = assign(client, unknown)
    assert outcomes(result) == {
        imei(4): "succeeded",
        imei(5): "succeeded",
        imei(6): "succeeded",
        imei(20): "succeeded",
        imei(50): "not_attempted",
    }
    # one page after each id's predecessor settles every id up to the page's last device
    assert gets(mocked) == [imei(3), imei(19), imei(49)]


def test_reconcile_of_interleaved_ids_costs_no_more_than_the_full_list(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    licensed = [imei(n) for n in range(0, 20, 2)]  # 10 devices: 2 pages of 5
    unknown = [imei(n) for n in range(1, 20, 2)]  # one between each two licensed
    mocked.add(responses.POST, ASSIGN_URL, status=500)
    mocked.add_callback(responses.GET, STATUS_URL, callback=listing(licensed, page_size=5))
    result = assign(client, unknown)
    assert result.counts == {"succeeded": 0, "failed": 0, "not_attempted": 10, "unknown": 0}
    assert gets(mocked) == [imei(0), imei(10)]


def test_reconcile_reads_the_full_list_for_ids_of_other_shapes(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    unknown = ["A10000000000000F", "12345", imei(1)]
    mocked.add(responses.POST, REMOVE_URL, status=504)
    mocked.add_callback(responses.GET, STATUS_URL, callback=listing(["12345", imei(7)]))
    result = remove(client, unknown)
    # remove: gone from the list is success; still listed is not attempted
    assert outcomes(result) == {
        "A10000000000000F": "succeeded",
        "12345": "not_attempted",
        imei(1): "succeeded",
    }
    assert gets(mocked) == ["0"]


def test_reconcile_checks_unrecognised_statuses(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    ids = ids_of(2)
    table = {d: ("UpgradePending", "Upgrade pending") for d in ids}
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering(table))
    mocked.add_callback(responses.GET, STATUS_URL, callback=listing([ids[0]]))
    result = assign(client, ids)
    assert outcomes(result) == {ids[0]: "succeeded", ids[1]: "failed"}
    assert result[ids[0]].status == "UpgradePending"  # the raw answer is kept
    assert result[ids[1]].reconciled
    assert result.failed_ids() == [ids[1]]


def test_reconcile_failure_leaves_ids_unknown(
    client: VerizonClient, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.add(responses.POST, ASSIGN_URL, status=503)
    mocked.add(responses.GET, STATUS_URL, status=503)
    with caplog.at_level(logging.WARNING, logger="verizon_sdk.bulk"):
        result = assign(client, ids_of(2))
    assert set(outcomes(result).values()) == {"unknown"}
    assert result.reconciled == 0
    assert result.reconciliation_error is not None
    assert result.reconciliation_error.startswith("ServerError: 503")
    assert "reconciliation failed" in repr(result)
    assert "reconciliation failed" in caplog.text


def test_reconcile_stops_on_a_misbehaving_list(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    page = {"hasMoreData": True, "lastSeenDeviceId": "0", "deviceList": [{"deviceId": "x1"}]}
    mocked.add(responses.POST, ASSIGN_URL, status=503)
    mocked.add(responses.GET, STATUS_URL, json=page)
    result = assign(client, ["x1", "x2"])  # not IMEI-like: the full list is read
    assert result.counts["unknown"] == 2
    assert (result.reconciliation_error or "").startswith("PaginationError")


def test_reconcile_false_sends_no_get(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, ASSIGN_URL, status=503)
    result = assign(client, ids_of(2), reconcile=False)
    assert set(outcomes(result).values()) == {"unknown"}
    assert gets(mocked) == []


def test_reconcile_walks_past_a_page_with_no_comparable_ids(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    # string order puts 16-digit ids between an IMEI's predecessor and the IMEI itself
    licensed = [imei(4) + "1", imei(4) + "2", imei(5)]
    mocked.add(responses.POST, ASSIGN_URL, status=503)
    mocked.add_callback(responses.GET, STATUS_URL, callback=listing(licensed, page_size=2))
    result = assign(client, [imei(5)])
    assert outcomes(result) == {imei(5): "succeeded"}
    assert gets(mocked) == [imei(4), "0", imei(4) + "2"]  # a lookup, then the full list


# -- export -------------------------------------------------------------------------------------


@pytest.fixture
def mixed(client: VerizonClient, mocked: responses.RequestsMock) -> BulkResult:
    ids = ids_of(3)
    table = {ids[1]: ("Failure", "Device does not exist.")}
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering(table, omit=(ids[2],)))
    return assign(client, [*ids, ids[0], "bad id\n"], reconcile=False)


def test_bulk_result_reading(mixed: BulkResult) -> None:
    ids = ids_of(3)
    assert len(mixed) == 4
    assert ids[0] in mixed
    assert "nope" not in mixed
    assert list(mixed.succeeded) == [ids[0]]
    assert list(mixed.failed) == [ids[1]]
    assert list(mixed.unknown) == [ids[2]]
    assert list(mixed.not_attempted) == ["bad id\n"]
    assert mixed.counts == {"succeeded": 1, "failed": 1, "not_attempted": 1, "unknown": 1}
    assert mixed.input_count == 5
    assert mixed.duplicates == {ids[0]: 2}
    assert mixed.retry_ids() == [ids[2]]
    assert repr(mixed) == (
        f"BulkResult(assign {ACCOUNT}: 4 ids, 1 succeeded, 1 failed, 1 not_attempted, "
        "1 unknown, 1 duplicate)"
    )


def test_bulk_result_to_dict_and_json(mixed: BulkResult) -> None:
    data = mixed.to_dict()
    assert data["summary"]["total"] == 4
    assert data["summary"]["succeeded"] == 1
    assert data["summary"]["duplicates"] == 1
    assert data["summary"]["interrupted"] is False
    assert data["duplicates"] == {imei(0): 2}
    first = data["devices"][0]
    assert first == {
        "device_id": imei(0),
        "outcome": "succeeded",
        "status": "Success",
        "reason": "Success",
        "error": None,
        "chunk": 0,
        "reconciled": False,
        "invalid": False,
        "occurrences": 2,
    }
    assert json.loads(mixed.to_json()) == data
    assert mixed.to_json(indent=2).startswith("{\n")


def test_bulk_result_to_csv_path_and_file(mixed: BulkResult, tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    mixed.to_csv(path)
    mixed.to_csv(str(tmp_path / "again.csv"))
    buffer = io.StringIO()
    mixed.to_csv(buffer)
    text = path.read_text(encoding="utf-8")
    assert text == buffer.getvalue() == (tmp_path / "again.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["outcome"] for r in rows] == ["succeeded", "failed", "unknown", "not_attempted"]
    assert rows[1]["reason"] == "Device does not exist."
    assert rows[3]["device_id"] == "bad id\n"  # quoted, survives the round trip
    assert rows[0]["occurrences"] == "2"
    assert [r["invalid"] for r in rows] == ["False", "False", "False", "True"]


# -- progress and callbacks -----------------------------------------------------------------------


def test_on_chunk_gets_an_event_per_chunk(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    ids = ids_of(5)
    table = {ids[4]: ("Failure", "Device does not exist.")}
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering(table))
    events: list[ChunkEvent] = []
    assign(client, ids, chunk_size=2, max_workers=1, on_chunk=events.append)
    assert [(e.index, e.size, e.done) for e in events] == [(0, 2, 2), (1, 2, 4), (2, 1, 5)]
    assert all(e.total_chunks == 3 and e.total == 5 for e in events)
    assert (events[2].succeeded, events[2].failed) == (0, 1)
    assert events[0].error is None
    assert all(e.duration >= 0 and e.elapsed >= e.duration for e in events)


def test_on_chunk_event_carries_the_chunk_error(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, ASSIGN_URL, status=503)
    events: list[ChunkEvent] = []
    assign(client, ids_of(2), reconcile=False, on_chunk=events.append)
    (event,) = events
    assert event.unknown == 2
    assert (event.error or "").startswith("ServerError: 503")


def test_progress_bar_renders(
    client: VerizonClient, mocked: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())
    result = assign(client, ids_of(30), chunk_size=10, progress=True)
    assert result.ok
    err = capsys.readouterr().err
    assert f"assign {ACCOUNT}" in err
    assert "30/30" in err


def test_progress_without_tqdm_raises_before_sending(
    client: VerizonClient, mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ValidationError, match=r"verizon-sdk\[progress\]"):
        assign(client, ids_of(2), progress=True)
    assert api_calls(mocked) == []


def test_more_workers_than_pooled_connections_warns(
    mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())
    with make_client(pool_maxsize=2) as client, caplog.at_level(logging.WARNING):
        assign(client, ids_of(2), max_workers=3)
    assert "clone_with(pool_maxsize=3)" in caplog.text


# -- interrupts -----------------------------------------------------------------------------------


def interrupt_after(chunks: int, exc: BaseException) -> Callable[[ChunkEvent], None]:
    def on_chunk(event: ChunkEvent) -> None:
        if event.index == chunks - 1:
            raise exc

    return on_chunk


def test_keyboard_interrupt_from_on_chunk_attaches_partial_result(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())
    ids = ids_of(20)
    with pytest.raises(KeyboardInterrupt) as info:
        assign(
            client,
            ids,
            chunk_size=2,
            max_workers=1,
            on_chunk=interrupt_after(1, KeyboardInterrupt()),
        )
    result: BulkResult = info.value.bulk_result  # type: ignore[attr-defined]
    assert list(result) == ids  # every id accounted for
    assert result.interrupted
    assert result.stopped == "interrupted by KeyboardInterrupt"
    sent = {d for chunk in posts(mocked) for d in chunk}
    assert set(result.succeeded) == sent  # the chunk in flight was waited for and recorded
    assert set(result.not_attempted) == set(ids) - sent
    assert result[ids[-1]].error == "not sent: interrupted by KeyboardInterrupt"
    assert "interrupted" in repr(result)
    assert not result.ok
    assert result.retry_ids() == [d for d in ids if d not in sent]


def test_keyboard_interrupt_on_a_worker_marks_its_chunk_unknown(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    ids = ids_of(6)

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        if ids[2] in json.loads(request.body)["deviceList"]:
            raise KeyboardInterrupt
        return answering()(request)

    mocked.add_callback(responses.POST, ASSIGN_URL, callback=callback)
    with pytest.raises(KeyboardInterrupt) as info:
        assign(client, ids, chunk_size=2, max_workers=1)
    result: BulkResult = info.value.bulk_result  # type: ignore[attr-defined]
    # chunk 2 was queued behind the interrupted one: if the worker had picked it up, it was
    # waited for and recorded; if not, the interrupt cancelled it before it was sent (a race)
    third = "succeeded" if len(posts(mocked)) == 3 else "not_attempted"
    assert outcomes(result) == {
        ids[0]: "succeeded",
        ids[1]: "succeeded",
        ids[2]: "unknown",  # it may have been sent
        ids[3]: "unknown",
        ids[4]: third,
        ids[5]: third,
    }
    assert (result[ids[2]].error or "").startswith("interrupted while sending: KeyboardInterrupt")
    assert result.reconciled == 0  # no reconciliation after an interrupt
    assert gets(mocked) == []


def test_exception_from_on_chunk_stops_cleanly_with_partial_result(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())
    ids = ids_of(10)
    with pytest.raises(ValueError, match="log full") as info:
        assign(
            client,
            ids,
            chunk_size=2,
            max_workers=2,
            on_chunk=interrupt_after(1, ValueError("log full")),
        )
    result: BulkResult = info.value.bulk_result  # type: ignore[attr-defined]
    assert not result.interrupted
    assert result.stopped == "interrupted by ValueError: log full"
    assert list(result) == ids
    sent = {d for chunk in posts(mocked) for d in chunk}
    assert set(result.succeeded) == sent
    assert result.counts["unknown"] == 0


def test_second_interrupt_while_waiting_leaves_in_flight_ids_unknown(
    client: VerizonClient, mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import verizon_sdk.bulk._engine as bulk

    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())

    def impatient(futures: Any) -> Iterator[Any]:
        raise KeyboardInterrupt  # Ctrl-C again while waiting for the chunks in flight
        yield

    monkeypatch.setattr(bulk, "as_completed", impatient)
    ids = ids_of(8)
    with pytest.raises(KeyboardInterrupt) as info:
        assign(
            client,
            ids,
            chunk_size=2,
            max_workers=2,
            on_chunk=interrupt_after(1, KeyboardInterrupt()),
        )
    result: BulkResult = info.value.bulk_result  # type: ignore[attr-defined]
    assert list(result) == ids
    assert result.interrupted
    for _, record in result.items():
        if record.outcome is Outcome.UNKNOWN:
            assert (record.error or "").startswith("in flight when the run was interrupted")
    assert set(result.succeeded) | set(result.unknown) | set(result.not_attempted) == set(ids)
    unknown_chunks = {r.chunk for r in result.unknown.values()}
    # the collected ones (chunk 0, and any that came back before it) and those in flight
    collected = {r.chunk for r in result.succeeded.values()}
    assert 0 in collected
    assert result.chunks_sent == len(collected) + len(unknown_chunks)


def test_interrupt_while_reconciling_attaches_result(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        raise KeyboardInterrupt

    mocked.add(responses.POST, ASSIGN_URL, status=503)
    mocked.add_callback(responses.GET, STATUS_URL, callback=callback)
    with pytest.raises(KeyboardInterrupt) as info:
        assign(client, ids_of(2))
    result: BulkResult = info.value.bulk_result  # type: ignore[attr-defined]
    assert result.interrupted
    assert result.stopped == "interrupted by KeyboardInterrupt"
    assert result.counts["unknown"] == 2


def test_interrupt_between_submit_and_bookkeeping_marks_the_chunk_unknown(
    client: VerizonClient, mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import verizon_sdk.bulk._engine as bulk

    class Pool(bulk.ThreadPoolExecutor):
        submitted = 0

        def submit(self, *args: Any, **kwargs: Any) -> Any:
            future = super().submit(*args, **kwargs)
            Pool.submitted += 1
            if Pool.submitted == 2:
                raise KeyboardInterrupt  # Ctrl-C lands after the chunk was handed over
            return future

    monkeypatch.setattr(bulk, "ThreadPoolExecutor", Pool)
    mocked.add_callback(responses.POST, ASSIGN_URL, callback=answering())
    ids = ids_of(6)
    with pytest.raises(KeyboardInterrupt) as info:
        assign(client, ids, chunk_size=2, max_workers=1)
    result: BulkResult = info.value.bulk_result  # type: ignore[attr-defined]
    assert result[ids[2]].outcome is Outcome.UNKNOWN
    assert (result[ids[2]].error or "").startswith("being submitted when interrupted")
    assert result[ids[4]].outcome is Outcome.NOT_ATTEMPTED
    assert list(result) == ids


def test_interrupts_on_several_workers_account_for_every_id(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        raise KeyboardInterrupt

    mocked.add_callback(responses.POST, ASSIGN_URL, callback=callback)
    ids = ids_of(4)
    with pytest.raises(KeyboardInterrupt) as info:
        assign(client, ids, chunk_size=1, max_workers=2)
    result: BulkResult = info.value.bulk_result  # type: ignore[attr-defined]
    assert list(result) == ids
    assert result[ids[0]].outcome is Outcome.UNKNOWN
    assert result[ids[1]].outcome is Outcome.UNKNOWN  # both workers were sending
    for device_id in ids[2:]:  # queued: cancelled, or picked up and interrupted too
        assert result[device_id].outcome in (Outcome.UNKNOWN, Outcome.NOT_ATTEMPTED)


def test_a_chunk_the_sdk_refuses_to_send_is_not_attempted() -> None:
    from verizon_sdk.bulk._rules import _error_outcome

    assert _error_outcome(ValidationError("body", "too many")) is Outcome.NOT_ATTEMPTED
    assert _error_outcome(RuntimeError("a bug")) is Outcome.UNKNOWN
