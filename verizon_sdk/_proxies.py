"""Proxy settings: checked when the client is built, turned into ``requests`` proxies once."""

from __future__ import annotations

from urllib.parse import quote

from apimatic_core.http.configurations.proxy_settings import ProxySettings
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from verizon_sdk.exceptions import ConfigurationError


def proxies_for(settings: ProxySettings) -> dict[str, str]:
    """``requests`` proxies for ``settings``: one proxy for both schemes.

    HTTPS goes through the proxy with CONNECT, so the proxy's own URL is ``http://``
    unless its address says ``https://`` (a proxy spoken to over TLS). apimatic's
    ``ProxySettings.to_proxies`` maps HTTPS to an ``https://`` proxy URL, which breaks the
    ordinary corporate proxy.
    """
    address = settings.address.strip().rstrip("/")
    scheme = "https" if address.lower().startswith("https://") else "http"
    host = address.split("://", 1)[-1]
    auth = ""
    if settings.username is not None:
        auth = f"{quote(settings.username, safe='')}:{quote(settings.password or '', safe='')}@"
    port = f":{settings.port}" if settings.port is not None else ""
    url = f"{scheme}://{auth}{host}{port}"
    return {"http": url, "https": url}


def check_proxy(settings: ProxySettings) -> None:
    """A proxy address that would only fail on the first request fails here instead."""
    if not isinstance(settings.address, str) or not settings.address.strip():
        raise ConfigurationError("proxy_settings.address must be a host name or URL")
    if "@" in settings.address:
        # never repeated in the message: it would hold the password
        raise ConfigurationError(
            "proxy_settings.address must not carry credentials (user:password@): give them as "
            "ProxySettings(username=..., password=...)"
        )
    port = settings.port
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
        raise ConfigurationError(f"proxy_settings.port must be an integer, got {port!r}")
    if port is not None and not 1 <= port <= 65535:
        raise ConfigurationError(f"proxy_settings.port must be 1-65535, got {port}")
    url = proxies_for(settings)["https"]
    try:
        parsed = parse_url(url)
        parsed_port = parsed.port
    except (LocationParseError, ValueError) as exc:
        raise ConfigurationError(f"proxy_settings: {settings} is not a proxy address") from exc
    if not parsed.host or (port is not None and parsed_port != port):
        raise ConfigurationError(
            f"proxy_settings: {settings} is not a proxy address (give the port once, as port)"
        )
