from __future__ import annotations

from verizon_sdk.models._base import Model, scalar


class FotaV2SuccessResult(Model):
    success: bool | None = scalar("success", default=None)
