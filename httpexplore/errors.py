"""Godot ``Error`` codes and the small vocabulary of failures used across httpexplore.

Theory of operation
-------------------
Godot reports failures as integer ``Error`` codes returned from methods, plus a terminal
``Status``.  httpexplore keeps exactly that contract (same names, same numeric values) and adds
one thing learners keep asking for: a plain-language explanation.  Low-level exceptions
(``OSError``, ``ssl.SSLError``, ``h11.RemoteProtocolError``) are translated *once*, at the
boundary where they happen, into a :class:`Failure` carrying both the code and the message.

The message builders at the end (:func:`explain_protocol_error` and friends) need no client
state: they turn h11's complaints and the client's counts into sentences that cite RFC 9112.
"""

from __future__ import annotations

import ast
import enum
import re
from dataclasses import dataclass

import h11

__all__ = [
    "Error",
    "Failure",
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


@dataclass(frozen=True, kw_only=True)
class Failure:
    """A failure as data: the Godot code and a plain-language explanation."""

    error: Error
    message: str


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


#: h11's complaint about a complete status line that starts with a byte below 0x21.
_LEADING_JUNK = re.compile(r"illegal status line: bytearray\(b'( |\\[trnx])")


def explain_protocol_error(exc: h11.RemoteProtocolError, body: int | None, limit: int) -> str:
    """Turn h11's terse complaint into a sentence a learner can act on (RFC 9112 cited).

    ``body`` is the number of body bytes that arrived before the failure, or None when the
    failure is in the response head.  The message depends only on the bytes received, never on
    how they were split into reads: replaying the same bytes gives the same words.  (It used to
    say "after N bytes of response", N being whatever the last read happened to contain.)
    ``limit`` is the largest response head (or chunk-size line and trailers) the client accepts.
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
        ("too many interim responses", "the server keeps sending interim (1xx) responses "
         "instead of the final one (RFC 9110 §15.2); the client accepts a few per request, "
         "then gives up", True),
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
        ("receive buffer too long", f"the response {part} is larger than {limit} bytes "
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
    said = readable_reprs(text)
    for needle, explanation, quote in rules:
        if needle in words:
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
