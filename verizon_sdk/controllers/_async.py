"""The async controllers: the seed methods of the sync controllers, answering with coroutines.

Each class inherits its endpoint methods (names, parameters, validation, deprecation notices)
from the sync controller; only :meth:`_answer` differs, returning a coroutine that awaits the
async pipeline. The iterators and bulk methods are async drivers of the same decision code.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import Any

from typing_extensions import Unpack

from verizon_sdk import _endpoints as endpoints
from verizon_sdk import bulk
from verizon_sdk._async_pagination import aiter_items, awalk_pages
from verizon_sdk._async_pipeline import AsyncPipeline
from verizon_sdk._checks import check_account
from verizon_sdk._endpoints import Endpoint
from verizon_sdk._pagination import CursorWalk, IndexWalk, Walk
from verizon_sdk.bulk._async_engine import arun_bulk
from verizon_sdk.controllers._bulk_options import takes_bulk_options
from verizon_sdk.controllers.software_management_licenses_v2_controller import (
    SoftwareManagementLicensesV2Controller,
)
from verizon_sdk.controllers.software_management_licenses_v3_controller import (
    SoftwareManagementLicensesV3Controller,
)


class _AsyncCalls:
    _pipeline: Any
    _raw: bool

    def __init__(self, pipeline: AsyncPipeline) -> None:
        super().__init__(pipeline)  # type: ignore[call-arg]

    def _licenses(
        self, endpoint: Endpoint[Any], name: str, account: str, pages: bool
    ) -> AsyncIterator[Any]:
        check_account(name, account)
        walk = CursorWalk(f"{endpoint.server.name[-2:]} license status")
        return self._pages(endpoint, walk, "last_seen_device_id", pages, **{name: account})

    async def _answer(self, endpoint: Endpoint[Any], arguments: Mapping[str, Any]) -> Any:
        response = await self._pipeline.execute(endpoint, arguments)
        return response if self._raw else response.body

    def _pages(
        self, endpoint: Endpoint[Any], walk: Walk, cursor: str, pages: bool, **arguments: Any
    ) -> AsyncIterator[Any]:
        async def fetch(value: str | None) -> Any:
            return (await self._pipeline.execute(endpoint, {**arguments, cursor: value})).body

        walked = awalk_pages(walk, fetch)
        return walked if pages else aiter_items(walked)


class AsyncSoftwareManagementLicensesV3Controller(
    _AsyncCalls, SoftwareManagementLicensesV3Controller
):
    """Software Management Licenses V3, async: ``await`` each method."""

    def iter_account_licenses(  # type: ignore[override, unused-ignore]
        self, acc: str, *, pages: bool = False
    ) -> AsyncIterator[Any]:
        """``async for`` every licensed device (``pages=True``: every page)."""
        return self._licenses(endpoints.V3_GET_ACCOUNT_LICENSES_STATUS, "acc", acc, pages)

    @takes_bulk_options
    async def assign_licenses_bulk(  # type: ignore[override, unused-ignore]
        self,
        acc: str,
        device_ids: Iterable[str] | AsyncIterable[str],
        **options: Unpack[bulk.BulkOptions],
    ) -> bulk.BulkResult:
        """As the sync method; ``max_workers`` bounds the requests in flight."""
        return await arun_bulk(self._pipeline, "assign", acc, device_ids, **options)

    @takes_bulk_options
    async def remove_licenses_bulk(  # type: ignore[override, unused-ignore]
        self,
        acc: str,
        device_ids: Iterable[str] | AsyncIterable[str],
        **options: Unpack[bulk.BulkOptions],
    ) -> bulk.BulkResult:
        """As the sync method; ``max_workers`` bounds the requests in flight."""
        return await arun_bulk(self._pipeline, "remove", acc, device_ids, **options)


class AsyncSoftwareManagementLicensesV2Controller(
    _AsyncCalls, SoftwareManagementLicensesV2Controller
):
    """Software Management Licenses V2, async: ``await`` each method."""

    def iter_account_licenses(  # type: ignore[override, unused-ignore]
        self, account: str, *, pages: bool = False
    ) -> AsyncIterator[Any]:
        """``async for`` every licensed device (``pages=True``: every page)."""
        return self._licenses(endpoints.V2_GET_ACCOUNT_LICENSE_STATUS, "account", account, pages)

    def iter_licenses_to_remove(  # type: ignore[override, unused-ignore]
        self, account: str, *, pages: bool = False
    ) -> AsyncIterator[Any]:
        check_account("account", account)
        endpoint = endpoints.V2_LIST_LICENSES_TO_REMOVE
        assert endpoint.deprecated is not None
        self._warn_deprecated("iter_licenses_to_remove", endpoint.deprecated)
        walk = IndexWalk("V2 license removal candidates")
        return self._pages(endpoint, walk, "start_index", pages, account=account)
