from __future__ import annotations

from typing import Any

import pytest
import responses
from responses import matchers

from tests.conftest import ACCESS_TOKEN, ACCOUNT, M2M_TOKEN, V2, api_calls, sent_json
from verizon_sdk import VerizonClient
from verizon_sdk.exceptions import FotaV2ResultException
from verizon_sdk.models import (
    FotaV2SuccessResult,
    V2LicenseIMEI,
    V2LicensesAssignedRemovedResult,
    V2LicenseSummary,
    V2ListOfLicensesToRemove,
    V2ListOfLicensesToRemoveRequest,
    V2ListOfLicensesToRemoveResult,
)

IDS = ["990003425730535", "990000473475989"]
ASSIGNED = {
    "accountName": ACCOUNT,
    "licTotalCount": 1000,
    "licUsedCount": 0,
    "deviceList": [{"deviceId": IDS[0], "status": "Success", "resultReason": "Success"}],
}

# method, args, HTTP method, path suffix, query, JSON body sent, response JSON, model, deprecated
CASES: list[tuple[str, tuple[Any, ...], str, str, dict[str, str], Any, Any, type, bool]] = [
    (
        "get_account_license_status",
        (ACCOUNT, "990000000000000"),
        "GET",
        "",
        {"lastSeenDeviceId": "990000000000000"},
        None,
        {
            "accountName": ACCOUNT,
            "totalLicense": 10,
            "assignedLicenses": 1,
            "hasMoreData": False,
            "lastSeenDeviceId": IDS[0],
            "maxPageSize": 10,
            "deviceList": [{"deviceId": IDS[0], "assignmentTime": "2017-11-29T16:03:42.000Z"}],
        },
        V2LicenseSummary,
        False,
    ),
    (
        "assign_licenses_to_devices",
        (ACCOUNT, V2LicenseIMEI(device_list=IDS, account_name=ACCOUNT)),
        "POST",
        "/assign",
        {},
        {"deviceList": IDS, "accountName": ACCOUNT},
        ASSIGNED,
        V2LicensesAssignedRemovedResult,
        True,
    ),
    (
        "remove_licenses_from_devices",
        (ACCOUNT, V2LicenseIMEI(device_list=IDS)),
        "POST",
        "/remove",
        {},
        {"deviceList": IDS},
        ASSIGNED,
        V2LicensesAssignedRemovedResult,
        True,
    ),
    (
        "create_list_of_licenses_to_remove",
        (ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=IDS, mtype="append", count=0)),
        "POST",
        "/cancel",
        {},
        {"deviceList": IDS, "type": "append", "count": 0},
        {"count": 2, "deviceList": IDS},
        V2ListOfLicensesToRemoveResult,
        True,
    ),
    (
        "list_licenses_to_remove",
        (ACCOUNT, "2"),
        "GET",
        "/cancel",
        {"startIndex": "2"},
        None,
        {
            "count": 6,
            "hasMoreData": False,
            "updateTime": "2018-03-22 00:06:00.069 +0000 UTC",
            "deviceList": IDS,
        },
        V2ListOfLicensesToRemove,
        True,
    ),
    (
        "delete_licenses_removal_candidates",
        (ACCOUNT,),
        "DELETE",
        "/cancel",
        {},
        None,
        {"success": False},
        FotaV2SuccessResult,
        True,
    ),
]


@pytest.mark.parametrize(
    ("method", "args", "http_method", "suffix", "query", "body", "answer", "model", "deprecated"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_v2_method_sends_exact_request_and_parses(
    client: VerizonClient,
    mocked: responses.RequestsMock,
    method: str,
    args: tuple[Any, ...],
    http_method: str,
    suffix: str,
    query: dict[str, str],
    body: Any,
    answer: Any,
    model: type,
    deprecated: bool,
) -> None:
    headers = {
        "Authorization": f"Bearer {ACCESS_TOKEN}",
        "VZ-M2M-Token": M2M_TOKEN,
        "Accept": "application/json",
    }
    if body is not None:
        headers["Content-Type"] = "application/json"
    match = [matchers.query_param_matcher(query), matchers.header_matcher(headers)]
    mocked.add(http_method, f"{V2}/licenses/{ACCOUNT}{suffix}", json=answer, match=match)
    call = getattr(client.software_management_licenses_v2, method)
    if deprecated:
        with pytest.warns(DeprecationWarning, match=method) as record:
            result = call(*args)
        if method in ("assign_licenses_to_devices", "remove_licenses_from_devices"):
            assert "SoftwareManagementLicensesV3Controller" in str(record[0].message)
    else:
        result = call(*args)
    assert isinstance(result, model)
    assert result.to_dictionary() == answer
    (sent,) = api_calls(mocked)
    assert sent.request.method == http_method
    assert sent_json(sent) == body


def test_v2_bad_request_raises_fota_v2_result_exception_with_html_body(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        f"{V2}/licenses/{ACCOUNT}",
        status=400,
        body="<html><body>Bad\nRequest</body></html>",
        content_type="text/html",
    )
    with pytest.raises(FotaV2ResultException) as info:
        client.software_management_licenses_v2.get_account_license_status(ACCOUNT)
    error = info.value
    assert error.response_code == 400
    assert error.error_code is None
    assert error.body == "<html><body>Bad\nRequest</body></html>"
    assert error.headers["Content-Type"] == "text/html"
    assert "\n" not in str(error)
    assert "<html><body>Bad Request</body></html>" in str(error)


def test_published_sdk_name_is_an_alias_with_the_same_warning(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.delete(f"{V2}/licenses/{ACCOUNT}/cancel", json={"success": True})
    v2 = client.software_management_licenses_v2
    with pytest.warns(DeprecationWarning, match="delete_licenses_removal_candidates") as seed:
        seeded = v2.delete_licenses_removal_candidates(ACCOUNT)
    with pytest.warns(DeprecationWarning, match="delete_licenses_removal_candidates") as alias:
        aliased = v2.delete_list_of_licenses_to_remove(ACCOUNT)
    assert [str(w.message) for w in alias] == [str(w.message) for w in seed]
    assert alias[0].filename == __file__  # points at the caller, as the seed name's does
    assert seeded == aliased
    with pytest.warns(DeprecationWarning, match="delete_licenses_removal_candidates"):
        raw = v2.with_raw_response.delete_list_of_licenses_to_remove(ACCOUNT)
    assert raw.status_code == 200
    assert [c.request.method for c in api_calls(mocked)] == ["DELETE"] * 3
