"""The simulator's configuration: one frozen, validated value object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

DEFAULT_M2M_TOKEN = "sim-m2m-token"

#: ``spellings``: the published SDK's field names, or those of Verizon's reference pages.
SPELLINGS = ("sdk", "pages")
#: ``token_expires_in``: what a repeated token request says of the same token's lifetime.
EXPIRES_IN = ("remaining", "full")
#: The options that make the simulator play Verizon's reference pages (``reading="pages"``).
PAGES_READING: Mapping[str, Any] = MappingProxyType(
    {
        "spellings": "pages",
        "require_last_seen_device_id": True,
        "require_content_type": True,
        "same_token": True,
    }
)
READINGS = ("sdk", "pages")


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str] | None:
    return None if mapping is None else MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class SimulatorOptions:
    """The validated configuration of one :class:`Simulator` (see the package docstring).

    ``Simulator(options, **overrides)`` takes one of these and keyword overrides of its fields.
    Collections may be given as any iterable of strings (stored as frozensets) and mappings as
    any mapping (stored read-only); a bad value raises ``ValueError``, a string where a
    collection belongs ``TypeError``.
    """

    host: str = "127.0.0.1"
    port: int = 0
    pool_size: int = 1000
    max_page_size: int = 1000
    token_lifetime: float = 3600.0
    session_lifetime: float = 1200.0
    latency: float = 0.0
    client_credentials: Mapping[str, str] | None = None
    logins: Mapping[str, str] | None = None
    m2m_tokens: frozenset[str] = frozenset({DEFAULT_M2M_TOKEN})
    strict_accounts: bool = False
    unknown_devices: frozenset[str] = frozenset()
    invalid_device_format_error: bool = False
    lockout_after: int = 5
    login_refusal_status: int = 400
    request_log_size: int = 1000
    control_routes: bool = True
    verbose: bool = False
    spellings: str = "sdk"
    require_last_seen_device_id: bool = False
    require_content_type: bool = False
    same_token: bool = False
    token_expires_in: str = "remaining"

    @classmethod
    def for_reading(cls, reading: str, **overrides: Any) -> SimulatorOptions:
        """The options of one reading of the service: ``"sdk"`` (the published SDK 2.0.0, the
        defaults) or ``"pages"`` (Verizon's reference pages: `PAGES_READING`), then
        ``overrides``."""
        if reading not in READINGS:
            raise ValueError(f"reading must be one of {', '.join(READINGS)}, not {reading!r}")
        preset = dict(PAGES_READING) if reading == "pages" else {}
        return replace(cls(), **(preset | overrides))

    def __post_init__(self) -> None:
        if isinstance(self.m2m_tokens, str) or isinstance(self.unknown_devices, str):
            raise TypeError("m2m_tokens and unknown_devices are collections of strings")
        normalised = {
            "m2m_tokens": frozenset(self.m2m_tokens),
            "unknown_devices": frozenset(self.unknown_devices),
            "client_credentials": _frozen(self.client_credentials),
            "logins": _frozen(self.logins),
        }
        for name, value in normalised.items():
            object.__setattr__(self, name, value)
        checks = [
            (0 <= self.port <= 65535, "port must be between 0 and 65535"),
            (self.pool_size >= 0, "pool_size must be >= 0"),
            (self.max_page_size >= 1, "max_page_size must be >= 1"),
            (self.token_lifetime > 0, "token_lifetime must be > 0"),
            (self.session_lifetime > 0, "session_lifetime must be > 0"),
            (self.latency >= 0, "latency must be >= 0"),
            (self.lockout_after >= 0, "lockout_after must be >= 0 (0 disables the lockout)"),
            (
                self.login_refusal_status in (400, 401, 403),
                "login_refusal_status must be 400/401/403",
            ),
            (self.request_log_size >= 0, "request_log_size must be >= 0"),
            (all(self.m2m_tokens), "m2m_tokens must be non-empty strings"),
            (self.spellings in SPELLINGS, f"spellings must be one of {', '.join(SPELLINGS)}"),
            (
                self.token_expires_in in EXPIRES_IN,
                f"token_expires_in must be one of {', '.join(EXPIRES_IN)}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
