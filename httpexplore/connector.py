"""Connecting, one bounded step per poll: resolve, TCP connect, proxy tunnel, TLS handshake.

Theory of operation
-------------------
:meth:`Connector.open` picks the address to dial (the origin, or the proxy that applies) and
builds the transport, :meth:`Connector.dial` starts it.  Each :meth:`Connector.step` then
advances it once: the transport's own phases (name resolution, TCP connect, TLS handshake
rounds), and between them the HTTPS proxy's ``CONNECT`` exchange (RFC 9110 §9.3.6) and the
start of TLS.  A step leaves flags in :attr:`Connector.changes` saying what changed
(:data:`RESOLVED`, :data:`NEW_CYCLE_INFO`, :data:`READY`), also when it fails part-way;
failures raise :class:`~httpexplore.errors.TransportError`, which the driver maps to Godot's
statuses (``CANT_RESOLVE``, ``CANT_CONNECT``, ``TLS_HANDSHAKE_ERROR``).  ``connect_timeout``
is checked here against the time the driver passes in: the connector reads no clock.

What the step wrote, read and observed goes to the client's :class:`~httpexplore._steps.StepLog`.
An in-memory server of this process (:mod:`httpexplore.memory`) is reached without a socket when
the client uses the default transport factory.
"""

from __future__ import annotations

from collections.abc import Callable

from ._steps import StepLog
from .engine import Engine
from .errors import FailureKind, TransportError
from .memory import TRANSPORT_KIND, MemoryTransport, transport_for
from .request import authority, unbracket
from .response import tunnel_answer
from .tls import TLSOptions
from .transport import Phase, SocketTransport, Transport

__all__ = ["NEW_CYCLE_INFO", "READY", "RESOLVED", "Connector"]

#: Flags returned by :meth:`Connector.step`.
RESOLVED, NEW_CYCLE_INFO, READY = 1, 2, 4
_HEAD_READ = 65536  # bytes read per step while waiting for the proxy's answer


class Connector:
    """Brings one connection of a client up (its settings live on the client)."""

    __slots__ = ("_engine", "_log", "changes", "dialled", "factory", "host",
                 "https_proxy_auth", "port", "proxy_kind", "started", "tls")

    def __init__(self, engine: Engine, log: StepLog,
                 factory: Callable[[], Transport] | None) -> None:
        self._engine = engine
        self._log = log
        self.factory: Callable[[], Transport] = factory or SocketTransport
        self.host = ""
        self.port = -1
        self.tls: TLSOptions | None = None
        self.proxy_kind = ""  # "http", "https" or "" for this connection
        self.https_proxy_auth: str | None = None
        self.started = 0.0
        self.dialled = ("", 0)
        self.changes = 0

    def open(self, host: str, port: int, tls: TLSOptions | None,
             http_proxy: tuple[str, int] | None, https_proxy: tuple[str, int] | None,
             https_proxy_auth: str | None, now: float) -> Transport:
        """The transport for a connection to the origin ``host:port`` (or to the proxy that
        applies); :meth:`dial` starts it."""
        self.host, self.port, self.tls = host, port, tls
        self.https_proxy_auth = https_proxy_auth
        target_host, target_port = host, port
        self.proxy_kind = ""
        if tls is not None and https_proxy is not None:
            self.proxy_kind = "https"
            target_host, target_port = https_proxy
        elif tls is None and http_proxy is not None:
            self.proxy_kind = "http"
            target_host, target_port = http_proxy
        self.started = now
        factory = self.factory
        # An in-memory server of this process at that address is reached without a socket.
        in_memory = transport_for(target_host, target_port) if factory is SocketTransport else None
        self.dialled = (unbracket(target_host), target_port)
        return in_memory or factory()

    def dial(self, transport: Transport) -> Phase:
        """Start ``transport`` towards the address :meth:`open` chose: RESOLVING for a name,
        CONNECTING for an IP literal.  Raises TransportError when an IP literal's connect
        failed at once."""
        return transport.open(*self.dialled)

    def step(self, transport: Transport, now: float, resolving: bool, blocking: bool,
             limit: float | None) -> None:
        """One step of connecting (``resolving``: the name is not resolved yet).  What changed
        is left in :attr:`changes` (:data:`RESOLVED` | :data:`NEW_CYCLE_INFO` |
        :data:`READY`), also when a TransportError is raised part-way."""
        self.changes = 0
        if limit is not None and now - self.started > limit:
            stage = "resolving the name" if resolving else "connecting"
            raise TransportError(
                FailureKind.TIMEOUT, f"connect_timeout: gave up after {limit:g} s while {stage} "
                f"to {self.host!r} port {self.port}")
        if self._engine.c.tunnel is not None:
            self._step_tunnel(transport, blocking)
            return
        phase = transport.advance()
        if resolving and phase is not Phase.RESOLVING:
            self._log.event("Resolved", addresses=tuple(transport.addresses))
            self.changes = RESOLVED
        if phase is Phase.READY:
            self._transport_ready(transport, blocking)

    def _transport_ready(self, transport: Transport, blocking: bool) -> None:
        """The stream is up (TCP, or TLS on top).  Start the tunnel or TLS, or be ready."""
        tls_info = transport.tls_info()
        if tls_info:
            self._log.event("TLSHandshakeDone", **tls_info)
            self.changes |= READY
            return
        self.changes |= NEW_CYCLE_INFO  # the peer is known now
        memory = {"transport": TRANSPORT_KIND} if isinstance(transport, MemoryTransport) else {}
        self._log.event("TCPConnected", peer=tuple(transport.peer or ()), **memory)
        if self.proxy_kind == "https" and self._engine.c.tunnel is None:
            # HTTPS proxy: ask for a tunnel with CONNECT host:port (RFC 9110 §9.3.6).
            self._engine.queue_connect(authority(self.host, self.port), self.https_proxy_auth)
            self._step_tunnel(transport, blocking)
        elif self.tls is not None:
            self._start_tls(transport)
        else:
            self.changes |= READY

    def _start_tls(self, transport: Transport) -> None:
        assert self.tls is not None
        try:
            context = self.tls.create_context()
        except (OSError, ValueError) as exc:
            raise TransportError(FailureKind.TLS,
                                 f"the trusted_chain could not be loaded: {exc}") from exc
        transport.start_tls(context, self.tls.server_name(self.host))

    def _step_tunnel(self, transport: Transport, blocking: bool) -> None:
        """Send ``CONNECT``, then read the proxy's answer (a refusal raises TransportError)."""
        engine = self._engine
        tunnel = engine.c.tunnel
        assert tunnel is not None
        out = engine.outgoing()
        while out is not None:
            if blocking:
                transport.wait(read=False, write=True, timeout=None)
            n = transport.send(out)
            if n:
                self._log.sent.append(engine.wrote(n))
            elif not blocking:
                return
            out = engine.outgoing()
        data = transport.recv(_HEAD_READ)
        if data is None:
            return
        if data:
            self._log.received.append(data)
        status_code = tunnel_answer(tunnel, data, authority(self.host, self.port))
        if status_code is None:
            return
        self._log.event("TunnelEstablished", status_code=status_code)
        engine.c.tunnel = None
        self.changes |= NEW_CYCLE_INFO
        self._start_tls(transport)
