"""apimatic-core glue, imported on the first request rather than with the package.

Importing apimatic-core's call pipeline pulls in jsonpickle (and PyYAML, when installed),
dateutil, cachecontrol and msgpack: a large part of a cold ``import verizon_sdk`` (see
``benchmarks/``). Programs that import the SDK or build a client without calling the service
(``verizon-licenses --help``, test collection) do not pay for it; the first request does, once
per process. ``_pipeline`` imports this module inside the functions that send.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import requests
from apimatic_core.api_call import ApiCall
from apimatic_core.configurations.endpoint_configuration import EndpointConfiguration
from apimatic_core.configurations.global_configuration import GlobalConfiguration
from apimatic_core.factories.http_response_factory import HttpResponseFactory
from apimatic_core.http.configurations.http_client_configuration import HttpClientConfiguration
from apimatic_core.logger.configuration.api_logging_configuration import (
    ApiLoggingConfiguration,
    ApiRequestLoggingConfiguration,
    ApiResponseLoggingConfiguration,
)
from apimatic_core.request_builder import RequestBuilder
from apimatic_core.response_handler import ResponseHandler
from apimatic_core.types.error_case import ErrorCase
from apimatic_core.types.parameter import Parameter
from apimatic_core_interfaces.logger.logger import Logger
from apimatic_requests_client_adapter.requests_client import RequestsClient

from verizon_sdk._redaction import Redactor
from verizon_sdk._transport import read_body
from verizon_sdk.exceptions import STATUS_ERRORS

__all__ = [
    "ApiCall",
    "EndpointConfiguration",
    "GlobalConfiguration",
    "HttpClientConfiguration",
    "Parameter",
    "RequestBuilder",
    "ResponseHandler",
    "SdkHttpClient",
    "global_errors",
    "logging_configuration",
]

logger = logging.getLogger("verizon_sdk")

#: apimatic error cases for the one status-to-class table.
global_errors = {
    code: ErrorCase().error_message(reason).exception_type(cls)
    for code, (cls, reason) in STATUS_ERRORS.items()
}


class SdkHttpClient(RequestsClient):  # type: ignore[misc]
    """apimatic ``HttpClient`` that sends each request once through the session."""

    def __init__(
        self, session: requests.Session, timeout: tuple[float, float], max_response_bytes: int
    ) -> None:
        self._max_response_bytes = max_response_bytes
        super().__init__(
            timeout=timeout,
            http_client_instance=session,
            override_http_client_configuration=False,
            response_factory=HttpResponseFactory(),
        )

    def execute(self, request: Any, endpoint_configuration: Any) -> Any:
        response = self.session.request(
            request.http_method,  # HttpMethodEnum values are the method names
            request.query_url,
            headers=request.headers,
            params=request.query_parameters,
            data=request.parameters,
            files=request.files or None,
            timeout=self.timeout,
            allow_redirects=False,  # never forward the tokens to another URL
            stream=True,  # read below, up to the size limit
        )
        what = f"{request.http_method} {request.query_url.split('?', 1)[0]}"
        read_body(response, self._max_response_bytes, what)
        return self.convert_response(response, False, request)


class _StdlibLogger(Logger):  # type: ignore[misc]
    """apimatic ``Logger`` that writes to the ``verizon_sdk`` logger, secrets masked."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    def log(self, level: int, message: str, params: Mapping[str, Any]) -> None:
        if logger.isEnabledFor(level):
            logger.log(level, "%s", self._redactor(message % tuple(params.values())))


def logging_configuration(redactor: Redactor) -> ApiLoggingConfiguration:
    # Header masking is apimatic's allow-list: Authorization and VZ-M2M-Token are masked.
    request = ApiRequestLoggingConfiguration(
        log_body=True,
        log_headers=True,
        headers_to_include=None,
        headers_to_exclude=None,
        headers_to_unmask=None,
        include_query_in_path=True,
    )
    response = ApiResponseLoggingConfiguration(
        log_body=True,
        log_headers=True,
        headers_to_include=None,
        headers_to_exclude=None,
        headers_to_unmask=None,
    )
    return ApiLoggingConfiguration(
        logger=_StdlibLogger(redactor),
        log_level=logging.DEBUG,
        mask_sensitive_headers=True,
        request_logging_config=request,
        response_logging_config=response,
    )
