"""Request syntax for the demo server: RFC 9112 parsing rules, with no I/O.

Theory of operation
-------------------
The connection (:mod:`.connection`) reads a request head one line at a time and hands each
line to this module, which decides what the line means and whether it is acceptable:

* the request line (RFC 9112 §3) must be ``method SP request-target SP HTTP-version``;
* each field line (§5) must be ``name ":" OWS value OWS`` with a token name, no whitespace
  before the colon (§5.1) and no line folding (§5.2);
* the framing of the request body is decided once, from Transfer-Encoding and Content-Length,
  by the ordered rules of §6.3.

Anything unacceptable raises :class:`ProtocolError` carrying the status code the server
answers with (400, 414, 431, 413, 501 or 505) and a plain-language reason that goes into the
response body, so a learner who sends a broken request reads *why* it was refused. After a
protocol error the server always closes the connection: once framing is in doubt, nothing
after the error can be trusted to start a new request (§6.3, §11.2).

Lines reach this module without their terminator. The reader accepts a bare LF as a line
terminator, which §2.2 allows; a CR anywhere else is refused here, as §2.2 requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "CHUNKED",
    "MAX_BODY",
    "MAX_FIELDS",
    "MAX_HEAD",
    "MAX_REQUEST_LINE",
    "ProtocolError",
    "RequestHead",
    "body_framing",
    "check_host",
    "parse_chunk_size",
    "parse_field_line",
    "parse_request_line",
    "strip_eol",
]

#: Longest request line accepted; longer ones get 414 URI Too Long (RFC 9112 §3).
MAX_REQUEST_LINE = 8 * 1024
#: Largest request head (request line and all field lines) accepted; beyond it, 431.
MAX_HEAD = 32 * 1024
#: Most field lines accepted in one head (or trailer section); beyond it, 431.
MAX_FIELDS = 100
#: Largest request body accepted (it is kept in memory for /echo); beyond it, 413.
MAX_BODY = 8 * 1024 * 1024
#: Sentinel returned by :func:`body_framing` for a chunked request body.
CHUNKED = -1

# RFC 9110 §5.6.2: token = 1*tchar.
_TCHAR = rb"!#$%&'*+\-.^_`|~0-9A-Za-z"
_TOKEN = re.compile(rb"[" + _TCHAR + rb"]+")
# RFC 9112 §3: the target is any run of visible ASCII; whitespace would split the line.
_REQUEST_LINE = re.compile(
    rb"(?P<method>[" + _TCHAR + rb"]+) (?P<target>[\x21-\x7e]+) HTTP/(?P<major>\d)\.(?P<minor>\d)"
)
# RFC 9110 §5.5: a field value may hold HTAB, SP, visible ASCII and obs-text, never other CTLs.
_BAD_VALUE_BYTE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 9112 §7.1: chunk-size = 1*HEXDIG; 16 digits already exceed any body we would accept.
# No whitespace before ";" (the grammar's BWS): the client refuses it too, and a server more
# lenient than the parsers in front of it is a request-smuggling risk (§11.2).
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})(;.*)?")


class ProtocolError(Exception):
    """A request the server refuses: answer ``status`` with ``reason``, then close."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class RequestHead:
    """One parsed request head, with the bytes it was parsed from.

    ``headers`` keeps every field line in the order, case and spelling received (names and
    values decoded as ISO-8859-1, so every byte survives). ``raw`` is the head exactly as it
    arrived on the wire, terminators included.
    """

    method: str
    target: str
    version: tuple[int, int]
    headers: tuple[tuple[str, str], ...]
    raw: bytes
    path: str = field(init=False)
    query: tuple[tuple[str, str], ...] = field(init=False)

    def __post_init__(self) -> None:
        path, query = _split_target(self.method, self.target)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "query", query)

    def get_all(self, name: str) -> list[str]:
        """Every value of field ``name`` (case-insensitive), in order."""
        lname = name.lower()
        return [value for key, value in self.headers if key.lower() == lname]

    def get(self, name: str) -> str | None:
        """The values of ``name`` joined with ``", "`` (RFC 9110 §5.3), or None if absent."""
        values = self.get_all(name)
        return ", ".join(values) if values else None

    def tokens(self, name: str) -> list[str]:
        """The comma-separated list elements of ``name``, lower-cased (RFC 9110 §5.6.1)."""
        joined = self.get(name) or ""
        return [item.strip().lower() for item in joined.split(",") if item.strip()]

    @property
    def http10(self) -> bool:
        """True for an HTTP/1.0 request: no chunked, no 1xx, no persistence by default."""
        return self.version < (1, 1)

    @property
    def keep_alive(self) -> bool:
        """Whether the client lets the connection persist after this exchange (RFC 9112 §9.3).

        HTTP/1.1 persists unless ``Connection: close``. HTTP/1.0 persistence needs the
        ``keep-alive`` option, which this server deliberately does not honour: every HTTP/1.0
        exchange ends with a close, the behaviour a learner sees from an HTTP/1.0 peer.
        """
        return not self.http10 and "close" not in self.tokens("Connection")

    @property
    def expects_continue(self) -> bool:
        """True if an HTTP/1.1 client waits for ``100 Continue`` before its body.

        RFC 9110 §10.1.1: an HTTP/1.0 request's 100-continue expectation must be ignored.
        """
        return not self.http10 and "100-continue" in self.tokens("Expect")


def parse_request_line(line: bytes) -> tuple[str, str, tuple[int, int]]:
    """Split a request line (RFC 9112 §3) into method, target and version.

    Raises :class:`ProtocolError` 400 for a malformed line, 505 for a major version other
    than 1 (RFC 9110 §15.6.6).
    """
    _refuse_bare_cr(line)
    match = _REQUEST_LINE.fullmatch(line)
    if match is None:
        raise ProtocolError(
            400,
            "malformed request line: expected 'METHOD SP target SP HTTP/1.1' with single "
            "spaces (RFC 9112 §3)",
        )
    major, minor = int(match["major"]), int(match["minor"])
    if major != 1:
        raise ProtocolError(505, f"HTTP/{major}.{minor} is not supported; this server speaks 1.x")
    return match["method"].decode("ascii"), match["target"].decode("ascii"), (major, minor)


def parse_field_line(line: bytes) -> tuple[str, str]:
    """Split one field line (RFC 9112 §5) into name and value, both ISO-8859-1 text."""
    _refuse_bare_cr(line)
    if line[:1] in (b" ", b"\t"):
        # §5.2: a server must reject obs-fold with 400 (or unfold it); we reject, because
        # a folded line means different things to different parsers.
        raise ProtocolError(400, "obsolete line folding (a field line starting with whitespace)"
                                 " is not accepted (RFC 9112 §5.2)")
    name, colon, value = line.partition(b":")
    if not colon:
        raise ProtocolError(400, "field line without a colon (RFC 9112 §5)")
    if name[-1:] in (b" ", b"\t"):
        # §5.1: whitespace before the colon must be rejected with 400; it is a classic
        # request-smuggling trick (one parser trims it, another sees a different name).
        raise ProtocolError(400, "whitespace between field name and colon (RFC 9112 §5.1)")
    if not _TOKEN.fullmatch(name):
        raise ProtocolError(400, "field name is not a token (RFC 9110 §5.1)")
    value = value.strip(b" \t")
    if _BAD_VALUE_BYTE.search(value):
        raise ProtocolError(400, "control character (such as NUL) in a field value "
                                 "(RFC 9110 §5.5)")
    return name.decode("ascii"), value.decode("latin-1")


def check_host(head: RequestHead) -> None:
    """Refuse an HTTP/1.1 request without exactly one Host field (RFC 9112 §3.2: 400)."""
    if not head.http10 and len(head.get_all("Host")) != 1:
        raise ProtocolError(400, "an HTTP/1.1 request needs exactly one Host field "
                                 "(RFC 9112 §3.2)")


def body_framing(head: RequestHead) -> int:
    """Decide how the request body is delimited: its length, or :data:`CHUNKED`.

    Applies the request cases of RFC 9112 §6.3 in order; raises :class:`ProtocolError` when
    the framing is ambiguous or unsupported, because guessing is how smuggling starts (§11.2).
    """
    codings = head.tokens("Transfer-Encoding")
    lengths = head.get_all("Content-Length")
    if head.get_all("Transfer-Encoding"):
        if head.http10:
            raise ProtocolError(400, "Transfer-Encoding in an HTTP/1.0 request: framing is "
                                     "faulty (RFC 9112 §6.1)")
        if lengths:
            raise ProtocolError(400, "both Transfer-Encoding and Content-Length: ambiguous "
                                     "framing, refused (RFC 9112 §6.3 rule 3)")
        if not codings or codings[-1] != "chunked":
            raise ProtocolError(400, "Transfer-Encoding whose final coding is not chunked "
                                     "(RFC 9112 §6.3 rule 4)")
        if codings.count("chunked") > 1:
            raise ProtocolError(400, "chunked applied more than once (RFC 9112 §6.1)")
        if len(codings) > 1:
            raise ProtocolError(501, f"transfer coding {codings[0]!r} is not implemented "
                                     "(RFC 9112 §6.1)")
        return CHUNKED
    if not lengths:
        return 0  # §6.3 rule 6: a request with neither header has no body.
    return _content_length(lengths)


def _content_length(fields: list[str]) -> int:
    # §6.3 rule 5: a list of identical values ("5, 5") may be taken as that value; anything
    # else (differing values, signs, spaces inside digits) is unrecoverable.
    values = {item.strip() for value in fields for item in value.split(",")}
    if len(values) != 1:
        raise ProtocolError(400, "conflicting Content-Length values (RFC 9112 §6.3 rule 5)")
    (text,) = values
    if not text.isascii() or not text.isdigit():
        raise ProtocolError(400, f"invalid Content-Length {text!r}: must be digits only "
                                 "(RFC 9112 §6.2)")
    length = int(text)
    if length > MAX_BODY:
        raise ProtocolError(413, f"request body of {length} bytes exceeds the {MAX_BODY}-byte "
                                 "limit (RFC 9110 §15.5.14)")
    return length


def parse_chunk_size(line: bytes) -> int:
    """The size announced by one chunk-size line (RFC 9112 §7.1); extensions are ignored."""
    _refuse_bare_cr(line)
    match = _CHUNK_SIZE.fullmatch(line)
    if match is None:
        # §7.1 asks recipients to anticipate huge numerals; refusing more than 16 hex digits
        # here is what keeps the conversion below from ever overflowing a fixed-size integer.
        raise ProtocolError(400, "invalid chunk-size line: expected hex digits and optional "
                                 "';extensions' (RFC 9112 §7.1)")
    return int(match[1], 16)


def strip_eol(line: bytes) -> bytes:
    """``line`` without its terminator: CRLF, or a bare LF, which §2.2 lets us accept."""
    if line.endswith(b"\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith(b"\n") else line


def _refuse_bare_cr(line: bytes) -> None:
    if b"\r" in line:
        raise ProtocolError(400, "bare CR inside a line (RFC 9112 §2.2)")


def _split_target(method: str, target: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Path and query pairs of a request target, whatever its form (RFC 9112 §3.2)."""
    if target == "*":
        # asterisk-form is only meaningful for OPTIONS (§3.2.4); routing treats it as "*".
        return "*", ()
    if target.startswith("/"):
        parts = urlsplit(target)
    elif "://" in target:
        # absolute-form (§3.2.2): an origin server must accept it and ignore the authority.
        parts = urlsplit(target)
    else:
        # authority-form (§3.2.3) is only for CONNECT to a proxy; this is an origin server.
        return "", ()
    query = tuple(parse_qsl(parts.query, keep_blank_values=True))
    return unquote(parts.path) or "/", query
