"""Credential value objects. Their ``repr`` never shows a secret."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from verizon_sdk.exceptions import ConfigurationError

_HIDDEN = "'***'"


def _require_text(owner: str, name: str, value: object) -> None:
    if not isinstance(value, str):
        raise ConfigurationError(f"{owner}.{name} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ConfigurationError(f"{owner}.{name} must not be empty")


@dataclass(frozen=True)
class ThingspaceOauthCredentials:
    """OAuth 2.0 client credentials for the ThingSpace token endpoint."""

    oauth_client_id: str
    oauth_client_secret: str = field(repr=False)
    oauth_scopes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require_text(type(self).__name__, "oauth_client_id", self.oauth_client_id)
        _require_text(type(self).__name__, "oauth_client_secret", self.oauth_client_secret)
        scopes = self.oauth_scopes
        if not isinstance(scopes, str) and isinstance(scopes, Iterable):
            scopes = tuple(scopes)  # once: a generator can be read only once
        if not isinstance(scopes, tuple) or not all(isinstance(s, str) and s for s in scopes):
            raise ConfigurationError(
                "ThingspaceOauthCredentials.oauth_scopes must be a sequence of non-empty strings"
            )
        object.__setattr__(self, "oauth_scopes", scopes)

    def __repr__(self) -> str:
        return (
            f"ThingspaceOauthCredentials(oauth_client_id={self.oauth_client_id!r}, "
            f"oauth_client_secret={_HIDDEN}, oauth_scopes={self.oauth_scopes!r})"
        )


@dataclass(frozen=True)
class VZM2mTokenCredentials:
    """A static ``VZ-M2M-Token`` obtained elsewhere."""

    vz_m2m_token: str = field(repr=False)

    def __post_init__(self) -> None:
        _require_text(type(self).__name__, "vz_m2m_token", self.vz_m2m_token)

    def __repr__(self) -> str:
        return f"VZM2mTokenCredentials(vz_m2m_token={_HIDDEN})"


@dataclass(frozen=True)
class M2MSessionCredentials:
    """ThingSpace user login, exchanged for a ``VZ-M2M-Token`` by the session-login endpoint.

    A refused login is never retried: five refused logins lock the account.
    """

    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        _require_text(type(self).__name__, "username", self.username)
        _require_text(type(self).__name__, "password", self.password)

    def __repr__(self) -> str:
        return f"M2MSessionCredentials(username={self.username!r}, password={_HIDDEN})"
