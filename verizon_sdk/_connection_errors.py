"""What kind of failure a request that got no HTTP response met, and where, in words a user
can act on: DNS, refused, TLS, proxy, timeout, dropped connection.

``requests`` wraps the root cause two or three times (``ConnectionError`` → urllib3's
``MaxRetryError`` → ``NewConnectionError`` → ``ConnectionRefusedError``), and the outer
messages repeat the pool's description; :func:`describe` names the kind, the host and the
root cause's own text, which the SDK error keeps (see ``_transport.transport_error``).
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

import requests
import urllib3


class DeadlineExceeded(TimeoutError):
    """An attempt ran past its wall-clock deadline (``Timeout.deadline``), however the server
    trickled its bytes; urllib3 handles it as a read timeout."""


_POOL_PREFIX = re.compile(r"^HTTPS?Connection(?:Pool)?\([^)]*\):\s*")
_WRAPPERS = (requests.RequestException, urllib3.exceptions.MaxRetryError)


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: ``args``, ``reason``, ``__cause__``/``__context__``."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 32:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [*current.args, getattr(current, "reason", None)]
        wrapped += [current.__cause__, current.__context__]
        todo += [w for w in wrapped if isinstance(w, BaseException)]


def describe(exc: BaseException, *, timed_out: bool, not_sent: bool) -> str:
    """``connection refused by HOST:PORT (POST /path); ConnectionRefusedError: [Errno 111]
    Connection refused``: the kind, where, and the root cause."""
    chain = list(causes(exc))
    host, where = _target(exc, chain)
    kind = _kind(chain, host, timed_out=timed_out, not_sent=not_sent)
    root = _root(chain)
    text = _POOL_PREFIX.sub("", str(root)).strip() or type(root).__name__
    return f"{kind}{where}; {type(root).__name__}: {text}"


def _kind(chain: Sequence[BaseException], host: str, *, timed_out: bool, not_sent: bool) -> str:
    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(c, types) for c in chain)

    if has(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return f"DNS lookup failed for {host}"
    if has(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError):
        return f"proxy failed on the way to {host}"
    if has(ssl.SSLError, urllib3.exceptions.SSLError, requests.exceptions.SSLError):
        return f"TLS handshake failed with {host}"
    if has(ConnectionRefusedError):
        return f"connection refused by {host}"
    if has(DeadlineExceeded):
        return f"deadline reached with {host}"
    if timed_out:
        return f"{'connect' if not_sent else 'read'} timed out with {host}"
    if has(
        ConnectionResetError,
        BrokenPipeError,
        http.client.RemoteDisconnected,
        http.client.IncompleteRead,
        urllib3.exceptions.ProtocolError,
    ):
        return f"connection dropped by {host}"
    return f"connection to {host} failed"


def _root(chain: Sequence[BaseException]) -> BaseException:
    """The innermost cause that is not a wrapper (a passed deadline first); a bare ``timed
    out`` gives way to urllib3's ``Read timed out. (read timeout=5)``."""
    inner = [c for c in chain if not isinstance(c, _WRAPPERS)] or list(chain)
    deadline = [c for c in inner if isinstance(c, DeadlineExceeded)]
    root = deadline[0] if deadline else inner[-1]
    if isinstance(root, TimeoutError) and len(inner) > 1 and str(root) == "timed out":
        return inner[-2]
    return root


def _target(exc: BaseException, chain: Sequence[BaseException]) -> tuple[str, str]:
    """``host:port`` and `` (METHOD /path)`` (no query, no user info)."""
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    if isinstance(url, str) and url:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
        method = getattr(request, "method", None) or ""
        return f"{parts.hostname}{port}", f" ({method} {parts.path})".replace("( ", "(")
    for cause in chain:
        holder = getattr(cause, "pool", None) or getattr(cause, "conn", None)
        if getattr(holder, "host", None):
            return f"{holder.host}:{holder.port}", ""  # type: ignore[union-attr]
    return "the service", ""
