"""The auth flow's values and the reading of token responses and 401 bodies (no state)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from requests.structures import CaseInsensitiveDict

from verizon_sdk._headers import HEADER_SAFE
from verizon_sdk._redaction import Redactor
from verizon_sdk._wire import parse_json_text
from verizon_sdk.exceptions import TokenRequestError

OAUTH_AUTH = "thingspace_oauth"
M2M_AUTH = "VZ-M2M-Token"
DEFAULT_TOKEN_LIFETIME = 3600.0
#: A token the service hands out again is not asked for again sooner than this.
SAME_TOKEN_MIN_WAIT = 1.0

REISSUED_HINT = (
    "the token endpoint issued again the very access token this 401 rejected "
    "(revoked?), so renewing it cannot help; a new token comes when it expires"
)


# The values are NamedTuples (frozen, and cheaper to define at import than dataclasses).


class AuthRequest(NamedTuple):
    """A token request or a login, for a driver to POST (``form`` or ``json`` is the body)."""

    method: str
    url: str
    headers: Mapping[str, str]
    what: str  # for error messages and logs: "OAuth token request", "M2M session login"
    idempotent: bool  # whether the driver's retry policy may repeat it
    still_needed: Callable[[], bool]
    form: Mapping[str, str] | None = None
    json: Mapping[str, str] | None = None


class AuthResponse(NamedTuple):
    """What the flow reads of a response: status, headers (any case), text."""

    status_code: int
    headers: Mapping[str, str]
    text: str

    def header(self, name: str) -> str:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), "")


class Credentials(NamedTuple):
    """The credential headers to send (or replay) the licenses request with."""

    headers: Mapping[str, str]


class Grant(NamedTuple):
    """One OAuth token as fetched; times on the flow's clock. ``serial`` counts the fetches."""

    token: str
    serial: int
    refresh_at: float
    expires_at: float
    reissued: bool = False  # the service issued again a token a 401 had just rejected


class _RawResponse:
    """The slice of a response the exceptions read, with secrets redacted."""

    def __init__(self, response: AuthResponse, redactor: Redactor) -> None:
        self.status_code = response.status_code
        # any-case look-ups, values redacted (a service may echo a credential in a header)
        self.headers = CaseInsensitiveDict(
            {name: redactor(value) for name, value in response.headers.items()}
        )
        self.text = redactor(response.text)
        self.request = None


def rejected_credentials(body: str | None) -> frozenset[str]:
    """Which credential a 401 body blames: ``{OAUTH_AUTH}``, ``{M2M_AUTH}``, or none.

    The error code and message fields of a JSON body are searched for words that
    name one credential only (``AccessToken.Expired``, ``Bearer``, ``access_token``;
    ``SessionToken.Expired``, ``VZ-M2M-Token``, ``session``). A body that names both,
    neither (a bare ``invalid_token`` could be either token), or is not JSON blames
    nothing: the caller then renews every credential.
    """
    data = parse_json_text(body)
    if not isinstance(data, dict):
        return frozenset()
    said = " ".join(
        value for key in _ERROR_FIELDS if isinstance(value := data.get(key), str)
    ).lower()
    blamed = {name for name, words in _BLAME_WORDS.items() if any(w in said for w in words)}
    return frozenset(blamed) if len(blamed) == 1 else frozenset()


_ERROR_FIELDS = ("errorCode", "errorMessage", "error", "error_description", "code", "message")
_BLAME_WORDS = {
    OAUTH_AUTH: ("accesstoken", "access token", "access_token", "bearer", "oauth"),
    M2M_AUTH: ("sessiontoken", "session token", "session", "m2m"),
}


def _bearer_rejected(response: AuthResponse) -> bool:
    """Whether a 401 names the Bearer token (RFC 6750 ``invalid_token``, or the body)."""
    challenge = response.header("WWW-Authenticate").lower()
    if challenge.startswith("bearer") and "invalid_token" in challenge:
        return True
    return rejected_credentials(response.text) == {OAUTH_AUTH}


def _lifetime(value: Any) -> float:
    """``expires_in`` in seconds; absent, unparseable, negative or infinite: one hour."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return DEFAULT_TOKEN_LIFETIME
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return DEFAULT_TOKEN_LIFETIME
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_TOKEN_LIFETIME


def token_from(
    response: AuthResponse, field: str, redactor: Redactor, *, failed: str, unusable: str
) -> tuple[str, Mapping[str, Any]]:
    """The token in a 2xx JSON answer's ``field`` and the body; the redactor's current token.

    Anything else raises :class:`TokenRequestError` (``failed with status``, or ``unusable``)
    carrying the response, its text redacted.
    """
    raw = _RawResponse(response, redactor)
    if not 200 <= response.status_code < 300:
        raise TokenRequestError(f"{failed} failed with status {response.status_code}", raw)
    body = parse_json_text(response.text)
    body = body if isinstance(body, dict) else {}
    token = body.get(field)
    if not isinstance(token, str) or not HEADER_SAFE.fullmatch(token):
        raise TokenRequestError(f"{unusable} has no usable {field}", raw)
    redactor.rotate(field, token)
    return token, body
