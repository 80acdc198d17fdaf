"""The Python benchmark server: prebuilt responses on loopback, in a process of its own.

Run as ``python -m benchmarks.server``: it binds 127.0.0.1 on a free port, prints
``PORT <n>`` on stdout and serves until killed.  Each connection gets a thread; requests may be
pipelined and the connection is kept alive.  Paths choose the response:

``/cl/<bytes>``
    ``<bytes>`` of body with ``Content-Length``.
``/chunked/<bytes>/<frame>``
    ``<bytes>`` of body, ``Transfer-Encoding: chunked`` in frames of ``<frame>`` bytes.
``/small``
    A 100-byte body with ``Content-Length`` (head and body in one prebuilt ``bytes``).
``/hang``
    No answer at all, until the client closes: for the idle ``poll()`` measurement.

Bodies are sent from one prebuilt 1 MiB block (a memoryview, never copied), so the server costs
one ``sendall`` per MiB and its own process keeps it off the clients' GIL.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache

BLOCK_SIZE = 1 << 20
SMALL_BODY_SIZE = 100
_BLOCK = memoryview(bytes(range(256)) * (BLOCK_SIZE // 256))
_SMALL = (
    b"HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: application/octet-stream\r\n"
    b"Content-Length: %d\r\n\r\n" % SMALL_BODY_SIZE + bytes(SMALL_BODY_SIZE)
)
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nServer: bench\r\nContent-Length: 0\r\n\r\n"
_MAX_HEAD = 64 * 1024


def head(length: int | None) -> bytes:
    """The response head: with ``Content-Length`` if ``length`` is given, else chunked."""
    framing = b"Transfer-Encoding: chunked" if length is None else b"Content-Length: %d" % length
    return (b"HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: application/octet-stream\r\n"
            + framing + b"\r\n\r\n")


def chunk_frame(size: int) -> bytes:
    """One chunk of ``size`` payload bytes with its size line and CRLF (RFC 9112 §7.1)."""
    return b"%x\r\n" % size + bytes(_BLOCK[:size]) + b"\r\n"


def chunked_wire_size(total: int, frame: int) -> int:
    """Bytes on the wire for ``total`` payload bytes in frames of ``frame``, last chunk included."""
    full, rest = divmod(total, frame)
    size = full * len(chunk_frame(frame)) + len(b"0\r\n\r\n")
    return size + (len(chunk_frame(rest)) if rest else 0)


@lru_cache(maxsize=8)
def _frames_block(frame: int) -> tuple[memoryview, int]:
    """About 1 MiB of whole frames of ``frame`` bytes, and how many frames it holds."""
    per_block = max(1, BLOCK_SIZE // frame)
    return memoryview(chunk_frame(frame) * per_block), per_block


def _send_cl(sock: socket.socket, length: int) -> None:
    sock.sendall(head(length))
    while length >= BLOCK_SIZE:
        sock.sendall(_BLOCK)
        length -= BLOCK_SIZE
    if length:
        sock.sendall(_BLOCK[:length])


def _send_chunked(sock: socket.socket, total: int, frame: int) -> None:
    sock.sendall(head(None))
    block, per_block = _frames_block(frame)
    frames, rest = divmod(total, frame)
    while frames >= per_block:
        sock.sendall(block)
        frames -= per_block
    if frames:
        sock.sendall(block[: frames * len(chunk_frame(frame))])
    sock.sendall((chunk_frame(rest) if rest else b"") + b"0\r\n\r\n")


def _respond(sock: socket.socket, target: bytes) -> bool:
    """Send the response for ``target``; False means: stop answering on this connection."""
    parts = target.decode("ascii", "replace").strip("/").split("/")
    try:
        if parts == ["small"]:
            sock.sendall(_SMALL)
        elif parts[0] == "cl" and len(parts) == 2:
            _send_cl(sock, int(parts[1]))
        elif parts[0] == "chunked" and len(parts) == 3:
            _send_chunked(sock, int(parts[1]), int(parts[2]))
        elif parts == ["hang"]:
            return False
        else:
            sock.sendall(_NOT_FOUND)
    except ValueError:
        sock.sendall(_NOT_FOUND)
    return True


def _requests(sock: socket.socket) -> Iterator[tuple[bytes, bool]]:
    """Yield ``(target, close)`` for each request head read, pipelined heads included."""
    buf = b""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > _MAX_HEAD:
                return
            data = sock.recv(65536)
            if not data:
                return
            buf += data
            continue
        request_head, buf = buf[:end], buf[end + 4 :]
        lines = request_head.split(b"\r\n")
        fields = lines[0].split(b" ")
        if len(fields) != 3:
            return
        close = any(line.lower().replace(b" ", b"") == b"connection:close" for line in lines[1:])
        yield fields[1], close or fields[2] == b"HTTP/1.0"


def _serve_connection(sock: socket.socket) -> None:
    with contextlib.suppress(OSError), sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for target, close in _requests(sock):
            if not _respond(sock, target):
                while sock.recv(65536):  # /hang: wait for the client to go away
                    pass
                return
            if close:
                return


def serve(listener: socket.socket) -> None:
    """Accept connections forever, one daemon thread each."""
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_serve_connection, args=(conn,), daemon=True).start()


def main() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        serve(listener)


def _die_with_parent() -> None:
    """Linux: get SIGTERM when the harness dies, however it dies (no orphaned servers)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def pinned(cpus: set[int] | None) -> Callable[[], None]:
    """A ``preexec_fn`` for harness children: pinned to ``cpus`` (None: not pinned), and ended
    with the harness."""

    def setup() -> None:
        _die_with_parent()
        if cpus is not None:
            os.sched_setaffinity(0, cpus)

    return setup


class PythonServer:
    """This module's server in a child process (``with PythonServer() as srv: srv.port``)."""

    def __init__(self, cpus: set[int] | None = None) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.server"], stdout=subprocess.PIPE, text=True,
            preexec_fn=pinned(cpus))
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        self.port = int(line.split()[1])

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(10)
        if self._proc.stdout:
            self._proc.stdout.close()

    def __enter__(self) -> PythonServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    main()
