"""Godot ``Error`` codes and the small vocabulary of failures used across httpexplore.

Theory of operation
-------------------
Godot reports failures as integer ``Error`` codes returned from methods, plus a terminal
``Status``.  httpexplore keeps exactly that contract (same names, same numeric values) and adds
one thing learners keep asking for: a plain-language explanation.  Low-level exceptions
(``OSError``, ``ssl.SSLError``, ``h11.RemoteProtocolError``) are translated *once*, at the
boundary where they happen, into a :class:`TransportError` (a :class:`FailureKind` and a message)
or a message string, which the client turns into a status, a code and ``error_message``.

The message builders at the end (:func:`explain_protocol_error` and friends) need no client
state: they turn h11's complaints and the client's counts into sentences that cite RFC 9112.
"""

from __future__ import annotations

import ast
import enum
import re

import h11

from ._h11compat import complaint

__all__ = [
    "Error",
    "FailureKind",
    "TransportError",
    "explain_protocol_error",
    "head_cut_short_message",
    "idle_closed_message",
    "incomplete_body_message",
    "plural",
    "read_timeout_message",
    "readable_reprs",
    "request_timeout_message",
    "show_bytes",
    "truncated_body_message",
    "unsolicited_message",
]


class Error(enum.IntEnum):
    """Godot's ``Error`` enum, restricted to the values ``HTTPClient`` can return.

    Values are Godot's (``core/error/error_list.h``).
    """

    OK = 0
    FAILED = 1
    ERR_UNAVAILABLE = 2
    ERR_UNCONFIGURED = 3
    ERR_FILE_EOF = 18
    ERR_CANT_CONNECT = 25
    ERR_CANT_RESOLVE = 26
    ERR_CONNECTION_ERROR = 27
    ERR_INVALID_DATA = 30
    ERR_INVALID_PARAMETER = 31
    ERR_BUSY = 44
    ERR_BUG = 47


class FailureKind(enum.Enum):
    """Which stage of a connection a transport failure belongs to."""

    RESOLVE = "resolve"
    CONNECT = "connect"
    TLS = "tls"
    IO = "io"
    TIMEOUT = "timeout"


class TransportError(Exception):
    """Raised by a transport; the client turns it into a terminal status.

    Parameters
    ----------
    kind:
        The stage that failed (name resolution, TCP connect, TLS, or I/O on an open connection).
    message:
        A plain-language explanation, ready to show to a learner.
    """

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def plural(n: int, word: str) -> str:
    """``plural(1, "byte") == "1 byte"``, ``plural(3, "byte") == "3 bytes"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


#: What each of h11's complaints (``_h11compat.complaint``) means, and whether to quote h11's
#: text.  h11's text is left out where it quotes however many bytes the last read held, so that
#: the message stays split-independent.
def _explanations(part: str, limit: int) -> dict[str, tuple[str, bool]]:
    return {
        "too_many_interim": ("the server keeps sending interim (1xx) responses instead of the "
                             "final one (RFC 9110 §15.2); the client accepts a few per request, "
                             "then gives up", True),
        "http_version": ("the server answered with a major HTTP version other than 1; this is "
                         "an HTTP/1.1 client and cannot know that version's framing "
                         "(RFC 9112 §2.3)", True),
        "http10_chunked": ("an HTTP/1.0 response carries Transfer-Encoding, which HTTP/1.0 does "
                           "not have: RFC 9112 §6.1 says to treat its framing as faulty", False),
        "conflicting_length": ("the response carries conflicting Content-Length values "
                               "(RFC 9112 §6.3: the message framing is invalid)", True),
        "bad_length": ("the response has an invalid Content-Length (RFC 9112 §6.2, §6.3)",
                       True),
        "bad_coding": ("the response uses a Transfer-Encoding other than a final 'chunked' "
                       "(RFC 9112 §6.1); the body length cannot be determined", True),
        "chunk_footer": ("a chunk's data is not followed by CRLF: the chunk carries more bytes "
                         "than its chunk-size line announced (RFC 9112 §7.1)", False),
        "bad_chunk": ("a chunk of the chunked body is malformed (RFC 9112 §7.1: chunk-size is "
                      "hexadecimal digits, optionally followed by ;extensions, then CRLF)",
                      True),
        "status_line": ("the status line is not 'HTTP/1.x NNN reason' (RFC 9112 §4)", True),
        "status_code": ("the status code is not a valid three-digit code (RFC 9110 §15: 100 "
                        "to 599)", True),
        "unasked_101": ("the server answered 101 Switching Protocols although the request "
                        "asked for no Upgrade (RFC 9110 §7.8, §15.2.2)", False),
        "too_large": (f"the response {part} is larger than {limit} bytes and was refused "
                      "(RFC 9112 §2.3 lets a client limit it)", False),
        "continuation": ("the header section starts with an indented continuation line "
                         "(obsolete line folding with nothing to continue, RFC 9112 §5.2)",
                         True),
        "header_line": ("a header line is malformed (RFC 9112 §5: field-name ':' OWS "
                        "field-value OWS, no whitespace before the colon, no bare CR or NUL)",
                        True),
        "illegal_bytes": ("the response contains bytes that are not allowed there "
                          "(RFC 9112 §2.2, §5)", True),
        "bad_header": ("a header field is invalid (RFC 9112 §5)", True),
    }


def explain_protocol_error(exc: h11.RemoteProtocolError, body: int | None, limit: int) -> str:
    """Turn h11's terse complaint into a sentence a learner can act on (RFC 9112 cited).

    ``body`` is the number of body bytes that arrived before the failure, or None when the
    failure is in the response head.  The message depends only on the bytes received, never on
    how they were split into reads: replaying the same bytes gives the same words.
    ``limit`` is the largest response head (or chunk-size line and trailers) the client accepts.
    Which rule was broken is read from h11's text by :func:`httpexplore._h11compat.complaint`.
    """
    key = complaint(exc)
    where = "in the response head" if body is None else f"after {plural(body, 'body byte')}"
    if key == "closed":
        if body is None:
            return ("the server closed the connection before the response head was complete; "
                    "RFC 9112 §8: an incomplete message must not be treated as complete")
        return ("the server closed the connection before the body was complete "
                f"({plural(body, 'body byte')} arrived); RFC 9112 §6.3 and §8: an incomplete "
                "message must not be treated as complete")
    if key == "no_status_line":
        return ("the status line does not start with 'HTTP/': the response begins with "
                "whitespace, a control character or an empty line (RFC 9112 §2.2, §4); "
                f"{where}.")
    said = readable_reprs(str(exc))
    part = "head" if body is None else "chunk-size line or trailer section"
    known = _explanations(part, limit).get(key)
    if known is not None:
        explanation, quote = known
        return f"{explanation}; {where}." + (f" Parser said: {said}" if quote else "")
    return f"the response is not valid HTTP/1.1 {where}. Parser said: {said}"


#: A Python repr of bytes inside h11's text: ``bytearray(b'...')`` or ``b'...'`` (either quote).
_BYTES_REPR = re.compile(
    r"""bytearray\(b(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\)"""
    r"""|\bb(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")""")
_ESCAPES = {0x0D: "\\r", 0x0A: "\\n", 0x09: "\\t", 0x5C: "\\\\", 0x22: '\\"'}


def show_bytes(data: bytes) -> str:
    r"""Bytes as readable text in double quotes: printable ASCII as is, CR, LF and TAB as
    ``\r`` ``\n`` ``\t``, every other byte as ``\xNN`` (so NUL, bare CR and obs-text show)."""
    out = []
    for b in data:
        if b in _ESCAPES:
            out.append(_ESCAPES[b])
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"'


def readable_reprs(text: str) -> str:
    r"""h11 quotes the offending bytes as a Python repr (``bytearray(b'X\x00: y')``): show
    them as :func:`show_bytes` text instead, which a learner can read."""
    def one(match: re.Match[str]) -> str:
        index = next((i for i in range(1, 5) if match.group(i) is not None), 1)
        inner = match.group(index) or ""
        quote = "'" if index in (1, 3) else '"'
        try:
            value = ast.literal_eval(f"b{quote}{inner}{quote}")
        except (SyntaxError, ValueError):
            return match.group(0)
        return show_bytes(value)
    return _BYTES_REPR.sub(one, text)


def head_cut_short_message(received: int) -> str:
    """The connection closed before a complete response head (``received`` bytes of it)."""
    return (f"the server closed the connection before a complete response head "
            f"arrived ({plural(received, 'byte')} received); RFC 9112 §8: an "
            "incomplete message must not be treated as complete")


def truncated_body_message(got: int, announced: int, missing: int) -> str:
    """The connection closed before the Content-Length body was complete."""
    return (f"the server closed the connection after {plural(got, 'body byte')} of the "
            f"{announced} announced by Content-Length ({missing} missing); "
            "RFC 9112 §6.3 and §8: the response is incomplete, not a complete body")


def incomplete_body_message(reason: str, got: int) -> str:
    """A reset or timeout in the body: ``reason`` plus how much of the body had arrived."""
    return (f"{reason}; {plural(got, 'body byte')} had arrived, so the response is "
            "incomplete (RFC 9112 §8)")


def read_timeout_message(timeout: float | None, in_head: bool, received: int) -> str:
    """``read_timeout`` expired while waiting for the head (``in_head``) or for the body."""
    what = "the response head" if in_head else "more of the body"
    return (f"read_timeout: no byte arrived for {timeout:g} s while waiting for {what} "
            f"({plural(received, 'byte')} of response so far)")


#: What to do after the client closed a connection (said in every such message).
CONNECT_AGAIN = ("call connect_to_host() again (Connect in the inspector) to open a new "
                 "connection, then repeat the request")


def request_timeout_message(timeout: float | None, in_head: bool, received: int) -> str:
    """``request_timeout`` expired: the response was not complete in time."""
    what = "the response head" if in_head else "the rest of the body"
    return (f"request_timeout: the response was not complete {timeout:g} s after request() "
            f"(still waiting for {what}; {plural(received, 'byte')} of response so far); the "
            "server may be sending very slowly on purpose")


def unsolicited_message(length: int, *, after_response: bool = False) -> str:
    """Bytes arrived while no request was outstanding: they answer nothing.

    ``after_response``: they were found right behind a complete response (which was handed
    out whole); otherwise on an idle keep-alive connection, or before a new request was
    written on it.
    """
    when = ("right after the complete response, before any new request was sent"
            if after_response else "while no request was outstanding")
    return (f"{plural(length, 'byte')} arrived {when}; responses come in the order of the "
            "requests (RFC 9112 §9.3.2), so these answer no request and are never taken as the "
            "next response (that would be response-queue poisoning).  The connection was "
            f"closed: {CONNECT_AGAIN}")


def idle_closed_message(*, during_request: bool = False) -> str:
    """The server closed an idle keep-alive connection (seen while idle, before writing the
    next request, or as an EOF before any byte of that request's response)."""
    if during_request:
        return ("the server closed the keep-alive connection before sending any byte of the "
                "response: servers close connections that stay idle too long, and this one "
                f"had been idle since the previous response.  {CONNECT_AGAIN[0].upper()}"
                f"{CONNECT_AGAIN[1:]}")
    return ("the server closed the idle keep-alive connection (servers close connections that "
            f"stay idle too long); {CONNECT_AGAIN}")
