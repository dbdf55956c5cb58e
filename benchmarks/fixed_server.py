"""A minimal fixed-response HTTP/1.1 server on 127.0.0.1, to isolate the client's cost.

- one thread per connection, keep-alive, no pipelining;
- every answer is precomputed bytes (status line, headers, body), looked up by method and path;
- it parses only the request line and ``Content-Length``, and never looks at the body.

It runs in its own process (``python benchmarks/fixed_server.py`` prints ``PORT <n>`` and
serves until stdin closes), so its work happens on the other core and under another GIL:
the time a client spends per call is then almost all the client's own.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures import routes

_NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
)


def _response(body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


def _serve_connection(conn: socket.socket, answers: dict[tuple[bytes, bytes], bytes]) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = b""
    try:
        while True:
            end = buffer.find(b"\r\n\r\n")
            while end < 0:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                end = buffer.find(b"\r\n\r\n")
            head, buffer = buffer[:end], buffer[end + 4 :]
            lines = head.split(b"\r\n")
            method, target, _ = lines[0].split(b" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buffer) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            buffer = buffer[length:]
            path = target.split(b"?", 1)[0]
            conn.sendall(answers.get((method, path), _NOT_FOUND))
    except OSError:
        return
    finally:
        conn.close()


def serve(sock: socket.socket) -> None:
    answers = {
        (method.encode(), path.encode()): _response(body)
        for (method, path), body in routes().items()
    }
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=_serve_connection, args=(conn, answers), daemon=True).start()


class FixedServer:
    """This server in a child process; ``api_root`` is ``http://127.0.0.1:<port>/api``."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().split()
        if line[:1] != ["PORT"]:
            self.close()
            raise RuntimeError(f"fixed server did not start: {line!r}")
        self.api_root = f"http://127.0.0.1:{line[1]}/api"

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()  # the server exits when its stdin closes
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> FixedServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    threading.Thread(target=serve, args=(sock,), daemon=True).start()
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin (or dies)
    sock.close()


if __name__ == "__main__":
    main()
