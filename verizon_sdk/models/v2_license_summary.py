from __future__ import annotations

from verizon_sdk._display import SummaryDisplay
from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import nested_list, scalar
from verizon_sdk.models.v2_license_device import V2LicenseDevice


class V2LicenseSummary(SummaryDisplay, Model):
    """One page of license usage; while `has_more_data`, pass back `last_seen_device_id`."""

    account_name: str | None = scalar("accountName", default=None)
    total_license: int | None = scalar("totalLicense", default=None)
    assigned_licenses: int | None = scalar("assignedLicenses", default=None)
    has_more_data: bool | None = scalar("hasMoreData", default=None)
    last_seen_device_id: str | None = scalar("lastSeenDeviceId", default=None)
    max_page_size: int | None = scalar("maxPageSize", default=None)
    device_list: list[V2LicenseDevice] | None = nested_list(
        "deviceList", V2LicenseDevice, default=None
    )
