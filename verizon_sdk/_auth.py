"""Token providers (OAuth client credentials, M2M session) and their apimatic auth adapters.

The OAuth token is cached against a monotonic clock; the session token is kept until the
service rejects it. Both are fetched under a lock, so any number of threads on a cold client
cause one fetch. A failed fetch raises; a stale or absent token is never sent.
"""

from __future__ import annotations

import base64
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
import urllib3
from apimatic_core_interfaces.types.authentication import Authentication

from verizon_sdk._credentials import (
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VZM2mTokenCredentials,
)
from verizon_sdk._headers import HEADER_SAFE
from verizon_sdk._redaction import Redactor
from verizon_sdk._transport import transport_error
from verizon_sdk._wire import parse_json_text
from verizon_sdk.exceptions import LoginRefusedError, TokenRequestError

logger = logging.getLogger("verizon_sdk")

OAUTH_AUTH = "thingspace_oauth"
M2M_AUTH = "VZ-M2M-Token"
DEFAULT_TOKEN_LIFETIME = 3600.0


class _RawResponse:
    """The slice of a ``requests.Response`` the exceptions read, with secrets redacted."""

    def __init__(self, response: requests.Response, redactor: Redactor) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        self.text = redactor(response.text)
        self.request = None


def post(
    session: requests.Session,
    url: str,
    timeout: tuple[float, float],
    what: str,
    *,
    idempotent: bool,
    **kwargs: Any,
) -> requests.Response:
    """POST through the shared session, turning transport failures into SDK errors.

    The error is raised outside the ``except`` block: the ``requests`` error it replaces holds
    the sent request (Basic credentials, a Bearer token, a password in a login body), so it is
    neither its ``__cause__`` nor its ``__context__``. ``never_sent`` is set: whatever happened
    to this token or login request, the licenses request it was for never left.
    """
    try:
        return session.post(url, timeout=timeout, allow_redirects=False, **kwargs)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        error = transport_error(what, exc, idempotent=idempotent, advice="")
    error.never_sent = True
    raise error


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


def _bearer_rejected(response: requests.Response) -> bool:
    """Whether a 401 names the Bearer token (RFC 6750 ``invalid_token``, or the body)."""
    challenge = response.headers.get("WWW-Authenticate", "").lower()
    if challenge.startswith("bearer") and "invalid_token" in challenge:
        return True
    return rejected_credentials(response.text) == {OAUTH_AUTH}


class OAuthTokenProvider:
    """Fetches and caches the OAuth access token (client-credentials grant)."""

    def __init__(
        self,
        credentials: ThingspaceOauthCredentials,
        token_url: str,
        session: requests.Session,
        timeout: tuple[float, float],
        redactor: Redactor,
        refresh_skew: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._token_url = token_url
        self._session = session
        self._timeout = timeout
        self._redactor = redactor
        self._skew = refresh_skew
        self._clock = clock
        # RFC 7617 with UTF-8: requests would encode as Latin-1 and fail on other characters
        pair = f"{credentials.oauth_client_id}:{credentials.oauth_client_secret}"
        self._basic = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        redactor.add(self._basic[len("Basic ") :])  # a service may echo the header
        self._lock = threading.Lock()
        # (token, refresh time on self._clock), replaced as one value so readers never mix two
        self._cached: tuple[str, float] | None = None

    def _fresh(self) -> str | None:
        cached = self._cached
        if cached is not None and self._clock() < cached[1]:
            return cached[0]
        return None

    def token(self) -> str:
        """The cached token, or a new one when it is absent or within the skew of expiry."""
        token = self._fresh()
        if token is not None:
            return token
        with self._lock:
            token = self._fresh()
            if token is None:
                token = self._fetch()
            return token

    def invalidate(self, rejected: str | None = None) -> None:
        """Drop the cached token, unless another thread already replaced ``rejected``."""
        with self._lock:
            if self._cached is not None and rejected in (None, self._cached[0]):
                self._cached = None

    def _fetch(self) -> str:
        data = {"grant_type": "client_credentials"}
        if self._credentials.oauth_scopes:
            data["scope"] = " ".join(self._credentials.oauth_scopes)
        started = self._clock()
        logger.debug("Requesting OAuth token from %s", self._token_url)
        response = post(
            self._session,
            self._token_url,
            self._timeout,
            "OAuth token request",
            idempotent=True,  # a new token changes nothing: retried like a GET
            data=data,
            headers={"Accept": "application/json", "Authorization": self._basic},
        )
        raw = _RawResponse(response, self._redactor)
        if not 200 <= response.status_code < 300:
            raise TokenRequestError(
                f"OAuth token request failed with status {response.status_code}", raw
            )
        body = _json_object(response)
        token = body.get("access_token") if body is not None else None
        if not isinstance(token, str) or not HEADER_SAFE.fullmatch(token):
            raise TokenRequestError("OAuth token response has no usable access_token", raw)
        seconds = _lifetime(body.get("expires_in") if body is not None else None)
        self._redactor.add(token)
        # refresh `skew` early, but never sooner than halfway through a short-lived token
        self._cached = (token, started + seconds - min(self._skew, seconds / 2))
        logger.debug("OAuth token obtained, expires in %.0f s", seconds)
        return token


def _lifetime(value: Any) -> float:
    """``expires_in`` in seconds; absent, unparseable, negative or infinite: one hour."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return DEFAULT_TOKEN_LIFETIME
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return DEFAULT_TOKEN_LIFETIME
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_TOKEN_LIFETIME


def _json_object(response: requests.Response) -> Mapping[str, Any] | None:
    body = parse_json_text(response.text)
    return body if isinstance(body, dict) else None


class StaticM2MToken:
    """A ``VZ-M2M-Token`` given by the caller."""

    renewable = False

    def __init__(self, credentials: VZM2mTokenCredentials) -> None:
        self._token = credentials.vz_m2m_token

    def token(self) -> str:
        return self._token

    def invalidate(self, rejected: str | None = None) -> None:
        """A static token cannot be renewed; a rejection surfaces as an error."""


class M2MSessionProvider:
    """Logs in lazily for a ``VZ-M2M-Token`` and logs in again when the service rejects it.

    A refused login is remembered: every later call raises the same
    :class:`LoginRefusedError` at once, so no loop can lock the account.
    """

    renewable = True

    def __init__(
        self,
        credentials: M2MSessionCredentials,
        login_url: str,
        session: requests.Session,
        timeout: tuple[float, float],
        redactor: Redactor,
        oauth: OAuthTokenProvider,
    ) -> None:
        self._credentials = credentials
        self._login_url = login_url
        self._session = session
        self._timeout = timeout
        self._redactor = redactor
        self._oauth = oauth
        self._lock = threading.Lock()
        self._token: str | None = None
        # (message, response) of a refused login; each raise builds a new error from it
        self._refusal: tuple[str, _RawResponse] | None = None
        self._last_bearer: str | None = None

    def token(self) -> str:
        token = self._token
        if token is not None:
            return token
        with self._lock:
            if self._refusal is not None:
                # the same error each time, a new object for each caller (threads, bulk
                # runs annotate what they catch), holding no one's traceback
                raise LoginRefusedError(*self._refusal)
            if self._token is None:
                self._token = self._login()
            return self._token

    def invalidate(self, rejected: str | None = None) -> None:
        with self._lock:
            if rejected is None or rejected == self._token:
                self._token = None

    def _login(self) -> str:
        response = self._post_login()
        if response.status_code == 401 and _bearer_rejected(response):
            # The OAuth token was rejected before the credentials were looked at: this
            # was not a refused login. Log in once more with a new OAuth token.
            logger.debug("M2M session login: OAuth token rejected; fetching a new one")
            self._oauth.invalidate(self._last_bearer)
            response = self._post_login()
        raw = _RawResponse(response, self._redactor)
        if response.status_code in (400, 401, 403):
            self._refusal = (
                f"M2M session login refused with status {response.status_code}; "
                "not retried (repeated failures lock the account)",
                raw,
            )
            raise LoginRefusedError(*self._refusal)
        if not 200 <= response.status_code < 300:
            raise TokenRequestError(
                f"M2M session login failed with status {response.status_code}", raw
            )
        body = _json_object(response)
        token = body.get("sessionToken") if body is not None else None
        if not isinstance(token, str) or not HEADER_SAFE.fullmatch(token):
            raise TokenRequestError("M2M session login response has no usable sessionToken", raw)
        self._redactor.add(token)
        return token

    def _post_login(self) -> requests.Response:
        bearer = self._last_bearer = self._oauth.token()
        logger.debug("Logging in to the M2M session endpoint %s", self._login_url)
        return post(
            self._session,
            self._login_url,
            self._timeout,
            "M2M session login",
            idempotent=False,
            json={"username": self._credentials.username, "password": self._credentials.password},
            headers={"Accept": "application/json", "Authorization": f"Bearer {bearer}"},
        )


M2MTokenSource = StaticM2MToken | M2MSessionProvider


class BearerAuth(Authentication):  # type: ignore[misc]
    """apimatic auth participant: ``Authorization: Bearer <OAuth token>``."""

    def __init__(self, provider: OAuthTokenProvider) -> None:
        self.provider = provider

    def is_valid(self) -> bool:
        return True

    def apply(self, http_request: Any) -> None:
        http_request.add_header("Authorization", f"Bearer {self.provider.token()}")


class M2MTokenAuth(Authentication):  # type: ignore[misc]
    """apimatic auth participant: ``VZ-M2M-Token: <session token>``."""

    def __init__(self, provider: M2MTokenSource) -> None:
        self.provider = provider

    def is_valid(self) -> bool:
        return True

    def apply(self, http_request: Any) -> None:
        http_request.add_header("VZ-M2M-Token", self.provider.token())
