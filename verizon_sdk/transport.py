"""The HTTP layer under apimatic-core: one ``requests`` session, retries, no shared mutation.

apimatic's ``RequestsClient.execute`` rewrites the retry settings of the
session's adapters on every call (DESIGN.md §3.5), so :class:`SdkHttpClient`
overrides it to send the request as configured and nothing else.
"""

from __future__ import annotations

import os
import random
from itertools import takewhile
from typing import Any

import requests
from apimatic_core.factories.http_response_factory import HttpResponseFactory
from apimatic_requests_client_adapter.requests_client import RequestsClient
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from verizon_sdk.configuration import Configuration
from verizon_sdk.exceptions.api_exception import parse_retry_after

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class SdkRetry(Retry):
    """urllib3 retry policy with full-jitter backoff and a ``Retry-After`` ceiling.

    - GET and DELETE are retried on the configured statuses, on connection
      errors and on read errors (timeouts, dropped connections).
    - POST is retried only where the service provably did not act: a failure to
      connect (nothing was sent) or a 429.
    - The n-th backoff is uniform in ``[0, min(backoff_max, backoff_factor * 2**(n-1))]``.
    - ``Retry-After`` (seconds or HTTP date) is honoured up to ``max_retry_after``;
      a longer wait is not slept: the response is returned and becomes a
      :class:`~verizon_sdk.exceptions.RateLimitError` carrying the wait.
    """

    def __init__(self, *args: Any, max_retry_after: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_retry_after = max_retry_after

    def new(self, **kw: Any) -> SdkRetry:
        kw.setdefault("max_retry_after", self.max_retry_after)
        retry: SdkRetry = super().new(**kw)
        return retry

    def get_backoff_time(self) -> float:
        errors = len(list(takewhile(lambda h: h.redirect_location is None, reversed(self.history))))
        if errors == 0 or self.backoff_factor <= 0:
            return 0.0
        ceiling = min(self.backoff_max, self.backoff_factor * (2 ** (errors - 1)))
        return random.uniform(0.0, ceiling)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429 and self.status_forcelist and 429 in self.status_forcelist:
            return True  # rate limited: the service did not act, whatever the method
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, *args: Any, **kwargs: Any) -> SdkRetry:
        response = kwargs.get("response")
        if response is not None:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > self.max_retry_after:
                # Give the response back instead of sleeping for longer than allowed.
                pool: Any = kwargs.get("_pool")
                raise MaxRetryError(pool, kwargs.get("url") or "", None)
        retry: SdkRetry = super().increment(*args, **kwargs)
        return retry


def build_retry(config: Configuration) -> SdkRetry:
    return SdkRetry(
        total=config.max_retries,
        connect=config.max_retries,
        read=config.max_retries,
        status=config.max_retries,
        other=0,
        redirect=0,
        backoff_factor=config.backoff_factor,
        backoff_max=config.backoff_max,
        status_forcelist=config.retry_statuses,
        allowed_methods=SAFE_METHODS,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        max_retry_after=config.max_retry_after,
    )


def build_session(config: Configuration) -> requests.Session:
    """The session every request of one client goes through.

    An injected session keeps its own settings; our retrying adapter is mounted
    on it only for the API root. A session we create reads proxy and CA-bundle
    settings from the environment once, here, instead of on every request.
    """
    adapter = HTTPAdapter(
        pool_connections=4, pool_maxsize=config.pool_maxsize, max_retries=build_retry(config)
    )
    if config.http_session is not None:
        session = config.http_session
        session.mount(config.api_root, adapter)
        return session
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False
    if config.proxy_settings is not None:
        session.proxies.update(config.proxy_settings.to_proxies())
    else:
        session.proxies.update(requests.utils.get_environ_proxies(config.api_root))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            session.verify = bundle
    return session


class SdkHttpClient(RequestsClient):  # type: ignore[misc]
    """apimatic ``HttpClient`` that sends each request once through the session."""

    def __init__(self, session: requests.Session, timeout: tuple[float, float]) -> None:
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
        )
        return self.convert_response(response, False, request)
