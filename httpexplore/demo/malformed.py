"""The catalogue of malformed responses served at ``/malformed/<name>``.

Each entry is data: the exact bytes the server writes, how the connection ends afterwards,
a one-line explanation and the section of RFC 9112 (or RFC 9110) that the response breaks.
Notebooks and docs render :data:`MALFORMED` directly (it has an HTML and a text form); the
server's route only looks an entry up and writes its bytes.

Every entry but one ends the connection, because after a broken response a client can no longer
know where the next response would start. ``unsolicited-response`` keeps it open on purpose: it
shows what a client that takes unrequested bytes as its next answer gets wrong.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from ._table import html_table, text_table

__all__ = ["MALFORMED", "Catalogue", "Ending", "MalformedResponse"]

#: How the connection ends after the payload: a normal close (FIN), a reset (RST: the socket
#: is closed with SO_LINGER 0), silence (nothing more, close after the silence timeout), or
#: keep-open (the server goes on reading and answering requests on the connection).
Ending = Literal["close", "reset", "silence", "keep-open"]


@dataclass(frozen=True)
class MalformedResponse:
    """One broken response: its bytes, its ending and why it is broken.

    ``later`` (if any) is sent ``pause`` seconds after ``payload``, before the ending.
    """

    name: str
    description: str
    rfc: str
    payload: bytes
    ending: Ending = "close"
    later: bytes = b""
    pause: float = 0.0

    def __repr__(self) -> str:
        return f"<MalformedResponse {self.name}: {self.rfc}>"


class Catalogue(Mapping[str, MalformedResponse]):
    """A read-only, ordered mapping from entry name to :class:`MalformedResponse`."""

    def __init__(self, entries: list[MalformedResponse]) -> None:
        self._entries = {entry.name: entry for entry in entries}

    def __getitem__(self, name: str) -> MalformedResponse:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def _rows(self) -> list[tuple[str, str, str]]:
        return [(e.name, e.rfc, e.description) for e in self._entries.values()]

    def __str__(self) -> str:
        return text_table(("name", "breaks", "what the server sends"), self._rows())

    def __repr__(self) -> str:
        return f"<malformed-response catalogue: {len(self)} entries>\n{self}"

    def _repr_html_(self) -> str:
        return html_table(("name", "breaks", "what the server sends"), self._rows())


_OK = b"HTTP/1.1 200 OK\r\n"
_TEXT = b"Content-Type: text/plain\r\n"
_CHUNKED = b"Transfer-Encoding: chunked\r\n"
_HELLO = b"Content-Length: 5\r\n\r\nhello"

_ENTRIES = [
    MalformedResponse(
        "conflicting-content-length",
        "Two Content-Length fields that disagree (5 and 7): the body length is unknowable.",
        "RFC 9112 §6.3 rule 5",
        _OK + _TEXT + b"Content-Length: 5\r\nContent-Length: 7\r\n\r\nhello, ",
    ),
    MalformedResponse(
        "bad-chunk-size",
        "A chunk-size line that is not hexadecimal ('zz').",
        "RFC 9112 §7.1",
        _OK + _TEXT + _CHUNKED + b"\r\n5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n",
    ),
    MalformedResponse(
        "chunk-size-overflow",
        "A chunk size of 20 hex digits, too large for a 64-bit integer.",
        "RFC 9112 §7.1",
        _OK + _TEXT + _CHUNKED + b"\r\nFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n",
    ),
    MalformedResponse(
        "chunk-missing-crlf",
        "Chunk data not followed by CRLF: the size says 5 but 7 bytes come before the CRLF.",
        "RFC 9112 §7.1",
        _OK + _TEXT + _CHUNKED + b"\r\n5\r\nhello, \r\n0\r\n\r\n",
    ),
    MalformedResponse(
        "missing-last-chunk",
        "A chunked body whose last-chunk never comes: the server closes after the data.",
        "RFC 9112 §7.1, §8",
        _OK + _TEXT + _CHUNKED + b"\r\n5\r\nhello\r\n6\r\n world\r\n",
    ),
    MalformedResponse(
        "truncated-body",
        "Content-Length: 100, but the server closes after sending 24 bytes of body.",
        "RFC 9112 §6.2, §8",
        _OK + _TEXT + b"Content-Length: 100\r\n\r\n" + b"only 24 bytes arrive...\n",
    ),
    MalformedResponse(
        "reset-mid-body",
        "Content-Length: 4096, 1024 bytes sent, then a TCP reset (RST) instead of a close.",
        "RFC 9112 §8",
        _OK + _TEXT + b"Content-Length: 4096\r\n\r\n" + b"x" * 1024,
        "reset",
    ),
    MalformedResponse(
        "close-before-response",
        "The server closes the connection without sending a single byte.",
        "RFC 9112 §9.3.1",
        b"",
    ),
    MalformedResponse(
        "silence",
        "The request is accepted but never answered; the server closes after its silence "
        "timeout (30 s by default) or when it stops.",
        "RFC 9112 §9.5",
        b"",
        "silence",
    ),
    MalformedResponse(
        "bare-lf",
        "Every line ends with a bare LF instead of CRLF: lenient parsers accept it, strict "
        "ones refuse.",
        "RFC 9112 §2.2",
        b"HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 5\n\nhello",
    ),
    MalformedResponse(
        "cr-only",
        "Every line ends with a bare CR: not a line terminator at all.",
        "RFC 9112 §2.2",
        b"HTTP/1.1 200 OK\rContent-Type: text/plain\rContent-Length: 5\r\rhello",
    ),
    MalformedResponse(
        "obs-fold",
        "A header field continued on the next line (obsolete line folding).",
        "RFC 9112 §5.2",
        _OK + _TEXT + b"X-Folded: first part,\r\n second part\r\n" + _HELLO,
    ),
    MalformedResponse(
        "space-before-colon",
        "Whitespace between a field name and its colon ('Content-Length : 5').",
        "RFC 9112 §5.1",
        _OK + _TEXT + b"Content-Length : 5\r\n\r\nhello",
    ),
    MalformedResponse(
        "nul-in-header",
        "A NUL byte inside a header field value.",
        "RFC 9112 §5, RFC 9110 §5.5",
        _OK + _TEXT + b"X-Nul: before\x00after\r\n" + _HELLO,
    ),
    MalformedResponse(
        "oversized-head",
        "80 KiB of header fields, more than the 64 KiB a client is expected to accept.",
        "RFC 9112 §2.3, RFC 9110 §5.4",
        _OK + _TEXT + b"".join(b"X-Filler-%04d: %s\r\n" % (i, b"f" * 60) for i in range(1100))
        + _HELLO,
    ),
    MalformedResponse(
        "garbage-status-line",
        "The first line is not a status line at all.",
        "RFC 9112 §4",
        b"Hello! This is not HTTP.\r\n" + _TEXT + _HELLO,
    ),
    MalformedResponse(
        "invalid-status-code",
        "A four-digit status code ('HTTP/1.1 2000 OK'); the grammar allows exactly three.",
        "RFC 9112 §4",
        b"HTTP/1.1 2000 OK\r\n" + _TEXT + _HELLO,
    ),
    MalformedResponse(
        "http2-status-line",
        "An HTTP/2-style status line ('HTTP/2 200') on an HTTP/1.1 connection.",
        "RFC 9112 §2.3, §4",
        b"HTTP/2 200\r\n" + _TEXT + _HELLO,
    ),
    MalformedResponse(
        "unknown-version",
        "A version the client does not speak ('HTTP/3.7 200 OK').",
        "RFC 9112 §2.3",
        b"HTTP/3.7 200 OK\r\n" + _TEXT + _HELLO,
    ),
    MalformedResponse(
        "negative-content-length",
        "Content-Length: -5 (the field allows digits only).",
        "RFC 9112 §6.2",
        _OK + _TEXT + b"Content-Length: -5\r\n\r\nhello",
    ),
    MalformedResponse(
        "te-without-chunked",
        "Transfer-Encoding: gzip without chunked: the body runs until the close and the "
        "client must undo a transfer coding it may not support.",
        "RFC 9112 §6.3 rule 4, §7",
        _OK + _TEXT + b"Transfer-Encoding: gzip\r\n\r\n" + gzip.compress(b"hello", mtime=0),
    ),
    MalformedResponse(
        "double-chunked",
        "Transfer-Encoding: chunked, chunked; chunked must be applied only once.",
        "RFC 9112 §6.1",
        _OK + _TEXT + b"Transfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    ),
    MalformedResponse(
        "te-and-content-length",
        "Both Transfer-Encoding: chunked and a (wrong) Content-Length: the request-smuggling "
        "pattern; chunked wins and the message must be treated as an error.",
        "RFC 9112 §6.3 rule 3, §11.2",
        _OK + _TEXT + b"Content-Length: 3\r\n" + _CHUNKED + b"\r\n5\r\nhello\r\n0\r\n\r\n",
    ),
    MalformedResponse(
        "extra-response",
        "A complete response followed by a second one nobody asked for.",
        "RFC 9112 §9.2, §11.1",
        _OK + _TEXT + _HELLO + b"HTTP/1.1 200 OK\r\n" + _TEXT + b"Content-Length: 6\r\n\r\nextra!",
    ),
    MalformedResponse(
        "unsolicited-response",
        "'hello', then 0.2 s later, before any 2nd request, a 2nd response nobody asked for "
        "('POISON'); the connection stays open: a client must not take it as its next answer.",
        "RFC 9112 §9.3.2",
        _OK + _TEXT + _HELLO,
        "keep-open",
        later=_OK + _TEXT + b"Content-Length: 6\r\nX-Poison: yes\r\n\r\nPOISON",
        pause=0.2,
    ),
]

#: The catalogue in teaching order: body framing, how the connection ends, line and field
#: syntax, the status line, Content-Length and transfer codings, unrequested responses.
MALFORMED = Catalogue(_ENTRIES)
