from __future__ import annotations

from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import TimeField, scalar


class V2LicenseDevice(Model):
    device_id: str | None = scalar("deviceId", default=None)
    assignment_time: TimeField = TimeField("assignmentTime")
    assignment_time_raw = assignment_time.raw
