"""Runs an :class:`~verizon_sdk._endpoints.Endpoint` through apimatic-core.

This is the one place that validates an endpoint call's arguments, builds the request (headers,
body), sends it, maps statuses to exceptions, parses the body (``_calls.parse_body``: the
``json`` module, never jsonpickle, which can run code from a response, never YAML), and turns
transport failures into SDK errors. The credentials come from
:mod:`verizon_sdk._auth`'s flow, which :class:`SyncAuthDriver` drives: it sends the token and
login requests the flow asks for and feeds each response back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator, Mapping
from contextlib import closing
from functools import partial
from typing import TYPE_CHECKING, Any

import requests
import urllib3

from verizon_sdk._auth import (
    Auth,
    AuthFlow,
    AuthRequest,
    AuthResponse,
    Credentials,
    OAuthToken,
)
from verizon_sdk._calls import (
    JSON,
    check_arguments,
    parse_body,
    redactor_for,
    serialize_body,
    user_agent,
)
from verizon_sdk._configuration import DEFAULT_MAX_RESPONSE_BYTES, Configuration
from verizon_sdk._credentials import ThingspaceOauthCredentials
from verizon_sdk._redaction import CREDENTIAL_HEADERS, MASK, Redactor, SafeRequest
from verizon_sdk._transport import (
    SAFE_METHODS,
    build_session,
    read_body,
    transport_error,
)
from verizon_sdk.exceptions import (
    APIException,
    APIStatusError,
    AuthenticationError,
)

if TYPE_CHECKING:
    from types import ModuleType

    from apimatic_core.configurations.global_configuration import GlobalConfiguration
    from apimatic_core.http.response.api_response import ApiResponse

    from verizon_sdk._endpoints import Endpoint

logger = logging.getLogger("verizon_sdk")


def _core() -> ModuleType:
    """apimatic-core's call pipeline (:mod:`verizon_sdk._apimatic`), imported on first use."""
    from verizon_sdk import _apimatic

    return _apimatic


def post(
    session: requests.Session,
    url: str,
    timeout: tuple[float, float],
    what: str,
    *,
    idempotent: bool,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    **kwargs: Any,
) -> requests.Response:
    """POST through the shared session, turning transport failures into SDK errors.

    The error is raised outside the ``except`` block: the ``requests`` error it replaces holds
    the sent request (Basic credentials, a Bearer token, a password in a login body), so it is
    neither its ``__cause__`` nor its ``__context__``. ``never_sent`` is set: whatever happened
    to this token or login request, the licenses request it was for never left.
    """
    try:
        response = session.post(url, timeout=timeout, allow_redirects=False, stream=True, **kwargs)
        return read_body(response, max_response_bytes, what)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        error = transport_error(what, exc, idempotent=idempotent, advice="")
    error.never_sent = True
    raise error


class SyncAuthDriver:
    """Runs an :mod:`verizon_sdk._auth` flow with blocking I/O (see that module's docstring).

    Token and login requests go through the shared ``requests`` session under one lock, each
    only if still needed; the licenses request is the ``send`` function given to :meth:`run`.
    Errors the flow raises are redacted here.
    """

    def __init__(
        self,
        session: requests.Session,
        timeout: tuple[float, float],
        redactor: Redactor,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._max_response_bytes = max_response_bytes
        self._session = session
        self._timeout = timeout
        self._redactor = redactor
        self._lock = threading.Lock()

    def run(self, flow: AuthFlow, send: Callable[[Credentials], ApiResponse]) -> ApiResponse:
        """Drive ``flow``; ``send`` sends the licenses request with the given credentials."""
        with closing(flow):
            step = self._advance(flow, None)
            while True:
                if isinstance(step, AuthRequest):
                    step = self._fetch(flow, step)
                    continue
                try:
                    response = send(step)
                except AuthenticationError as exc:  # a 401: the flow decides
                    hint = self._finish(flow, exc)
                    if isinstance(hint, (AuthRequest, Credentials)):
                        step = hint
                        continue
                    exc.hint = hint
                    raise
                except APIStatusError as exc:  # authenticated, answered with an error
                    self._finish(flow, exc)
                    raise
                self._finish(flow, response)
                return response

    def token(self, flow: Generator[AuthRequest, AuthResponse | None, Any]) -> Any:
        """Drive a flow that asks only for token or login requests; its result."""
        with closing(flow):
            step: Any = self._advance(flow, None)
            while isinstance(step, AuthRequest):
                step = self._fetch(flow, step)
            return step.value

    def _fetch(self, flow: Generator[Any, AuthResponse | None, Any], request: AuthRequest) -> Any:
        with self._lock:  # the flow updates its state before the next thread asks
            response = self._post(request) if request.still_needed() else None
            return self._advance(flow, response)

    def _post(self, request: AuthRequest) -> AuthResponse:
        logger.debug("%s to %s", request.what, request.url)
        try:
            response = post(
                self._session,
                request.url,
                self._timeout,
                request.what,
                idempotent=request.idempotent,
                max_response_bytes=self._max_response_bytes,
                headers=dict(request.headers),
                data=request.form,
                json=request.json,
            )
        except APIException as exc:
            exc.redact(self._redactor)
            raise
        return AuthResponse(response.status_code, response.headers, response.text)

    def _advance(self, flow: Generator[Any, AuthResponse | None, Any], value: Any) -> Any:
        """The flow's next step, or its return value as a ``_Returned``."""
        try:
            return flow.send(value)
        except StopIteration as stop:  # not kept: its traceback would hold the caller's frames
            return _Returned(stop.value)
        except APIException as exc:
            exc.redact(self._redactor)
            raise

    def _finish(self, flow: AuthFlow, outcome: ApiResponse | APIStatusError) -> Any:
        """Tell the flow how the licenses request was answered; its next step or result."""
        if isinstance(outcome, APIStatusError):
            answer = AuthResponse(outcome.response_code or 0, outcome.headers, outcome.body or "")
        else:
            answer = AuthResponse(outcome.status_code, outcome.headers, outcome.text or "")
        step = self._advance(flow, answer)
        return step.value if isinstance(step, _Returned) else step


class _Returned:
    """What a finished flow returned."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class OAuthTokenProvider:
    """The OAuth access token alone, fetched through the sync driver when absent or stale."""

    def __init__(
        self,
        credentials: ThingspaceOauthCredentials,
        token_url: str,
        session: requests.Session,
        timeout: tuple[float, float],
        redactor: Redactor,
        refresh_skew: float = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.state = OAuthToken(credentials, token_url, redactor, refresh_skew, clock)
        self._driver = SyncAuthDriver(session, timeout, redactor)

    def token(self) -> str:
        grant = self._driver.token(self.state.flow())
        return str(grant.token)

    def invalidate(self, rejected: str | None = None) -> None:
        """Drop the cached token, unless another thread already replaced ``rejected``."""
        self.state.reject_token(rejected)


class Pipeline:
    """One client's request machinery: session, auth flow and apimatic configuration."""

    def __init__(self, config: Configuration) -> None:
        self.config = config
        self.redactor = redactor_for(config)
        self.session = build_session(config)
        self._owns_session = config.http_session is None
        timeout = config.timeout.as_requests()
        self.auth = Auth.for_configuration(config, self.redactor)
        self._driver = SyncAuthDriver(
            self.session, timeout, self.redactor, config.max_response_bytes
        )
        self._timeout = timeout
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
                    http_client = _core().SdkHttpClient(
                        self.session, self._timeout, self.config.max_response_bytes
                    )
                    configurations = self._configurations = (
                        self._build_configuration(http_client, None),
                        self._build_configuration(
                            http_client, _core().logging_configuration(self.redactor)
                        ),
                    )
        return configurations[logged]

    def _build_configuration(
        self, http_client: Any, logging_configuration: Any
    ) -> GlobalConfiguration:
        config, core = self.config, _core()
        # apimatic reads only the HTTP client and the logging settings from here: timeouts,
        # retries and proxies live on the session that SdkHttpClient sends through.
        http = core.HttpClientConfiguration(logging_configuration=logging_configuration)
        http.set_http_client(http_client)
        configuration: GlobalConfiguration = (
            core.GlobalConfiguration(http)
            .global_errors(core.global_errors)
            .global_header("Accept", JSON)
            .global_header("Content-Type", JSON)  # on every request, GET too: Verizon's pages
            .user_agent(self._user_agent)
            .base_uri_executor(config.server_url)
        )
        return configuration

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    # -- one call -----------------------------------------------------------------

    def execute(self, endpoint: Endpoint[Any], arguments: Mapping[str, Any]) -> ApiResponse:
        """Validate ``arguments``, send the request, and return the parsed response.

        The auth flow supplies the credentials and, after a 401, decides whether to renew
        and replay (:mod:`verizon_sdk._auth`).
        """
        query = check_arguments(self.config, endpoint, arguments)
        body = arguments.get("body")
        send = partial(self._send, endpoint, arguments, query, body)
        return self._driver.run(self.auth.auth_flow(endpoint.name), send)

    def _send(
        self,
        endpoint: Endpoint[Any],
        arguments: Mapping[str, Any],
        query: Mapping[str, str],
        body: Any,
        credentials: Credentials,
    ) -> ApiResponse:
        core = _core()
        builder = (
            core.RequestBuilder()
            .server(endpoint.server)
            .path(endpoint.path)
            .http_method(endpoint.method)
        )
        for name, value in credentials.headers.items():
            builder.header_param(core.Parameter().key(name).value(value))
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
            .convertor(partial(parse_body, endpoint.response_model, self.redactor))
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
        except APIException as exc:
            exc.redact(self.redactor)
            raise
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            what = endpoint.name  # the method called; the error adds METHOD and path
            error = transport_error(what, exc, idempotent=endpoint.method in SAFE_METHODS)
            error.redact(self.redactor)
            _mask_sent_request(exc)
            raise error from exc
        response.request = SafeRequest(response.request)  # with_raw_response hands it out
        return response


def _mask_sent_request(exc: BaseException) -> None:
    """Mask the credential headers of the request a ``requests`` error keeps (``exc.request``)."""
    request = getattr(exc, "request", None)
    headers = getattr(request, "headers", None)
    if headers is not None:
        for name in list(headers):
            if name.lower() in CREDENTIAL_HEADERS:
                headers[name] = MASK
