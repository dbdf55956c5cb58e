from __future__ import annotations

from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import TimeField, scalar


class V3DeviceStatus(Model):
    """Per-device outcome; `status` is an open set ("Success", "UpgradePending", ...)."""

    device_id: str | None = scalar("deviceId", default=None)
    status: str | None = scalar("status", default=None)
    result_reason: str | None = scalar("resultReason", default=None)
    updated_time: TimeField = TimeField("updatedTime")
    updated_time_raw = updated_time.raw
    recent_attempt_time: TimeField = TimeField("recentAttemptTime")
    recent_attempt_time_raw = recent_attempt_time.raw
    next_attempt_time: TimeField = TimeField("nextAttemptTime")
    next_attempt_time_raw = next_attempt_time.raw
