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
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import h11

from .errors import Error, FailureKind, TransportError, plural
from .records import CycleInfo, EventInfo, PollRecord
from .status import ERROR_STATUSES, Input, Method, ResponseCode, Status, next_status
from .tls import TLSOptions
from .transport import Phase, SocketTransport, Transport, ip_literal

__all__ = ["HTTPClient"]

__version__ = "0.1.0"

_HOST_MIN_LEN = 4  # Godot's HOST_MIN_LEN
_CHUNK_MIN, _CHUNK_MAX = 256, 16 * 1024 * 1024
_HEAD_READ = 65536  # bytes read per poll while waiting for the response head
_MAX_HEAD = 64 * 1024  # a response head larger than this is refused (h11's buffer limit)
_NO_BODY_CODES = (204, 304)

PollCallback = Callable[[PollRecord], None]


def _latin1(b: bytes) -> str:
    return b.decode("latin-1")


#: h11's complaint about a complete status line that starts with a byte below 0x21.
_LEADING_JUNK = re.compile(r"illegal status line: bytearray\(b'( |\\[trnx])")


def _unparsed(parser: h11.Connection) -> int:
    """Bytes h11 holds but has not parsed yet.  (``trailing_data`` would copy them all.)"""
    return len(parser._receive_buffer)


def _explain_protocol_error(exc: h11.RemoteProtocolError, body: int | None) -> str:
    """Turn h11's terse complaint into a sentence a learner can act on (RFC 9112 cited).

    ``body`` is the number of body bytes that arrived before the failure, or None when the
    failure is in the response head.  The message depends only on the bytes received, never on
    how they were split into reads: replaying the same bytes gives the same words.  (It used to
    say "after N bytes of response", N being whatever the last read happened to contain.)
    """
    text = str(exc)
    low = text.lower()
    where = "in the response head" if body is None else f"after {plural(body, 'body byte')}"
    if "closed connection" in low:
        # h11 says "peer closed connection without sending complete message body" or "peer
        # unexpectedly closed connection" (mid-line, e.g. a chunk-size line cut short).
        if body is None:
            return ("the server closed the connection before the response head was complete; "
                    "RFC 9112 §8: an incomplete message must not be treated as complete")
        return ("the server closed the connection before the body was complete "
                f"({plural(body, 'body byte')} arrived); RFC 9112 §6.3 and §8: an incomplete "
                "message must not be treated as complete")
    if "illegal request line" in low or "no response line" in low or _LEADING_JUNK.search(text):
        # h11 words the same fault three ways depending on whether the head was complete when
        # it looked ("illegal request line" is its early check on an incomplete head): one
        # message, so that it does not depend on how the bytes were split into reads.
        return ("the status line does not start with 'HTTP/': the response begins with "
                "whitespace, a control character or an empty line (RFC 9112 §2.2, §4); "
                f"{where}.")
    part = "head" if body is None else "chunk-size line or trailer section"
    # (needle in h11's text, explanation, quote h11's text?).  h11's text is left out where it
    # quotes however many bytes the last read held, so that the message stays split-independent.
    rules: list[tuple[str, str, bool]] = [
        ("http version", "the server answered with a major HTTP version other than 1; this is "
         "an HTTP/1.1 client and cannot know that version's framing (RFC 9112 §2.3)", True),
        ("http/1.0 response with transfer-encoding", "an HTTP/1.0 response carries "
         "Transfer-Encoding, which HTTP/1.0 does not have: RFC 9112 §6.1 says to treat its "
         "framing as faulty", False),
        ("conflicting content-length", "the response carries conflicting Content-Length values "
         "(RFC 9112 §6.3: the message framing is invalid)", True),
        ("content-length", "the response has an invalid Content-Length (RFC 9112 §6.2, §6.3)",
         True),
        ("transfer-encoding", "the response uses a Transfer-Encoding other than a final "
         "'chunked' (RFC 9112 §6.1); the body length cannot be determined", True),
        ("malformed chunk footer", "a chunk's data is not followed by CRLF: the chunk carries "
         "more bytes than its chunk-size line announced (RFC 9112 §7.1)", False),
        ("chunk", "a chunk of the chunked body is malformed (RFC 9112 §7.1: chunk-size is "
         "hexadecimal digits, optionally followed by ;extensions, then CRLF)", True),
        ("illegal status line", "the status line is not 'HTTP/1.x NNN reason' "
         "(RFC 9112 §4)", True),
        ("status_code should be in range", "the status code is not a valid three-digit code "
         "(RFC 9110 §15: 100 to 599)", True),
        ("_switch_upgrade", "the server answered 101 Switching Protocols although the request "
         "asked for no Upgrade (RFC 9110 §7.8, §15.2.2)", False),
        ("receive buffer too long", f"the response {part} is larger than {_MAX_HEAD} bytes "
         "and was refused (RFC 9112 §2.3 lets a client limit it)", False),
        ("continuation line", "the header section starts with an indented continuation line "
         "(obsolete line folding with nothing to continue, RFC 9112 §5.2)", True),
        ("illegal header line", "a header line is malformed (RFC 9112 §5: field-name ':' "
         "OWS field-value OWS, no whitespace before the colon, no bare CR or NUL)", True),
        ("illegal", "the response contains bytes that are not allowed there (RFC 9112 §2.2, §5)",
         True),
        ("header", "a header field is invalid (RFC 9112 §5)", True),
    ]
    # Match on h11's words only, not on the bytes it quotes after ": " (a malformed line
    # "Content-Length : 5" is a header-line problem, not a Content-Length one).
    words = low.split(": ", 1)[0]
    for needle, explanation, quote in rules:
        if needle in words:
            return f"{explanation}; {where}." + (f" Parser said: {text}" if quote else "")
    return f"the response is not valid HTTP/1.1 {where}. Parser said: {text}"


class _Cycle:
    """Mutable state of one connection and its current request; rebuilt by connect_to_host."""

    __slots__ = ("body", "body_buffered", "body_complete", "body_delivered", "body_length",
                 "chunked", "closing", "connection", "count", "eof", "fast_remaining",
                 "head_received", "head_start", "headers", "http_version", "info", "interim",
                 "keep_alive",
                 "last_rx", "method", "parser", "pending_error", "reason", "received_total",
                 "response_code", "target", "trailers", "tunnel", "tx", "tx_offset", "used")

    def __init__(self) -> None:
        self.parser: h11.Connection | None = None
        self.tunnel: h11.Connection | None = None  # HTTPS proxy CONNECT exchange
        self.tx = b""
        self.tx_offset = 0
        self.method = ""
        self.target = ""
        self.reset_response()
        self.connection = 0
        self.count = 0
        self.info = CycleInfo(connection=0, cycle=0, host="", port=0, tls=False)
        self.last_rx = 0.0
        self.used = False  # a request has been sent on this connection (the next one reuses it)

    def reset_response(self) -> None:
        self.head_received = False
        self.head_start = 0  # response offset where the current head began (after any 1xx)
        self.response_code = 0
        self.reason = ""
        self.http_version = ""
        self.headers: list[tuple[str, str]] = []
        self.trailers: list[tuple[str, str]] = []
        self.interim: list[int] = []
        self.chunked = False
        self.body_length = -1
        self.body: deque[bytes] = deque()
        self.body_buffered = 0
        self.body_delivered = 0
        self.body_complete = False
        self.fast_remaining = -1  # >= 0: counting a Content-Length body without h11
        self.keep_alive = True
        self.closing = False
        self.eof = False
        self.received_total = 0
        self.pending_error = ""  # a failure to report once the buffered body is handed out


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
                 read_timeout: float | None = None) -> None:
        self._transport_factory: Callable[[], Transport] = transport_factory or SocketTransport
        self._transport: Transport | None = None
        self._status = Status.DISCONNECTED
        self._subscribers: list[PollCallback] = []
        self._index = 0
        self._read_chunk_size = 65536
        self.blocking_mode_enabled = False
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.error = Error.OK
        self.error_message = ""
        self._host = ""
        self._port = -1
        self._tls: TLSOptions | None = None
        self._http_proxy: tuple[str, int] | None = None
        self._https_proxy: tuple[str, int] | None = None
        self._proxy_kind = ""
        self._connect_started = 0.0
        self._c = _Cycle()
        self._last_request: tuple[tuple[Any, ...], h11.Request, bytes] | None = None
        self._connections = 0
        self._requests = 0
        # Per-step scratch: what this step wrote, read and observed (for the PollRecord).
        self._step_sent: list[bytes] = []
        self._step_received: list[bytes] = []
        self._step_events: list[EventInfo] = []
        self.trace: Any = None
        factory = type(self).recorder_factory
        if record and factory is not None:
            self.trace = factory(self)

    # ------------------------------------------------------------------ Godot constants --
    def __init_subclass__(cls, **kwargs: Any) -> None:  # pragma: no cover - trivial
        super().__init_subclass__(**kwargs)

    # ------------------------------------------------------------------ subscriptions ----
    def on_poll(self, callback: PollCallback) -> None:
        """Call ``callback(record)`` after every public step (connect, request, poll, read,
        close).  Records are frozen :class:`~httpexplore.records.PollRecord` objects."""
        self._subscribers.append(callback)

    def off_poll(self, callback: PollCallback) -> None:
        """Stop calling ``callback``.  Unknown callbacks are ignored."""
        if callback in self._subscribers:
            self._subscribers.remove(callback)

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
    def set_http_proxy(self, host: str, port: int) -> Error:
        """Send plain-HTTP requests through ``host:port`` (absolute-form targets).  An empty
        host or port -1 unsets it.  A port outside 0..65535 is refused with
        ``ERR_INVALID_PARAMETER`` (the setting is unchanged)."""
        proxy, result = self._proxy_setting("set_http_proxy", host, port, self._http_proxy)
        self._http_proxy = proxy
        return result

    def set_https_proxy(self, host: str, port: int) -> Error:
        """Tunnel HTTPS connections through ``host:port`` with ``CONNECT``.  An empty host or
        port -1 unsets it.  A port outside 0..65535 is refused with ``ERR_INVALID_PARAMETER``."""
        proxy, result = self._proxy_setting("set_https_proxy", host, port, self._https_proxy)
        self._https_proxy = proxy
        return result

    def _proxy_setting(self, op: str, host: str, port: int, old: tuple[str, int] | None
                       ) -> tuple[tuple[str, int] | None, Error]:
        # Checked here: a bad value used to surface later as an AttributeError or
        # OverflowError raised out of connect_to_host().
        if not isinstance(host, str):
            raise TypeError(f"{op}: host must be a str, not {type(host).__name__}")
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError(f"{op}: port must be an int, not {type(port).__name__}")
        if not host or port == -1:
            return None, Error.OK
        if not 0 <= port <= 65535:
            return old, self._caller_mistake(
                Error.ERR_INVALID_PARAMETER,
                f"{op}: the port {port} is not between 0 and 65535 (or -1 to unset)")
        return (host, port), Error.OK

    # ------------------------------------------------------------------ helpers ----------
    @staticmethod
    def query_string_from_dict(fields: Mapping[Any, Any]) -> str:
        """Godot's ``application/x-www-form-urlencoded`` builder: ``None`` → bare key, a list
        → the key repeated, everything percent-encoded except ``A-Z a-z 0-9 - . _ ~``."""
        if not isinstance(fields, Mapping):
            raise TypeError(f"fields must be a mapping, not {type(fields).__name__}")
        parts: list[str] = []
        for key, value in fields.items():
            k = _uri_encode(_godot_str(key))
            if value is None:
                parts.append(k)
            elif isinstance(value, (list, tuple)):
                parts.extend(f"{k}={_uri_encode(_godot_str(v))}" for v in value)
            else:
                parts.append(f"{k}={_uri_encode(_godot_str(value))}")
        return "&".join(parts)

    # ------------------------------------------------------------------ connect ----------
    def connect_to_host(self, host: str, port: int = -1,
                        tls_options: TLSOptions | None = None) -> Error:
        """Start connecting to ``host``; returns ``OK`` and moves to RESOLVING (a name) or
        CONNECTING (an IP literal).  Always closes any previous connection first.

        ``https://`` in ``host`` enables TLS (default verification unless ``tls_options``);
        ``http://`` disables it even if ``tls_options`` is given.  Port -1 means 80 or 443.
        """
        if not isinstance(host, str):
            raise TypeError(f"host must be a str, not {type(host).__name__}")
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError(f"port must be an int, not {type(port).__name__}")
        if tls_options is not None and not isinstance(tls_options, TLSOptions):
            raise TypeError("tls_options must be a TLSOptions (TLSOptions.client() ...)")
        if tls_options is not None and (
                not isinstance(tls_options.common_name_override, str)
                or (tls_options.trusted_chain is not None
                    and not isinstance(tls_options.trusted_chain, (str, bytes, os.PathLike)))):
            # Checked now: otherwise the TLS set-up raises out of a later poll().
            raise TypeError("TLSOptions: trusted_chain must be a path, PEM str or PEM bytes, "
                            "and common_name_override a str")
        started = time.monotonic()
        before = self._status
        self._close_quietly()
        if host[:8].lower() == "https://":
            host, tls_options = host[8:], tls_options or TLSOptions.client()
        elif host[:7].lower() == "http://":
            host, tls_options = host[7:], None
        problem = self._connect_problem(host, port, tls_options)
        if problem is not None:
            return self._finish_call("connect_to_host", started, before,
                                     self._caller_mistake(Error.ERR_INVALID_PARAMETER, problem))
        self._host = host
        self._port = port if port >= 0 else (443 if tls_options is not None else 80)
        self._tls = tls_options
        self.error, self.error_message = Error.OK, ""
        result = self._begin_connection()
        return self._finish_call("connect_to_host", started, before, result)

    @staticmethod
    def _connect_problem(host: str, port: int, tls: TLSOptions | None) -> str | None:
        if tls is not None and tls.is_server:
            return "server-side TLSOptions cannot be used to connect; use TLSOptions.client()"
        if ip_literal(host) is None and len(host) < _HOST_MIN_LEN:
            return (f"the host {host!r} is too short (Godot requires at least "
                    f"{_HOST_MIN_LEN} characters)")
        if not 0 <= port <= 65535 and port != -1:
            return f"the port {port} is not between 0 and 65535 (or -1 for the default)"
        if any(ch.isspace() for ch in host) or not host:
            return f"the host {host!r} is empty or contains whitespace"
        return None

    def _begin_connection(self) -> Error:
        """Open a transport to the origin or the proxy; status RESOLVING or CONNECTING."""
        self._connections += 1
        c = self._c = _Cycle()
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
        transport = self._transport = self._transport_factory()
        try:
            phase = transport.open(_unbracket(target_host), target_port)
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
        status is not CONNECTED) with a message and no change."""
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
        if isinstance(method, bool) or not isinstance(method, int):
            raise TypeError(f"method must be a Method or int, not {type(method).__name__}")
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        if isinstance(headers, (str, bytes)) or not all(isinstance(h, str) for h in headers):
            raise TypeError("headers must be a list of 'Name: value' strings")
        started = time.monotonic()
        before = self._status
        problem = self._request_problem(method, url, headers)
        if problem is not None:
            return self._finish_call(op, started, before,
                                     self._caller_mistake(Error.ERR_INVALID_PARAMETER, problem))
        name = Method(method).name
        fields = [_split_header(h) for h in headers]
        try:
            wire = self._build_request(name, url, fields, body)
        except h11.LocalProtocolError as exc:
            return self._finish_call(op, started, before, self._caller_mistake(
                Error.ERR_INVALID_PARAMETER, f"the request is not valid HTTP/1.1: {exc}"))
        self._requests += 1
        c = self._c
        reused = c.used  # an earlier request completed on this connection
        c.reset_response()
        c.count = self._requests
        c.tx, c.tx_offset = wire, 0
        c.info = self._cycle_info(cycle=self._requests, method=name, target=c.target,
                                  reused=reused)
        self.error, self.error_message = Error.OK, ""
        self._set_status(Input.REQUEST)
        return self._finish_call(op, started, before, Error.OK)

    def _request_problem(self, method: int, url: str, headers: Sequence[str]) -> str | None:
        if not 0 <= method < Method.MAX:
            return f"the method {method} is not one of METHOD_GET (0) .. METHOD_PATCH (8)"
        if method == Method.CONNECT:
            ok = ":" in url and not url.startswith(":") and not url.endswith(":")
            if not ok:
                return f"a CONNECT request needs a 'host:port' target, not {url!r}"
        elif not (url.startswith(("/", "http://", "https://"))
                  or (method == Method.OPTIONS and url == "*")):
            return (f"the URL {url!r} must start with '/', 'http://' or 'https://' "
                    "(or be '*' for OPTIONS)")
        if any(ch in url for ch in " \r\n\t\0"):
            return f"the URL {url!r} contains a space or control character (RFC 9112 §3.2)"
        for i, line in enumerate(headers):
            stripped = line.strip()
            if not stripped or stripped.find(":") < 1:
                return (f"invalid HTTP header at index {i}: {line!r} "
                        "(expected 'Name: value')")
            if any(ch in line for ch in "\r\n\0"):
                return f"invalid HTTP header at index {i}: it contains CR, LF or NUL"
        if self._status is not Status.CONNECTED:
            reason = f" ({self.error_message})" if self._status in ERROR_STATUSES else ""
            return (f"request() needs status CONNECTED, but the status is "
                    f"{self._status.name}{reason}")
        return None

    def _build_request(self, method: str, url: str, fields: list[tuple[str, str]],
                       body: bytes) -> bytes:
        """Serialise the request with h11 (framing is h11's job), adding Godot's automatic
        headers in Godot's order: Host, Content-Length, User-Agent, Accept."""
        c = self._c
        target = url
        if self._proxy_kind == "http":
            target = f"http://{_bracket(self._host)}:{self._port}{url}"
        c.method, c.target = method, target
        present = {name.lower() for name, _v in fields}
        auto: list[tuple[str, str]] = []
        if "host" not in present:
            default = 443 if self._tls is not None else 80
            host = _bracket(self._host)
            auto.append(("Host", host if self._port == default else f"{host}:{self._port}"))
        if body and "content-length" not in present and "transfer-encoding" not in present:
            auto.append(("Content-Length", str(len(body))))
        if "user-agent" not in present:
            auto.append(("User-Agent", f"httpexplore/{__version__}"))
        if "accept" not in present:
            auto.append(("Accept", "*/*"))
        parser = c.parser
        if (parser is not None and parser.our_state is h11.DONE
                and parser.their_state is h11.DONE):
            parser.start_next_cycle()  # keep-alive: same parser, next request/response cycle
        else:
            parser = c.parser = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEAD)
        # Building an h11 event validates every header, which dominates the cost of small
        # requests; repeating the previous request reuses the validated event.
        key = (method, target, tuple(fields), tuple(auto))
        cached = self._last_request
        if cached is not None and cached[0] == key:
            req, head = cached[1], cached[2]
        else:
            # Text becomes bytes here, once, as UTF-8 like Godot's request string (h11 would
            # encode as ASCII and raise UnicodeEncodeError out of request()); h11 then refuses
            # what HTTP does not allow (a non-ASCII URL or field name) as LocalProtocolError.
            wire_fields = [(n.encode(), v.encode()) for n, v in fields + auto]
            req = h11.Request(method=method, target=target.encode(), headers=wire_fields)
            # h11 would write Host first (RFC 9110 §7.2 says SHOULD); Godot writes the
            # caller's fields first, in order, then its automatic ones: keep Godot's order.
            head = b"".join([f"{method} ".encode(), req.target, b" HTTP/1.1\r\n",
                             *[b"%s: %s\r\n" % field for field in wire_fields], b"\r\n"])
            self._last_request = (key, req, head)
        parser.send(req)  # h11 tracks the request (framing of the response, keep-alive)
        out = head
        if body:
            out += parser.send(h11.Data(data=body)) or b""
        out += parser.send(h11.EndOfMessage()) or b""
        return out

    # ------------------------------------------------------------------ poll -------------
    def poll(self) -> Error:
        """Do one bounded step of work for the current status and return Godot's code.

        Never raises for network or protocol failures and never blocks unless
        :attr:`blocking_mode_enabled`.  See the module docstring for what each status does.
        """
        started = time.monotonic()
        before = self._status
        result = self._poll_step(started)
        if self._subscribers:
            self._emit("poll", started, before, result)
        else:
            self._clear_step()
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
        self._event("TCPConnected", peer=list(transport.peer or ()))
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
        authority = f"{_bracket(self._host)}:{self._port}"
        tunnel = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEAD)
        wire = tunnel.send(h11.Request(method="CONNECT", target=authority,
                                       headers=[("Host", authority),
                                                ("User-Agent", f"httpexplore/{__version__}")]))
        tunnel.send(h11.EndOfMessage())
        c.tunnel, c.tx, c.tx_offset = tunnel, wire or b"", 0
        c.info = self._cycle_info(method="CONNECT", target=authority)
        return self._poll_tunnel()

    def _poll_tunnel(self) -> Error:
        c = self._c
        tunnel = c.tunnel
        assert tunnel is not None
        if not self._flush():
            return Error.OK
        data = self._recv(_HEAD_READ)
        if data is None:
            return Error.OK
        if not data:
            # Checked before h11 sees the EOF: h11 would report it as a protocol error
            # ("can't handle event type ConnectionClosed").
            return self._fail(TransportError(
                FailureKind.CONNECT, "the proxy closed the connection instead of answering "
                "CONNECT"))
        tunnel.receive_data(data)
        try:
            event = tunnel.next_event()
        except h11.RemoteProtocolError as exc:
            return self._fail(TransportError(
                FailureKind.CONNECT, "the proxy's answer to CONNECT is not valid HTTP: "
                + _explain_protocol_error(exc, None)))
        if event is h11.NEED_DATA:
            return Error.OK
        if not isinstance(event, h11.Response) or not 200 <= event.status_code < 300:
            code = getattr(event, "status_code", 0)
            reason = _latin1(getattr(event, "reason", b""))
            return self._fail(TransportError(
                FailureKind.CONNECT, f"the HTTPS proxy refused the tunnel: CONNECT "
                f"{_bracket(self._host)}:{self._port} got {code} {reason}".rstrip()))
        self._event("TunnelEstablished", status_code=event.status_code)
        c.tunnel = None
        c.info = self._cycle_info(method="", target="")
        return self._start_tls()

    # -- REQUESTING --------------------------------------------------------------------------
    def _poll_requesting(self, now: float) -> Error:
        c = self._c
        try:
            if not self._flush():
                return Error.OK
            if self.blocking_mode_enabled:
                return self._read_head_blocking()
            data = self._recv(_HEAD_READ)
            if data is None:
                return self._check_read_timeout(now)
            return self._feed(data)
        except TransportError as exc:
            return self._fail(exc)
        finally:
            if c.tx_offset >= len(c.tx):
                c.used = True

    def _read_head_blocking(self) -> Error:
        """Blocking mode: wait for bytes until the head is complete (or an error/timeout)."""
        transport = self._transport
        assert transport is not None
        while self._status is Status.REQUESTING:
            if not transport.wait(read=True, write=False, timeout=self.read_timeout):
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
        c = self._c
        what = "the response head" if self._status is Status.REQUESTING else "more of the body"
        return TransportError(
            FailureKind.TIMEOUT, f"read_timeout: no byte arrived for {self.read_timeout:g} s "
            f"while waiting for {what} ({plural(c.received_total, 'byte')} of response so far)")

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
                return self._broken(
                    f"the server closed the connection before a complete response head "
                    f"arrived ({plural(c.received_total, 'byte')} received); RFC 9112 §8: an "
                    "incomplete message must not be treated as complete")
        try:
            parser.receive_data(data)
            self._drain_events(parser)
        except h11.RemoteProtocolError as exc:
            in_head = self._status is Status.REQUESTING
            body = None if in_head else c.body_delivered + c.body_buffered
            message = _explain_protocol_error(exc, body)
            if self._status is Status.BODY and c.body_buffered:
                # Hand out what arrived before the failure first: nothing is lost, and the
                # error status follows the last good byte (see _check_done).
                c.pending_error, c.eof = message, True
                return Error.OK
            return self._broken(message)
        if self._status is Status.REQUESTING and c.body_complete:  # a head with no body at all
            self._complete(Input.HEAD_DONE_CLOSE if c.closing else Input.HEAD_DONE)
        return self._step_result()

    def _drain_events(self, parser: h11.Connection) -> None:
        c = self._c
        while True:
            event = parser.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                if event is h11.PAUSED and c.body_complete:
                    self._unsolicited(parser.trailing_data[0])
                return
            if type(event) is h11.Data:
                if c.chunked and (event.chunk_start or event.chunk_end):
                    self._check_line_size(parser, event)
                self._on_data(event)
            elif isinstance(event, h11.Response):
                self._check_head_size(parser)
                self._on_head(event, parser)
                if c.fast_remaining >= 0 and parser.their_state is h11.SEND_BODY:
                    # Drain what h11 already buffered; the rest is counted without h11.
                    continue
            elif isinstance(event, h11.InformationalResponse):
                self._check_head_size(parser)
                if parser.their_state is h11.SWITCHED_PROTOCOL:
                    self._on_switch(event)
                    return
                c.interim.append(event.status_code)
                if self._subscribers:
                    self._event("InformationalResponse", **_head_detail(event))
            elif isinstance(event, h11.EndOfMessage):
                if c.chunked:
                    self._check_line_size(parser, None)
                self._on_end(event)
            elif isinstance(event, h11.ConnectionClosed):
                self._event("ConnectionClosed")
                return

    def _check_head_size(self, parser: h11.Connection) -> None:
        """Refuse a head larger than ``_MAX_HEAD`` however it arrived.

        h11 only limits a head that is still *incomplete*, so a 70 KiB head was refused when it
        trickled in but accepted when it came in one read: the verdict depended on packet
        boundaries.  Complete heads are measured here, with h11's own words for the refusal.
        ``c.head_start`` is where the element being measured began (response offset).
        """
        c = self._c
        end = c.received_total - _unparsed(parser)
        size, c.head_start = end - c.head_start, end
        if size > _MAX_HEAD:
            raise h11.RemoteProtocolError("Receive buffer too long")

    def _check_line_size(self, parser: h11.Connection, event: h11.Data | None) -> None:
        """The same limit for a chunk-size line (``event`` starts a chunk) and for the last-chunk
        line plus the trailer section (``event`` is None, at the end of the message)."""
        c = self._c
        end = c.received_total - _unparsed(parser)
        if event is None or event.chunk_start:
            line_end = end - (len(event.data) if event is not None else 0)
            if line_end - c.head_start > _MAX_HEAD:
                raise h11.RemoteProtocolError("Receive buffer too long")
        if event is not None and event.chunk_end:
            c.head_start = end + 2  # the CRLF after the data; then the next chunk-size line

    def _on_switch(self, event: h11.InformationalResponse) -> None:
        """101 Switching Protocols to the caller's ``Upgrade`` request: the connection now
        speaks another protocol, which this client does not.  Report the 101 as the final
        response and close the connection (it used to wait in REQUESTING forever)."""
        c = self._c
        c.head_received = True
        c.response_code = event.status_code
        c.reason = _latin1(event.reason)
        c.http_version = _latin1(event.http_version)
        c.headers = [(_latin1(n), _latin1(v)) for n, v in event.headers.raw_items()]
        self._event("Response", **_head_detail(event))
        c.body_length = 0
        c.body_complete = c.closing = True

    def _on_head(self, event: h11.Response, parser: h11.Connection) -> None:
        c = self._c
        # h11 accepts any "HTTP/d.d", but only HTTP/1.x framing is known here (RFC 9112 §2.3).
        if not event.http_version.startswith(b"1."):
            raise h11.RemoteProtocolError(
                f"unsupported HTTP version {_latin1(event.http_version)}")
        # RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing (h11
        # would decode it as chunked).
        if event.http_version == b"1.0" and any(
                name == b"transfer-encoding" for name, _v in event.headers):
            raise h11.RemoteProtocolError("HTTP/1.0 response with Transfer-Encoding")
        c.head_received = True
        c.response_code = event.status_code
        c.reason = _latin1(event.reason)
        c.http_version = _latin1(event.http_version)
        raw = event.headers.raw_items()
        c.headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in raw]
        if self._subscribers:
            self._event("Response", **_head_detail(event))
        # One pass over the (already h11-validated) fields for what decides the framing.
        lengths: list[bytes] = []
        codings: list[bytes] = []
        # The request may have said "Connection: close" too (h11 then holds our side in
        # MUST_CLOSE): RFC 9112 §9.6, the client closes after this response.
        close = c.http_version == "1.0" or parser.our_state is h11.MUST_CLOSE
        for name, value in raw:
            low = name.lower()
            if low == b"content-length":
                lengths.append(value)
            elif low == b"transfer-encoding":
                codings.append(value)
            elif low == b"connection" and b"close" in value.lower():
                close = True
        c.keep_alive = not close
        no_body = (c.method == "HEAD" or event.status_code in _NO_BODY_CODES
                   or (c.method == "CONNECT" and 200 <= event.status_code < 300))
        c.chunked = bool(codings) and not no_body
        if no_body:
            c.body_length = 0
            # Godot shows BODY for these (then one empty read); keep that where Godot would.
            c.closing = not c.keep_alive
            if c.method == "HEAD" or lengths or codings:
                self._set_status(Input.HEAD_BODY)
            return
        if lengths and not codings:
            c.body_length = int(lengths[0])
            c.fast_remaining = c.body_length
        self._set_status(Input.HEAD_BODY)

    def _on_data(self, event: h11.Data) -> None:
        c = self._c
        data = bytes(event.data)
        if data:
            c.body.append(data)
            c.body_buffered += len(data)
            if c.fast_remaining > 0:
                c.fast_remaining -= len(data)
        if self._subscribers:
            self._event("Data", length=len(data), chunk_start=event.chunk_start,
                        chunk_end=event.chunk_end)

    def _on_end(self, event: h11.EndOfMessage) -> None:
        c = self._c
        c.trailers = [(_latin1(n), _latin1(v)) for n, v in event.headers.raw_items()]
        c.body_complete = True
        c.fast_remaining = -1
        if not c.keep_alive or c.eof:
            c.closing = True
        self._event("EndOfMessage", trailers=[list(t) for t in c.trailers])

    def _unsolicited(self, data: bytes) -> None:
        """Bytes beyond the end of the response: never taken as a next response (SPEC §2.3 #5).
        The response is complete; the connection will be closed once it is handed out."""
        c = self._c
        if data:
            self._event("Unsolicited", length=len(data))
            c.closing = True

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
        self._event("EndOfMessage", trailers=[])

    def _fill_blocking(self, want: int) -> None:
        """Blocking mode: read until ``want`` body bytes are buffered or the body ends."""
        transport = self._transport
        assert transport is not None
        c = self._c
        while (c.body_buffered < want and not c.body_complete and not c.eof
               and self._status is Status.BODY):
            if not transport.wait(read=True, write=False, timeout=self.read_timeout):
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
            got = c.body_delivered
            return self._broken(
                f"the server closed the connection after {plural(got, 'body byte')} of the "
                f"{c.body_length} announced by Content-Length ({c.fast_remaining} missing); "
                "RFC 9112 §6.3 and §8: the response is incomplete, not a complete body")
        return self._step_result()

    def read_response_body_chunk(self) -> bytes:
        """Return the body bytes available now, at most :attr:`read_chunk_size`, possibly
        empty.  Outside BODY returns ``b""`` and changes nothing.  The call that hands out the
        last byte moves to CONNECTED (or DISCONNECTED when the connection closes)."""
        started = time.monotonic()
        before = self._status
        if before is not Status.BODY:
            if self._subscribers:
                self._emit("read_response_body_chunk", started, before, Error.OK)
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
        chunk = self._take(size, exact=self.blocking_mode_enabled)
        if self._status is Status.BODY:
            self._check_done()
        if self._subscribers:
            self._emit("read_response_body_chunk", started, before, Error.OK, chunk)
        else:
            self._clear_step()
        return chunk

    def _take(self, size: int, exact: bool = False) -> bytes:
        """Hand out up to ``size`` buffered body bytes (no copy when one piece fits).  With
        ``exact`` (blocking mode) hand out ``min(size, buffered)``: Godot's blocking reads
        return full blocks, so a short first piece is joined with the next one."""
        c = self._c
        body = c.body
        if not body:
            return b""
        first = body[0]
        if len(first) <= size and (len(body) == 1 or len(first) == size or (
                not exact and len(first) + len(body[1]) > size)):
            body.popleft()
            out = first
        else:
            parts: list[bytes] = []
            room = size
            while body and room:
                piece = body.popleft()
                if len(piece) > room:
                    body.appendleft(piece[room:])
                    piece = piece[:room]
                parts.append(piece)
                room -= len(piece)
            out = b"".join(parts)
        c.body_buffered -= len(out)
        c.body_delivered += len(out)
        return out

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
            return self._broken("the server closed the idle keep-alive connection; call "
                                "connect_to_host() again to make a new one")
        self._event("Unsolicited", length=len(data))
        return self._broken(f"{plural(len(data), 'byte')} arrived while no request was "
                            "outstanding; they are not a response to anything (RFC 9112 §9.3), "
                            "so the connection was closed")

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
        c = self._c
        self._set_status(what)
        if what in (Input.BODY_DONE_CLOSE, Input.HEAD_DONE_CLOSE):
            if self._transport is not None:
                self._transport.close()
            self._transport = None
        else:
            c.used = True

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
        got = c.body_delivered + c.body_buffered
        message = (f"{exc.message}; {plural(got, 'body byte')} had arrived, so the response is "
                   "incomplete (RFC 9112 §8)")
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

    def _emit(self, op: str, started: float, before: Status, result: Error,
              body: bytes = b"") -> None:
        sent, received = self._step_sent, self._step_received
        status = self._status
        # A record carries a message when this step failed: a caller mistake, or a move into an
        # error status.  Positional arguments: this runs for every step of a download.
        failed = result is not Error.OK or (status in ERROR_STATUSES and status is not before)
        record = PollRecord(
            self._index, op, time.monotonic(), started, before, status, result, self._c.info,
            sent[0] if len(sent) == 1 else b"".join(sent),
            received[0] if len(received) == 1 else b"".join(received),
            body, tuple(self._step_events), self.error_message if failed else "")
        self._index += 1
        sent.clear()
        received.clear()
        self._step_events.clear()
        for callback in tuple(self._subscribers):
            callback(record)

    # ------------------------------------------------------------------ display -----------
    def __repr__(self) -> str:
        target = f" {self._host}" if self._host else ""
        return f"<HTTPClient{target} {self._status.name}>"

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None:
            transport.close()


def _head_detail(event: h11.Response | h11.InformationalResponse) -> dict[str, Any]:
    return {"status_code": event.status_code, "reason": _latin1(event.reason),
            "http_version": _latin1(event.http_version),
            "headers": [[_latin1(n), _latin1(v)] for n, v in event.headers.raw_items()]}


def _split_header(line: str) -> tuple[str, str]:
    name, _colon, value = line.strip().partition(":")
    return name, value.strip()


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _unbracket(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _uri_encode(text: str) -> str:
    """Godot's ``String.uri_encode``: unreserved bytes kept, others ``%XX`` (uppercase)."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def _godot_str(value: Any) -> str:
    """GDScript's ``String(value)`` for the types a query dict holds."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _install_godot_constants() -> None:
    """``HTTPClient.STATUS_BODY``, ``HTTPClient.METHOD_GET``, ``HTTPClient.RESPONSE_OK``..."""
    # Also the enums themselves, as in GDScript: ``HTTPClient.Status.BODY``.
    for enum_type in (Status, Method, ResponseCode):
        setattr(HTTPClient, enum_type.__name__, enum_type)
    for code in ResponseCode:
        setattr(HTTPClient, f"RESPONSE_{code.name}", code)


_install_godot_constants()
