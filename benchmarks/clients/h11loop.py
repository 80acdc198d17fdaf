"""A minimal h11 loop: a blocking socket, ``recv(65536)``, ``receive_data`` / ``next_event``."""

from __future__ import annotations

import socket

import h11

from .common import READ_SIZE, ClientFailed, Outcome


def _get(conn: h11.Connection, sock: socket.socket, host: str, path: str) -> int:
    sock.sendall(conn.send(h11.Request(method="GET", target=path, headers=[("Host", host)])))
    sock.sendall(conn.send(h11.EndOfMessage()))
    total = 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(sock.recv(READ_SIZE))
        elif type(event) is h11.Data:
            total += len(event.data)
        elif type(event) is h11.EndOfMessage:
            conn.start_next_cycle()
            return total
        elif type(event) is h11.Response:
            if event.status_code != 200:
                raise ClientFailed(f"status {event.status_code}")
        else:
            raise ClientFailed(f"unexpected event {event!r}")


def run(host: str, port: int, path: str, count: int) -> Outcome:
    with socket.create_connection((host, port)) as sock:
        conn = h11.Connection(h11.CLIENT)
        return Outcome(sum(_get(conn, sock, host, path) for _ in range(count)))
