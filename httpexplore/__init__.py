"""httpexplore: watch HTTP/1.1 happen, one poll at a time.

``import httpexplore`` gives the Godot-style client and its vocabulary; it does not import
ipywidgets (the inspector lives in :mod:`httpexplore.inspector` and is loaded on first use).
"""

from __future__ import annotations

from typing import Any

from .client import HTTPClient, __version__
from .errors import Error
from .httprequest import Completion, HTTPRequest, Result
from .records import CycleInfo, EventInfo, PollRecord
from .status import Method, ResponseCode, Status
from .tls import TLSOptions
from .trace import Trace

# The package root wires the layers together, so that imports inside the package go one way
# (inspector → trace → client): a new client records by default, and ``client.inspect()`` loads
# ipywidgets only when called.
HTTPClient.recorder_factory = Trace


def _inspect(self: HTTPClient, **options: Any) -> Any:
    """Open an :class:`~httpexplore.inspector.Inspector` on this client (imports ipywidgets)."""
    from .inspector import Inspector

    return Inspector(self, **options)


HTTPClient.inspect = _inspect  # type: ignore[attr-defined]

# Godot's global Error constants, so tutorial code reads the same: ``assert err == OK``.
OK = Error.OK
FAILED = Error.FAILED
ERR_UNAVAILABLE = Error.ERR_UNAVAILABLE
ERR_UNCONFIGURED = Error.ERR_UNCONFIGURED
ERR_CANT_CONNECT = Error.ERR_CANT_CONNECT
ERR_CANT_RESOLVE = Error.ERR_CANT_RESOLVE
ERR_CONNECTION_ERROR = Error.ERR_CONNECTION_ERROR
ERR_INVALID_DATA = Error.ERR_INVALID_DATA
ERR_INVALID_PARAMETER = Error.ERR_INVALID_PARAMETER
ERR_BUSY = Error.ERR_BUSY

__all__ = [
    "ERR_BUSY", "ERR_CANT_CONNECT", "ERR_CANT_RESOLVE", "ERR_CONNECTION_ERROR",
    "ERR_INVALID_DATA", "ERR_INVALID_PARAMETER", "ERR_UNAVAILABLE", "ERR_UNCONFIGURED",
    "FAILED", "OK", "Completion", "CycleInfo", "Error", "EventInfo", "HTTPClient", "HTTPRequest",
    "Method", "PollRecord", "ResponseCode", "Result", "Status", "TLSOptions", "Trace",
    "__version__",
]
