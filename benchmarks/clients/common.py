"""What every benchmark client shares: its result type and the "not available" signal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Bytes asked of the socket or library per read, where a client lets us choose.
READ_SIZE = 65536


class Unavailable(Exception):
    """The client cannot run here (not installed, not written yet); not a failure."""


class ClientFailed(Exception):
    """The client ran but did not get a complete, correct answer."""


@dataclass
class Outcome:
    """What a client run produced.

    ``amount`` is body bytes received (downloads) or polls made (idle); ``seconds`` is set only
    by clients that time part of their work themselves (idle polls), otherwise the whole call is
    timed.  ``child_rusage`` says the work ran in a child process (curl), whose peak RSS and page
    faults are the ones to report.
    """

    amount: int
    seconds: float | None = None
    child_rusage: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def request_bytes(host: str, port: int, path: str) -> bytes:
    """A minimal GET request head, as a raw client writes it."""
    return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode("ascii")
