"""The inspector's code paths that need no widget -- its views (HTML strings), the state
diagram, ``auto_poll`` on the platform's event loop -- and the trace's snapshot, text dump, HAR
and save/load, as a script whose last line is a JSON summary. ``test_pyodide.py`` runs it in
CPython and in real Pyodide under Node and compares the two.

``httpexplore.inspector``'s ``__init__`` imports ipywidgets (not installed in the Node
Pyodide); the modules used here do not, so the package is entered without its ``__init__``.
On CPython the same import path is used, so both runs execute the same code.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import tempfile
import types

import httpexplore
from httpexplore import OK, HTTPClient, Status, export
from httpexplore.demo import DemoServer
from httpexplore.godot_os import OS
from httpexplore.transport import WOULD_BLOCK, ScriptedTransport

_package = types.ModuleType("httpexplore.inspector")
_package.__path__ = [os.path.join(os.path.dirname(httpexplore.__file__), "inspector")]
sys.modules["httpexplore.inspector"] = _package

from httpexplore.inspector import autopoll, diagram, views  # noqa: E402


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# 1. A scripted exchange (the bytes are fixed, so every view's HTML can be compared exactly).
SCRIPT = [b"HTTP/1.1 200 OK\r\nContent-Ty", WOULD_BLOCK,
          b"pe: text/plain\r\nTransfer-Encoding: chunked\r\n", WOULD_BLOCK,
          b"\r\n6\r\nhello \r\n", WOULD_BLOCK, b"6\r\nworld\n\r\n0\r\n\r\n"]
client = HTTPClient(transport_factory=lambda: ScriptedTransport(list(SCRIPT)))
assert client.connect_to_host("192.0.2.1", 80) == OK
client.poll()
client.request(HTTPClient.METHOD_GET, "/hello", ["Accept: */*"])
views_seen: list[str] = []
path = [Status.DISCONNECTED]
while client.get_status() in (Status.CONNECTED, Status.REQUESTING, Status.BODY):
    client.poll()
    if client.get_status() == Status.BODY:
        client.read_response_body_chunk()
    if path[-1] != client.get_status():
        path.append(client.get_status())
    if client.get_status() == Status.CONNECTED:
        break
trace = client.trace
last = len(trace.timeline) - 1
for k in range(len(trace.timeline)):
    state = trace.state_at(k)
    views_seen.append(views.status_badge(state.status, op=state.record.op, result=state.result))
    views_seen.append(views.headers_table(state))
    views_seen.append(views.wire_html(state.sent, state.received, newest=state.index))
    views_seen.append(views.snapshot_text(state, step=k, last=last, polls=0, target="/hello",
                                          message=""))
final = trace.state_at(-1)
svg = diagram.state_diagram(path, current=client.get_status())

# 2. Save and load: the loaded trace tells the same story.
with tempfile.TemporaryDirectory() as folder:
    saved = os.path.join(folder, "trace.json")
    export.save(trace, saved)
    loaded = export.load(saved)
    har_path = os.path.join(folder, "trace.har")
    export.save_har(trace, har_path)
    with open(har_path, encoding="utf-8") as f:
        har_file = json.load(f)
har = export.to_har(trace)
entry = har["log"]["entries"][0]

summary: dict[str, object] = {
    "platform": sys.platform,
    "web": OS.has_feature("web"),
    "path": [status.name for status in path],
    "views": digest("\n".join(views_seen)),
    "view_count": len(views_seen),
    "final_snapshot": views_seen[-1],
    "diagram": digest(svg),
    "trace_snapshot": export.snapshot(trace),
    "loaded_snapshot_same": export.snapshot(loaded) == export.snapshot(trace),
    "text_lines": len(export.to_text(trace).splitlines()),
    "har": [entry["request"]["method"], entry["request"]["url"], entry["response"]["status"],
            entry["response"]["content"]["size"], entry["response"]["content"].get("text")],
    "har_file_entries": len(har_file["log"]["entries"]),
    "body_preview": final.body_preview.decode("ascii"),
}
client.close()


# 3. auto_poll on this platform's event loop against DemoServer() (in memory under Pyodide):
# the same loop the Auto-poll button runs.
async def auto() -> dict[str, object]:
    srv = DemoServer().start()
    http = HTTPClient()
    assert http.connect_to_host(srv.host, srv.port) == OK
    body = bytearray()

    def step() -> bool:
        before = http.get_status()
        http.poll()
        if http.get_status() == Status.CONNECTED and http.get_response_code() == 0:
            http.request(HTTPClient.METHOD_GET, "/drip?bytes=20&pieces=5&delay=0.05",
                         ["Accept: */*"])
        chunk = http.read_response_body_chunk() if http.get_status() == Status.BODY else b""
        body.extend(chunk)
        return bool(chunk) or http.get_status() != before

    def active() -> bool:
        return not (http.get_status() == Status.CONNECTED and http.get_response_code() != 0) \
            and http.get_status() in (Status.CONNECTING, Status.CONNECTED, Status.REQUESTING,
                                      Status.BODY)

    steps = await autopoll.auto_poll(step, active, lambda: 0.0)
    result = {"auto_code": http.get_response_code(), "auto_body": body.decode("ascii"),
              "auto_status": http.get_status().name, "auto_steps_over_one": steps > 1,
              "in_memory": srv.in_memory,
              # A real port number, as on sockets (the Host header and srv.url show it).
              "port_in_range": 0 < srv.port < 65536}
    http.close()
    srv.stop()
    return result


def report(result: dict[str, object]) -> None:
    summary.update(result)
    print(json.dumps(summary))


if sys.platform == "emscripten":
    # Pyodide's loop is the JavaScript event loop (no run_until_complete): schedule the task;
    # Node stays alive until its timers are done, and the summary is printed at the end.
    task = asyncio.get_event_loop().create_task(auto())
    task.add_done_callback(lambda t: report(t.result()))
else:
    report(asyncio.run(auto()))
