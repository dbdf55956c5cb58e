"""Wire models of the Software Management Licenses APIs (FOTA V2 and V3).

Construct with keywords or none (``V3LicenseIMEI(device_list=[...])``), parse with
``Model.from_dictionary(json_object)``, serialise with ``model.to_dictionary()``.
"""

from verizon_sdk.models._base import Model
from verizon_sdk.models.fota_v2_success_result import FotaV2SuccessResult
from verizon_sdk.models.v2_device_status import V2DeviceStatus
from verizon_sdk.models.v2_license_device import V2LicenseDevice
from verizon_sdk.models.v2_license_imei import V2LicenseIMEI
from verizon_sdk.models.v2_license_summary import V2LicenseSummary
from verizon_sdk.models.v2_licenses_assigned_removed_result import (
    V2LicensesAssignedRemovedResult,
)
from verizon_sdk.models.v2_list_of_licenses_to_remove import V2ListOfLicensesToRemove
from verizon_sdk.models.v2_list_of_licenses_to_remove_request import (
    V2ListOfLicensesToRemoveRequest,
)
from verizon_sdk.models.v2_list_of_licenses_to_remove_result import (
    V2ListOfLicensesToRemoveResult,
)
from verizon_sdk.models.v3_device_status import V3DeviceStatus
from verizon_sdk.models.v3_license_assigned_removed_result import (
    V3LicenseAssignedRemovedResult,
)
from verizon_sdk.models.v3_license_device import V3LicenseDevice
from verizon_sdk.models.v3_license_imei import V3LicenseIMEI
from verizon_sdk.models.v3_license_summary import V3LicenseSummary

__all__ = [
    "FotaV2SuccessResult",
    "Model",
    "V2DeviceStatus",
    "V2LicenseDevice",
    "V2LicenseIMEI",
    "V2LicenseSummary",
    "V2LicensesAssignedRemovedResult",
    "V2ListOfLicensesToRemove",
    "V2ListOfLicensesToRemoveRequest",
    "V2ListOfLicensesToRemoveResult",
    "V3DeviceStatus",
    "V3LicenseAssignedRemovedResult",
    "V3LicenseDevice",
    "V3LicenseIMEI",
    "V3LicenseSummary",
]
