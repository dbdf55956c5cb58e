"""Quickstart: read an account's license usage, assign one license, handle errors."""

from __future__ import annotations

from _connect import ACCOUNT, connect

from verizon_sdk.exceptions import APIException, FotaV3ResultException
from verizon_sdk.models import V3LicenseIMEI


def main() -> None:
    with connect() as client:
        licenses = client.software_management_licenses_v3

        page = licenses.get_account_licenses_status(ACCOUNT)
        print(f"{page.account_name}: {page.assigned_licenses} of {page.total_licenses} licenses")

        result = licenses.assign_licenses_to_devices(
            ACCOUNT, V3LicenseIMEI(device_list=["990003425731999"])
        )
        for device in result.device_list or []:
            print(f"  {device.device_id}: {device.status} ({device.result_reason})")

        try:
            licenses.get_account_licenses_status("not-an-account")
        except FotaV3ResultException as error:
            print(f"a bad account name is a 400: {error.error_code}: {error.error_message}")
        except APIException as error:
            print(f"the service refused: {error}")


if __name__ == "__main__":
    main()
