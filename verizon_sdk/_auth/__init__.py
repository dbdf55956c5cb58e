"""Auth as one flow: the only package that knows tokens. No I/O happens here.

``_values`` holds the values a driver exchanges with the flow and the reading of token
responses and 401 bodies; ``_tokens`` the credential state; this module the flow itself.

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

The flow raises :class:`TokenRequestError` / :class:`LoginRefusedError` itself (response text
already redacted); a driver calls ``error.redact(redactor)`` on any ``APIException`` the flow or
its POST raises, as ``_pipeline.SyncAuthDriver`` does. The sync driver sends the licenses
request through apimatic-core's ``ApiCall`` and the token and login requests through the shared
``requests`` session; an async driver does the same with httpx::

    auth = Auth.for_configuration(config, redactor)      # once per client
    flow = auth.auth_flow(endpoint_name)                 # once per call
    step = next(flow)
    while True:
        if isinstance(step, AuthRequest):
            async with lock:                             # one asyncio.Lock per client
                answer = await post(step) if step.still_needed() else None
                step = flow.send(answer)                 # next step: never the end
            continue
        response = await send_licenses_request(step.headers)
        try:
            step = flow.send(AuthResponse(response.status_code, response.headers, response.text))
        except StopIteration as done:                    # done.value: None, or the 401's hint
            break                                        # 2xx: return it; 401: raise, with hint

Renewal rules (after a 401): the body may name the rejected credential (``rejected_credentials``);
then only that one is renewed. Otherwise every renewable credential is. Each credential is
renewed at most once per call, and a 401 with nothing left to renew stands. A token the service
issues again right after rejecting it (Verizon: "further token requests during that hour return
the same token") gets one replay; rejected again, it is not fetched again (the fetch would
return it once more) until it expires or a call with it succeeds, and the 401 says why.
"""

from __future__ import annotations

import logging
from collections.abc import Generator

from verizon_sdk._auth._tokens import M2MSession, OAuthToken, StaticM2MToken
from verizon_sdk._auth._values import (
    DEFAULT_TOKEN_LIFETIME,
    M2M_AUTH,
    OAUTH_AUTH,
    REISSUED_HINT,
    SAME_TOKEN_MIN_WAIT,
    AuthRequest,
    AuthResponse,
    Credentials,
    Grant,
    _lifetime,
    rejected_credentials,
)
from verizon_sdk._configuration import Configuration
from verizon_sdk._redaction import Redactor

__all__ = [
    "DEFAULT_TOKEN_LIFETIME",
    "M2M_AUTH",
    "OAUTH_AUTH",
    "REISSUED_HINT",
    "SAME_TOKEN_MIN_WAIT",
    "Auth",
    "AuthFlow",
    "AuthRequest",
    "AuthResponse",
    "Credentials",
    "Grant",
    "M2MSession",
    "OAuthToken",
    "StaticM2MToken",
    "_lifetime",
    "rejected_credentials",
]

logger = logging.getLogger("verizon_sdk")


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
