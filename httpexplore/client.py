"""``HTTPClient``: Godot Engine's poll-driven HTTP/1.1 client, in Python, on h11.

Nothing happens unless you call :meth:`HTTPClient.poll` (or read the body); each call does one
small, bounded step (resolve or connect, write the request, read the head, read the body, check
the idle connection) and returns at once unless :attr:`HTTPClient.blocking_mode_enabled`.  After
every public step one :class:`~httpexplore.records.PollRecord` goes to the ``on_poll``
subscribers.  Failures never raise: they become a terminal status, :attr:`HTTPClient.error` and
a plain-language :attr:`HTTPClient.error_message`.  Where Godot breaks RFC 9112 this client
follows the RFC (the README's "Godot parity and deliberate divergences").

This module is Godot's API, a facade over the layers of docs/architecture.md: the poll loop
(:mod:`~httpexplore.driver`), the connector, the HTTP/1.1 engine with no I/O (it owns h11), and
the argument checks (:mod:`~httpexplore.request`).  Imports go one way, from here down.  The
clock is passed in (``HTTPClient(clock=...)``, default ``time.monotonic``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar, overload

from . import query
from ._steps import PollCallback, QuietCallback, StepCallback
from .driver import Driver
from .errors import Error
from .request import (
    check_connect_types,
    check_request_types,
    chunk_size_problem,
    connect_arguments,
    proxy_setting,
    request_problem,
)
from .status import GodotConstants, Method, Status
from .tls import TLSOptions
from .transport import Transport

__all__ = ["HTTPClient"]

__version__ = "0.1.0"

#: Proxy credentials: ``(user, password)`` (Basic) or a ``Proxy-Authorization`` value.
ProxyCredentials = tuple[str, str] | str | None
_T = TypeVar("_T")


class _OnDriver(Generic[_T]):
    """A client attribute that lives on its driver (read and written there)."""

    def __init__(self, name: str, doc: str) -> None:
        self.name, self.__doc__ = name, doc

    @overload
    def __get__(self, client: None, owner: type) -> _OnDriver[_T]: ...
    @overload
    def __get__(self, client: HTTPClient, owner: type) -> _T: ...
    def __get__(self, client: HTTPClient | None, owner: type) -> Any:
        return self if client is None else getattr(client._d, self.name)

    def __set__(self, client: HTTPClient, value: _T) -> None:
        setattr(client._d, self.name, value)


class HTTPClient(GodotConstants):
    """A Godot-compatible, poll-driven HTTP/1.1 client.

    Parameters
    ----------
    record:
        Attach a recorder (``client.trace``) when one is available (importing :mod:`httpexplore`
        makes it so).  ``False`` for the leanest client.
    transport_factory:
        Builds the transport for each connection; default: real sockets (or an in-memory server
        of this process at that address).  Tests pass a ``ScriptedTransport`` factory.
    connect_timeout:
        Seconds for resolving, connecting, any proxy tunnel and the TLS handshake (Godot's
        default: 30).  ``None`` waits forever.
    read_timeout:
        Seconds without a byte while a response is awaited (default ``None``, as Godot).
    request_timeout:
        Seconds from ``request()`` until the response is complete, however steadily bytes
        arrive (default ``None``: no limit, as Godot).
    clock:
        Seconds as a float, never going back (default ``time.monotonic``): the only clock the
        client, its connector, its records and its recorder use.

    Godot's constants are on the class: ``HTTPClient.STATUS_BODY``, ``HTTPClient.RESPONSE_OK``.
    """

    #: Set by ``httpexplore/__init__.py`` to the recorder class, so a new client records by
    #: default without ``client.py`` importing the recorder (imports go one way).
    recorder_factory: ClassVar[Callable[[HTTPClient], Any] | None] = None

    def __init__(self, *, record: bool = True,
                 transport_factory: Callable[[], Transport] | None = None,
                 connect_timeout: float | None = 30.0,
                 read_timeout: float | None = None,
                 request_timeout: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._d = Driver(clock, transport_factory, connect_timeout, read_timeout,
                         request_timeout, f"httpexplore/{__version__}")
        self.trace: Any = None
        factory = type(self).recorder_factory
        if record and factory is not None:
            self.trace = factory(self)

    @property
    def clock(self) -> Callable[[], float]:
        """The client's clock (``time.monotonic`` unless another was given)."""
        return self._d.clock

    # ------------------------------------------------------------------ subscriptions ----
    def on_poll(self, callback: PollCallback) -> None:
        """Call ``callback(record)`` after every public step (connect, request, poll, read,
        close).  Records are frozen :class:`~httpexplore.records.PollRecord` objects.

        Every step is delivered as it ends, with ``repeat`` = 1 (the client folds nothing: the
        recorder folds runs of identical quiet steps into one record, see
        :mod:`httpexplore.trace`).  An idle ``poll()`` therefore costs one call per subscriber."""
        self._d.log.on_poll(callback)

    def off_poll(self, callback: PollCallback) -> None:
        """Stop calling ``callback``.  Unknown callbacks are ignored."""
        self._d.log.off_poll(callback)

    def on_step(self, callback: StepCallback, on_quiet: QuietCallback | None = None) -> None:
        """Like :meth:`on_poll`, but ``callback`` receives the record's fields as positional
        arguments, in :class:`~httpexplore.records.PollRecord`'s field order, and no object is
        built for the call: the cheap form, for recorders (it runs on every step of a
        download).

        ``on_quiet``, if given, is called instead of ``callback`` for a *quiet* step (nothing
        written, read or handed out, no event, status unchanged, ``OK``: an idle poll) as
        ``on_quiet(index, op, time, started, status, cycle)``, the only fields such a step's
        record does not share with every quiet record; this keeps an idle ``poll()`` as cheap
        as the recorder can make it."""
        self._d.log.on_step(callback, on_quiet)

    def off_step(self, callback: StepCallback) -> None:
        """Stop calling ``callback`` (added by :meth:`on_step`).  Unknown ones are ignored."""
        self._d.log.off_step(callback)

    # ------------------------------------------------------------------ settings ---------
    @property
    def read_chunk_size(self) -> int:
        """Most bytes one :meth:`read_response_body_chunk` returns (256 .. 16 MiB; default
        65536).  Out-of-range values are refused (value unchanged, ``error`` set)."""
        return self._d.read_chunk_size

    @read_chunk_size.setter
    def read_chunk_size(self, value: int) -> None:
        self.set_read_chunk_size(value)

    def set_read_chunk_size(self, value: int) -> Error:
        """Godot's setter: returns ``ERR_INVALID_PARAMETER`` and keeps the old value when
        ``value`` is outside 256 .. 16777216."""
        problem = chunk_size_problem(value, self._d.read_chunk_size)  # (TypeError: not an int)
        if problem is not None:
            return self._d.caller_mistake(Error.ERR_INVALID_PARAMETER, problem)
        self._d.read_chunk_size = value
        return Error.OK

    def get_read_chunk_size(self) -> int:
        return self._d.read_chunk_size

    blocking_mode_enabled: _OnDriver[bool] = _OnDriver(
        "blocking", "Godot's blocking mode: ``poll()`` and reads wait for the network.")
    connect_timeout: _OnDriver[float | None] = _OnDriver(
        "connect_timeout", "Seconds for resolving, connecting, tunnel and TLS (None: forever).")
    read_timeout: _OnDriver[float | None] = _OnDriver(
        "read_timeout", "Seconds without a byte while a response is awaited (None: forever).")
    request_timeout: _OnDriver[float | None] = _OnDriver(
        "request_timeout", "Seconds from ``request()`` to a complete response (None: no limit).")
    error: _OnDriver[Error] = _OnDriver(
        "error", "The code of the last failure or refusal (``OK`` after a successful call).")
    error_message: _OnDriver[str] = _OnDriver(
        "error_message", "A plain-language explanation of :attr:`error` (``\"\"`` when OK).")

    def set_blocking_mode(self, enabled: bool) -> None:
        self._d.blocking = bool(enabled)

    def is_blocking_mode_enabled(self) -> bool:
        return self._d.blocking

    # ------------------------------------------------------------------ queries ----------
    def get_status(self) -> Status:
        """The current :class:`~httpexplore.status.Status`; call :meth:`poll` to update it."""
        return self._d.status

    @property
    def status(self) -> Status:
        return self._d.status

    def has_response(self) -> bool:
        """True once a final response head has arrived, until the next request or close.
        (Godot clears this when the headers are read: README, divergence 7.)"""
        return self._d.engine.c.head_received

    def get_response_code(self) -> int:
        """The final response's status code; 0 before any response and after ``close()``."""
        return self._d.engine.c.response_code

    def get_response_reason(self) -> str:
        """The reason phrase of the final response, as received."""
        return self._d.engine.c.reason

    def get_response_http_version(self) -> str:
        """``"1.1"`` or ``"1.0"`` for the final response, ``""`` before one."""
        return self._d.engine.c.http_version

    def get_response_headers(self) -> list[str]:
        """Response headers as ``"Name: value"`` strings: order, case and duplicates as
        received.  Does not consume them (Godot does: README, divergence 7)."""
        return [f"{name}: {value}" for name, value in self._d.engine.c.headers]

    def get_response_headers_as_dictionary(self) -> dict[str, str]:
        """Headers as a dict; key case as received; a repeated name keeps its last value
        (as Godot's code does)."""
        return {name: value for name, value in self._d.engine.c.headers}

    def get_response_trailers(self) -> list[str]:
        """Trailer fields of a chunked response (``"Name: value"``), once the body is read."""
        return [f"{name}: {value}" for name, value in self._d.engine.c.trailers]

    def get_interim_responses(self) -> list[int]:
        """Status codes of the 1xx interim responses that preceded the final one."""
        return list(self._d.engine.c.interim)

    def is_response_chunked(self) -> bool:
        """True when the body uses chunked transfer coding (name matched case-insensitively)."""
        return self._d.engine.c.chunked

    def get_response_body_length(self) -> int:
        """The Content-Length of the body; 0 when the response has no body (HEAD, 204, 304);
        -1 when unknown (chunked or read until close)."""
        return self._d.engine.c.body_length

    def get_response_body_bytes_received(self) -> int:
        """Body bytes received so far for the current response (buffered or handed out)."""
        c = self._d.engine.c
        return c.body_delivered + c.body_buffered

    def get_response_body_buffered(self) -> int:
        """Body bytes received but not yet returned by :meth:`read_response_body_chunk`."""
        return self._d.engine.c.body_buffered

    @property
    def host(self) -> str:
        return self._d.host

    @property
    def port(self) -> int:
        return self._d.port

    @property
    def tls_enabled(self) -> bool:
        return self._d.tls is not None

    @property
    def peer(self) -> tuple[str, int] | None:
        transport = self._d.transport
        return transport.peer if transport is not None else None

    def fileno(self) -> int | None:
        """The file descriptor the connection's next bytes arrive on (to wait for readability,
        e.g. with ``loop.add_reader``), or None when there is none: not connected, or a
        transport without a socket (in memory, scripted)."""
        fileno = getattr(self._d.transport, "fileno", None)  # (a caller's transport may lack it)
        return fileno() if fileno is not None else None

    @property
    def connection_count(self) -> int:
        """TCP connections opened by this client so far."""
        return self._d.connections

    @property
    def request_count(self) -> int:
        """Requests made by this client so far."""
        return self._d.requests

    # ------------------------------------------------------------------ proxies ----------
    def set_http_proxy(self, host: str, port: int, *,
                       credentials: ProxyCredentials = None) -> Error:
        """Send plain-HTTP requests through ``host:port`` (absolute-form targets).  An empty
        host or port -1 unsets it.  A port or host that is not valid is refused with
        ``ERR_INVALID_PARAMETER`` (the setting is unchanged).

        ``credentials`` (beyond Godot): ``(user, password)`` for Basic authentication
        (RFC 7617), or a ready ``Proxy-Authorization`` field value; sent as
        ``Proxy-Authorization`` on each request to this proxy, never anywhere else."""
        proxy, auth, problem = proxy_setting("set_http_proxy", host, port, credentials)
        if problem is not None:
            return self._d.caller_mistake(Error.ERR_INVALID_PARAMETER, problem)
        self._d.http_proxy, self._d.http_proxy_auth = proxy, auth
        return Error.OK

    def set_https_proxy(self, host: str, port: int, *,
                        credentials: ProxyCredentials = None) -> Error:
        """Tunnel HTTPS connections through ``host:port`` with ``CONNECT``.  An empty host or
        port -1 unsets it.  A port or host that is not valid is refused with
        ``ERR_INVALID_PARAMETER``.  ``credentials`` as for :meth:`set_http_proxy`: sent with
        ``CONNECT`` only, never through the tunnel to the origin."""
        proxy, auth, problem = proxy_setting("set_https_proxy", host, port, credentials)
        if problem is not None:
            return self._d.caller_mistake(Error.ERR_INVALID_PARAMETER, problem)
        self._d.https_proxy, self._d.https_proxy_auth = proxy, auth
        return Error.OK

    @staticmethod
    def query_string_from_dict(fields: Mapping[Any, Any]) -> str:
        """Godot's ``application/x-www-form-urlencoded`` builder: ``None`` → bare key, a list
        → the key repeated, everything percent-encoded except ``A-Z a-z 0-9 - . _ ~``."""
        return query.query_string_from_dict(fields)

    # ------------------------------------------------------------------ the steps --------
    def connect_to_host(self, host: str, port: int = -1,
                        tls_options: TLSOptions | None = None) -> Error:
        """Start connecting to ``host``; returns ``OK`` and moves to RESOLVING (a name) or
        CONNECTING (an IP literal).  Always closes any previous connection first.

        ``https://`` in ``host`` enables TLS (default verification unless ``tls_options``);
        ``http://`` disables it even if ``tls_options`` is given.  Port -1 means 80 or 443.
        """
        check_connect_types(host, port, tls_options)
        d = self._d
        started = d.clock()
        before = d.status
        d.close_quietly()
        host, port, tls_options, problem = connect_arguments(host, port, tls_options)
        if problem is not None:
            return d.finish_call("connect_to_host", started, before,
                                 d.caller_mistake(Error.ERR_INVALID_PARAMETER, problem))
        return d.connect(host, port, tls_options, started, before)

    def request(self, method: Method | int, url: str, headers: Sequence[str],
                body: str = "") -> Error:
        """Queue a request; bytes are written by later :meth:`poll` calls.  Returns ``OK`` and
        moves to REQUESTING, or ``ERR_INVALID_PARAMETER`` (bad method, URL or header, or the
        status is not CONNECTED) with a message and no change.

        On a reused keep-alive connection it first looks, without blocking, for what arrived
        while the connection was idle.  Bytes (which answer no request: RFC 9112 §9.3.2) or a
        close by the server end the connection: nothing is written, the status becomes
        CONNECTION_ERROR and ``ERR_CONNECTION_ERROR`` is returned with a message, as Godot's
        ``request()`` does when writing fails.  Connect again to continue."""
        if not isinstance(body, str):
            raise TypeError(f"body must be a str (use request_raw for bytes), not "
                            f"{type(body).__name__}")
        return self._request("request", method, url, headers, body.encode("utf-8"))

    def request_raw(self, method: Method | int, url: str, headers: Sequence[str],
                    body: bytes | bytearray | memoryview = b"") -> Error:
        """Like :meth:`request` with a raw ``bytes`` body."""
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(f"body must be bytes, not {type(body).__name__}")
        return self._request("request_raw", method, url, headers, bytes(body))

    def _request(self, op: str, method: Method | int, url: str, headers: Sequence[str],
                 body: bytes) -> Error:
        check_request_types(method, url, headers)
        d = self._d
        started = d.clock()
        before = d.status
        problem = request_problem(method, url, headers, before, d.error_message)
        if problem is not None:
            return d.finish_call(op, started, before,
                                 d.caller_mistake(Error.ERR_INVALID_PARAMETER, problem))
        return d.request(op, method, url, headers, body, started, before)

    def poll(self) -> Error:
        """Do one bounded step of work for the current status and return Godot's code.

        Never raises for network or protocol failures and never blocks unless
        :attr:`blocking_mode_enabled`.  See the module docstring for what each status does.
        """
        return self._d.poll()

    def read_response_body_chunk(self) -> bytes:
        """Return the body bytes available now, at most :attr:`read_chunk_size`, possibly
        empty.  Outside BODY returns ``b""`` and changes nothing.  The call that hands out the
        last byte moves to CONNECTED (or DISCONNECTED when the connection closes)."""
        return self._d.read_chunk()

    def close(self) -> None:
        """Close the connection and forget the response (keeps host, TLS and proxy settings)."""
        self._d.close()

    # ------------------------------------------------------------------ display -----------
    def __repr__(self) -> str:
        d = self._d
        target = f" {d.host}" if d.host else ""
        return f"<HTTPClient{target} {d.status.name}>"

    def __del__(self) -> None:
        d = getattr(self, "_d", None)
        if d is not None and d.transport is not None:
            d.transport.close()
