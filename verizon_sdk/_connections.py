"""The urllib3 connections of the sessions the SDK builds: 1xx skipped, a deadline per attempt.

urllib3 and ``requests`` time each socket operation, never the exchange: ``http.client`` reads
the status line and the headers with blocking ``readline`` calls and the body chunk by chunk,
so a server sending one byte a second never trips a 5 s read timeout. Here every attempt has a
wall-clock deadline, :attr:`Timeout.deadline <verizon_sdk._configuration.Timeout.deadline>`
seconds (connect + read) from its start (:meth:`_DeadlinePool._make_request`), and each socket
operation of the attempt is bounded by what is left of it:

- each send (request line, headers, body; ``sendall`` is bounded in total by CPython) and the
  TLS handshake (after the TCP connect, which the connect timeout bounds);
- each receive of the response (status line, 1xx interim responses, headers, every body
  chunk, a proxy's ``CONNECT`` answer): the response reads through :class:`_DeadlineIO`.

Past the deadline the operation raises
:class:`~verizon_sdk._connection_errors.DeadlineExceeded`, a ``TimeoutError``: urllib3 handles
it as a read timeout, closes the connection (it never goes back to the pool as it is) and asks
the retry policy as for a read timeout. The cost is a clock read per socket operation; the
socket timeout is changed only when less than the usual timeout is left.
"""

from __future__ import annotations

import http.client
import io
import math
import time
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from verizon_sdk._configuration import attempt_deadline
from verizon_sdk._connection_errors import DeadlineExceeded

__all__ = ["POOL_CLASSES"]


def _exceeded(seconds: float) -> DeadlineExceeded:
    return DeadlineExceeded(
        f"the attempt ran past its wall-clock deadline of {seconds:g} s (connect + read timeout)"
    )


class _SkipInterimResponse(http.client.HTTPResponse):
    """An ``http.client`` response that skips every 1xx interim response (``103 Early Hints``).

    ``http.client`` skips only ``100 Continue`` and would hand a 103 over as the answer, leaving
    the real one unread. RFC 9110 section 15.2: a client must ignore 1xx responses it does not
    expect. ``101 Switching Protocols`` is final and kept.
    """

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not 100 < status < 200 or status == 101:
                return version, status, reason
            http.client._read_headers(self.fp)  # type: ignore[attr-defined]


class _DeadlineIO(io.RawIOBase):
    """The socket reader of one response: each ``recv_into`` ends by the attempt's deadline."""

    def __init__(self, raw: Any, sock: Any, deadline: float, seconds: float) -> None:
        super().__init__()
        self._raw = raw  # the socket.SocketIO that makefile() made (it holds the socket open)
        self._sock = sock
        self._deadline = deadline
        self._seconds = seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        timeout = self._sock.gettimeout()
        if left >= (math.inf if timeout is None else timeout):
            return self._raw.readinto(buffer)  # type: ignore[no-any-return]
        if left <= 0:
            raise _exceeded(self._seconds)
        self._sock.settimeout(left)
        try:
            return self._raw.readinto(buffer)  # type: ignore[no-any-return]
        except TimeoutError:
            raise _exceeded(self._seconds) from None

    def fileno(self) -> int:
        return self._raw.fileno()  # type: ignore[no-any-return]

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _Response(_SkipInterimResponse):
    """A response whose reads end by the deadline of the attempt that sent its request."""

    def __init__(self, sock: Any, *args: Any, deadline: float, seconds: float, **kwargs: Any):
        super().__init__(sock, *args, **kwargs)
        if math.isfinite(deadline):
            raw = self.fp.detach()  # the reader makefile() made, without closing it
            self.fp = io.BufferedReader(_DeadlineIO(raw, sock, deadline, seconds))


class _Connection(HTTPConnection):
    """A connection whose socket operations end by the deadline of the current attempt."""

    #: When the current attempt ends (``time.monotonic()``); no deadline outside an attempt.
    deadline: float = math.inf
    seconds: float = math.inf

    def start_attempt(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def _bound(self, sock: Any) -> None:
        """Lower ``sock``'s timeout to the time left, when that is shorter; raise past it."""
        left = self.deadline - time.monotonic()
        timeout = sock.gettimeout()
        if left < (math.inf if timeout is None else timeout):
            if left <= 0:
                raise _exceeded(self.seconds)
            sock.settimeout(left)

    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        self._bound(sock)  # the TLS handshake that follows
        return sock

    def send(self, data: Any) -> None:
        if self.sock is not None:
            self._bound(self.sock)
        super().send(data)

    def response_class(self, sock: Any, *args: Any, **kwargs: Any) -> _Response:  # type: ignore[override]
        # http.client calls self.response_class(sock, ...): the response gets the deadline.
        return _Response(sock, *args, deadline=self.deadline, seconds=self.seconds, **kwargs)


class _HTTPSConnection(_Connection, HTTPSConnection):
    pass


class _DeadlinePool(HTTPConnectionPool):
    ConnectionCls = _Connection

    def _make_request(self, conn: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        # One call per attempt (urllib3 retries by calling urlopen again): the deadline starts.
        timeout = self._get_timeout(kwargs.get("timeout", _DEFAULT_TIMEOUT))
        connect, read = timeout.connect_timeout, timeout.read_timeout
        if isinstance(connect, (int, float)) and isinstance(read, (int, float)):
            conn.start_attempt(attempt_deadline(connect, read))
        else:
            conn.start_attempt(math.inf)
        return super()._make_request(conn, method, url, *args, **kwargs)


class _HTTPSPool(_DeadlinePool, HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


#: ``PoolManager.pool_classes_by_scheme`` of the SDK's adapters.
POOL_CLASSES: dict[str, type[HTTPConnectionPool]] = {"http": _DeadlinePool, "https": _HTTPSPool}
