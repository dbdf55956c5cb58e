"""Every endpoint, described once as data. :mod:`verizon_sdk._pipeline` runs them.

A description names the HTTP method, server, path template, the Python names of
its path and query parameters (with their wire names), the body and response
models, and the class a 400 raises. Nothing here performs I/O, so another
transport (an async one, say) can reuse the same descriptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from apimatic_core_interfaces.types.http_method_enum import HttpMethodEnum

from verizon_sdk._checks import check_query
from verizon_sdk._configuration import Server
from verizon_sdk.exceptions import APIStatusError, FotaV2ResultException, FotaV3ResultException
from verizon_sdk.models import (
    FotaV2SuccessResult,
    Model,
    V2LicenseIMEI,
    V2LicensesAssignedRemovedResult,
    V2LicenseSummary,
    V2ListOfLicensesToRemove,
    V2ListOfLicensesToRemoveRequest,
    V2ListOfLicensesToRemoveResult,
    V3LicenseAssignedRemovedResult,
    V3LicenseIMEI,
    V3LicenseSummary,
)

ModelT = TypeVar("ModelT")


@dataclass(frozen=True)
class Endpoint(Generic[ModelT]):
    name: str
    method: HttpMethodEnum
    server: Server
    #: Path under the server; ``{name}`` placeholders use the Python parameter names.
    path: str
    response_model: type[ModelT]
    bad_request_error: type[APIStatusError]
    path_params: tuple[str, ...] = ()
    #: (Python name, wire name) pairs; a None value is left out of the URL, unless
    #: ``query_defaults`` gives the value None stands for.
    query_params: tuple[tuple[str, str], ...] = ()
    #: Python name -> the value sent for None: ``lastSeenDeviceId`` is "0", because
    #: Verizon's pages call it required ("use 0 for the first request").
    query_defaults: tuple[tuple[str, str], ...] = ()
    body_model: type[Model] | None = None
    #: Set on deprecated endpoints: what to use instead.
    deprecated: str | None = None

    def query_values(self, arguments: Mapping[str, Any]) -> dict[str, str]:
        """The query string: each parameter checked, None left out unless a default stands
        for it (``query_defaults``)."""
        defaults = dict(self.query_defaults)
        return {
            wire: value
            for name, wire in self.query_params
            if (value := check_query(name, arguments.get(name)) or defaults.get(name)) is not None
        }


# What differs between the two APIs: server, the name of the account parameter, 400 class.
_APIS: dict[str, tuple[Server, str, type[APIStatusError]]] = {
    "v2": (Server.SOFTWARE_MANAGEMENT_V2, "account", FotaV2ResultException),
    "v3": (Server.SOFTWARE_MANAGEMENT_V3, "acc", FotaV3ResultException),
}


def _endpoint(
    api: str,
    name: str,
    method: HttpMethodEnum,
    path: str,
    response_model: type[ModelT],
    **details: Any,
) -> Endpoint[ModelT]:
    server, account, bad_request = _APIS[api]
    return Endpoint(
        name=name,
        method=method,
        server=server,
        path=f"/licenses/{{{account}}}{path}",
        path_params=(account,),
        response_model=response_model,
        bad_request_error=bad_request,
        **details,
    )


def _v2(
    name: str, method: HttpMethodEnum, path: str, model: type[ModelT], **details: Any
) -> Endpoint[ModelT]:
    return _endpoint("v2", name, method, path, model, **details)


def _v3(
    name: str, method: HttpMethodEnum, path: str, model: type[ModelT], **details: Any
) -> Endpoint[ModelT]:
    return _endpoint("v3", name, method, path, model, **details)


_GET, _POST, _DELETE = HttpMethodEnum.GET, HttpMethodEnum.POST, HttpMethodEnum.DELETE
_LAST_SEEN = (("last_seen_device_id", "lastSeenDeviceId"),)
_FIRST_PAGE = (("last_seen_device_id", "0"),)
_NO_V3_CANCEL = "V3 has no removal-candidate list; remove licenses directly with V3"

V2_GET_ACCOUNT_LICENSE_STATUS = _v2(
    "get_account_license_status",
    _GET,
    "",
    V2LicenseSummary,
    query_params=_LAST_SEEN,
    query_defaults=_FIRST_PAGE,
)
V2_ASSIGN_LICENSES_TO_DEVICES = _v2(
    "assign_licenses_to_devices",
    _POST,
    "/assign",
    V2LicensesAssignedRemovedResult,
    body_model=V2LicenseIMEI,
    deprecated="use SoftwareManagementLicensesV3Controller.assign_licenses_to_devices",
)
V2_REMOVE_LICENSES_FROM_DEVICES = _v2(
    "remove_licenses_from_devices",
    _POST,
    "/remove",
    V2LicensesAssignedRemovedResult,
    body_model=V2LicenseIMEI,
    deprecated="use SoftwareManagementLicensesV3Controller.remove_licenses_from_devices",
)
V2_CREATE_LIST_OF_LICENSES_TO_REMOVE = _v2(
    "create_list_of_licenses_to_remove",
    _POST,
    "/cancel",
    V2ListOfLicensesToRemoveResult,
    body_model=V2ListOfLicensesToRemoveRequest,
    deprecated=_NO_V3_CANCEL
    + " (SoftwareManagementLicensesV3Controller.remove_licenses_from_devices)",
)
V2_LIST_LICENSES_TO_REMOVE = _v2(
    "list_licenses_to_remove",
    _GET,
    "/cancel",
    V2ListOfLicensesToRemove,
    query_params=(("start_index", "startIndex"),),
    deprecated=_NO_V3_CANCEL,
)
V2_DELETE_LICENSES_REMOVAL_CANDIDATES = _v2(
    "delete_licenses_removal_candidates",
    _DELETE,
    "/cancel",
    FotaV2SuccessResult,
    deprecated=_NO_V3_CANCEL,
)

V3_GET_ACCOUNT_LICENSES_STATUS = _v3(
    "get_account_licenses_status",
    _GET,
    "",
    V3LicenseSummary,
    query_params=_LAST_SEEN,
    query_defaults=_FIRST_PAGE,
)
V3_ASSIGN_LICENSES_TO_DEVICES = _v3(
    "assign_licenses_to_devices",
    _POST,
    "/assign",
    V3LicenseAssignedRemovedResult,
    body_model=V3LicenseIMEI,
)
V3_REMOVE_LICENSES_FROM_DEVICES = _v3(
    "remove_licenses_from_devices",
    _POST,
    "/remove",
    V3LicenseAssignedRemovedResult,
    body_model=V3LicenseIMEI,
)

ALL_ENDPOINTS: tuple[Endpoint[Any], ...] = (
    V2_GET_ACCOUNT_LICENSE_STATUS,
    V2_ASSIGN_LICENSES_TO_DEVICES,
    V2_REMOVE_LICENSES_FROM_DEVICES,
    V2_CREATE_LIST_OF_LICENSES_TO_REMOVE,
    V2_LIST_LICENSES_TO_REMOVE,
    V2_DELETE_LICENSES_REMOVAL_CANDIDATES,
    V3_GET_ACCOUNT_LICENSES_STATUS,
    V3_ASSIGN_LICENSES_TO_DEVICES,
    V3_REMOVE_LICENSES_FROM_DEVICES,
)

#: The published SDK's (sdksio-verizon-apis-sdk 2.0.0) method names that differ from the seeds':
#: alias -> seed name. The controllers define each alias as the same call (doc/migrating.md).
PUBLISHED_SDK_ALIASES: dict[str, str] = {
    "delete_list_of_licenses_to_remove": V2_DELETE_LICENSES_REMOVAL_CANDIDATES.name,
}
