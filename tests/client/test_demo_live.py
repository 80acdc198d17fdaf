"""The client against the project's own demo server (``httpexplore.demo.DemoServer``): the
Godot tutorial flow on ``/ChangeLog-5.php``, the framing endpoints, keep-alive over many
requests, HTTPS with the server's generated CA, and its certificate failure modes.  (The whole
malformed catalogue is in ``tests/robustness/test_demo_malformed.py``.)"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from clientkit import connect_live, live_exchange

from httpexplore import OK, Error, HTTPClient, Method, Status, TLSOptions
from httpexplore.demo import DemoServer
from httpexplore.demo import content as demo_content

S = Status


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


@pytest.fixture(scope="module")
def demo_tls() -> Iterator[DemoServer]:
    with DemoServer(tls=True) as server:
        yield server


@pytest.mark.parametrize("record", [False, True], ids=["bare", "recorded"])
def test_godot_tutorial_flow(demo: DemoServer, record: bool) -> None:
    """The tutorial's script, step by step, with the tutorial's loops and asserts (also with
    the default recorder attached: recording must not change what the client does)."""
    http = HTTPClient(record=record)
    err = http.connect_to_host(demo.host, demo.port)
    assert err == OK
    while http.get_status() in (HTTPClient.STATUS_CONNECTING, HTTPClient.STATUS_RESOLVING):
        http.poll()
        time.sleep(0.001)
    assert http.get_status() == HTTPClient.STATUS_CONNECTED
    headers = ["User-Agent: Pirulo/1.0 (Godot)", "Accept: */*"]
    err = http.request(HTTPClient.METHOD_GET, "/ChangeLog-5.php?delay=0.01", headers)
    assert err == OK
    while http.get_status() == HTTPClient.STATUS_REQUESTING:
        http.poll()
        time.sleep(0.001)
    assert http.get_status() in (HTTPClient.STATUS_BODY, HTTPClient.STATUS_CONNECTED)
    assert http.has_response()
    assert http.get_response_code() == 200
    assert http.is_response_chunked() and http.get_response_body_length() == -1
    assert http.get_response_headers_as_dictionary()["Content-Type"].startswith("text/plain")
    rb = b""
    reads = 0
    while http.get_status() == HTTPClient.STATUS_BODY:
        http.poll()
        chunk = http.read_response_body_chunk()
        if chunk:
            reads += 1
            rb += chunk
        else:
            time.sleep(0.001)
    assert rb == demo_content.changelog()
    assert reads > 1, "the paced page arrives in several reads"
    assert http.get_status() is S.CONNECTED
    http.close()


@pytest.mark.parametrize("path,body,final,length", [
    ("/bytes/100000", b"".join(demo_content.pieces(100000, "binary")), S.CONNECTED, 100000),
    ("/bytes/0", b"", S.CONNECTED, 0),
    ("/chunked?chunks=7&size=1000", demo_content.payload(7000), S.CONNECTED, -1),
    ("/http10", b"An HTTP/1.0 response: the connection closes after this body.\n",
     S.DISCONNECTED, 61),
])
def test_framing_endpoints(demo: DemoServer, path: str, body: bytes, final: Status,
                           length: int) -> None:
    c = HTTPClient(record=False)
    assert connect_live(c, demo.host, demo.port)[-1] is S.CONNECTED
    out = live_exchange(c, Method.GET, path)
    assert out.body == body and out.final is final and out.code == 200
    assert c.get_response_body_length() == length
    c.close()


def test_close_delimited_endpoint(demo: DemoServer) -> None:
    c = HTTPClient(record=False)
    connect_live(c, demo.host, demo.port)
    out = live_exchange(c, Method.GET, "/close")
    assert out.final is S.DISCONNECTED and c.get_response_body_length() == -1
    assert out.body.startswith(b"This body has neither Content-Length nor chunked coding.\n")
    assert out.body.endswith(b"seeing the close.\n")


def test_keep_alive_many_requests_on_one_connection(demo: DemoServer) -> None:
    c = HTTPClient(record=False)
    connect_live(c, demo.host, demo.port)
    peer = c.peer
    for n in (1, 10, 1000, 65537):
        out = live_exchange(c, Method.GET, f"/bytes/{n}")
        assert len(out.body) == n and out.final is S.CONNECTED
    out = live_exchange(c, Method.HEAD, "/bytes/500")
    assert out.body == b"" and c.get_response_body_length() == 0
    assert c.peer == peer and c.connection_count == 1
    c.close()


def test_interim_and_trailers_endpoints(demo: DemoServer) -> None:
    c = HTTPClient(record=False)
    connect_live(c, demo.host, demo.port)
    out = live_exchange(c, Method.GET, "/early-hints?delay=0")
    assert out.code == 200 and c.get_interim_responses() == [103]
    out = live_exchange(c, Method.GET, "/trailers")
    assert [t.split(":")[0] for t in c.get_response_trailers()] == ["X-Checksum",
                                                                    "X-Chunk-Count"]
    out = live_exchange(c, Method.GET, "/status/204")
    assert out.statuses == [S.REQUESTING, S.CONNECTED] and out.code == 204
    c.close()


def test_echo_shows_the_exact_request_bytes(demo: DemoServer) -> None:
    c = HTTPClient(record=False)
    connect_live(c, demo.host, demo.port)
    out = live_exchange(c, Method.POST, "/echo", ["X-B: 2", "X-A: 1"], body="payload")
    assert out.body == (f"POST /echo HTTP/1.1\r\nX-B: 2\r\nX-A: 1\r\n"
                        f"Host: {demo.host}:{demo.port}\r\nContent-Length: 7\r\n"
                        f"User-Agent: httpexplore/0.1.0\r\nAccept: */*\r\n\r\npayload").encode()
    c.close()


def test_https_with_the_demo_ca(demo_tls: DemoServer) -> None:
    assert demo_tls.ca_pem is not None
    c = HTTPClient(record=False)
    opts = TLSOptions.client(trusted_chain=demo_tls.ca_pem)
    assert connect_live(c, "localhost", demo_tls.port, opts)[-1] is S.CONNECTED, c.error_message
    out = live_exchange(c, Method.GET, "/ChangeLog-5.php?delay=0")
    assert out.body == demo_content.changelog()
    c.close()


@pytest.mark.parametrize("cert,reason", [
    ("expired", "expired"), ("wrong-host", "mismatch"),
    ("unknown-ca", "unable to get local issuer certificate"), ("self-signed", "self-signed")])
def test_demo_certificate_failures(cert: str, reason: str) -> None:
    with DemoServer(tls=True, cert=cert) as server:
        assert server.ca_pem is not None
        c = HTTPClient(record=False)
        seen = connect_live(c, "localhost", server.port,
                            TLSOptions.client(trusted_chain=server.ca_pem))
        assert seen[-1] is S.TLS_HANDSHAKE_ERROR
        assert c.error is Error.ERR_CANT_CONNECT and reason in c.error_message
        assert c.poll() is Error.ERR_CONNECTION_ERROR
