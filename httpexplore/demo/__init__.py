"""The httpexplore demo server: loopback HTTP/1.1 and HTTPS with teaching endpoints.

>>> from httpexplore.demo import DemoServer, route_table, MALFORMED
>>> srv = DemoServer().start()          # doctest: +SKIP
>>> srv.url                             # doctest: +SKIP
'http://127.0.0.1:50123'
>>> srv.stop()                          # doctest: +SKIP

The server stands alone: it imports only the standard library (and ``trustme`` when TLS is
asked for), never the client, so it can serve as an independent reference for the client.
"""

from __future__ import annotations

from .cli import main
from .malformed import MALFORMED, MalformedResponse
from .routes import route_table
from .server import DemoServer

__all__ = ["MALFORMED", "DemoServer", "MalformedResponse", "main", "route_table"]
