"""``AsyncVerizonClient``: the same options and controllers as ``VerizonClient``, on asyncio."""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import Any

from verizon_sdk._async_pipeline import AsyncPipeline, httpx
from verizon_sdk._client import VerizonClient
from verizon_sdk._configuration import Configuration
from verizon_sdk.controllers._async import (
    AsyncSoftwareManagementLicensesV2Controller,
    AsyncSoftwareManagementLicensesV3Controller,
)


class AsyncVerizonClient(VerizonClient):
    """The async entry point: ``async with AsyncVerizonClient(...) as client``.

    Keyword arguments are the fields of :class:`Configuration`, plus ``http_client``: an
    ``httpx.AsyncClient`` to send through, used as given and left open by :meth:`aclose`
    (clones get their own). Every controller method is a coroutine; the iterators are async
    iterators; the bulk methods are awaited. One client serves any number of tasks on one
    event loop, with one token cache.
    """

    def __init__(
        self,
        *,
        configuration: Configuration | None = None,
        http_client: httpx.AsyncClient | None = None,
        **options: Any,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            from verizon_sdk.exceptions import ConfigurationError

            raise ConfigurationError("http_client must be an httpx.AsyncClient")
        self._http_client = http_client
        super().__init__(configuration=configuration, **options)

    def _make_pipeline(self) -> AsyncPipeline:
        return AsyncPipeline(self.config, self._http_client)

    @cached_property
    def software_management_licenses_v2(  # type: ignore[override, unused-ignore]
        self,
    ) -> AsyncSoftwareManagementLicensesV2Controller:
        return AsyncSoftwareManagementLicensesV2Controller(self._pipeline)

    @cached_property
    def software_management_licenses_v3(  # type: ignore[override, unused-ignore]
        self,
    ) -> AsyncSoftwareManagementLicensesV3Controller:
        return AsyncSoftwareManagementLicensesV3Controller(self._pipeline)

    async def aclose(self) -> None:
        """Close the connections this client opened (an injected ``http_client`` stays open)."""
        await self._pipeline.aclose()

    def close(self) -> None:
        raise TypeError("AsyncVerizonClient is closed with 'await client.aclose()'")

    def __enter__(self) -> AsyncVerizonClient:
        raise TypeError("use 'async with AsyncVerizonClient(...)', not 'with'")

    async def __aenter__(self) -> AsyncVerizonClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
