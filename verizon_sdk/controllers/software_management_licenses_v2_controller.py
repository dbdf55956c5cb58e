from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, overload

from verizon_sdk._checks import check_account
from verizon_sdk.controllers._base import BaseController, endpoints

if TYPE_CHECKING:  # the models load with the endpoints, on the first call
    from verizon_sdk.models import (
        FotaV2SuccessResult,
        V2LicenseDevice,
        V2LicenseIMEI,
        V2LicensesAssignedRemovedResult,
        V2LicenseSummary,
        V2ListOfLicensesToRemove,
        V2ListOfLicensesToRemoveRequest,
        V2ListOfLicensesToRemoveResult,
    )


class SoftwareManagementLicensesV2Controller(BaseController):
    """Software Management Licenses V2 (``/fota/v2``). All but the status listing are deprecated."""

    def get_account_license_status(
        self, account: str, last_seen_device_id: str | None = None
    ) -> V2LicenseSummary:
        """One page of the account's license usage, after ``last_seen_device_id``.

        ``None`` (the default) asks for the first page and sends ``lastSeenDeviceId=0``:
        Verizon's pages call the parameter required, "use 0 for the first request".
        """
        return self._call(
            endpoints.V2_GET_ACCOUNT_LICENSE_STATUS,
            account=account,
            last_seen_device_id=last_seen_device_id,
        )

    def assign_licenses_to_devices(
        self, account: str, body: V2LicenseIMEI
    ) -> V2LicensesAssignedRemovedResult:
        """Assign licenses to the devices in ``body`` (deprecated: use V3)."""
        return self._call(endpoints.V2_ASSIGN_LICENSES_TO_DEVICES, account=account, body=body)

    def remove_licenses_from_devices(
        self, account: str, body: V2LicenseIMEI
    ) -> V2LicensesAssignedRemovedResult:
        """Remove licenses from the devices in ``body`` (deprecated: use V3)."""
        return self._call(endpoints.V2_REMOVE_LICENSES_FROM_DEVICES, account=account, body=body)

    def create_list_of_licenses_to_remove(
        self, account: str, body: V2ListOfLicensesToRemoveRequest
    ) -> V2ListOfLicensesToRemoveResult:
        """Create (or append to) the list of license cancellation candidates (deprecated)."""
        return self._call(
            endpoints.V2_CREATE_LIST_OF_LICENSES_TO_REMOVE, account=account, body=body
        )

    def list_licenses_to_remove(
        self, account: str, start_index: str | None = None
    ) -> V2ListOfLicensesToRemove:
        """One page of the license cancellation candidates, from ``start_index`` (deprecated)."""
        return self._call(
            endpoints.V2_LIST_LICENSES_TO_REMOVE, account=account, start_index=start_index
        )

    def delete_licenses_removal_candidates(self, account: str) -> FotaV2SuccessResult:
        """Delete the list of license cancellation candidates (deprecated)."""
        return self._call(endpoints.V2_DELETE_LICENSES_REMOVAL_CANDIDATES, account=account)

    def delete_list_of_licenses_to_remove(self, account: str) -> FotaV2SuccessResult:
        """The published SDK's name of :meth:`delete_licenses_removal_candidates`: the same call
        and the same ``DeprecationWarning`` (an alias, see ``doc/migrating.md``)."""
        return self._call(endpoints.V2_DELETE_LICENSES_REMOVAL_CANDIDATES, account=account)

    @overload
    def iter_account_licenses(
        self, account: str, *, pages: Literal[False] = False
    ) -> Iterator[V2LicenseDevice]: ...
    @overload
    def iter_account_licenses(
        self, account: str, *, pages: Literal[True]
    ) -> Iterator[V2LicenseSummary]: ...
    def iter_account_licenses(self, account: str, *, pages: bool = False) -> Iterator[Any]:
        """Every licensed device of the account, across pages; ``pages=True`` yields the pages."""
        check_account("account", account)
        from verizon_sdk import _pagination as pagination

        fetch = pagination.page_fetcher(
            self._pipeline,
            endpoints.V2_GET_ACCOUNT_LICENSE_STATUS,
            "last_seen_device_id",
            account=account,
        )
        walk = pagination.iter_cursor_pages(
            fetch, what="V2 license status", max_pages=self._pipeline.config.max_pages
        )
        return walk if pages else pagination.iter_items(walk)

    @overload
    def iter_licenses_to_remove(
        self, account: str, *, pages: Literal[False] = False
    ) -> Iterator[str]: ...
    @overload
    def iter_licenses_to_remove(
        self, account: str, *, pages: Literal[True]
    ) -> Iterator[V2ListOfLicensesToRemove]: ...
    def iter_licenses_to_remove(self, account: str, *, pages: bool = False) -> Iterator[Any]:
        """Every license cancellation candidate (device id), across ``startIndex`` pages.

        Deprecated like :meth:`list_licenses_to_remove`: it warns once, here, not per page.
        """
        check_account("account", account)
        endpoint = endpoints.V2_LIST_LICENSES_TO_REMOVE
        assert endpoint.deprecated is not None
        self._warn_deprecated("iter_licenses_to_remove", endpoint.deprecated)
        from verizon_sdk import _pagination as pagination

        fetch = pagination.page_fetcher(self._pipeline, endpoint, "start_index", account=account)
        walk = pagination.iter_index_pages(
            fetch,
            what="V2 license removal candidates",
            max_pages=self._pipeline.config.max_pages,
        )
        return walk if pages else pagination.iter_items(walk)
