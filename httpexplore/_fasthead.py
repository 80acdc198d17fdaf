"""One strict match for the common response head; everything else is left to h11.

Theory of operation
-------------------
Most responses start with a head like ``HTTP/1.1 200 OK`` and a few plain fields, one of them
``Content-Length``, complete in the first read.  h11 parses such a head through its general
machinery (line splitting, obs-fold handling, one regular expression per line, event objects,
its state machine); for a 100-byte response that is most of the client's work.  :func:`parse`
recognises only the narrowest, unambiguous subset of RFC 9112 §4–§6 and answers None for
anything else, in which case the caller gives the bytes to h11 as before:

* the status line is ``HTTP/1.1 SP 3DIGIT SP reason CRLF`` with a code from 200 to 599 but
  not 204 or 304, whose bodies are empty whatever the fields say (no 1xx, no HTTP/1.0, no
  missing reason separator); the reason phrase holds only SP, HTAB and
  visible or obs-text bytes;
* every field line is ``token ":" OWS value OWS CRLF`` where the value is visible or obs-text
  bytes separated by SP/HTAB (so no obs-fold, no bare CR or LF, no NUL or other control);
* exactly one ``Content-Length`` field, 1 to 18 ASCII digits, and no ``Transfer-Encoding``;
* the head ends with an empty line (CRLF) inside the bytes given, and no longer than the
  client's head limit.

Every head this accepts, h11 accepts too and reads the same way (same code, reason, fields in
order, where the head ends, same body length); the differential tests in
``tests/robustness/test_fasthead.py`` check that against plain h11 for hand-written heads, every
split point, the malformed catalogue and generated heads.  The grammar is written here, not
taken from h11, so no h11 internals are used (and no h11 at all: this module has no imports
but ``re``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Head", "parse"]

_TOKEN = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_VCHAR = rb"[\x21-\x7e\x80-\xff]"
_STATUS = re.compile(rb"HTTP/1\.1 ([2-5][0-9][0-9]) ([\t\x20-\x7e\x80-\xff]*)\r\n")
_FIELD = re.compile(rb"(" + _TOKEN + rb"):[ \t]*((?:" + _VCHAR + rb"+(?:[ \t]+" + _VCHAR
                    + rb"+)*)?)[ \t]*\r\n")
_DIGITS = re.compile(rb"[0-9]{1,18}")


class Head(NamedTuple):
    """A head :func:`parse` accepted: ``fields`` are (name, value) as sent, in order."""

    status_code: int
    reason: bytes
    fields: list[tuple[bytes, bytes]]
    content_length: int
    size: int  # bytes of the head, empty line included


def parse(data: bytes, max_size: int) -> Head | None:
    """The head at the start of ``data`` when it is complete and of the common form above
    (at most ``max_size`` bytes); None for anything else, including a head not complete yet."""
    status = _STATUS.match(data)
    if status is None or status.group(1) in (b"204", b"304"):
        return None
    pos = status.end()
    fields: list[tuple[bytes, bytes]] = []
    length: bytes | None = None
    match = _FIELD.match
    while True:
        if data.startswith(b"\r\n", pos):
            pos += 2
            break
        field = match(data, pos)
        if field is None:
            return None
        name, value = field.group(1, 2)
        low = name.lower()
        if low == b"content-length":
            if length is not None or not _DIGITS.fullmatch(value):
                return None
            length = value
        elif low == b"transfer-encoding":
            return None
        fields.append((name, value))
        pos = field.end()
        if pos > max_size:
            return None
    if length is None or pos > max_size:
        return None
    return Head(int(status.group(1)), status.group(2), fields, int(length), pos)
