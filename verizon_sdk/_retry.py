"""The retry policy, free of I/O: which answers are retried, how long to wait, when to give up.

One :class:`RetryPolicy` decides for both drivers: the sync transport's urllib3 ``Retry``
subclass (:class:`verizon_sdk._transport.SdkRetry`) asks it, and the async driver
(:mod:`verizon_sdk._async_transport`) loops with it. ``doc/reliability.md`` describes the
policy; in short:

- a status is retried only when it is in ``statuses``, and then only for ``methods``
  (GET, DELETE, ...), except 429: a rate-limited request was not acted on, whatever its method;
- a failure before anything was sent (no connection) is retried for every method; one after
  the request may have been sent (timeout, dropped connection) only for ``methods``;
- the n-th backoff is uniform in ``[0, min(backoff_max, backoff_factor * 2**(n-1))]``;
- ``Retry-After`` (delta-seconds or HTTP date) replaces the backoff, up to
  ``max_retry_after``; a longer wait is not slept: the response is given back.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass

from verizon_sdk._configuration import Configuration
from verizon_sdk._wire import parse_retry_after

#: Methods retried after the request may have reached the service (idempotent ones).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 3
    statuses: Collection[int] = (408, 429, 500, 502, 503, 504)
    methods: Collection[str] = SAFE_METHODS
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 60.0

    @classmethod
    def for_configuration(
        cls, config: Configuration, methods: Collection[str] = SAFE_METHODS
    ) -> RetryPolicy:
        return cls(
            retries=config.max_retries,
            statuses=frozenset(config.retry_statuses),
            methods=frozenset(methods),
            backoff_factor=config.backoff_factor,
            backoff_max=config.backoff_max,
            max_retry_after=config.max_retry_after,
        )

    def retries_method(self, method: str) -> bool:
        """Whether ``method`` may be repeated after the request may have reached the service."""
        return method.upper() in self.methods

    def retries_status(self, method: str, status: int) -> bool:
        """Whether an answer with ``status`` to a ``method`` request is sent again."""
        if status not in self.statuses:
            return False
        return status == 429 or self.retries_method(method)

    def retries_failure(self, method: str, *, sent: bool) -> bool:
        """Whether a request that got no answer is sent again (``sent``: it may have arrived)."""
        return not sent or self.retries_method(method)

    def backoff(self, errors: int) -> float:
        """The full-jitter wait after the ``errors``-th consecutive failure (0 before any)."""
        if errors <= 0 or self.backoff_factor <= 0:
            return 0.0
        ceiling = min(self.backoff_max, self.backoff_factor * 2.0 ** min(errors - 1, 1000))
        return random.uniform(0.0, ceiling)

    def retry_after(self, value: str | None) -> float | None:
        """The wait a ``Retry-After`` value asks for; None when absent or unusable."""
        return parse_retry_after(value)

    def too_long(self, value: str | None) -> bool:
        """Whether ``Retry-After`` asks for more than ``max_retry_after``: give the answer back."""
        wait = self.retry_after(value)
        return wait is not None and wait > self.max_retry_after

    def wait(self, errors: int, retry_after: str | None) -> float:
        """How long to wait before the next attempt: ``Retry-After`` if usable, else backoff."""
        asked = self.retry_after(retry_after)
        if asked:
            return min(asked, self.max_retry_after)
        return self.backoff(errors)
