from __future__ import annotations

from typing import Any

from verizon_sdk import _display
from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import nested_list, scalar
from verizon_sdk.models.v2_device_status import V2DeviceStatus


class V2LicensesAssignedRemovedResult(Model):
    account_name: str | None = scalar("accountName", default=None)
    lic_total_count: int | None = scalar("licTotalCount", default=None)
    lic_used_count: int | None = scalar("licUsedCount", default=None)
    device_list: list[V2DeviceStatus] | None = nested_list(
        "deviceList", V2DeviceStatus, default=None
    )

    def _repr_html_(self) -> str:
        return _display.outcomes_html(self)

    def to_dataframe(self) -> Any:
        """The device outcomes as a ``pandas.DataFrame`` (``verizon-sdk[pandas]``)."""
        return _display.to_dataframe(_display.outcome_rows(self), _display.OUTCOME_COLUMNS)
