"""The httpexplore demo server: loopback HTTP/1.1 and HTTPS with teaching endpoints.

>>> from httpexplore.demo import DemoServer, route_table, MALFORMED
>>> srv = DemoServer().start()          # doctest: +SKIP
>>> srv.url                             # doctest: +SKIP
'http://127.0.0.1:50123'
>>> srv.stop()                          # doctest: +SKIP

The server stands alone: it imports only the standard library (and ``trustme`` when TLS is
asked for), never the client, so it can serve as an independent reference for the client. Its
routes plan their responses as timed actions (:mod:`.plan`), executed on loopback sockets by
threads, or in memory with no socket and no thread (``DemoServer(in_memory=True)``, the default
under Pyodide); an in-memory server is found by the client through ``httpexplore._listeners``,
a registry that imports nothing from either side (see ``docs/architecture.md``).
"""

from __future__ import annotations

from .cli import main
from .malformed import MALFORMED, MalformedResponse
from .routes import route_table
from .server import DemoServer

__all__ = ["MALFORMED", "DemoServer", "MalformedResponse", "main", "route_table"]
