"""Random sequences of API calls against a real loopback server (hypothesis stateful testing).

The machine connects (to the server, to a refused port, or with bad arguments), requests random
paths (good responses of every framing, malformed ones, resets, and bad URLs/methods/headers),
polls, reads, changes ``read_chunk_size`` and blocking mode, and closes, in any order.  After
every step it checks invariants:

* ``get_status()`` is a ``Status``; ``poll()`` and every other call never raise (wrong *types*
  are not generated: they raise ``TypeError`` by contract);
* ``has_response()`` ⇒ ``get_response_code() > 0``;
* body bytes handed out for the current response never exceed a known Content-Length, and when a
  response completes (BODY → CONNECTED/DISCONNECTED) they are exactly the body the server sent;
* an error status always comes with an ``error_message``.
"""

from __future__ import annotations

import socket

from clientkit import LoopbackServer, reset_close
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from httpexplore import Error, HTTPClient, Method, Status
from httpexplore.status import ERROR_STATUSES

S = Status
BIG = bytes(range(256)) * 40  # 10240 bytes

#: path -> (response bytes, body the client must reassemble or None, server closes after?)
ROUTES: dict[str, tuple[bytes, bytes | None, bool]] = {
    "/cl": (b"HTTP/1.1 200 OK\r\nContent-Length: 10240\r\n\r\n" + BIG, BIG, False),
    "/empty": (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", b"", False),
    "/chunked": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 + b"".join(b"%x;n=%d\r\n%s\r\n" % (n, n, BIG[:n]) for n in (1, 300, 4000, 17))
                 + b"0\r\nX-T: 1\r\n\r\n", BIG[:1] + BIG[:300] + BIG[:4000] + BIG[:17], False),
    "/204": (b"HTTP/1.1 204 No Content\r\n\r\n", b"", False),
    "/close": (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + BIG[:999], BIG[:999], True),
    "/http10": (b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello", b"hello", True),
    "/truncated": (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", None, True),
    "/badchunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n",
                  None, True),
    "/garbage": (b"garbage\r\n\r\n", None, True),
    "/reset": (b"", None, True),
}


def handler(conn: socket.socket, server: LoopbackServer) -> None:
    while True:
        request = server.read(conn)
        if not request:
            return
        path = request.split(b" ")[1].decode()
        wire, _body, closes = ROUTES.get(path, ROUTES["/garbage"])
        if path == "/reset":
            reset_close(conn)
            return
        try:
            conn.sendall(wire)
        except OSError:
            return
        if closes:
            return


class ClientMachine(RuleBasedStateMachine):
    port = 0
    refused_port = 0

    def __init__(self) -> None:
        super().__init__()
        self.client = HTTPClient(record=False, connect_timeout=5, read_timeout=5)
        self.path = ""
        self.method = Method.GET
        self.got = bytearray()
        self.calls = 0

    # -- actions --------------------------------------------------------------------------------
    @rule(target_kind=st.sampled_from(["server", "server", "server", "refused", "bad"]))
    def connect(self, target_kind: str) -> None:
        if target_kind == "server":
            result = self.client.connect_to_host("127.0.0.1", self.port)
            assert result is Error.OK
        elif target_kind == "refused":
            result = self.client.connect_to_host("127.0.0.1", self.refused_port)
            assert result in (Error.OK, Error.ERR_CANT_CONNECT)
        else:
            assert self.client.connect_to_host("abc", 80) is Error.ERR_INVALID_PARAMETER
            assert self.client.error_message
        self.path = ""
        self.got.clear()

    @rule(path=st.sampled_from(sorted(ROUTES)), head=st.booleans())
    def request(self, path: str, head: bool) -> None:
        before = self.client.get_status()
        method = Method.HEAD if head else Method.GET
        result = self.client.request(method, path, ["X-Test: 1"])
        if before is S.CONNECTED:
            assert result is Error.OK and self.client.get_status() is S.REQUESTING
            self.path, self.method = path, method
            self.got.clear()
        else:
            assert result is Error.ERR_INVALID_PARAMETER and self.client.error_message
            assert self.client.get_status() is before

    @rule(url=st.sampled_from(["", "nope", "/sp ace", "/\r\n"]),
          method=st.integers(-3, 12), header=st.sampled_from(["", "NoColon", ":x", "A\r\nB: c"]))
    def bad_request(self, url: str, method: int, header: str) -> None:
        before = self.client.get_status()
        assert self.client.request(method, url, [header]) is Error.ERR_INVALID_PARAMETER
        assert self.client.get_status() is before and self.client.error_message

    @rule(times=st.integers(1, 50))
    def poll(self, times: int) -> None:
        for _ in range(times):
            before = self.client.get_status()
            result = self.client.poll()
            assert isinstance(result, Error)
            self._track(before)

    @rule(times=st.integers(1, 20))
    def read(self, times: int) -> None:
        for _ in range(times):
            before = self.client.get_status()
            chunk = self.client.read_response_body_chunk()
            assert isinstance(chunk, bytes) and len(chunk) <= self.client.read_chunk_size
            if before is not S.BODY:
                assert chunk == b"" and self.client.get_status() is before
            self.got += chunk
            self._track(before)

    @rule(size=st.sampled_from([0, 100, 255, 256, 1000, 4096, 65536, 16777216, 16777217]))
    def chunk_size(self, size: int) -> None:
        old = self.client.read_chunk_size
        result = self.client.set_read_chunk_size(size)
        if 256 <= size <= 16777216:
            assert result is Error.OK and self.client.read_chunk_size == size
        else:
            assert result is Error.ERR_INVALID_PARAMETER and self.client.read_chunk_size == old

    @rule(enabled=st.booleans())
    def blocking(self, enabled: bool) -> None:
        self.client.blocking_mode_enabled = enabled

    @rule()
    def close(self) -> None:
        self.client.close()
        assert self.client.get_status() is S.DISCONNECTED and self.client.error is Error.OK
        self.path = ""

    # -- checks ---------------------------------------------------------------------------------
    def _track(self, before: Status) -> None:
        after = self.client.get_status()
        if before is S.BODY and after in (S.CONNECTED, S.DISCONNECTED) and self.path:
            expected = b"" if self.method is Method.HEAD else ROUTES[self.path][1]
            assert expected is not None, f"{self.path} must not complete ({after.name})"
            assert bytes(self.got) == expected
        if after in (S.CONNECTED, S.DISCONNECTED, S.CONNECTION_ERROR) and before is S.BODY:
            self.path = ""

    @invariant()
    def status_agrees_with_the_response(self) -> None:
        """REQUESTING has no final head yet; BODY always has one, with a final status code;
        an error status has an error code; DISCONNECTED after close() or a closing response
        has no pending body."""
        status, c = self.client.get_status(), self.client
        if status is S.REQUESTING:
            assert not c.has_response()
        if status is S.BODY:
            assert c.has_response() and c.get_response_code() >= 200
        if status in ERROR_STATUSES:
            assert c.error is not Error.OK
        if status in (S.CONNECTED, S.DISCONNECTED):
            assert c.get_response_body_buffered() == 0

    @invariant()
    def response_implies_code(self) -> None:
        if self.client.has_response():
            assert self.client.get_response_code() > 0

    @invariant()
    def body_within_length(self) -> None:
        length = self.client.get_response_body_length()
        assert length >= -1
        if length >= 0 and self.path:
            assert len(self.got) <= length
            assert self.client.get_response_body_bytes_received() <= length

    @invariant()
    def errors_have_messages(self) -> None:
        if self.client.get_status() in ERROR_STATUSES:
            assert self.client.error_message

    def teardown(self) -> None:
        self.client.close()


def test_random_api_sequences_keep_the_invariants() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = s.getsockname()[1]
    with LoopbackServer(handler) as server:
        ClientMachine.port = server.port
        ClientMachine.refused_port = refused
        run_state_machine_as_test(
            ClientMachine,
            settings=settings(max_examples=40, stateful_step_count=40, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow]))
    assert server.errors == []
