"""What the inspector's host, port and path fields start with, and how a URL typed into the host
field is split into them (as ``Inspector(url=...)`` does)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..status import Method

if TYPE_CHECKING:
    from ..client import HTTPClient
    from ..trace import Trace

__all__ = ["looks_like_url", "prefill"]


def looks_like_url(text: str) -> bool:
    """True when ``text`` (the host field) holds more than a host: a path, or a port."""
    rest = text.split("://", 1)[-1]
    return "/" in rest or "]:" in rest or (rest.count(":") == 1
                                           and rest.rsplit(":", 1)[1].isdigit())


def prefill(client: HTTPClient, trace: Trace, url: str | None) -> tuple[str, int, str, Method]:
    """(host, port, path, method) for the fields: from ``url`` when given, else from the
    client's last connection and the trace's last request."""
    if url is not None:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        if parts.scheme == "https":
            host = f"https://{host}"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return host, parts.port if parts.port is not None else -1, path, Method.GET
    host = client.host
    if host and client.tls_enabled:
        host = f"https://{host}"
    port = client.port if client.host else -1
    cycles = trace.cycles
    if cycles and cycles[-1].method in Method.__members__:
        return host, port, cycles[-1].target or "/", Method[cycles[-1].method]
    return host, port, "/", Method.GET
