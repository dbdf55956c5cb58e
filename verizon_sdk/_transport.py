"""The HTTP layer under apimatic-core: one ``requests`` session, retries, no shared mutation.

apimatic's ``RequestsClient.execute`` rewrites the retry settings of the
session's adapters on every call (a shared-state hazard), so ``_apimatic.SdkHttpClient``
overrides it to send the request as configured and nothing else. The retry
policy (:class:`SdkRetry`) lives on the adapters, is built once per client and
is never changed afterwards: urllib3 derives a new ``Retry`` object for every
attempt. ``doc/reliability.md`` describes the policy and the time budget.
"""

from __future__ import annotations

import os
import time
from itertools import takewhile
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from urllib3.util.retry import Retry

from verizon_sdk import _connection_errors as connection_errors
from verizon_sdk._configuration import Configuration
from verizon_sdk._connections import POOL_CLASSES
from verizon_sdk._proxies import proxies_for
from verizon_sdk._retry import SAFE_METHODS, RetryPolicy
from verizon_sdk.exceptions import APIConnectionError, APITimeoutError, ResponseTooLargeError

__all__ = [
    "SAFE_METHODS",
    "SdkRetry",
    "build_retry",
    "build_session",
    "connection_error",
    "transport_error",
    "transport_settings",
]


def _sleep(seconds: float) -> None:
    """Every wait between attempts goes through here (tests replace it to record waits)."""
    time.sleep(seconds)


class SdkRetry(Retry):
    """urllib3 ``Retry`` that asks :class:`~verizon_sdk._retry.RetryPolicy` every decision.

    - A status is retried only when it is in ``status_forcelist``, and then only
      for ``allowed_methods`` (GET, DELETE, ...), except 429: a rate-limited
      request was not acted on, whatever its method.
    - Connection failures (nothing was sent) are retried for every method; read
      errors (timeouts, dropped connections: the request was sent) only for
      ``allowed_methods``. Other errors (TLS, proxy) are not retried.
    - The n-th backoff is uniform in ``[0, min(backoff_max, backoff_factor * 2**(n-1))]``.
    - ``Retry-After`` (delta-seconds or HTTP date; a value that is neither is
      ignored) replaces the backoff, up to ``max_retry_after``. A longer wait is
      not slept: the response is given back and becomes a
      :class:`~verizon_sdk.exceptions.RateLimitError` (or other status error)
      carrying ``retry_after``.
    """

    def __init__(self, *args: Any, max_retry_after: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_retry_after = max_retry_after

    @property
    def policy(self) -> RetryPolicy:
        """The shared policy with this object's settings (urllib3 makes a new one per attempt)."""
        return RetryPolicy(
            retries=self.total if isinstance(self.total, int) else 0,
            statuses=frozenset(self.status_forcelist or ()),
            methods=frozenset(m.upper() for m in self.allowed_methods or ()),
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            max_retry_after=self.max_retry_after,
        )

    def new(self, **kw: Any) -> SdkRetry:
        kw.setdefault("max_retry_after", self.max_retry_after)
        retry: SdkRetry = super().new(**kw)
        return retry

    def get_backoff_time(self) -> float:
        errors = len(list(takewhile(lambda h: h.redirect_location is None, reversed(self.history))))
        return self.policy.backoff(errors)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        return self.policy.retries_status(method, status_code)

    def parse_retry_after(self, retry_after: str) -> float:
        # urllib3 raises InvalidHeader on a value it cannot parse, failing the whole call;
        # an unusable Retry-After is ignored instead (0: the backoff applies).
        return self.policy.retry_after(retry_after) or 0.0

    def sleep_for_retry(self, response: Any) -> bool:
        wait = self.get_retry_after(response)
        if not wait:
            return False
        _sleep(min(wait, self.max_retry_after))
        return True

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            _sleep(backoff)

    def increment(self, *args: Any, **kwargs: Any) -> SdkRetry:
        response = kwargs.get("response")
        if response is not None and self.policy.too_long(response.headers.get("Retry-After")):
            # Give the response back instead of sleeping for longer than allowed.
            pool: Any = kwargs.get("_pool")
            raise MaxRetryError(pool, kwargs.get("url") or "", None)
        retry: SdkRetry = super().increment(*args, **kwargs)
        return retry


def build_retry(config: Configuration, allowed_methods: frozenset[str] = SAFE_METHODS) -> SdkRetry:
    policy = RetryPolicy.for_configuration(config, allowed_methods)
    retries = policy.retries
    return SdkRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=0,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        status_forcelist=policy.statuses,
        allowed_methods=policy.methods,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        max_retry_after=policy.max_retry_after,
    )


class SdkAdapter(HTTPAdapter):
    """The ``requests`` adapter of the sessions the SDK builds: its connections skip 1xx and
    end every attempt by its wall-clock deadline (:mod:`verizon_sdk._connections`)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(POOL_CLASSES)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = dict(POOL_CLASSES)
        return manager


def read_body(response: requests.Response, limit: int, what: str) -> requests.Response:
    """Read a streamed (``stream=True``) response's body, decoded, stopping past ``limit`` bytes.

    The body is read in chunks of at most 64 KiB decoded (urllib3 bounds what one read
    decompresses, ``gzip, gzip`` included), so memory stays near ``limit`` whatever the
    compression ratio. Past the limit the connection is closed and
    :class:`~verizon_sdk.exceptions.ResponseTooLargeError` raised. Transport errors while
    reading propagate as ``requests`` errors.
    """
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            response.close()
            raise ResponseTooLargeError(
                f"{what}: the response body is larger than max_response_bytes ({limit} bytes, "
                f"decoded); reading stopped there (status {response.status_code})",
                limit=limit,
            )
        chunks.append(chunk)
    response._content = b"".join(chunks)
    return response


def build_session(config: Configuration) -> requests.Session:
    """The session every request of one client goes through.

    An injected ``http_session`` is used exactly as given: the SDK mounts nothing on it and
    changes none of its settings, so its own adapters (and their retries), proxies and TLS
    settings apply. A session the SDK creates gets the retrying adapters (the OAuth token
    endpoint has its own, whose policy also retries POST), and reads the proxy and CA-bundle
    environment variables once, here, instead of on every request.
    """
    if config.http_session is not None:
        return config.http_session
    session = requests.Session()
    adapter = SdkAdapter(
        pool_connections=4, pool_maxsize=config.pool_maxsize, max_retries=build_retry(config)
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.mount(
        config.token_url,
        SdkAdapter(
            pool_connections=1,
            pool_maxsize=config.pool_maxsize,
            max_retries=build_retry(config, SAFE_METHODS | {"POST"}),
        ),
    )
    session.trust_env = False
    proxies, verify = transport_settings(config)
    session.proxies.update(proxies)
    session.verify = verify
    return session


def transport_settings(config: Configuration) -> tuple[dict[str, str], bool | str]:
    """Proxies and TLS verification for a client the SDK creates, read once (both drivers).

    ``proxy_settings`` wins; else the proxy environment variables for the API root. A CA
    bundle from ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` applies when ``verify`` is True.
    """
    if config.proxy_settings is not None:
        proxies = dict(proxies_for(config.proxy_settings))
    else:
        proxies = dict(requests.utils.get_environ_proxies(config.api_root))
    verify: bool | str = config.verify
    if config.verify is True:
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            verify = bundle
    return proxies, verify


def transport_error(
    what: str,
    exc: BaseException,
    *,
    idempotent: bool,
    advice: str = "check before sending it again",
) -> APIConnectionError:
    """The SDK error for a request that got no HTTP response.

    A timeout becomes :class:`APITimeoutError` (``requests`` reports a read
    timeout that exhausted the retries as a plain ``ConnectionError``); every
    other failure :class:`APIConnectionError`. The message says whether the
    request could have reached the service, and for a request that is not
    ``idempotent`` (and so was not retried) that it may have been applied. Then the kind of
    failure, the host and the root cause's text (:mod:`verizon_sdk._connection_errors`);
    the caller redacts the error.
    """
    causes = list(connection_errors.causes(exc))
    not_sent = isinstance(exc, requests.ConnectTimeout) or any(
        isinstance(c, ConnectTimeoutError) for c in causes
    )
    timed_out = isinstance(exc, requests.Timeout) or any(
        isinstance(c, (urllib3.exceptions.TimeoutError, TimeoutError))
        and not isinstance(c, NewConnectionError)
        for c in causes
    )
    return connection_error(
        what, exc, not_sent=not_sent, timed_out=timed_out, idempotent=idempotent, advice=advice
    )


def connection_error(
    what: str,
    exc: BaseException,
    *,
    not_sent: bool,
    timed_out: bool,
    idempotent: bool,
    advice: str = "check before sending it again",
) -> APIConnectionError:
    """The error for a failure a driver classified (the message ``transport_error`` gives)."""
    kind = "timed out" if timed_out else "failed"
    if not_sent:
        note = " before anything was sent (could not connect)"
    elif idempotent:
        note = ""
    else:
        note = " after the request was sent; not retried, as the service may have applied it"
        if advice:
            note += f": {advice}"
    detail = connection_errors.describe(exc, timed_out=timed_out, not_sent=not_sent)
    message = f"{what} {kind}{note}: {detail}"
    error_class = APITimeoutError if timed_out else APIConnectionError
    error = error_class(message)
    error.never_sent = not_sent
    return error
