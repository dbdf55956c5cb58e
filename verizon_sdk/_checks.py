"""Input checks that run before any request is built.

Every failure is a :class:`~verizon_sdk.exceptions.ValidationError` (a
``ValueError``) or :class:`~verizon_sdk.exceptions.InvalidTypeError` (also a
``TypeError``) naming the parameter.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from typing import Any

from verizon_sdk._headers import HEADER_TEXT
from verizon_sdk.exceptions import InvalidTypeError, ValidationError

#: Longest account name or device id accepted (the documented formats are at most 16).
MAX_ID_LENGTH = 64
#: The default of ``Configuration.max_devices_per_request``. Verizon publishes no maximum:
#: this is the SDK's own setting (``None`` lifts it); larger sets go through the bulk methods.
MAX_DEVICES_PER_REQUEST = 10_000
#: Defaults of the bulk methods' ``chunk_size`` and ``max_workers`` (``bulk._rules`` re-exports
#: them; they live here so that a controller's signature needs no bulk import).
DEFAULT_CHUNK_SIZE = 1000
DEFAULT_MAX_WORKERS = 4


def unexpected_keyword(caller: str, name: str, known: Iterable[str]) -> TypeError:
    """Python's TypeError for an unknown keyword of ``caller``, with a close match as a hint."""
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return TypeError(f"{caller}() got an unexpected keyword argument {name!r}{hint}")


#: ``Configuration.device_id_rule``: what the SDK refuses before sending (see doc/errors.md).
#: ``"printable"`` (default): ids that cannot be what the user meant (blank, surrounding
#: whitespace, control or non-ASCII characters, over 64 characters); ``"thingspace"``: also
#: anything that is not an IMEI (15 digits), MEID (14 hex digits) or ESN (11 digits or 8 hex
#: digits), which a service that validates ids answers with the documented 400 "Invalid
#: device id format" for the whole request; ``"none"``: any non-empty string is sent.
DEVICE_ID_RULES = ("printable", "thingspace", "none")
_THINGSPACE_ID = re.compile(r"[0-9]{15}|[0-9A-Fa-f]{14}|[0-9]{11}|[0-9A-Fa-f]{8}")

_ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
#: Bits of the largest integer written with at most MAX_ID_LENGTH digits.
_MAX_ID_BITS = (10**MAX_ID_LENGTH).bit_length()
#: Largest ``count`` sent: a signed 64-bit integer, what a JSON number can carry safely.
MAX_COUNT = 2**63 - 1


def _type_name(value: object) -> str:
    return type(value).__name__


def check_account(parameter: str, value: Any) -> str:
    """An account name such as ``0000123456-00001``: letters, digits, ``-`` and ``_``."""
    if not isinstance(value, str):
        raise InvalidTypeError(parameter, f"expected a string, got {_type_name(value)}")
    if not value.strip():
        raise ValidationError(parameter, "must not be empty or blank")
    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(parameter, f"longer than {MAX_ID_LENGTH} characters")
    if not _ACCOUNT.fullmatch(value):
        raise ValidationError(
            parameter,
            f"{value!r} is not an account name (letters, digits, '-' and '_' only)",
        )
    return value


def check_query(parameter: str, value: Any) -> str | None:
    """An optional query value: a string or an integer, sent as text."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidTypeError(parameter, f"expected a string, got {_type_name(value)}")
    if isinstance(value, int) and value.bit_length() > _MAX_ID_BITS:
        # str() of an int with more than 4,300 digits raises a bare ValueError
        raise ValidationError(parameter, f"longer than {MAX_ID_LENGTH} characters")
    text = str(value)
    if not text.strip() or text != text.strip():
        raise ValidationError(parameter, "must not be blank or padded with whitespace")
    if len(text) > MAX_ID_LENGTH:
        raise ValidationError(parameter, f"longer than {MAX_ID_LENGTH} characters")
    return text


def check_device_id(parameter: str, value: Any, rule: str = "printable") -> str:
    """A device id under ``rule`` (one of `DEVICE_ID_RULES`)."""
    if not isinstance(value, str):
        raise InvalidTypeError(parameter, f"expected a device id string, got {_type_name(value)}")
    if not value.strip() and (rule != "none" or not value):
        raise ValidationError(parameter, "device id must not be empty or blank")
    if rule == "none":
        return value
    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(parameter, f"device id longer than {MAX_ID_LENGTH} characters")
    if not HEADER_TEXT.fullmatch(value):
        raise ValidationError(
            parameter,
            f"device id {value!r} has surrounding whitespace or non-ASCII/control characters",
        )
    if rule == "thingspace" and not _THINGSPACE_ID.fullmatch(value):
        raise ValidationError(
            parameter,
            f"device id {value!r} is not an IMEI (15 digits), MEID (14 hex digits) or ESN "
            "(11 digits or 8 hex digits)",
        )
    return value


def check_device_list(
    parameter: str,
    value: Any,
    *,
    rule: str = "printable",
    max_devices: int | None = MAX_DEVICES_PER_REQUEST,
) -> list[str]:
    """A non-empty list (or tuple) of device id strings (empty: the documented 400 "Device
    list is empty"), at most ``max_devices`` of them, each valid under ``rule``."""
    if value is None:
        raise ValidationError(parameter, "is required")
    if not isinstance(value, (list, tuple)):
        raise InvalidTypeError(
            parameter, f"expected a list of device id strings, got {_type_name(value)}"
        )
    if not value:
        raise ValidationError(parameter, "must contain at least one device id")
    if max_devices is not None and len(value) > max_devices:
        raise ValidationError(
            parameter,
            f"{len(value)} device ids exceed max_devices_per_request={max_devices} (an SDK "
            "setting); use the bulk methods, which split the work into chunks",
        )
    if rule != "printable":
        for index, device_id in enumerate(value):
            check_device_id(f"{parameter}[{index}]", device_id, rule)
        return list(value)
    valid = HEADER_TEXT.fullmatch
    for index, device_id in enumerate(value):
        # fast path for a valid id; check_device_id explains what is wrong with the others
        if not (type(device_id) is str and len(device_id) <= MAX_ID_LENGTH and valid(device_id)):
            check_device_id(f"{parameter}[{index}]", device_id)
    return list(value)


def check_body(
    parameter: str,
    body: Any,
    model: type[Any],
    *,
    rule: str = "printable",
    max_devices: int | None = MAX_DEVICES_PER_REQUEST,
) -> None:
    """The request body: an instance of ``model`` with a valid ``device_list``."""
    if body is None:
        raise ValidationError(parameter, f"is required (a {model.__name__})")
    if not isinstance(body, model):
        raise InvalidTypeError(parameter, f"expected {model.__name__}, got {_type_name(body)}")
    check_device_list(
        f"{parameter}.device_list", body.device_list, rule=rule, max_devices=max_devices
    )
    for name in ("account_name", "mtype"):
        value = getattr(body, name, None)
        if value is not None and not isinstance(value, str):
            raise InvalidTypeError(
                f"{parameter}.{name}", f"expected a string, got {_type_name(value)}"
            )
    count = getattr(body, "count", None)
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
        raise InvalidTypeError(
            f"{parameter}.count", f"expected an integer, got {_type_name(count)}"
        )
    if count is not None and not 0 <= count <= MAX_COUNT:
        raise ValidationError(f"{parameter}.count", f"must be between 0 and {MAX_COUNT}")
    check_json_body(parameter, body)


def check_json_body(parameter: str, body: Any) -> None:
    """``body`` can be sent as strict JSON: ``additional_properties`` is a dict with string
    keys, and nothing in it is a set, an object, NaN or an infinity (``json`` would write the
    invalid tokens ``NaN``/``Infinity``)."""
    extra = getattr(body, "additional_properties", None)
    if extra is not None and not isinstance(extra, dict):
        raise InvalidTypeError(
            f"{parameter}.additional_properties", f"expected a dict, got {_type_name(extra)}"
        )
    for key in extra or {}:
        if not isinstance(key, str):
            raise InvalidTypeError(
                f"{parameter}.additional_properties",
                f"keys must be strings, got {_type_name(key)}",
            )
    try:
        json.dumps(body.to_dictionary(), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValidationError(parameter, f"cannot be sent as JSON: {exc}") from None
