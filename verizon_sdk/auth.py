"""Token providers (OAuth client credentials, M2M session) and their apimatic auth adapters.

Both tokens are cached against a monotonic clock and fetched under a lock, so
any number of threads on a cold client cause one fetch. A failed fetch raises;
a stale or absent token is never sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from apimatic_core_interfaces.types.authentication import Authentication

from verizon_sdk.credentials import (
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VZM2mTokenCredentials,
)
from verizon_sdk.exceptions import (
    APIConnectionError,
    APITimeoutError,
    LoginRefusedError,
    TokenRequestError,
)
from verizon_sdk.redaction import Redactor

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
    **kwargs: Any,
) -> requests.Response:
    """POST through the shared session, turning transport failures into SDK errors."""
    try:
        return session.post(url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.Timeout as exc:
        raise APITimeoutError(f"{what} timed out: {type(exc).__name__}") from exc
    except requests.RequestException as exc:
        raise APIConnectionError(f"{what} failed: {type(exc).__name__}") from exc


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
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.fetch_count = 0

    def _fresh(self) -> str | None:
        token = self._token
        if token is not None and self._clock() < self._expires_at - self._skew:
            return token
        return None

    def token(self) -> str:
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
            if rejected is None or rejected == self._token:
                self._token = None

    def _fetch(self) -> str:
        data = {"grant_type": "client_credentials"}
        if self._credentials.oauth_scopes:
            data["scope"] = " ".join(self._credentials.oauth_scopes)
        started = self._clock()
        self.fetch_count += 1
        logger.debug("Requesting OAuth token from %s", self._token_url)
        response = post(
            self._session,
            self._token_url,
            self._timeout,
            "OAuth token request",
            data=data,
            auth=(self._credentials.oauth_client_id, self._credentials.oauth_client_secret),
            headers={"Accept": "application/json"},
        )
        raw = _RawResponse(response, self._redactor)
        if not 200 <= response.status_code < 300:
            raise TokenRequestError(
                f"OAuth token request failed with status {response.status_code}", raw
            )
        body = _json_object(response)
        token = body.get("access_token") if body is not None else None
        if not isinstance(token, str) or not token:
            raise TokenRequestError("OAuth token response has no access_token", raw)
        lifetime = body.get("expires_in", DEFAULT_TOKEN_LIFETIME) if body else None
        if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float, str)):
            lifetime = DEFAULT_TOKEN_LIFETIME
        try:
            seconds = float(lifetime)
        except ValueError:
            seconds = DEFAULT_TOKEN_LIFETIME
        self._redactor.add(token)
        self._token = token
        self._expires_at = started + seconds
        logger.debug("OAuth token obtained, expires in %.0f s", seconds)
        return token


def _json_object(response: requests.Response) -> Mapping[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class StaticM2MToken:
    """A ``VZ-M2M-Token`` given by the caller."""

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
        self._refused: LoginRefusedError | None = None
        self.login_count = 0

    def token(self) -> str:
        token = self._token
        if token is not None:
            return token
        with self._lock:
            if self._refused is not None:
                raise self._refused
            if self._token is None:
                self._token = self._login()
            return self._token

    def invalidate(self, rejected: str | None = None) -> None:
        with self._lock:
            if rejected is None or rejected == self._token:
                self._token = None

    def _login(self) -> str:
        self.login_count += 1
        logger.debug("Logging in to the M2M session endpoint %s", self._login_url)
        response = post(
            self._session,
            self._login_url,
            self._timeout,
            "M2M session login",
            json={"username": self._credentials.username, "password": self._credentials.password},
            headers={
                "Accept": "application/json",
                "Authorization": f"Bearer {self._oauth.token()}",
            },
        )
        raw = _RawResponse(response, self._redactor)
        if response.status_code in (400, 401, 403):
            self._refused = LoginRefusedError(
                f"M2M session login refused with status {response.status_code}; "
                "not retried (repeated failures lock the account)",
                raw,
            )
            raise self._refused
        if not 200 <= response.status_code < 300:
            raise TokenRequestError(
                f"M2M session login failed with status {response.status_code}", raw
            )
        body = _json_object(response)
        token = body.get("sessionToken") if body is not None else None
        if not isinstance(token, str) or not token:
            raise TokenRequestError("M2M session login response has no sessionToken", raw)
        self._redactor.add(token)
        return token


M2MTokenSource = StaticM2MToken | M2MSessionProvider


class BearerAuth(Authentication):  # type: ignore[misc]
    """apimatic auth participant: ``Authorization: Bearer <OAuth token>``."""

    error_message = "OAuth client credentials are missing"

    def __init__(self, provider: OAuthTokenProvider) -> None:
        self.provider = provider

    def is_valid(self) -> bool:
        return True

    def apply(self, http_request: Any) -> None:
        http_request.add_header("Authorization", f"Bearer {self.provider.token()}")


class M2MTokenAuth(Authentication):  # type: ignore[misc]
    """apimatic auth participant: ``VZ-M2M-Token: <session token>``."""

    error_message = "M2M credentials are missing"

    def __init__(self, provider: M2MTokenSource) -> None:
        self.provider = provider

    def is_valid(self) -> bool:
        return True

    def apply(self, http_request: Any) -> None:
        http_request.add_header("VZ-M2M-Token", self.provider.token())
