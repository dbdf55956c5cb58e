"""Runs an :class:`~verizon_sdk._endpoints.Endpoint` with asyncio: the async twin of the driver.

Nothing is decided here that the sync client decides elsewhere: the arguments are checked and
the request described by :mod:`verizon_sdk._calls`, the credentials come from the auth flow of
:mod:`verizon_sdk._auth` (driven by :class:`AsyncAuthDriver` under an ``asyncio.Lock``), the
transport retries with the shared policy (:mod:`verizon_sdk._async_transport`), statuses map to
exceptions through ``STATUS_ERRORS``, and a 2xx body is parsed by ``_calls.parse_body``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Generator, Mapping
from contextlib import closing
from typing import Any
from urllib.parse import urlencode

from verizon_sdk._async_transport import Answer, AsyncTransport, build_async_client, httpx
from verizon_sdk._auth import Auth, AuthFlow, AuthRequest, AuthResponse, Credentials
from verizon_sdk._calls import (
    JSON,
    check_arguments,
    endpoint_url,
    parse_body,
    redactor_for,
    serialize_body,
    user_agent,
)
from verizon_sdk._configuration import Configuration
from verizon_sdk._endpoints import Endpoint
from verizon_sdk._redaction import SafeRequest
from verizon_sdk._retry import SAFE_METHODS
from verizon_sdk.exceptions import (
    STATUS_ERRORS,
    APIConnectionError,
    APIException,
    APIStatusError,
)

__all__ = ["AsyncAuthDriver", "AsyncPipeline", "httpx", "status_error"]

logger = logging.getLogger("verizon_sdk")

#: Request URLs kept parsed (see ``AsyncPipeline._target``); past it the cache starts again.
_PARSED_URLS = 256


def status_error(endpoint: Endpoint[Any], answer: Answer) -> APIStatusError:
    """The exception for a non-2xx ``answer``, from the one status table."""
    code = answer.status_code
    if code == 400:
        return endpoint.bad_request_error("Bad request", answer)
    key = "5XX" if 500 <= code < 600 else str(code)
    error_class, reason = STATUS_ERRORS.get(key, STATUS_ERRORS["default"])
    return error_class(reason, answer)


class _Done:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class AsyncAuthDriver:
    """Runs an auth flow with async I/O: token and login requests single-flight under one lock."""

    def __init__(self, transport: AsyncTransport, redactor: Any) -> None:
        self._transport = transport
        self._redactor = redactor
        self._lock = asyncio.Lock()

    def _step(self, flow: Generator[Any, Any, Any], value: Any) -> Any:
        try:
            return flow.send(value)
        except StopIteration as stop:
            return _Done(stop.value)
        except APIException as exc:
            exc.redact(self._redactor)
            raise

    async def run(
        self, flow: AuthFlow, send: Callable[[Credentials], Awaitable[Answer]]
    ) -> tuple[Answer, str | None]:
        """The answer to the licenses request (any status) and the flow's hint on a 401."""
        with closing(flow):
            step = self._step(flow, None)
            answer: Answer | None = None
            while not isinstance(step, _Done):
                if isinstance(step, AuthRequest):
                    # the flow takes the answer while the lock is held: the next waiter's
                    # still_needed() sees the state it left
                    async with self._lock:
                        reply = await self._post(step) if step.still_needed() else None
                        step = self._step(flow, reply)
                else:
                    answer = await send(step)
                    seen = AuthResponse(answer.status_code, answer.headers, answer.text)
                    step = self._step(flow, seen)
            assert answer is not None
            return answer, step.value

    async def _post(self, request: AuthRequest) -> AuthResponse:
        logger.debug("%s to %s", request.what, request.url)
        built = self._transport.client.build_request(
            request.method,
            request.url,
            headers=dict(request.headers),
            data=request.form,
            json=request.json,
        )
        try:
            answer = await self._transport.send(
                built, request.what, idempotent=request.idempotent, advice=""
            )
        except APIConnectionError as exc:
            exc.never_sent = True  # the licenses request it was for never left
            exc.redact(self._redactor)
            raise
        return AuthResponse(answer.status_code, answer.headers, answer.text)


class AsyncPipeline:
    """One async client's request machinery: the httpx client, the auth state, the driver."""

    def __init__(self, config: Configuration, http_client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.redactor = redactor_for(config)
        # Content-Type on every request, GET too (as the sync client: Verizon's pages)
        self._headers = {"Accept": JSON, "Content-Type": JSON, "User-Agent": user_agent(config)}
        if http_client is None:
            # Accept and User-Agent as the client's own headers, merged once (token and login
            # requests send them too); Content-Type only with the licenses requests, as a
            # client-wide one would override a token request's form encoding
            fixed = {"Accept": JSON, "User-Agent": self._headers["User-Agent"]}
            client, self._per_request = build_async_client(config, fixed), {"Content-Type": JSON}
        else:  # a given client is used as it is: every header goes with each request
            client, self._per_request = http_client, self._headers
        self.transport = AsyncTransport(client, config, owns_client=http_client is None)
        self.auth = Auth.for_configuration(config, self.redactor)
        self._driver = AsyncAuthDriver(self.transport, self.redactor)
        self._sent: tuple[Mapping[str, str], dict[str, str], httpx.Headers] | None = None
        self._urls: dict[str, httpx.URL] = {}

    def _headers_with(self, credentials: Credentials) -> tuple[dict[str, str], httpx.Headers]:
        """The headers of a licenses request, as a dict and as ``httpx.Headers``, built once
        for each set of credentials (httpx normalizes a plain dict on every request; it copies
        an ``httpx.Headers`` as it is)."""
        built = self._sent
        if built is None or built[0] != credentials.headers:
            sent = {**self._headers, **credentials.headers}
            prepared = httpx.Headers({**self._per_request, **credentials.headers})
            built = (dict(credentials.headers), sent, prepared)
            self._sent = built
        return built[1], built[2]

    def _target(self, url: str, query: Mapping[str, str]) -> httpx.URL:
        """``url`` with ``query``, parsed once for the requests that repeat it (a bulk run's
        chunks, a status page polled): httpx parses a URL string and merges ``params`` on every
        request, which costs more than the rest of building it. The query is encoded as httpx
        encodes ``params`` (``urllib.parse.urlencode``)."""
        full = f"{url}?{urlencode(query)}" if query else url
        parsed = self._urls.get(full)
        if parsed is None:
            if len(self._urls) >= _PARSED_URLS:
                self._urls.clear()
            parsed = self._urls[full] = httpx.URL(full)
        return parsed

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def execute(self, endpoint: Endpoint[Any], arguments: Mapping[str, Any]) -> Answer:
        """Validate ``arguments``, send the request, and return the answer, its model parsed."""
        query = check_arguments(self.config, endpoint, arguments)
        url = endpoint_url(self.config, endpoint, arguments)
        body = arguments.get("body")
        content = serialize_body(body) if body is not None else None
        method = str(endpoint.method)
        what = f"{method} {endpoint.server.value} {endpoint.name}"
        client = self.transport.client
        target = self._target(url, query)

        async def send(credentials: Credentials) -> Answer:
            sent, prepared = self._headers_with(credentials)
            request = client.build_request(method, target, headers=prepared, content=content)
            answer = await self.transport.send(request, what, idempotent=method in SAFE_METHODS)
            answer.request = SafeRequest(_Sent(method, str(request.url), sent))
            if logger.isEnabledFor(logging.DEBUG):  # the URL is redacted only for a shown line
                url_shown = self.redactor(str(request.url))
                logger.debug("%s %s -> %d", method, url_shown, answer.status_code)
            return answer

        try:
            answer, hint = await self._driver.run(self.auth.auth_flow(endpoint.name), send)
            if not 200 <= answer.status_code < 300:
                error = status_error(endpoint, answer)
                if answer.status_code == 401 and hint:
                    error.hint = hint  # type: ignore[attr-defined, unused-ignore]
                raise error
            parsed: Answer = parse_body(endpoint.response_model, self.redactor, answer)
            return parsed
        except APIException as exc:
            exc.redact(self.redactor)
            raise


class _Sent:
    """What :class:`SafeRequest` reads of a sent request."""

    def __init__(self, http_method: str, query_url: str, headers: Mapping[str, str]) -> None:
        self.http_method = http_method
        self.query_url = query_url
        self.headers = dict(headers)
