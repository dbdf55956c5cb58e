from __future__ import annotations

import pytest
import requests
import responses

from tests.conftest import ACCOUNT, V2, V3
from verizon_sdk import VerizonClient
from verizon_sdk.exceptions import (
    APIConnectionError,
    APIException,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    FotaV2ResultException,
    FotaV3ResultException,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)

STATUS_URL = f"{V3}/licenses/{ACCOUNT}"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected", "code", "message"),
    [
        (
            400,
            '{"errorCode":"INVALID_PARAMETER","errorMessage":"Inactive account"}',
            "application/json",
            FotaV3ResultException,
            "INVALID_PARAMETER",
            "Inactive account",
        ),
        (400, "", "application/json", FotaV3ResultException, None, None),
        (400, "not json at all", "text/plain", FotaV3ResultException, None, None),
        (400, "[1, 2]", "application/json", FotaV3ResultException, None, None),
        (
            401,
            '{"error":"invalid_token"}',
            "application/json",
            AuthenticationError,
            "invalid_token",
            None,
        ),
        (
            403,
            '{"errorCode":"FORBIDDEN","errorMessage":"no"}',
            "application/json",
            PermissionDeniedError,
            "FORBIDDEN",
            "no",
        ),
        (404, "<html>nope</html>", "text/html", NotFoundError, None, None),
        (409, "{}", "application/json", APIStatusError, None, None),
        (429, '{"message":"slow down"}', "application/json", RateLimitError, None, "slow down"),
        (500, "boom", "text/plain", ServerError, None, None),
        (502, "", "text/plain", ServerError, None, None),
        (503, "{}", "application/json", ServerError, None, None),
        (504, "{}", "application/json", ServerError, None, None),
        (302, "", "text/plain", APIStatusError, None, None),
    ],
)
def test_status_maps_to_exception_class(
    client: VerizonClient,
    mocked: responses.RequestsMock,
    status: int,
    body: str,
    content_type: str,
    expected: type[APIStatusError],
    code: str | None,
    message: str | None,
) -> None:
    mocked.get(STATUS_URL, status=status, body=body, content_type=content_type)
    with pytest.raises(expected) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    error = info.value
    assert type(error) is expected
    assert error.response_code == status
    assert error.body == body
    assert error.error_code == code
    assert error.error_message == message
    text = str(error)
    assert text.startswith(str(status))
    assert "\n" not in text
    assert repr(error).startswith(expected.__name__)


def test_v2_400_is_v2_exception_not_v3(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{V2}/licenses/{ACCOUNT}", status=400, json={"errorCode": "X"})
    with pytest.raises(FotaV2ResultException):
        client.software_management_licenses_v2.get_account_license_status(ACCOUNT)


def test_rate_limit_error_carries_retry_after(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(STATUS_URL, status=429, json={}, headers={"Retry-After": "120"})
    with pytest.raises(RateLimitError) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert info.value.retry_after == 120.0
    assert "retry after 120 s" in str(info.value)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (requests.ConnectionError("refused"), APIConnectionError),
        (requests.exceptions.ChunkedEncodingError("cut"), APIConnectionError),
        (requests.ConnectTimeout("slow connect"), APITimeoutError),
        (requests.ReadTimeout("slow read"), APITimeoutError),
    ],
)
def test_transport_failures_are_wrapped_with_cause(
    client: VerizonClient,
    mocked: responses.RequestsMock,
    raised: Exception,
    expected: type[APIException],
) -> None:
    mocked.get(STATUS_URL, body=raised)
    with pytest.raises(expected) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert info.value.__cause__ is raised
    assert info.value.response is None
    assert "get_account_licenses_status" in str(info.value)


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        ("", "application/json", "empty body"),
        ("   ", "application/json", "empty body"),
        ('{"accountName": "x"', "application/json", "not valid JSON"),
        ("[]", "application/json", "got a JSON list"),
        ('"text"', "application/json", "got a JSON str"),
        ("<html>oops</html>", "text/html", "Content-Type 'text/html'"),
        ("accountName: x\nhasMoreData: true\n", "text/plain", "Content-Type 'text/plain'"),
        ('{"unrelated": 1}', "application/json", "none of the fields"),
        ('{"deviceList": "nope"}', "application/json", "is not a V3LicenseSummary"),
        ('{"deviceList": [1]}', "application/json", "is not a V3LicenseSummary"),
    ],
)
def test_unexpected_success_body_is_a_clear_error(
    client: VerizonClient,
    mocked: responses.RequestsMock,
    body: str,
    content_type: str,
    fragment: str,
) -> None:
    mocked.get(STATUS_URL, body=body, content_type=content_type)
    with pytest.raises(UnexpectedResponseError) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert fragment in str(info.value)
    assert info.value.response_code == 200
    assert info.value.body == body


def test_errors_survive_pickling(client: VerizonClient, mocked: responses.RequestsMock) -> None:
    import pickle

    from verizon_sdk._pagination import PaginationError
    from verizon_sdk.exceptions import InvalidTypeError, ValidationError

    mocked.get(STATUS_URL, status=429, json={"errorCode": "SLOW"}, headers={"Retry-After": "9"})
    with pytest.raises(RateLimitError) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    errors: list[Exception] = [
        info.value,
        ValidationError("acc", "must not be empty"),
        InvalidTypeError("body", "expected V3LicenseIMEI, got dict"),
        PaginationError("repeated cursor", page_number=3, cursor="990"),
        APIConnectionError("refused"),
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert vars(copy).keys() == vars(error).keys()
    rate_limited = pickle.loads(pickle.dumps(info.value))
    assert rate_limited.retry_after == 9.0
    assert rate_limited.error_code == "SLOW"
    assert rate_limited.response.status_code == 429


def test_unreadable_answer_to_a_post_says_it_was_probably_applied(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    from verizon_sdk.models import V3LicenseIMEI

    mocked.post(f"{STATUS_URL}/assign", body="{}", content_type="application/json")
    with pytest.raises(UnexpectedResponseError, match="so it was probably applied"):
        client.software_management_licenses_v3.assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=["990003425730524"])
        )


def test_error_response_headers_stay_case_insensitive(
    client: VerizonClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(STATUS_URL, status=429, json={}, headers={"Retry-After": "5"})
    with pytest.raises(RateLimitError) as info:
        client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert info.value.response.headers.get("retry-after") == "5"
    assert info.value.headers.get("retry-after") == "5"


def test_raw_response_view_can_be_copied(client: VerizonClient) -> None:
    import copy

    raw = client.software_management_licenses_v3.with_raw_response
    assert dir(copy.copy(raw)) == dir(raw)
