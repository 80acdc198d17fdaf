"""``HTTPClient``: Godot Engine's poll-driven HTTP/1.1 client, in Python, on h11.

Theory of operation
-------------------
Nothing happens unless you call :meth:`HTTPClient.poll` (or read the body).  Each call does one
small, bounded step and returns at once (unless :attr:`HTTPClient.blocking_mode_enabled`):

* ``RESOLVING`` / ``CONNECTING``: advance the transport one step (DNS result ready? TCP connect
  finished? one more round of the TLS handshake?  the HTTPS proxy's ``CONNECT`` answered?).
* ``REQUESTING``: write what the socket accepts of the queued request, then read what has
  arrived and feed it to h11, the parser of record for every byte of framing.
* ``BODY``: read what has arrived into the body buffer; :meth:`read_response_body_chunk` hands it
  out, at most :attr:`read_chunk_size` bytes per call.
* ``CONNECTED``: check that the idle connection is still alive and silent.

The status only ever changes through :func:`httpexplore.status.next_status`, and after every public
step one frozen :class:`~httpexplore.records.PollRecord` goes to the ``on_poll`` subscribers (the
recorder is one).  Network and protocol failures never raise: they become a terminal status plus
:attr:`HTTPClient.error` and a plain-language :attr:`HTTPClient.error_message`.

Where Godot's own implementation breaks RFC 9112 this client follows the RFC (SPEC §2.3): 1xx
responses are interim, 204/304/HEAD responses have no body, a truncated body is an error, a
``Connection: close`` response closes the socket, chunk extensions and trailers are accepted, data
arriving while no request is outstanding closes the connection, and reading the headers does not
consume them.

Response-queue poisoning (RFC 9112 §9.3.2): the client looks, without blocking, behind every
complete response (``_look_behind``) and before writing a request on a reused connection
(``_probe_reused``, in ``request()`` and in the poll that writes the first byte).  Bytes found
there answer no request: they are recorded, the connection is closed and the status becomes
CONNECTION_ERROR.  These looks run once per response or request, never on an idle poll.

This module is the Godot API and the poll loop; what it calls lives next to it (imports go one
way, from here down):

* :mod:`httpexplore.request`: the caller's arguments checked (URL, headers, ports), Godot's
  automatic headers, the request serialised by h11 (and the last one cached), ``CONNECT``.
* :mod:`httpexplore.response`: h11's events applied to the cycle, the framing decisions
  (RFC 9112 §6.3), the head-size limit, the proxy's answer to ``CONNECT``.
* :mod:`httpexplore._cycle`: the state of one connection and its response, and the body buffer
  that :meth:`HTTPClient.read_response_body_chunk` takes from.
* :mod:`httpexplore.errors`: the plain-language messages (h11's complaints explained).
* :mod:`httpexplore.query`: :meth:`HTTPClient.query_string_from_dict`.

The body's hot path (``poll`` → ``_poll_body`` → ``_read_body_once`` → ``_recv``, and
``read_response_body_chunk`` → ``Cycle.take``) stays in few, flat calls: it runs once per
64 KiB of a download.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import h11

from . import query
from ._cycle import MAX_HEAD, Cycle
from .errors import (
    Error,
    FailureKind,
    TransportError,
    explain_protocol_error,
    head_cut_short_message,
    idle_closed_message,
    incomplete_body_message,
    read_timeout_message,
    readable_reprs,
    request_timeout_message,
    truncated_body_message,
    unsolicited_message,
)
from .hosts import absolute_parts, strip_fragment
from .memory import TRANSPORT_KIND, MemoryTransport, transport_for
from .records import CycleInfo, EventInfo, PollRecord
from .request import (
    RequestWriter,
    authority,
    check_connect_types,
    check_request_types,
    connect_problem,
    next_parser,
    proxy_authorization,
    proxy_problem,
    request_problem,
    split_header,
    unbracket,
)
from .response import receive, tunnel_answer
from .status import ERROR_STATUSES, Input, Method, ResponseCode, Status, next_status
from .tls import TLSOptions
from .transport import Phase, SocketTransport, Transport

__all__ = ["HTTPClient"]

_OK = Error.OK
_BODY, _REQUESTING, _CONNECTED = Status.BODY, Status.REQUESTING, Status.CONNECTED
_monotonic = time.monotonic
# PollRecord is a NamedTuple: tuple.__new__ with the fields in order skips its Python-level
# __new__.  The assertion keeps that order honest.
_new_record = tuple.__new__
assert PollRecord._fields == ("index", "op", "time", "started", "status_before", "status_after",
                              "result", "cycle", "sent", "received", "body", "events",
                              "error_message", "repeat")

__version__ = "0.1.0"

_CHUNK_MIN, _CHUNK_MAX = 256, 16 * 1024 * 1024
_HEAD_READ = 65536  # bytes read per poll while waiting for the response head

PollCallback = Callable[[PollRecord], None]
#: Proxy credentials: ``(user, password)`` (Basic) or a ``Proxy-Authorization`` value.
ProxyCredentials = tuple[str, str] | str | None
#: ``callback(*fields)``: a PollRecord's fields as positional arguments (``on_step``).
StepCallback = Callable[..., None]


class HTTPClient:
    """A Godot-compatible, poll-driven HTTP/1.1 client.

    Parameters
    ----------
    record:
        Attach a recorder (``client.trace``) when one is available (importing :mod:`httpexplore`
        makes it so).  ``False`` for the leanest client.
    transport_factory:
        Builds the transport for each connection; the default uses real sockets.  Tests pass a
        :class:`~httpexplore.transport.ScriptedTransport` factory.
    connect_timeout:
        Seconds allowed for resolving, connecting, any proxy tunnel and the TLS handshake
        (Godot's default: 30).  ``None`` waits forever.
    read_timeout:
        Seconds allowed without receiving a byte while a response is awaited (default ``None``:
        wait forever, as Godot does).
    request_timeout:
        Seconds allowed from ``request()`` until the response is complete, however steadily
        bytes arrive (default ``None``: no limit, as Godot's ``HTTPClient``).  ``read_timeout``
        measures inactivity only, so a server sending one byte every few seconds holds a
        request open forever without this overall deadline.

    Godot's constants are available on the class: ``HTTPClient.STATUS_BODY``,
    ``HTTPClient.METHOD_GET``, ``HTTPClient.RESPONSE_OK``...
    """

    # Godot's constants, spelled as in GDScript (``HTTPClient.STATUS_BODY``); the RESPONSE_*
    # codes and the enums themselves are added below the class.
    STATUS_DISCONNECTED: ClassVar[Status] = Status.DISCONNECTED
    STATUS_RESOLVING: ClassVar[Status] = Status.RESOLVING
    STATUS_CANT_RESOLVE: ClassVar[Status] = Status.CANT_RESOLVE
    STATUS_CONNECTING: ClassVar[Status] = Status.CONNECTING
    STATUS_CANT_CONNECT: ClassVar[Status] = Status.CANT_CONNECT
    STATUS_CONNECTED: ClassVar[Status] = Status.CONNECTED
    STATUS_REQUESTING: ClassVar[Status] = Status.REQUESTING
    STATUS_BODY: ClassVar[Status] = Status.BODY
    STATUS_CONNECTION_ERROR: ClassVar[Status] = Status.CONNECTION_ERROR
    STATUS_TLS_HANDSHAKE_ERROR: ClassVar[Status] = Status.TLS_HANDSHAKE_ERROR
    METHOD_GET: ClassVar[Method] = Method.GET
    METHOD_HEAD: ClassVar[Method] = Method.HEAD
    METHOD_POST: ClassVar[Method] = Method.POST
    METHOD_PUT: ClassVar[Method] = Method.PUT
    METHOD_DELETE: ClassVar[Method] = Method.DELETE
    METHOD_OPTIONS: ClassVar[Method] = Method.OPTIONS
    METHOD_TRACE: ClassVar[Method] = Method.TRACE
    METHOD_CONNECT: ClassVar[Method] = Method.CONNECT
    METHOD_PATCH: ClassVar[Method] = Method.PATCH
    METHOD_MAX: ClassVar[Method] = Method.MAX

    #: Set by ``httpexplore/__init__.py`` to the recorder class, so a new client records by
    #: default without ``client.py`` importing the recorder (imports go one way).
    recorder_factory: ClassVar[Callable[[HTTPClient], Any] | None] = None

    def __init__(self, *, record: bool = True,
                 transport_factory: Callable[[], Transport] | None = None,
                 connect_timeout: float | None = 30.0,
                 read_timeout: float | None = None,
                 request_timeout: float | None = None) -> None:
        self._transport_factory: Callable[[], Transport] = transport_factory or SocketTransport
        self._transport: Transport | None = None
        self._status = Status.DISCONNECTED
        # Step callbacks (on_step; on_poll ones are wrapped): a tuple, replaced on
        # (un)subscribe, so the hot path iterates it without copying.
        self._subscribers: tuple[StepCallback, ...] = ()
        self._poll_wrappers: list[tuple[PollCallback, StepCallback]] = []
        self._index = 0
        self._read_chunk_size = 65536
        self.blocking_mode_enabled = False
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.request_timeout = request_timeout
        self.error = Error.OK
        self.error_message = ""
        self._host = ""
        self._port = -1
        self._tls: TLSOptions | None = None
        self._http_proxy: tuple[str, int] | None = None
        self._https_proxy: tuple[str, int] | None = None
        # Proxy-Authorization values for the proxy hop only (set_http(s)_proxy credentials).
        self._http_proxy_auth: str | None = None
        self._https_proxy_auth: str | None = None
        self._proxy_kind = ""
        self._connect_started = 0.0
        self._c = Cycle()
        self._writer = RequestWriter(f"httpexplore/{__version__}")
        self._connections = 0
        self._requests = 0
        # Per-step scratch: what this step wrote, read and observed (for the PollRecord).
        self._step_sent: list[bytes] = []
        self._step_received: list[bytes] = []
        self._step_events: list[EventInfo] = []
        # Folding quiet steps (see PollRecord.repeat): what the last emitted record was, when it
        # was quiet (its op is None otherwise), and the run folded since, not yet delivered.
        self._folding = True
        self._quiet_op: str | None = None
        self._quiet_status = Status.DISCONNECTED
        self._quiet_info: CycleInfo | None = None
        self._run = 0
        self._run_index = 0
        self._run_started = 0.0
        self._run_time = 0.0
        self.trace: Any = None
        factory = type(self).recorder_factory
        if record and factory is not None:
            self.trace = factory(self)

    # ------------------------------------------------------------------ subscriptions ----
    def on_poll(self, callback: PollCallback) -> None:
        """Call ``callback(record)`` after every public step (connect, request, poll, read,
        close).  Records are frozen :class:`~httpexplore.records.PollRecord` objects.

        Quiet steps (nothing happened: see ``PollRecord.repeat``) that repeat the previous
        record are folded into one record, delivered when a step that is not such a repeat
        comes, or on :meth:`flush_records`: every step is still accounted for, in order
        (:attr:`fold_quiet_steps` = False turns this off).
        """
        def step(*fields: Any) -> None:
            callback(_new_record(PollRecord, fields))
        self._poll_wrappers.append((callback, step))
        self.on_step(step)

    def off_poll(self, callback: PollCallback) -> None:
        """Stop calling ``callback``.  Unknown callbacks are ignored."""
        for i, (known, step) in enumerate(self._poll_wrappers):
            if known == callback:
                del self._poll_wrappers[i]
                self.off_step(step)
                return

    def on_step(self, callback: StepCallback) -> None:
        """Like :meth:`on_poll`, but ``callback`` receives the record's fields as positional
        arguments, in :class:`~httpexplore.records.PollRecord`'s field order, and no object is
        built for the call: the cheap form, for recorders (it runs on every step of a
        download)."""
        self.flush_records()  # a run folded before now is not the new subscriber's
        self._subscribers = (*self._subscribers, callback)

    def off_step(self, callback: StepCallback) -> None:
        """Stop calling ``callback`` (added by :meth:`on_step`).  Unknown ones are ignored."""
        if callback in self._subscribers:
            self.flush_records()  # it was promised those steps
            subscribers = list(self._subscribers)
            subscribers.remove(callback)
            self._subscribers = tuple(subscribers)

    def flush_records(self) -> None:
        """Deliver the pending run of folded quiet steps now, if any (the recorder calls this
        before it answers a question, so it is never behind)."""
        n = self._run
        if not n:
            return
        self._run = 0  # first: a subscriber may read the recorder, which flushes again
        status, op, info = self._quiet_status, self._quiet_op, self._quiet_info
        index, started, end = self._run_index, self._run_started, self._run_time
        for callback in self._subscribers:
            callback(index, op, end, started, status, status, _OK, info, b"", b"", b"", (), "",
                     n)

    @property
    def fold_quiet_steps(self) -> bool:
        """Fold runs of identical quiet steps into one record (``PollRecord.repeat``; default
        True).  False gives one record per step, SPEC §3 read literally: a million idle polls
        then make a million records, and recording each costs about as much as the poll."""
        return self._folding

    @fold_quiet_steps.setter
    def fold_quiet_steps(self, value: bool) -> None:
        self.flush_records()
        self._folding, self._quiet_op = bool(value), None

    # ------------------------------------------------------------------ properties -------
    @property
    def read_chunk_size(self) -> int:
        """Most bytes one :meth:`read_response_body_chunk` returns (256 .. 16 MiB; default
        65536).  Out-of-range values are refused (value unchanged, ``error`` set)."""
        return self._read_chunk_size

    @read_chunk_size.setter
    def read_chunk_size(self, value: int) -> None:
        self.set_read_chunk_size(value)

    def set_read_chunk_size(self, value: int) -> Error:
        """Godot's setter: returns ``ERR_INVALID_PARAMETER`` and keeps the old value when
        ``value`` is outside 256 .. 16777216."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"read_chunk_size must be an int, not {type(value).__name__}")
        if not _CHUNK_MIN <= value <= _CHUNK_MAX:
            return self._caller_mistake(
                Error.ERR_INVALID_PARAMETER,
                f"read_chunk_size must be between {_CHUNK_MIN} and {_CHUNK_MAX}; {value} was "
                f"refused and it stays {self._read_chunk_size}")
        self._read_chunk_size = value
        return Error.OK

    def get_read_chunk_size(self) -> int:
        return self._read_chunk_size

    def set_blocking_mode(self, enabled: bool) -> None:
        self.blocking_mode_enabled = bool(enabled)

    def is_blocking_mode_enabled(self) -> bool:
        return self.blocking_mode_enabled

    # ------------------------------------------------------------------ queries ----------
    def get_status(self) -> Status:
        """The current :class:`~httpexplore.status.Status`; call :meth:`poll` to update it."""
        return self._status

    @property
    def status(self) -> Status:
        return self._status

    def has_response(self) -> bool:
        """True once a final response head has arrived, until the next request or close.

        (Godot clears this when the headers are read; httpexplore keeps it, SPEC §2.3 #7.)"""
        return self._c.head_received

    def get_response_code(self) -> int:
        """The final response's status code; 0 before any response and after ``close()``."""
        return self._c.response_code

    def get_response_reason(self) -> str:
        """The reason phrase of the final response, as received."""
        return self._c.reason

    def get_response_http_version(self) -> str:
        """``"1.1"`` or ``"1.0"`` for the final response, ``""`` before one."""
        return self._c.http_version

    def get_response_headers(self) -> list[str]:
        """Response headers as ``"Name: value"`` strings: order, case and duplicates as
        received.  Does not consume them (Godot does; SPEC §2.3 #7)."""
        return [f"{name}: {value}" for name, value in self._c.headers]

    def get_response_headers_as_dictionary(self) -> dict[str, str]:
        """Headers as a dict; key case as received; a repeated name keeps its last value
        (as Godot's code does)."""
        return {name: value for name, value in self._c.headers}

    def get_response_trailers(self) -> list[str]:
        """Trailer fields of a chunked response (``"Name: value"``), once the body is read."""
        return [f"{name}: {value}" for name, value in self._c.trailers]

    def get_interim_responses(self) -> list[int]:
        """Status codes of the 1xx interim responses that preceded the final one."""
        return list(self._c.interim)

    def is_response_chunked(self) -> bool:
        """True when the body uses chunked transfer coding (name matched case-insensitively)."""
        return self._c.chunked

    def get_response_body_length(self) -> int:
        """The Content-Length of the body; 0 when the response has no body (HEAD, 204, 304);
        -1 when unknown (chunked or read until close)."""
        return self._c.body_length

    def get_response_body_bytes_received(self) -> int:
        """Body bytes received so far for the current response (buffered or handed out)."""
        return self._c.body_delivered + self._c.body_buffered

    def get_response_body_buffered(self) -> int:
        """Body bytes received but not yet returned by :meth:`read_response_body_chunk`."""
        return self._c.body_buffered

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def tls_enabled(self) -> bool:
        return self._tls is not None

    @property
    def peer(self) -> tuple[str, int] | None:
        return self._transport.peer if self._transport is not None else None

    @property
    def connection_count(self) -> int:
        """TCP connections opened by this client so far."""
        return self._connections

    @property
    def request_count(self) -> int:
        """Requests made by this client so far."""
        return self._requests

    # ------------------------------------------------------------------ proxies ----------
    def set_http_proxy(self, host: str, port: int, *,
                       credentials: ProxyCredentials = None) -> Error:
        """Send plain-HTTP requests through ``host:port`` (absolute-form targets).  An empty
        host or port -1 unsets it.  A port or host that is not valid is refused with
        ``ERR_INVALID_PARAMETER`` (the setting is unchanged).

        ``credentials`` (beyond Godot): ``(user, password)`` for Basic authentication
        (RFC 7617), or a ready ``Proxy-Authorization`` field value; sent as
        ``Proxy-Authorization`` on each request to this proxy, never anywhere else."""
        proxy, auth, result = self._proxy_setting("set_http_proxy", host, port, credentials)
        if result is Error.OK:
            self._http_proxy, self._http_proxy_auth = proxy, auth
        return result

    def set_https_proxy(self, host: str, port: int, *,
                        credentials: ProxyCredentials = None) -> Error:
        """Tunnel HTTPS connections through ``host:port`` with ``CONNECT``.  An empty host or
        port -1 unsets it.  A port or host that is not valid is refused with
        ``ERR_INVALID_PARAMETER``.  ``credentials`` as for :meth:`set_http_proxy`: sent with
        ``CONNECT`` only, never through the tunnel to the origin."""
        proxy, auth, result = self._proxy_setting("set_https_proxy", host, port, credentials)
        if result is Error.OK:
            self._https_proxy, self._https_proxy_auth = proxy, auth
        return result

    def _proxy_setting(self, op: str, host: str, port: int, credentials: ProxyCredentials
                       ) -> tuple[tuple[str, int] | None, str | None, Error]:
        proxy, problem = proxy_problem(op, host, port)
        auth: str | None = None
        if problem is None:
            auth, problem = proxy_authorization(op, credentials)
        if problem is not None:
            return None, None, self._caller_mistake(Error.ERR_INVALID_PARAMETER, problem)
        return proxy, auth if proxy is not None else None, Error.OK

    # ------------------------------------------------------------------ helpers ----------
    @staticmethod
    def query_string_from_dict(fields: Mapping[Any, Any]) -> str:
        """Godot's ``application/x-www-form-urlencoded`` builder: ``None`` → bare key, a list
        → the key repeated, everything percent-encoded except ``A-Z a-z 0-9 - . _ ~``."""
        return query.query_string_from_dict(fields)

    # ------------------------------------------------------------------ connect ----------
    def connect_to_host(self, host: str, port: int = -1,
                        tls_options: TLSOptions | None = None) -> Error:
        """Start connecting to ``host``; returns ``OK`` and moves to RESOLVING (a name) or
        CONNECTING (an IP literal).  Always closes any previous connection first.

        ``https://`` in ``host`` enables TLS (default verification unless ``tls_options``);
        ``http://`` disables it even if ``tls_options`` is given.  Port -1 means 80 or 443.
        """
        check_connect_types(host, port, tls_options)
        started = time.monotonic()
        before = self._status
        self._close_quietly()
        if host[:8].lower() == "https://":
            host, tls_options = host[8:], tls_options or TLSOptions.client()
        elif host[:7].lower() == "http://":
            host, tls_options = host[7:], None
        problem = connect_problem(host, port, tls_options)
        if problem is not None:
            return self._finish_call("connect_to_host", started, before,
                                     self._caller_mistake(Error.ERR_INVALID_PARAMETER, problem))
        self._host = host
        self._port = port if port >= 0 else (443 if tls_options is not None else 80)
        self._tls = tls_options
        self.error, self.error_message = Error.OK, ""
        result = self._begin_connection()
        return self._finish_call("connect_to_host", started, before, result)

    def _begin_connection(self) -> Error:
        """Open a transport to the origin or the proxy; status RESOLVING or CONNECTING."""
        self._connections += 1
        c = self._c = Cycle()
        c.connection = self._connections
        c.count = self._requests
        target_host, target_port = self._host, self._port
        self._proxy_kind = ""
        if self._tls is not None and self._https_proxy is not None:
            self._proxy_kind = "https"
            target_host, target_port = self._https_proxy
        elif self._tls is None and self._http_proxy is not None:
            self._proxy_kind = "http"
            target_host, target_port = self._http_proxy
        c.info = self._cycle_info()
        self._connect_started = time.monotonic()
        factory = self._transport_factory
        # An in-memory server of this process at that address is reached without a socket.
        in_memory = transport_for(target_host, target_port) if factory is SocketTransport else None
        transport = self._transport = in_memory or factory()
        try:
            phase = transport.open(unbracket(target_host), target_port)
        except TransportError as exc:  # an IP literal whose connect failed at once
            self._set_status(Input.CONNECT_ADDRESS)
            return self._fail(exc)
        self._set_status(Input.CONNECT_NAME if phase is Phase.RESOLVING
                         else Input.CONNECT_ADDRESS)
        return Error.OK

    def _cycle_info(self, **changes: Any) -> CycleInfo:
        c = self._c
        base: dict[str, Any] = dict(
                    connection=c.connection, cycle=c.count, host=self._host, port=self._port,
                    tls=self._tls is not None, method=c.method, target=c.target,
                    proxy=self._proxy_kind,
                    peer=self._transport.peer if self._transport is not None else None,
                    reused=c.info.reused)
        base.update(changes)
        return CycleInfo(**base)

    # ------------------------------------------------------------------ request ----------
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
        started = time.monotonic()
        before = self._status
        problem = request_problem(method, url, headers, self._status, self.error_message)
        if problem is not None:
            return self._finish_call(op, started, before,
                                     self._caller_mistake(Error.ERR_INVALID_PARAMETER, problem))
        name = Method(method).name
        fields = [split_header(h) for h in headers]
        has_proxy_auth = any(n.lower() == "proxy-authorization" for n, _v in fields)
        if has_proxy_auth and self._proxy_kind != "http":
            # Through a CONNECT tunnel (or with no proxy) the request goes to the origin
            # server, which must never see proxy credentials.
            return self._finish_call(op, started, before, self._caller_mistake(
                Error.ERR_INVALID_PARAMETER, "Proxy-Authorization is for a proxy, but this "
                "request goes to the origin server (" + ("through the HTTPS proxy's tunnel"
                if self._proxy_kind == "https" else "no HTTP proxy is set") + "); give proxy "
                "credentials with set_http_proxy() or set_https_proxy(credentials=...)"))
        if self._proxy_kind == "http" and self._http_proxy_auth and not has_proxy_auth:
            fields.append(("Proxy-Authorization", self._http_proxy_auth))
        c = self._c
        target = strip_fragment(url)  # never sent (RFC 9110 §4.2.4)
        host, port, tls = self._host, self._port, self._tls is not None
        if target.startswith(("http://", "https://")):
            # Absolute-form, as given (through an HTTP proxy, or asked for): Host must then be
            # the target's own authority (RFC 9112 §3.2.2).
            parts = absolute_parts(target)
            assert not isinstance(parts, str)  # (request_problem refused it otherwise)
            tls, host, port = parts
        elif self._proxy_kind == "http":
            # Absolute-form for the proxy (RFC 9112 §3.2.2); "OPTIONS *" becomes the bare
            # authority, which the last proxy turns back into "*" (RFC 9112 §3.2.4).
            origin = f"http://{authority(self._host, self._port)}"
            target = origin if target == "*" else origin + target
        c.method, c.target = name, target
        parser = c.parser = next_parser(c.parser)
        try:
            wire = self._writer.write(parser, name, target, fields, body, host, port, tls)
        except h11.LocalProtocolError as exc:
            return self._finish_call(op, started, before, self._caller_mistake(
                Error.ERR_INVALID_PARAMETER,
                f"the request is not valid HTTP/1.1: {readable_reprs(str(exc))}"))
        reused = c.used  # an earlier request completed on this connection
        if reused and self._transport is not None:
            # Godot writes the request inside request(); this client writes it in poll(), and
            # looks for bytes or an EOF on the idle connection here and before the first write.
            # Either ends the connection (nothing of this request is written), so the h11
            # cycle just started does not matter; the step stays on the previous cycle.  The
            # previous response is forgotten first, as for any new request: whatever the
            # caller reads next is never a response to this request.
            c.reset_response()
            result = self._probe_reused()
            if result is not _OK:
                return self._finish_call(op, started, before, result)
        self._requests += 1
        c.reset_response()
        c.requested_at = started
        c.count = self._requests
        c.tx, c.tx_offset = wire, 0
        c.info = self._cycle_info(cycle=self._requests, method=name, target=target,
                                  reused=reused)
        self.error, self.error_message = Error.OK, ""
        self._set_status(Input.REQUEST)
        return self._finish_call(op, started, before, Error.OK)

    # ------------------------------------------------------------------ poll -------------
    def poll(self) -> Error:
        """Do one bounded step of work for the current status and return Godot's code.

        Never raises for network or protocol failures and never blocks unless
        :attr:`blocking_mode_enabled`.  See the module docstring for what each status does.
        """
        started = _monotonic()
        before = self._status
        # The hot statuses first, without a call or an enum attribute lookup.
        if before is _BODY:
            result = self._poll_body(started)
        elif before is _REQUESTING:
            result = self._poll_requesting(started)
        elif before is _CONNECTED:
            result = self._poll_idle()
        else:
            result = self._poll_step(started)
        if not self._subscribers:
            if self._step_received or self._step_sent or self._step_events:
                self._clear_step()
        elif self._quiet_op == "poll" and result is _OK and self._repeats_quiet(before):
            self._fold(started)  # nothing happened, again: count it (PollRecord.repeat)
        else:
            self._emit("poll", started, before, result)
        return result

    def _poll_step(self, now: float) -> Error:
        status = self._status
        if status is Status.BODY:
            return self._poll_body(now)
        if status is Status.REQUESTING:
            return self._poll_requesting(now)
        if status is Status.CONNECTED:
            return self._poll_idle()
        if status is Status.RESOLVING or status is Status.CONNECTING:
            return self._poll_connecting(now)
        if status is Status.DISCONNECTED:
            return self._caller_mistake(
                Error.ERR_UNCONFIGURED, "poll() has nothing to do while DISCONNECTED: call "
                "connect_to_host() first")
        if status is Status.CANT_RESOLVE:
            return Error.ERR_CANT_RESOLVE
        if status is Status.CANT_CONNECT:
            return Error.ERR_CANT_CONNECT
        return Error.ERR_CONNECTION_ERROR

    # -- RESOLVING / CONNECTING -------------------------------------------------------------
    def _poll_connecting(self, now: float) -> Error:
        transport = self._transport
        assert transport is not None
        limit = self.connect_timeout
        if limit is not None and now - self._connect_started > limit:
            stage = "resolving the name" if self._status is Status.RESOLVING else "connecting"
            return self._fail(TransportError(
                FailureKind.TIMEOUT, f"connect_timeout: gave up after {limit:g} s while {stage} "
                f"to {self._host!r} port {self._port}"))
        try:
            if self._c.tunnel is not None:
                return self._poll_tunnel()
            was_resolving = self._status is Status.RESOLVING
            phase = transport.advance()
            if was_resolving and phase is not Phase.RESOLVING:
                self._event("Resolved", addresses=transport.addresses)
                self._set_status(Input.RESOLVED)
            if phase is Phase.READY:
                return self._transport_ready()
        except TransportError as exc:
            return self._fail(exc)
        return Error.OK

    def _transport_ready(self) -> Error:
        """The stream is up (TCP, or TLS on top).  Start the tunnel or TLS, or be CONNECTED."""
        transport = self._transport
        assert transport is not None
        c = self._c
        tls_info = transport.tls_info()
        if tls_info:
            self._event("TLSHandshakeDone", **tls_info)
            return self._ready()
        c.info = self._cycle_info()
        memory = {"transport": TRANSPORT_KIND} if isinstance(transport, MemoryTransport) else {}
        self._event("TCPConnected", peer=list(transport.peer or ()), **memory)
        if self._proxy_kind == "https" and c.tunnel is None and not tls_info:
            return self._start_tunnel()
        if self._tls is not None:
            return self._start_tls()
        return self._ready()

    def _start_tls(self) -> Error:
        assert self._transport is not None and self._tls is not None
        try:
            context = self._tls.create_context()
        except (OSError, ValueError) as exc:
            return self._fail(TransportError(
                FailureKind.TLS, f"the trusted_chain could not be loaded: {exc}"))
        self._transport.start_tls(context, self._tls.server_name(self._host))
        return Error.OK

    def _ready(self) -> Error:
        self._set_status(Input.READY)
        return Error.OK

    def _start_tunnel(self) -> Error:
        """HTTPS proxy: ask for a tunnel with ``CONNECT host:port`` (RFC 9110 §9.3.6)."""
        c = self._c
        target = authority(self._host, self._port)
        c.tunnel, c.tx = self._writer.connect_request(target, self._https_proxy_auth)
        c.tx_offset = 0
        c.info = self._cycle_info(method="CONNECT", target=target)
        return self._poll_tunnel()

    def _poll_tunnel(self) -> Error:
        """Send ``CONNECT``, then read the proxy's answer (a refusal raises TransportError,
        which ``_poll_connecting`` turns into CANT_CONNECT)."""
        c = self._c
        tunnel = c.tunnel
        assert tunnel is not None
        if not self._flush():
            return Error.OK
        data = self._recv(_HEAD_READ)
        if data is None:
            return Error.OK
        status_code = tunnel_answer(tunnel, data, authority(self._host, self._port))
        if status_code is None:
            return Error.OK
        self._event("TunnelEstablished", status_code=status_code)
        c.tunnel = None
        c.info = self._cycle_info(method="", target="")
        return self._start_tls()

    # -- REQUESTING --------------------------------------------------------------------------
    def _poll_requesting(self, now: float) -> Error:
        c = self._c
        if self.request_timeout is not None and self._past_deadline(now):
            return self._fail(self._timeout_error())
        try:
            if c.tx_offset < len(c.tx):  # the request is not all written yet
                if not c.tx_offset and c.info.reused and self._probe_reused() is not _OK:
                    return Error.ERR_CONNECTION_ERROR
                written = self._flush()
                if c.tx_offset >= len(c.tx):
                    c.used = True  # the next request on this connection reuses it
                if not written:
                    return _OK
            if self.blocking_mode_enabled:
                return self._read_head_blocking()
            data = self._recv(_HEAD_READ)
        except TransportError as exc:
            return self._fail(exc)
        if data is None:  # the usual idle poll: inline what _check_read_timeout would do
            return _OK if self.read_timeout is None else self._check_read_timeout(now)
        return self._feed(data)

    def _read_head_blocking(self) -> Error:
        """Blocking mode: wait for bytes until the head is complete (or an error/timeout)."""
        transport = self._transport
        assert transport is not None
        while self._status is Status.REQUESTING:
            if not transport.wait(read=True, write=False, timeout=self._wait_limit()):
                return self._fail(self._timeout_error())
            data = self._recv(_HEAD_READ)
            if data is not None:
                self._feed(data)
        return self._step_result()

    def _flush(self) -> bool:
        """Write queued request bytes; True once all are written."""
        c = self._c
        transport = self._transport
        assert transport is not None
        while c.tx_offset < len(c.tx):
            if self.blocking_mode_enabled:
                transport.wait(read=False, write=True, timeout=None)
            n = transport.send(memoryview(c.tx)[c.tx_offset:])
            if n:
                self._step_sent.append(c.tx[c.tx_offset:c.tx_offset + n])
                c.tx_offset += n
                c.last_rx = time.monotonic()  # the read timeout counts from the last send
            elif not self.blocking_mode_enabled:
                return False
        return True

    def _recv(self, max_bytes: int) -> bytes | None:
        """One read from the transport, logged for the record.  None: nothing yet."""
        assert self._transport is not None
        data = self._transport.recv(max_bytes)
        if data is not None:
            c = self._c
            if data:
                self._step_received.append(data)
                c.received_total += len(data)
            c.last_rx = time.monotonic()
        return data

    def _check_read_timeout(self, now: float) -> Error:
        limit = self.read_timeout
        if limit is not None and now - self._c.last_rx > limit:
            return self._fail_body(self._timeout_error())
        return Error.OK

    def _timeout_error(self) -> TransportError:
        in_head = self._status is Status.REQUESTING
        if self._past_deadline(time.monotonic()):
            return TransportError(FailureKind.TIMEOUT, request_timeout_message(
                self.request_timeout, in_head, self._c.received_total))
        return TransportError(FailureKind.TIMEOUT, read_timeout_message(
            self.read_timeout, in_head, self._c.received_total))

    def _past_deadline(self, now: float) -> bool:
        """``request_timeout`` has run out for the current request."""
        limit = self.request_timeout
        return limit is not None and now - self._c.requested_at > limit

    def _wait_limit(self) -> float | None:
        """Blocking mode: how long one wait may last (read_timeout, and what is left of
        request_timeout)."""
        limits = [t for t in (self.read_timeout,) if t is not None]
        if self.request_timeout is not None:
            left = self._c.requested_at + self.request_timeout - time.monotonic()
            limits.append(max(left, 0.0))
        return min(limits) if limits else None

    # -- parsing -----------------------------------------------------------------------------
    def _feed(self, data: bytes) -> Error:
        """Give received bytes (``b""`` = end of stream) to h11 and act on its events."""
        c = self._c
        parser = c.parser
        assert parser is not None
        if not data:
            c.eof = True
            self._event("PeerClosed")
            if self._status is Status.REQUESTING:
                # Checked before h11 sees the EOF, which it would report as "can't handle event
                # type ConnectionClosed" (nothing received) or "peer unexpectedly closed".
                if c.info.reused and not c.received_total:
                    return self._broken(idle_closed_message(during_request=True))
                return self._broken(head_cut_short_message(c.received_total))
        try:
            receive(c, parser, data, self._step_events if self._subscribers else None)
        except h11.RemoteProtocolError as exc:
            if c.enter_body:  # the head arrived before the failure
                self._enter_body()
            in_head = self._status is Status.REQUESTING
            body = None if in_head else c.body_delivered + c.body_buffered
            message = explain_protocol_error(exc, body, MAX_HEAD)
            if self._status is Status.BODY and c.body_buffered:
                # Hand out what arrived before the failure first: nothing is lost, and the
                # error status follows the last good byte (see _check_done).
                c.pending_error, c.eof = message, True
                return Error.OK
            return self._broken(message)
        if c.enter_body:
            self._enter_body()
        if self._status is Status.REQUESTING and c.body_complete:  # a head with no body at all
            self._complete(Input.HEAD_DONE_CLOSE if c.closing else Input.HEAD_DONE)
        return self._step_result()

    def _enter_body(self) -> None:
        """The final head announced a body (or Godot would show BODY): REQUESTING → BODY."""
        self._c.enter_body = False
        self._set_status(Input.HEAD_BODY)

    # -- BODY ----------------------------------------------------------------------------------
    def _poll_body(self, now: float) -> Error:
        c = self._c
        if c.body_complete or c.eof or c.body_buffered >= self._read_chunk_size:
            # Nothing to read (or enough buffered: backpressure bounds memory).
            return self._check_done()
        try:
            if self.blocking_mode_enabled:
                self._fill_blocking(1)
            else:
                self._read_body_once(now)
        except TransportError as exc:
            return self._fail_body(exc)
        return self._check_done()

    def _read_body_once(self, now: float) -> None:
        c = self._c
        if self.request_timeout is not None and self._past_deadline(now):
            raise self._timeout_error()  # (callers turn it into the failure)
        if c.fast_remaining > 0:
            data = self._recv(min(c.fast_remaining, self._read_chunk_size))
            if data is None:
                self._check_read_timeout(now)
            elif data:
                c.body.append(data)
                c.body_buffered += len(data)
                c.fast_remaining -= len(data)
                # No parser event here: these bytes are counted, not parsed (the record still
                # carries them in ``received``).
                if c.fast_remaining == 0:
                    self._fast_end()
            else:
                c.eof = True
                self._event("PeerClosed")
            return
        data = self._recv(self._read_chunk_size)
        if data is None:
            self._check_read_timeout(now)
        else:
            self._feed(data)

    def _fast_end(self) -> None:
        """The Content-Length body is complete (counted without h11): end the message."""
        c = self._c
        c.fast_remaining = -1
        c.body_complete = True
        if not c.keep_alive:
            c.closing = True
        self._event("EndOfMessage", trailers=[], synthesised=True)  # not h11's: counted

    def _fill_blocking(self, want: int) -> None:
        """Blocking mode: read until ``want`` body bytes are buffered or the body ends."""
        transport = self._transport
        assert transport is not None
        c = self._c
        while (c.body_buffered < want and not c.body_complete and not c.eof
               and self._status is Status.BODY):
            if not transport.wait(read=True, write=False, timeout=self._wait_limit()):
                self._fail_body(self._timeout_error())
                return
            self._read_body_once(time.monotonic())

    def _check_done(self) -> Error:
        """End BODY when everything is handed out, or fail a truncated body."""
        c = self._c
        if self._status is not Status.BODY:
            return self._step_result()
        if c.body_buffered:
            return Error.OK
        if c.body_complete:
            self._complete(Input.BODY_DONE_CLOSE if c.closing else Input.BODY_DONE)
        elif c.pending_error:
            return self._broken(c.pending_error)
        elif c.eof and c.fast_remaining > 0:
            # (h11 decides for chunked and close-delimited bodies: it was fed the EOF.)
            return self._broken(truncated_body_message(c.body_delivered, c.body_length,
                                                       c.fast_remaining))
        return self._step_result()

    def read_response_body_chunk(self) -> bytes:
        """Return the body bytes available now, at most :attr:`read_chunk_size`, possibly
        empty.  Outside BODY returns ``b""`` and changes nothing.  The call that hands out the
        last byte moves to CONNECTED (or DISCONNECTED when the connection closes)."""
        started = _monotonic()
        before = self._status
        if before is not Status.BODY:
            if self._subscribers:
                self._after_read(started, before, b"")
            return b""
        c = self._c
        size = self._read_chunk_size
        try:
            if self.blocking_mode_enabled:
                want = size if c.body_length < 0 else min(size, max(c.fast_remaining, 0)
                                                            + c.body_buffered)
                self._fill_blocking(max(want, 1))
            elif not c.body_buffered and not c.body_complete and not c.eof:
                self._read_body_once(started)
        except TransportError as exc:
            self._fail_body(exc)
        chunk = c.take(size, exact=self.blocking_mode_enabled)
        if self._status is Status.BODY:
            self._check_done()
        if self._subscribers:
            self._after_read(started, before, chunk)
        else:
            self._clear_step()
        return chunk

    def _after_read(self, started: float, before: Status, chunk: bytes) -> None:
        if not chunk and self._quiet_op == "read_response_body_chunk" \
                and self._repeats_quiet(before):
            self._fold(started)
        else:
            self._emit("read_response_body_chunk", started, before, _OK, chunk)

    # -- CONNECTED -----------------------------------------------------------------------------
    def _poll_idle(self) -> Error:
        """Liveness check on an idle keep-alive connection (Godot does the same).  A close by the
        server or unsolicited bytes end in CONNECTION_ERROR (SPEC §2.3 #5)."""
        try:
            data = self._recv(_HEAD_READ)
        except TransportError as exc:
            return self._fail(exc)
        if data is None:
            return Error.OK
        if not data:
            self._event("PeerClosed")
            return self._broken(idle_closed_message())
        self._event("Unsolicited", length=len(data))
        return self._broken(unsolicited_message(len(data)))

    # ------------------------------------------------------------------ close ------------
    def close(self) -> None:
        """Close the connection and forget the response (keeps host, TLS and proxy settings)."""
        started = time.monotonic()
        before = self._status
        self._close_quietly()
        self.error, self.error_message = Error.OK, ""
        self._finish_call("close", started, before, Error.OK)

    def _close_quietly(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._transport = None
        c = self._c
        c.reset_response()
        c.parser = c.tunnel = None
        c.tx, c.tx_offset = b"", 0
        if self._status is not Status.DISCONNECTED:
            self._set_status(Input.CLOSE)

    # ------------------------------------------------------------------ outcomes -----------
    def _complete(self, what: Input) -> None:
        """The response is complete and handed out: CONNECTED, or DISCONNECTED when the
        connection closes, or CONNECTION_ERROR when bytes follow the response."""
        c = self._c
        if self._look_behind():
            self._broken(unsolicited_message(c.unsolicited, after_response=True))
            return
        if c.closing:  # (the look behind may have seen the server close)
            what = Input.HEAD_DONE_CLOSE if what is Input.HEAD_DONE else (
                Input.BODY_DONE_CLOSE if what is Input.BODY_DONE else what)
        self._set_status(what)
        if what in (Input.BODY_DONE_CLOSE, Input.HEAD_DONE_CLOSE):
            if self._transport is not None:
                self._transport.close()
            self._transport = None
        else:
            c.used = True

    def _look_behind(self) -> bool:
        """Is anything behind the complete response?  True when bytes follow it (h11 holds
        them, or one non-blocking read finds them): they answer no request (RFC 9112
        §9.3.2).  An end of stream found here sets ``closing``.

        Runs once per response, never on an idle poll; whatever path ended the message
        (a counted Content-Length body, chunked, HEAD, 204/304, after 1xx).  After a 101 the
        bytes belong to the new protocol, and at EOF there is nothing left to read.
        """
        c = self._c
        if c.unsolicited or c.eof or c.response_code == 101 or self._transport is None:
            return c.unsolicited > 0
        try:
            data = self._recv(_HEAD_READ)
        except TransportError:
            c.closing = True  # reset after a complete response: the connection is gone
            return False
        if data is None:
            return False
        if not data:
            c.eof = c.closing = True
            self._event("PeerClosed")
            return False
        c.unsolicited = len(data)
        self._event("Unsolicited", length=len(data))
        return True

    def _probe_reused(self) -> Error:
        """Before a request is written on a reused connection: one non-blocking read.  Bytes
        mean unsolicited data (never taken as this request's response), EOF means the server
        closed the idle connection; either ends in CONNECTION_ERROR."""
        try:
            data = self._recv(_HEAD_READ)
        except TransportError as exc:
            return self._broken(f"{exc.message}; {idle_closed_message()}")
        if data is None:
            return _OK
        if not data:
            self._event("PeerClosed")
            return self._broken(idle_closed_message())
        self._event("Unsolicited", length=len(data))
        return self._broken(unsolicited_message(len(data)))

    def _broken(self, message: str) -> Error:
        """A connection or protocol failure after connecting: CONNECTION_ERROR."""
        self.error, self.error_message = Error.ERR_CONNECTION_ERROR, message
        self._event("Error", message=message)
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self._c.body.clear()
        self._c.body_buffered = 0
        if self._status is not Status.CONNECTION_ERROR:
            self._set_status(Input.BROKEN)
        return Error.ERR_CONNECTION_ERROR

    def _fail(self, exc: TransportError) -> Error:
        """Map a transport failure to Godot's terminal status and code."""
        status = self._status
        if status in (Status.RESOLVING, Status.CONNECTING):
            if exc.kind is FailureKind.RESOLVE:
                code, what = Error.ERR_CANT_RESOLVE, Input.RESOLVE_FAILED
            elif exc.kind is FailureKind.TLS:
                code, what = Error.ERR_CANT_CONNECT, Input.TLS_FAILED
            else:
                code, what = Error.ERR_CANT_CONNECT, Input.CONNECT_FAILED
            self.error, self.error_message = code, exc.message
            self._event("Error", message=exc.message)
            if self._transport is not None:
                self._transport.close()
                self._transport = None
            self._set_status(what)
            return code
        return self._broken(exc.message)

    def _fail_body(self, exc: TransportError) -> Error:
        """A reset or timeout in BODY.  As for a protocol error (see ``_feed``), the body bytes
        already received are handed out first, then the error follows; before, they were
        dropped or not depending on whether poll() or read_response_body_chunk() ran first.
        """
        c = self._c
        if self._status is not Status.BODY:
            return self._fail(exc)
        message = incomplete_body_message(exc.message, c.body_delivered + c.body_buffered)
        if c.body_buffered:
            c.pending_error, c.eof = message, True
            return Error.OK
        return self._fail(TransportError(exc.kind, message))

    def _step_result(self) -> Error:
        status = self._status
        if status in (Status.CONNECTION_ERROR, Status.TLS_HANDSHAKE_ERROR):
            return Error.ERR_CONNECTION_ERROR
        return Error.OK

    def _caller_mistake(self, code: Error, message: str) -> Error:
        self.error, self.error_message = code, message
        return code

    def _set_status(self, what: Input) -> None:
        self._status = next_status(self._status, what)

    # ------------------------------------------------------------------ records ------------
    def _event(self, kind: str, **detail: Any) -> None:
        if self._subscribers:
            self._step_events.append(EventInfo(kind=kind, detail=detail))

    def _finish_call(self, op: str, started: float, before: Status, result: Error) -> Error:
        if self._subscribers:
            self._emit(op, started, before, result)
        else:
            self._clear_step()
        return result

    def _clear_step(self) -> None:
        if self._step_sent:
            self._step_sent.clear()
        if self._step_received:
            self._step_received.clear()
        if self._step_events:
            self._step_events.clear()

    def _repeats_quiet(self, before: Status) -> bool:
        """This step (of the last record's op, returning OK) did nothing, exactly as the last
        record did: same status, same cycle, nothing written, read or parsed."""
        return (self._status is before and before is self._quiet_status
                and self._c.info is self._quiet_info and not self._step_received
                and not self._step_sent and not self._step_events)

    def _fold(self, started: float) -> None:
        """Count a quiet step that repeats the last record, instead of emitting it."""
        if not self._run:
            self._run_index, self._run_started = self._index, started
        self._run += 1
        self._run_time = _monotonic()
        self._index += 1

    def _emit(self, op: str, started: float, before: Status, result: Error,
              body: bytes = b"") -> None:
        # This runs for every step of a download (two per 64 KiB in the tutorial loop), so it
        # avoids work for empty parts and hands the fields over as arguments (on_step), in
        # PollRecord's order (checked below the imports), without building an object.
        if self._run:
            self.flush_records()
        sent, received, events = self._step_sent, self._step_received, self._step_events
        status = self._status
        info = self._c.info
        # A record carries a message when this step failed: a caller mistake, or a move into an
        # error status.
        failed = result is not _OK or (status is not before and status in ERROR_STATUSES)
        index = self._index
        self._index = index + 1
        end = _monotonic()
        if sent or received or events or body or failed or status is not before:
            self._quiet_op = None
            sent_bytes = (sent[0] if len(sent) == 1 else b"".join(sent)) if sent else b""
            received_bytes = ((received[0] if len(received) == 1 else b"".join(received))
                              if received else b"")
            event_tuple = tuple(events) if events else ()
            message = self.error_message if failed else ""
            if sent:
                sent.clear()
            if received:
                received.clear()
            if events:
                events.clear()
            for callback in self._subscribers:
                callback(index, op, end, started, before, status, result, info, sent_bytes,
                         received_bytes, body, event_tuple, message, 1)
        else:  # quiet: the next identical steps fold into one record (PollRecord.repeat)
            if self._folding:
                self._quiet_op, self._quiet_status, self._quiet_info = op, status, info
            for callback in self._subscribers:
                callback(index, op, end, started, before, status, result, info, b"", b"", b"",
                         (), "", 1)

    # ------------------------------------------------------------------ display -----------
    def __repr__(self) -> str:
        target = f" {self._host}" if self._host else ""
        return f"<HTTPClient{target} {self._status.name}>"

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None:
            transport.close()


def _install_godot_constants() -> None:
    """``HTTPClient.STATUS_BODY``, ``HTTPClient.METHOD_GET``, ``HTTPClient.RESPONSE_OK``..."""
    # Also the enums themselves, as in GDScript: ``HTTPClient.Status.BODY``.
    for enum_type in (Status, Method, ResponseCode):
        setattr(HTTPClient, enum_type.__name__, enum_type)
    for code in ResponseCode:
        setattr(HTTPClient, f"RESPONSE_{code.name}", code)


_install_godot_constants()
