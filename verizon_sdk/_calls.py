"""What one endpoint call sends and how its 2xx body is read, decided once for both drivers.

:func:`check_arguments` validates a call's arguments (raising before anything is sent);
:func:`redactor_for` and :func:`user_agent` derive the per-client values; :func:`endpoint_url`
and :func:`serialize_body` build the URL and JSON body the async driver sends (the sync
pipeline has apimatic-core build the same ones).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from verizon_sdk._checks import check_account, check_body
from verizon_sdk._configuration import Configuration
from verizon_sdk._redaction import Redactor
from verizon_sdk._version import __version__
from verizon_sdk._wire import load_json
from verizon_sdk.exceptions import UnexpectedResponseError

if TYPE_CHECKING:
    from verizon_sdk._endpoints import Endpoint

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
    """A request model as compact JSON (``json``, never jsonpickle); NaN and infinities refused."""
    return json.dumps(body.to_dictionary(), separators=(",", ":"), allow_nan=False)


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


def parse_body(model: Any, scrub: Callable[[str], str], response: Any) -> Any:
    """Parse a 2xx body into ``model`` with :func:`~verizon_sdk._wire.load_json` (nesting
    bounded by ``MAX_JSON_DEPTH``); anything else is an error.

    The text is passed through ``scrub`` (the redactor) first: a secret the service echoed,
    however escaped, never reaches a model, a bulk report or a log line.

    For a POST the error says that the service accepted the request: it was probably
    applied, so it must not simply be sent again (the bulk methods reconcile instead).
    """
    accepted = (
        "; the service accepted the request (2xx), so it was probably applied"
        if getattr(response.request, "http_method", None) == "POST"
        else ""
    )

    def unexpected(problem: str) -> UnexpectedResponseError:
        return UnexpectedResponseError(problem + accepted, response)

    content_type = response.headers.get("Content-Type", "")
    if content_type and "json" not in content_type.lower():
        raise unexpected(f"expected a JSON body, got Content-Type {content_type!r}")
    text = scrub(response.text or "")
    if not text or not text.strip():
        raise unexpected("empty body where a JSON object was expected")
    try:
        data = load_json(text)
    except ValueError as exc:
        raise unexpected(f"body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise unexpected(f"expected a JSON object, got a JSON {type(data).__name__}")
    try:
        parsed = model.from_dictionary(data)
    except (TypeError, ValueError) as exc:
        raise unexpected(f"body is not a {model.__name__}: {exc}") from exc
    if len(parsed.additional_properties) == len(data):
        raise unexpected(f"body has none of the fields of {model.__name__}")
    response.body = parsed
    return response
