"""The seed tutorial (Godot's HTTPClient tutorial, in Python) against ``DemoServer()``, as a
script whose last line is a JSON summary. ``test_pyodide.py`` runs it in CPython and in real
Pyodide under Node, where ``DemoServer()`` is in memory by default (no sockets, no threads)."""

from __future__ import annotations

import hashlib
import json
import sys

from httpexplore import OK, HTTPClient, export
from httpexplore.demo import DemoServer

srv = DemoServer().start()
http = HTTPClient()
statuses = [http.get_status().name]


def note() -> None:
    if statuses[-1] != http.get_status().name:
        statuses.append(http.get_status().name)


err = http.connect_to_host(srv.host, srv.port)
assert err == OK
note()
while http.get_status() in (HTTPClient.STATUS_CONNECTING, HTTPClient.STATUS_RESOLVING):
    http.poll()
    note()
assert http.get_status() == HTTPClient.STATUS_CONNECTED
http.request(HTTPClient.METHOD_GET, "/ChangeLog-5.php", ["User-Agent: Pirulo/1.0 (Godot)",
                                                        "Accept: */*"])
note()
while http.get_status() == HTTPClient.STATUS_REQUESTING:
    http.poll()
    note()
headers = http.get_response_headers()
chunked = http.is_response_chunked()
body = bytearray()
reads = 0
while http.get_status() == HTTPClient.STATUS_BODY:
    http.poll()
    note()
    chunk = http.read_response_body_chunk()
    note()
    if chunk:
        reads += 1
        body += chunk

trace = http.trace
transports = [event.detail.get("transport", "socket") for record in trace
              for event in record.events if event.kind == "TCPConnected"]
summary = {
    "platform": sys.platform, "in_memory": srv.in_memory, "code": http.get_response_code(),
    "headers": headers, "chunked": chunked, "length": len(body),
    "sha256": hashlib.sha256(body).hexdigest(), "reads": reads, "statuses": statuses,
    "transports": transports, "har_entries": len(export.to_har(trace)["log"]["entries"]),
    "text_lines": len(export.to_text(trace).splitlines()) > 5,
    "snapshot": bool(export.snapshot(trace)),
}
http.close()
srv.stop()
print(json.dumps(summary))
