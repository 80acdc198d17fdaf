"""Helpers shared by ``tests/client`` and ``tests/robustness``.

* scripted clients: an :class:`~httpexplore.HTTPClient` over a
  :class:`~httpexplore.transport.ScriptedTransport`, and a :class:`Driver` that logs every call as
  ``(operation, returned value, status after)`` so tests can assert exact per-poll sequences;
* the tutorial loop (``while REQUESTING: poll()``, then ``while BODY: poll(); read chunk``) as
  :func:`tutorial`, returning an :class:`Outcome`;
* :class:`LoopbackServer`: a tiny threaded TCP (or TLS) server on 127.0.0.1/::1 whose per-connection
  handler writes exact bytes, for live tests that must control the wire byte for byte.

Everything here closes what it opens: the suite runs with ``filterwarnings = error``, so a leaked
socket (ResourceWarning) or an exception escaping a server thread fails the test.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import trustme

from httpexplore import Error, HTTPClient, Method, PollRecord, Status, TLSOptions
from httpexplore.transport import Phase, ScriptedTransport, ScriptStep

__all__ = [
    "ADDRESS", "Certs", "Driver", "Handler", "LoopbackServer", "Outcome", "RecordingTransport",
    "Step", "certs", "collapse", "connect_live", "drain", "exchange", "ipv6_loopback_available",
    "live_exchange", "read_request", "reset_close", "respond", "scripted_client", "serving",
    "tutorial",
]

#: The documentation address (RFC 5737) the scripted transport pretends to connect to.
ADDRESS = "192.0.2.1"

#: One logged call: (operation, returned value, status after the call).
Step = tuple[str, object, Status]


class RecordingTransport(ScriptedTransport):
    """A scripted transport that also remembers what it was asked to open and how TLS started."""

    def __init__(self, incoming: Iterable[ScriptStep] = (), **kwargs: object) -> None:
        super().__init__(incoming, **kwargs)
        self.opened: list[tuple[str, int]] = []
        self.tls_started = 0

    def open(self, host: str, port: int) -> Phase:
        self.opened.append((host, port))
        return super().open(host, port)

    def start_tls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        self.tls_started += 1
        super().start_tls(context, server_hostname)


def scripted_client(incoming: Iterable[ScriptStep] = (), **kwargs: object
                    ) -> tuple[HTTPClient, RecordingTransport]:
    """A non-recording client whose every connection uses one :class:`RecordingTransport`."""
    client_kw = {k: kwargs.pop(k) for k in ("connect_timeout", "read_timeout") if k in kwargs}
    transport = RecordingTransport(incoming, **kwargs)
    client = HTTPClient(record=False, transport_factory=lambda: transport,
                        **client_kw)
    return client, transport


class Driver:
    """Calls client methods and logs ``(op, result, status after)`` for each call."""

    def __init__(self, client: HTTPClient) -> None:
        self.client = client
        self.steps: list[Step] = []

    def _log(self, op: str, result: object) -> object:
        self.steps.append((op, result, self.client.get_status()))
        return result

    def connect(self, host: str = ADDRESS, port: int = -1,
                tls: TLSOptions | None = None) -> Error:
        return self._log("connect", self.client.connect_to_host(host, port, tls))

    def poll(self, times: int = 1) -> Error:
        result = Error.OK
        for _ in range(times):
            result = self._log("poll", self.client.poll())
        return result

    def request(self, method: Method = Method.GET, url: str = "/",
                headers: Sequence[str] = (), body: str = "") -> Error:
        return self._log("request", self.client.request(method, url, list(headers), body))

    def read(self) -> bytes:
        chunk = self.client.read_response_body_chunk()
        self._log("read", len(chunk))
        return chunk

    def close(self) -> None:
        self.client.close()
        self._log("close", None)


@dataclass
class Outcome:
    """What the tutorial loop saw."""

    statuses: list[Status]           # status after each call, consecutive repeats collapsed
    final: Status
    body: bytes
    code: int
    headers: list[str]
    trailers: list[str]
    message: str
    error: Error
    reads: list[int] = field(default_factory=list)  # sizes of non-empty body reads
    results: list[Error] = field(default_factory=list)  # every poll() result


def collapse(statuses: Iterable[Status]) -> list[Status]:
    out: list[Status] = []
    for s in statuses:
        if not out or out[-1] is not s:
            out.append(s)
    return out


def tutorial(client: HTTPClient, *, max_calls: int = 200_000, deadline: float | None = None,
             nap: float = 0.0) -> Outcome:
    """Run the Godot tutorial's loops from REQUESTING to the end.

    ``deadline`` (seconds) turns a hang into a test failure; ``nap`` sleeps between calls that
    brought nothing (live tests, so the server thread gets the CPU).
    """
    seen = [client.get_status()]
    body = bytearray()
    reads: list[int] = []
    results: list[Error] = []
    end = None if deadline is None else time.monotonic() + deadline
    calls = 0

    def tick() -> None:
        nonlocal calls
        calls += 1
        assert calls <= max_calls, f"tutorial loop did not finish in {max_calls} calls"
        if end is not None:
            assert time.monotonic() < end, f"tutorial loop hung in {client.get_status().name}"

    while client.get_status() is Status.REQUESTING:
        tick()
        results.append(client.poll())
        seen.append(client.get_status())
        if nap and client.get_status() is Status.REQUESTING:
            time.sleep(nap)
    while client.get_status() is Status.BODY:
        tick()
        results.append(client.poll())
        seen.append(client.get_status())
        chunk = client.read_response_body_chunk()
        seen.append(client.get_status())
        if chunk:
            reads.append(len(chunk))
            body += chunk
        elif nap:
            time.sleep(nap)
    return Outcome(statuses=collapse(seen), final=client.get_status(), body=bytes(body),
                   code=client.get_response_code(), headers=client.get_response_headers(),
                   trailers=client.get_response_trailers(), message=client.error_message,
                   error=client.error, reads=reads, results=results)


def exchange(incoming: Iterable[ScriptStep], *, method: Method = Method.GET, url: str = "/",
             headers: Sequence[str] = (), chunk_size: int | None = None,
             on_poll: Callable[[PollRecord], None] | None = None,
             **kwargs: object) -> tuple[Outcome, HTTPClient, RecordingTransport]:
    """Connect a scripted client to :data:`ADDRESS`, send one request and run the tutorial loop."""
    client, transport = scripted_client(incoming, **kwargs)
    if on_poll is not None:
        client.on_poll(on_poll)
    if chunk_size is not None:
        client.read_chunk_size = chunk_size
    assert client.connect_to_host(ADDRESS, 80) is Error.OK
    assert client.poll() is Error.OK
    assert client.get_status() is Status.CONNECTED
    assert client.request(method, url, list(headers)) is Error.OK
    return tutorial(client), client, transport


# ------------------------------------------------------------------------------ live ------
def ipv6_loopback_available() -> bool:
    """True if this machine can listen on and connect to ``::1``."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def connect_live(client: HTTPClient, host: str, port: int, tls: TLSOptions | None = None,
                 *, deadline: float = 10.0) -> list[Status]:
    """``connect_to_host`` then poll (with short naps) until the status leaves
    RESOLVING/CONNECTING.  Returns the collapsed statuses seen."""
    seen = [client.get_status()]
    result = client.connect_to_host(host, port, tls)
    seen.append(client.get_status())
    assert result in (Error.OK, Error.ERR_CANT_CONNECT), (result, client.error_message)
    end = time.monotonic() + deadline
    while client.get_status() in (Status.RESOLVING, Status.CONNECTING):
        assert time.monotonic() < end, "connecting hung"
        client.poll()
        seen.append(client.get_status())
        time.sleep(0.0005)
    return collapse(seen)


def poll_while_idle(client: HTTPClient, *, deadline: float = 5.0) -> Error:
    """Poll an idle CONNECTED client (with short naps) until something ends it (the server
    closes, unsolicited bytes arrive); return the last poll's result.  Fails if nothing happens
    within ``deadline`` seconds."""
    result = Error.OK
    end = time.monotonic() + deadline
    while client.get_status() is Status.CONNECTED:
        assert time.monotonic() < end, "the idle connection never changed"
        result = client.poll()
        time.sleep(0.002)
    return result


def live_exchange(client: HTTPClient, method: Method = Method.GET, url: str = "/",
                  headers: Sequence[str] = (), body: str = "", *,
                  deadline: float = 10.0) -> Outcome:
    """Send one request on a CONNECTED live client and run the tutorial loop."""
    assert client.get_status() is Status.CONNECTED, (client.get_status(), client.error_message)
    assert client.request(method, url, list(headers), body) is Error.OK
    return tutorial(client, deadline=deadline, nap=0.0005)


def read_request(conn: socket.socket) -> bytes:
    """Read one request (head, plus a Content-Length body) from ``conn``; ``b""`` at EOF."""
    data = bytearray()
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return bytes(data)
        data += piece
    head, _sep, rest = bytes(data).partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _c, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = bytearray(rest)
    while len(body) < length:
        piece = conn.recv(65536)
        if not piece:
            break
        body += piece
    return head + b"\r\n\r\n" + bytes(body)


def reset_close(conn: socket.socket) -> None:
    """Close with SO_LINGER 0, so the peer gets a TCP RST instead of a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()


Handler = Callable[[socket.socket, "LoopbackServer"], None]


class LoopbackServer:
    """A tiny threaded server: each accepted connection runs ``handler(conn, server)`` in its own
    thread.  ``requests`` collects what :meth:`read` returned (for exact request bytes);
    ``connections`` counts accepted connections; ``errors`` keeps handler exceptions (a
    test asserts it is empty when the server is expected to be happy).

    With ``tls`` (a server ``SSLContext``) each connection is wrapped and the handshake done
    before the handler runs; a failed handshake is recorded in ``tls_errors``.
    """

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1",
                 tls: ssl.SSLContext | None = None, timeout: float = 10.0) -> None:
        self.handler = handler
        self.host = host
        self.tls = tls
        self.timeout = timeout
        self.port = 0
        self.connections = 0
        self.requests: list[bytes] = []
        self.errors: list[BaseException] = []
        self.tls_errors: list[BaseException] = []
        self.client_gone = 0  # sends that failed because the client had closed already
        self.sni: list[str | None] = []
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        if tls is not None:
            tls.sni_callback = self._on_sni

    def _on_sni(self, _sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        self.sni.append(name)

    @property
    def url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def read(self, conn: socket.socket) -> bytes:
        """Read one request and remember it."""
        data = read_request(conn)
        if data:
            with self._lock:
                self.requests.append(data)
        return data

    def __enter__(self) -> LoopbackServer:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, 0))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, name="loopback-accept", daemon=True)
        self._threads.append(thread)
        thread.start()
        return self

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stop.is_set():
            ready, _w, _x = select.select([listener], [], [], 0.02)
            if not ready:
                continue
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True,
                                      name="loopback-conn")
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(self.timeout)
            if self.tls is not None:
                try:
                    tls_conn = self.tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError) as exc:
                    self.tls_errors.append(exc)
                    return
                with self._lock:
                    self._conns.append(tls_conn)
                conn = tls_conn
            self.handler(conn, self)
        except Exception as exc:  # recorded, never raised in a thread (filterwarnings=error)
            self.errors.append(exc)
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # unblock handlers waiting in recv()
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=10)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.close()
        if self._listener is not None:
            self._listener.close()


# Handlers ---------------------------------------------------------------------------------
def respond(*responses: bytes, close: bool = False, linger_reset: bool = False) -> Handler:
    """For each request read, send the next response; then close (gracefully, or with RST),
    or keep the connection open until the client closes it."""

    def handler(conn: socket.socket, server: LoopbackServer) -> None:
        for response in responses:
            if not server.read(conn):
                return
            try:
                conn.sendall(response)
            except (BrokenPipeError, ConnectionResetError):
                server.client_gone += 1  # the client gave up first (e.g. a refused head)
                return
        if linger_reset:
            reset_close(conn)
            return
        if close:
            with contextlib.suppress(OSError):  # ENOTCONN if the client has closed already
                conn.shutdown(socket.SHUT_WR)
        drain(conn)  # keep-alive: wait for further requests (unexpected) or the client's close

    return handler


def drain(conn: socket.socket) -> None:
    """Read (and remember nothing) until the peer closes or the server stops."""
    with contextlib.suppress(OSError):
        while conn.recv(65536):
            pass


@contextlib.contextmanager
def serving(*responses: bytes, **kwargs: object) -> Iterator[LoopbackServer]:
    """``with serving(b"HTTP/1.1 200 OK...") as srv:`` — shorthand for :func:`respond`."""
    close = bool(kwargs.pop("close", False))
    linger = bool(kwargs.pop("linger_reset", False))
    with LoopbackServer(respond(*responses, close=close, linger_reset=linger),
                        **kwargs) as server:
        yield server


# TLS --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Certs:
    """Certificates generated at test time with trustme (ECDSA, so it is fast)."""

    ca_pem: bytes
    good: trustme.LeafCert          # localhost, 127.0.0.1, ::1, cn.example.test
    expired: trustme.LeafCert
    wrong_host: trustme.LeafCert    # only wrong.example.test
    untrusted: trustme.LeafCert     # issued by a CA the client does not trust
    self_signed: trustme.CA         # a CA certificate served as the leaf

    def context(self, leaf: trustme.LeafCert | trustme.CA) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        if isinstance(leaf, trustme.CA):
            with leaf.cert_pem.tempfile() as cert, leaf.private_key_pem.tempfile() as key:
                ctx.load_cert_chain(cert, key)
        else:
            leaf.configure_cert(ctx)
        return ctx


@functools.cache
def certs() -> Certs:
    ca = trustme.CA()
    past = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    return Certs(
        ca_pem=ca.cert_pem.bytes(),
        good=ca.issue_cert("localhost", "127.0.0.1", "::1", "cn.example.test"),
        expired=ca.issue_cert("localhost", "127.0.0.1", not_before=past - datetime.timedelta(
            days=30), not_after=past),
        wrong_host=ca.issue_cert("wrong.example.test"),
        untrusted=trustme.CA().issue_cert("localhost", "127.0.0.1"),
        self_signed=trustme.CA())
