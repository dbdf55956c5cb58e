"""Rich display: ``_repr_html_`` (escaped, compact) and ``to_dataframe`` (pandas extra)."""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from verizon_sdk import VerizonClient
from verizon_sdk._display import SHOWN_ROWS
from verizon_sdk.models import V3LicenseIMEI
from verizon_sdk.simulator import Fault, Simulator

ACCOUNT = "0000123456-00001"
HOSTILE = "<script>alert('x')</script> & co"


def imei(n: int) -> str:
    return f"{990000000000000 + n:015d}"


@pytest.fixture
def client() -> Iterator[tuple[Simulator, VerizonClient]]:
    with Simulator(pool_size=5) as sim, sim.client() as c:
        yield sim, c


def test_bulk_result_html_is_compact_escaped_and_failures_first(client: Any) -> None:
    sim, c = client
    sim.inject(Fault(path="/assign", status=200, times=None, body={
        "accountName": ACCOUNT, "licCount": 5, "licUsedCount": 5,
        "deviceList": [{"deviceId": imei(n), "status": "Failure", "resultReason": HOSTILE}
                       for n in range(25)]}))  # fmt: skip
    result = c.software_management_licenses_v3.assign_licenses_bulk(
        ACCOUNT, [imei(n) for n in range(25)]
    )
    html = result._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in html
    assert html.count("<tr>") == 1 + SHOWN_ROWS  # header and the first rows only
    assert f"... {25 - SHOWN_ROWS} more rows" in html
    assert "failed: <b>25</b>" in html
    frame = result.to_dataframe()
    assert len(frame) == 25
    assert list(frame.columns) == ["device_id", "outcome", "status", "reason", "error"]
    assert set(frame["outcome"]) == {"failed"}
    assert frame["reason"][0] == HOSTILE  # data, unescaped: only HTML escapes


def test_summary_page_html_and_dataframe(client: Any) -> None:
    sim, c = client
    sim.seed(ACCOUNT, assigned=[imei(n) for n in range(3)])
    for api in ("v3", "v2"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            controller = getattr(c, f"software_management_licenses_{api}")
            page = (
                controller.get_account_licenses_status(ACCOUNT)
                if api == "v3"
                else controller.get_account_license_status(ACCOUNT)
            )
        html = page._repr_html_()
        assert "assigned: <b>3</b>" in html and "total licenses: <b>5</b>" in html
        assert html.count("<tr>") == 4
        frame = page.to_dataframe()
        assert list(frame["device_id"]) == [imei(n) for n in range(3)]
        assert str(frame["assignment_time"].dtype).startswith("datetime64")


def test_device_outcomes_html_and_dataframe(client: Any) -> None:
    _sim, c = client
    answer = c.software_management_licenses_v3.assign_licenses_to_devices(
        ACCOUNT, V3LicenseIMEI(device_list=[imei(1), "12345"])
    )
    html = answer._repr_html_()
    assert "<th>result_reason</th>" in html
    assert "Device does not exist." in html
    frame = answer.to_dataframe()
    assert list(frame["device_id"]) == [imei(1), "12345"]
    assert list(frame.columns) == ["device_id", "status", "result_reason"]


def test_to_dataframe_without_pandas_names_the_extra(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sim, c = client
    result = c.software_management_licenses_v3.assign_licenses_bulk(ACCOUNT, [imei(1)])
    real_import = builtins.__import__

    def no_pandas(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"pip install 'verizon-sdk\[pandas\]'"):
        result.to_dataframe()
