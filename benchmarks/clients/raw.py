"""The limit: a blocking socket, ``recv_into`` one reused buffer, just enough parsing to know
where each response ends (Content-Length, or a minimal chunked decoder)."""

from __future__ import annotations

import socket

from .common import ClientFailed, Outcome, request_bytes

BUFFER_SIZE = 256 * 1024


class RawConnection:
    """One keep-alive connection read with ``recv_into`` into a single reused buffer."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port))
        self.buf = bytearray(BUFFER_SIZE)
        self.view = memoryview(self.buf)
        self.pending = b""  # bytes read past the end of the previous response

    def _recv(self) -> int:
        n = self.sock.recv_into(self.view)
        if not n:
            raise ClientFailed("connection closed before the response ended")
        return n

    def _read_head(self) -> tuple[int | None, bytes]:
        """Read a response head; return (Content-Length or None for chunked, bytes after it)."""
        data = self.pending
        while (end := data.find(b"\r\n\r\n")) < 0:
            data += self.view[: self._recv()]
        lines = data[:end].lower().split(b"\r\n")
        if not lines[0].startswith(b"http/1.1 200"):
            raise ClientFailed(f"unexpected status line {lines[0]!r}")
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name == b"content-length":
                return int(value), data[end + 4 :]
            if name == b"transfer-encoding" and value.strip() == b"chunked":
                return None, data[end + 4 :]
        raise ClientFailed("response has neither Content-Length nor chunked framing")

    def _read_length(self, length: int, first: bytes) -> int:
        got = min(length, len(first))
        self.pending = first[got:]
        remaining = length - got
        view, recv_into = self.view, self.sock.recv_into
        while remaining:
            n = recv_into(view, min(remaining, BUFFER_SIZE))
            if not n:
                raise ClientFailed(f"body cut short after {length - remaining} bytes")
            remaining -= n
        return length

    def _read_chunked(self, first: bytes) -> int:
        total = remaining = skip = 0
        in_trailers = False
        ctrl = bytearray()
        buf: bytes | bytearray = first
        pos, end = 0, len(first)
        while True:
            while pos < end:
                if remaining:
                    take = min(remaining, end - pos)
                    remaining -= take
                    total += take
                    pos += take
                    skip = 0 if remaining else 2  # the CRLF after the chunk data
                    continue
                if skip:
                    take = min(skip, end - pos)
                    skip -= take
                    pos += take
                    continue
                nl = buf.find(b"\n", pos, end)
                if nl < 0:
                    ctrl += buf[pos:end]
                    break
                ctrl += buf[pos : nl + 1]
                pos = nl + 1
                line = bytes(ctrl).rstrip(b"\r\n")
                ctrl.clear()
                if in_trailers:
                    if not line:
                        self.pending = bytes(buf[pos:end])
                        return total
                    continue
                size = int(line.split(b";", 1)[0], 16)
                in_trailers = size == 0
                remaining = size
            buf, pos, end = self.buf, 0, self._recv()

    def get(self, host: str, port: int, path: str) -> int:
        self.sock.sendall(request_bytes(host, port, path))
        length, first = self._read_head()
        if length is None:
            return self._read_chunked(first)
        return self._read_length(length, first)


def run(host: str, port: int, path: str, count: int) -> Outcome:
    conn = RawConnection(host, port)
    try:
        return Outcome(sum(conn.get(host, port, path) for _ in range(count)))
    finally:
        conn.sock.close()


def run_keep(host: str, port: int, path: str, count: int) -> Outcome:
    """The ceiling of a loop that keeps a body as the tutorial does: a blocking socket,
    ``recv(65536)`` into a new ``bytes`` each time and ``body += chunk`` (Content-Length only).
    A client that hands out each read as a new ``bytes`` for the caller to append does at least
    this much work per byte."""
    sock = socket.create_connection((host, port))
    total = 0
    try:
        pending = b""
        for _ in range(count):
            sock.sendall(request_bytes(host, port, path))
            data = pending
            while (end := data.find(b"\r\n\r\n")) < 0:
                data += sock.recv(65536)
            length = next((int(line.split(b":", 1)[1]) for line in
                           data[:end].lower().split(b"\r\n")
                           if line.startswith(b"content-length:")), None)
            if length is None:
                raise ClientFailed("raw-keep reads Content-Length responses only")
            body = bytearray(data[end + 4: end + 4 + length])
            pending = data[end + 4 + length:]
            while len(body) < length:
                chunk = sock.recv(min(65536, length - len(body)))
                if not chunk:
                    raise ClientFailed(f"body cut short after {len(body)} bytes")
                body += chunk
            total += len(body)
    finally:
        sock.close()
    return Outcome(total)
