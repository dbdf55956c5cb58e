from verizon_sdk.controllers.software_management_licenses_v2_controller import (
    SoftwareManagementLicensesV2Controller,
)
from verizon_sdk.controllers.software_management_licenses_v3_controller import (
    SoftwareManagementLicensesV3Controller,
)

__all__ = ["SoftwareManagementLicensesV2Controller", "SoftwareManagementLicensesV3Controller"]
