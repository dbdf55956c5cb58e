"""Iterators over paged listings (``verizon_sdk._pagination`` and the controllers' ``iter_*``)."""

from __future__ import annotations

import gc
import json
import weakref
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from tests.conftest import ACCOUNT, V2, V3, api_calls
from verizon_sdk import VerizonClient
from verizon_sdk._pagination import (
    definitely_not_after,
    iter_cursor_pages,
    iter_index_pages,
    iter_items,
)
from verizon_sdk.exceptions import (
    FotaV3ResultException,
    PaginationError,
    UnexpectedResponseError,
    ValidationError,
)
from verizon_sdk.models import (
    V2LicenseDevice,
    V2LicenseSummary,
    V2ListOfLicensesToRemove,
    V3LicenseDevice,
    V3LicenseSummary,
)

STATUS_URL = f"{V3}/licenses/{ACCOUNT}"
V2_STATUS_URL = f"{V2}/licenses/{ACCOUNT}"
CANCEL_URL = f"{V2}/licenses/{ACCOUNT}/cancel"


def imei(n: int) -> str:
    return f"{990000000000000 + n:015d}"


def status_page(
    ids: list[str], *, more: bool, cursor: Any = "last", total_key: str = "totalLicenses"
) -> dict[str, Any]:
    page: dict[str, Any] = {
        "accountName": ACCOUNT,
        total_key: 5000,
        "assignedLicenses": 5,
        "hasMoreData": more,
        "maxPageSize": 2,
        "deviceList": [
            {"deviceId": d, "assignmentTime": "2017-11-29 20:15:42.738 +0000 UTC"} for d in ids
        ],
    }
    if cursor == "last":
        cursor = ids[-1] if ids else "0"
    if cursor is not None:
        page["lastSeenDeviceId"] = cursor
    return page


def serve(
    mocked: responses.RequestsMock, url: str, query: str, pages: dict[str | None, dict[str, Any]]
) -> None:
    """Answer GET ``url`` with ``pages[<value of the query parameter, or None>]``."""

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        values = parse_qs(urlsplit(request.url).query).get(query)
        page = pages[values[0] if values else None]
        return 200, {"Content-Type": "application/json"}, json.dumps(page)

    mocked.add_callback(responses.GET, url, callback=callback)


def sent_queries(mocked: responses.RequestsMock, name: str) -> list[str | None]:
    out: list[str | None] = []
    for call in api_calls(mocked):
        values = parse_qs(urlsplit(call.request.url).query).get(name)
        out.append(values[0] if values else None)
    return out


FIVE = [imei(n) for n in range(5)]
FIVE_PAGES: dict[str | None, dict[str, Any]] = {
    "0": status_page(FIVE[0:2], more=True),
    FIVE[1]: status_page(FIVE[2:4], more=True),
    FIVE[3]: status_page(FIVE[4:5], more=False),
}


# -- the happy paths ----------------------------------------------------------------------------


def test_iter_account_licenses_v3_follows_cursor_across_pages(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    serve(mocked, STATUS_URL, "lastSeenDeviceId", FIVE_PAGES)
    devices = list(client.software_management_licenses_v3.iter_account_licenses(ACCOUNT))
    assert all(isinstance(d, V3LicenseDevice) for d in devices)
    assert [d.device_id for d in devices] == FIVE
    assert devices[0].assignment_time is not None
    assert sent_queries(mocked, "lastSeenDeviceId") == ["0", FIVE[1], FIVE[3]]


def test_iter_account_licenses_v3_pages_yields_summaries(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    serve(mocked, STATUS_URL, "lastSeenDeviceId", FIVE_PAGES)
    pages = list(client.software_management_licenses_v3.iter_account_licenses(ACCOUNT, pages=True))
    assert all(isinstance(p, V3LicenseSummary) for p in pages)
    assert [len(p.device_list or []) for p in pages] == [2, 2, 1]
    assert pages[0].total_licenses == 5000
    assert pages[0].assigned_licenses == 5
    assert [p.has_more_data for p in pages] == [True, True, False]


def test_iter_account_licenses_v3_is_lazy_and_validates_eagerly(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    serve(mocked, STATUS_URL, "lastSeenDeviceId", FIVE_PAGES)
    controller = client.software_management_licenses_v3
    iterator = controller.iter_account_licenses(ACCOUNT)
    assert api_calls(mocked) == []  # nothing sent until the first item is asked for
    assert next(iterator).device_id == FIVE[0]
    assert len(api_calls(mocked)) == 1
    with pytest.raises(ValidationError, match="acc"):
        controller.iter_account_licenses("bad account!")  # raised at the call, not on next()


def test_iter_account_licenses_v3_empty_account(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    serve(mocked, STATUS_URL, "lastSeenDeviceId", {"0": status_page([], more=False)})
    assert list(client.software_management_licenses_v3.iter_account_licenses(ACCOUNT)) == []


def test_iter_account_licenses_v3_missing_has_more_data_means_last_page(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    page = status_page(FIVE[:2], more=False)
    del page["hasMoreData"]
    serve(mocked, STATUS_URL, "lastSeenDeviceId", {"0": page})
    devices = list(client.software_management_licenses_v3.iter_account_licenses(ACCOUNT))
    assert len(devices) == 2


def test_iter_account_licenses_v3_error_on_a_later_page_propagates(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(STATUS_URL + f"?lastSeenDeviceId={FIVE[1]}", status=400, json={"errorCode": "X"})
    mocked.get(STATUS_URL, json=status_page(FIVE[:2], more=True))
    iterator = client.software_management_licenses_v3.iter_account_licenses(ACCOUNT)
    assert [next(iterator).device_id, next(iterator).device_id] == FIVE[:2]
    with pytest.raises(FotaV3ResultException):
        next(iterator)


def test_iter_account_licenses_v2_follows_cursor(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    pages = {
        "0": status_page(FIVE[:3], more=True, total_key="totalLicense"),
        FIVE[2]: status_page(FIVE[3:], more=False, total_key="totalLicense"),
    }
    serve(mocked, V2_STATUS_URL, "lastSeenDeviceId", pages)
    controller = client.software_management_licenses_v2
    devices = list(controller.iter_account_licenses(ACCOUNT))
    assert all(isinstance(d, V2LicenseDevice) for d in devices)
    assert [d.device_id for d in devices] == FIVE
    summaries = list(controller.iter_account_licenses(ACCOUNT, pages=True))
    assert all(isinstance(p, V2LicenseSummary) for p in summaries)
    assert summaries[0].total_license == 5000
    with pytest.raises(ValidationError, match="account"):
        controller.iter_account_licenses("")


def candidates_page(ids: list[str], *, more: Any) -> dict[str, Any]:
    return {
        "count": len(ids),
        "hasMoreData": more,
        "updateTime": "2017-11-29 20:15:42.738 +0000 UTC",
        "deviceList": ids,
    }


def test_iter_licenses_to_remove_moves_start_index_and_warns_once(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    pages = {
        None: candidates_page(FIVE[:2], more=True),
        "2": candidates_page(FIVE[2:4], more=True),
        "4": candidates_page(FIVE[4:], more=False),
    }
    serve(mocked, CANCEL_URL, "startIndex", pages)
    controller = client.software_management_licenses_v2
    with pytest.warns(DeprecationWarning, match="iter_licenses_to_remove") as caught:
        ids = list(controller.iter_licenses_to_remove(ACCOUNT))
    assert len(caught) == 1  # once for the iterator, not once per page
    assert ids == FIVE
    assert sent_queries(mocked, "startIndex") == [None, "2", "4"]
    with pytest.warns(DeprecationWarning, match="deprecated"):
        summaries = list(controller.iter_licenses_to_remove(ACCOUNT, pages=True))
    assert all(isinstance(p, V2ListOfLicensesToRemove) for p in summaries)
    assert [p.count for p in summaries] == [2, 2, 1]


# -- a misbehaving server: one test each --------------------------------------------------------


def expect_pagination_error(
    client: VerizonClient, mocked: responses.RequestsMock, pages: dict[str | None, Any]
) -> tuple[PaginationError, list[str]]:
    """Run the V3 iterator over ``pages``; return the error and the ids yielded before it."""
    serve(mocked, STATUS_URL, "lastSeenDeviceId", pages)
    yielded: list[str] = []
    iterator = client.software_management_licenses_v3.iter_account_licenses(ACCOUNT)
    with pytest.raises(PaginationError) as info:
        yielded.extend(str(device.device_id) for device in iterator)
    assert isinstance(info.value, UnexpectedResponseError)
    assert len(api_calls(mocked)) == len(pages)  # it stopped at once, no further request
    return info.value, yielded


def test_pagination_error_on_repeated_cursor(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    pages = {
        "0": status_page(FIVE[0:2], more=True),
        FIVE[1]: status_page(FIVE[2:4], more=True, cursor=FIVE[1]),  # the same cursor again
    }
    error, yielded = expect_pagination_error(client, mocked, pages)
    assert yielded == FIVE[:2]  # the inconsistent page yields nothing
    assert "repeats a cursor" in str(error)
    assert error.page_number == 2
    assert error.cursor == FIVE[1]


def test_pagination_error_on_cycle_of_cursors(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    # Unequal lengths: "9" -> "10" -> "9" is not "backwards" in every order, but it is a cycle.
    pages = {
        "0": status_page(["8", "9"], more=True),
        "9": status_page(["10"], more=True),
        "10": status_page(["9"], more=True),
    }
    error, yielded = expect_pagination_error(client, mocked, pages)
    assert yielded == ["8", "9", "10"]
    assert "'9' repeats a cursor" in str(error)


def test_pagination_error_on_empty_page_with_more_data(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    pages = {
        "0": status_page(FIVE[0:2], more=True),
        FIVE[1]: status_page([], more=True, cursor=FIVE[2]),
    }
    error, _ = expect_pagination_error(client, mocked, pages)
    assert "hasMoreData is true but the page has no devices" in str(error)


def test_pagination_error_on_cursor_going_backwards(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    pages = {
        "0": status_page(FIVE[2:4], more=True),
        FIVE[3]: status_page([FIVE[4]], more=True, cursor=FIVE[0]),
    }
    error, yielded = expect_pagination_error(client, mocked, pages)
    assert yielded == FIVE[2:4]
    assert f"lastSeenDeviceId '{FIVE[0]}' goes backwards" in str(error)


def test_pagination_error_on_missing_cursor_with_more_data(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    pages = {"0": status_page(FIVE[0:2], more=True, cursor=None)}
    error, yielded = expect_pagination_error(client, mocked, pages)
    assert yielded == []
    assert "lastSeenDeviceId is missing" in str(error)
    assert error.page_number == 1
    assert error.cursor == "0"


def test_pagination_error_on_first_cursor_zero_with_more_data(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    # "0" is where the first page starts; following it would fetch the first page again.
    pages = {"0": status_page(FIVE[0:2], more=True, cursor="0")}
    error, _ = expect_pagination_error(client, mocked, pages)
    assert "'0' repeats a cursor" in str(error)


def test_pagination_error_on_non_string_cursor(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    pages = {"0": status_page(FIVE[0:2], more=True, cursor=990000000000001)}
    error, _ = expect_pagination_error(client, mocked, pages)
    assert "is not a string" in str(error)


def test_pagination_error_on_non_boolean_has_more_data(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    pages = {"0": status_page(FIVE[0:2], more="true")}
    error, _ = expect_pagination_error(client, mocked, pages)
    assert "hasMoreData is 'true', not a boolean" in str(error)


def test_pagination_error_on_repeated_devices(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    # The last page (hasMoreData false) serves devices from before the cursor again.
    pages = {
        "0": status_page(FIVE[0:3], more=True),
        FIVE[2]: status_page(FIVE[1:5], more=False),
    }
    error, yielded = expect_pagination_error(client, mocked, pages)
    assert yielded == FIVE[0:3]
    assert f"the first device '{FIVE[1]}' is not after the cursor" in str(error)


def test_pagination_error_on_empty_candidates_page_with_more_data(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    pages = {None: candidates_page(FIVE[:2], more=True), "2": candidates_page([], more=True)}
    serve(mocked, CANCEL_URL, "startIndex", pages)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        iterator = client.software_management_licenses_v2.iter_licenses_to_remove(ACCOUNT)
    with pytest.raises(PaginationError, match="startIndex 2") as info:
        list(iterator)
    assert info.value.page_number == 2
    assert info.value.cursor == "2"


def test_pagination_error_str_names_the_listing_and_page() -> None:
    def fetch(cursor: str | None) -> V3LicenseSummary:
        return V3LicenseSummary.from_dictionary(status_page([], more=True, cursor="5"))

    with pytest.raises(PaginationError) as info:
        list(iter_cursor_pages(fetch, what="V3 license status"))
    assert str(info.value) == (
        "V3 license status page 1 (after lastSeenDeviceId '0'): hasMoreData is true but the "
        "page has no devices; stopping instead of looping"
    )


# -- IMEI order -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "cursor", "expected"),
    [
        ("990000000000001", "990000000000002", True),  # same length: numbers and strings agree
        ("990000000000002", "990000000000002", True),  # equal is "not after"
        ("990000000000003", "990000000000002", False),
        ("010", "009", False),  # leading zeros: same length, orders agree
        ("9", "10", False),  # before as a number, after as a string: ambiguous, not flagged
        ("10", "9", False),  # after as a number, before as a string: not flagged
        ("1", "10", True),  # before in both orders
        ("A1000000000000", "A0000000000000", False),  # not digits (MEID): never order-checked
        ("\u0661\u0662", "99", False),  # non-ASCII digits are not IMEI digits
    ],
)
def test_definitely_not_after(candidate: str, cursor: str, expected: bool) -> None:
    assert definitely_not_after(candidate, cursor) is expected


def test_unequal_lengths_do_not_stop_a_consistent_walk() -> None:
    pages = {
        "0": status_page(["8", "9"], more=True),
        "9": status_page(["10", "11"], more=True),  # "10" < "9" as strings: still fine
        "11": status_page(["12"], more=False),
    }

    def fetch(cursor: str | None) -> V3LicenseSummary:
        return V3LicenseSummary.from_dictionary(pages[cursor])

    ids = [d.device_id for d in iter_items(iter_cursor_pages(fetch))]
    assert ids == ["8", "9", "10", "11", "12"]


# -- memory: no page is retained ------------------------------------------------------------------


class WeakSummary(V3LicenseSummary):
    """A page that can be weakly referenced, to watch when it is collected."""

    __slots__ = ("__weakref__",)


class WeakCandidates(V2ListOfLicensesToRemove):
    __slots__ = ("__weakref__",)


def watched(
    make: Callable[[str | None], Any], refs: list[weakref.ref[Any]]
) -> Callable[[str | None], Any]:
    """Wrap ``make`` to keep a weak reference to every page and check none is alive on fetch."""

    def fetch(cursor: str | None) -> Any:
        assert [r for r in refs if r() is not None] == [], "a page is alive during the next fetch"
        page = make(cursor)
        refs.append(weakref.ref(page))
        return page

    return fetch


def alive(refs: list[weakref.ref[Any]]) -> int:
    return sum(r() is not None for r in refs)


def test_iter_items_keeps_no_page_alive() -> None:
    ids = [imei(n) for n in range(10)]

    def make(cursor: str | None) -> WeakSummary:
        start = 0 if cursor in (None, "0") else ids.index(cursor) + 1
        chunk = ids[start : start + 3]
        return WeakSummary.from_dictionary(status_page(chunk, more=start + 3 < len(ids)))

    refs: list[weakref.ref[Any]] = []
    seen: list[str] = []
    for device in iter_items(iter_cursor_pages(watched(make, refs))):
        seen.append(device.device_id)
        assert alive(refs) == 0  # only the items are held, not the page they came in
    assert seen == ids
    assert len(refs) == 4


def test_iter_cursor_pages_drops_a_page_the_caller_does_not_keep() -> None:
    ids = [imei(n) for n in range(6)]

    def make(cursor: str | None) -> WeakSummary:
        start = 0 if cursor in (None, "0") else ids.index(cursor) + 1
        return WeakSummary.from_dictionary(status_page(ids[start : start + 2], more=start < 4))

    refs: list[weakref.ref[Any]] = []
    pages = iter_cursor_pages(watched(make, refs))
    for page in pages:
        assert alive(refs) == 1  # the one in the caller's hands
        del page
        gc.collect()
        assert alive(refs) == 0
    assert len(refs) == 3


def test_iter_index_pages_keeps_no_page_alive() -> None:
    ids = [imei(n) for n in range(7)]

    def make(start: str | None) -> WeakCandidates:
        offset = int(start or 0)
        chunk = ids[offset : offset + 3]
        return WeakCandidates.from_dictionary(candidates_page(chunk, more=offset + 3 < len(ids)))

    refs: list[weakref.ref[Any]] = []
    seen: list[str] = []
    for device_id in iter_items(iter_index_pages(watched(make, refs))):
        seen.append(device_id)
        assert alive(refs) == 0
    assert seen == ids


def test_iterators_are_plain_generators() -> None:
    def fetch(cursor: str | None) -> V3LicenseSummary:
        return V3LicenseSummary.from_dictionary(status_page(FIVE, more=False))

    pages = iter_cursor_pages(fetch)
    assert isinstance(pages, Iterator)
    items = iter_items(pages)
    assert next(items).device_id == FIVE[0]
    items.close()  # closing mid-way is fine
