from __future__ import annotations

import copy
import json
import pickle
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import verizon_sdk.models
from verizon_sdk._timeparse import parse_wire_datetime
from verizon_sdk.models import (
    FotaV2SuccessResult,
    Model,
    V2DeviceStatus,
    V2LicenseDevice,
    V2LicenseIMEI,
    V2LicensesAssignedRemovedResult,
    V2LicenseSummary,
    V2ListOfLicensesToRemove,
    V2ListOfLicensesToRemoveRequest,
    V2ListOfLicensesToRemoveResult,
    V3DeviceStatus,
    V3LicenseAssignedRemovedResult,
    V3LicenseDevice,
    V3LicenseIMEI,
    V3LicenseSummary,
)
from verizon_sdk.models._fields import TimeField, nested, nested_list, scalar, str_list

UTC = timezone.utc
ALL_MODELS: list[type[Model]] = [
    FotaV2SuccessResult,
    V2DeviceStatus,
    V2LicenseDevice,
    V2LicenseIMEI,
    V2LicensesAssignedRemovedResult,
    V2LicenseSummary,
    V2ListOfLicensesToRemove,
    V2ListOfLicensesToRemoveRequest,
    V2ListOfLicensesToRemoveResult,
    V3DeviceStatus,
    V3LicenseAssignedRemovedResult,
    V3LicenseDevice,
    V3LicenseIMEI,
    V3LicenseSummary,
]
TIME_FIELDS: dict[type[Model], list[str]] = {
    V2LicenseDevice: ["assignment_time"],
    V3LicenseDevice: ["assignment_time"],
    V3DeviceStatus: ["updated_time", "recent_attempt_time", "next_attempt_time"],
    V2ListOfLicensesToRemove: ["update_time"],
}

# ---------------------------------------------------------------------------------------------
# The example responses of the seeds, verbatim.

V2_ASSIGN = {
    "accountName": "0242078689-00001",
    "licTotalCount": 1000,
    "licUsedCount": 502,
    "deviceList": [
        {"deviceId": "990003425730524", "status": "Success", "resultReason": "Success"},
        {
            "deviceId": "990000473475967",
            "status": "Failure",
            "resultReason": "Device does not exist.",
        },
    ],
}
V2_CANCEL_CREATE = {"count": 2, "deviceList": ["990003425730535", "990000473475989"]}
V2_REMOVE = {
    "accountName": "0242078689-00001",
    "licTotalCount": 1000,
    "licUsedCount": 998,
    "deviceList": [
        {"deviceId": "990003425730535", "status": "Success", "resultReason": "Success"},
        {"deviceId": "990000473475989", "status": "Success", "resultReason": "Success"},
        {
            "deviceId": "900000000000999",
            "status": "Failure",
            "resultReason": "No license attached to device",
        },
    ],
}
V2_SUMMARY = {
    "accountName": "0402196254-00001",
    "totalLicense": 5000,
    "assignedLicenses": 4319,
    "hasMoreData": True,
    "lastSeenDeviceId": "1000",
    "maxPageSize": 10,
    "deviceList": [
        {"deviceId": "990003425730535", "assignmentTime": "2017-11-29T16:03:42.000Z"},
        {"deviceId": "990000473475989", "assignmentTime": "2017-11-29T16:03:42.000Z"},
        {"deviceId": "990000347475989", "assignmentTime": "2017-11-29T16:03:42.000Z"},
        {"deviceId": "990007303425535", "assignmentTime": "2017-11-29T16:03:42.000Z"},
    ],
}
V2_SUCCESS = {"success": True}
V2_CANCEL_LIST = {
    "count": 6,
    "hasMoreData": False,
    "updateTime": "2018-03-22 00:06:00.069 +0000 UTC",
    "deviceList": [
        "990003425730535",
        "990000473475989",
        "990005733420535",
        "990000347475989",
        "990007303425535",
        "990007590473489",
    ],
}
V3_SUMMARY = {
    "accountName": "0000123456-00001",
    "assignedLicenses": 4319,
    "hasMoreData": True,
    "lastSeenDeviceId": "1000",
    "maxPageSize": 1000,
    "deviceList": [
        {"deviceId": "15-digit IMEI", "assignmentTime": "2017-11-29 20:15:42.738 +0000 UTC"},
        {"deviceId": "15-digit IMEI", "assignmentTime": "2017-11-29 20:15:42.738 +0000 UTC"},
    ],
}
_UPGRADE_PENDING = {
    "deviceId": "15-digit IMEI",
    "status": "UpgradePending",
    "resultReason": "Upgrade pending, the device upgrade is estimated to be scheduled for "
    "06 Oct 22 18:05 UTC",
    "updatedTime": "2022-08-05T21:05:27.129Z",
    "recentAttemptTime": "2022-10-05T21:05:01.19Z",
    "nextAttemptTime": "2022-10-06T18:35:00Z",
}
V3_ASSIGN = {
    "accountName": "0000123456-00001",
    "licUsedCount": 2,
    "licCount": 1000,
    "deviceList": [_UPGRADE_PENDING],
}
V3_REMOVE = {
    "accountName": "0000123456-00001",
    "licUsedCount": 998,
    "licCount": 1000,
    "deviceList": [_UPGRADE_PENDING],
}

SEED_RESPONSES = [
    pytest.param(V2LicensesAssignedRemovedResult, V2_ASSIGN, id="v2-assign"),
    pytest.param(V2ListOfLicensesToRemoveResult, V2_CANCEL_CREATE, id="v2-cancel-create"),
    pytest.param(V2LicensesAssignedRemovedResult, V2_REMOVE, id="v2-remove"),
    pytest.param(V2LicenseSummary, V2_SUMMARY, id="v2-status"),
    pytest.param(FotaV2SuccessResult, V2_SUCCESS, id="v2-cancel-delete"),
    pytest.param(V2ListOfLicensesToRemove, V2_CANCEL_LIST, id="v2-cancel-list"),
    pytest.param(V3LicenseSummary, V3_SUMMARY, id="v3-status"),
    pytest.param(V3LicenseAssignedRemovedResult, V3_ASSIGN, id="v3-assign"),
    pytest.param(V3LicenseAssignedRemovedResult, V3_REMOVE, id="v3-remove"),
]


def wire_to_attr(model: type[Model]) -> dict[str, str]:
    return {f.wire: f.name for f in model._fields}


def assert_populated(obj: Model, data: dict[str, Any]) -> None:
    """Every wire key of `data` landed on its attribute (recursively), nothing left over."""
    mapping = wire_to_attr(type(obj))
    assert set(data) <= set(mapping)
    assert obj.additional_properties == {}
    for wire, value in data.items():
        attr = getattr(obj, mapping[wire])
        assert attr is not None, wire
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for item, item_data in zip(attr, value, strict=True):
                assert_populated(item, item_data)
        elif isinstance(attr, datetime):
            assert getattr(obj, mapping[wire] + "_raw") == value
        else:
            assert attr == value


@pytest.mark.parametrize(("model", "data"), SEED_RESPONSES)
def test_from_dictionary_seed_response_populates_every_field(
    model: type[Model], data: dict[str, Any]
) -> None:
    assert_populated(model.from_dictionary(data), data)


@pytest.mark.parametrize(("model", "data"), SEED_RESPONSES)
def test_from_dictionary_seed_response_round_trips(
    model: type[Model], data: dict[str, Any]
) -> None:
    snapshot = json.dumps(data)
    obj = model.from_dictionary(data)
    assert obj.to_dictionary() == data
    # and still after every time field was read
    repr(obj)
    assert obj.to_dictionary() == data
    assert json.dumps(data) == snapshot  # the input is not modified


def test_from_dictionary_v2_summary_values() -> None:
    summary = V2LicenseSummary.from_dictionary(V2_SUMMARY)
    assert summary.total_license == 5000
    assert summary.assigned_licenses == 4319
    assert summary.has_more_data is True
    assert summary.last_seen_device_id == "1000"
    assert summary.max_page_size == 10
    assert summary.device_list is not None
    device = summary.device_list[0]
    assert isinstance(device, V2LicenseDevice)
    assert device.device_id == "990003425730535"
    assert device.assignment_time == datetime(2017, 11, 29, 16, 3, 42, tzinfo=UTC)


def test_from_dictionary_v3_summary_values() -> None:
    summary = V3LicenseSummary.from_dictionary({**V3_SUMMARY, "totalLicenses": 5000})
    assert summary.total_licenses == 5000
    assert summary.device_list is not None
    device = summary.device_list[1]
    assert isinstance(device, V3LicenseDevice)
    assert device.assignment_time == datetime(2017, 11, 29, 20, 15, 42, 738000, tzinfo=UTC)
    assert device.assignment_time_raw == "2017-11-29 20:15:42.738 +0000 UTC"


def test_from_dictionary_v3_assign_values() -> None:
    result = V3LicenseAssignedRemovedResult.from_dictionary(V3_ASSIGN)
    assert (result.account_name, result.lic_count, result.lic_used_count) == (
        "0000123456-00001",
        1000,
        2,
    )
    assert result.device_list is not None
    status = result.device_list[0]
    assert isinstance(status, V3DeviceStatus)
    assert status.status == "UpgradePending"
    assert status.updated_time == datetime(2022, 8, 5, 21, 5, 27, 129000, tzinfo=UTC)
    assert status.recent_attempt_time == datetime(2022, 10, 5, 21, 5, 1, 190000, tzinfo=UTC)
    assert status.next_attempt_time == datetime(2022, 10, 6, 18, 35, tzinfo=UTC)


def test_from_dictionary_v2_cancel_list_go_time() -> None:
    listing = V2ListOfLicensesToRemove.from_dictionary(V2_CANCEL_LIST)
    assert listing.update_time == datetime(2018, 3, 22, 0, 6, 0, 69000, tzinfo=UTC)
    assert listing.has_more_data is False


# ---------------------------------------------------------------------------------------------
# Wire names: every attribute of every model, written and read.

FULL_WIRE: list[Any] = [
    (
        V2LicenseIMEI,
        {"device_list": ["1"], "account_name": "a"},
        {"deviceList": ["1"], "accountName": "a"},
    ),
    (V3LicenseIMEI, {"device_list": ["1"]}, {"deviceList": ["1"]}),
    (
        V2DeviceStatus,
        {"device_id": "1", "status": "s", "result_reason": "r"},
        {"deviceId": "1", "status": "s", "resultReason": "r"},
    ),
    (
        V3DeviceStatus,
        {
            "device_id": "1",
            "status": "s",
            "result_reason": "r",
            "updated_time": "u",
            "recent_attempt_time": "ra",
            "next_attempt_time": "na",
        },
        {
            "deviceId": "1",
            "status": "s",
            "resultReason": "r",
            "updatedTime": "u",
            "recentAttemptTime": "ra",
            "nextAttemptTime": "na",
        },
    ),
    (
        V2LicensesAssignedRemovedResult,
        {"account_name": "a", "lic_total_count": 1, "lic_used_count": 2, "device_list": []},
        {"accountName": "a", "licTotalCount": 1, "licUsedCount": 2, "deviceList": []},
    ),
    (
        V3LicenseAssignedRemovedResult,
        {"account_name": "a", "lic_count": 1, "lic_used_count": 2, "device_list": []},
        {"accountName": "a", "licCount": 1, "licUsedCount": 2, "deviceList": []},
    ),
    (
        V2LicenseSummary,
        {
            "account_name": "a",
            "total_license": 1,
            "assigned_licenses": 2,
            "has_more_data": True,
            "last_seen_device_id": "3",
            "max_page_size": 4,
            "device_list": [],
        },
        {
            "accountName": "a",
            "totalLicense": 1,
            "assignedLicenses": 2,
            "hasMoreData": True,
            "lastSeenDeviceId": "3",
            "maxPageSize": 4,
            "deviceList": [],
        },
    ),
    (
        V3LicenseSummary,
        {
            "account_name": "a",
            "total_licenses": 1,
            "assigned_licenses": 2,
            "has_more_data": True,
            "last_seen_device_id": "3",
            "max_page_size": 4,
            "device_list": [],
        },
        {
            "accountName": "a",
            "totalLicenses": 1,
            "assignedLicenses": 2,
            "hasMoreData": True,
            "lastSeenDeviceId": "3",
            "maxPageSize": 4,
            "deviceList": [],
        },
    ),
    (
        V2LicenseDevice,
        {"device_id": "1", "assignment_time": "t"},
        {"deviceId": "1", "assignmentTime": "t"},
    ),
    (
        V3LicenseDevice,
        {"device_id": "1", "assignment_time": "t"},
        {"deviceId": "1", "assignmentTime": "t"},
    ),
    (
        V2ListOfLicensesToRemoveRequest,
        {"device_list": ["1"], "mtype": "append", "count": 1},
        {"deviceList": ["1"], "type": "append", "count": 1},
    ),
    (
        V2ListOfLicensesToRemoveResult,
        {"count": 1, "device_list": ["1"]},
        {"count": 1, "deviceList": ["1"]},
    ),
    (
        V2ListOfLicensesToRemove,
        {"count": 1, "has_more_data": False, "update_time": "t", "device_list": ["1"]},
        {"count": 1, "hasMoreData": False, "updateTime": "t", "deviceList": ["1"]},
    ),
    (FotaV2SuccessResult, {"success": True}, {"success": True}),
]


def test_full_wire_table_covers_every_model_and_field() -> None:
    assert [row[0] for row in FULL_WIRE] == sorted(ALL_MODELS, key=[r[0] for r in FULL_WIRE].index)
    assert {row[0] for row in FULL_WIRE} == set(ALL_MODELS)
    for model, kwargs, _ in FULL_WIRE:
        assert set(kwargs) == {f.name for f in model._fields}


@pytest.mark.parametrize(("model", "kwargs", "wire"), FULL_WIRE)
def test_to_dictionary_uses_wire_names(
    model: type[Model], kwargs: dict[str, Any], wire: dict[str, Any]
) -> None:
    assert model(**kwargs).to_dictionary() == wire


@pytest.mark.parametrize(("model", "kwargs", "wire"), FULL_WIRE)
def test_from_dictionary_reads_wire_names(
    model: type[Model], kwargs: dict[str, Any], wire: dict[str, Any]
) -> None:
    obj = model.from_dictionary(wire)
    for name, value in kwargs.items():
        shown = (
            getattr(obj, name + "_raw")
            if name in TIME_FIELDS.get(model, [])
            else getattr(obj, name)
        )
        assert shown == value
    assert obj == model(**kwargs)


# ---------------------------------------------------------------------------------------------
# Presence, not truthiness.

FALSY = [
    pytest.param(
        V3LicenseSummary,
        {
            "accountName": "",
            "totalLicenses": 0,
            "assignedLicenses": 0,
            "hasMoreData": False,
            "lastSeenDeviceId": "",
            "maxPageSize": 0,
            "deviceList": [],
        },
        id="v3-summary",
    ),
    pytest.param(
        V2LicenseSummary,
        {"totalLicense": 0, "assignedLicenses": 0, "hasMoreData": False, "deviceList": []},
        id="v2-summary",
    ),
    pytest.param(
        V2ListOfLicensesToRemove,
        {"count": 0, "hasMoreData": False, "updateTime": "", "deviceList": []},
        id="v2-cancel-list",
    ),
    pytest.param(FotaV2SuccessResult, {"success": False}, id="success-false"),
    pytest.param(
        V3LicenseAssignedRemovedResult,
        {"licCount": 0, "licUsedCount": 0, "deviceList": [{"deviceId": "", "status": ""}]},
        id="v3-assign",
    ),
    pytest.param(V3LicenseIMEI, {"deviceList": []}, id="v3-imei-empty"),
    pytest.param(V2LicenseIMEI, {"deviceList": [], "accountName": ""}, id="v2-imei-empty"),
]


@pytest.mark.parametrize(("model", "data"), FALSY)
def test_from_dictionary_falsy_values_survive(model: type[Model], data: dict[str, Any]) -> None:
    obj = model.from_dictionary(data)
    mapping = wire_to_attr(model)
    for wire, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            continue
        attr = mapping[wire]
        shown = (
            getattr(obj, attr + "_raw")
            if attr in TIME_FIELDS.get(model, [])
            else getattr(obj, attr)
        )
        assert shown == value
        assert type(shown) is type(value)
    assert obj.to_dictionary() == data


def test_from_dictionary_assigned_licenses_zero_is_not_none() -> None:
    summary = V3LicenseSummary.from_dictionary({"assignedLicenses": 0, "hasMoreData": False})
    assert summary.assigned_licenses == 0
    assert summary.has_more_data is False


def test_from_dictionary_null_and_absent_are_none() -> None:
    summary = V3LicenseSummary.from_dictionary({"accountName": None, "deviceList": None})
    assert summary.account_name is None
    assert summary.device_list is None
    assert summary.max_page_size is None
    assert summary.to_dictionary() == {}


def test_from_dictionary_scalars_stored_as_received() -> None:
    data = {"assignedLicenses": "12", "hasMoreData": "false", "maxPageSize": 1.5, "accountName": 7}
    summary: Any = V3LicenseSummary.from_dictionary(data)
    assert summary.assigned_licenses == "12"
    assert summary.has_more_data == "false"
    assert summary.max_page_size == 1.5
    assert summary.account_name == 7
    assert summary.to_dictionary() == data


def test_from_dictionary_none_returns_none() -> None:
    assert V3LicenseSummary.from_dictionary(None) is None


def test_to_dictionary_omits_none_keeps_falsy() -> None:
    body = V2ListOfLicensesToRemoveRequest(device_list=[], mtype="", count=0)
    assert body.to_dictionary() == {"deviceList": [], "type": "", "count": 0}
    body.mtype = None
    assert body.to_dictionary() == {"deviceList": [], "count": 0}


# ---------------------------------------------------------------------------------------------
# Unknown keys.


def test_from_dictionary_unknown_keys_kept() -> None:
    data = {
        **V3_SUMMARY,
        "totalLicenses": 10,
        "newTopLevel": {"nested": [1, None]},
        "deviceList": [
            {"deviceId": "1", "assignmentTime": "2017-11-29T16:03:42Z", "tag": None, "x": 0}
        ],
    }
    summary = V3LicenseSummary.from_dictionary(data)
    assert summary.additional_properties == {"newTopLevel": {"nested": [1, None]}}
    assert summary.device_list is not None
    assert summary.device_list[0].additional_properties == {"tag": None, "x": 0}
    assert summary.to_dictionary() == data


def test_to_dictionary_merges_additional_properties_known_field_wins() -> None:
    body = V3LicenseIMEI(device_list=["1"], additional_properties={"deviceList": ["x"], "y": 1})
    assert body.to_dictionary() == {"deviceList": ["1"], "y": 1}
    body.additional_properties["z"] = [2]
    assert body.to_dictionary() == {"deviceList": ["1"], "y": 1, "z": [2]}


def test_additional_properties_default_empty_and_not_shared() -> None:
    first, second = V3LicenseIMEI(), V3LicenseIMEI()
    first.additional_properties["x"] = 1
    assert second.additional_properties == {}
    parsed_a = V3LicenseIMEI.from_dictionary({"deviceList": []})
    parsed_b = V3LicenseIMEI.from_dictionary({"deviceList": []})
    parsed_a.additional_properties["x"] = 1
    assert parsed_b.additional_properties == {}
    first.additional_properties = None
    assert first.additional_properties == {}


# ---------------------------------------------------------------------------------------------
# Wrong structure.

BAD_STRUCTURE = [
    (V3LicenseSummary, "text", "V3LicenseSummary: expected an object, got str"),
    (V3LicenseSummary, [V3_SUMMARY], "V3LicenseSummary: expected an object, got list"),
    (V3LicenseSummary, 3, "V3LicenseSummary: expected an object, got int"),
    (
        V3LicenseSummary,
        {"deviceList": "x"},
        "V3LicenseSummary.deviceList: expected a list, got str",
    ),
    (
        V3LicenseSummary,
        {"deviceList": {"deviceId": "1"}},
        "V3LicenseSummary.deviceList: expected a list, got dict",
    ),
    (
        V3LicenseSummary,
        {"deviceList": [{"deviceId": "1"}, "990003425730524"]},
        r"V3LicenseSummary.deviceList\[1\]: expected an object, got str",
    ),
    (
        V2LicenseSummary,
        {"deviceList": [None]},
        r"V2LicenseSummary.deviceList\[0\]: expected an object, got NoneType",
    ),
    (
        V3LicenseAssignedRemovedResult,
        {"deviceList": [[]]},
        r"V3LicenseAssignedRemovedResult.deviceList\[0\]: expected an object, got list",
    ),
    (
        V2LicensesAssignedRemovedResult,
        {"deviceList": 5},
        "V2LicensesAssignedRemovedResult.deviceList: expected a list, got int",
    ),
    (
        V3LicenseIMEI,
        {"deviceList": "990003425730524"},
        "V3LicenseIMEI.deviceList: expected a list, got str",
    ),
    (V2LicenseIMEI, {"deviceList": {}}, "V2LicenseIMEI.deviceList: expected a list, got dict"),
    (
        V2ListOfLicensesToRemove,
        {"deviceList": True},
        "V2ListOfLicensesToRemove.deviceList: expected a list, got bool",
    ),
    (
        V2ListOfLicensesToRemoveResult,
        {"deviceList": 1.5},
        "V2ListOfLicensesToRemoveResult.deviceList: expected a list, got float",
    ),
    (
        V2ListOfLicensesToRemoveRequest,
        {"deviceList": "1"},
        "V2ListOfLicensesToRemoveRequest.deviceList: expected a list, got str",
    ),
]


@pytest.mark.parametrize(("model", "data", "message"), BAD_STRUCTURE)
def test_from_dictionary_bad_structure_raises_type_error(
    model: type[Model], data: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=f"^{message}$"):
        model.from_dictionary(data)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["2017-11-29T16:03:42.000Z", "2017-11-29 20:15:42.738 +0000 UTC"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _wire_objects(model: type[Model]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are mostly the model's own wire names, with any JSON values."""
    keys = st.sampled_from(sorted(f.wire for f in model._fields)) | st.text(max_size=8)
    nested_items = st.lists(
        st.dictionaries(st.sampled_from(["deviceId", "assignmentTime", "updatedTime", "x"]), JSON)
        | JSON,
        max_size=3,
    )
    return st.dictionaries(keys, JSON | nested_items, max_size=8)


@pytest.mark.parametrize("model", ALL_MODELS)
def test_from_dictionary_any_json_only_type_error(model: type[Model]) -> None:
    @given(_wire_objects(model))
    def check(data: dict[str, Any]) -> None:
        try:
            obj = model.from_dictionary(data)
        except TypeError:
            return
        for field in model._fields:
            getattr(obj, field.name)  # time fields parse or give None, never raise
        repr(obj)
        wire = obj.to_dictionary()
        json.dumps(wire)
        again = model.from_dictionary(wire)
        assert again == obj
        assert again.to_dictionary() == wire

    check()


# ---------------------------------------------------------------------------------------------
# Time fields.


def test_time_field_parsed_lazily_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = parse_wire_datetime

    def counting(value: object) -> datetime | None:
        calls.append(value)
        return real(value)

    monkeypatch.setattr("verizon_sdk.models._fields.parse_wire_datetime", counting)
    summary = V3LicenseSummary.from_dictionary(V3_SUMMARY)
    assert calls == []
    assert summary.device_list is not None
    device = summary.device_list[0]
    assert device.assignment_time_raw == "2017-11-29 20:15:42.738 +0000 UTC"
    assert calls == []
    first = device.assignment_time
    second = device.assignment_time
    assert first is second
    assert calls == ["2017-11-29 20:15:42.738 +0000 UTC"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2017-11-29T16:03:42.000Z", datetime(2017, 11, 29, 16, 3, 42, tzinfo=UTC)),
        (
            "2017-11-29 20:15:42.738 +0000 UTC",
            datetime(2017, 11, 29, 20, 15, 42, 738000, tzinfo=UTC),
        ),
        ("2022-10-06T18:35:00-05:00", datetime(2022, 10, 6, 23, 35, tzinfo=UTC)),
    ],
)
def test_time_field_parses_both_formats(raw: str, expected: datetime) -> None:
    device = V3LicenseDevice.from_dictionary({"deviceId": "1", "assignmentTime": raw})
    assert device.assignment_time == expected
    assert device.assignment_time is not None
    assert device.assignment_time.tzinfo is not None
    assert device.assignment_time_raw == raw
    assert device.to_dictionary() == {"deviceId": "1", "assignmentTime": raw}


@pytest.mark.parametrize(
    "raw", ["06 Oct 22 18:05 UTC", "", "2017-13-01T00:00:00Z", 1511971422, True, [1], {"a": 1}]
)
def test_time_field_unparseable_is_none_raw_kept(raw: Any) -> None:
    data = {"deviceId": "1", "updatedTime": raw, "nextAttemptTime": "2022-10-06T18:35:00Z"}
    status = V3DeviceStatus.from_dictionary(data)
    assert status.updated_time is None
    assert status.updated_time_raw == raw
    assert status.next_attempt_time == datetime(2022, 10, 6, 18, 35, tzinfo=UTC)
    assert status.to_dictionary() == data
    assert f"updated_time_raw={raw!r}" in repr(status)


def test_time_field_assign_aware_datetime_emits_rfc3339_utc() -> None:
    device = V3LicenseDevice.from_dictionary(
        {"deviceId": "1", "assignmentTime": "2017-11-29 20:15:42.738 +0000 UTC"}
    )
    when = datetime(2022, 10, 6, 20, 35, tzinfo=timezone(timedelta(hours=2)))
    device.assignment_time = when
    assert device.assignment_time is when
    assert device.assignment_time_raw == "2022-10-06T18:35:00.000Z"
    assert device.to_dictionary() == {"deviceId": "1", "assignmentTime": "2022-10-06T18:35:00.000Z"}


def test_time_field_assign_naive_datetime_is_utc() -> None:
    device = V2LicenseDevice()
    device.assignment_time = datetime(2022, 10, 6, 18, 35, 0, 129000)
    assert device.assignment_time == datetime(2022, 10, 6, 18, 35, 0, 129000, tzinfo=UTC)
    assert device.to_dictionary() == {"assignmentTime": "2022-10-06T18:35:00.129Z"}


def test_time_field_assign_string_is_raw_wire_value() -> None:
    device = V2LicenseDevice(assignment_time=datetime(2020, 1, 1, tzinfo=UTC))
    device.assignment_time = "2017-11-29 20:15:42.738 +0000 UTC"
    assert device.assignment_time_raw == "2017-11-29 20:15:42.738 +0000 UTC"
    assert device.assignment_time == datetime(2017, 11, 29, 20, 15, 42, 738000, tzinfo=UTC)
    assert device.to_dictionary() == {"assignmentTime": "2017-11-29 20:15:42.738 +0000 UTC"}
    device.assignment_time = "garbage"
    assert device.assignment_time is None
    assert device.to_dictionary() == {"assignmentTime": "garbage"}


def test_time_field_assign_none_clears() -> None:
    listing = V2ListOfLicensesToRemove.from_dictionary(V2_CANCEL_LIST)
    listing.update_time = None
    assert listing.update_time is None
    assert listing.update_time_raw is None
    assert "updateTime" not in listing.to_dictionary()


def test_time_field_keyword_arguments() -> None:
    status = V3DeviceStatus(
        updated_time=datetime(2022, 8, 5, 21, 5, 27, 129000, tzinfo=UTC),
        recent_attempt_time="2022-10-05T21:05:01.19Z",
    )
    assert status.recent_attempt_time == datetime(2022, 10, 5, 21, 5, 1, 190000, tzinfo=UTC)
    assert status.next_attempt_time is None
    assert status.next_attempt_time_raw is None
    assert status.to_dictionary() == {
        "updatedTime": "2022-08-05T21:05:27.129Z",
        "recentAttemptTime": "2022-10-05T21:05:01.19Z",
    }


def test_time_field_raw_is_read_only() -> None:
    device = V3LicenseDevice.from_dictionary({"assignmentTime": "2017-11-29T16:03:42.000Z"})
    with pytest.raises(AttributeError, match=r"assignment_time_raw is read-only"):
        device.assignment_time_raw = "x"  # type: ignore[assignment]
    assert device.assignment_time_raw == "2017-11-29T16:03:42.000Z"


def test_time_field_class_access_returns_descriptors() -> None:
    assert isinstance(V3LicenseDevice.assignment_time, TimeField)
    assert V3LicenseDevice.assignment_time.wire == "assignmentTime"
    assert V3LicenseDevice.assignment_time_raw is V3LicenseDevice.assignment_time.raw
    assert V3LicenseDevice.additional_properties is Model.additional_properties


# ---------------------------------------------------------------------------------------------
# Construction.


@pytest.mark.parametrize("model", ALL_MODELS)
def test_init_no_arguments_all_none(model: type[Model]) -> None:
    obj = model()
    for field in model._fields:
        assert getattr(obj, field.name) is None
    assert obj.additional_properties == {}
    assert obj.to_dictionary() == {}
    assert repr(obj) == f"{model.__name__}()"


def test_init_then_set_attributes_seed_style() -> None:
    body = V2LicenseIMEI()
    body.device_list = ["990003425730524", "990000473475967"]
    assert body.to_dictionary() == {"deviceList": ["990003425730524", "990000473475967"]}

    request = V2ListOfLicensesToRemoveRequest()
    request.mtype = "append"
    request.count = 2
    request.device_list = ["990003425730535", "990000473475989"]
    assert request.to_dictionary() == {
        "deviceList": ["990003425730535", "990000473475989"],
        "type": "append",
        "count": 2,
    }


def test_init_keyword_arguments() -> None:
    body = V3LicenseIMEI(device_list=["15-digit IMEI", "15-digit IMEI"])
    assert body.device_list == ["15-digit IMEI", "15-digit IMEI"]
    nested_result = V3LicenseAssignedRemovedResult(
        account_name="a", device_list=[V3DeviceStatus(device_id="1", status="Success")]
    )
    assert nested_result.to_dictionary() == {
        "accountName": "a",
        "deviceList": [{"deviceId": "1", "status": "Success"}],
    }


@pytest.mark.parametrize("name", ["devicelist", "deviceList", "assignment_time_raw", "_extra"])
def test_init_unknown_keyword_raises_type_error(name: str) -> None:
    kwargs: dict[str, Any] = {name: []}
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{name}'"):
        V3LicenseIMEI(**kwargs)


def test_init_positional_argument_raises_type_error() -> None:
    args: list[Any] = [["1"]]
    with pytest.raises(TypeError):
        V3LicenseIMEI(*args)


def test_init_does_not_validate() -> None:
    body = V3LicenseIMEI(device_list=[])
    assert body.device_list == []
    assert V2LicenseIMEI(device_list=None, account_name="").to_dictionary() == {"accountName": ""}


def test_slots_reject_unknown_attribute() -> None:
    body = V3LicenseIMEI()
    assert not hasattr(body, "__dict__")
    with pytest.raises(AttributeError):
        body.devicelist = ["1"]  # type: ignore[attr-defined]


def test_lists_are_copied_both_ways() -> None:
    data = {"deviceList": ["1", "2"]}
    body = V3LicenseIMEI.from_dictionary(data)
    data["deviceList"].append("3")
    assert body.device_list == ["1", "2"]
    out = body.to_dictionary()
    out["deviceList"].append("4")
    assert body.device_list == ["1", "2"]


def test_to_dictionary_accepts_tuples_and_plain_dicts() -> None:
    body = V3LicenseIMEI(device_list=("1", "2"))  # type: ignore[arg-type]
    assert body.to_dictionary() == {"deviceList": ["1", "2"]}
    result = V3LicenseAssignedRemovedResult(
        device_list=(V3DeviceStatus(device_id="1"), {"deviceId": "2"})  # type: ignore[arg-type]
    )
    assert result.to_dictionary() == {"deviceList": [{"deviceId": "1"}, {"deviceId": "2"}]}
    result.device_list = "odd"  # type: ignore[assignment]
    assert result.to_dictionary() == {"deviceList": "odd"}


# ---------------------------------------------------------------------------------------------
# repr, equality, hashing, copying.


def test_repr_shows_class_and_set_fields() -> None:
    device = V3LicenseDevice.from_dictionary(
        {"deviceId": "990003425730524", "assignmentTime": "2017-11-29T16:03:42.000Z"}
    )
    assert repr(device) == (
        "V3LicenseDevice(device_id='990003425730524', assignment_time="
        "datetime.datetime(2017, 11, 29, 16, 3, 42, tzinfo=datetime.timezone.utc))"
    )
    summary = V3LicenseSummary(assigned_licenses=0, has_more_data=False, device_list=[])
    summary.additional_properties["extra"] = 1
    assert repr(summary) == (
        "V3LicenseSummary(assigned_licenses=0, has_more_data=False, device_list=[], "
        "additional_properties={'extra': 1})"
    )


def test_eq_compares_type_and_values() -> None:
    assert V2LicenseSummary.from_dictionary(V2_SUMMARY) == V2LicenseSummary.from_dictionary(
        V2_SUMMARY
    )
    a = V2LicenseDevice(device_id="1")
    assert a == V2LicenseDevice(device_id="1")
    assert a != V2LicenseDevice(device_id="2")
    assert a != V3LicenseDevice(device_id="1")
    assert a != {"deviceId": "1"}
    assert a != V2LicenseDevice(device_id="1", additional_properties={"x": 1})
    assert V2LicenseDevice(additional_properties={}) == V2LicenseDevice()


def test_eq_time_fields_compare_instants() -> None:
    go = V3LicenseDevice.from_dictionary({"assignmentTime": "2017-11-29 16:03:42 +0000 UTC"})
    rfc = V3LicenseDevice.from_dictionary({"assignmentTime": "2017-11-29T16:03:42.000Z"})
    assigned = V3LicenseDevice(assignment_time=datetime(2017, 11, 29, 16, 3, 42))
    assert go == rfc == assigned
    assert V3LicenseDevice(assignment_time="x") == V3LicenseDevice(assignment_time="x")
    assert V3LicenseDevice(assignment_time="x") != V3LicenseDevice(assignment_time="y")
    assert V3LicenseDevice(assignment_time="x") != V3LicenseDevice()


@pytest.mark.parametrize("model", ALL_MODELS)
def test_models_are_unhashable(model: type[Model]) -> None:
    assert model.__hash__ is None
    with pytest.raises(TypeError):
        hash(model())


@pytest.mark.parametrize(
    "clone", [copy.copy, copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))]
)
def test_copy_and_pickle_keep_unparsed_times(clone: Any) -> None:
    original = V3LicenseAssignedRemovedResult.from_dictionary({**V3_ASSIGN, "extra": {"k": [1]}})
    twin = clone(original)
    assert twin.to_dictionary() == original.to_dictionary()
    assert twin == original
    assert twin.device_list is not None
    assert twin.device_list[0].next_attempt_time == datetime(2022, 10, 6, 18, 35, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# The machinery itself, with models declared here.


class _Inner(Model):
    name: str | None = scalar("name", default=None)
    tags: list[str] | None = str_list("tags", default=None)


class _Outer(Model):
    inner: _Inner | None = nested("inner", _Inner, default=None)
    inners: list[_Inner] | None = nested_list("inners", _Inner, default=None)


class _Extended(_Outer):
    seen: TimeField = TimeField("seen")
    seen_raw = seen.raw


def test_nested_model_round_trip() -> None:
    data = {"inner": {"name": "a", "tags": []}, "inners": [{"name": "b", "x": 1}]}
    outer = _Outer.from_dictionary(data)
    assert outer.inner == _Inner(name="a", tags=[])
    assert outer.inners == [_Inner(name="b", additional_properties={"x": 1})]
    assert outer.to_dictionary() == data
    assert repr(outer) == (
        "_Outer(inner=_Inner(name='a', tags=[]), "
        "inners=[_Inner(name='b', additional_properties={'x': 1})])"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"inner": "a"}, "_Outer.inner: expected an object, got str"),
        ({"inner": []}, "_Outer.inner: expected an object, got list"),
        ({"inner": {"tags": "a"}}, "_Inner.tags: expected a list, got str"),
        ({"inners": [{"tags": 1}]}, "_Inner.tags: expected a list, got int"),
    ],
)
def test_nested_model_bad_structure(data: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=f"^{message}$"):
        _Outer.from_dictionary(data)


def test_model_subclass_inherits_fields() -> None:
    data = {"inner": {"name": "a"}, "seen": "2017-11-29T16:03:42Z"}
    extended = _Extended.from_dictionary(data)
    assert extended.inner == _Inner(name="a")
    assert extended.seen == datetime(2017, 11, 29, 16, 3, 42, tzinfo=UTC)
    assert extended.to_dictionary() == data
    assert _Extended(inner=_Inner()).to_dictionary() == {"inner": {}}


def test_model_duplicate_wire_name_rejected() -> None:
    with pytest.raises(TypeError, match="declared twice"):

        class _Twice(Model):
            a: str | None = scalar("same", default=None)
            b: str | None = scalar("same", default=None)


def test_all_lists_every_model() -> None:
    exported = set(verizon_sdk.models.__all__)
    assert exported == {m.__name__ for m in ALL_MODELS} | {"Model"}
    for name in exported:
        assert getattr(verizon_sdk.models, name).__name__ == name


@pytest.mark.parametrize(
    ("model", "keyword", "hint"),
    [
        (V2ListOfLicensesToRemoveRequest, "type", "the wire field 'type' is 'mtype' in Python"),
        (V3LicenseIMEI, "deviceList", "the wire field 'deviceList' is 'device_list' in Python"),
        (V3LicenseIMEI, "devicelist", "did you mean 'device_list'?"),
    ],
)
def test_unknown_keyword_hint(model: type[Model], keyword: str, hint: str) -> None:
    with pytest.raises(TypeError) as info:
        model(**{keyword: []})
    assert str(info.value).endswith(f"({hint})")


def test_repr_of_a_long_list_shows_the_first_items_and_a_count() -> None:
    page = V3LicenseSummary.from_dictionary(
        {"deviceList": [{"deviceId": f"99000000000{n:04d}"} for n in range(1000)]}
    )
    text = repr(page)
    assert text.endswith("... 997 more])")
    assert text.count("V3LicenseDevice(") == 3
    assert repr(V3LicenseIMEI(device_list=["1", "2", "3"])) == (
        "V3LicenseIMEI(device_list=['1', '2', '3'])"
    )


# -- issue 14.1: two spellings of a total (the published SDK's and Verizon's pages') -------------

SPELLINGS = [
    (V3LicenseSummary, "total_licenses", "totalLicenses", "totalLicense"),
    (V3LicenseAssignedRemovedResult, "lic_count", "licCount", "licTotalCount"),
]


@pytest.mark.parametrize(("model", "attribute", "seed_wire", "pages_wire"), SPELLINGS)
@pytest.mark.parametrize("which", ["seed", "pages"])
def test_spelling_fills_the_attribute_and_round_trips(
    model: Any, attribute: str, seed_wire: str, pages_wire: str, which: str
) -> None:
    wire = seed_wire if which == "seed" else pages_wire
    data = {"accountName": "0000123456-00001", wire: 0}
    parsed = model.from_dictionary(data)
    assert getattr(parsed, attribute) == 0  # 0 kept, whichever spelling carried it
    assert parsed.additional_properties == {}
    assert parsed.to_dictionary() == data  # written back under the spelling received
    setattr(parsed, attribute, 7)
    assert parsed.to_dictionary() == {"accountName": "0000123456-00001", wire: 7}


@pytest.mark.parametrize(("model", "attribute", "seed_wire", "pages_wire"), SPELLINGS)
def test_spelling_of_a_model_built_in_code_is_the_seeds(
    model: Any, attribute: str, seed_wire: str, pages_wire: str
) -> None:
    built = model(**{attribute: 1000})
    assert built.to_dictionary() == {seed_wire: 1000}
    assert built == model.from_dictionary({pages_wire: 1000})  # spelling is not part of equality


@pytest.mark.parametrize(("model", "attribute", "seed_wire", "pages_wire"), SPELLINGS)
def test_both_spellings_seed_wins_and_neither_is_lost(
    model: Any, attribute: str, seed_wire: str, pages_wire: str
) -> None:
    data = {seed_wire: 5, pages_wire: 6, "other": True}
    parsed = model.from_dictionary(data)
    assert getattr(parsed, attribute) == 5
    assert parsed.additional_properties == {pages_wire: 6, "other": True}
    assert parsed.to_dictionary() == data
    again = pickle.loads(pickle.dumps(parsed))
    assert again.to_dictionary() == data and again == parsed


def test_mistyped_keyword_names_either_spelling() -> None:
    with pytest.raises(TypeError, match="'totalLicense' is 'total_licenses' in Python"):
        V3LicenseSummary(totalLicense=1)
