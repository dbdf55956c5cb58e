"""Writes ``doc/models/<kebab-name>.md`` for every model and exception.

The field tables come from the models' own field declarations, so a page cannot drift from
the code; ``tests/test_docs.py`` fails when a committed page differs from what this renders.
Run ``python tools/model_docs.py`` after changing a model or an exception.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

from verizon_sdk import exceptions, models

DOC = Path(__file__).resolve().parent.parent / "doc" / "models"

DESCRIPTIONS = {
    "accountName": "Account name, e.g. `0000123456-00001`.",
    "deviceList": "Devices (15-digit IMEIs) or per-device entries.",
    "deviceId": "Device identifier, a 15-digit IMEI.",
    "status": 'Outcome for this device: an open set ("Success", "Failure", "UpgradePending", ...).',
    "resultReason": 'Why, e.g. "Device does not exist." or "Device license preexisting".',
    "updatedTime": "When the license entry was last updated.",
    "recentAttemptTime": "Most recent upgrade attempt.",
    "nextAttemptTime": "Next scheduled upgrade attempt.",
    "assignmentTime": "When the license was assigned (RFC 3339 on V2, Go format on V3).",
    "licTotalCount": "Licenses in the account's pool.",
    "licCount": "Licenses in the account's pool.",
    "licUsedCount": "Licenses in use after this request.",
    "totalLicense": "Licenses in the account's pool (singular on V2).",
    "totalLicenses": "Licenses in the account's pool (plural on V3).",
    "assignedLicenses": "Licenses assigned to devices.",
    "hasMoreData": "True when another page follows; pass `lastSeenDeviceId` back to get it.",
    "lastSeenDeviceId": "The last device id on this page: the cursor for the next page.",
    "maxPageSize": "Most devices a page can hold.",
    "type": 'How to apply the list: "append" or "replace" (Python attribute `mtype`).',
    "count": "Number of devices in the list.",
    "updateTime": "When the candidate list last changed (Go time format).",
    "success": "True when the request succeeded.",
}

REQUIRED = {("V2LicenseIMEI", "deviceList"), ("V3LicenseIMEI", "deviceList")}

EXAMPLES: dict[str, Any] = {
    "V2LicenseIMEI": {"deviceList": ["990003425730524", "990000473475967"]},
    "V3LicenseIMEI": {"deviceList": ["990003425730524", "990000473475967"]},
    "V2DeviceStatus": {
        "deviceId": "990000473475967",
        "status": "Failure",
        "resultReason": "Device does not exist.",
    },
    "V3DeviceStatus": {
        "deviceId": "990003425730524",
        "status": "UpgradePending",
        "resultReason": "Upgrade pending, the device upgrade is estimated to be scheduled for "
        "06 Oct 22 18:05 UTC",
        "updatedTime": "2022-08-05T21:05:27.129Z",
        "recentAttemptTime": "2022-10-05T21:05:01.19Z",
        "nextAttemptTime": "2022-10-06T18:35:00Z",
    },
    "V2LicenseDevice": {
        "deviceId": "990003425730535",
        "assignmentTime": "2017-11-29T16:03:42.000Z",
    },
    "V3LicenseDevice": {
        "deviceId": "990003425730535",
        "assignmentTime": "2017-11-29 20:15:42.738 +0000 UTC",
    },
    "V2ListOfLicensesToRemoveRequest": {
        "deviceList": ["990003425730535", "990000473475989"],
        "type": "append",
        "count": 2,
    },
    "V2ListOfLicensesToRemoveResult": {
        "count": 2,
        "deviceList": ["990003425730535", "990000473475989"],
    },
    "V2ListOfLicensesToRemove": {
        "count": 2,
        "hasMoreData": False,
        "updateTime": "2018-03-22 00:06:00.069 +0000 UTC",
        "deviceList": ["990003425730535", "990000473475989"],
    },
    "FotaV2SuccessResult": {"success": True},
}
EXAMPLES["V2LicensesAssignedRemovedResult"] = {
    "accountName": "0242078689-00001",
    "licTotalCount": 1000,
    "licUsedCount": 502,
    "deviceList": [
        {"deviceId": "990003425730524", "status": "Success", "resultReason": "Success"},
        EXAMPLES["V2DeviceStatus"],
    ],
}
EXAMPLES["V3LicenseAssignedRemovedResult"] = {
    "accountName": "0000123456-00001",
    "licUsedCount": 2,
    "licCount": 1000,
    "deviceList": [EXAMPLES["V3DeviceStatus"]],
}
EXAMPLES["V2LicenseSummary"] = {
    "accountName": "0402196254-00001",
    "totalLicense": 5000,
    "assignedLicenses": 4319,
    "hasMoreData": True,
    "lastSeenDeviceId": "990003425730535",
    "maxPageSize": 10,
    "deviceList": [EXAMPLES["V2LicenseDevice"]],
}
EXAMPLES["V3LicenseSummary"] = {
    "accountName": "0000123456-00001",
    "totalLicenses": 5000,
    "assignedLicenses": 4319,
    "hasMoreData": True,
    "lastSeenDeviceId": "990003425730535",
    "maxPageSize": 1000,
    "deviceList": [EXAMPLES["V3LicenseDevice"]],
}

ERROR_BODY = {"errorCode": "INVALID_PARAMETER", "errorMessage": "Device list is empty"}
ERROR_BODIES: dict[str, Any] = {
    "FotaV2ResultException": ERROR_BODY,
    "FotaV3ResultException": ERROR_BODY,
    "AuthenticationError": {"errorCode": "UnAuthorized", "errorMessage": "Invalid token"},
    "TokenRequestError": {"error": "invalid_client", "error_description": "Bad credentials"},
    "LoginRefusedError": {"errorCode": "INVALID_CREDENTIALS", "errorMessage": "Login failed"},
    "RateLimitError": {"errorCode": "TOO_MANY_REQUESTS", "errorMessage": "Rate limit exceeded"},
    "ServerError": {"errorCode": "SERVICE_UNAVAILABLE", "errorMessage": "Try again later"},
}

STATUS_ATTRIBUTES = [
    ("response_code", "int", "The HTTP status."),
    ("headers", "Mapping[str, str]", "The response headers."),
    ("body", "str | None", "The raw response body, secrets masked."),
    ("json_body", "Any", "The body parsed with `json.loads`, or None when it is not JSON."),
    ("error_code", "str | None", "`errorCode` (or OAuth `error`) from the body."),
    ("error_message", "str | None", "`errorMessage` (or `error_description`/`message`)."),
]
BASE_ATTRIBUTES = [
    ("reason", "str", "Short description of what went wrong."),
    (
        "response",
        "ResponseSnapshot | None",
        "The HTTP response: status, headers, text, request (credentials masked).",
    ),
]


def kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def title(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)


def field_type(cls: type[Any], field: Any) -> str:
    kind = field.kind
    if kind == "time":
        return "datetime"
    if kind in ("model", "list-of-model"):
        link = f"[`{field.model.__name__}`]({kebab(field.model.__name__)}.md)"
        return link if kind == "model" else f"List of {link}"
    annotation = next(c.__annotations__[field.name] for c in cls.__mro__ if field.name in vars(c))
    return str(annotation).replace(" | None", "").replace("list[str]", "List[str]")


def render_model(cls: type[Any]) -> str:
    name = cls.__name__
    doc = inspect.getdoc(cls) or ""
    lines = [f"# {title(name)}", ""]
    if doc and not doc.startswith("Model("):
        lines += [doc, ""]
    lines += ["## Class Name", "", f"`{name}`", "", "## Fields", ""]
    lines += [
        "| Name | Wire name | Type | Tags | Description |",
        "|  --- | --- | --- | --- | --- |",
    ]
    for field in cls._fields:
        tags = "Required" if (name, field.wire) in REQUIRED else "Optional"
        description = DESCRIPTIONS[field.wire]
        if field.kind == "time":
            description += f" Timezone-aware; the wire text is `{field.name}_raw`."
        kind = field_type(cls, field)
        lines.append(f"| `{field.name}` | `{field.wire}` | {kind} | {tags} | {description} |")
    lines.append(
        "| `additional_properties` | — | Dict[str, Any] | Optional | "
        "Wire fields this model does not declare, kept as received. |"
    )
    lines += ["", "## Example (as JSON)", "", "```json", json.dumps(EXAMPLES[name], indent=2)]
    lines += ["```", ""]
    return "\n".join(lines)


def render_exception(cls: type[BaseException]) -> str:
    name = cls.__name__
    doc = inspect.getdoc(cls) or ""
    parents = " → ".join(f"`{c.__name__}`" for c in cls.__mro__[1:] if c is not object)
    lines = [f"# {title(name)}", "", doc, "", "## Class Name", "", f"`{name}`", ""]
    lines += [f"Bases: {parents}", ""]
    if issubclass(cls, exceptions.ValidationError):
        attributes = [
            ("parameter", "str", "The offending argument, e.g. `body.device_list[3]`."),
            ("message", "str", "What is wrong with it."),
        ]
    elif issubclass(cls, exceptions.APIStatusError):
        attributes = BASE_ATTRIBUTES + STATUS_ATTRIBUTES
    elif issubclass(cls, exceptions.APIException):
        attributes = [*BASE_ATTRIBUTES, ("response_code", "int | None", "The HTTP status, if any.")]
    else:
        attributes = []
    if issubclass(cls, exceptions.RateLimitError):
        attributes.append(("retry_after", "float | None", "Seconds the service asked to wait."))
    if attributes:
        lines += ["## Fields", "", "| Name | Type | Description |", "|  --- | --- | --- |"]
        lines += [
            f"| `{a}` | `{t}` | {d} |".replace(" | None`", " \\| None`") for a, t, d in attributes
        ]
        lines.append("")
    body = ERROR_BODIES.get(cls.__name__)
    if body is not None:
        lines += ["## Example (as JSON)", "", "The body it carries (`json_body`), for example:", ""]
        lines += ["```json", json.dumps(body, indent=2), "```", ""]
    elif issubclass(cls, exceptions.APIStatusError):
        lines += ["## Example (as JSON)", "", "Any body the service sends; for example:", ""]
        lines += ["```json", json.dumps(ERROR_BODY, indent=2), "```", ""]
    elif cls is exceptions.UnexpectedResponseError:
        lines += [
            "## Example (as JSON)",
            "",
            "None: the 2xx body was not the JSON object expected;",
        ]
        lines += [
            "`body` keeps it as text, for example `<html><body>Maintenance</body></html>`.",
            "",
        ]
    else:
        lines += ["## Example (as JSON)", "", "None: raised without an HTTP response body.", ""]
    return "\n".join(lines)


def documented_classes() -> list[type[Any]]:
    classes = [getattr(models, n) for n in models.__all__ if n != "Model"]
    classes += [
        value
        for n in exceptions.__all__
        if inspect.isclass(value := getattr(exceptions, n)) and issubclass(value, Exception)
    ]
    return classes


def render_all() -> dict[Path, str]:
    pages = {}
    for cls in documented_classes():
        is_model = isinstance(cls, type) and issubclass(cls, models.Model)
        pages[DOC / f"{kebab(cls.__name__)}.md"] = (
            render_model(cls) if is_model else render_exception(cls)
        )
    return pages


def main() -> int:
    DOC.mkdir(parents=True, exist_ok=True)
    for path, text in render_all().items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(render_all())} pages to {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
