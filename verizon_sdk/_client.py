"""``VerizonClient``: configuration in, controllers out."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

from verizon_sdk._configuration import Configuration, Environment
from verizon_sdk._credentials import (
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VZM2mTokenCredentials,
)
from verizon_sdk._pipeline import Pipeline
from verizon_sdk.exceptions import ConfigurationError

if TYPE_CHECKING:  # the controllers (endpoints, models) are imported on first use
    from verizon_sdk.controllers import (
        SoftwareManagementLicensesV2Controller,
        SoftwareManagementLicensesV3Controller,
    )


class VerizonClient:
    """The entry point. Keyword arguments are the fields of :class:`Configuration`.

    Controllers are created on first use and share one HTTP session and one
    token cache. The client is thread-safe; close it (or use ``with``) to
    release its connections.
    """

    def __init__(self, *, configuration: Configuration | None = None, **options: Any) -> None:
        if configuration is not None and options:
            raise ConfigurationError("pass either configuration=... or keyword options, not both")
        self.config = configuration if configuration is not None else Configuration(**options)
        self._pipeline = self._make_pipeline()

    def _make_pipeline(self) -> Any:
        return Pipeline(self.config)

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> VerizonClient:
        """Build a client from ``VERIZON_*`` variables; ``overrides`` win over them.

        Reads ``VERIZON_CLIENT_ID`` and ``VERIZON_CLIENT_SECRET``, then either
        ``VERIZON_M2M_TOKEN`` or ``VERIZON_USERNAME`` with ``VERIZON_PASSWORD``,
        and optionally ``VERIZON_BASE_URL`` and ``VERIZON_ENVIRONMENT``
        (``production`` or ``mock_server``).
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = (env.get(name) or "").strip()  # a stray space or newline is not meant
            return value or None

        options: dict[str, Any] = {}
        client_id, secret = get("VERIZON_CLIENT_ID"), get("VERIZON_CLIENT_SECRET")
        if client_id is not None or secret is not None:
            if client_id is None or secret is None:
                raise ConfigurationError(
                    "set both VERIZON_CLIENT_ID and VERIZON_CLIENT_SECRET (one is missing)"
                )
            options["thingspace_oauth_credentials"] = ThingspaceOauthCredentials(
                oauth_client_id=client_id, oauth_client_secret=secret
            )
        token, user, password = (
            get("VERIZON_M2M_TOKEN"),
            get("VERIZON_USERNAME"),
            get("VERIZON_PASSWORD"),
        )
        if token is not None:
            options["vz_m2m_token_credentials"] = VZM2mTokenCredentials(vz_m2m_token=token)
        elif user is not None or password is not None:
            if user is None or password is None:
                raise ConfigurationError(
                    "set both VERIZON_USERNAME and VERIZON_PASSWORD (one is missing)"
                )
            options["m2m_session_credentials"] = M2MSessionCredentials(
                username=user, password=password
            )
        if (base_url := get("VERIZON_BASE_URL")) is not None:
            options["base_url"] = base_url
        if (environment := get("VERIZON_ENVIRONMENT")) is not None:
            options["environment"] = environment
        m2m_kinds = ("vz_m2m_token_credentials", "m2m_session_credentials")
        if any(overrides.get(kind) is not None for kind in m2m_kinds):
            for kind in m2m_kinds:  # an M2M credential given in code replaces the variables'
                options.pop(kind, None)
        options.update(overrides)
        if options.get("thingspace_oauth_credentials") is None:
            raise ConfigurationError(
                "no OAuth client credentials: set VERIZON_CLIENT_ID and VERIZON_CLIENT_SECRET"
            )
        if all(options.get(kind) is None for kind in m2m_kinds):
            raise ConfigurationError(
                "no M2M credential: set VERIZON_M2M_TOKEN, or VERIZON_USERNAME and VERIZON_PASSWORD"
            )
        return cls(**options)

    @cached_property
    def software_management_licenses_v2(self) -> SoftwareManagementLicensesV2Controller:
        from verizon_sdk.controllers import SoftwareManagementLicensesV2Controller

        return SoftwareManagementLicensesV2Controller(self._pipeline)

    @cached_property
    def software_management_licenses_v3(self) -> SoftwareManagementLicensesV3Controller:
        from verizon_sdk.controllers import SoftwareManagementLicensesV3Controller

        return SoftwareManagementLicensesV3Controller(self._pipeline)

    @property
    def environment(self) -> Environment:
        """The deployment called: ``Environment.CUSTOM`` when ``base_url`` replaced its root."""
        return self.config.effective_environment

    @property
    def api_root(self) -> str:
        """The API root every request goes under, e.g. ``https://thingspace.verizon.com/api``."""
        return self.config.api_root

    def clone_with(self, **changes: Any) -> VerizonClient:
        """A new client with ``changes`` applied to a copy of this configuration.

        0 and False are honoured (``clone_with(max_retries=0)`` turns retries
        off). The clone has its own connections and token cache.
        """
        return type(self)(configuration=self.config.clone_with(**changes))

    def close(self) -> None:
        """Close the connections this client opened (an injected session is left open)."""
        self._pipeline.close()

    def __enter__(self) -> VerizonClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        name, environment = type(self).__name__, self.environment.name
        return f"{name}(environment={environment}, api_root={self.api_root!r})"
