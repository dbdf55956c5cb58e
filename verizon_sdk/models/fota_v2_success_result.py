from __future__ import annotations

from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import scalar


class FotaV2SuccessResult(Model):
    success: bool | None = scalar("success", default=None)
