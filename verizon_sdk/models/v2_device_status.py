from __future__ import annotations

from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import scalar


class V2DeviceStatus(Model):
    """Per-device outcome; `status` is an open set ("Success", "Failure", ...)."""

    device_id: str | None = scalar("deviceId", default=None)
    status: str | None = scalar("status", default=None)
    result_reason: str | None = scalar("resultReason", default=None)
