from __future__ import annotations

from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import str_list


class V3LicenseIMEI(Model):
    """Request body of the V3 assign and remove calls; `device_list` is required by the API."""

    device_list: list[str] | None = str_list("deviceList", default=None)
