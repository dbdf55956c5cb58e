from __future__ import annotations

from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import nested_list, scalar
from verizon_sdk.models.v3_device_status import V3DeviceStatus


class V3LicenseAssignedRemovedResult(Model):
    account_name: str | None = scalar("accountName", default=None)
    lic_count: int | None = scalar("licCount", default=None)
    lic_used_count: int | None = scalar("licUsedCount", default=None)
    device_list: list[V3DeviceStatus] | None = nested_list(
        "deviceList", V3DeviceStatus, default=None
    )
