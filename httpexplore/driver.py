"""The poll loop behind :class:`~httpexplore.client.HTTPClient`: bytes between transport and engine.

Theory of operation
-------------------
:class:`Driver` does the work of each public call, one small bounded step at a time:

* ``RESOLVING`` / ``CONNECTING``: one :meth:`~httpexplore.connector.Connector.step` (DNS
  result ready? TCP connect finished? one more round of the TLS handshake?  the HTTPS proxy's
  ``CONNECT`` answered?).
* ``REQUESTING``: write what the transport accepts of the queued request, then read what has
  arrived and give it to the :class:`~httpexplore.engine.Engine`.
* ``BODY``: read what has arrived into the body buffer (counted by the engine for a
  Content-Length body, parsed for the others); ``read_response_body_chunk`` hands it out.
* ``CONNECTED``: check that the idle connection is still alive and silent.

It owns the transport, the status (changed only through :func:`httpexplore.status.next_status`)
and the mapping of failures to Godot's codes and plain-language messages.  The engine decides
what the bytes mean; the connector brings a connection up; the :class:`~httpexplore._steps.StepLog`
records each step.  Every time comes from ``clock`` (``time.monotonic`` unless the client was
given another), read once per step where possible and passed down.

Response-queue poisoning (RFC 9112 §9.3.2, docs/limits.md): :meth:`Driver._look_behind` and
:meth:`Driver._probe_reused` look, without blocking, behind every complete response and before
a request is written on a reused connection.  The body's hot path (``poll`` → ``_poll_body``
→ ``read_body_once`` → ``_recv``; ``read_chunk`` → ``Cycle.take``) stays in few, flat calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import h11

from ._steps import StepLog
from .connector import NEW_CYCLE_INFO, READY, RESOLVED, Connector
from .engine import BROKEN, DONE, DONE_CLOSE, Engine
from .errors import (
    Error,
    FailureKind,
    TransportError,
    idle_closed_message,
    incomplete_body_message,
    read_timeout_message,
    readable_reprs,
    request_timeout_message,
    unsolicited_message,
)
from .records import CycleInfo
from .request import authority, request_fields, request_target
from .status import Input, Method, Status, next_status
from .tls import TLSOptions
from .transport import Phase, Transport

__all__ = ["Driver"]

_OK = Error.OK
_BODY, _REQUESTING, _CONNECTED = Status.BODY, Status.REQUESTING, Status.CONNECTED
_HEAD_READ = 65536  # bytes read per poll while waiting for the response head
_DONE_INPUT = {DONE: Input.BODY_DONE, DONE_CLOSE: Input.BODY_DONE_CLOSE}


class Driver:
    """The state and the steps of one :class:`~httpexplore.client.HTTPClient`."""

    def __init__(self, clock: Callable[[], float],
                 transport_factory: Callable[[], Transport] | None,
                 connect_timeout: float | None, read_timeout: float | None,
                 request_timeout: float | None, user_agent: str) -> None:
        self.clock = clock
        self.log = StepLog(clock)
        self.engine = Engine(user_agent)
        self.connector = Connector(self.engine, self.log, transport_factory)
        self.transport: Transport | None = None
        self.status = Status.DISCONNECTED
        self.read_chunk_size = 65536
        self.blocking = False
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.request_timeout = request_timeout
        self.error = Error.OK
        self.error_message = ""
        self.host = ""
        self.port = -1
        self.tls: TLSOptions | None = None
        self.http_proxy: tuple[str, int] | None = None
        self.https_proxy: tuple[str, int] | None = None
        # Proxy-Authorization values for the proxy hop only (set_http(s)_proxy credentials).
        self.http_proxy_auth: str | None = None
        self.https_proxy_auth: str | None = None
        self.connections = 0
        self.requests = 0

    # ------------------------------------------------------------------ connect ----------
    def connect(self, host: str, port: int, tls: TLSOptions | None, started: float,
                before: Status) -> Error:
        """``connect_to_host`` with checked arguments: open a transport, RESOLVING or
        CONNECTING."""
        self.host, self.port, self.tls = host, port, tls
        self.error, self.error_message = Error.OK, ""
        self.connections += 1
        c = self.engine.new_connection(self.connections, self.requests)
        connector = self.connector
        transport = self.transport = connector.open(
            host, port, tls, self.http_proxy, self.https_proxy, self.https_proxy_auth,
            self.clock())
        c.info = self.cycle_info()
        try:
            phase = connector.dial(transport)
        except TransportError as exc:  # an IP literal whose connect failed at once
            self._set_status(Input.CONNECT_ADDRESS)
            result = self._fail(exc)
        else:
            self._set_status(Input.CONNECT_NAME if phase is Phase.RESOLVING
                             else Input.CONNECT_ADDRESS)
            result = Error.OK
        return self.finish_call("connect_to_host", started, before, result)

    def cycle_info(self, **changes: Any) -> CycleInfo:
        c = self.engine.c
        transport = self.transport
        info = CycleInfo(connection=c.connection, cycle=c.count, host=self.host, port=self.port,
                         tls=self.tls is not None, method=c.method, target=c.target,
                         proxy=self.connector.proxy_kind,
                         peer=transport.peer if transport is not None else None,
                         reused=c.info.reused)
        return info._replace(**changes) if changes else info

    def _poll_connecting(self, now: float) -> Error:
        transport = self.transport
        assert transport is not None
        connector = self.connector
        failure: TransportError | None = None
        try:
            connector.step(transport, now, self.status is Status.RESOLVING, self.blocking,
                           self.connect_timeout)
        except TransportError as exc:
            failure = exc
        flags = connector.changes
        if flags & NEW_CYCLE_INFO:
            c = self.engine.c
            c.info = (self.cycle_info(method="CONNECT", target=authority(self.host, self.port))
                      if c.tunnel is not None else self.cycle_info(method="", target=""))
        if flags & RESOLVED:
            self._set_status(Input.RESOLVED)
        if failure is not None:
            return self._fail(failure)
        if flags & READY:
            self._set_status(Input.READY)
        return Error.OK

    # ------------------------------------------------------------------ request ----------
    def request(self, op: str, method: Method | int, url: str, headers: Sequence[str],
                body: bytes, started: float, before: Status) -> Error:
        """``request``/``request_raw`` with arguments that passed ``request_problem``."""
        name = Method(method).name
        proxy_kind = self.connector.proxy_kind
        fields = request_fields(headers, proxy_kind, self.http_proxy_auth)
        if isinstance(fields, str):
            return self.finish_call(op, started, before, self.caller_mistake(
                Error.ERR_INVALID_PARAMETER, fields))
        target, host, port, tls = request_target(url, proxy_kind, self.host, self.port,
                                                 self.tls is not None)
        engine = self.engine
        try:
            wire = engine.serialise(name, target, fields, body, host, port, tls)
        except h11.LocalProtocolError as exc:
            return self.finish_call(op, started, before, self.caller_mistake(
                Error.ERR_INVALID_PARAMETER,
                f"the request is not valid HTTP/1.1: {readable_reprs(str(exc))}"))
        c = engine.c
        reused = c.used  # an earlier request completed on this connection
        if reused and self.transport is not None:
            # Godot writes the request inside request(); this client writes it in poll(), and
            # looks for bytes or an EOF on the idle connection here and before the first write.
            # Either ends the connection (nothing of this request is written), so the h11
            # cycle just started does not matter; the step stays on the previous cycle.  The
            # previous response is forgotten first, as for any new request: whatever the
            # caller reads next is never a response to this request.
            c.reset_response()
            result = self._probe_reused()
            if result is not _OK:
                return self.finish_call(op, started, before, result)
        self.requests += 1
        c.reset_response()
        c.requested_at = started
        c.count = self.requests
        engine.queue(wire)
        transport = self.transport
        c.info = CycleInfo(connection=c.connection, cycle=self.requests, host=self.host,
                           port=self.port, tls=self.tls is not None, method=name,
                           target=target, proxy=proxy_kind,
                           peer=transport.peer if transport is not None else None,
                           reused=reused)
        self.error, self.error_message = Error.OK, ""
        self._set_status(Input.REQUEST)
        return self.finish_call(op, started, before, Error.OK)

    # ------------------------------------------------------------------ poll -------------
    def poll(self) -> Error:
        started = self.clock()
        before = self.status
        # The hot statuses first, without a call or an enum attribute lookup.
        if before is _BODY:
            result = self._poll_body(started)
        elif before is _REQUESTING:
            result = self._poll_requesting(started)
        elif before is _CONNECTED:
            result = self._poll_idle(started)
        elif before is Status.RESOLVING or before is Status.CONNECTING:
            result = self._poll_connecting(started)
        elif before is Status.DISCONNECTED:
            result = self.caller_mistake(
                Error.ERR_UNCONFIGURED, "poll() has nothing to do while DISCONNECTED: call "
                "connect_to_host() first")
        elif before is Status.CANT_RESOLVE:
            result = Error.ERR_CANT_RESOLVE
        elif before is Status.CANT_CONNECT:
            result = Error.ERR_CANT_CONNECT
        else:
            result = Error.ERR_CONNECTION_ERROR
        log = self.log
        if not log.subscribers:
            if log.received or log.sent or log.events:
                log.clear()
        elif (result is _OK and self.status is before
              and not (log.received or log.sent or log.events)):
            log.quiet_step("poll", started, before, self.engine.c.info)  # (an idle poll)
        else:
            log.emit("poll", started, before, self.status, result, self.engine.c.info,
                     self.error_message)
        return result

    # -- REQUESTING --------------------------------------------------------------------------
    def _poll_requesting(self, now: float) -> Error:
        c = self.engine.c
        if self.request_timeout is not None and self._past_deadline(now):
            return self._fail(self._timeout_error(now))
        try:
            if c.tx_offset < len(c.tx):  # the request is not all written yet
                if not c.tx_offset and c.info.reused and self._probe_reused() is not _OK:
                    return Error.ERR_CONNECTION_ERROR
                written = self._flush(now)
                if c.tx_offset >= len(c.tx):
                    c.used = True  # the next request on this connection reuses it
                if not written:
                    return _OK
            if self.blocking:
                return self._read_head_blocking()
            data = self._recv(_HEAD_READ, now)
        except TransportError as exc:
            return self._fail(exc)
        if data is None:  # the usual idle poll: inline what _check_read_timeout would do
            return _OK if self.read_timeout is None else self._check_read_timeout(now)
        return self._feed(data)

    def _read_head_blocking(self) -> Error:
        """Blocking mode: wait for bytes until the head is complete (or an error/timeout)."""
        transport = self.transport
        assert transport is not None
        while self.status is Status.REQUESTING:
            if not transport.wait(read=True, write=False, timeout=self._wait_limit()):
                return self._fail(self._timeout_error(self.clock()))
            data = self._recv(_HEAD_READ, self.clock())
            if data is not None:
                self._feed(data)
        return self._step_result()

    def _flush(self, now: float) -> bool:
        """Write queued request bytes; True once all are written."""
        engine = self.engine
        transport = self.transport
        assert transport is not None
        out = engine.outgoing()
        while out is not None:
            if self.blocking:
                transport.wait(read=False, write=True, timeout=None)
                now = self.clock()
            n = transport.send(out)
            if n:
                self.log.sent.append(engine.wrote(n))
                engine.c.last_rx = now  # the read timeout counts from the last send
            elif not self.blocking:
                return False
            out = engine.outgoing()
        return True

    def _recv(self, max_bytes: int, now: float) -> bytes | None:
        """One read from the transport, logged for the record.  None: nothing yet."""
        assert self.transport is not None
        data = self.transport.recv(max_bytes)
        if data is not None:
            c = self.engine.c
            if data:
                self.log.received.append(data)
                c.received_total += len(data)
            c.last_rx = now
        return data

    def _check_read_timeout(self, now: float) -> Error:
        limit = self.read_timeout
        if limit is not None and now - self.engine.c.last_rx > limit:
            return self.fail_body(self._timeout_error(now))
        return Error.OK

    def _timeout_error(self, now: float) -> TransportError:
        in_head = self.status is Status.REQUESTING
        received = self.engine.c.received_total
        if self._past_deadline(now):
            return TransportError(FailureKind.TIMEOUT, request_timeout_message(
                self.request_timeout, in_head, received))
        return TransportError(FailureKind.TIMEOUT, read_timeout_message(
            self.read_timeout, in_head, received))

    def _past_deadline(self, now: float) -> bool:
        """``request_timeout`` has run out for the current request."""
        limit = self.request_timeout
        return limit is not None and now - self.engine.c.requested_at > limit

    def _wait_limit(self) -> float | None:
        """Blocking mode: how long one wait may last (read_timeout, and what is left of
        request_timeout)."""
        limits = [t for t in (self.read_timeout,) if t is not None]
        if self.request_timeout is not None:
            left = self.engine.c.requested_at + self.request_timeout - self.clock()
            limits.append(max(left, 0.0))
        return min(limits) if limits else None

    def _feed(self, data: bytes) -> Error:
        """Give received bytes (``b""`` = end of stream) to the engine and act on its verdict."""
        engine = self.engine
        c = engine.c
        log = self.log
        message = engine.feed(data, log.events if log.subscribers else None,
                              self.status is Status.REQUESTING)
        if c.enter_body:  # the head arrived (perhaps before a failure)
            c.enter_body = False
            self._set_status(Input.HEAD_BODY)
        if message is not None:
            return self._broken(message)
        if self.status is Status.REQUESTING and c.body_complete:  # a head with no body at all
            self._complete(Input.HEAD_DONE_CLOSE if c.closing else Input.HEAD_DONE)
        return self._step_result()

    # -- BODY ----------------------------------------------------------------------------------
    def _poll_body(self, now: float) -> Error:
        c = self.engine.c
        if c.body_complete or c.eof or c.body_buffered >= self.read_chunk_size:
            # Nothing to read (or enough buffered: backpressure bounds memory).
            return self.check_done()
        try:
            if self.blocking:
                self.fill_blocking(1)
            else:
                self.read_body_once(now)
        except TransportError as exc:
            return self.fail_body(exc)
        return self.check_done()

    def read_body_once(self, now: float) -> None:
        c = self.engine.c
        if self.request_timeout is not None and self._past_deadline(now):
            raise self._timeout_error(now)  # (callers turn it into the failure)
        if c.fast_remaining > 0:
            data = self._recv(min(c.fast_remaining, self.read_chunk_size), now)
            if data is None:
                self._check_read_timeout(now)
            else:
                log = self.log
                self.engine.feed_counted(data, log.events if log.subscribers else None)
            return
        data = self._recv(self.read_chunk_size, now)
        if data is None:
            self._check_read_timeout(now)
        else:
            self._feed(data)

    def fill_blocking(self, want: int) -> None:
        """Blocking mode: read until ``want`` body bytes are buffered or the body ends."""
        transport = self.transport
        assert transport is not None
        c = self.engine.c
        while (c.body_buffered < want and not c.body_complete and not c.eof
               and self.status is Status.BODY):
            if not transport.wait(read=True, write=False, timeout=self._wait_limit()):
                self.fail_body(self._timeout_error(self.clock()))
                return
            self.read_body_once(self.clock())

    def check_done(self) -> Error:
        """End BODY when everything is handed out, or fail a truncated body."""
        if self.status is not Status.BODY:
            return self._step_result()
        if self.engine.c.body_buffered:
            return Error.OK
        verdict, message = self.engine.body_verdict()
        if verdict is BROKEN:
            return self._broken(message)
        if verdict in _DONE_INPUT:
            self._complete(_DONE_INPUT[verdict])
        return self._step_result()

    def read_chunk(self) -> bytes:
        """``read_response_body_chunk``."""
        started = self.clock()
        before = self.status
        log = self.log
        if before is not Status.BODY:
            if log.subscribers:
                self._after_read(started, before, b"")
            return b""
        c = self.engine.c
        size = self.read_chunk_size
        try:
            if self.blocking:
                want = size if c.body_length < 0 else min(size, max(c.fast_remaining, 0)
                                                            + c.body_buffered)
                self.fill_blocking(max(want, 1))
            elif not c.body_buffered and not c.body_complete and not c.eof:
                self.read_body_once(started)
        except TransportError as exc:
            self.fail_body(exc)
        chunk = c.take(size, exact=self.blocking)
        if self.status is Status.BODY:
            self.check_done()
        if log.subscribers:
            self._after_read(started, before, chunk)
        else:
            log.clear()
        return chunk

    def _after_read(self, started: float, before: Status, chunk: bytes) -> None:
        log = self.log
        info = self.engine.c.info
        log.emit("read_response_body_chunk", started, before, self.status, _OK, info,
                 self.error_message, chunk)

    # -- CONNECTED -----------------------------------------------------------------------------
    def _poll_idle(self, now: float) -> Error:
        """Liveness check on an idle keep-alive connection (Godot does the same).  A close by
        the server or unsolicited bytes end in CONNECTION_ERROR (README, divergence 5)."""
        try:
            data = self._recv(_HEAD_READ, now)
        except TransportError as exc:
            return self._fail(exc)
        if data is None:
            return Error.OK
        if not data:
            self.log.event("PeerClosed")
            return self._broken(idle_closed_message())
        self.log.event("Unsolicited", length=len(data))
        return self._broken(unsolicited_message(len(data)))

    # ------------------------------------------------------------------ close ------------
    def close(self) -> None:
        started = self.clock()
        before = self.status
        self.close_quietly()
        self.error, self.error_message = Error.OK, ""
        self.finish_call("close", started, before, Error.OK)

    def close_quietly(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.transport = None
        self.engine.forget_connection()
        if self.status is not Status.DISCONNECTED:
            self._set_status(Input.CLOSE)

    # ------------------------------------------------------------------ outcomes -----------
    def _complete(self, what: Input) -> None:
        """The response is complete and handed out: CONNECTED, or DISCONNECTED when the
        connection closes, or CONNECTION_ERROR when bytes follow the response."""
        c = self.engine.c
        if self._look_behind():
            self._broken(unsolicited_message(c.unsolicited, after_response=True))
            return
        if c.closing:  # (the look behind may have seen the server close)
            what = Input.HEAD_DONE_CLOSE if what is Input.HEAD_DONE else (
                Input.BODY_DONE_CLOSE if what is Input.BODY_DONE else what)
        self._set_status(what)
        if what in (Input.BODY_DONE_CLOSE, Input.HEAD_DONE_CLOSE):
            if self.transport is not None:
                self.transport.close()
            self.transport = None
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
        c = self.engine.c
        if c.unsolicited or c.eof or c.response_code == 101 or self.transport is None:
            return c.unsolicited > 0
        try:
            data = self._recv(_HEAD_READ, self.clock())
        except TransportError:
            c.closing = True  # reset after a complete response: the connection is gone
            return False
        if data is None:
            return False
        if not data:
            c.eof = c.closing = True
            self.log.event("PeerClosed")
            return False
        c.unsolicited = len(data)
        self.log.event("Unsolicited", length=len(data))
        return True

    def _probe_reused(self) -> Error:
        """Before a request is written on a reused connection: one non-blocking read.  Bytes
        mean unsolicited data (never taken as this request's response), EOF means the server
        closed the idle connection; either ends in CONNECTION_ERROR."""
        try:
            data = self._recv(_HEAD_READ, self.clock())
        except TransportError as exc:
            return self._broken(f"{exc.message}; {idle_closed_message()}")
        if data is None:
            return _OK
        if not data:
            self.log.event("PeerClosed")
            return self._broken(idle_closed_message())
        self.log.event("Unsolicited", length=len(data))
        return self._broken(unsolicited_message(len(data)))

    def _broken(self, message: str) -> Error:
        """A connection or protocol failure after connecting: CONNECTION_ERROR."""
        self.error, self.error_message = Error.ERR_CONNECTION_ERROR, message
        self.log.event("Error", message=message)
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        c = self.engine.c
        c.body.clear()
        c.body_buffered = 0
        if self.status is not Status.CONNECTION_ERROR:
            self._set_status(Input.BROKEN)
        return Error.ERR_CONNECTION_ERROR

    def _fail(self, exc: TransportError) -> Error:
        """Map a transport failure to Godot's terminal status and code."""
        status = self.status
        if status in (Status.RESOLVING, Status.CONNECTING):
            if exc.kind is FailureKind.RESOLVE:
                code, what = Error.ERR_CANT_RESOLVE, Input.RESOLVE_FAILED
            elif exc.kind is FailureKind.TLS:
                code, what = Error.ERR_CANT_CONNECT, Input.TLS_FAILED
            else:
                code, what = Error.ERR_CANT_CONNECT, Input.CONNECT_FAILED
            self.error, self.error_message = code, exc.message
            self.log.event("Error", message=exc.message)
            if self.transport is not None:
                self.transport.close()
                self.transport = None
            self._set_status(what)
            return code
        return self._broken(exc.message)

    def fail_body(self, exc: TransportError) -> Error:
        """A reset or timeout in BODY.  As for a protocol error (see ``_feed``), the body bytes
        already received are handed out first, then the error follows."""
        c = self.engine.c
        if self.status is not Status.BODY:
            return self._fail(exc)
        message = incomplete_body_message(exc.message, c.body_delivered + c.body_buffered)
        if c.body_buffered:
            c.pending_error, c.eof = message, True
            return Error.OK
        return self._fail(TransportError(exc.kind, message))

    def _step_result(self) -> Error:
        status = self.status
        if status in (Status.CONNECTION_ERROR, Status.TLS_HANDSHAKE_ERROR):
            return Error.ERR_CONNECTION_ERROR
        return Error.OK

    def caller_mistake(self, code: Error, message: str) -> Error:
        self.error, self.error_message = code, message
        return code

    def _set_status(self, what: Input) -> None:
        self.status = next_status(self.status, what)

    # ------------------------------------------------------------------ records ------------
    def finish_call(self, op: str, started: float, before: Status, result: Error,
                    body: bytes = b"") -> Error:
        log = self.log
        if log.subscribers:
            log.emit(op, started, before, self.status, result, self.engine.c.info,
                     self.error_message, body)
        else:
            log.clear()
        return result
