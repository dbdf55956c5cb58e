from __future__ import annotations

from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import TimeField, scalar, str_list


class V2ListOfLicensesToRemove(Model):
    """One page of removal candidates; the next page is requested by ``startIndex``."""

    count: int | None = scalar("count", default=None)
    has_more_data: bool | None = scalar("hasMoreData", default=None)
    update_time: TimeField = TimeField("updateTime")
    update_time_raw = update_time.raw
    device_list: list[str] | None = str_list("deviceList", default=None)
