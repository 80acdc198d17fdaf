"""Measure the recorder's memory on an endless body (issue #12 item 2): RSS growth of this
process while a recording client reads an endless response for a few seconds with
``read_chunk_size = 256``, Content-Length and chunked.  The server runs in a child process
so that its memory does not count.

    .venv/bin/python tests/recorder/measure_memory.py [seconds]
"""

from __future__ import annotations

import gc
import subprocess
import sys
import time

SERVER = r"""
import socket, sys
chunked = sys.argv[1] == "chunked"
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
print(ls.getsockname()[1], flush=True)
conn, _ = ls.accept()
data = b""
while b"\r\n\r\n" not in data:
    data += conn.recv(65536)
if chunked:
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece = b"100\r\n" + b"x" * 256 + b"\r\n"
    block = piece * 256
else:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")
    block = b"x" * 65536
try:
    while True:
        conn.sendall(block)
except OSError:
    pass
"""


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(kind: str, seconds: float) -> tuple[float, int, int, int]:
    from httpexplore import HTTPClient, Method, Status

    server = subprocess.Popen([sys.executable, "-c", SERVER, kind], stdout=subprocess.PIPE,
                              text=True)
    assert server.stdout is not None
    port = int(server.stdout.readline())
    gc.collect()
    before = rss_kib()
    client = HTTPClient()
    client.read_chunk_size = 256
    client.connect_to_host("127.0.0.1", port)
    while client.get_status() is not Status.CONNECTED:
        client.poll()
    client.request(Method.GET, "/", [])
    end = time.monotonic() + seconds
    received = 0
    while time.monotonic() < end and client.get_status() in (Status.REQUESTING, Status.BODY):
        client.poll()
        received += len(client.read_response_body_chunk())
    trace = client.trace
    steps, records = trace.steps, len(trace)
    gc.collect()
    grown = (rss_kib() - before) / 1024
    client.close()
    server.kill()
    server.wait()
    return grown, steps, records, received


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    for kind in ("content-length", "chunked"):
        grown, steps, records, received = run(kind, seconds)
        print(f"{kind}: RSS +{grown:.1f} MiB after {seconds:g} s; {steps} steps in "
              f"{records} records; {received / 2**20:.1f} MiB of body read")
