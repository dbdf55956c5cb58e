"""``verizon-licenses demo``: a whole license workflow against an in-process simulator."""

from __future__ import annotations

from typing import TextIO

from verizon_sdk.models import V3LicenseIMEI
from verizon_sdk.simulator import Simulator

ACCOUNT = "0000123456-00001"
PAGE_SIZE = 3
POOL = 10


def run_demo(out: TextIO) -> int:
    """Assign, page through, remove, and report; returns the exit code (0)."""
    fleet = [f"99000342573{n:04d}" for n in range(8)]
    batch = [*fleet, "12345", fleet[0]]  # a malformed id and a duplicate
    with Simulator(pool_size=POOL, max_page_size=PAGE_SIZE) as sim, sim.client() as client:
        licenses = client.software_management_licenses_v3
        out.write(f"ThingSpace simulator at {sim.url}, account {ACCOUNT}, pool of {POOL}\n\n")

        out.write(f"1. Assign licenses to {len(batch)} ids (one malformed, one duplicate)\n")
        result = licenses.assign_licenses_to_devices(ACCOUNT, V3LicenseIMEI(device_list=batch))
        for device in result.device_list or []:
            out.write(f"   {device.device_id:<16} {device.status:<8} {device.result_reason}\n")
        out.write(f"   licenses in use: {result.lic_used_count} of {result.lic_count}\n\n")

        out.write(f"2. License status, {PAGE_SIZE} devices per page\n")
        for number, page in enumerate(licenses.iter_account_licenses(ACCOUNT, pages=True), 1):
            ids = ", ".join(d.device_id or "" for d in page.device_list or [])
            out.write(f"   page {number}: {ids}\n")

        removed = fleet[:3]
        out.write(f"\n3. Remove licenses from {len(removed)} devices\n")
        result = licenses.remove_licenses_from_devices(ACCOUNT, V3LicenseIMEI(device_list=removed))
        for device in result.device_list or []:
            out.write(f"   {device.device_id:<16} {device.status:<8} {device.result_reason}\n")

        summary = licenses.get_account_licenses_status(ACCOUNT)
        out.write(
            f"\n4. Final usage: {summary.assigned_licenses} of {summary.total_licenses} licenses "
            f"assigned; {sim.request_count()} requests served\n"
        )
    return 0
