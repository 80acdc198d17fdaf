"""Where an :class:`~httpexplore.httprequest.HTTPRequest` puts a response body.

A :class:`BodySink` takes the body bytes as they arrive, decompresses them when the response
says ``Content-Encoding: gzip`` or ``deflate`` (and ``accept_gzip`` is on), counts the
*decompressed* size against ``body_size_limit`` (so a small "zip bomb" cannot grow without
bound: the decompressor is never asked for more than the limit allows), and either keeps them in
memory or writes them straight to ``download_file``, piece by piece, so a download never holds
the whole body.  Every failure is a :class:`~httpexplore.httprequest.Result` value plus a
sentence (:attr:`BodySink.message`); nothing here raises for bad data or a full disk.
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

__all__ = ["BodySink", "Outcome"]

#: Result names (the enum lives in httprequest; this module stays below it).
Outcome = str


class BodySink:
    """Decompress, count and store one response body."""

    def __init__(self, *, encoding: str, limit: int, path: str) -> None:
        self.limit = limit
        self.path = path
        self.size = 0  # body bytes after decoding
        self.message = ""
        self._parts: list[bytes] = []
        self._file: BinaryIO | None = None
        self._inflate = None
        if encoding == "gzip":
            self._inflate = zlib.decompressobj(wbits=31)
        elif encoding == "deflate":
            # RFC 9110 §8.4.1.2: "deflate" is the zlib format (RFC 1950), not raw DEFLATE.
            self._inflate = zlib.decompressobj(wbits=15)
        self.encoding = encoding if self._inflate is not None else ""

    def open(self) -> Outcome | None:
        """Open ``download_file`` (when set) for writing; ``"DOWNLOAD_FILE_CANT_OPEN"`` if
        that fails."""
        if not self.path:
            return None
        try:
            # Unbuffered: each piece reaches the OS at once, so a write error (a full disk)
            # shows up on the piece that caused it.
            self._file = open(self.path, "wb", buffering=0)  # noqa: SIM115 (closed in close())
        except OSError as exc:
            self.message = f"cannot open download_file {self.path!r} for writing: {exc.strerror}"
            return "DOWNLOAD_FILE_CANT_OPEN"
        return None

    def write(self, data: bytes) -> Outcome | None:
        """Take the next body bytes (as received); a result name if the body must stop."""
        if not data:
            return None
        if self._inflate is not None:
            if self._inflate.eof:
                self.message = (f"{len(data)} bytes arrived after the end of the {self.encoding} "
                                "stream")
                return "BODY_DECOMPRESS_FAILED"
            room = self.limit - self.size + 1 if self.limit >= 0 else 0
            try:
                data = self._inflate.decompress(data, room)
            except zlib.error as exc:
                self.message = (f"the body is not valid {self.encoding} data ({exc}); "
                                "Content-Encoding promised it (RFC 9110 §8.4)")
                return "BODY_DECOMPRESS_FAILED"
        self.size += len(data)
        if self.limit >= 0 and self.size > self.limit:
            self.message = (f"the body is larger than body_size_limit ({self.limit} bytes); "
                            "the download was stopped")
            return "BODY_SIZE_LIMIT_EXCEEDED"
        if self._file is None:
            self._parts.append(data)
            return None
        try:
            self._file.write(data)
        except OSError as exc:
            self.message = f"cannot write to download_file {self.path!r}: {exc.strerror}"
            return "DOWNLOAD_FILE_WRITE_ERROR"
        return None

    def finish(self) -> Outcome | None:
        """The body is complete: check that a compressed stream ended properly, close the
        file.  A result name if the body turns out to be broken."""
        inflate = self._inflate
        self.close()
        if inflate is not None and (not inflate.eof or inflate.unused_data):
            what = "ended before" if not inflate.eof else "goes on after"
            self.message = (f"the body {what} the end of its {self.encoding} stream: the "
                            "compressed data is incomplete or corrupt")
            return "BODY_DECOMPRESS_FAILED"
        return None

    @property
    def body(self) -> bytes:
        """The body kept in memory (empty when it went to ``download_file``)."""
        return b"".join(self._parts)

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass  # unbuffered: nothing left to flush; a failing close loses nothing
            self._file = None
