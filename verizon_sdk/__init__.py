"""Python client for Verizon ThingSpace Software Management Licenses (FOTA V2 and V3)."""

from apimatic_core.http.configurations.proxy_settings import ProxySettings

from verizon_sdk._client import VerizonClient
from verizon_sdk._configuration import Configuration, Environment, Timeout
from verizon_sdk._credentials import (
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VZM2mTokenCredentials,
)
from verizon_sdk._version import __version__

__all__ = [
    "AsyncVerizonClient",
    "Configuration",
    "Environment",
    "M2MSessionCredentials",
    "ProxySettings",
    "ThingspaceOauthCredentials",
    "Timeout",
    "VZM2mTokenCredentials",
    "VerizonClient",
    "__version__",
]


def __getattr__(name: str) -> object:
    """``AsyncVerizonClient`` is imported on first use: it needs the ``async`` extra (httpx)."""
    if name == "AsyncVerizonClient":
        from verizon_sdk._async_client import AsyncVerizonClient

        return AsyncVerizonClient
    raise AttributeError(f"module 'verizon_sdk' has no attribute {name!r}")
