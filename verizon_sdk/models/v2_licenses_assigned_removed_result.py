from __future__ import annotations

from verizon_sdk._display import OutcomesDisplay
from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import nested_list, scalar
from verizon_sdk.models.v2_device_status import V2DeviceStatus


class V2LicensesAssignedRemovedResult(OutcomesDisplay, Model):
    account_name: str | None = scalar("accountName", default=None)
    lic_total_count: int | None = scalar("licTotalCount", default=None)
    lic_used_count: int | None = scalar("licUsedCount", default=None)
    device_list: list[V2DeviceStatus] | None = nested_list(
        "deviceList", V2DeviceStatus, default=None
    )
