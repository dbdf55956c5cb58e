"""The SDK against its simulator over real HTTP on 127.0.0.1: every endpoint, every outcome.

Every test runs against both readings of the service (the ``reading`` fixture of conftest):
the published SDK's and Verizon's reference pages', with the same assertions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from verizon_sdk import VerizonClient
from verizon_sdk.exceptions import (
    AuthenticationError,
    FotaV2ResultException,
    FotaV3ResultException,
)
from verizon_sdk.models import (
    FotaV2SuccessResult,
    V2LicenseIMEI,
    V2LicensesAssignedRemovedResult,
    V2LicenseSummary,
    V2ListOfLicensesToRemove,
    V2ListOfLicensesToRemoveRequest,
    V2ListOfLicensesToRemoveResult,
    V3LicenseAssignedRemovedResult,
    V3LicenseIMEI,
    V3LicenseSummary,
)
from verizon_sdk.simulator import Simulator, SimulatorOptions

ACCOUNT = "0000123456-00001"
pytestmark = pytest.mark.usefixtures("quiet_deprecations")
IDS = [f"99000000000{n:04d}" for n in range(7)]


@pytest.fixture
def sim(reading: str) -> Iterator[Simulator]:
    options = SimulatorOptions.for_reading(reading)
    with Simulator(
        options, max_page_size=3, pool_size=8, unknown_devices=("990000000009999",)
    ) as simulator:
        yield simulator


@pytest.fixture
def client(sim: Simulator, connect: Any) -> Iterator[VerizonClient]:
    with connect(sim.client, max_retries=0) as sdk:
        yield sdk


def test_v3_assign_status_pages_and_remove(sim: Simulator, client: VerizonClient) -> None:
    v3 = client.software_management_licenses_v3
    result = v3.assign_licenses_to_devices(ACCOUNT, V3LicenseIMEI(device_list=IDS))
    assert isinstance(result, V3LicenseAssignedRemovedResult)
    assert (result.lic_count, result.lic_used_count) == (8, 7)
    assert {d.status for d in result.device_list or []} == {"Success"}
    assert all(isinstance(d.updated_time, datetime) for d in result.device_list or [])
    first = v3.get_account_licenses_status(ACCOUNT)
    assert isinstance(first, V3LicenseSummary)
    assert (first.total_licenses, first.assigned_licenses, first.has_more_data) == (8, 7, True)
    assert first.device_list is not None
    assert first.device_list[0].assignment_time is not None  # Go format, parsed
    pages = list(v3.iter_account_licenses(ACCOUNT, pages=True))
    assert len(pages) == 3
    assert [d.device_id for p in pages for d in p.device_list or []] == IDS
    removed = v3.remove_licenses_from_devices(ACCOUNT, V3LicenseIMEI(device_list=IDS[:2]))
    assert removed.lic_used_count == 5
    assert sim.assigned(ACCOUNT) == set(IDS[2:])


def test_v2_endpoints_and_candidate_pages(sim: Simulator, client: VerizonClient) -> None:
    v2 = client.software_management_licenses_v2
    assigned = v2.assign_licenses_to_devices(ACCOUNT, V2LicenseIMEI(device_list=IDS))
    assert isinstance(assigned, V2LicensesAssignedRemovedResult)
    assert (assigned.lic_total_count, assigned.lic_used_count) == (8, 7)
    summary = v2.get_account_license_status(ACCOUNT, "0")
    assert isinstance(summary, V2LicenseSummary)
    assert summary.total_license == 8
    assert [d.device_id for d in v2.iter_account_licenses(ACCOUNT)] == IDS
    created = v2.create_list_of_licenses_to_remove(
        ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=IDS, mtype="append", count=7)
    )
    assert isinstance(created, V2ListOfLicensesToRemoveResult)
    assert created.device_list == IDS
    page = v2.list_licenses_to_remove(ACCOUNT, "3")
    assert isinstance(page, V2ListOfLicensesToRemove)
    assert page.device_list == IDS[3:6]
    assert isinstance(page.update_time, datetime)
    assert list(v2.iter_licenses_to_remove(ACCOUNT)) == IDS  # three startIndex pages
    assert len(list(v2.iter_licenses_to_remove(ACCOUNT, pages=True))) == 3
    deleted = v2.delete_licenses_removal_candidates(ACCOUNT)
    assert isinstance(deleted, FotaV2SuccessResult)
    assert deleted.success is True
    assert sim.candidates(ACCOUNT) == []
    removed = v2.remove_licenses_from_devices(ACCOUNT, V2LicenseIMEI(device_list=IDS))
    assert removed.lic_used_count == 0


def test_every_per_device_outcome(sim: Simulator, client: VerizonClient) -> None:
    v3 = client.software_management_licenses_v3
    sim.seed(ACCOUNT, pool=3, assigned=[IDS[0]])
    batch = [IDS[0], IDS[1], IDS[2], IDS[3], "12345", "990000000009999"]
    outcome = {
        d.device_id: (d.status, d.result_reason)
        for d in v3.assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=batch)
        ).device_list
        or []
    }
    assert outcome == {
        IDS[0]: ("Failure", "Device license preexisting"),
        IDS[1]: ("Success", "Success"),
        IDS[2]: ("Success", "Success"),
        IDS[3]: ("Failure", "No license available"),
        "12345": ("Failure", "Device does not exist."),
        "990000000009999": ("Failure", "Device does not exist."),
    }
    removed = v3.remove_licenses_from_devices(ACCOUNT, V3LicenseIMEI(device_list=[IDS[5]]))
    assert removed.device_list is not None
    assert removed.device_list[0].result_reason == "No license attached to device"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.software_management_licenses_v3.get_account_licenses_status("0000000000-1"),
         "Invalid account name format"),
        (lambda c: c.software_management_licenses_v3.get_account_licenses_status(ACCOUNT, "x1"),
         "LastSeenDeviceId Not Valid"),
        (lambda c: c.software_management_licenses_v2.create_list_of_licenses_to_remove(
            ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=["12345"], mtype="append")),
         "Invalid device id format"),
    ],
)  # fmt: skip
def test_documented_400s_surface_as_fota_exceptions(
    client: VerizonClient, call: object, message: str
) -> None:
    with pytest.raises((FotaV2ResultException, FotaV3ResultException)) as info:
        call(client)  # type: ignore[operator]
    assert info.value.response_code == 400
    assert info.value.error_code == "INVALID_PARAMETER"
    assert info.value.error_message == message


def test_invalid_device_id_format_400_when_the_service_is_strict(
    reading: str, connect: Any
) -> None:
    # ("Device list is empty" cannot be reached through the SDK, which refuses an empty list
    # before sending; tests/test_simulator.py shows the service's answer to one.)
    with (
        Simulator(
            SimulatorOptions.for_reading(reading), invalid_device_format_error=True
        ) as strict,
        connect(strict.client) as sdk,
        pytest.raises(FotaV3ResultException) as info,
    ):
        sdk.software_management_licenses_v3.assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=["12345"])
        )
    assert info.value.error_message == "Invalid device id format"


def test_expired_tokens_are_renewed_and_wrong_credentials_refused(
    sim: Simulator, connect: Any
) -> None:
    with connect(sim.client) as sdk:
        sdk.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
        sim.expire_tokens()
        sdk.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert sim.token_count == 2  # one renewal after the expiry
    assert [r.status for r in sim.requests("/licenses/" + ACCOUNT)] == [200, 401, 200]
    with (
        connect(sim.client, m2m_token="not-a-token") as wrong,
        pytest.raises(AuthenticationError) as info,
    ):
        wrong.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert info.value.error_code == "SessionToken.Invalid"
