"""``HTTPRequest``: Godot 4's high-level request node, on top of :class:`HTTPClient`.

Theory of operation
-------------------
In Godot, ``HTTPRequest`` is a node: the engine calls it once per frame, and each frame it does
one step of the work with its inner ``HTTPClient`` (poll while resolving, connecting or
requesting; send the request once connected; read one body chunk per frame), then emits
``request_completed(result, response_code, headers, body)`` at the end of the frame that
finished.  Here a frame is a call to :meth:`HTTPRequest.process`; ``await
request.completed()`` calls it from the running asyncio loop, one frame per tick, which is what
Godot's web export and ``await http_request.request_completed`` amount to.

With ``use_threads = True`` the steps run in a background thread instead, and ``process()``
only hands the result over: the signal is always emitted on the thread that calls
``process()``, as Godot defers it to the main thread.  ``timeout`` is measured in frame time
(the ``delta`` given to ``process()``, or the real time between calls when none is given), as a
Godot ``Timer`` is.

A request opens a fresh connection (and so does every redirect hop, as in Godot); the inner
client and its recorder stay the same, so :attr:`HTTPRequest.trace` and :meth:`inspect` show the
whole redirect chain, one cycle per hop.  Failures never raise: they are a :class:`Result`, plus
:attr:`HTTPRequest.error_message` in plain words.  A response the client refuses (malformed
framing, a truncated body) is never ``RESULT_SUCCESS``.

Where this differs from Godot (redirect rules, body checks) is listed in ``docs/httprequest.md``.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from ._download import BodySink
from ._request_url import REDIRECT_CODES, Target, parse_url, redirect_target, redirected_request
from .client import HTTPClient
from .errors import Error
from .signals import Signal
from .status import Method, Status
from .tls import TLSOptions

__all__ = ["Completion", "HTTPRequest", "Result"]


class Result(enum.IntEnum):
    """Godot 4's ``HTTPRequest.Result`` (values as in Godot 4; Godot 3 had no
    ``BODY_DECOMPRESS_FAILED``, so its later values were one lower)."""

    SUCCESS = 0
    CHUNKED_BODY_SIZE_MISMATCH = 1
    CANT_CONNECT = 2
    CANT_RESOLVE = 3
    CONNECTION_ERROR = 4
    TLS_HANDSHAKE_ERROR = 5
    NO_RESPONSE = 6
    BODY_SIZE_LIMIT_EXCEEDED = 7
    BODY_DECOMPRESS_FAILED = 8
    REQUEST_FAILED = 9
    DOWNLOAD_FILE_CANT_OPEN = 10
    DOWNLOAD_FILE_WRITE_ERROR = 11
    REDIRECT_LIMIT_REACHED = 12
    TIMEOUT = 13


class Completion(NamedTuple):
    """The arguments of ``request_completed``, as returned by :meth:`HTTPRequest.completed`."""

    result: Result
    response_code: int
    headers: list[str]
    body: bytes


_FAILED_STATUS = {Status.CANT_RESOLVE: Result.CANT_RESOLVE,
                  Status.CANT_CONNECT: Result.CANT_CONNECT,
                  Status.CONNECTION_ERROR: Result.CONNECTION_ERROR,
                  Status.TLS_HANDSHAKE_ERROR: Result.TLS_HANDSHAKE_ERROR}
_POLLING = (Status.RESOLVING, Status.CONNECTING, Status.REQUESTING)


class HTTPRequest:
    """Godot 4's ``HTTPRequest``: one request at a time, result by signal.

    Parameters
    ----------
    client:
        The inner :class:`HTTPClient` (a new recording one by default).

    Attributes (Godot's properties and defaults): ``accept_gzip = True``,
    ``body_size_limit = -1``, ``download_chunk_size = 65536``, ``download_file = ""``,
    ``max_redirects = 8``, ``timeout = 0.0``, ``use_threads = False``.
    """

    RESULT_SUCCESS = Result.SUCCESS
    RESULT_CHUNKED_BODY_SIZE_MISMATCH = Result.CHUNKED_BODY_SIZE_MISMATCH
    RESULT_CANT_CONNECT = Result.CANT_CONNECT
    RESULT_CANT_RESOLVE = Result.CANT_RESOLVE
    RESULT_CONNECTION_ERROR = Result.CONNECTION_ERROR
    RESULT_TLS_HANDSHAKE_ERROR = Result.TLS_HANDSHAKE_ERROR
    RESULT_NO_RESPONSE = Result.NO_RESPONSE
    RESULT_BODY_SIZE_LIMIT_EXCEEDED = Result.BODY_SIZE_LIMIT_EXCEEDED
    RESULT_BODY_DECOMPRESS_FAILED = Result.BODY_DECOMPRESS_FAILED
    RESULT_REQUEST_FAILED = Result.REQUEST_FAILED
    RESULT_DOWNLOAD_FILE_CANT_OPEN = Result.DOWNLOAD_FILE_CANT_OPEN
    RESULT_DOWNLOAD_FILE_WRITE_ERROR = Result.DOWNLOAD_FILE_WRITE_ERROR
    RESULT_REDIRECT_LIMIT_REACHED = Result.REDIRECT_LIMIT_REACHED
    RESULT_TIMEOUT = Result.TIMEOUT

    def __init__(self, *, client: HTTPClient | None = None) -> None:
        #: ``request_completed(result, response_code, headers, body)``.
        self.request_completed = Signal("request_completed", "result", "response_code",
                                        "headers", "body")
        self._client = client if client is not None else HTTPClient()
        self.accept_gzip = True
        self.body_size_limit = -1
        self.download_file = ""
        self.max_redirects = 8
        self.timeout = 0.0
        self._use_threads = False
        self._tls_options: TLSOptions | None = None
        #: Why the last request failed (or what a refused call got wrong), in plain words.
        self.error_message = ""
        #: The URLs requested for the current (or last) request: the first, then each hop.
        self.visited: list[str] = []
        self._requesting = False
        self._pending: Completion | None = None
        self._thread: threading.Thread | None = None
        self._quit = threading.Event()
        self._last_frame = 0.0
        self._elapsed = 0.0
        self._reset()

    def _reset(self) -> None:
        self._target: Target | None = None
        self._method = Method.GET
        self._body = b""
        self._headers: list[str] = []
        self._request_sent = False
        self._got_response = False
        self._response_code = 0
        self._response_headers: list[str] = []
        self._body_len = -1
        self._downloaded = 0
        self._redirections = 0
        self._sink: BodySink | None = None

    # ------------------------------------------------------------------ properties --------
    @property
    def client(self) -> HTTPClient:
        """The inner :class:`HTTPClient` (Godot keeps it private; here it is for learning)."""
        return self._client

    @property
    def trace(self) -> Any:
        """The inner client's recorder: every hop of every request, step by step."""
        return self._client.trace

    @property
    def download_chunk_size(self) -> int:
        return self._client.read_chunk_size

    @download_chunk_size.setter
    def download_chunk_size(self, value: int) -> None:
        # Godot refuses the change while a connection is open; so does this.
        if self._client.get_status() is not Status.DISCONNECTED:
            self.error_message = "download_chunk_size can only change between requests"
            return
        self._client.set_read_chunk_size(value)

    @property
    def use_threads(self) -> bool:
        return self._use_threads

    @use_threads.setter
    def use_threads(self, value: bool) -> None:
        if self._requesting:
            self.error_message = "use_threads can only change between requests"
            return
        self._use_threads = bool(value)

    def get_body_size(self) -> int:
        """The response's Content-Length, or -1 when unknown (chunked, read until close)."""
        return self._body_len

    def get_downloaded_bytes(self) -> int:
        """Body bytes received so far for the current response (before decompression)."""
        return self._downloaded

    def get_http_client_status(self) -> Status:
        return self._client.get_status()

    def set_http_proxy(self, host: str, port: int) -> None:
        self._client.set_http_proxy(host, port)

    def set_https_proxy(self, host: str, port: int) -> None:
        self._client.set_https_proxy(host, port)

    def set_tls_options(self, client_options: TLSOptions | None) -> None:
        """TLS options for ``https://`` URLs (default: ``TLSOptions.client()``)."""
        self._tls_options = client_options

    def is_requesting(self) -> bool:
        """True from a successful :meth:`request` until its signal is emitted or it is
        cancelled (not in Godot's API, which only says ``ERR_BUSY``)."""
        return self._requesting

    # ------------------------------------------------------------------ requests ----------
    def request(self, url: str, custom_headers: Sequence[str] = (),
                method: Method | int = Method.GET, request_data: str = "") -> Error:
        """Start a request; the result comes with ``request_completed``.

        Returns ``OK``, ``ERR_BUSY`` (a request is in progress), ``ERR_INVALID_PARAMETER``
        (not an ``http://``/``https://`` URL) or ``ERR_CANT_CONNECT`` (the connection could not
        even start; ``RESULT_CANT_CONNECT`` is then emitted on the next frame, as in Godot).
        """
        if not isinstance(request_data, str):
            raise TypeError("request_data must be a str (use request_raw for bytes)")
        return self.request_raw(url, custom_headers, method, request_data.encode("utf-8"))

    def request_raw(self, url: str, custom_headers: Sequence[str] = (),
                    method: Method | int = Method.GET,
                    request_data_raw: bytes | bytearray = b"") -> Error:
        """Like :meth:`request`, with the body as bytes."""
        # Wrong types are programming mistakes: raised here, never later from a frame.
        if isinstance(custom_headers, (str, bytes)) or \
                not all(isinstance(h, str) for h in custom_headers):
            raise TypeError("custom_headers must be a list of str, like [\"Accept: */*\"]")
        if not isinstance(request_data_raw, (bytes, bytearray)):
            raise TypeError(f"request_data_raw must be bytes, not "
                            f"{type(request_data_raw).__name__}")
        if self._requesting:
            self.error_message = "a request is already in progress (one at a time per node)"
            return Error.ERR_BUSY
        target = parse_url(url)
        if isinstance(target, str):
            self.error_message = target
            return Error.ERR_INVALID_PARAMETER
        try:
            method = Method(method)
        except ValueError:
            self.error_message = f"{method!r} is not an HTTPClient.Method"
            return Error.ERR_INVALID_PARAMETER
        self._reset()
        self.error_message = ""
        self._target, self._method, self._body = target, method, bytes(request_data_raw)
        headers = list(custom_headers)
        if self.accept_gzip and not any(h.strip().lower().startswith("accept-encoding")
                                        for h in headers):
            headers.append("Accept-Encoding: gzip, deflate")
        self._headers = headers
        self.visited = [target.url]
        self._requesting = True
        self._elapsed = 0.0
        self._last_frame = time.monotonic()
        if self._connect() is not Error.OK:
            self._pending = Completion(Result.CANT_CONNECT, 0, [], b"")
            return Error.ERR_CANT_CONNECT
        if self._use_threads:
            self._quit.clear()
            thread = threading.Thread(target=self._thread_main, daemon=True, name="HTTPRequest")
            try:
                thread.start()
                self._thread = thread
            except RuntimeError:
                pass  # no threads here (e.g. in a browser): the frames do the work instead
        return Error.OK

    def _connect(self) -> Error:
        target = self._target
        assert target is not None
        tls = (self._tls_options or TLSOptions.client()) if target.tls else None
        err = self._client.connect_to_host(target.host, target.port, tls)
        if err is not Error.OK:
            self.error_message = self._client.error_message
        return err

    def cancel_request(self) -> None:
        """Stop the current request at once; no signal is emitted for it, and the node can
        make a new request straight away."""
        self._elapsed = 0.0
        if not self._requesting:
            return
        if self._thread is not None:
            self._quit.set()
            self._thread.join()  # each step is non-blocking, so this returns promptly
            self._thread = None
        if self._sink is not None:
            self._sink.close()
        self._client.close()
        # As in Godot, the sizes of the last response stay readable until the next request.
        size, downloaded = self._body_len, self._downloaded
        self._reset()
        self._body_len, self._downloaded = size, downloaded
        self._pending = None
        self._requesting = False

    # ------------------------------------------------------------------ frames ------------
    def process(self, delta: float | None = None) -> None:
        """One frame (Godot's ``_process``): one step of the request, then, if it finished,
        the node resets and ``request_completed`` is emitted.  ``delta`` is the frame time
        counted against :attr:`timeout` (default: the real time since the last frame)."""
        now = time.monotonic()
        if delta is None:
            delta = now - self._last_frame
        self._last_frame = now
        if not self._requesting:
            return
        if self._pending is None and self.timeout > 0:
            self._elapsed += delta
            if self._elapsed >= self.timeout:
                self._pending = Completion(Result.TIMEOUT, 0, [], b"")
                self.error_message = (f"no complete response within timeout = {self.timeout} s;"
                                      " the request was cancelled")
        if self._pending is None and self._thread is None:
            self._update()
        done = self._pending
        if done is None:
            return
        message = self.error_message
        self.cancel_request()
        self.error_message = message
        self.request_completed.emit(*done)

    async def completed(self, *, frame: float = 1 / 60) -> Completion:
        """Drive frames from the running asyncio loop until the request completes; returns
        what ``request_completed`` carried.  Raises ``RuntimeError`` when no request is in
        progress (awaiting would never end)."""
        if not self._requesting:
            raise RuntimeError("no request in progress: call request() first")
        # Imported here: asyncio imports ssl, and `import httpexplore` must not (Pyodide has no
        # ssl, and plain HTTP needs none).
        import asyncio

        got: list[Completion] = []

        def grab(*args: Any) -> None:
            got.append(Completion(*args))

        self.request_completed.connect(grab)
        try:
            while not got:
                self.process()
                if not got:
                    if not self._requesting:
                        raise RuntimeError("the request was cancelled")
                    await asyncio.sleep(frame)
        finally:
            self.request_completed.disconnect(grab)
        return got[0]

    def _thread_main(self) -> None:
        while not self._quit.is_set():
            if self._update():
                return
            # Every step returns at once; this pause keeps a wait from spinning a core.
            time.sleep(0.0005)

    # ------------------------------------------------------------------ one step ----------
    def _update(self) -> bool:
        """One step with the inner client; True once :attr:`_pending` holds the outcome."""
        client = self._client
        status = client.get_status()
        if status in _POLLING:
            client.poll()
            return False
        if status is Status.BODY:
            return self._update_body()
        responded = self._request_sent and client.has_response()
        if status is Status.CONNECTED or (status is Status.DISCONNECTED and responded):
            if not self._request_sent:
                return self._send()
            if not self._got_response:
                handled = self._handle_response()
                if handled is not None:
                    return handled
                return self._done(Result.SUCCESS)  # a response without a body
            if self._body_len < 0 or self._downloaded == self._body_len:
                return self._done(Result.SUCCESS)
            return self._done(Result.CHUNKED_BODY_SIZE_MISMATCH)
        if status is Status.DISCONNECTED:
            # Godot: a client that went back to DISCONNECTED never connected.
            failed = Result.CONNECTION_ERROR if self._request_sent else Result.CANT_CONNECT
            return self._fail(failed, client.error_message or "the connection was closed")
        return self._fail(_FAILED_STATUS[status], client.error_message)

    def _send(self) -> bool:
        target = self._target
        assert target is not None
        err = self._client.request_raw(self._method, target.path, self._headers, self._body)
        if err is not Error.OK:
            return self._fail(Result.CONNECTION_ERROR, self._client.error_message)
        self._request_sent = True
        return False

    def _update_body(self) -> bool:
        client = self._client
        if not self._got_response:
            handled = self._handle_response()
            if handled is not None:
                return handled
            if not client.is_response_chunked() and client.get_response_body_length() == 0:
                return self._done(Result.SUCCESS)
            self._body_len = client.get_response_body_length()
            limit = self.body_size_limit
            if limit >= 0 and self._body_len > limit:
                self.error_message = (f"Content-Length {self._body_len} is larger than "
                                      f"body_size_limit ({limit} bytes); nothing was read")
                return self._done(Result.BODY_SIZE_LIMIT_EXCEEDED, keep_message=True)
            sink = self._sink = BodySink(encoding=self._content_encoding(), limit=limit,
                                         path=self.download_file)
            problem = sink.open()
            if problem is not None:
                self.error_message = sink.message
                return self._done(Result[problem], keep_message=True)
        client.poll()
        if client.get_status() is not Status.BODY:
            return False  # finished or failed: the next step looks at the new status
        chunk = client.read_response_body_chunk()
        self._downloaded += len(chunk)
        assert self._sink is not None
        problem = self._sink.write(chunk)
        if problem is not None:
            self.error_message = self._sink.message
            return self._done(Result[problem], keep_message=True)
        failed = _FAILED_STATUS.get(client.get_status())
        if failed is not None:
            # The client refused what came with the body (or after it): never a success.
            return self._fail(failed, client.error_message)
        if self._body_len >= 0 and self._downloaded == self._body_len:
            return self._done(Result.SUCCESS)
        if self._body_len < 0 and client.get_status() is Status.DISCONNECTED:
            return self._done(Result.SUCCESS)  # read until close, and the close came
        return False

    def _content_encoding(self) -> str:
        if not self.accept_gzip:
            return ""
        return _header(self._response_headers, "content-encoding").lower()

    def _handle_response(self) -> bool | None:
        """The response head has arrived: follow a redirect or get ready for the body.
        Returns None to go on with this response, or what :meth:`_update` returns."""
        client = self._client
        if not client.has_response():
            return self._fail(Result.NO_RESPONSE, "the server sent no response head")
        self._got_response = True
        self._response_code = code = client.get_response_code()
        self._response_headers = client.get_response_headers()
        self._downloaded = 0
        if code not in REDIRECT_CODES:
            return None
        limit = self.max_redirects
        if 0 <= limit <= self._redirections:
            self.error_message = (f"{code} after {self._redirections} redirects: max_redirects"
                                  f" ({limit}) reached")
            return self._done(Result.REDIRECT_LIMIT_REACHED, keep_message=True)
        location = _header(self._response_headers, "location")
        current = self._target
        assert current is not None
        new = redirect_target(current, location) if location else None
        if not isinstance(new, Target):
            return None  # no (usable) Location: this response is the answer
        self._method, self._body, self._headers = redirected_request(
            code, self._method, self._body, self._headers, new.origin == current.origin)
        redirections = self._redirections + 1
        client.close()
        method, body, headers = self._method, self._body, self._headers
        self._reset()
        self._target, self._method, self._body, self._headers = new, method, body, headers
        self._redirections = redirections
        self.visited.append(new.url)
        if self._connect() is not Error.OK:
            return self._fail(Result.CANT_CONNECT, self.error_message)
        return False

    # ------------------------------------------------------------------ outcomes ----------
    def _done(self, result: Result, *, keep_message: bool = False) -> bool:
        """Finish with ``result`` and the response's code and headers."""
        body = b""
        sink = self._sink
        if sink is not None:
            if result is Result.SUCCESS:
                problem = sink.finish()
                if problem is not None:
                    result = Result[problem]
                    self.error_message = sink.message
                    keep_message = True
                else:
                    body = sink.body
            sink.close()
        if result is Result.SUCCESS:
            self.error_message = ""
        elif not keep_message:
            self.error_message = self._client.error_message
        self._pending = Completion(result, self._response_code, list(self._response_headers),
                                   body)
        return True

    def _fail(self, result: Result, message: str) -> bool:
        """Finish with a connection-level failure: code 0, no headers, no body."""
        if self._sink is not None:
            self._sink.close()
        self.error_message = message
        self._pending = Completion(result, 0, [], b"")
        return True

    # ------------------------------------------------------------------ display -----------
    def inspect(self, **options: Any) -> Any:
        """Open the inspector on the inner client: each redirect hop is its own cycle."""
        return self._client.inspect(**options)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        if not self._requesting or self._target is None:
            return "<HTTPRequest idle>"
        status = self.get_http_client_status().name
        return f"<HTTPRequest {self._method.name} {self._target.url} {status}>"


# The enum itself on the class too, as in GDScript: ``HTTPRequest.Result.TIMEOUT``.
HTTPRequest.Result = Result  # type: ignore[attr-defined]


def _header(headers: list[str], name: str) -> str:
    """The last value of header ``name`` (case-insensitive), or ``""``."""
    value = ""
    for line in headers:
        key, sep, rest = line.partition(":")
        if sep and key.strip().lower() == name:
            value = rest.strip()
    return value
