from __future__ import annotations

from typing import Any

import pytest
import responses
from responses import matchers

from tests.conftest import ACCESS_TOKEN, ACCOUNT, M2M_TOKEN, V3, api_calls, sent_json
from verizon_sdk import VerizonClient
from verizon_sdk.exceptions import FotaV3ResultException
from verizon_sdk.models import V3LicenseAssignedRemovedResult, V3LicenseIMEI, V3LicenseSummary

ASSIGN_RESULT = {
    "accountName": ACCOUNT,
    "licUsedCount": 2,
    "licCount": 1000,
    "deviceList": [
        {
            "deviceId": "990003425730524",
            "status": "UpgradePending",
            "resultReason": "Upgrade pending",
            "updatedTime": "2022-08-05T21:05:27.129Z",
            "recentAttemptTime": "2022-10-05T21:05:01.19Z",
            "nextAttemptTime": "2022-10-06T18:35:00Z",
        }
    ],
}
SUMMARY = {
    "accountName": ACCOUNT,
    "totalLicenses": 5000,
    "assignedLicenses": 0,
    "hasMoreData": False,
    "lastSeenDeviceId": "990003425730524",
    "maxPageSize": 1000,
    "deviceList": [
        {"deviceId": "990003425730524", "assignmentTime": "2017-11-29 20:15:42.738 +0000 UTC"}
    ],
}


def expect_headers(with_body: bool) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {ACCESS_TOKEN}",
        "VZ-M2M-Token": M2M_TOKEN,
        "Accept": "application/json",
        "Content-Type": "application/json",  # on every licenses request (Verizon's pages)
    }
    del with_body  # a request with a body sends the same headers
    return headers


def test_get_account_licenses_status_sends_query_and_parses(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        f"{V3}/licenses/{ACCOUNT}",
        json=SUMMARY,
        match=[
            matchers.query_param_matcher({"lastSeenDeviceId": "0"}),
            matchers.header_matcher(expect_headers(False)),
        ],
    )
    result = client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT, "0")
    assert isinstance(result, V3LicenseSummary)
    assert result == V3LicenseSummary.from_dictionary(SUMMARY)
    assert result.assigned_licenses == 0
    assert result.has_more_data is False
    assert result.device_list[0].assignment_time.year == 2017
    (call,) = api_calls(mocked)
    assert call.request.method == "GET"
    assert call.request.body is None
    # Verizon's pages require Content-Type on every licenses request, GET included
    assert call.request.headers["Content-Type"] == "application/json"


def test_get_account_licenses_status_none_asks_for_the_first_page(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    # Verizon's pages: lastSeenDeviceId is required, "use 0 for the first request"; None
    # (the seed's default) therefore sends 0, which a service that treats it as optional
    # reads the same way.
    mocked.get(f"{V3}/licenses/{ACCOUNT}", json=SUMMARY)
    client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    (call,) = api_calls(mocked)
    assert call.request.url == f"{V3}/licenses/{ACCOUNT}?lastSeenDeviceId=0"


@pytest.mark.parametrize(
    ("method", "path"),
    [("assign_licenses_to_devices", "assign"), ("remove_licenses_from_devices", "remove")],
)
def test_assign_and_remove_send_body_and_parse(
    client: VerizonClient, mocked: responses.RequestsMock, method: str, path: str
) -> None:
    ids = ["990003425730524", "990000473475967"]
    mocked.post(
        f"{V3}/licenses/{ACCOUNT}/{path}",
        json=ASSIGN_RESULT,
        match=[
            matchers.json_params_matcher({"deviceList": ids}),
            matchers.header_matcher(expect_headers(True)),
        ],
    )
    result = getattr(client.software_management_licenses_v3, method)(
        ACCOUNT, V3LicenseIMEI(device_list=ids)
    )
    assert isinstance(result, V3LicenseAssignedRemovedResult)
    assert result.lic_count == 1000
    status = result.device_list[0]
    assert status.status == "UpgradePending"
    assert status.recent_attempt_time is not None
    assert status.recent_attempt_time.microsecond == 190000
    (call,) = api_calls(mocked)
    assert call.request.method == "POST"
    assert sent_json(call) == {"deviceList": ids}


def test_account_is_percent_encoded_in_path(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{V3}/licenses/ab_c-1", json=SUMMARY)
    client.software_management_licenses_v3.get_account_licenses_status("ab_c-1", "99 0")
    (call,) = api_calls(mocked)
    assert call.request.url.endswith("/licenses/ab_c-1?lastSeenDeviceId=99%200")


def test_bad_request_raises_fota_v3_result_exception(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    body = {"errorCode": "INVALID_PARAMETER", "errorMessage": "Device list is empty"}
    mocked.post(f"{V3}/licenses/{ACCOUNT}/assign", status=400, json=body)
    with pytest.raises(FotaV3ResultException) as info:
        client.software_management_licenses_v3.assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=["990003425730524"])
        )
    error = info.value
    assert error.response_code == 400
    assert error.error_code == "INVALID_PARAMETER"
    assert error.error_message == "Device list is empty"
    assert error.json_body == body
    assert str(error) == (
        f"400 INVALID_PARAMETER: Device list is empty (POST /api/fota/v3/licenses/{ACCOUNT}/assign)"
    )


def test_with_raw_response_exposes_status_and_headers(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{V3}/licenses/{ACCOUNT}", json=SUMMARY, headers={"X-Request-Id": "r-1"})
    controller = client.software_management_licenses_v3
    response: Any = controller.with_raw_response.get_account_licenses_status(ACCOUNT)
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "r-1"
    assert isinstance(response.body, V3LicenseSummary)
    # the plain controller is unchanged
    assert isinstance(controller.get_account_licenses_status(ACCOUNT), V3LicenseSummary)


def test_with_raw_response_offers_only_endpoint_methods(client: VerizonClient) -> None:
    raw = client.software_management_licenses_v3.with_raw_response
    assert dir(raw) == [
        "assign_licenses_to_devices",
        "get_account_licenses_status",
        "remove_licenses_from_devices",
    ]
    with pytest.raises(AttributeError, match="'iter_account_licenses' is not one of them"):
        _ = raw.iter_account_licenses
    with pytest.raises(AttributeError, match="endpoint methods only"):
        _ = raw.assign_licenses_bulk
