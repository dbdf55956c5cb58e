"""Auth as one flow: the only module that knows tokens. No I/O happens here.

Every licenses request carries two credentials, ``Authorization: Bearer <OAuth token>`` and
``VZ-M2M-Token`` (a static token, or the session token of an M2M login). Who decides what:

- :class:`OAuthToken` holds the OAuth token state: the current :class:`Grant` (token, refresh
  time on a monotonic clock), the last token a 401 rejected, and the constant token request.
- :class:`M2MSession` holds the session token and the remembered login refusal;
  :class:`StaticM2MToken` is the caller's token, never renewed.
- :class:`Auth` combines them. ``Auth.auth_flow(what)`` is a generator in the shape of httpx's
  ``Auth.auth_flow``: it applies both headers, remembers what it sent (its local variables),
  and after a 401 decides what to renew and whether to replay.

What the flow yields, and what a driver sends back:

- an :class:`AuthRequest` (a token request or a login): the driver takes its one lock
  (``threading.Lock`` sync, ``asyncio.Lock`` async), calls ``request.still_needed()``, POSTs
  the request only if that is true, and sends back the :class:`AuthResponse`, or ``None`` when
  it was no longer needed (another caller renewed the state meanwhile; the flow re-reads it).
  The driver sends the value into the flow *while still holding the lock*: the flow updates its
  state before the next waiter asks ``still_needed()``. So any number of threads or tasks on a
  cold client cause one token fetch and one login. A transport failure of the POST is the
  driver's to raise (with ``never_sent`` set: the licenses request never left).
- a :class:`Credentials` (the headers to send the licenses request with): the driver sends its
  API request with these headers and sends back the :class:`AuthResponse` it got (any status).
  After a 2xx (or any status but 401) the flow returns ``None``. After a 401 it yields new
  :class:`Credentials` (a replay), or returns: the 401 stands, and the returned text, when
  there is one, is the SDK's explanation (the driver puts it on the error's ``hint``).

The flow raises :class:`TokenRequestError` / :class:`LoginRefusedError` itself (their bodies
redacted); a driver redacts whatever else it raises. The sync driver is ``_pipeline``
(``SyncAuthDriver``, requests through ``ApiCall``, token and login requests through the shared
``requests`` session); an async driver runs the same flow with httpx.

Renewal rules (after a 401): the body may name the rejected credential (``rejected_credentials``);
then only that one is renewed. Otherwise every renewable credential is. Each credential is
renewed at most once per call, and a 401 with nothing left to renew stands. A token the service
issues again right after rejecting it (Verizon: "further token requests during that hour return
the same token") gets one replay; rejected again, it is not fetched again (the fetch would
return it once more) until it expires or a call with it succeeds, and the 401 says why.
"""

from __future__ import annotations

import base64
import logging
import math
import threading
import time
from collections.abc import Callable, Generator, Mapping
from typing import Any, NamedTuple

from verizon_sdk._configuration import Configuration
from verizon_sdk._credentials import (
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VZM2mTokenCredentials,
)
from verizon_sdk._headers import HEADER_SAFE
from verizon_sdk._redaction import Redactor
from verizon_sdk._wire import parse_json_text
from verizon_sdk.exceptions import LoginRefusedError, TokenRequestError

logger = logging.getLogger("verizon_sdk")

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
        self.headers = dict(response.headers)
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


def _usable(response: AuthResponse, field: str) -> tuple[str | None, Mapping[str, Any]]:
    body = parse_json_text(response.text)
    body = body if isinstance(body, dict) else {}
    value = body.get(field)
    return (value if isinstance(value, str) and HEADER_SAFE.fullmatch(value) else None), body


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
        raw = _RawResponse(response, self._redactor)
        if not 200 <= response.status_code < 300:
            raise TokenRequestError(
                f"OAuth token request failed with status {response.status_code}", raw
            )
        token, body = _usable(response, "access_token")
        if token is None:
            raise TokenRequestError("OAuth token response has no usable access_token", raw)
        seconds = _lifetime(body.get("expires_in"))
        self._redactor.add(token)
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
        if not 200 <= response.status_code < 300:
            raise TokenRequestError(
                f"M2M session login failed with status {response.status_code}", raw
            )
        token, _ = _usable(response, "sessionToken")
        if token is None:
            raise TokenRequestError("M2M session login response has no usable sessionToken", raw)
        self._redactor.add(token)
        self.token = token
        return token

    def reject(self, token: str) -> None:
        """Drop the session token, unless another caller already replaced ``token``."""
        with self._lock:
            if self.token == token:
                self.token = None


AuthFlow = Generator[AuthRequest | Credentials, AuthResponse | None, str | None]


class Auth:
    """Both credentials of one client, and the flow that applies and renews them."""

    def __init__(self, oauth: OAuthToken, m2m: StaticM2MToken | M2MSession) -> None:
        self.oauth = oauth
        self.m2m = m2m

    @classmethod
    def for_configuration(cls, config: Configuration, redactor: Redactor) -> Auth:
        assert config.thingspace_oauth_credentials is not None  # Configuration guarantees it
        oauth = OAuthToken(
            config.thingspace_oauth_credentials,
            config.token_url,
            redactor,
            refresh_skew=config.token_refresh_skew,
        )
        if config.m2m_session_credentials is not None:
            session = M2MSession(config.m2m_session_credentials, config.login_url, redactor)
            return cls(oauth, session)
        assert config.vz_m2m_token_credentials is not None
        return cls(oauth, StaticM2MToken(config.vz_m2m_token_credentials))

    def auth_flow(self, what: str = "request") -> AuthFlow:
        """Apply both credentials; after a 401 renew and replay, or let it stand (see module)."""
        renewed: set[str] = set()
        while True:
            # M2M first: a session login may renew the OAuth token the Bearer header then uses
            m2m_token = yield from self.m2m.flow(self.oauth)
            grant = yield from self.oauth.flow()
            sent = Credentials({"Authorization": f"Bearer {grant.token}", M2M_AUTH: m2m_token})
            response = yield sent
            assert response is not None, "a driver answers Credentials with the response"
            if response.status_code != 401:
                self.oauth.accepted(grant)
                return None
            blamed = rejected_credentials(response.text)
            renew = self._to_renew(blamed, renewed, grant)
            if not renew:
                return REISSUED_HINT if grant.reissued and M2M_AUTH not in blamed else None
            if OAUTH_AUTH in renew:
                self.oauth.reject(grant)
            if M2M_AUTH in renew:
                self.m2m.reject(m2m_token)
            renewed |= renew
            logger.debug("401 from %s; renewing %s and replaying", what, sorted(renew))

    def _to_renew(self, blamed: frozenset[str], renewed: set[str], grant: Grant) -> frozenset[str]:
        """The credentials to renew after a 401; empty: give up.

        Each credential is renewed at most once per call. The 401 body may name the
        rejected credential (the simulator's ``AccessToken.Expired`` /
        ``SessionToken.Expired``; the real service's format is unknown): then only that
        one is renewed, so an expired OAuth token does not cost a login. Otherwise (no
        name, a name that cannot be renewed such as a static ``VZ-M2M-Token``, or a name
        already renewed during this call, in case the body was wrong) every renewable
        credential not yet renewed is. Nothing left to renew: the 401 stands.
        """
        renewable = {OAUTH_AUTH} if self.oauth.renewable(grant) else set()
        renewable |= {M2M_AUTH} if self.m2m.renewable else set()
        named = (blamed & renewable) - renewed
        return frozenset(named or renewable - renewed)
