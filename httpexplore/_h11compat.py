"""Every use of h11 beyond its public API, in one place, for the h11 releases it was written for.

Theory of operation
-------------------
httpexplore parses responses with h11's public API (``receive_data``, ``next_event``,
``their_state``, ``trailing_data``) except in two places, and both live here:

* **Counting chunk payload** (docs/architecture.md, "Where the project departs from h11").
  Inside a chunk's data, ``h11._readers.ChunkedReader`` keeps what is left of the chunk in
  ``_bytes_in_chunk``, the CRLF still expected after the data in ``_bytes_to_discard``, and
  ``_reading_trailer`` after the last chunk; the connection keeps unparsed bytes in
  ``_receive_buffer`` and the reader of the current state in ``_reader``.  The engine reads
  and lowers those counts instead of letting h11 copy the payload into ``Data`` events, and
  reads the usual chunk-size line (hex digits and CRLF) itself, setting the same counts h11
  would set (:func:`start_chunk`).
* **Reading h11's complaints.**  ``h11.RemoteProtocolError`` carries English text only; the
  plain-language messages (:func:`httpexplore.errors.explain_protocol_error`) need to know
  which rule was broken, so :func:`complaint` maps h11's words to a stable key.  The texts the
  engine raises itself as ``RemoteProtocolError`` (too many interim responses, an HTTP version
  it cannot frame) are in the same table.

:data:`WRITTEN_FOR` lists the h11 releases this was checked against (h11's reader code and its
error texts were read for each).  Importing on a release whose internals are missing raises
``ImportError`` at once rather than misparsing; ``tests/client/test_h11compat.py`` fails on any
release not in the list, so a new h11 gets read before it is trusted.
"""

from __future__ import annotations

import re

import h11
from h11._readers import ChunkedReader

__all__ = ["WRITTEN_FOR", "ChunkedReader", "buffered", "chunk_left", "chunked_reader",
           "complaint", "crlf_pending", "end_chunk", "h11_release", "reading_trailer",
           "set_chunk_left", "start_chunk", "unparsed"]

H11_VERSION: str = h11.__version__  # type: ignore[attr-defined]
#: h11 releases (major, minor) whose internals and error texts this module was written for.
WRITTEN_FOR: tuple[tuple[int, int], ...] = ((0, 16),)


def h11_release(version: str = H11_VERSION) -> tuple[int, int]:
    """``"0.16.0"`` → ``(0, 16)``."""
    major, minor = version.split(".")[:2]
    return int(major), int(re.match(r"\d+", minor).group(0))  # type: ignore[union-attr]


def _check_internals() -> None:
    """Refuse, loudly, an h11 without the private names used below."""
    probe = h11.Connection(h11.CLIENT)
    missing = [name for name in ("_receive_buffer", "_reader") if not hasattr(probe, name)]
    reader = ChunkedReader()
    missing += [f"ChunkedReader.{name}" for name in ("_bytes_in_chunk", "_bytes_to_discard",
                                                     "_reading_trailer")
                if not hasattr(reader, name)]
    if missing:
        raise ImportError(f"httpexplore was written for h11 {WRITTEN_FOR}; h11 "
                          f"{H11_VERSION} lacks {', '.join(missing)}")


_check_internals()


# -- the connection's buffer and reader ---------------------------------------------------------
def unparsed(parser: h11.Connection) -> int:
    """Bytes h11 holds but has not parsed yet (``trailing_data`` would copy them all)."""
    return len(parser._receive_buffer)


def buffered(parser: h11.Connection) -> object:
    """h11's receive buffer itself (``len()`` of it is :func:`unparsed`), for a loop that asks
    often."""
    return parser._receive_buffer


def chunked_reader(parser: h11.Connection) -> ChunkedReader | None:
    """h11's reader while it is inside a chunked body (before the trailer), else None."""
    reader = parser._reader
    if type(reader) is ChunkedReader and not reader._reading_trailer:
        return reader
    return None


def chunk_left(reader: ChunkedReader) -> int:
    """Payload bytes left in the current chunk (0 between chunks)."""
    left: int = reader._bytes_in_chunk
    return left


def set_chunk_left(reader: ChunkedReader, left: int) -> None:
    """``left`` bytes of the current chunk remain after the engine counted some itself."""
    reader._bytes_in_chunk = left


def end_chunk(reader: ChunkedReader) -> None:
    """The chunk's last payload byte was counted: the statement h11 runs at that point, so h11
    itself checks the CRLF that must follow (RFC 9112 §7.1) when it is fed."""
    reader._bytes_to_discard = b"\r\n"


def start_chunk(reader: ChunkedReader, size: int) -> None:
    """The engine read the CRLF after the previous chunk's data and a chunk-size line of
    ``size`` (> 0) itself: the state h11's reader is in after reading them."""
    reader._bytes_to_discard = b""
    reader._bytes_in_chunk = size


def crlf_pending(reader: ChunkedReader) -> int:
    """Bytes of the CRLF after a chunk's data that h11 still expects."""
    return len(reader._bytes_to_discard)


def reading_trailer(reader: ChunkedReader) -> bool:
    return bool(reader._reading_trailer)


# -- h11's complaints ---------------------------------------------------------------------------
#: A complete status line that starts with a byte below 0x21, as h11 0.16 words it.
_LEADING_JUNK = re.compile(r"illegal status line: bytearray\(b'( |\\[trnx])")

#: (needle in h11's words before the first ": ", key), first match wins.  The first three and
#: "receive buffer too long" are also raised by the engine itself (response.py).
_RULES: tuple[tuple[str, str], ...] = (
    ("too many interim responses", "too_many_interim"),
    ("http version", "http_version"),
    ("http/1.0 response with transfer-encoding", "http10_chunked"),
    ("conflicting content-length", "conflicting_length"),
    ("content-length", "bad_length"),
    ("transfer-encoding", "bad_coding"),
    ("malformed chunk footer", "chunk_footer"),
    ("chunk", "bad_chunk"),
    ("illegal status line", "status_line"),
    ("status_code should be in range", "status_code"),
    ("_switch_upgrade", "unasked_101"),
    ("receive buffer too long", "too_large"),
    ("continuation line", "continuation"),
    ("illegal header line", "header_line"),
    ("illegal", "illegal_bytes"),
    ("header", "bad_header"),
)


def complaint(exc: h11.RemoteProtocolError) -> str:
    """Which rule ``exc`` (h11's, or one the engine raised) says was broken: a stable key.

    ``"closed"``: the peer closed mid-message; ``"no_status_line"``: the response does not
    start with ``HTTP/`` (h11 words it three ways depending on how much of the head it had);
    ``"other"``: none known.  The rest are the keys of :data:`_RULES`.
    """
    text = str(exc)
    low = text.lower()
    if "closed connection" in low:
        # "peer closed connection without sending complete message body" or "peer
        # unexpectedly closed connection" (mid-line, e.g. a chunk-size line cut short).
        return "closed"
    if "illegal request line" in low or "no response line" in low or _LEADING_JUNK.search(text):
        return "no_status_line"
    # h11's words only, not the bytes it quotes after ": " (a malformed line
    # "Content-Length : 5" is a header-line problem, not a Content-Length one).
    words = low.split(": ", 1)[0]
    for needle, key in _RULES:
        if needle in words:
            return key
    return "other"
