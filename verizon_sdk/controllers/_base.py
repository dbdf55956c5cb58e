"""What every controller shares: one pipeline, raw-response access, deprecation notices."""

from __future__ import annotations

import copy
import importlib
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from verizon_sdk import _endpoints as endpoints
    from verizon_sdk._endpoints import Endpoint
    from verizon_sdk._pipeline import Pipeline

__all__ = ["BaseController", "endpoints"]

ModelT = TypeVar("ModelT")


class _OnFirstUse:
    """A module imported when an attribute is first read (Python's import lock makes the first
    read from many threads at once safe); later reads cost a ``sys.modules`` look-up."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


if not TYPE_CHECKING:
    #: The endpoint table (and with it every model), imported on a controller's first call.
    endpoints = _OnFirstUse("verizon_sdk._endpoints")


class BaseController:
    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._raw = False

    def __repr__(self) -> str:
        raw = ", raw responses" if self._raw else ""
        return f"<{type(self).__name__} at {self._pipeline.config.api_root}{raw}>"

    def _call(self, endpoint: Endpoint[ModelT], **arguments: Any) -> ModelT:
        if endpoint.deprecated:
            self._warn_deprecated(endpoint.name, endpoint.deprecated, stacklevel=4)
        return self._answer(endpoint, arguments)  # type: ignore[no-any-return]

    def _answer(self, endpoint: Endpoint[Any], arguments: Mapping[str, Any]) -> Any:
        """The call's model (the async controllers return a coroutine of it instead)."""
        response = self._pipeline.execute(endpoint, arguments)
        # In a with_raw_response view the ApiResponse itself is returned.
        return response if self._raw else response.body

    def _warn_deprecated(self, name: str, instead: str, *, stacklevel: int = 3) -> None:
        """The one deprecation notice: ``<Controller>.<name> is deprecated; <instead>``."""
        warnings.warn(
            f"{type(self).__name__}.{name} is deprecated; {instead}",
            DeprecationWarning,
            stacklevel=stacklevel,
        )

    @property
    def with_raw_response(self) -> Any:
        """The endpoint methods, returning apimatic's ``ApiResponse`` instead of the model.

        ``response.status_code``, ``response.headers`` and ``response.text`` are the
        HTTP details (``response.request`` has its credentials masked);
        ``response.body`` is the model the plain method returns::

            response = controller.with_raw_response.get_account_licenses_status(acc)
            print(response.status_code, response.headers["Content-Type"], response.body)

        The SDK helpers built on several calls (iterators, bulk methods) are not here.
        """
        raw = copy.copy(self)
        raw._raw = True
        return _RawResponses(raw)


class _RawResponses:
    """The endpoint methods of a controller, answering with the whole response."""

    def __init__(self, controller: BaseController) -> None:
        self._controller = controller
        from verizon_sdk._endpoints import ALL_ENDPOINTS, PUBLISHED_SDK_ALIASES

        names = [e.name for e in ALL_ENDPOINTS] + list(PUBLISHED_SDK_ALIASES)
        self._names = frozenset(n for n in names if callable(getattr(type(controller), n, None)))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # not set yet (copy, pickle): no endpoint is private
            raise AttributeError(name)
        if name not in self._names:
            methods = ", ".join(sorted(self._names))
            raise AttributeError(
                f"with_raw_response has the endpoint methods only ({methods}); "
                f"{name!r} is not one of them"
            )
        return getattr(self._controller, name)

    def __dir__(self) -> list[str]:
        return sorted(self._names)
