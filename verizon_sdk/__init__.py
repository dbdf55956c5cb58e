"""Python client for Verizon ThingSpace Software Management Licenses (FOTA V2 and V3)."""

__version__ = "0.1.0"

from apimatic_core.http.configurations.proxy_settings import ProxySettings

from verizon_sdk.client import VerizonClient
from verizon_sdk.configuration import Configuration, Environment, Timeout
from verizon_sdk.credentials import (
    M2MSessionCredentials,
    ThingspaceOauthCredentials,
    VZM2mTokenCredentials,
)

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
