from __future__ import annotations

from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import scalar, str_list


class V2ListOfLicensesToRemoveResult(Model):
    count: int | None = scalar("count", default=None)
    device_list: list[str] | None = str_list("deviceList", default=None)
