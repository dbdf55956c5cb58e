"""HTTP handling: reading requests off sockets and writing replies, one thread a connection.

The server knows nothing of ThingSpace: it hands each `Request` to a ``handle`` callable
(`_routes.Router.handle`) and writes the `Reply`, or closes the connection on None.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from verizon_sdk.simulator._http import Reply, Request, json_reply

MAX_BODY = 64 * 1024 * 1024
_JOIN_TIMEOUT = 5.0

Handle = Callable[[Request], "Reply | None"]


class _BadRequestBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.reply = json_reply(status, {"errorCode": "INVALID_REQUEST", "errorMessage": message})


class _RequestHandler(BaseHTTPRequestHandler):
    """Reads one request, hands it to the simulator, writes (or withholds) the answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server_version = "ThingSpaceSimulator/1.0"
    sys_version = ""
    server: HttpServer

    def handle_request(self) -> None:
        try:
            raw_body = self._read_body()
        except _BadRequestBody as exc:
            self.close_connection = True
            self._send(exc.reply)
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, self.path, headers, raw_body)
        try:
            reply = self.server.handle(request)
        except Exception as exc:  # a bug in the simulator: answer 500, never hang the client
            if self.server.verbose:
                traceback.print_exc()
            reply = json_reply(500, {"errorCode": "SIMULATOR_ERROR", "errorMessage": repr(exc)})
        if reply is None:  # a dropped connection: close the socket, write nothing
            self.close_connection = True
            return
        self._send(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_request  # noqa: N815

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            size = int(length)
        except ValueError:
            raise _BadRequestBody(400, "Invalid Content-Length") from None
        if size < 0:
            raise _BadRequestBody(400, "Invalid Content-Length")
        if size > MAX_BODY:
            raise _BadRequestBody(413, "Request body too large")
        return self.rfile.read(size)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequestBody(400, "Invalid chunked body") from None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise _BadRequestBody(413, "Request body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(65537)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class HttpServer(HTTPServer):
    """HTTPServer with one daemon thread per connection, all closed and joined on stop."""

    # socketserver's default backlog of 5 drops the SYNs of a burst of new connections
    # (16 client threads), stalling each such connect for the 1 s SYN retransmission.
    request_queue_size = 128

    def __init__(self, host: str, port: int, handle: Handle, *, verbose: bool = False) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.handle = handle
        self.verbose = verbose
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        self._wake_reader, self._wake_writer = socket.socketpair()
        super().__init__((host, port), _RequestHandler)  # on a bind error, calls server_close()

    def serve(self) -> None:
        """Accept connections until :meth:`wake` (no polling, so stopping is immediate)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_reader:
                        return
                    try:
                        request, client_address = self.get_request()
                    except OSError:  # pragma: no cover - the client gave up before accept()
                        continue
                    self.process_request(request, client_address)

    def wake(self) -> None:
        """Make :meth:`serve` return."""
        self._wake_writer.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    def server_bind(self) -> None:
        # Skip HTTPServer.server_bind(): it calls socket.getfqdn(), a reverse DNS lookup.
        socketserver.TCPServer.server_bind(self)  # SO_REUSEADDR: restart on the same port
        self.server_name = self.host
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="thingspace-simulator-connection",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[request] = thread
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Shut down every open connection and wait for its thread."""
        with self._connections_lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in connections:
            thread.join(_JOIN_TIMEOUT)
