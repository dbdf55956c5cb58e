"""``verizon-licenses demo``: a whole license workflow against an in-process simulator."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from verizon_sdk.exceptions import ValidationError
from verizon_sdk.models import V3DeviceStatus, V3LicenseIMEI
from verizon_sdk.simulator import Simulator

ACCOUNT = "0000123456-00001"
PAGE_SIZE = 3
POOL = 10


def _write_outcomes(out: TextIO, devices: Iterable[V3DeviceStatus], done: str) -> None:
    """One row per device: id, the service's status, and its reason in words."""
    out.write(f"   {'device id':<16} {'status':<8} reason\n")
    for device in devices:
        status, reason = device.status or "", device.result_reason or ""
        if reason == status:  # the service repeats "Success" as the reason
            reason = done
        out.write(f"   {device.device_id or '':<16} {status:<8} {reason}\n")


def run_demo(out: TextIO) -> int:
    """Assign, page through, remove, and report; returns the exit code (0)."""
    fleet = [f"99000342573{n:04d}" for n in range(8)]
    batch = [*fleet, "12345", fleet[0]]  # a malformed id and a duplicate
    with Simulator(pool_size=POOL, max_page_size=PAGE_SIZE) as sim, sim.client() as client:
        licenses = client.software_management_licenses_v3
        out.write(f"ThingSpace simulator at {sim.url}, account {ACCOUNT}, pool of {POOL}\n\n")

        out.write(f"1. Assign licenses to {len(batch)} ids (one not an IMEI, one duplicate)\n")
        out.write(
            "   The SDK sends every id that is printable ASCII without surrounding whitespace\n"
            "   (at most 64 characters); the service judges each one.\n"
        )
        result = licenses.assign_licenses_to_devices(ACCOUNT, V3LicenseIMEI(device_list=batch))
        _write_outcomes(out, result.device_list or [], "license assigned")
        out.write(f"   licenses in use: {result.lic_used_count} of {result.lic_count}\n")
        strict = client.clone_with(device_id_rule="thingspace")
        try:
            strict.software_management_licenses_v3.assign_licenses_to_devices(
                ACCOUNT, V3LicenseIMEI(device_list=["12345"])
            )
        except ValidationError as error:
            out.write(f'   With device_id_rule="thingspace" nothing is sent: {error}\n\n')
        finally:
            strict.close()

        out.write(f"2. License status, {PAGE_SIZE} devices per page\n")
        for number, page in enumerate(licenses.iter_account_licenses(ACCOUNT, pages=True), 1):
            ids = ", ".join(d.device_id or "" for d in page.device_list or [])
            out.write(f"   page {number}: {ids}\n")

        removed = fleet[:3]
        out.write(f"\n3. Remove licenses from {len(removed)} devices\n")
        result = licenses.remove_licenses_from_devices(ACCOUNT, V3LicenseIMEI(device_list=removed))
        _write_outcomes(out, result.device_list or [], "license removed")

        summary = licenses.get_account_licenses_status(ACCOUNT)
        out.write(
            f"\n4. Final usage: {summary.assigned_licenses} of {summary.total_licenses} licenses "
            f"assigned; {sim.request_count()} requests served\n"
        )
    return 0
