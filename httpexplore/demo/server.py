"""``DemoServer``: a loopback HTTP/1.1 (or HTTPS) server started in one line.

Theory of operation
-------------------
``start()`` binds a listening socket and starts one *accept thread*. The accept thread waits
on a selector for either a new connection or a byte on a private wake-up socket pair; each
accepted connection gets its own daemon thread running
:func:`~.connection.serve_connection`. At most ``max_connections`` connections are served at
once; beyond that a new connection gets ``503 Service Unavailable`` and is closed, so threads
and memory stay bounded however many clients arrive.

``stop()`` sets the stop event (every sleeping handler wakes up and gives up), wakes the
accept thread and joins it, shuts down every live connection socket (which wakes threads
blocked in ``recv`` or ``send``), joins the connection threads, then closes the listener and
removes the CA file. A socket is only shut down while it is registered, and a connection
thread unregisters its socket before closing it, both under one lock: a file descriptor
number is never shut down after it could have been reused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import ssl
import tempfile
import threading
from types import TracebackType

from . import certs
from .connection import serve_connection
from .exchange import Settings, Wire, head_bytes
from .routes import ROUTER

__all__ = ["DemoServer"]

log = logging.getLogger("httpexplore.demo")

_BUSY_BODY = b"too many connections; try again\n"
_BUSY = head_bytes(503, [("Content-Type", "text/plain; charset=utf-8"),
                         ("Content-Length", str(len(_BUSY_BODY))), ("Connection", "close"),
                         ("Retry-After", "1")]) + _BUSY_BODY


class DemoServer:
    """A teaching HTTP/1.1 server on the loopback interface, running in background threads.

    Parameters
    ----------
    tls : bool
        Serve HTTPS with certificates generated at start-up (needs ``trustme``).
    host : str
        Address to listen on; ``"127.0.0.1"`` by default (``"::1"`` for IPv6).
    port : int
        Port to listen on; 0 picks a free one (read it back from :attr:`port`).
    cert : str
        With ``tls=True``: ``"valid"`` (default), or a broken certificate for teaching TLS
        failures: ``"expired"``, ``"wrong-host"``, ``"unknown-ca"``, ``"self-signed"``.
    max_connections : int
        Connections served at once; more get 503 and are closed.
    idle_timeout, request_timeout, silence_timeout : float
        Seconds before an idle keep-alive connection is closed, before a request that is
        still arriving gets 408, and before ``/malformed/silence`` gives up.
    send_date : bool
        Send a ``Date`` header. Off by default so that stored notebook outputs do not change
        from run to run (RFC 9110 §6.6.1 lets a server without a reliable clock omit it).

    Examples
    --------
    >>> with DemoServer() as srv:          # doctest: +SKIP
    ...     print(srv.url)
    http://127.0.0.1:50123
    """

    def __init__(self, tls: bool = False, host: str = "127.0.0.1", port: int = 0, *,
                 cert: str = "valid", max_connections: int = 512, idle_timeout: float = 15.0,
                 request_timeout: float = 10.0, silence_timeout: float = 30.0,
                 send_date: bool = False) -> None:
        if cert not in certs.CERT_KINDS:
            raise ValueError(f"cert must be one of {', '.join(certs.CERT_KINDS)}, not {cert!r}")
        if cert != "valid" and not tls:
            raise ValueError(f"cert={cert!r} only makes sense with tls=True")
        self.tls, self.host, self.cert = tls, host, cert
        self._requested_port = port
        self.max_connections = max_connections
        self._settings = Settings(idle_timeout, request_timeout, silence_timeout, send_date)
        self._state = "new"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._live: dict[socket.socket, threading.Thread] = {}
        self._listener: socket.socket | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._accept_thread: threading.Thread | None = None
        self._context: ssl.SSLContext | None = None
        self.port = 0
        self.ca_pem: bytes | None = None
        self.ca_path: str | None = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> DemoServer:
        """Bind, start serving in the background and return ``self``.

        Raises ``RuntimeError`` if the server was already stopped (make a new one), and
        ``OSError`` if the address cannot be bound.
        """
        with self._lock:
            if self._state == "running":
                return self
            if self._state == "stopped":
                raise RuntimeError("a stopped DemoServer cannot be restarted; create a new one")
            self._state = "running"
        try:
            if self.tls:
                generated = certs.build(self.cert)
                self._context, self.ca_pem = generated.context, generated.ca_pem
                self.ca_path = _write_temp(self.ca_pem)
            self._listener = _listen(self.host, self._requested_port, self.max_connections)
            self.port = self._listener.getsockname()[1]
            self._wake = socket.socketpair()
            self._accept_thread = threading.Thread(
                target=self._accept_loop, name="httpexplore-demo-accept", daemon=True)
            self._accept_thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving, close every socket and join every thread. Safe to call twice."""
        with self._lock:
            if self._state == "stopped":
                return
            self._state = "stopped"
        self._stop.set()
        if self._accept_thread is not None:
            with contextlib.suppress(OSError):
                assert self._wake is not None
                self._wake[1].send(b"x")
            self._accept_thread.join()
        with self._lock:
            threads = list(self._live.values())
            for sock in self._live:
                with contextlib.suppress(OSError):
                    # socket.socket.shutdown, not SSLSocket.shutdown: no TLS I/O from this
                    # thread, just wake the owner thread, which closes the socket itself.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=10)
            if thread.is_alive():
                log.warning("demo server: connection thread %s did not stop", thread.name)
        for sock in [self._listener, *(self._wake or ())]:
            if sock is not None:
                sock.close()
        if self.ca_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.ca_path)

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- what a client needs ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._state == "running"

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        """``http(s)://host:port`` (IPv6 hosts in brackets), with no trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def connections(self) -> int:
        """Number of connections being served right now."""
        with self._lock:
            return len(self._live)

    def __repr__(self) -> str:
        cert = f" ({self.cert} cert)" if self.cert != "valid" else ""
        state = {"new": "not started"}.get(self._state, self._state)
        return f"<DemoServer {self.scheme}{cert} {state}>"

    # -- threads -------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None and self._wake is not None
        self._listener.setblocking(False)
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake[0], selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._listener and not self._stop.is_set():
                        try:
                            self._accept_one()
                        except Exception:  # never let one client kill the accept thread
                            log.exception("demo server: error while accepting a connection")

    def _accept_one(self) -> None:
        assert self._listener is not None
        try:
            sock, _ = self._listener.accept()
        except BlockingIOError:  # another wake-up took it, or the client gave up already
            return
        except OSError:  # e.g. out of file descriptors: back off instead of spinning
            self._stop.wait(0.05)
            return
        try:
            sock.setblocking(True)
            # Paced writes must leave at once, and a head and body written separately must
            # not wait for a delayed ACK (Nagle's algorithm): teaching needs real timing.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._context is not None:
                sock = self._context.wrap_socket(sock, server_side=True,
                                                 do_handshake_on_connect=False)
        except OSError:  # reset before we could even look at it
            sock.close()
            return
        with self._lock:
            busy = len(self._live) >= self.max_connections
            if not busy:
                thread = threading.Thread(target=self._serve, args=(sock,),
                                          name="httpexplore-demo-conn", daemon=True)
                self._live[sock] = thread
        if busy:
            self._refuse(sock)
            return
        try:
            thread.start()
        except RuntimeError:  # cannot start a thread: refuse this client, keep serving
            self._forget(sock)
            sock.close()

    def _refuse(self, sock: socket.socket) -> None:
        # Plain HTTP gets a 503 explaining why; over TLS that would need a handshake on the
        # accept thread, so the connection is just closed.
        with contextlib.suppress(OSError):
            if not isinstance(sock, ssl.SSLSocket):
                sock.settimeout(1.0)
                sock.sendall(_BUSY)
        sock.close()

    def _serve(self, sock: socket.socket) -> None:
        wire = Wire(sock, self._stop, self._settings)
        try:
            serve_connection(sock, wire, ROUTER, before_close=self._forget)
        except Exception:  # a bug in a handler must not kill the server or go unnoticed
            log.exception("demo server: unexpected error on a connection")
        finally:
            self._forget(sock)
            sock.close()

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._live.pop(sock, None)


def _listen(host: str, port: int, backlog: int) -> socket.socket:
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    return socket.create_server(address, family=family, backlog=backlog)


def _write_temp(data: bytes) -> str:
    handle, path = tempfile.mkstemp(prefix="httpexplore-demo-ca-", suffix=".pem")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    return path
