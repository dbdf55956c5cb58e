"""OAuth access tokens, M2M session logins (with the lockout) and the two auth headers."""

from __future__ import annotations

import base64
import binascii
import math
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from verizon_sdk.simulator._clock import Clock
from verizon_sdk.simulator._http import ApiError, Request, invalid_parameter
from verizon_sdk.simulator._options import SimulatorOptions


def _unauthorized(code: str, message: str, bearer: bool) -> ApiError:
    headers = (("WWW-Authenticate", 'Bearer error="invalid_token"'),) if bearer else ()
    return ApiError(401, {"errorCode": code, "errorMessage": message}, headers)


class TokenState:
    """Issued tokens and sessions, failed logins and locks. One lock guards all of it."""

    def __init__(self, options: SimulatorOptions, clock: Clock) -> None:
        self.options = options
        self.lock = threading.Lock()
        self._clock = clock
        self._access_tokens: dict[str, float] = {}  # token -> expiry on the monotonic clock
        self._current: dict[str, str] = {}  # client id -> its latest token (for same_token)
        self._session_tokens: dict[str, float] = {}
        self._failed_logins: dict[str, int] = {}
        self._locked: set[str] = set()
        self.token_count = 0
        self.login_count = 0
        self.refused_login_count = 0
        self.revoked_count = 0

    def _monotonic(self) -> float:
        return self._clock.monotonic()

    def _client(self, authorization: str | None) -> str:
        """The client id of a valid ``Authorization: Basic``, else the OAuth 401."""
        client = _basic_credentials(authorization)
        allowed = self.options.client_credentials
        if client is None or (allowed is not None and allowed.get(client[0]) != client[1]):
            raise ApiError(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                (("WWW-Authenticate", 'Basic realm="ThingSpace"'),),
            )
        return client[0]

    def issue_access_token(self, authorization: str | None, form: Mapping[str, str]) -> Any:
        client = self._client(authorization)
        grant = form.get("grant_type")
        if not grant:
            raise ApiError(
                400, {"error": "invalid_request", "error_description": "grant_type is required"}
            )
        if grant != "client_credentials":
            raise ApiError(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"grant_type {grant!r} is not supported",
                },
            )
        lifetime = self.options.token_lifetime
        with self.lock:
            now = self._monotonic()
            token = self._current.get(client) if self.options.same_token else None
            expiry = None if token is None else self._access_tokens.get(token)
            if token is None or expiry is None or expiry <= now:
                # "valid one hour from first issue; further token requests during that hour
                # return the same token" (Verizon's pages): same_token plays that
                token = secrets.token_hex(16)
                expiry = self._access_tokens[token] = now + lifetime
                self._current[client] = token
                self.token_count += 1
        if self.options.token_expires_in == "remaining":
            lifetime = min(lifetime, math.ceil(expiry - now))
        payload: dict[str, Any] = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(lifetime) if lifetime == int(lifetime) else lifetime,
        }
        if form.get("scope"):
            payload["scope"] = form["scope"]
        return payload

    def revoke(self, authorization: str | None, form: Mapping[str, str]) -> Any:
        """``POST /oauth2/revoke`` (RFC 7009): the client's ``token`` stops working at once.

        An unknown token is not an error (RFC 7009 section 2.2); a revoked token is forgotten,
        so the next token request issues a new one even under ``same_token``.
        """
        self._client(authorization)
        token = form.get("token")
        if not token:
            raise ApiError(
                400, {"error": "invalid_request", "error_description": "token is required"}
            )
        with self.lock:
            known = self._access_tokens.pop(token, None) is not None
            for client, current in list(self._current.items()):
                if current == token:
                    del self._current[client]
            self.revoked_count += known
        return {}

    def check_bearer(self, header: str | None) -> None:
        if not header:
            raise _unauthorized(
                "AccessToken.Missing", "Authorization: Bearer access token is missing", True
            )
        scheme, _, token = header.partition(" ")
        token = token.strip()
        with self.lock:
            expiry = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
            now = self._monotonic()
        if expiry is None:
            raise _unauthorized("AccessToken.Invalid", "Bearer access token is invalid", True)
        if expiry <= now:
            raise _unauthorized("AccessToken.Expired", "Bearer access token has expired", True)

    def check_m2m(self, token: str | None) -> None:
        if not token:
            raise _unauthorized("SessionToken.Missing", "VZ-M2M-Token header is missing", False)
        if token in self.options.m2m_tokens:
            return
        with self.lock:
            expiry = self._session_tokens.get(token)
            now = self._monotonic()
            if expiry is not None and expiry > now:
                # Sessions expire after a period of inactivity: each use extends them.
                self._session_tokens[token] = now + self.options.session_lifetime
                return
        if expiry is None:
            raise _unauthorized("SessionToken.Invalid", "VZ-M2M-Token is invalid", False)
        raise _unauthorized("SessionToken.Expired", "VZ-M2M-Token has expired", False)

    def authorize(self, request: Request) -> None:
        self.check_bearer(request.headers.get("authorization"))
        self.check_m2m(request.headers.get("vz-m2m-token"))

    def login(self, body: Any) -> Any:
        """Session login (the caller has checked the Bearer token)."""
        username = body.get("username") if isinstance(body, dict) else None
        password = body.get("password") if isinstance(body, dict) else None
        if not (isinstance(username, str) and username and isinstance(password, str) and password):
            with self.lock:
                self.refused_login_count += 1
            raise invalid_parameter("username and password are required")
        refusal = self.options.login_refusal_status
        with self.lock:
            if username in self._locked:
                self.refused_login_count += 1
                raise ApiError(
                    refusal,
                    {
                        "errorCode": "ACCOUNT_LOCKED",
                        "errorMessage": "Login locked after consecutive failed attempts; "
                        "contact Verizon support",
                    },
                )
            logins = self.options.logins
            if logins is not None and logins.get(username) != password:
                self.refused_login_count += 1
                failures = self._failed_logins.get(username, 0) + 1
                self._failed_logins[username] = failures
                if self.options.lockout_after and failures >= self.options.lockout_after:
                    self._locked.add(username)
                raise ApiError(
                    refusal,
                    {
                        "errorCode": "INVALID_CREDENTIALS",
                        "errorMessage": "Invalid username or password",
                    },
                )
            self._failed_logins.pop(username, None)
            token = secrets.token_hex(16)
            self._session_tokens[token] = self._monotonic() + self.options.session_lifetime
            self.login_count += 1
        return {"sessionToken": token}

    def unlock(self, username: str | None = None) -> None:
        with self.lock:
            if username is None:
                self._locked.clear()
                self._failed_logins.clear()
            else:
                self._locked.discard(username)
                self._failed_logins.pop(username, None)

    def expire_tokens(self) -> dict[str, int]:
        """Expire every issued access and session token; return how many were still live."""
        with self.lock:
            now = self._monotonic()
            counts = {}
            for kind, tokens in (
                ("accessTokens", self._access_tokens),
                ("sessionTokens", self._session_tokens),
            ):
                counts[kind] = sum(expiry > now for expiry in tokens.values())
                for token in tokens:
                    tokens[token] = now
        return counts

    def locked_users(self) -> list[str]:
        with self.lock:
            return sorted(self._locked)

    def reset_counters(self) -> None:
        with self.lock:
            self.token_count = self.login_count = self.refused_login_count = 0


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(client_id, secret)`` from ``Authorization: Basic ...``, None if absent or empty."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    if not (colon and client_id and secret):
        return None
    return client_id, secret
