"""What every controller shares: one pipeline, raw-response access, deprecation notices."""

from __future__ import annotations

import copy
import warnings
from typing import Any, TypeVar

from verizon_sdk.endpoints import Endpoint
from verizon_sdk.pipeline import Pipeline

ModelT = TypeVar("ModelT")


class BaseController:
    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._raw = False

    def _call(self, endpoint: Endpoint[ModelT], **arguments: Any) -> ModelT:
        if endpoint.deprecated:
            warnings.warn(
                f"{type(self).__name__}.{endpoint.name} is deprecated; {endpoint.deprecated}",
                DeprecationWarning,
                stacklevel=3,
            )
        response = self._pipeline.execute(endpoint, arguments)
        # In a with_raw_response view the ApiResponse itself is returned.
        return response if self._raw else response.body  # type: ignore[no-any-return]

    @property
    def with_raw_response(self) -> Any:
        """The same methods, returning apimatic's ``ApiResponse`` instead of the model.

        ``response.status_code``, ``response.headers`` and ``response.text`` are the
        HTTP details; ``response.body`` is the model the plain method returns::

            response = controller.with_raw_response.get_account_licenses_status(acc)
            print(response.status_code, response.headers["Content-Type"], response.body)
        """
        raw = copy.copy(self)
        raw._raw = True
        return raw
