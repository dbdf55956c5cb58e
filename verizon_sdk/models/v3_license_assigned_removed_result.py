from __future__ import annotations

from verizon_sdk._display import OutcomesDisplay
from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import nested_list, scalar
from verizon_sdk.models.v3_device_status import V3DeviceStatus


class V3LicenseAssignedRemovedResult(OutcomesDisplay, Model):
    """Per-device outcomes and the account's counts after an assign or remove.

    `lic_count` (the pool's total) is ``licCount`` in the published SDK and ``licTotalCount``
    on Verizon's reference pages; either fills it, and `to_dictionary` writes back the one that
    arrived. If both arrive, ``licCount`` fills it and ``licTotalCount`` stays in
    `additional_properties` (see ``doc/service.md``).
    """

    account_name: str | None = scalar("accountName", default=None)
    lic_count: int | None = scalar("licCount", also="licTotalCount", default=None)
    lic_used_count: int | None = scalar("licUsedCount", default=None)
    device_list: list[V3DeviceStatus] | None = nested_list(
        "deviceList", V3DeviceStatus, default=None
    )
