"""The credential state: the OAuth token, the M2M session (or a static M2M token)."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Generator

from verizon_sdk._auth._values import (
    SAME_TOKEN_MIN_WAIT,
    AuthRequest,
    AuthResponse,
    Grant,
    _bearer_rejected,
    _lifetime,
    _RawResponse,
    token_from,
)
from verizon_sdk._credentials import (
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VZM2mTokenCredentials,
)
from verizon_sdk._redaction import Redactor
from verizon_sdk.exceptions import LoginRefusedError, TokenRequestError

logger = logging.getLogger("verizon_sdk")


def _now() -> float:
    """The default clock: monotonic, so a wall-clock jump neither expires nor extends a token."""
    return time.monotonic()


class OAuthToken:
    """The OAuth token state (client-credentials grant) and the decisions about it.

    The grant is replaced as one value, so readers never mix two; the small lock only guards
    compare-and-replace steps and is never held across I/O.
    """

    def __init__(
        self,
        credentials: ThingspaceOauthCredentials,
        token_url: str,
        redactor: Redactor,
        refresh_skew: float = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._redactor = redactor
        self._skew = refresh_skew
        self._clock = clock if clock is not None else lambda: _now()  # _now read at each call
        # RFC 7617 with UTF-8: requests would encode as Latin-1 and fail on other characters
        pair = f"{credentials.oauth_client_id}:{credentials.oauth_client_secret}"
        basic = base64.b64encode(pair.encode()).decode("ascii")
        redactor.add(basic)  # a service may echo the header
        form = {"grant_type": "client_credentials"}
        if credentials.oauth_scopes:
            form["scope"] = " ".join(credentials.oauth_scopes)
        self.request = AuthRequest(
            "POST",
            token_url,
            {"Accept": "application/json", "Authorization": f"Basic {basic}"},
            "OAuth token request",
            idempotent=True,  # a new token changes nothing: retried like a GET
            still_needed=lambda: self.fresh() is None,
            form=form,
        )
        self._lock = threading.Lock()
        self._grant: Grant | None = None  # what to send; None: fetch first
        self._latest: Grant | None = None  # the last fetched, kept after a rejection drops it
        self._rejected: str | None = None  # the last token a 401 rejected

    def fresh(self) -> Grant | None:
        """The grant to send, or None when it is absent or due for refresh."""
        grant = self._grant
        return grant if grant is not None and self._clock() < grant.refresh_at else None

    def flow(self) -> Generator[AuthRequest, AuthResponse | None, Grant]:
        """A fresh grant: the cached one, or one fetched through the driver."""
        while True:
            grant = self.fresh()
            if grant is not None:
                return grant
            started = self._clock()
            response = yield self.request
            if response is not None:
                return self._accept(response, started)

    def _accept(self, response: AuthResponse, started: float) -> Grant:
        token, body = token_from(
            response,
            "access_token",
            self._redactor,
            failed="OAuth token request",
            unusable="OAuth token response",
        )
        seconds = _lifetime(body.get("expires_in"))
        expires_at = started + seconds
        with self._lock:
            latest = self._latest
            if latest is not None and latest.token == token:
                # The service hands out the same token until its hour is over, with expires_in
                # the time left or a full 3600: it does not outlive what we knew, and asking
                # again before it expires would only return it once more.
                if latest.expires_at > started:
                    expires_at = min(expires_at, latest.expires_at)
                refresh_at = max(expires_at, started + SAME_TOKEN_MIN_WAIT)
            else:
                # refresh `skew` early, but never sooner than halfway through a short-lived token
                refresh_at = expires_at - min(self._skew, seconds / 2)
            grant = Grant(
                token,
                serial=latest.serial + 1 if latest is not None else 1,
                refresh_at=refresh_at,
                expires_at=expires_at,
                reissued=token == self._rejected,
            )
            self._grant = self._latest = grant
        logger.debug("OAuth token obtained, expires in %.0f s", expires_at - started)
        return grant

    def renewable(self, grant: Grant) -> bool:
        """Whether fetching again could replace ``grant`` (not when it came back rejected)."""
        return not grant.reissued

    def reject(self, grant: Grant) -> None:
        """A 401 rejected ``grant``: drop it, unless another caller already replaced it."""
        with self._lock:
            if self._grant is not None and self._grant.serial == grant.serial:
                self._rejected = grant.token
                self._grant = None

    def reject_token(self, rejected: str | None = None) -> None:
        """Drop the grant if its token is ``rejected`` (any grant when None)."""
        grant = self._grant
        if grant is not None and rejected in (None, grant.token):
            self.reject(grant)

    def accepted(self, grant: Grant) -> None:
        """A request with ``grant`` got past authentication: it is not suspect any more."""
        with self._lock:
            current = self._grant
            if grant.reissued and current is not None and current.serial == grant.serial:
                self._grant = self._latest = current._replace(reissued=False)


class StaticM2MToken:
    """A ``VZ-M2M-Token`` given by the caller: sent as is, never renewed."""

    renewable = False

    def __init__(self, credentials: VZM2mTokenCredentials) -> None:
        self.token = credentials.vz_m2m_token

    def flow(self, oauth: OAuthToken) -> Generator[AuthRequest, AuthResponse | None, str]:
        return self.token
        yield  # a generator that never yields: the token needs no request

    def reject(self, token: str) -> None:
        """A static token cannot be renewed; a rejection surfaces as an error."""


class M2MSession:
    """The M2M session: a lazy login, a new login when the service rejects the token.

    A refused login is remembered: every later call raises the same
    :class:`LoginRefusedError` at once (a new object each time, holding no one's traceback),
    so no loop can lock the account.
    """

    renewable = True

    def __init__(
        self, credentials: M2MSessionCredentials, login_url: str, redactor: Redactor
    ) -> None:
        self._body = {"username": credentials.username, "password": credentials.password}
        self._login_url = login_url
        self._redactor = redactor
        self._lock = threading.Lock()
        self.token: str | None = None
        # (message, response) of a refused login; each raise builds a new error from it
        self.refusal: tuple[str, _RawResponse] | None = None

    def _login_request(self, oauth: OAuthToken, grant: Grant) -> AuthRequest:
        def still_needed() -> bool:
            # not when another caller logged in (or was refused), nor with a stale Bearer
            current = oauth.fresh()
            fresh = current is not None and current.serial == grant.serial
            return self.token is None and self.refusal is None and fresh

        return AuthRequest(
            "POST",
            self._login_url,
            {"Accept": "application/json", "Authorization": f"Bearer {grant.token}"},
            "M2M session login",
            idempotent=False,
            still_needed=still_needed,
            json=self._body,
        )

    def flow(self, oauth: OAuthToken) -> Generator[AuthRequest, AuthResponse | None, str]:
        """The session token: the one held, or a login (after a fresh OAuth token)."""
        bearer_rejected: AuthResponse | None = None
        while True:
            if self.refusal is not None:
                raise LoginRefusedError(*self.refusal)
            if self.token is not None:
                return self.token
            grant = yield from oauth.flow()
            if bearer_rejected is not None and grant.reissued:
                raise TokenRequestError(
                    "M2M session login: the OAuth token was rejected and the token endpoint "
                    "issued the same token again; not logging in with it",
                    _RawResponse(bearer_rejected, self._redactor),
                )
            response = yield self._login_request(oauth, grant)
            if response is None:
                continue
            first_401 = response.status_code == 401 and bearer_rejected is None
            if first_401 and _bearer_rejected(response):
                # The OAuth token was rejected before the credentials were looked at:
                # not a refused login. Log in once more with a new OAuth token.
                logger.debug("M2M session login: OAuth token rejected; fetching a new one")
                oauth.reject(grant)
                bearer_rejected = response
                continue
            return self._accept(response)

    def _accept(self, response: AuthResponse) -> str:
        raw = _RawResponse(response, self._redactor)
        if response.status_code in (400, 401, 403):
            self.refusal = (
                f"M2M session login refused with status {response.status_code}; "
                "not retried (repeated failures lock the account)",
                raw,
            )
            raise LoginRefusedError(*self.refusal)
        token, _ = token_from(
            response,
            "sessionToken",
            self._redactor,
            failed="M2M session login",
            unusable="M2M session login response",
        )
        self.token = token
        return token

    def reject(self, token: str) -> None:
        """Drop the session token, unless another caller already replaced ``token``."""
        with self._lock:
            if self.token == token:
                self.token = None
