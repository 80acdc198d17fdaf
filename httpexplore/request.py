"""What the caller asks for, checked and turned into bytes: connect arguments, requests, CONNECT.

Theory of operation
-------------------
:class:`~httpexplore.client.HTTPClient` checks its arguments here before it changes anything:
:func:`connect_problem` and :func:`request_problem` return a plain-language reason to refuse
(the client reports it as ``ERR_INVALID_PARAMETER``) or None.  Text becomes bytes once, in
:meth:`RequestWriter.write`, which adds Godot's automatic headers and lets h11 validate the
request and frame its body (framing is h11's job).  The same h11 connection then parses the
response (:func:`next_parser`); it is kept for the next keep-alive cycle only when h11 saw the
whole exchange, so after a Content-Length body the engine counted itself a fresh one is made.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from typing import Any

import h11

from ._cycle import new_parser
from .hosts import absolute_parts, host_problem, ip_literal, strip_fragment
from .status import ERROR_STATUSES, Method, Status
from .tls import TLSOptions

__all__ = [
    "CHUNK_MAX",
    "CHUNK_MIN",
    "RequestWriter",
    "authority",
    "bracket",
    "check_connect_types",
    "check_request_types",
    "chunk_size_problem",
    "connect_arguments",
    "connect_problem",
    "framing_problem",
    "next_parser",
    "proxy_authorization",
    "proxy_problem",
    "proxy_setting",
    "request_fields",
    "request_problem",
    "request_target",
    "split_header",
    "unbracket",
]

_HOST_MIN_LEN = 4  # Godot's HOST_MIN_LEN


def check_connect_types(host: object, port: object, tls_options: object) -> None:
    """Raise TypeError for ``connect_to_host`` arguments of the wrong type."""
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


def connect_problem(host: str, port: int, tls: TLSOptions | None) -> str | None:
    """Why ``connect_to_host(host, port, tls)`` must be refused, or None."""
    if tls is not None and tls.is_server:
        return "server-side TLSOptions cannot be used to connect; use TLSOptions.client()"
    if ip_literal(host) is None and len(host) < _HOST_MIN_LEN:
        return (f"the host {host!r} is too short (Godot requires at least "
                f"{_HOST_MIN_LEN} characters)")
    if not 0 <= port <= 65535 and port != -1:
        return f"the port {port} is not between 0 and 65535 (or -1 for the default)"
    if any(ch.isspace() for ch in host) or not host:
        return f"the host {host!r} is empty or contains whitespace"
    return host_problem(host)


def connect_arguments(host: str, port: int, tls: TLSOptions | None
                      ) -> tuple[str, int, TLSOptions | None, str | None]:
    """``connect_to_host``'s arguments as used: ``https://`` in ``host`` enables TLS (default
    verification unless ``tls`` is given), ``http://`` disables it, port -1 is 80 or 443; and
    why they must be refused, or None."""
    if host[:8].lower() == "https://":
        host, tls = host[8:], tls or TLSOptions.client()
    elif host[:7].lower() == "http://":
        host, tls = host[7:], None
    problem = connect_problem(host, port, tls)
    return host, port if port >= 0 else (443 if tls is not None else 80), tls, problem


#: ``read_chunk_size`` bounds (Godot's).
CHUNK_MIN, CHUNK_MAX = 256, 16 * 1024 * 1024


def chunk_size_problem(value: object, current: int) -> str | None:
    """Why ``read_chunk_size = value`` must be refused (it stays ``current``), or None.
    Raises TypeError for a value that is not an int."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"read_chunk_size must be an int, not {type(value).__name__}")
    if not CHUNK_MIN <= value <= CHUNK_MAX:
        return (f"read_chunk_size must be between {CHUNK_MIN} and {CHUNK_MAX}; {value} was "
                f"refused and it stays {current}")
    return None


def proxy_setting(op: str, host: object, port: object, credentials: object
                  ) -> tuple[tuple[str, int] | None, str | None, str | None]:
    """``set_http(s)_proxy(host, port, credentials=...)`` as ``(proxy, Proxy-Authorization
    value, None)`` (proxy None: unset), or ``(None, None, why it is refused)``."""
    proxy, problem = proxy_problem(op, host, port)
    auth: str | None = None
    if problem is None:
        auth, problem = proxy_authorization(op, credentials)
    if problem is not None:
        return None, None, problem
    return proxy, auth if proxy is not None else None, None


def proxy_problem(op: str, host: object, port: object
                  ) -> tuple[tuple[str, int] | None, str | None]:
    """The proxy setting ``set_http(s)_proxy(host, port)`` asks for (None: unset), or why it
    must be refused.  Raises TypeError for arguments of the wrong type."""
    # Checked here: a bad value used to surface later as an AttributeError or
    # OverflowError raised out of connect_to_host().
    if not isinstance(host, str):
        raise TypeError(f"{op}: host must be a str, not {type(host).__name__}")
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"{op}: port must be an int, not {type(port).__name__}")
    if not host or port == -1:
        return None, None
    if not 0 <= port <= 65535:
        return None, f"{op}: the port {port} is not between 0 and 65535 (or -1 to unset)"
    problem = host_problem(host, "proxy host")
    if problem is not None:
        return None, f"{op}: {problem}"
    return (host, port), None


def proxy_authorization(op: str, credentials: object) -> tuple[str | None, str | None]:
    """The ``Proxy-Authorization`` value for proxy ``credentials`` (None: none), or why they
    are refused.  ``(user, password)`` becomes Basic (RFC 7617: UTF-8, no ':' in the user);
    a string is used as the field value as given."""
    if credentials is None:
        return None, None
    if isinstance(credentials, str):
        value = credentials.strip()
    elif (isinstance(credentials, tuple) and len(credentials) == 2
          and all(isinstance(x, str) for x in credentials)):
        user, password = credentials
        if ":" in user:
            return None, f"{op}: the proxy user name cannot contain ':' (RFC 7617)"
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        value = f"Basic {token}"
    else:
        raise TypeError(f"{op}: credentials must be (user, password), a str or None")
    if not value or any(ch in value for ch in "\r\n\0"):
        return None, f"{op}: the proxy credentials are empty or contain CR, LF or NUL"
    return value, None


def check_request_types(method: object, url: object, headers: Sequence[object]) -> None:
    """Raise TypeError for ``request`` arguments of the wrong type."""
    if isinstance(method, bool) or not isinstance(method, int):
        raise TypeError(f"method must be a Method or int, not {type(method).__name__}")
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    if isinstance(headers, (str, bytes)) or not all(isinstance(h, str) for h in headers):
        raise TypeError("headers must be a list of 'Name: value' strings")


def request_problem(method: int, url: str, headers: Sequence[str], status: Status,
                    error_message: str) -> str | None:
    """Why ``request(method, url, headers)`` must be refused in ``status``, or None.

    ``error_message`` is the client's, quoted when the status is an error status.
    """
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
    if url.startswith(("http://", "https://")):
        parts = absolute_parts(url)
        if isinstance(parts, str):
            return parts
    for i, line in enumerate(headers):
        stripped = line.strip()
        if not stripped or stripped.find(":") < 1:
            return (f"invalid HTTP header at index {i}: {line!r} "
                    "(expected 'Name: value')")
        if any(ch in line for ch in "\r\n\0"):
            return f"invalid HTTP header at index {i}: it contains CR, LF or NUL"
    problem = framing_problem(headers)
    if problem is not None:
        return problem
    if status is not Status.CONNECTED:
        reason = f" ({error_message})" if status in ERROR_STATUSES else ""
        return (f"request() needs status CONNECTED, but the status is "
                f"{status.name}{reason}")
    return None


def framing_problem(headers: Sequence[str]) -> str | None:
    """Why the caller's framing headers must be refused, or None.

    The body's length must be unambiguous to every recipient on the way: a request with both
    ``Content-Length`` and ``Transfer-Encoding`` (RFC 9112 §6.2: a sender MUST NOT) or with a
    Content-Length that is not one plain number (RFC 9110 §8.6: ``1*DIGIT``) may be read one
    way by a proxy and another by the server behind it (request smuggling).
    """
    lengths = [value for name, value in map(split_header, headers)
               if name.lower() == "content-length"]
    codings = [name for name, _v in map(split_header, headers)
               if name.lower() == "transfer-encoding"]
    if lengths and codings:
        return ("the headers give both Content-Length and Transfer-Encoding: RFC 9112 §6.2 "
                "says a sender must not send both (a proxy and the server behind it could "
                "disagree on where the body ends: request smuggling); keep one of them")
    if len(lengths) > 1:
        return (f"the headers give Content-Length {len(lengths)} times: send it once "
                "(RFC 9110 §8.6)")
    if lengths and not (lengths[0].isascii() and lengths[0].isdigit()):
        return (f"Content-Length {lengths[0]!r} is not a plain decimal number: RFC 9110 §8.6 "
                "allows digits only (no sign, list, spaces or units)")
    return None


def request_fields(headers: Sequence[str], proxy_kind: str, http_proxy_auth: str | None
                   ) -> list[tuple[str, str]] | str:
    """The request's header fields, with the HTTP proxy's ``Proxy-Authorization`` added
    (``set_http_proxy(credentials=...)``), or why the request must be refused:
    ``proxy_kind`` is ``"http"``, ``"https"`` (a CONNECT tunnel) or ``""``."""
    fields = [split_header(h) for h in headers]
    has_proxy_auth = any(n.lower() == "proxy-authorization" for n, _v in fields)
    if has_proxy_auth and proxy_kind != "http":
        # Through a CONNECT tunnel (or with no proxy) the request goes to the origin
        # server, which must never see proxy credentials.
        return ("Proxy-Authorization is for a proxy, but this request goes to the origin "
                "server (" + ("through the HTTPS proxy's tunnel" if proxy_kind == "https"
                              else "no HTTP proxy is set") + "); give proxy credentials with "
                "set_http_proxy() or set_https_proxy(credentials=...)")
    if proxy_kind == "http" and http_proxy_auth and not has_proxy_auth:
        fields.append(("Proxy-Authorization", http_proxy_auth))
    return fields


def request_target(url: str, proxy_kind: str, host: str, port: int, tls: bool
                   ) -> tuple[str, str, int, bool]:
    """``(target, host, port, tls)`` for a request to ``url`` (which passed
    :func:`request_problem`) on a connection to ``host:port``: the target as sent, and the
    authority its ``Host`` field names."""
    target = strip_fragment(url)  # never sent (RFC 9110 §4.2.4)
    if target.startswith(("http://", "https://")):
        # Absolute-form, as given (through an HTTP proxy, or asked for): Host must then be
        # the target's own authority (RFC 9112 §3.2.2).
        parts = absolute_parts(target)
        assert not isinstance(parts, str)  # (request_problem refused it otherwise)
        tls, host, port = parts
    elif proxy_kind == "http":
        # Absolute-form for the proxy (RFC 9112 §3.2.2); "OPTIONS *" becomes the bare
        # authority, which the last proxy turns back into "*" (RFC 9112 §3.2.4).
        origin = f"http://{authority(host, port)}"
        target = origin if target == "*" else origin + target
    return target, host, port, tls


def split_header(line: str) -> tuple[str, str]:
    """``"Name: value"`` → ``("Name", "value")`` (the line was checked by request_problem)."""
    name, _colon, value = line.strip().partition(":")
    return name, value.strip()


def bracket(host: str) -> str:
    """An IPv6 literal in brackets, as in a URL or a Host field; other hosts unchanged."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def unbracket(host: str) -> str:
    """``"[::1]"`` → ``"::1"``, for the socket layer."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def authority(host: str, port: int) -> str:
    """``host:port`` as in a CONNECT request or an absolute-form target."""
    return f"{bracket(host)}:{port}"


def next_parser(parser: h11.Connection | None) -> h11.Connection:
    """The h11 connection for the next request on this connection: the same one when h11 saw
    the whole previous exchange (both sides DONE), else a fresh one (after a Content-Length
    body the engine counted without h11, h11 still waits for that body)."""
    if (parser is not None and parser.our_state is h11.DONE
            and parser.their_state is h11.DONE):
        parser.start_next_cycle()  # keep-alive: same parser, next request/response cycle
        return parser
    return new_parser()


class RequestWriter:
    """Serialises requests with h11, adding Godot's automatic headers.

    Parameters
    ----------
    user_agent:
        The ``User-Agent`` value sent when the caller gives none.
    """

    __slots__ = ("_last", "_told", "user_agent")

    def __init__(self, user_agent: str) -> None:
        self.user_agent = user_agent
        self._last: tuple[tuple[Any, ...], h11.Request, bytes] | None = None
        # The last request h11 accepted with no body: its key, event, bytes, and whether h11
        # then held our side in MUST_CLOSE (the request asked to close the connection).
        self._told: tuple[tuple[Any, ...], h11.Request, bytes, bool] | None = None

    def write(self, parser: h11.Connection, method: str, target: str,
              fields: list[tuple[str, str]], body: bytes, host: str, port: int,
              tls: bool) -> bytes:
        """The request's bytes, sent through ``parser`` so that h11 tracks the request (the
        response's framing, keep-alive).  Godot's automatic headers follow the caller's, in
        Godot's order: Host, Content-Length, User-Agent, Accept.  Raises
        ``h11.LocalProtocolError`` for what HTTP does not allow."""
        key = self._key(method, target, fields, body, host, port, tls)
        cached = self._last
        if cached is not None and cached[0] == key:
            req, head = cached[1], cached[2]
        else:
            req, head = self._encode(method, target, fields, key[3])
            self._last = (key, req, head)
        parser.send(req)  # h11 tracks the request (framing of the response, keep-alive)
        out = head
        if body:
            out += parser.send(h11.Data(data=body)) or b""
        out += parser.send(h11.EndOfMessage()) or b""
        if not body:
            self._told = (key, req, head, parser.our_state is h11.MUST_CLOSE)
        return out

    def repeat(self, method: str, target: str, fields: list[tuple[str, str]], body: bytes,
               host: str, port: int, tls: bool) -> tuple[h11.Request, bytes, bool] | None:
        """``(event, bytes, closes)`` when this request has no body and is the last one h11
        accepted from :meth:`write`: its bytes are known, and so is everything h11 concluded
        from it (it accepts the same request again; ``closes``: it asks to close the
        connection), so h11 need not see it unless the response needs h11
        (:meth:`~httpexplore.engine.Engine.serialise`).  None otherwise."""
        told = self._told
        if body or told is None or told[0] != self._key(method, target, fields, body, host,
                                                         port, tls):
            return None
        return told[1], told[2], told[3]

    def _key(self, method: str, target: str, fields: list[tuple[str, str]], body: bytes,
             host: str, port: int, tls: bool) -> tuple[Any, ...]:
        """What decides a request's head: the caller's fields and Godot's automatic ones."""
        present = {name.lower() for name, _v in fields}
        auto: list[tuple[str, str]] = []
        if "host" not in present:
            default = 443 if tls else 80
            bracketed = bracket(host)
            auto.append(("Host", bracketed if port == default else f"{bracketed}:{port}"))
        if body and "content-length" not in present and "transfer-encoding" not in present:
            auto.append(("Content-Length", str(len(body))))
        if "user-agent" not in present:
            auto.append(("User-Agent", self.user_agent))
        if "accept" not in present:
            auto.append(("Accept", "*/*"))
        return (method, target, tuple(fields), tuple(auto))

    @staticmethod
    def _encode(method: str, target: str, fields: list[tuple[str, str]],
                auto: tuple[tuple[str, str], ...]) -> tuple[h11.Request, bytes]:
        """The validated h11 event and the head's bytes.  Building the event validates every
        header, which dominates the cost of small requests: :meth:`write` reuses it for a
        repeated request."""
        # Text becomes bytes here, once, as UTF-8 like Godot's request string (h11 would
        # encode as ASCII and raise UnicodeEncodeError out of request()); h11 then refuses
        # what HTTP does not allow (a non-ASCII URL or field name) as LocalProtocolError.
        wire_fields = [(n.encode(), v.encode()) for n, v in [*fields, *auto]]
        req = h11.Request(method=method, target=target.encode(), headers=wire_fields)
        # h11 would write Host first (RFC 9110 §7.2 says SHOULD); Godot writes the caller's
        # fields first, in order, then its automatic ones: keep Godot's order.
        head = b"".join([f"{method} ".encode(), req.target, b" HTTP/1.1\r\n",
                         *[b"%s: %s\r\n" % field for field in wire_fields], b"\r\n"])
        return req, head

    @staticmethod
    def tell(parser: h11.Connection, req: h11.Request) -> None:
        """Give h11 a bodiless request :meth:`repeat` let the engine send without it."""
        parser.send(req)
        parser.send(h11.EndOfMessage())

    def connect_request(self, target: str, proxy_auth: str | None = None
                        ) -> tuple[h11.Connection, bytes]:
        """An HTTPS proxy's ``CONNECT target`` request (RFC 9110 §9.3.6), on its own h11
        connection: the exchange that opens the tunnel.  ``proxy_auth``: a
        ``Proxy-Authorization`` value for the proxy (the only place it is sent)."""
        tunnel = new_parser()
        fields = [("Host", target), ("User-Agent", self.user_agent)]
        if proxy_auth:
            fields.append(("Proxy-Authorization", proxy_auth))
        wire = tunnel.send(h11.Request(method="CONNECT", target=target, headers=fields))
        tunnel.send(h11.EndOfMessage())
        return tunnel, wire or b""
