"""The published SDK (sdksio-verizon-apis-sdk 2.0.0) and ours, side by side against the simulator.

Both make the same 9 calls, in both spelling readings, and their parsed values are compared
field by field. Where ours deliberately differs, `compare` names the difference:

- ``0``/``False`` kept: the published SDK's models turn a falsy value into None;
- aware datetimes: ours parses both wire time formats into timezone-aware datetimes, the
  published SDK keeps Go-format strings as text;
- spellings: under Verizon's pages' spellings the published SDK leaves ``total_licenses`` and
  ``lic_count`` unset (the value sits in nothing it reads); ours fills them.

The published SDK is in the ``dev`` extra, so CI runs this module.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

try:
    from verizon.configuration import Server as PublishedServer
    from verizon.http.auth.thingspace_oauth import (
        ThingspaceOauthCredentials as PublishedOauth,
    )
    from verizon.http.auth.vz_m2m_token import VZM2mTokenCredentials as PublishedM2M
    from verizon.models.v2_license_imei import V2LicenseIMEI as PublishedV2IMEI
    from verizon.models.v2_list_of_licenses_to_remove_request import (
        V2ListOfLicensesToRemoveRequest as PublishedCancelRequest,
    )
    from verizon.models.v3_license_imei import V3LicenseIMEI as PublishedV3IMEI
    from verizon.verizon_client import VerizonClient as PublishedClient
except ImportError:  # pragma: no cover - the dev extra installs it
    pytest.skip(
        "the published SDK is not installed: pip install sdksio-verizon-apis-sdk==2.0.0 "
        '(or pip install -e ".[dev]")',
        allow_module_level=True,
    )

from verizon_sdk import VerizonClient
from verizon_sdk._timeparse import parse_wire_datetime
from verizon_sdk.models import (
    Model,
    V2LicenseIMEI,
    V2ListOfLicensesToRemoveRequest,
    V3LicenseIMEI,
)
from verizon_sdk.simulator import Fault, Simulator

ACCOUNT = "0000123456-00001"
HELD = ["990000000000001", "990000000000002"]
NEW = "990000000000005"
CANDIDATES = ["990000000000007", "990000000000008"]
SEEDED_AT = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
SUFFIXES = {
    PublishedServer.OAUTH_SERVER: "/ts/v1",
    PublishedServer.M2M: "/m2m",
    PublishedServer.SOFTWARE_MANAGEMENT_V2: "/fota/v2",
    PublishedServer.SOFTWARE_MANAGEMENT_V3: "/fota/v3",
}
SPELLED = {"total_licenses", "lic_count"}


@pytest.fixture(params=["sdk", "pages"])
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    with Simulator(spellings=request.param, max_page_size=1) as simulator:
        yield simulator


@pytest.fixture
def ours(sim: Simulator) -> Iterator[VerizonClient]:
    with sim.client(max_retries=0) as client:
        yield client


@pytest.fixture
def published(sim: Simulator) -> Any:
    client = PublishedClient(
        thingspace_oauth_credentials=PublishedOauth("sim-client", "sim-secret"),
        vz_m2m_token_credentials=PublishedM2M("sim-m2m-token"),
    )
    # It has no base-URL option: point every server of its environment at the simulator.
    client.config.environments = {
        client.config.environment: {s: sim.url + SUFFIXES.get(s, "") for s in PublishedServer}
    }
    return client


@pytest.fixture(autouse=True)
def _quiet_deprecations() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both SDKs warn on the deprecated V2 methods
        yield


def _seed(sim: Simulator) -> None:
    sim.seed(ACCOUNT, pool=5, assigned=HELD, assigned_at=SEEDED_AT, candidates=CANDIDATES)


def compare(mine: Any, theirs: Any, spellings: str, where: str = "") -> list[str]:
    """Assert equality field by field; return the deliberate differences met."""
    differences: list[str] = []
    if isinstance(mine, list):
        assert isinstance(theirs, list) and len(theirs) == len(mine), where
        for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            differences += compare(a, b, spellings, f"{where}[{index}]")
        return differences
    if not isinstance(mine, Model):
        assert mine == theirs, where
        return differences
    for field in type(mine)._fields:
        name = f"{where}.{field.name}"
        a, b = getattr(mine, field.name), getattr(theirs, field.name, None)
        if isinstance(a, datetime):
            assert a.tzinfo is not None, name  # ours: aware
            if isinstance(b, str):  # a Go-format time: the published SDK keeps the text
                expected = parse_wire_datetime(b)
                differences.append(f"{name}: aware datetime (published: text)")
            else:  # apimatic's RFC3339DateTime wrapper around a datetime
                expected = b.datetime
            assert a == expected, name
        elif b is None and a in (0, False) and a is not None:
            differences.append(f"{name}: {a!r} kept (published: None)")
        elif b is None and a is not None and field.name in SPELLED and spellings == "pages":
            differences.append(f"{name}: read from Verizon's pages' spelling (published: None)")
        else:
            differences += compare(a, b, spellings, name)
    return differences


Pair = tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any], "str | None"]

#: name -> (our call on (v2, v3), the published SDK's call on (v2, v3), path of a change whose
#: answer carries the time of the change, replayed byte for byte to the published SDK)
CALLS: dict[str, Pair] = {
    "v3-status": (
        lambda v2, v3: v3.get_account_licenses_status(ACCOUNT, HELD[0]),
        lambda v2, v3: v3.get_account_licenses_status(ACCOUNT, HELD[0]),
        None,
    ),
    "v3-assign": (
        lambda v2, v3: v3.assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=[NEW, HELD[0]])
        ),
        lambda v2, v3: v3.assign_licenses_to_devices(
            ACCOUNT, PublishedV3IMEI(device_list=[NEW, HELD[0]])
        ),
        "/assign",
    ),
    "v3-remove": (
        lambda v2, v3: v3.remove_licenses_from_devices(ACCOUNT, V3LicenseIMEI(device_list=HELD)),
        lambda v2, v3: v3.remove_licenses_from_devices(ACCOUNT, PublishedV3IMEI(device_list=HELD)),
        "/remove",
    ),
    "v2-status": (
        lambda v2, v3: v2.get_account_license_status(ACCOUNT, "0"),
        lambda v2, v3: v2.get_account_license_status(ACCOUNT, "0"),
        None,
    ),
    "v2-assign": (
        lambda v2, v3: v2.assign_licenses_to_devices(ACCOUNT, V2LicenseIMEI(device_list=[NEW])),
        lambda v2, v3: v2.assign_licenses_to_devices(ACCOUNT, PublishedV2IMEI(device_list=[NEW])),
        None,
    ),
    "v2-remove": (
        lambda v2, v3: v2.remove_licenses_from_devices(ACCOUNT, V2LicenseIMEI(device_list=HELD)),
        lambda v2, v3: v2.remove_licenses_from_devices(ACCOUNT, PublishedV2IMEI(device_list=HELD)),
        None,
    ),
    "v2-create-cancel-list": (
        lambda v2, v3: v2.create_list_of_licenses_to_remove(
            ACCOUNT, V2ListOfLicensesToRemoveRequest(device_list=[NEW], mtype="append", count=1)
        ),
        lambda v2, v3: v2.create_list_of_licenses_to_remove(
            ACCOUNT, PublishedCancelRequest(device_list=[NEW], mtype="append", count=1)
        ),
        None,
    ),
    "v2-list-cancel-list": (
        lambda v2, v3: v2.list_licenses_to_remove(ACCOUNT, "1"),
        lambda v2, v3: v2.list_licenses_to_remove(ACCOUNT, "1"),
        "/cancel",  # updateTime is the time of the seeding
    ),
    "v2-delete-cancel-list": (
        # ours under the published SDK's name too (a documented alias)
        lambda v2, v3: v2.delete_list_of_licenses_to_remove(ACCOUNT),
        lambda v2, v3: v2.delete_list_of_licenses_to_remove(ACCOUNT),
        None,
    ),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_same_call_same_values(
    sim: Simulator, ours: VerizonClient, published: Any, call: str
) -> None:
    our_call, their_call, replay = CALLS[call]
    _seed(sim)
    v2 = ours.software_management_licenses_v2.with_raw_response
    v3 = ours.software_management_licenses_v3.with_raw_response
    response = our_call(v2, v3)
    _seed(sim)  # the same state for the published SDK
    if replay is not None:
        sim.inject(Fault(path=replay, raw_body=response.text.encode()))
    theirs = their_call(
        published.software_management_licenses_v2, published.software_management_licenses_v3
    ).body
    differences = compare(response.body, theirs, sim.options.spellings)
    sent = [r for r in sim.requests() if "/licenses/" in r.path]
    assert len(sent) == 2
    assert (sent[0].method, sent[0].path, sent[0].query, sent[0].body) == (
        sent[1].method,
        sent[1].path,
        sent[1].query,
        sent[1].body,
    )  # the same request on the wire
    assert {r.status for r in sent} == {200}
    for difference in differences:  # each one is a deliberate difference named above
        assert any(k in difference for k in ("kept", "aware datetime", "Verizon's pages"))
    if sim.options.spellings == "pages" and call in ("v3-status", "v3-assign", "v3-remove"):
        assert any("Verizon's pages" in d for d in differences)  # the published SDK loses it
