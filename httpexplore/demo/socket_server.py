"""The threaded socket server: executes connection plans on real loopback sockets.

Theory of operation
-------------------
``start()`` binds a listening socket and starts one *accept thread*. The accept thread waits
on a selector for either a new connection or a byte on a private wake-up socket pair; each
accepted connection gets its own daemon thread, which runs the connection's plan
(:func:`~.connection.connection_plan`) with :func:`run_plan`: ``Send`` is a blocking
``sendall``, ``Pause`` a wait on the stop event, ``Need`` a ``recv`` bounded by the plan's
deadline, ``Close`` the end (a staged close, an abrupt one, or a reset with SO_LINGER 0). At
most ``max_connections`` connections are served at once; beyond that a new connection gets
``503 Service Unavailable`` and is closed, so threads and memory stay bounded.

``stop()`` sets the stop event (every pausing plan wakes up and gives up), wakes the accept
thread and joins it, shuts down every live connection socket (which wakes threads blocked in
``recv`` or ``send``), joins the connection threads, then closes the listener. A socket is
only shut down while it is registered, and a connection thread unregisters its socket before
closing it, both under one lock: a file descriptor number is never shut down after it could
have been reused.

This module is imported only when a socket server starts: ``import httpexplore.demo`` needs
no sockets, threads or ``ssl`` (the in-memory server runs where there are none).
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import struct
import threading
import time
from typing import TYPE_CHECKING

from .connection import Router, busy_response, connection_plan
from .exchange import Settings
from .plan import ClientGone, Close, Inbox, Need, Pause, PeerClosed, Plan, RequestTimeout, Send

if TYPE_CHECKING:
    import ssl

__all__ = ["SocketBackend", "run_plan", "serve_socket"]

log = logging.getLogger("httpexplore.demo")

# After a final "Connection: close" response, keep reading (and discarding) for a moment
# before closing: closing a socket with unread input makes the kernel send RST, which can
# destroy the response before the client reads it (RFC 9112 §9.6 "staged" close).
_LINGER_SECONDS = 1.0
_LINGER_BYTES = 1024 * 1024


class Stopping(Exception):
    """The server is stopping; the plan is abandoned."""


def run_plan(plan: Plan, sock: socket.socket, inbox: Inbox, stop: threading.Event,
             settings: Settings) -> Close:
    """Carry out ``plan`` on a blocking socket; return its final :class:`Close`.

    Raises :class:`ClientGone` when a write fails and :class:`Stopping` when the server stops.
    Writes time out after ``idle_timeout`` (a client that stops reading).
    """
    throw: Exception | None = None
    try:
        while True:
            action = plan.send(None) if throw is None else plan.throw(throw)
            throw = None
            if isinstance(action, Send):
                try:
                    sock.settimeout(settings.idle_timeout)
                    sock.sendall(action.data)
                except OSError as exc:  # includes timeouts and ssl.SSLError
                    raise ClientGone(str(exc)) from exc
            elif isinstance(action, Pause):
                if stop.wait(action.seconds):
                    raise Stopping
            elif isinstance(action, Need):
                if stop.is_set():
                    raise Stopping
                throw = _receive(sock, inbox, action.deadline)
            else:
                return action
    except StopIteration:
        return Close()
    finally:
        plan.close()


def _receive(sock: socket.socket, inbox: Inbox, deadline: float) -> Exception | None:
    """Append what arrives before ``deadline`` to the inbox; or the exception for the plan."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return RequestTimeout()
    try:
        sock.settimeout(remaining)
        data = sock.recv(65536)
    except TimeoutError:
        return RequestTimeout()
    except OSError as exc:
        return ClientGone(str(exc))
    if not data:
        return PeerClosed()
    inbox.buffer += data
    return None


def serve_socket(sock: socket.socket, stop: threading.Event, settings: Settings,
                 router: Router, tls: bool) -> None:
    """Serve requests on ``sock`` until either side closes (the caller closes ``sock``)."""
    graceful = False
    try:
        if tls and not _handshake(sock, settings):
            return
        inbox = Inbox(time.monotonic)
        ending = run_plan(connection_plan(inbox, settings, router), sock, inbox, stop, settings)
        if ending.reset:
            # SO_LINGER with a zero timeout turns close() into an immediate RST.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        graceful = ending.graceful
    except (ClientGone, PeerClosed, Stopping, OSError):
        pass
    finally:
        _finish(sock, graceful and not stop.is_set(), tls)


def _handshake(sock: socket.socket, settings: Settings) -> bool:
    try:
        sock.settimeout(settings.request_timeout)
        sock.do_handshake()  # type: ignore[attr-defined]  # an ssl.SSLSocket
    except (OSError, ValueError):  # a client that rejects our certificate ends up here
        return False
    return True


def _finish(sock: socket.socket, graceful: bool, tls: bool) -> None:
    """Before closing: if ``graceful``, signal the end of data and drain the client."""
    if not graceful:
        return
    with contextlib.suppress(OSError, ValueError):
        sock.settimeout(_LINGER_SECONDS)
        if tls:
            sock.unwrap()  # type: ignore[attr-defined]  # close_notify (RFC 9112 §9.8)
        else:
            sock.shutdown(socket.SHUT_WR)
            _drain(sock)


def _drain(sock: socket.socket) -> None:
    deadline = time.monotonic() + _LINGER_SECONDS
    received = 0
    while received < _LINGER_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        sock.settimeout(remaining)
        data = sock.recv(65536)
        if not data:
            return
        received += len(data)


class SocketBackend:
    """The listening socket, the accept thread and one thread per connection."""

    def __init__(self, host: str, port: int, max_connections: int, settings: Settings,
                 router: Router, context: ssl.SSLContext | None) -> None:
        self.max_connections = max_connections
        self._settings = settings
        self._router = router
        self._context = context
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._live: dict[socket.socket, threading.Thread] = {}
        # Every connection thread that may still run: a thread leaves ``_live`` just before it
        # returns, and stop() must join it all the same (no thread may outlive stop()).
        self._threads: set[threading.Thread] = set()
        self._listener = _listen(host, port, max_connections)
        self.port: int = self._listener.getsockname()[1]
        self._wake = socket.socketpair()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="httpexplore-demo-accept", daemon=True)
        try:
            self._accept_thread.start()
        except BaseException:
            self._close_sockets()
            raise

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._live)

    def stop(self) -> None:
        self._stop.set()
        if self._accept_thread.is_alive():
            with contextlib.suppress(OSError):
                self._wake[1].send(b"x")
            self._accept_thread.join()
        with self._lock:
            threads = list(self._threads)
            for sock in self._live:
                with contextlib.suppress(OSError):
                    # socket.socket.shutdown, not SSLSocket.shutdown: no TLS I/O from this
                    # thread, just wake the owner thread, which closes the socket itself.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
        for thread in threads:
            if thread.ident is None:  # never started (start() failed): nothing to join
                continue
            thread.join(timeout=10)
            if thread.is_alive():
                log.warning("demo server: connection thread %s did not stop", thread.name)
        self._close_sockets()

    def _close_sockets(self) -> None:
        for sock in [self._listener, *self._wake]:
            sock.close()

    def _accept_loop(self) -> None:
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
                self._threads = {t for t in self._threads if t.is_alive()}
                self._threads.add(thread)
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
            if self._context is None:
                sock.settimeout(1.0)
                sock.sendall(busy_response())
        sock.close()

    def _serve(self, sock: socket.socket) -> None:
        try:
            serve_socket(sock, self._stop, self._settings, self._router,
                         tls=self._context is not None)
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
