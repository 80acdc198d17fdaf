"""HTTPRequest's API: Godot 4's names, defaults and values, the signal, frames, the awaitable,
threads, cancel, busy and bad URLs, against the demo server."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import types

import pytest
from requestkit import Collector, fetch, frames_until_done

from httpexplore import (
    ERR_BUSY,
    ERR_CANT_CONNECT,
    ERR_INVALID_PARAMETER,
    OK,
    HTTPClient,
    HTTPRequest,
    Result,
    Status,
    httprequest,
)
from httpexplore.demo import DemoServer


def test_defaults_are_godot_4s() -> None:
    request = HTTPRequest()
    assert (request.accept_gzip, request.body_size_limit, request.download_chunk_size,
            request.download_file, request.max_redirects, request.timeout,
            request.use_threads) == (True, -1, 65536, "", 8, 0.0, False)
    assert request.get_body_size() == -1 and request.get_downloaded_bytes() == 0
    assert request.get_http_client_status() is Status.DISCONNECTED
    assert repr(request) == "<HTTPRequest idle>"


def test_result_values_follow_godot_4_class_reference() -> None:
    # Godot 4's HTTPRequest.Result, in order (BODY_DECOMPRESS_FAILED = 8 is new in Godot 4).
    names = ["SUCCESS", "CHUNKED_BODY_SIZE_MISMATCH", "CANT_CONNECT", "CANT_RESOLVE",
             "CONNECTION_ERROR", "TLS_HANDSHAKE_ERROR", "NO_RESPONSE",
             "BODY_SIZE_LIMIT_EXCEEDED", "BODY_DECOMPRESS_FAILED", "REQUEST_FAILED",
             "DOWNLOAD_FILE_CANT_OPEN", "DOWNLOAD_FILE_WRITE_ERROR", "REDIRECT_LIMIT_REACHED",
             "TIMEOUT"]
    assert [r.name for r in Result] == names
    assert [int(r) for r in Result] == list(range(14))
    assert HTTPRequest.RESULT_TIMEOUT == 13 and HTTPRequest.RESULT_SUCCESS == 0


def test_get_json(srv: DemoServer) -> None:
    done, request = fetch(srv.url + "/headers", "User-Agent: Pirulo/1.0 (Godot)")
    assert done.result is Result.SUCCESS and done.response_code == 200
    assert "Content-Type: application/json" in done.headers
    sent = json.loads(done.body)["headers"]
    assert ["User-Agent", "Pirulo/1.0 (Godot)"] in sent
    assert ["Accept-Encoding", "gzip, deflate"] in sent  # accept_gzip adds it
    assert request.get_body_size() == len(done.body)
    assert request.error_message == ""


def test_post_json_is_sent_as_given(srv: DemoServer) -> None:
    request = HTTPRequest()
    data = json.dumps({"name": "Godette", "level": 3})
    assert request.request(srv.url + "/echo", ["Content-Type: application/json"],
                           HTTPClient.METHOD_POST, data) == OK
    done, _ = frames_until_done(request)
    assert done.result is Result.SUCCESS
    assert done.body.startswith(b"POST /echo HTTP/1.1\r\n")
    assert done.body.endswith(b"\r\n\r\n" + data.encode())
    assert f"Content-Length: {len(data)}\r\n".encode() in done.body


def test_signal_connect_disconnect_and_emission_order(srv: DemoServer) -> None:
    request = HTTPRequest()
    calls: list[str] = []

    def first(*args: object) -> None:
        calls.append("first")

    def second(*args: object) -> None:
        calls.append("second")

    assert request.request_completed.connect(first) == OK
    assert request.request_completed.connect(first) == ERR_INVALID_PARAMETER  # twice: refused
    assert request.request_completed.connect(second) == OK
    assert request.request_completed.is_connected(second)
    request.request(srv.url + "/status/200")
    frames_until_done(request)
    assert calls == ["first", "second"]
    assert request.request_completed.disconnect(first) == OK
    assert request.request_completed.disconnect(first) == ERR_INVALID_PARAMETER
    request.request(srv.url + "/status/200")
    frames_until_done(request)
    assert calls == ["first", "second", "second"]


def test_one_frame_is_one_step_and_the_signal_comes_at_the_end_of_a_frame(
        srv: DemoServer) -> None:
    request = HTTPRequest()
    got = Collector(request)
    assert request.request(srv.url + "/bytes/200000") == OK
    assert got.calls == [] and request.is_requesting()
    records_before = request.trace.steps
    request.process(0.0)
    # One frame: one poll of the inner client (connecting), nothing emitted yet.
    assert request.trace.steps == records_before + 1 and got.calls == []
    emitted_in: list[bool] = []
    request.request_completed.connect(lambda *a: emitted_in.append(request.is_requesting()))
    frames = 1
    while not got.calls:
        request.process(0.0)
        frames += 1
    # 200000 bytes in 64 KiB reads need at least 4 body frames, plus connect and request.
    assert frames >= 6
    assert got.calls[0].result is Result.SUCCESS and len(got.calls[0].body) == 200000
    # The node has reset itself before emitting (Godot emits deferred, after cancel_request).
    assert emitted_in == [False]


def test_await_completed_drives_frames_from_asyncio(srv: DemoServer) -> None:
    request = HTTPRequest()

    async def main() -> tuple[object, ...]:
        assert request.request(srv.url + "/ChangeLog-5.php?delay=0.01") == OK
        return tuple(await request.completed(frame=0.001))

    result, code, _headers, body = asyncio.run(main())
    assert result is Result.SUCCESS and code == 200 and len(body) == 6238  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="no request in progress"):
        asyncio.run(request.completed())


def test_use_threads_polls_in_a_thread_and_emits_on_the_callers(srv: DemoServer) -> None:
    request = HTTPRequest()
    request.use_threads = True
    polled_on: set[int] = set()

    def on_poll(record: object) -> None:
        if record.op in ("poll", "read_response_body_chunk"):  # type: ignore[attr-defined]
            polled_on.add(threading.get_ident())

    request.client.on_poll(on_poll)
    emitted_on: list[int] = []
    request.request_completed.connect(lambda *a: emitted_on.append(threading.get_ident()))
    assert request.request(srv.url + "/bytes/300000") == OK
    done, _ = frames_until_done(request)
    me = threading.get_ident()
    assert done.result is Result.SUCCESS and len(done.body) == 300000
    assert emitted_on == [me]
    assert polled_on and me not in polled_on  # every poll ran on the worker thread
    request.use_threads = False  # settable again once idle
    assert request.use_threads is False


def test_use_threads_without_threads_falls_back_to_frames(
        srv: DemoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    class NoThread(threading.Thread):
        def start(self) -> None:
            raise RuntimeError("can't start new thread")

    # Only the node's threads fail (the demo server still needs its own).
    monkeypatch.setattr(httprequest, "threading",
                        types.SimpleNamespace(Thread=NoThread, Event=threading.Event))
    request = HTTPRequest()
    request.use_threads = True
    assert request.request(srv.url + "/bytes/1000") == OK
    done, _ = frames_until_done(request)
    assert done.result is Result.SUCCESS and len(done.body) == 1000


def test_use_threads_cannot_change_during_a_request(srv: DemoServer) -> None:
    request = HTTPRequest()
    assert request.request(srv.url + "/delay/0.3") == OK
    request.use_threads = True
    assert request.use_threads is False and "between requests" in request.error_message
    request.cancel_request()


def test_busy_and_invalid_urls() -> None:
    request = HTTPRequest()
    for url in ("ftp://127.0.0.1/file", "127.0.0.1:8080/path", "http:///nohost",
                "file:///etc/passwd", "http://127.0.0.1:99999/"):
        assert request.request(url) == ERR_INVALID_PARAMETER, url
        assert request.error_message and not request.is_requesting()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert request.request(f"http://127.0.0.1:{port}/") == OK
        assert request.request(f"http://127.0.0.1:{port}/") == ERR_BUSY
        assert "already in progress" in request.error_message
        request.cancel_request()


def test_wrong_types_raise_at_once_and_bad_headers_fail_the_request(srv: DemoServer) -> None:
    request = HTTPRequest()
    with pytest.raises(TypeError):
        request.request(srv.url, "Accept: */*")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        request.request_raw(srv.url, [], HTTPClient.METHOD_POST, "text")  # type: ignore[arg-type]
    assert not request.is_requesting()
    # A header without a colon is refused by the client when the request is sent, as in Godot:
    # the request fails with RESULT_CONNECTION_ERROR and says why.
    assert request.request(srv.url + "/headers", ["NoColon"]) == OK
    done, _ = frames_until_done(request)
    assert done.result is Result.CONNECTION_ERROR and "header" in request.error_message


def test_cancel_emits_nothing_and_the_node_is_reusable_at_once(srv: DemoServer) -> None:
    request = HTTPRequest()
    got = Collector(request)
    assert request.request(srv.url + "/drip?pieces=10&delay=0.2") == OK
    for _ in range(20):
        request.process(0.0)
    request.cancel_request()
    assert not request.is_requesting()
    assert request.get_http_client_status() is Status.DISCONNECTED
    for _ in range(20):
        request.process(0.0)
    assert got.calls == []
    assert request.request(srv.url + "/status/204") == OK
    done, _ = frames_until_done(request)
    assert got.calls == [done] and done.result is Result.SUCCESS and done.response_code == 204


def test_connection_that_cannot_start_returns_cant_connect_and_emits_next_frame() -> None:
    request = HTTPRequest()
    got = Collector(request)
    # A three-letter host is refused by connect_to_host (Godot's minimum is four).
    assert request.request("http://a.b/") == ERR_CANT_CONNECT
    assert got.calls == [] and request.is_requesting()
    request.process(0.0)
    assert [c.result for c in got.calls] == [Result.CANT_CONNECT]


def test_refused_connection_is_cant_connect() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connect is refused
        done, request = fetch(f"http://127.0.0.1:{port}/")
    assert done == (Result.CANT_CONNECT, 0, [], b"")
    assert request.error_message


def test_unresolvable_name_is_cant_resolve() -> None:
    # RFC 6761: .invalid never resolves (the resolver answers locally).
    done, request = fetch("http://no-such-host.invalid/")
    assert done.result is Result.CANT_RESOLVE and "no-such-host.invalid" in request.error_message


def test_server_closing_without_answer_is_connection_error(srv: DemoServer) -> None:
    done, request = fetch(srv.url + "/malformed/close-before-response")
    assert done == (Result.CONNECTION_ERROR, 0, [], b"")
    assert request.error_message


def test_tls_handshake_error_and_tls_success() -> None:
    from httpexplore import TLSOptions

    with DemoServer(tls=True) as tls_srv:
        done, request = fetch(tls_srv.url + "/status/200")  # system CAs: demo CA unknown
        assert done.result is Result.TLS_HANDSHAKE_ERROR and request.error_message
        request = HTTPRequest()
        request.set_tls_options(TLSOptions.client(tls_srv.ca_pem))
        assert request.request(tls_srv.url + "/status/200") == OK
        done, _ = frames_until_done(request)
        assert done.result is Result.SUCCESS and done.response_code == 200


def test_non_2xx_is_success_with_its_code(srv: DemoServer) -> None:
    done, _ = fetch(srv.url + "/status/404")
    assert done.result is Result.SUCCESS and done.response_code == 404
    assert done.body == b"404 Not Found\n"


def test_download_chunk_size_goes_to_the_client_only_between_requests(srv: DemoServer) -> None:
    request = HTTPRequest()
    request.download_chunk_size = 4096
    assert request.client.read_chunk_size == 4096
    assert request.request(srv.url + "/delay/0.3") == OK
    request.download_chunk_size = 8192
    assert request.client.read_chunk_size == 4096
    request.cancel_request()


def test_http_proxy_gets_the_absolute_form_target() -> None:
    from clientkit import serving

    with serving(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") as proxy:
        request = HTTPRequest()
        request.set_http_proxy("127.0.0.1", proxy.port)
        # The name is never looked up: the connection goes to the proxy.
        assert request.request("http://origin.invalid/path?q=1") == OK
        done, _ = frames_until_done(request)
    assert done.result is Result.SUCCESS and done.body == b"ok"
    assert proxy.requests[0].startswith(b"GET http://origin.invalid:80/path?q=1 HTTP/1.1\r\n")


def test_a_callable_may_disconnect_itself_while_the_signal_is_emitted() -> None:
    from httpexplore.signals import Signal

    signal = Signal("done", "value")
    calls: list[tuple[str, int]] = []

    def once(value: int) -> None:
        calls.append(("once", value))
        signal.disconnect(once)

    def always(value: int) -> None:
        calls.append(("always", value))

    signal.connect(once)
    signal.connect(always)
    signal.emit(1)
    signal.emit(2)
    assert calls == [("once", 1), ("always", 1), ("always", 2)]
    assert signal.get_connections() == [always]
    assert repr(signal) == "<Signal done(value): 1 connected>"
