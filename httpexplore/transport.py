"""Transports: the only place that touches sockets, DNS and TLS.

Theory of operation
-------------------
The client is sans-I/O: it asks a :class:`Transport` for "bytes now, nothing yet, or end of
stream" and never calls ``socket``, ``ssl`` or ``select`` itself.  A transport moves through
:class:`Phase` values as the client calls :meth:`Transport.advance` once per ``poll()``:

``RESOLVING`` (a host name is being looked up in a worker thread, so the lookup never blocks the
caller) → ``CONNECTING`` (a non-blocking TCP connect to each resolved address in turn) →
``READY``.  The client may then run an HTTPS proxy's ``CONNECT`` exchange over the plain stream,
and calls :meth:`Transport.start_tls`; further ``advance()`` calls drive the TLS handshake one
step at a time (``HANDSHAKING``) until ``READY`` again.

Failures are raised as :class:`~httpexplore.errors.TransportError` with a plain-language message;
``OSError`` and ``ssl.SSLError`` never escape a transport.

Two implementations live here: :class:`SocketTransport` (real sockets) and
:class:`ScriptedTransport` (a replay of exact byte sequences, would-block steps and EOF, for tests,
demos and offline replay).
"""

from __future__ import annotations

import concurrent.futures
import enum
import errno
import os
import select
import socket
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from .errors import FailureKind, TransportError
from .hosts import ip_literal

if TYPE_CHECKING:
    import ssl
else:  # imported on first use: Pyodide has no ssl, and plain HTTP needs none
    from ._ssl import ssl

__all__ = ["AFTER_SEND", "EOF", "WOULD_BLOCK", "Phase", "ScriptedTransport", "SocketTransport",
           "Transport", "ip_literal"]


class Phase(enum.Enum):
    """Where a transport is in setting up its stream."""

    RESOLVING = "resolving"
    CONNECTING = "connecting"
    HANDSHAKING = "handshaking"
    READY = "ready"


class Transport(Protocol):
    """What the client needs from a byte stream.  All methods return promptly except
    :meth:`wait`, which exists for blocking mode."""

    @property
    def peer(self) -> tuple[str, int] | None:
        """The address connected to, once connected."""

    @property
    def addresses(self) -> list[str]:
        """The addresses a name resolved to (empty for an IP literal, until resolved)."""

    def open(self, host: str, port: int) -> Phase:
        """Start resolving ``host`` (or connecting, for an IP literal).  Raises TransportError."""

    def advance(self) -> Phase:
        """Do one bounded step of resolving, connecting or the TLS handshake."""

    def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        """Wrap the connected stream in TLS; later :meth:`advance` calls drive the handshake."""

    def tls_info(self) -> dict[str, str]:
        """``{"version": ..., "cipher": ...}`` once a handshake is done, else ``{}``."""

    def send(self, data: bytes | memoryview) -> int:
        """Write what the stream accepts now; 0 if it would block."""

    def recv(self, max_bytes: int) -> bytes | None:
        """Read what is available now: bytes, ``None`` if nothing yet, ``b""`` at end of stream."""

    def wait(self, *, read: bool, write: bool, timeout: float | None) -> bool:
        """Block until readable/writable or ``timeout``; True if ready.  For blocking mode."""

    def close(self) -> None:
        """Release the stream.  Idempotent."""

    def fileno(self) -> int | None:
        """The file descriptor that becomes readable when bytes arrive (for an event loop's
        ``add_reader``), or None where there is none (in memory, scripted, not connected)."""


# One small pool for every client: getaddrinfo blocks, so it runs off the caller's thread.
_resolver_pool: concurrent.futures.ThreadPoolExecutor | None = None


def _resolver() -> concurrent.futures.ThreadPoolExecutor:
    global _resolver_pool
    if _resolver_pool is None:
        _resolver_pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="httpexplore-dns")
    return _resolver_pool


_AddrInfo = tuple[int, tuple[str, int] | tuple[str, int, int, int]]


def _describe_os_error(exc: OSError) -> str:
    name = errno.errorcode.get(exc.errno or 0, "")
    text = exc.strerror or str(exc) or type(exc).__name__
    return f"{text} ({name})" if name else text


def _describe_tls_error(exc: Exception) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or str(exc)
        return f"certificate verification failed: {reason}"
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        if reason == "WRONG_VERSION_NUMBER":
            return ("the server did not answer with TLS (WRONG_VERSION_NUMBER): it probably speaks "
                    "plain HTTP on this port")
        return f"TLS error: {reason}"
    if isinstance(exc, OSError):
        return f"the connection failed during the TLS handshake: {_describe_os_error(exc)}"
    return f"TLS error: {exc}"


class SocketTransport:
    """A real, non-blocking TCP (and TLS) stream.

    Name resolution runs ``getaddrinfo`` in a worker thread; each resolved address is tried in
    order with a non-blocking ``connect``; the TLS handshake runs on a non-blocking
    ``ssl.SSLSocket``.  Reads check readiness with ``epoll``/``poll`` first after a read found
    nothing, so an idle poll costs one cheap system call and raises no exception.
    """

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self._future: concurrent.futures.Future[list[_AddrInfo]] | None = None
        self._candidates: deque[_AddrInfo] = deque()
        self._addresses: list[str] = []
        self._peer: tuple[str, int] | None = None
        self._phase = Phase.RESOLVING
        self._host = ""
        self._port = 0
        self._last_connect_error = ""
        self._tls: ssl.SSLSocket | None = None
        self._poller: select.epoll | select.poll | None = None
        self._maybe_readable = True  # after a read that found nothing, check readiness first

    # -- properties ------------------------------------------------------------------------
    @property
    def peer(self) -> tuple[str, int] | None:
        return self._peer

    @property
    def addresses(self) -> list[str]:
        return list(self._addresses)

    # -- setting up --------------------------------------------------------------------------
    def open(self, host: str, port: int) -> Phase:
        self._host, self._port = host, port
        literal = ip_literal(host)
        if literal is not None:
            family = socket.AF_INET6 if ":" in literal else socket.AF_INET
            self._candidates = deque([(family, (literal, port))])
            self._addresses = [literal]
            self._phase = Phase.CONNECTING
            self._connect_next()
            return self._phase
        try:
            self._future = _resolver().submit(self._lookup, host, port)
        except RuntimeError:  # no threads here (Pyodide): look the name up now, blocking
            self._future = concurrent.futures.Future()
            try:
                self._future.set_result(self._lookup(host, port))
            except OSError as exc:
                self._future.set_exception(exc)
        self._phase = Phase.RESOLVING
        return self._phase

    @staticmethod
    def _lookup(host: str, port: int) -> list[_AddrInfo]:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        return [(family, addr) for family, _t, _p, _c, addr in infos]  # type: ignore[misc]

    def advance(self) -> Phase:
        if self._phase is Phase.RESOLVING:
            self._advance_resolving()
        elif self._phase is Phase.CONNECTING:
            self._advance_connecting()
        elif self._phase is Phase.HANDSHAKING:
            self._advance_handshake()
        return self._phase

    def _advance_resolving(self) -> None:
        assert self._future is not None
        if not self._future.done():
            return
        try:
            infos = self._future.result()
        except OSError as exc:
            raise TransportError(
                FailureKind.RESOLVE,
                f"could not resolve the host name {self._host!r}: {exc.strerror or exc}") from exc
        except ValueError as exc:  # the IDNA codec refused the name (UnicodeError: a label
            # too long), or the name holds a NUL
            raise TransportError(
                FailureKind.RESOLVE,
                f"could not resolve the host name {self._host!r}: it is not a valid "
                f"internationalised domain name ({exc})") from exc
        finally:
            self._future = None
        # Keep getaddrinfo's order (it already sorts per RFC 6724), without duplicates.
        seen: set[tuple[int, str]] = set()
        for family, addr in infos:
            if (family, addr[0]) not in seen:
                seen.add((family, addr[0]))
                self._candidates.append((family, addr))
        self._addresses = [addr[0] for _f, addr in self._candidates]
        self._phase = Phase.CONNECTING
        self._connect_next()

    def _connect_next(self) -> None:
        """Start a non-blocking connect to the next candidate address."""
        while self._candidates:
            family, addr = self._candidates.popleft()
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                err = sock.connect_ex(addr)
            except OSError as exc:
                err = exc.errno or errno.EINVAL
            if err in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                self._sock = sock
                self._peer = (addr[0], addr[1])
                return
            sock.close()
            reason = _describe_os_error(OSError(err, os.strerror(err)))
            self._last_connect_error = f"{addr[0]} port {addr[1]}: {reason}"
        raise TransportError(FailureKind.CONNECT, self._connect_failure_message())

    def _connect_failure_message(self) -> str:
        tried = ", ".join(self._addresses) or self._host
        return (f"could not connect to {self._host!r} port {self._port} (tried {tried}); "
                f"last error: {self._last_connect_error or 'unknown'}")

    def _advance_connecting(self) -> None:
        sock = self._sock
        assert sock is not None
        _r, writable, _x = select.select([], [sock], [], 0)
        if not writable:
            return
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            peer = self._peer or ("?", 0)
            self._last_connect_error = (
                f"{peer[0]} port {peer[1]}: {_describe_os_error(OSError(err, os.strerror(err)))}")
            sock.close()
            self._sock = None
            self._peer = None
            self._connect_next()  # raises when no address is left
            return
        self._phase = Phase.READY
        self._make_poller()

    def _make_poller(self) -> None:
        """The readiness check ``recv`` asks before reading after an empty read: ``epoll`` where
        there is one (about a third cheaper per idle ``poll()`` than ``select.poll``, which
        rebuilds its descriptor array on every call), else ``select.poll``."""
        assert self._sock is not None
        self._close_poller()
        if hasattr(select, "epoll"):
            epoll = select.epoll()
            epoll.register(self._sock.fileno(), select.EPOLLIN | select.EPOLLPRI)
            self._poller = epoll
        else:
            poller = select.poll()
            poller.register(self._sock, select.POLLIN | select.POLLPRI)
            self._poller = poller

    def _close_poller(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None and hasattr(poller, "close"):
            poller.close()

    def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        assert self._sock is not None and self._phase is Phase.READY
        try:
            self._tls = context.wrap_socket(self._sock, server_hostname=server_hostname,
                                            do_handshake_on_connect=False)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise TransportError(FailureKind.TLS, _describe_tls_error(exc)) from exc
        self._sock = self._tls
        self._make_poller()
        self._phase = Phase.HANDSHAKING

    def _advance_handshake(self) -> None:
        assert self._tls is not None
        try:
            self._tls.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return
        except (ssl.SSLError, OSError) as exc:
            raise TransportError(FailureKind.TLS, _describe_tls_error(exc)) from exc
        self._phase = Phase.READY

    def tls_info(self) -> dict[str, str]:
        if self._tls is None or self._phase is not Phase.READY:
            return {}
        cipher = self._tls.cipher()
        return {"version": self._tls.version() or "", "cipher": cipher[0] if cipher else ""}

    # -- data ------------------------------------------------------------------------------
    def send(self, data: bytes | memoryview) -> int:
        sock = self._sock
        if sock is None:
            raise TransportError(FailureKind.IO, "the connection is closed")
        try:
            return sock.send(data)
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            return 0
        except (ssl.SSLError, OSError) as exc:
            raise TransportError(FailureKind.IO,
                                 f"sending failed: {_describe_os_error(exc)}") from exc

    def recv(self, max_bytes: int) -> bytes | None:
        sock = self._sock
        if sock is None:
            raise TransportError(FailureKind.IO, "the connection is closed")
        # After a read that found nothing, ask the kernel first (cheap, no exception).  TLS may
        # hold decrypted bytes the kernel does not know about, hence pending().
        if not self._maybe_readable and not (
                self._poller is not None and self._poller.poll(0)) and not (
                self._tls is not None and self._tls.pending()):
            return None
        try:
            data = sock.recv(max_bytes)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            self._maybe_readable = False
            return None
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return b""
        except (ssl.SSLError, OSError) as exc:
            raise TransportError(FailureKind.IO,
                                 f"receiving failed: {_describe_os_error(exc)}") from exc
        # A short read emptied the kernel's buffer (TCP hands over all it has, up to
        # max_bytes), so the next read asks the poller first instead of raising
        # BlockingIOError; a full read may have left more.
        self._maybe_readable = len(data) >= max_bytes
        return data

    def wait(self, *, read: bool, write: bool, timeout: float | None) -> bool:
        sock = self._sock
        if sock is None:
            return True
        if read and self._tls is not None and self._tls.pending():
            return True
        r, w, _x = select.select([sock] if read else [], [sock] if write else [], [], timeout)
        if r or w:
            self._maybe_readable = True
            return True
        return False

    def fileno(self) -> int | None:
        sock = self._sock
        if sock is None:
            return None
        try:
            fd = sock.fileno()
        except OSError:
            return None
        return fd if fd >= 0 else None

    def close(self) -> None:
        if self._future is not None:
            self._future.cancel()
            self._future = None
        if self._sock is not None:
            self._close_poller()
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None
        self._tls = None
        self._candidates.clear()


class _Step(enum.Enum):
    WOULD_BLOCK = "would-block"
    EOF = "eof"
    AFTER_SEND = "after-send"


#: Script step: ``recv`` returns None once.
WOULD_BLOCK = _Step.WOULD_BLOCK
#: Script step: ``recv`` returns ``b""`` (the peer closed).
EOF = _Step.EOF
#: Script step: reads would block until the client sends something after this point; what
#: follows is the server's answer to that (a keep-alive connection's next response), however
#: often the client looks at the idle connection before it writes the request.
AFTER_SEND = _Step.AFTER_SEND

ScriptStep = bytes | _Step | TransportError


class ScriptedTransport:
    """A transport that replays a script: for exact, deterministic tests and demos.

    Parameters
    ----------
    incoming:
        What successive ``recv()`` calls return: ``bytes`` (delivered as one read, cut to
        ``max_bytes`` with the rest kept for the next read), :data:`WOULD_BLOCK`, :data:`EOF`
        (then every later read is EOF), :data:`AFTER_SEND` (reads would block until the client
        writes again), or a :class:`TransportError` to raise.  When the script runs out, reads
        would block.
    resolve_steps, connect_steps, handshake_steps:
        How many ``advance()`` calls each phase lasts.  ``resolve_steps`` is ignored for IP
        literals.
    fail:
        A ``TransportError`` raised by ``advance()`` when the phase named by its kind ends
        (RESOLVE, CONNECT or TLS), to script failures.
    send_limit:
        At most this many bytes are accepted per ``send()`` (None: everything).
    """

    def __init__(self, incoming: Iterable[ScriptStep] = (), *, resolve_steps: int = 1,
                 connect_steps: int = 1, handshake_steps: int = 1,
                 fail: TransportError | None = None, send_limit: int | None = None,
                 peer: tuple[str, int] = ("192.0.2.1", 80)) -> None:
        self.incoming: deque[ScriptStep] = deque(incoming)
        self.sent = bytearray()
        self.closed = False
        self._steps = {Phase.RESOLVING: resolve_steps, Phase.CONNECTING: connect_steps,
                       Phase.HANDSHAKING: handshake_steps}
        self._fail = fail
        self._send_limit = send_limit
        self._phase = Phase.RESOLVING
        self._peer_addr = peer
        self._peer: tuple[str, int] | None = None
        self._addresses: list[str] = []
        self._eof = False
        self._sends = 0  # send() calls that wrote something (AFTER_SEND waits for the next)
        self._waiting_since: int | None = None
        self.server_hostname = ""

    @property
    def peer(self) -> tuple[str, int] | None:
        return self._peer

    @property
    def addresses(self) -> list[str]:
        return list(self._addresses)

    def open(self, host: str, port: int) -> Phase:
        literal = ip_literal(host)
        self._phase = Phase.CONNECTING if literal else Phase.RESOLVING
        if literal:
            self._addresses = [literal]
            self._peer_addr = (literal, port)
        return self._phase

    def _fails(self, kind: FailureKind) -> None:
        if self._fail is not None and self._fail.kind is kind:
            raise self._fail

    def advance(self) -> Phase:
        phase = self._phase
        if phase is Phase.READY:
            return phase
        self._steps[phase] -= 1
        if self._steps[phase] > 0:
            return phase
        if phase is Phase.RESOLVING:
            self._fails(FailureKind.RESOLVE)
            self._addresses = [self._peer_addr[0]]
            self._phase = Phase.CONNECTING
        elif phase is Phase.CONNECTING:
            self._fails(FailureKind.CONNECT)
            self._peer = self._peer_addr
            self._phase = Phase.READY
        else:
            self._fails(FailureKind.TLS)
            self._phase = Phase.READY
        return self._phase

    def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        self.server_hostname = server_hostname
        self._phase = Phase.HANDSHAKING

    def tls_info(self) -> dict[str, str]:
        return {"version": "TLSv1.3", "cipher": "SCRIPTED"} if self.server_hostname else {}

    def send(self, data: bytes | memoryview) -> int:
        if self.closed:
            raise TransportError(FailureKind.IO, "the connection is closed")
        chunk = bytes(data[: self._send_limit] if self._send_limit is not None else data)
        self.sent += chunk
        if chunk:
            self._sends += 1
        return len(chunk)

    def recv(self, max_bytes: int) -> bytes | None:
        if self.closed:
            raise TransportError(FailureKind.IO, "the connection is closed")
        if self._eof:
            return b""
        if not self.incoming:
            return None
        if self.incoming[0] is AFTER_SEND:
            if self._waiting_since is None:
                self._waiting_since = self._sends
            if self._sends == self._waiting_since:
                return None
            self.incoming.popleft()
            self._waiting_since = None
            return self.recv(max_bytes)
        step = self.incoming.popleft()
        if step is WOULD_BLOCK:
            return None
        if step is EOF:
            self._eof = True
            return b""
        if isinstance(step, TransportError):
            raise step
        assert isinstance(step, bytes)
        if len(step) > max_bytes:
            self.incoming.appendleft(step[max_bytes:])
            step = step[:max_bytes]
        return step

    def wait(self, *, read: bool, write: bool, timeout: float | None) -> bool:
        # A script never blocks: in blocking mode a would-block step is simply consumed.
        if read and self.incoming and self.incoming[0] is WOULD_BLOCK:
            self.incoming.popleft()
        return True

    def fileno(self) -> int | None:
        return None  # a script has no file descriptor

    def close(self) -> None:
        self.closed = True
