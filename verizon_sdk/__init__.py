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
