from __future__ import annotations

from verizon_sdk.exceptions.api_exception import APIStatusError


class FotaV2ResultException(APIStatusError):
    """A 400 from a Software Management V2 endpoint (``errorCode`` / ``errorMessage``)."""
