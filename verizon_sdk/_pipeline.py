"""Runs an :class:`~verizon_sdk._endpoints.Endpoint` through apimatic-core.

This is the one place that validates an endpoint call's arguments, builds the request (headers,
auth, body), sends it, maps statuses to exceptions, parses the body with the
``json`` module (never jsonpickle, which can run code from a response, never
YAML), refreshes
rejected tokens once, and turns transport failures into SDK errors.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from functools import cache, partial
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import requests
import urllib3
from apimatic_core_interfaces.logger.logger import Logger

from verizon_sdk._auth import (
    M2M_AUTH,
    OAUTH_AUTH,
    BearerAuth,
    M2MSessionProvider,
    M2MTokenAuth,
    OAuthTokenProvider,
    StaticM2MToken,
    rejected_credentials,
)
from verizon_sdk._calls import JSON, check_arguments, redactor_for, serialize_body, user_agent
from verizon_sdk._configuration import Configuration
from verizon_sdk._endpoints import Endpoint
from verizon_sdk._redaction import CREDENTIAL_HEADERS, MASK, Redactor, SafeRequest
from verizon_sdk._transport import (
    SAFE_METHODS,
    SdkHttpClient,
    build_session,
    transport_error,
)
from verizon_sdk.exceptions import (
    STATUS_ERRORS,
    APIException,
    AuthenticationError,
    TokenRequestError,
    UnexpectedResponseError,
)

if TYPE_CHECKING:
    from apimatic_core.configurations.global_configuration import GlobalConfiguration
    from apimatic_core.http.response.api_response import ApiResponse
    from apimatic_core.logger.configuration.api_logging_configuration import (
        ApiLoggingConfiguration,
    )

logger = logging.getLogger("verizon_sdk")


@cache
def _core() -> Any:
    """apimatic-core's call pipeline, imported on first use rather than with the package.

    Importing it pulls in jsonpickle (and PyYAML, when installed) and dateutil: about a quarter
    of a cold ``import verizon_sdk`` and 2 MiB (see ``benchmarks/``). Programs that import
    the SDK without calling the service (``verizon-licenses --help``, test collection) do not
    pay for it; the first request does, once per process.
    """
    from apimatic_core.api_call import ApiCall
    from apimatic_core.authentication.multiple.and_auth_group import And
    from apimatic_core.configurations.endpoint_configuration import EndpointConfiguration
    from apimatic_core.configurations.global_configuration import GlobalConfiguration
    from apimatic_core.http.configurations.http_client_configuration import (
        HttpClientConfiguration,
    )
    from apimatic_core.logger.configuration import api_logging_configuration
    from apimatic_core.request_builder import RequestBuilder
    from apimatic_core.response_handler import ResponseHandler
    from apimatic_core.types.error_case import ErrorCase
    from apimatic_core.types.parameter import Parameter

    return SimpleNamespace(
        ApiCall=ApiCall,
        And=And,
        EndpointConfiguration=EndpointConfiguration,
        GlobalConfiguration=GlobalConfiguration,
        HttpClientConfiguration=HttpClientConfiguration,
        logging=api_logging_configuration,
        RequestBuilder=RequestBuilder,
        ResponseHandler=ResponseHandler,
        Parameter=Parameter,
        global_errors={
            code: ErrorCase().error_message(reason).exception_type(cls)
            for code, (cls, reason) in STATUS_ERRORS.items()
        },
    )


class _StdlibLogger(Logger):  # type: ignore[misc]
    """apimatic ``Logger`` that writes to the ``verizon_sdk`` logger, secrets masked."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    def log(self, level: int, message: str, params: Mapping[str, Any]) -> None:
        if logger.isEnabledFor(level):
            logger.log(level, "%s", self._redactor(message % tuple(params.values())))


def _logging_configuration(redactor: Redactor) -> ApiLoggingConfiguration:
    # Header masking is apimatic's allow-list: Authorization and VZ-M2M-Token are masked.
    config = _core().logging
    request = config.ApiRequestLoggingConfiguration(
        log_body=True,
        log_headers=True,
        headers_to_include=None,
        headers_to_exclude=None,
        headers_to_unmask=None,
        include_query_in_path=True,
    )
    response = config.ApiResponseLoggingConfiguration(
        log_body=True,
        log_headers=True,
        headers_to_include=None,
        headers_to_exclude=None,
        headers_to_unmask=None,
    )
    logging_configuration: ApiLoggingConfiguration = config.ApiLoggingConfiguration(
        logger=_StdlibLogger(redactor),
        log_level=logging.DEBUG,
        mask_sensitive_headers=True,
        request_logging_config=request,
        response_logging_config=response,
    )
    return logging_configuration


def parse_body(model: Any, response: ApiResponse) -> ApiResponse:
    """Parse a 2xx body into ``model`` with :func:`json.loads`; anything else is an error.

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
    text = response.text
    if not text or not text.strip():
        raise unexpected("empty body where a JSON object was expected")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
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


class Pipeline:
    """One client's request machinery: session, auth providers and apimatic configuration."""

    def __init__(self, config: Configuration) -> None:
        self.config = config
        oauth_credentials = config.thingspace_oauth_credentials
        assert oauth_credentials is not None  # Configuration guarantees it
        session_credentials = config.m2m_session_credentials
        self.redactor = redactor_for(config)
        self.session = build_session(config)
        self._owns_session = config.http_session is None
        timeout = config.timeout.as_requests()
        self.oauth = OAuthTokenProvider(
            oauth_credentials,
            config.token_url,
            self.session,
            timeout,
            self.redactor,
            refresh_skew=config.token_refresh_skew,
        )
        self.m2m: StaticM2MToken | M2MSessionProvider
        if session_credentials is not None:
            self.m2m = M2MSessionProvider(
                session_credentials,
                config.login_url,
                self.session,
                timeout,
                self.redactor,
                self.oauth,
            )
        else:
            assert config.vz_m2m_token_credentials is not None
            self.m2m = StaticM2MToken(config.vz_m2m_token_credentials)
        self._http_client = SdkHttpClient(self.session, timeout)
        self._user_agent = user_agent(config)
        # apimatic configurations (quiet, logged): built on the first request, see _core().
        self._configurations: tuple[GlobalConfiguration, GlobalConfiguration] | None = None
        self._configurations_lock = threading.Lock()

    def _global_configuration(self, logged: bool) -> GlobalConfiguration:
        configurations = self._configurations
        if configurations is None:
            with self._configurations_lock:
                configurations = self._configurations
                if configurations is None:
                    configurations = self._configurations = (
                        self._build_configuration(None),
                        self._build_configuration(_logging_configuration(self.redactor)),
                    )
        return configurations[logged]

    def _build_configuration(self, logging_configuration: Any) -> GlobalConfiguration:
        config, core = self.config, _core()
        # apimatic reads only the HTTP client and the logging settings from here: timeouts,
        # retries and proxies live on the session that SdkHttpClient sends through.
        http = core.HttpClientConfiguration(logging_configuration=logging_configuration)
        http.set_http_client(self._http_client)
        configuration: GlobalConfiguration = (
            core.GlobalConfiguration(http)
            .global_errors(core.global_errors)
            .global_header("Accept", JSON)
            .global_header("Content-Type", JSON)  # on every request, GET too: Verizon's pages
            .user_agent(self._user_agent)
            .auth_managers({OAUTH_AUTH: BearerAuth(self.oauth), M2M_AUTH: M2MTokenAuth(self.m2m)})
            .base_uri_executor(config.server_url)
        )
        return configuration

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    # -- one call -----------------------------------------------------------------

    def execute(self, endpoint: Endpoint[Any], arguments: Mapping[str, Any]) -> ApiResponse:
        """Validate ``arguments``, send the request, and return the parsed response.

        A 401 renews the credential it blames and replays the request; each
        credential is renewed at most once per call (see :meth:`_to_renew`).
        """
        query = check_arguments(self.config, endpoint, arguments)
        body = arguments.get("body")
        renewed: set[str] = set()
        while True:
            try:
                return self._send(endpoint, arguments, query, body)
            except _Rejected as rejected:
                renew = self._to_renew(rejected.error, renewed)
                sent, rejected.sent = rejected.sent, {}  # keep no token on what is raised
                if not renew:
                    raise rejected.error from None
                self._drop_rejected_tokens(sent, renew)
                renewed |= renew
                logger.debug("401 from %s; renewing %s and replaying", endpoint.name, sorted(renew))

    def _to_renew(self, exc: AuthenticationError, renewed: set[str]) -> frozenset[str]:
        """The credentials to renew after a 401; empty: give up.

        Each credential is renewed at most once per call. The 401 body may name the
        rejected credential (the simulator's ``AccessToken.Expired`` /
        ``SessionToken.Expired``; the real service's format is unknown): then only that
        one is renewed, so an expired OAuth token does not cost a login. Otherwise (no
        name, a name that cannot be renewed such as a static ``VZ-M2M-Token``, or a name
        already renewed during this call, in case the body was wrong) every renewable
        credential not yet renewed is. Nothing left to renew: the 401 stands.
        """
        renewable = {OAUTH_AUTH} | ({M2M_AUTH} if self.m2m.renewable else set())
        blamed = (rejected_credentials(exc.body) & renewable) - renewed
        return frozenset(blamed or renewable - renewed)

    def _drop_rejected_tokens(self, sent: Mapping[str, str], renew: frozenset[str]) -> None:
        if OAUTH_AUTH in renew:
            bearer = sent.get("Authorization", "")
            self.oauth.invalidate(bearer[7:] if bearer.startswith("Bearer ") else None)
        if M2M_AUTH in renew:
            self.m2m.invalidate(sent.get("VZ-M2M-Token"))

    def _send(
        self,
        endpoint: Endpoint[Any],
        arguments: Mapping[str, Any],
        query: Mapping[str, str],
        body: Any,
    ) -> ApiResponse:
        core = _core()
        builder = (
            core.RequestBuilder()
            .server(endpoint.server)
            .path(endpoint.path)
            .http_method(endpoint.method)
            # M2M first: a session login may renew the OAuth token the Bearer header then uses
            .auth(core.And(M2M_AUTH, OAUTH_AUTH))
        )
        for name in endpoint.path_params:
            builder.template_param(
                core.Parameter().key(name).value(arguments[name]).should_encode(True)
            )
        for wire, value in query.items():
            builder.query_param(core.Parameter().key(wire).value(value))
        if body is not None:
            builder.body_param(core.Parameter().value(body)).body_serializer(serialize_body)
        handler = (
            core.ResponseHandler()
            .is_api_response(True)
            .local_error("400", "Bad request", endpoint.bad_request_error)
            .convertor(partial(parse_body, endpoint.response_model))
        )
        configuration = self._global_configuration(logger.isEnabledFor(logging.DEBUG))
        call = (
            core.ApiCall(configuration)
            .request(builder)
            .response(handler)
            .endpoint_configuration(core.EndpointConfiguration())
        )
        try:
            response: ApiResponse = call.execute()
        except TokenRequestError as exc:  # the token endpoint or login failed
            exc.redact(self.redactor)
            raise
        except AuthenticationError as exc:  # a 401 from the endpoint itself
            sent = _credentials_sent(exc)  # read before redaction masks them
            exc.redact(self.redactor)
            raise _Rejected(exc, sent) from None
        except APIException as exc:
            exc.redact(self.redactor)
            raise
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            what = f"{endpoint.method} {endpoint.server.value} {endpoint.name}"
            error = transport_error(what, exc, idempotent=endpoint.method in SAFE_METHODS)
            error.redact(self.redactor)
            _mask_sent_request(exc)
            raise error from exc
        response.request = SafeRequest(response.request)  # with_raw_response hands it out
        return response


class _Rejected(Exception):
    """Internal: a 401 and the credentials its request carried (the error itself is redacted)."""

    def __init__(self, error: AuthenticationError, sent: Mapping[str, str]) -> None:
        super().__init__(str(error))
        self.error = error
        self.sent = sent


def _credentials_sent(exc: APIException) -> dict[str, str]:
    headers = getattr(getattr(exc.response, "request", None), "headers", None) or {}
    return {name: value for name, value in headers.items() if name.lower() in CREDENTIAL_HEADERS}


def _mask_sent_request(exc: BaseException) -> None:
    """Mask the credential headers of the request a ``requests`` error keeps (``exc.request``)."""
    request = getattr(exc, "request", None)
    headers = getattr(request, "headers", None)
    if headers is not None:
        for name in list(headers):
            if name.lower() in CREDENTIAL_HEADERS:
                headers[name] = MASK
