"""Nightly job: finish what an earlier bulk run left open, then report the account's usage.

    python examples/nightly_reconciliation.py [previous-report.json]

The report is the JSON that ``BulkResult.to_json()`` (or ``verizon-licenses assign --report
x.json``) wrote. Its unknown and not-attempted devices are sent again, to the account it names;
the exit code is 0 when nothing is left open, 1 when some still are, 2 for an unreadable report
and 3 for an API error. Unattended-friendly: one line per fact, errors on stderr, no traceback.
"""

from __future__ import annotations

import json
import logging
import sys

from _connect import ACCOUNT, DEMO_FLEET, connect

from verizon_sdk.exceptions import APIException

log = logging.getLogger("nightly")


def open_ids(report_path: str | None) -> tuple[str, str, list[str]]:
    """The action, account and ids a previous report left unknown or not attempted."""
    if report_path is None:  # demo: pretend last night's run left 50 devices open
        return "assign", ACCOUNT, DEMO_FLEET[1000:1050]
    with open(report_path, encoding="utf-8") as handle:
        report = json.load(handle)
    retry = [
        d["device_id"]
        for d in report["devices"]
        if d["outcome"] in ("unknown", "not_attempted") and not d["invalid"]
    ]
    return report["summary"]["action"], report["summary"]["account"], retry


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = sys.argv[1:] if argv is None else argv
    try:
        action, account, retry = open_ids(args[0] if args else None)
    except (OSError, ValueError, KeyError) as error:
        log.error("cannot read the report %s: %s", args[0], error)
        return 2
    try:
        with connect() as client:
            licenses = client.software_management_licenses_v3
            if retry:
                run = (
                    licenses.assign_licenses_bulk
                    if action == "assign"
                    else licenses.remove_licenses_bulk
                )
                result = run(account, retry, on_chunk=lambda e: log.info("chunk %s", e))
                log.info("%s", result)
                left = result.retry_ids()
            else:
                left = []
            count, last = 0, None
            for page in licenses.iter_account_licenses(account, pages=True):
                count, last = count + 1, page  # one page in memory; the last has the totals
            if last is not None:
                log.info(
                    "%s: %s of %s licenses assigned, %d pages",
                    account,
                    last.assigned_licenses,
                    last.total_licenses,
                    count,
                )
    except APIException as error:
        log.error("%s", error)
        return 3
    if left:
        log.warning("%d devices still open: %s", len(left), ", ".join(left[:10]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
