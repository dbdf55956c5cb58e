from __future__ import annotations

from verizon_sdk._display import SummaryDisplay
from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import nested_list, scalar
from verizon_sdk.models.v3_license_device import V3LicenseDevice


class V3LicenseSummary(SummaryDisplay, Model):
    """One page of license usage; while `has_more_data`, pass back `last_seen_device_id`.

    `total_licenses` is ``totalLicenses`` in the published SDK and ``totalLicense`` on
    Verizon's reference page; either fills it, and `to_dictionary` writes back the one that
    arrived. If both arrive, ``totalLicenses`` fills it and ``totalLicense`` stays in
    `additional_properties` (see ``doc/service.md``).
    """

    account_name: str | None = scalar("accountName", default=None)
    total_licenses: int | None = scalar("totalLicenses", also="totalLicense", default=None)
    assigned_licenses: int | None = scalar("assignedLicenses", default=None)
    has_more_data: bool | None = scalar("hasMoreData", default=None)
    last_seen_device_id: str | None = scalar("lastSeenDeviceId", default=None)
    max_page_size: int | None = scalar("maxPageSize", default=None)
    device_list: list[V3LicenseDevice] | None = nested_list(
        "deviceList", V3LicenseDevice, default=None
    )
