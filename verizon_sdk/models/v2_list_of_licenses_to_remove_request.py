from __future__ import annotations

from verizon_sdk.models._base import Model
from verizon_sdk.models._fields import scalar, str_list


class V2ListOfLicensesToRemoveRequest(Model):
    """`mtype` is the wire field ``type``: ``"append"`` adds `device_list` to the account's
    cancellation list; any other value, or None (the field left out), *replaces* the list with
    `device_list`, as Verizon's reference page says (see ``doc/service.md``)."""

    device_list: list[str] | None = str_list("deviceList", default=None)
    mtype: str | None = scalar("type", default=None)
    count: int | None = scalar("count", default=None)
