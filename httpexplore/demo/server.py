"""``DemoServer``: a loopback HTTP/1.1 (or HTTPS) server started in one line.

Theory of operation
-------------------
Every route plans its response as timed actions (:mod:`.plan`); a *backend* carries the plans
out. The socket backend (:mod:`.socket_server`, the default on CPython) listens on a real
loopback port with one thread per connection. The in-memory backend (:mod:`.memory_server`,
``in_memory=True``, the default under Pyodide where there are no sockets or threads) listens
in the process only: ``HTTPClient.connect_to_host(srv.host, srv.port)`` from the same process
reaches it without a socket. Both look the same from outside: ``host``, ``port``, ``url``,
``start()``/``stop()`` and the context manager.

Only the socket backend speaks TLS; the modules it needs (``socket`` operations, threads,
``ssl``, ``trustme``) are imported when it starts.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from . import certs
from .exchange import Settings
from .routes import ROUTER

if TYPE_CHECKING:
    from .memory_server import MemoryBackend
    from .socket_server import SocketBackend

__all__ = ["DEFAULT_IDLE_TIMEOUT", "DemoServer"]

#: Seconds an idle keep-alive connection is kept open: long enough for a class to pause and
#: talk between two requests, short enough that forgotten connections do not pile up.
DEFAULT_IDLE_TIMEOUT = 300.0


class DemoServer:
    """A teaching HTTP/1.1 server on the loopback interface (or in memory).

    Parameters
    ----------
    tls : bool
        Serve HTTPS with certificates generated at start-up (needs ``trustme``; sockets only).
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
        Seconds before an idle keep-alive connection is closed (300 s by default: a class can
        pause between two requests), before a request that is still arriving gets 408 (10 s),
        and before ``/malformed/silence`` gives up (30 s).
    send_date : bool
        Send a ``Date`` header. Off by default so that stored notebook outputs do not change
        from run to run (RFC 9110 §6.6.1 lets a server without a reliable clock omit it).
    in_memory : bool or None
        Serve in this process only, with no socket and no thread: clients of the same process
        reach it through ``connect_to_host(srv.host, srv.port)``. None (the default) means
        True under Pyodide (``sys.platform == "emscripten"``), False elsewhere. No TLS.
    clock : callable
        In memory only: the clock that paces responses and times out requests (default
        ``time.monotonic``; tests pass a fake one).

    Examples
    --------
    >>> with DemoServer() as srv:          # doctest: +SKIP
    ...     print(srv.url)
    http://127.0.0.1:50123
    """

    def __init__(self, tls: bool = False, host: str = "127.0.0.1", port: int = 0, *,
                 cert: str = "valid", max_connections: int = 512,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT, request_timeout: float = 10.0,
                 silence_timeout: float = 30.0, send_date: bool = False,
                 in_memory: bool | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        if cert not in certs.CERT_KINDS:
            raise ValueError(f"cert must be one of {', '.join(certs.CERT_KINDS)}, not {cert!r}")
        if cert != "valid" and not tls:
            raise ValueError(f"cert={cert!r} only makes sense with tls=True")
        if in_memory is None:
            in_memory = sys.platform == "emscripten"
        if in_memory and tls:
            raise ValueError("an in-memory DemoServer cannot serve TLS: TLS needs a socket "
                             "server (DemoServer(tls=True) on CPython); use in_memory=False, "
                             "or plain http:// in memory")
        if clock is not None and not in_memory:
            raise ValueError("clock= is for in-memory servers only (in_memory=True)")
        self.tls, self.host, self.cert = tls, host, cert
        self.in_memory = in_memory
        self._clock = clock or time.monotonic
        self._requested_port = port
        self.max_connections = max_connections
        self._settings = Settings(idle_timeout, request_timeout, silence_timeout, send_date)
        self._state = "new"
        self._lock = threading.Lock()
        self._backend: SocketBackend | MemoryBackend | None = None
        self.port = 0
        self.ca_pem: bytes | None = None
        self.ca_path: str | None = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> DemoServer:
        """Start serving in the background and return ``self``.

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
            self._backend = self._memory_backend() if self.in_memory else self._socket_backend()
            self.port = self._backend.port
        except BaseException:
            self.stop()
            raise
        return self

    def _memory_backend(self) -> MemoryBackend:
        from .memory_server import MemoryBackend

        return MemoryBackend(self.host, self._requested_port, self.max_connections,
                             self._settings, ROUTER, self._clock)

    def _socket_backend(self) -> SocketBackend:
        from .socket_server import SocketBackend

        context = None
        if self.tls:
            generated = certs.build(self.cert)
            context, self.ca_pem = generated.context, generated.ca_pem
            self.ca_path = _write_temp(self.ca_pem)
        return SocketBackend(self.host, self._requested_port, self.max_connections,
                             self._settings, ROUTER, context)

    def stop(self) -> None:
        """Stop serving, end every connection (and join every thread). Safe to call twice."""
        with self._lock:
            if self._state == "stopped":
                return
            self._state = "stopped"
        if self._backend is not None:
            self._backend.stop()
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
        backend = self._backend
        return backend.connections if backend is not None and self.running else 0

    def __repr__(self) -> str:
        cert = f" ({self.cert} cert)" if self.cert != "valid" else ""
        where = " in memory" if self.in_memory else ""
        state = {"new": "not started"}.get(self._state, self._state)
        return f"<DemoServer {self.scheme}{cert}{where} {state}>"


def _write_temp(data: bytes) -> str:
    handle, path = tempfile.mkstemp(prefix="httpexplore-demo-ca-", suffix=".pem")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    return path
