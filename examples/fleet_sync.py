"""Make an account's licensed devices match an inventory file (one device id per line).

    python examples/fleet_sync.py inventory.txt [--prune] [--report sync.csv]

Devices in the inventory without a license get one; with --prune, licensed devices missing from
the inventory lose theirs. Every device's outcome goes to a report, one file per bulk run, each
with its own summary: --report sync.csv writes assign-sync.csv for the assignments and
remove-sync.csv for the removals (each only when that run happened). Without an inventory file
(and without credentials) it syncs a generated inventory against the simulator.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _connect import ACCOUNT, DEMO_FLEET, connect


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inventory", nargs="?", help="file of device ids, one per line")
    parser.add_argument("--prune", action="store_true", help="remove licenses not in inventory")
    parser.add_argument(
        "--report",
        metavar="NAME.csv|NAME.json",
        help="write every device's outcome to assign-NAME and remove-NAME (one per run)",
    )
    args = parser.parse_args(argv)

    if args.inventory:
        with open(args.inventory, encoding="utf-8") as handle:
            wanted = {line.strip() for line in handle if line.strip()}
    else:
        wanted = set(DEMO_FLEET[300:])

    with connect() as client:
        licenses = client.software_management_licenses_v3
        licensed = {d.device_id for d in licenses.iter_account_licenses(ACCOUNT) if d.device_id}
        missing = sorted(wanted - licensed)
        extra = sorted(licensed - wanted)
        print(f"{len(licensed)} licensed, {len(wanted)} wanted: "
              f"{len(missing)} to assign, {len(extra)} not in the inventory")  # fmt: skip

        ok = True
        if missing:
            assigned = licenses.assign_licenses_bulk(ACCOUNT, missing, max_workers=4)
            print(assigned)
            ok = ok and assigned.ok
            if args.report:
                write(assigned, prefixed(args.report, "assign-"))
        if args.prune and extra:
            removed = licenses.remove_licenses_bulk(ACCOUNT, extra, max_workers=4)
            print(removed)
            ok = ok and removed.ok
            if args.report:
                write(removed, prefixed(args.report, "remove-"))
    return 0 if ok else 1


def prefixed(path: str, prefix: str) -> str:
    """``dir/name.csv`` -> ``dir/<prefix>name.csv``."""
    where = Path(path)
    return str(where.with_name(prefix + where.name))


def write(result: object, path: str) -> None:
    if path.endswith(".json"):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(result.to_json(indent=2))  # type: ignore[attr-defined]
    else:
        result.to_csv(path)  # type: ignore[attr-defined]
    print(f"report written to {path}")


if __name__ == "__main__":
    sys.exit(main())
