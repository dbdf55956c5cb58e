"""Bad input raises a documented error naming the parameter, before anything is sent."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import responses

from tests.conftest import ACCOUNT
from verizon_sdk import VerizonClient
from verizon_sdk.exceptions import InvalidTypeError, ValidationError
from verizon_sdk.models import V2LicenseIMEI, V2ListOfLicensesToRemoveRequest, V3LicenseIMEI

GOOD = "990003425730524"


def v3(**kwargs: Any) -> V3LicenseIMEI:
    return V3LicenseIMEI(**kwargs)


CASES: list[tuple[str, str, tuple[Any, ...], type[Exception], str]] = [
    ("v3", "get_account_licenses_status", (None,), InvalidTypeError, "acc"),
    ("v3", "get_account_licenses_status", (123,), InvalidTypeError, "acc"),
    ("v3", "get_account_licenses_status", ("",), ValidationError, "acc"),
    ("v3", "get_account_licenses_status", ("   ",), ValidationError, "acc"),
    ("v3", "get_account_licenses_status", ("a/../b",), ValidationError, "acc"),
    ("v3", "get_account_licenses_status", ("..",), ValidationError, "acc"),
    ("v3", "get_account_licenses_status", ("acc?x=1",), ValidationError, "acc"),
    ("v3", "get_account_licenses_status", ("kontö-1",), ValidationError, "acc"),
    ("v3", "get_account_licenses_status", ("9" * 65,), ValidationError, "acc"),
    ("v3", "get_account_licenses_status", (ACCOUNT, 1.5), InvalidTypeError, "last_seen_device_id"),
    ("v3", "get_account_licenses_status", (ACCOUNT, " "), ValidationError, "last_seen_device_id"),
    ("v3", "get_account_licenses_status", (ACCOUNT, "9" * 65), ValidationError, "last_seen"),
    ("v3", "assign_licenses_to_devices", (ACCOUNT, None), ValidationError, "body"),
    (
        "v3",
        "assign_licenses_to_devices",
        (ACCOUNT, {"deviceList": [GOOD]}),
        InvalidTypeError,
        "body",
    ),
    (
        "v3",
        "assign_licenses_to_devices",
        (ACCOUNT, V2LicenseIMEI(device_list=[GOOD])),
        InvalidTypeError,
        "body",
    ),
    ("v3", "assign_licenses_to_devices", (ACCOUNT, v3()), ValidationError, "body.device_list"),
    (
        "v3",
        "assign_licenses_to_devices",
        (ACCOUNT, v3(device_list=[])),
        ValidationError,
        "body.device_list",
    ),
    (
        "v3",
        "assign_licenses_to_devices",
        (ACCOUNT, v3(device_list=GOOD)),
        InvalidTypeError,
        "body.device_list",
    ),
    (
        "v3",
        "assign_licenses_to_devices",
        (ACCOUNT, v3(device_list=(d for d in [GOOD]))),
        InvalidTypeError,
        "body.device_list",
    ),
    (
        "v3",
        "assign_licenses_to_devices",
        (ACCOUNT, v3(device_list=[GOOD, 5])),
        InvalidTypeError,
        "body.device_list[1]",
    ),
    (
        "v3",
        "assign_licenses_to_devices",
        (ACCOUNT, v3(device_list=[GOOD, None])),
        InvalidTypeError,
        "body.device_list[1]",
    ),
    (
        "v3",
        "remove_licenses_from_devices",
        (ACCOUNT, v3(device_list=[""])),
        ValidationError,
        "body.device_list[0]",
    ),
    (
        "v3",
        "remove_licenses_from_devices",
        (ACCOUNT, v3(device_list=["  "])),
        ValidationError,
        "body.device_list[0]",
    ),
    (
        "v3",
        "remove_licenses_from_devices",
        (ACCOUNT, v3(device_list=[" 99 "])),
        ValidationError,
        "body.device_list[0]",
    ),
    (
        "v3",
        "remove_licenses_from_devices",
        (ACCOUNT, v3(device_list=["99٣"])),
        ValidationError,
        "body.device_list[0]",
    ),
    (
        "v3",
        "remove_licenses_from_devices",
        (ACCOUNT, v3(device_list=["9" * 65])),
        ValidationError,
        "body.device_list[0]",
    ),
    (
        "v3",
        "remove_licenses_from_devices",
        (ACCOUNT, v3(device_list=[GOOD] * 10_001)),
        ValidationError,
        "body.device_list",
    ),
    ("v3", "remove_licenses_from_devices", ("", v3(device_list=[GOOD])), ValidationError, "acc"),
    ("v2", "get_account_license_status", (["x"],), InvalidTypeError, "account"),
    (
        "v2",
        "assign_licenses_to_devices",
        (ACCOUNT, V2LicenseIMEI(device_list=[GOOD], account_name=7)),
        InvalidTypeError,
        "body.account_name",
    ),
    (
        "v2",
        "remove_licenses_from_devices",
        (ACCOUNT, V2LicenseIMEI()),
        ValidationError,
        "body.device_list",
    ),
    (
        "v2",
        "create_list_of_licenses_to_remove",
        (ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=[GOOD], mtype="append", count="2")),
        InvalidTypeError,
        "body.count",
    ),
    (
        "v2",
        "create_list_of_licenses_to_remove",
        (ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=[GOOD], mtype=1)),
        InvalidTypeError,
        "body.mtype",
    ),
    ("v2", "list_licenses_to_remove", (ACCOUNT, True), InvalidTypeError, "start_index"),
    ("v2", "list_licenses_to_remove", ("a b",), ValidationError, "account"),
    ("v2", "delete_licenses_removal_candidates", (None,), InvalidTypeError, "account"),
]


@pytest.mark.parametrize(
    ("api", "method", "args", "error", "parameter"),
    CASES,
    ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_bad_input_raises_before_sending(
    client: VerizonClient,
    mocked: responses.RequestsMock,
    api: str,
    method: str,
    args: tuple[Any, ...],
    error: type[Exception],
    parameter: str,
) -> None:
    controller = getattr(client, f"software_management_licenses_{api}")
    with (
        pytest.warns(DeprecationWarning, match="deprecated")
        if api == "v2" and "status" not in method
        else contextlib.nullcontext(),
        pytest.raises(error) as info,
    ):
        getattr(controller, method)(*args)
    assert info.value.parameter.startswith(parameter)  # type: ignore[attr-defined]
    assert str(info.value).startswith(info.value.parameter)  # type: ignore[attr-defined]
    assert len(mocked.calls) == 0


def test_validation_errors_are_value_errors_and_type_errors() -> None:
    assert issubclass(ValidationError, ValueError)
    assert issubclass(InvalidTypeError, TypeError)
    assert issubclass(InvalidTypeError, ValidationError)
