"""Issue 14: the SDK against a simulator playing Verizon's reference pages (``reading="pages"``).

Each test names the numbered item it proves. ``doc/service.md`` records every choice.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from verizon_sdk import VerizonClient
from verizon_sdk._demo import run_demo
from verizon_sdk.exceptions import AuthenticationError, ConfigurationError, ValidationError
from verizon_sdk.models import (
    V2LicenseIMEI,
    V2ListOfLicensesToRemoveRequest,
    V3LicenseIMEI,
)
from verizon_sdk.simulator import Fault, Simulator, SimulatorOptions
from verizon_sdk.simulator._cli import build_parser, simulator_from_args

ACCOUNT = "0000123456-00001"
pytestmark = pytest.mark.usefixtures("quiet_deprecations")
IDS = [f"99000000000{n:04d}" for n in range(7)]
BASIC = "Basic " + base64.b64encode(b"sim-client:sim-secret").decode()


@pytest.fixture
def pages() -> Iterator[Simulator]:
    with Simulator(SimulatorOptions.for_reading("pages"), max_page_size=3, pool_size=8) as sim:
        yield sim


@pytest.fixture
def client(pages: Simulator) -> Iterator[VerizonClient]:
    with pages.client(max_retries=0) as sdk:
        yield sdk


def _token(sim: Simulator, **form: str) -> requests.Response:
    return requests.post(
        sim.url + "/ts/v1/oauth2/token",
        data={"grant_type": "client_credentials", **form},
        headers={"Authorization": BASIC},
        timeout=5,
    )


# -- item 1: field spellings --------------------------------------------------------------------


def test_item1_pages_spellings_fill_the_typed_attributes(
    pages: Simulator, client: VerizonClient
) -> None:
    v3 = client.software_management_licenses_v3
    result = v3.assign_licenses_to_devices(ACCOUNT, V3LicenseIMEI(device_list=IDS[:2]))
    assert result.lic_count == 8  # sent as licTotalCount
    assert result.additional_properties == {}
    assert "licTotalCount" in result.to_dictionary()
    assert "licCount" not in result.to_dictionary()
    summary = v3.get_account_licenses_status(ACCOUNT)
    assert summary.total_licenses == 8  # sent as totalLicense
    assert summary.to_dictionary()["totalLicense"] == 8
    assert "totalLicenses" not in summary.to_dictionary()
    assert summary.additional_properties == {}


# -- item 2: lastSeenDeviceId ------------------------------------------------------------------


def test_item2_iterators_work_against_a_simulator_requiring_last_seen(
    pages: Simulator, client: VerizonClient
) -> None:
    pages.seed(ACCOUNT, pool=8, assigned=IDS)
    for api in (client.software_management_licenses_v3, client.software_management_licenses_v2):
        pages.reset_counters()
        assert [d.device_id for d in api.iter_account_licenses(ACCOUNT)] == IDS
        sent = [r.query.get("lastSeenDeviceId") for r in pages.requests("/licenses/" + ACCOUNT)]
        assert sent == ["0", IDS[2], IDS[5]]


def test_item2_single_page_none_sends_zero(pages: Simulator, client: VerizonClient) -> None:
    client.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    client.software_management_licenses_v2.get_account_license_status(ACCOUNT, None)
    assert [r.query for r in pages.requests("/licenses/" + ACCOUNT)] == [
        {"lastSeenDeviceId": "0"},
        {"lastSeenDeviceId": "0"},
    ]


def test_item2_simulator_answers_the_documented_400_without_last_seen(pages: Simulator) -> None:
    bearer = _token(pages).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {bearer}",
        "VZ-M2M-Token": "sim-m2m-token",
        "Content-Type": "application/json",
    }
    response = requests.get(f"{pages.url}/fota/v3/licenses/{ACCOUNT}", headers=headers, timeout=5)
    assert response.status_code == 400
    assert response.json() == {
        "errorCode": "INVALID_PARAMETER",
        "errorMessage": "LastSeenDeviceId Not Valid",
    }


# -- item 3: Content-Type on every licenses request ---------------------------------------------


def _all_nine(client: VerizonClient) -> None:
    v2, v3 = client.software_management_licenses_v2, client.software_management_licenses_v3
    v3.get_account_licenses_status(ACCOUNT)
    v3.assign_licenses_to_devices(ACCOUNT, V3LicenseIMEI(device_list=IDS[:2]))
    v3.remove_licenses_from_devices(ACCOUNT, V3LicenseIMEI(device_list=IDS[:1]))
    v2.get_account_license_status(ACCOUNT)
    v2.assign_licenses_to_devices(ACCOUNT, V2LicenseIMEI(device_list=IDS[2:3]))
    v2.remove_licenses_from_devices(ACCOUNT, V2LicenseIMEI(device_list=IDS[2:3]))
    v2.create_list_of_licenses_to_remove(
        ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=IDS[:2], mtype="append")
    )
    v2.list_licenses_to_remove(ACCOUNT)
    v2.delete_licenses_removal_candidates(ACCOUNT)


def test_item3_content_type_on_every_licenses_request(
    pages: Simulator, client: VerizonClient
) -> None:
    _all_nine(client)  # the simulator answers 400 to any request without it
    sent = pages.requests("/licenses/" + ACCOUNT) + pages.requests("/cancel")
    sent += pages.requests("/assign") + pages.requests("/remove")
    assert len(sent) == 9
    assert {r.status for r in sent} == {200}
    assert {r.headers["content-type"] for r in sent} == {"application/json"}
    assert {r.headers["accept"] for r in sent} == {"application/json"}


def test_item3_simulator_answers_400_without_content_type(pages: Simulator) -> None:
    bearer = _token(pages).json()["access_token"]
    headers = {"Authorization": f"Bearer {bearer}", "VZ-M2M-Token": "sim-m2m-token"}
    response = requests.get(
        f"{pages.url}/fota/v3/licenses/{ACCOUNT}",
        params={"lastSeenDeviceId": "0"},
        headers=headers,
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["errorMessage"] == "Content-Type must be application/json"


# -- item 4: the same OAuth token for its lifetime, and revoke (simulator side) ------------------


@pytest.mark.parametrize(("expires_in", "after"), [("remaining", 3000), ("full", 3600)])
def test_item4_same_token_for_its_lifetime(expires_in: str, after: int) -> None:
    options = SimulatorOptions.for_reading("pages", token_expires_in=expires_in)
    with Simulator(options) as sim:
        first = _token(sim).json()
        assert first["expires_in"] == 3600
        sim.advance_time(600)
        again = _token(sim).json()
        assert again["access_token"] == first["access_token"]
        assert again["expires_in"] == after
        assert sim.token_count == 1
        sim.advance_time(3000)  # the hour is over: a new token
        assert _token(sim).json()["access_token"] != first["access_token"]
        assert sim.token_count == 2


def test_item4_sdk_against_a_same_token_service_fetches_once(
    pages: Simulator, client: VerizonClient
) -> None:
    _all_nine(client)
    with pages.client() as other:  # another client gets the same token, and no 401 storm
        other.software_management_licenses_v3.get_account_licenses_status(ACCOUNT)
    assert pages.request_count("/oauth2/token") == 2
    assert pages.token_count == 1
    assert all(r.status == 200 for r in pages.requests())


def test_item4_revoke_ends_the_token(pages: Simulator) -> None:
    token = _token(pages).json()["access_token"]
    revoked = requests.post(
        pages.url + "/ts/v1/oauth2/revoke",
        data={"token": token},
        headers={"Authorization": BASIC},
        timeout=5,
    )
    assert (revoked.status_code, revoked.json()) == (200, {})
    headers = {"Authorization": f"Bearer {token}", "VZ-M2M-Token": "sim-m2m-token"}
    response = requests.get(f"{pages.url}/fota/v3/licenses/{ACCOUNT}", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "AccessToken.Invalid"
    assert _token(pages).json()["access_token"] != token  # a new one after a revoke
    assert requests.post(pages.url + "/ts/v1/oauth2/revoke", timeout=5).status_code == 401
    no_token = requests.post(
        pages.url + "/ts/v1/oauth2/revoke", headers={"Authorization": BASIC}, timeout=5
    )
    assert no_token.status_code == 400


# -- item 5: the V2 cancellation list ----------------------------------------------------------


def test_item5_post_without_append_replaces_the_list(
    pages: Simulator, client: VerizonClient
) -> None:
    v2 = client.software_management_licenses_v2
    v2.create_list_of_licenses_to_remove(
        ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=IDS[:2], mtype="append")
    )
    v2.create_list_of_licenses_to_remove(
        ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=IDS[2:3], mtype="append")
    )
    assert list(v2.iter_licenses_to_remove(ACCOUNT)) == IDS[:3]
    v2.create_list_of_licenses_to_remove(
        ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=IDS[5:6])
    )  # no type: the list is replaced
    assert list(v2.iter_licenses_to_remove(ACCOUNT)) == IDS[5:6]
    assert pages.candidates(ACCOUNT) == IDS[5:6]


# -- item 6: no invented limits -----------------------------------------------------------------


def test_item6_the_device_cap_is_a_setting_that_can_be_lifted(pages: Simulator) -> None:
    ids = [f"99{n:013d}" for n in range(10_001)]
    with pages.client(max_retries=0) as capped, pytest.raises(ValidationError, match="setting"):
        capped.software_management_licenses_v3.assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=ids)
        )
    assert pages.request_count("/assign") == 0
    with pages.client(max_retries=0, max_devices_per_request=None) as open_:
        result = open_.software_management_licenses_v3.assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=ids)
        )
    assert len(result.device_list or []) == 10_001  # the service took them all


@pytest.mark.parametrize(
    ("rule", "sent", "refused"),
    [
        ("printable", ["12345", "abc", "not-an-imei", "990003425730524"], [" 1", "9" * 65]),
        (
            "thingspace",
            ["990003425730524", "A10000009296F2", "12345678901", "8A0F1C2D"],
            ["12345", "abc", "not-an-imei", "9" * 16],
        ),
        ("none", [" 1", "9" * 65, "abc"], [""]),
    ],
)
def test_item6_device_id_rule(
    pages: Simulator, rule: str, sent: list[str], refused: list[str]
) -> None:
    with pages.client(max_retries=0, device_id_rule=rule) as sdk:
        v3 = sdk.software_management_licenses_v3
        for device_id in refused:
            with pytest.raises(ValidationError) as info:
                v3.assign_licenses_to_devices(ACCOUNT, V3LicenseIMEI(device_list=[device_id]))
            assert info.value.parameter == "body.device_list[0]"
        assert pages.request_count("/assign") == 0
        result = v3.assign_licenses_to_devices(ACCOUNT, V3LicenseIMEI(device_list=sent))
        assert [d.device_id for d in result.device_list or []] == sent


def test_item6_bulk_applies_the_device_id_rule(pages: Simulator) -> None:
    with pages.client(max_retries=0, device_id_rule="thingspace") as sdk:
        result = sdk.software_management_licenses_v3.assign_licenses_bulk(
            ACCOUNT, [IDS[0], "12345"]
        )
    assert list(result.succeeded) == [IDS[0]]
    assert list(result.not_attempted) == ["12345"]
    assert result["12345"].invalid
    assert pages.last_request("/assign") is not None
    last = pages.last_request("/assign")
    assert last is not None and last.body == {"deviceList": [IDS[0]]}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"device_id_rule": "imei"}, "device_id_rule must be"),
        ({"max_devices_per_request": 0}, "at least 1"),
        ({"max_devices_per_request": "9"}, "must be an integer"),
    ],
)
def test_item6_settings_are_validated(
    pages: Simulator, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        pages.client(**options)


# -- the simulator's option and CLI flag ---------------------------------------------------------


def test_cli_reading_flag_sets_every_pages_option() -> None:
    sim = simulator_from_args(build_parser().parse_args(["--reading", "pages"]))
    assert sim.options == SimulatorOptions.for_reading("pages")
    assert sim.options.spellings == "pages" and sim.options.same_token
    assert sim.options.require_last_seen_device_id and sim.options.require_content_type
    only = simulator_from_args(build_parser().parse_args(["--spellings", "pages"]))
    assert only.options == SimulatorOptions(spellings="pages")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: SimulatorOptions.for_reading("verizon"), "reading must be one of"),
        (lambda: SimulatorOptions(spellings="both"), "spellings must be one of"),
        (lambda: SimulatorOptions(token_expires_in="never"), "token_expires_in must be one of"),
    ],
)
def test_reading_options_are_validated(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- issue 12.3: the demo says the device-id rule and shows outcomes readably -------------------


def test_demo_shows_status_and_reason_and_the_rule() -> None:
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert "Success  Success" not in text
    assert re.search(r"990003425730000 +Success +license assigned", text)
    assert re.search(r"990003425730000 +Success +license removed", text)
    assert re.search(r"12345 +Failure +Device does not exist\.", text)
    assert "device id        status   reason" in text
    assert 'With device_id_rule="thingspace" nothing is sent' in text
    assert "'12345' is not an IMEI (15 digits), MEID (14 hex digits) or ESN" in text


def test_item4_revoked_token_that_keeps_coming_back_is_a_clear_error(pages: Simulator) -> None:
    with pages.client(max_retries=0) as sdk:
        v3 = sdk.software_management_licenses_v3
        v3.get_account_licenses_status(ACCOUNT)
        last = pages.last_request("/licenses/" + ACCOUNT)
        assert last is not None
        token = last.headers["authorization"].split()[1]
        revoked = requests.post(
            pages.url + "/ts/v1/oauth2/revoke",
            data={"token": token},
            headers={"Authorization": BASIC},
            timeout=5,
        )
        assert revoked.status_code == 200
        again = {"access_token": token, "token_type": "bearer", "expires_in": 3600}
        pages.inject(Fault(path="/oauth2/token", status=200, body=again, times=None))
        pages.reset_counters()
        with pytest.raises(AuthenticationError) as info:
            v3.get_account_licenses_status(ACCOUNT)
    assert info.value.response_code == 401
    assert "issued again the very access token this 401 rejected" in str(info.value)
    assert pages.request_count("/oauth2/token") <= 1  # no wasted fetches
    assert pages.request_count("/licenses/" + ACCOUNT) <= 2  # no 401 storm


@pytest.mark.parametrize("expires_in", ["remaining", "full"])
def test_item4_sdk_refreshes_well_against_a_same_token_service(expires_in: str) -> None:
    options = SimulatorOptions.for_reading("pages", token_expires_in=expires_in)
    with Simulator(options) as sim, sim.client(max_retries=0) as sdk:
        v3 = sdk.software_management_licenses_v3
        for _ in range(3):  # inside the hour: one token, no refetch
            v3.get_account_licenses_status(ACCOUNT)
        assert sim.request_count("/oauth2/token") == 1
        # Only the simulator's clock moves: the SDK still holds the token when the service's
        # hour ends, so this is the service expiring a token early, as a clock skew would.
        sim.advance_time(3590)
        v3.get_account_licenses_status(ACCOUNT)
        sim.advance_time(20)  # the hour is over: the service expires it, the SDK gets a 401
        v3.get_account_licenses_status(ACCOUNT)
        v3.get_account_licenses_status(ACCOUNT)
    statuses = [r.status for r in sim.requests("/licenses/" + ACCOUNT)]
    assert statuses[-1] == 200 and statuses.count(401) <= 1  # no 401 storm
    assert sim.token_count == 2  # the first hour's token, then the next one
    assert sim.request_count("/oauth2/token") <= 4  # no fetch storm either


def test_item4_revoke_leaves_other_clients_tokens_alone() -> None:
    options = SimulatorOptions.for_reading("pages", client_credentials={"a": "1", "b": "2"})
    with Simulator(options) as sim:
        basic = {
            c: "Basic " + base64.b64encode(f"{c}:{p}".encode()).decode()
            for c, p in (("a", "1"), ("b", "2"))
        }

        def token(client: str) -> str:
            answer = requests.post(
                sim.url + "/ts/v1/oauth2/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": basic[client]},
                timeout=5,
            )
            value: str = answer.json()["access_token"]
            return value

        a, b = token("a"), token("b")
        assert a != b  # one token per client
        requests.post(
            sim.url + "/ts/v1/oauth2/revoke",
            data={"token": a},
            headers={"Authorization": basic["a"]},
            timeout=5,
        )
        assert token("b") == b  # b's token lives on
        assert token("a") != a
