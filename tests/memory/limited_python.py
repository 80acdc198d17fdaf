"""Run the tutorial where Python is limited, as in Pyodide: no ``ssl`` module, no threads,
no sockets, no ``select``. Executed as a script by ``test_limited_python.py`` (a fresh
interpreter, so that the limits apply from the first import); prints one JSON line."""

from __future__ import annotations

import json
import select
import socket
import sys
import tempfile
import threading
from pathlib import Path

sys.modules["ssl"] = None  # type: ignore[assignment]  # "import ssl" now raises ImportError
sys.modules["_ssl"] = None  # type: ignore[assignment]
attempts: list[str] = []


def refuse(name: str):  # type: ignore[no-untyped-def]
    def raiser(*args: object, **kwargs: object) -> object:
        caller = sys._getframe(1).f_globals.get("__name__")
        if caller != "httpexplore._listeners":  # its port reservation falls back by design
            attempts.append(f"{name} from {caller}")
        raise RuntimeError(f"{name}: not available here")
    return raiser


threading.Thread.start = refuse("threading.Thread.start")  # type: ignore[method-assign]
socket.socket = refuse("socket.socket")  # type: ignore[misc]
socket.create_connection = refuse("socket.create_connection")
socket.socketpair = refuse("socket.socketpair")
for _name in ("select", "poll", "epoll"):
    if hasattr(select, _name):
        setattr(select, _name, refuse(f"select.{_name}"))

import httpexplore  # noqa: E402
from httpexplore import HTTPClient, export  # noqa: E402
from httpexplore.demo import DemoServer  # noqa: E402

srv = DemoServer(in_memory=True).start()
http = HTTPClient()
statuses = [http.get_status().name]


def note() -> None:
    if statuses[-1] != http.get_status().name:
        statuses.append(http.get_status().name)


http.connect_to_host(srv.host, srv.port)
note()
while http.get_status() in (HTTPClient.STATUS_CONNECTING, HTTPClient.STATUS_RESOLVING):
    http.poll()
    note()
http.request(HTTPClient.METHOD_GET, "/ChangeLog-5.php", ["User-Agent: Pirulo/1.0 (Godot)"])
note()
while http.get_status() == HTTPClient.STATUS_REQUESTING:
    http.poll()
    note()
body = bytearray()
reads = 0
while http.get_status() == HTTPClient.STATUS_BODY:
    http.poll()
    note()
    chunk = http.read_response_body_chunk()
    note()
    reads += bool(chunk)
    body += chunk

trace = http.trace
har = export.to_har(trace)
text = export.to_text(trace)
with tempfile.TemporaryDirectory() as folder:
    export.save(trace, Path(folder) / "run.trace")
    loaded = export.load(Path(folder) / "run.trace")
    export.save_har(trace, Path(folder) / "run.har")

tls = HTTPClient(record=False)
tls.connect_to_host("https://" + srv.host, srv.port)
while tls.get_status() in (HTTPClient.STATUS_CONNECTING, HTTPClient.STATUS_RESOLVING):
    tls.poll()
srv.stop()
print(json.dumps({
    "version": httpexplore.__version__, "code": http.get_response_code(), "length": len(body),
    "reads": reads, "statuses": statuses, "attempts": attempts,
    "ssl_loaded": sys.modules.get("ssl") is not None,
    "har_entries": len(har["log"]["entries"]), "in_memory_in_text": "in memory" in text,
    "loaded_steps": loaded.steps == trace.steps, "tls_status": tls.get_status().name,
    "tls_message": tls.error_message,
}))
