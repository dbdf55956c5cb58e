"""Small things a new user trips on (issue 12, item 7)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from verizon_sdk.bulk import BulkResult
from verizon_sdk.exceptions import FotaV3ResultException
from verizon_sdk.models import V3LicenseIMEI
from verizon_sdk.simulator import Fault, Simulator

ACCOUNT = "0000123456-00001"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def imei(n: int) -> str:
    return f"{990000000000000 + n:015d}"


def test_bool_of_a_bulk_result_is_its_ok() -> None:
    with Simulator(pool_size=2) as sim, sim.client() as client:
        v3 = client.software_management_licenses_v3
        good = v3.assign_licenses_bulk(ACCOUNT, [imei(1), imei(2)])
        bad = v3.assign_licenses_bulk(ACCOUNT, [imei(3)])  # the pool is used up
    assert good.ok and bool(good)
    assert not bad.ok and not bad
    assert len(bad) == 1  # "was any id given" is len()


def test_a_bulk_result_equals_itself_after_a_pickle_round_trip() -> None:
    with Simulator(pool_size=2) as sim, sim.client() as client:
        result = client.software_management_licenses_v3.assign_licenses_bulk(
            ACCOUNT, [imei(1), imei(1), imei(2), imei(3)]
        )
    copy = pickle.loads(pickle.dumps(result))
    assert copy == result
    assert copy is not result
    assert result == result
    assert result != BulkResult("assign", ACCOUNT)
    assert (result == "assign") is False


def test_one_duplicate_is_singular() -> None:
    with Simulator() as sim, sim.client() as client:
        v3 = client.software_management_licenses_v3
        one = v3.assign_licenses_bulk(ACCOUNT, [imei(1), imei(1)])
        two = v3.assign_licenses_bulk(ACCOUNT, [imei(2), imei(2), imei(3), imei(3)])
    assert ", 1 duplicate" in repr(one) and "1 duplicates" not in repr(one)
    assert ", 2 duplicates" in repr(two)


def test_controllers_have_a_useful_repr() -> None:
    with Simulator() as sim, sim.client() as client:
        v3 = client.software_management_licenses_v3
        v2 = client.software_management_licenses_v2
        assert repr(v3) == f"<SoftwareManagementLicensesV3Controller at {sim.url}>"
        assert repr(v2) == f"<SoftwareManagementLicensesV2Controller at {sim.url}>"
        assert "0x" not in repr(v3.with_raw_response._controller)
        assert repr(v3.with_raw_response._controller).endswith(", raw responses>")


def test_fleet_sync_help_says_which_files_report_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "fleet_sync.py"), "--help"],
        capture_output=True, text=True, timeout=60, check=False, cwd=EXAMPLES,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    help_text = " ".join(result.stdout.split())
    assert "assign-NAME and remove-NAME (one per run)" in help_text


def test_fault_with_a_string_body_is_an_error_message() -> None:
    with Simulator() as sim, sim.client() as client:
        sim.inject(Fault(path="/assign", status=400, body="Device list is empty"))
        with pytest.raises(FotaV3ResultException) as info:
            client.software_management_licenses_v3.assign_licenses_to_devices(
                ACCOUNT, V3LicenseIMEI(device_list=[imei(1)])
            )
        sim.inject(Fault(path="/assign", status=400, body={"errorMessage": "as given"}))
        with pytest.raises(FotaV3ResultException) as as_json:
            client.software_management_licenses_v3.assign_licenses_to_devices(
                ACCOUNT, V3LicenseIMEI(device_list=[imei(1)])
            )
    assert info.value.error_message == "Device list is empty"
    assert info.value.error_code == "BAD_REQUEST"
    assert as_json.value.json_body == {"errorMessage": "as given"}  # any other body: as JSON
