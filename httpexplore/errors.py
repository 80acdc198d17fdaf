"""Godot ``Error`` codes and the small vocabulary of failures used across httpexplore.

Theory of operation
-------------------
Godot reports failures as integer ``Error`` codes returned from methods, plus a terminal
``Status``.  httpexplore keeps exactly that contract (same names, same numeric values) and adds
one thing learners keep asking for: a plain-language explanation.  Low-level exceptions
(``OSError``, ``ssl.SSLError``, ``h11.RemoteProtocolError``) are translated *once*, at the
boundary where they happen, into a :class:`Failure` carrying both the code and the message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Error", "Failure", "FailureKind", "TransportError", "plural"]


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
