from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal, overload

from verizon_sdk._checks import DEFAULT_MAX_WORKERS, check_account
from verizon_sdk.controllers._base import BaseController, endpoints
from verizon_sdk.controllers._bulk_options import takes_bulk_options

if TYPE_CHECKING:  # models, iterators and bulk methods: their modules load on first use
    from typing_extensions import Unpack

    from verizon_sdk import bulk
    from verizon_sdk.models import (
        V3LicenseAssignedRemovedResult,
        V3LicenseDevice,
        V3LicenseIMEI,
        V3LicenseSummary,
    )


class SoftwareManagementLicensesV3Controller(BaseController):
    """Software Management Licenses V3 (``/fota/v3``)."""

    def get_account_licenses_status(
        self, acc: str, last_seen_device_id: str | None = None
    ) -> V3LicenseSummary:
        """One page of the account's license usage, after ``last_seen_device_id``.

        ``None`` (the default) asks for the first page and sends ``lastSeenDeviceId=0``:
        Verizon's pages call the parameter required, "use 0 for the first request".
        """
        return self._call(
            endpoints.V3_GET_ACCOUNT_LICENSES_STATUS,
            acc=acc,
            last_seen_device_id=last_seen_device_id,
        )

    def assign_licenses_to_devices(
        self, acc: str, body: V3LicenseIMEI
    ) -> V3LicenseAssignedRemovedResult:
        """Assign licenses to the devices in ``body``; each device gets its own outcome."""
        return self._call(endpoints.V3_ASSIGN_LICENSES_TO_DEVICES, acc=acc, body=body)

    def remove_licenses_from_devices(
        self, acc: str, body: V3LicenseIMEI
    ) -> V3LicenseAssignedRemovedResult:
        """Remove licenses from the devices in ``body``; each device gets its own outcome."""
        return self._call(endpoints.V3_REMOVE_LICENSES_FROM_DEVICES, acc=acc, body=body)

    @overload
    def iter_account_licenses(
        self, acc: str, *, pages: Literal[False] = False
    ) -> Iterator[V3LicenseDevice]: ...
    @overload
    def iter_account_licenses(
        self, acc: str, *, pages: Literal[True]
    ) -> Iterator[V3LicenseSummary]: ...
    def iter_account_licenses(self, acc: str, *, pages: bool = False) -> Iterator[Any]:
        """Every licensed device of the account, across pages; ``pages=True`` yields the pages.

        See :mod:`verizon_sdk._pagination`: one page in memory, a PaginationError on a
        misbehaving server.
        """
        check_account("acc", acc)
        from verizon_sdk import _pagination as pagination

        fetch = pagination.page_fetcher(
            self._pipeline, endpoints.V3_GET_ACCOUNT_LICENSES_STATUS, "last_seen_device_id", acc=acc
        )
        walk = pagination.iter_cursor_pages(
            fetch, what="V3 license status", max_pages=self._pipeline.config.max_pages
        )
        return walk if pages else pagination.iter_items(walk)

    @takes_bulk_options
    def assign_licenses_bulk(
        self, acc: str, device_ids: Iterable[str], **options: Unpack[bulk.BulkOptions]
    ) -> bulk.BulkResult:
        """Assign licenses to any number of devices, in concurrent chunks, every id accounted for.

        ``journal`` (a path) keeps a crash-safe SQLite journal; see :meth:`resume_bulk`. See
        :mod:`verizon_sdk.bulk` for what each option does, the four outcomes and reconciliation.
        """
        from verizon_sdk import bulk

        return bulk.run_bulk(self._pipeline, "assign", acc, device_ids, **options)

    @takes_bulk_options
    def remove_licenses_bulk(
        self, acc: str, device_ids: Iterable[str], **options: Unpack[bulk.BulkOptions]
    ) -> bulk.BulkResult:
        """Remove licenses from any number of devices; options as ``assign_licenses_bulk``."""
        from verizon_sdk import bulk

        return bulk.run_bulk(self._pipeline, "remove", acc, device_ids, **options)

    def resume_bulk(
        self,
        journal: str | os.PathLike[str],
        *,
        max_workers: int = DEFAULT_MAX_WORKERS,
        reconcile: bool = True,
        on_chunk: Callable[[bulk.ChunkEvent], object] | None = None,
    ) -> bulk.BulkResult:
        """Finish the bulk run recorded in ``journal`` (a finished run: its stored result).

        Settled chunks are kept; planned chunks are sent; a chunk left ``sending`` by a crash
        is settled by reading the license list and only its devices provably not acted on
        are sent again (the list is read once the killed run's POSTs are past their attempt
        deadline: a resume sooner than that waits). A file that is not a journal gets a
        ``ValidationError``, nothing sent.
        """
        from verizon_sdk import bulk

        return bulk.resume_run(
            self._pipeline, journal, max_workers=max_workers, reconcile=reconcile, on_chunk=on_chunk
        )
