"""Godot's ``Status``, ``Method`` and ``ResponseCode`` enums and the status transition table.

Theory of operation
-------------------
The client's visible life is a small state machine.  It is written here as *data*: one
dictionary, :data:`TRANSITIONS`, from ``(Status, Input)`` to the next ``Status``.  The client
never assigns a status directly; it reports what happened (an :class:`Input`) and asks
:func:`next_status`.  The inspector draws its state diagram from the same table, so the picture
a learner sees is the code that runs.

Numeric values are Godot 4's (``core/io/http_client.h``), so ``Status.BODY == 7`` as in GDScript.
"""

from __future__ import annotations

import enum
from typing import ClassVar

__all__ = [
    "ERROR_STATUSES",
    "TERMINAL",
    "TRANSITIONS",
    "GodotConstants",
    "Input",
    "Method",
    "ResponseCode",
    "Status",
    "next_status",
]


class Status(enum.IntEnum):
    """``HTTPClient.Status`` with Godot's values."""

    DISCONNECTED = 0
    RESOLVING = 1
    CANT_RESOLVE = 2
    CONNECTING = 3
    CANT_CONNECT = 4
    CONNECTED = 5
    REQUESTING = 6
    BODY = 7
    CONNECTION_ERROR = 8
    TLS_HANDSHAKE_ERROR = 9


class Method(enum.IntEnum):
    """``HTTPClient.Method`` with Godot's values (``MAX`` is a size sentinel, not a method)."""

    GET = 0
    HEAD = 1
    POST = 2
    PUT = 3
    DELETE = 4
    OPTIONS = 5
    TRACE = 6
    CONNECT = 7
    PATCH = 8
    MAX = 9


#: Names of the Godot constants ``RESPONSE_<NAME>`` and their codes.
_RESPONSE_CODES: dict[str, int] = {
    "CONTINUE": 100, "SWITCHING_PROTOCOLS": 101, "PROCESSING": 102,
    "OK": 200, "CREATED": 201, "ACCEPTED": 202, "NON_AUTHORITATIVE_INFORMATION": 203,
    "NO_CONTENT": 204, "RESET_CONTENT": 205, "PARTIAL_CONTENT": 206, "MULTI_STATUS": 207,
    "ALREADY_REPORTED": 208, "IM_USED": 226,
    "MULTIPLE_CHOICES": 300, "MOVED_PERMANENTLY": 301, "FOUND": 302, "SEE_OTHER": 303,
    "NOT_MODIFIED": 304, "USE_PROXY": 305, "SWITCH_PROXY": 306, "TEMPORARY_REDIRECT": 307,
    "PERMANENT_REDIRECT": 308,
    "BAD_REQUEST": 400, "UNAUTHORIZED": 401, "PAYMENT_REQUIRED": 402, "FORBIDDEN": 403,
    "NOT_FOUND": 404, "METHOD_NOT_ALLOWED": 405, "NOT_ACCEPTABLE": 406,
    "PROXY_AUTHENTICATION_REQUIRED": 407, "REQUEST_TIMEOUT": 408, "CONFLICT": 409, "GONE": 410,
    "LENGTH_REQUIRED": 411, "PRECONDITION_FAILED": 412, "REQUEST_ENTITY_TOO_LARGE": 413,
    "REQUEST_URI_TOO_LONG": 414, "UNSUPPORTED_MEDIA_TYPE": 415,
    "REQUESTED_RANGE_NOT_SATISFIABLE": 416, "EXPECTATION_FAILED": 417, "IM_A_TEAPOT": 418,
    "MISDIRECTED_REQUEST": 421, "UNPROCESSABLE_ENTITY": 422, "LOCKED": 423,
    "FAILED_DEPENDENCY": 424, "UPGRADE_REQUIRED": 426, "PRECONDITION_REQUIRED": 428,
    "TOO_MANY_REQUESTS": 429, "REQUEST_HEADER_FIELDS_TOO_LARGE": 431,
    "UNAVAILABLE_FOR_LEGAL_REASONS": 451,
    "INTERNAL_SERVER_ERROR": 500, "NOT_IMPLEMENTED": 501, "BAD_GATEWAY": 502,
    "SERVICE_UNAVAILABLE": 503, "GATEWAY_TIMEOUT": 504, "HTTP_VERSION_NOT_SUPPORTED": 505,
    "VARIANT_ALSO_NEGOTIATES": 506, "INSUFFICIENT_STORAGE": 507, "LOOP_DETECTED": 508,
    "NOT_EXTENDED": 510, "NETWORK_AUTH_REQUIRED": 511,
}

#: ``HTTPClient.ResponseCode``: each member's value is the numeric HTTP status code.
ResponseCode = enum.IntEnum("ResponseCode", _RESPONSE_CODES)  # type: ignore[misc]


class Input(enum.Enum):
    """What happened, as reported by the client to :func:`next_status`."""

    CONNECT_NAME = "connect_to_host(name)"        # a host name: resolve it first
    CONNECT_ADDRESS = "connect_to_host(address)"  # an IP literal: connect at once
    RESOLVED = "name resolved"
    RESOLVE_FAILED = "name not resolved"
    READY = "connection ready"                    # TCP up (and TLS done, proxy tunnel open)
    CONNECT_FAILED = "connect failed"             # refused, unreachable, timeout, proxy said no
    TLS_FAILED = "TLS handshake failed"
    REQUEST = "request()"
    HEAD_BODY = "head received, body follows"
    HEAD_DONE = "head received, no body"
    HEAD_DONE_CLOSE = "head received, no body, connection closes"
    BODY_DONE = "body complete"
    BODY_DONE_CLOSE = "body complete, connection closes"
    BROKEN = "connection or protocol error"
    CLOSE = "close()"


S, I = Status, Input  # noqa: E741 - short names keep the table readable

#: The whole visible state machine.  Anything not listed is a bug in the client.
TRANSITIONS: dict[tuple[Status, Input], Status] = {
    # connect_to_host() always close()s first, so it starts from DISCONNECTED.
    (S.DISCONNECTED, I.CONNECT_NAME): S.RESOLVING,
    (S.DISCONNECTED, I.CONNECT_ADDRESS): S.CONNECTING,
    (S.RESOLVING, I.RESOLVED): S.CONNECTING,
    (S.RESOLVING, I.RESOLVE_FAILED): S.CANT_RESOLVE,
    # The connect timeout covers resolution too (Godot: 30 s for the whole connect).
    (S.RESOLVING, I.CONNECT_FAILED): S.CANT_CONNECT,
    # CONNECTING covers TCP, an HTTPS proxy's CONNECT tunnel and the TLS handshake, as in Godot.
    (S.CONNECTING, I.READY): S.CONNECTED,
    (S.CONNECTING, I.CONNECT_FAILED): S.CANT_CONNECT,
    (S.CONNECTING, I.TLS_FAILED): S.TLS_HANDSHAKE_ERROR,
    (S.CONNECTED, I.REQUEST): S.REQUESTING,
    # An idle keep-alive connection closed by the server, or unsolicited bytes (README, item 5).
    (S.CONNECTED, I.BROKEN): S.CONNECTION_ERROR,
    (S.REQUESTING, I.HEAD_BODY): S.BODY,
    (S.REQUESTING, I.HEAD_DONE): S.CONNECTED,
    # HTTP/1.0 or "Connection: close" with no body: the socket is closed (README, divergence 3).
    (S.REQUESTING, I.HEAD_DONE_CLOSE): S.DISCONNECTED,
    (S.REQUESTING, I.BROKEN): S.CONNECTION_ERROR,
    (S.BODY, I.BODY_DONE): S.CONNECTED,
    (S.BODY, I.BODY_DONE_CLOSE): S.DISCONNECTED,
    # Truncated or malformed bodies are errors, never a complete response (README, divergence 2).
    (S.BODY, I.BROKEN): S.CONNECTION_ERROR,
}
for _s in Status:
    TRANSITIONS[(_s, I.CLOSE)] = S.DISCONNECTED
del _s, S, I

#: Statuses that only ``connect_to_host()`` or ``close()`` can leave.
TERMINAL = frozenset({Status.DISCONNECTED, Status.CANT_RESOLVE, Status.CANT_CONNECT,
                      Status.CONNECTION_ERROR, Status.TLS_HANDSHAKE_ERROR})
#: Statuses that mean something went wrong.
ERROR_STATUSES = frozenset({Status.CANT_RESOLVE, Status.CANT_CONNECT,
                            Status.CONNECTION_ERROR, Status.TLS_HANDSHAKE_ERROR})


def next_status(status: Status, what: Input) -> Status:
    """Return the status that follows ``status`` when ``what`` happens.

    Raises
    ------
    ValueError
        If the table has no such edge: that is a bug in the caller, not a network condition.
    """
    try:
        return TRANSITIONS[(status, what)]
    except KeyError:
        raise ValueError(f"no transition from {status.name} on {what.value!r}") from None


class GodotConstants:
    """Godot's constants as class attributes, spelled as in GDScript: ``HTTPClient.STATUS_BODY``,
    ``HTTPClient.METHOD_GET``, ``HTTPClient.RESPONSE_OK``, and the enums themselves
    (``HTTPClient.Status.BODY``).  :class:`~httpexplore.client.HTTPClient` inherits them."""

    # (The RESPONSE_* codes and the enums themselves are added below the class.)
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


def _install_godot_constants() -> None:
    for enum_type in (Status, Method, ResponseCode):
        setattr(GodotConstants, enum_type.__name__, enum_type)
    for code in ResponseCode:
        setattr(GodotConstants, f"RESPONSE_{code.name}", code)


_install_godot_constants()
