"""What one endpoint call sends, decided once for both drivers (no I/O).

:func:`check_arguments` validates a call's arguments (raising before anything is sent);
:func:`redactor_for` and :func:`user_agent` derive the per-client values; :func:`endpoint_url`
and :func:`serialize_body` build the URL and JSON body the async driver sends (the sync
pipeline has apimatic-core build the same ones).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from verizon_sdk._checks import check_account, check_body
from verizon_sdk._configuration import Configuration
from verizon_sdk._endpoints import Endpoint
from verizon_sdk._redaction import Redactor
from verizon_sdk._version import __version__

JSON = "application/json"


def check_arguments(
    config: Configuration, endpoint: Endpoint[Any], arguments: Mapping[str, Any]
) -> dict[str, str]:
    """Validate ``arguments``; the query parameters to send, by wire name."""
    for name in endpoint.path_params:
        check_account(name, arguments.get(name))
    query = endpoint.query_values(arguments)
    if endpoint.body_model is not None:
        rule, cap = config.device_id_rule, config.max_devices_per_request
        check_body("body", arguments.get("body"), endpoint.body_model, rule=rule, max_devices=cap)
    return query


def endpoint_url(
    config: Configuration, endpoint: Endpoint[Any], arguments: Mapping[str, Any]
) -> str:
    """The URL without query: server, then the path with its parameters percent-encoded."""
    path = endpoint.path
    for name in endpoint.path_params:
        path = path.replace("{" + name + "}", quote(str(arguments[name]), safe=""))
    return config.server_url(endpoint.server) + path


def serialize_body(body: Any) -> str:
    return json.dumps(body.to_dictionary(), separators=(",", ":"))


def redactor_for(config: Configuration) -> Redactor:
    """A redactor knowing every secret of ``config`` (tokens are added as they are fetched)."""
    oauth = config.thingspace_oauth_credentials
    session = config.m2m_session_credentials
    return Redactor(
        oauth.oauth_client_secret if oauth else None,
        session.password if session else None,
        config.vz_m2m_token_credentials.vz_m2m_token if config.vz_m2m_token_credentials else None,
        config.proxy_settings.password if config.proxy_settings else None,
    )


def user_agent(config: Configuration) -> str:
    return config.user_agent or (
        f"verizon-sdk/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"
    )
