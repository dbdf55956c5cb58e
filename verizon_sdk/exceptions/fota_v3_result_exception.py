from __future__ import annotations

from verizon_sdk.exceptions.api_exception import APIStatusError


class FotaV3ResultException(APIStatusError):
    """A 400 from a Software Management V3 endpoint (``errorCode`` / ``errorMessage``)."""
