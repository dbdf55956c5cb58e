"""The fixed bodies the benchmark server answers with, built deterministically.

Both the server process and the benchmark process build them from this module, so they agree
without passing data around. Bodies are shaped like the real service's:

- V3 status pages carry ``assignmentTime`` in Go's ``time.Time.String()`` format, as V3 does;
- the V3 assign result carries three RFC 3339 timestamps per device (``updatedTime``,
  ``recentAttemptTime``, ``nextAttemptTime``). RFC 3339 because the published SDK raises on a
  Go-format time in that model; with RFC 3339 every contender can parse the body.
"""

from __future__ import annotations

import json

ACCOUNT_100 = "0000000100-00001"
ACCOUNT_1000 = "0000001000-00001"
ACCOUNT_ASSIGN = "0000123456-00001"
ACCOUNT_ASSIGN_1000 = "0000123456-01000"  # a full chunk: 1,000 results
TOKEN = "bench-access-token"
M2M_TOKEN = "bench-m2m-token"
FIRST_IMEI = 990000000000000


def imeis(count: int, start: int = FIRST_IMEI) -> list[str]:
    return [f"{start + i:015d}" for i in range(count)]


def _go_time(i: int) -> str:
    # Go drops trailing zeros of the fraction: vary the digit count like the service does.
    frac = ("", ".7", ".73", ".738")[i % 4]
    return f"2017-11-29 20:{i // 60 % 60:02d}:{i % 60:02d}{frac} +0000 UTC"


def _rfc3339(i: int, minute: int) -> str:
    return f"2024-01-02T03:{minute:02d}:{i % 60:02d}.{i % 1000:03d}Z"


def status_page(devices: int, account: str) -> dict[str, object]:
    ids = imeis(devices)
    return {
        "accountName": account,
        "totalLicenses": 5000,
        "assignedLicenses": devices,
        "hasMoreData": False,
        "lastSeenDeviceId": ids[-1],
        "maxPageSize": 1000,
        "deviceList": [
            {"deviceId": device, "assignmentTime": _go_time(i)} for i, device in enumerate(ids)
        ],
    }


def assign_result(devices: int, account: str) -> dict[str, object]:
    return {
        "accountName": account,
        "licCount": 5000,
        "licUsedCount": devices,
        "deviceList": [
            {
                "deviceId": device,
                "status": "Success",
                "resultReason": "Success",
                "updatedTime": _rfc3339(i, 1),
                "recentAttemptTime": _rfc3339(i, 2),
                "nextAttemptTime": _rfc3339(i, 3),
            }
            for i, device in enumerate(imeis(devices))
        ],
    }


def _dumps(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def routes() -> dict[tuple[str, str], bytes]:
    """``(method, path)`` → JSON body; the query string is ignored."""
    token = {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600}
    return {
        ("POST", "/api/ts/v1/oauth2/token"): _dumps(token),
        ("GET", f"/api/fota/v3/licenses/{ACCOUNT_100}"): _dumps(status_page(100, ACCOUNT_100)),
        ("GET", f"/api/fota/v3/licenses/{ACCOUNT_1000}"): _dumps(status_page(1000, ACCOUNT_1000)),
        ("POST", f"/api/fota/v3/licenses/{ACCOUNT_ASSIGN}/assign"): _dumps(
            assign_result(100, ACCOUNT_ASSIGN)
        ),
        ("POST", f"/api/fota/v3/licenses/{ACCOUNT_ASSIGN_1000}/assign"): _dumps(
            assign_result(1000, ACCOUNT_ASSIGN_1000)
        ),
    }
