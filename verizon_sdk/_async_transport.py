"""The async HTTP layer: one ``httpx.AsyncClient`` and the shared retry policy.

Every guarantee of :mod:`verizon_sdk._transport`, on httpx: the same
:class:`~verizon_sdk._retry.RetryPolicy` decides what is retried and how long to wait
(``Retry-After`` up to ``max_retry_after``; a POST only when provably unsent), no redirect is
followed, proxies and TLS verification come from :func:`~verizon_sdk._transport.transport_settings`,
the body is streamed and capped at ``Configuration.max_response_bytes`` (decoded, as the sync
transport counts it; past it :class:`~verizon_sdk.exceptions.ResponseTooLargeError`), and each
attempt has a wall-clock deadline of connect + read timeout. Failures become the same SDK errors
(:func:`~verizon_sdk._transport.connection_error`).
"""

from __future__ import annotations

import asyncio
import codecs
import email.message
import os
import ssl
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

try:
    import httpx
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without httpx
    raise ImportError(
        'AsyncVerizonClient needs httpx: install the extra with pip install "verizon-sdk[async]"'
    ) from exc

from verizon_sdk._configuration import Configuration
from verizon_sdk._retry import RetryPolicy
from verizon_sdk._transport import connection_error, transport_settings
from verizon_sdk.exceptions import APIConnectionError, ResponseTooLargeError

__all__ = ["Answer", "AsyncTransport", "build_async_client", "httpx"]

# Failures where nothing reached the service (no connection was made or taken from the pool).
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


async def _within(seconds: float, attempt: Coroutine[Any, Any, Answer]) -> Answer:
    """``attempt``, cancelled after ``seconds`` (``asyncio.TimeoutError``).

    On Python 3.11+ the deadline cancels the calling task itself (``asyncio.timeout``):
    ``wait_for`` would run the attempt as a second task, three more event-loop turns a request.
    """
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await attempt
    return await asyncio.wait_for(attempt, seconds)  # pragma: no cover - Python 3.10


async def _sleep(seconds: float) -> None:
    """Every wait between attempts goes through here (tests replace it to record waits)."""
    await asyncio.sleep(seconds)


@dataclass
class Answer:
    """One HTTP response, read whole: what the pipeline, the errors and the auth flow read."""

    status_code: int
    reason_phrase: str
    headers: httpx.Headers
    text: str
    request: Any = None
    body: Any = None


def build_async_client(
    config: Configuration, headers: dict[str, str] | None = None
) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` a client creates when none is given, sending ``headers`` on
    every request (merged once here rather than on each request)."""
    proxies, setting = transport_settings(config)
    verify: bool | ssl.SSLContext = setting if isinstance(setting, bool) else _context(setting)
    timeout = httpx.Timeout(
        connect=config.timeout.connect,
        read=config.timeout.read,
        write=config.timeout.read,
        pool=None,  # waiting for a free connection counts against the attempt's deadline
    )
    # At most pool_maxsize connections: any number of tasks share them (a bulk run's
    # requests in flight beyond it wait for one, as the sync client's warning says).
    size = config.pool_maxsize
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)

    mounts: dict[str, httpx.AsyncBaseTransport | None] = {
        f"{scheme}://": httpx.AsyncHTTPTransport(proxy=url, verify=verify, limits=limits)
        for scheme, url in proxies.items()
        if scheme in ("http", "https")
    }
    return httpx.AsyncClient(
        headers=headers,
        timeout=timeout,
        limits=limits,
        verify=verify,
        mounts=mounts or None,
        follow_redirects=False,  # never forward the tokens to another URL
        trust_env=False,  # the environment was read once, above
    )


def _charset(content_type: str) -> str:
    """The body's text encoding: the ``charset`` of ``content_type`` if Python knows it, else
    UTF-8 (as ``requests`` falls back). The parameter is parsed only when there is one: the
    parser builds an ``email.message.Message``, which costs more than the rest of the read."""
    if "charset" not in content_type.lower():
        return "utf-8"
    message = email.message.Message()
    message["Content-Type"] = content_type
    charset = message.get_content_charset()
    try:
        return codecs.lookup(charset).name if charset else "utf-8"
    except LookupError:
        return "utf-8"


def _context(bundle: str) -> ssl.SSLContext:
    """A TLS context trusting the CA bundle file (or directory) ``bundle``."""
    if os.path.isdir(bundle):
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle)


class AsyncTransport:
    """Sends one request with retries, reading the body within the size and time limits."""

    def __init__(
        self, client: httpx.AsyncClient, config: Configuration, *, owns_client: bool
    ) -> None:
        self.client = client
        self.owns_client = owns_client
        self.deadline = config.timeout.deadline  # the one definition the sync pools use
        self.max_response_bytes = config.max_response_bytes
        # one slot per connection: the deadline starts when the attempt has a connection
        self._slots = asyncio.Semaphore(config.pool_maxsize)
        self.policy = RetryPolicy.for_configuration(config)
        self.post_policy = RetryPolicy.for_configuration(
            config, frozenset(self.policy.methods) | {"POST"}
        )

    async def send(
        self,
        request: httpx.Request,
        what: str,
        *,
        idempotent: bool = False,
        advice: str = "check before sending it again",
    ) -> Answer:
        """Send ``request``; any status comes back, a failure with no answer raises.

        ``idempotent`` (a token request) lets a POST be repeated like a GET.
        """
        policy = self.post_policy if idempotent else self.policy
        method = request.method
        errors = 0
        while True:
            try:
                async with self._slots:
                    answer = await _within(self.deadline, self._attempt(request, what))
            except (httpx.TransportError, asyncio.TimeoutError) as exc:
                sent = not isinstance(exc, _NOT_SENT)
                if errors < policy.retries and policy.retries_failure(method, sent=sent):
                    errors += 1
                    await _sleep(policy.backoff(errors))
                    continue
                raise self._failure(
                    what, exc, sent, policy.retries_method(method), advice
                ) from None
            retry_after = answer.headers.get("Retry-After")
            if (
                errors < policy.retries
                and policy.retries_status(method, answer.status_code)
                and not policy.too_long(retry_after)
            ):
                errors += 1
                await _sleep(policy.wait(errors, retry_after))
                continue
            return answer

    async def _attempt(self, request: httpx.Request, what: str) -> Answer:
        response = await self.client.send(request, stream=True, follow_redirects=False)
        limit = self.max_response_bytes
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLargeError(
                        f"{what}: the response body is larger than max_response_bytes "
                        f"({limit} bytes, decoded); reading stopped there "
                        f"(status {response.status_code})",
                        limit=limit,
                    )
                chunks.append(chunk)
        finally:
            await response.aclose()
        content = b"".join(chunks)
        encoding = _charset(response.headers.get("Content-Type", ""))
        return Answer(
            response.status_code,
            response.reason_phrase,
            response.headers,
            content.decode(encoding, errors="replace"),
        )

    @staticmethod
    def _failure(
        what: str, exc: BaseException, sent: bool, idempotent: bool, advice: str
    ) -> APIConnectionError:
        timed_out = isinstance(exc, (httpx.TimeoutException, asyncio.TimeoutError))
        return connection_error(
            what,
            exc,
            not_sent=not sent,
            timed_out=timed_out,
            idempotent=idempotent,
            advice=advice,
        )

    async def aclose(self) -> None:
        if self.owns_client:
            await self.client.aclose()
