"""HTTPRequest's behaviour: redirects (RFC 9110 §15.4), gzip, body_size_limit, download_file,
timeout, malformed responses, and the trace / inspector of a redirect chain."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from clientkit import serving
from requestkit import Collector, fetch, frames_until_done

from httpexplore import OK, HTTPClient, HTTPRequest, Method, Result, Status
from httpexplore.demo import MALFORMED, DemoServer


def _echo_request_line_and_body(body: bytes) -> tuple[str, bytes]:
    head, _, rest = body.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), rest


# -- redirects ---------------------------------------------------------------------------------

def test_redirect_chain_is_followed_hop_by_hop(srv: DemoServer) -> None:
    done, request = fetch(srv.url + "/redirect/3")
    assert done.result is Result.SUCCESS and done.response_code == 200
    assert json.loads(done.body)["headers"]  # /headers answered at the end
    assert [u.split("/", 3)[3] for u in request.visited] == [
        "redirect/3", "redirect/2", "redirect/1", "headers"]
    # Every hop on its own connection, as Godot does, and its own cycle in the trace.
    cycles = request.trace.cycles
    assert [c.target for c in cycles] == ["/redirect/3", "/redirect/2", "/redirect/1",
                                          "/headers"]
    assert [c.status_code for c in cycles] == [302, 302, 302, 200]
    assert len({c.connection for c in cycles}) == 4


def test_redirect_limit(srv: DemoServer) -> None:
    done, request = fetch(srv.url + "/redirect/3", max_redirects=2)
    assert done.result is Result.REDIRECT_LIMIT_REACHED and done.response_code == 302
    assert any(h.startswith("Location:") for h in done.headers) and done.body == b""
    assert len(request.visited) == 3 and "max_redirects" in request.error_message
    done, _ = fetch(srv.url + "/redirect/1", max_redirects=0)
    assert done.result is Result.REDIRECT_LIMIT_REACHED
    done, _ = fetch(srv.url + "/redirect/10", max_redirects=-1)  # -1: no limit
    assert done.result is Result.SUCCESS and done.response_code == 200


@pytest.mark.parametrize(("code", "method_after", "keeps_body"), [
    (301, "GET", False), (302, "GET", False), (303, "GET", False),
    (307, "POST", True), (308, "POST", True)])
def test_post_redirect_method_and_body_follow_rfc_9110(
        srv: DemoServer, code: int, method_after: str, keeps_body: bool) -> None:
    request = HTTPRequest()
    url = f"{srv.url}/redirect-to?url=/echo&status={code}"
    assert request.request(url, ["Content-Type: application/json", "X-Keep: yes"],
                           Method.POST, '{"a": 1}') == OK
    done, _ = frames_until_done(request)
    assert done.result is Result.SUCCESS and done.response_code == 200
    line, body = _echo_request_line_and_body(done.body)
    assert line == f"{method_after} /echo HTTP/1.1"
    assert (body == b'{"a": 1}') is keeps_body
    assert (b"Content-Type: application/json" in done.body) is keeps_body
    assert b"X-Keep: yes" in done.body  # other fields are kept


def test_303_keeps_head_and_put_becomes_get(srv: DemoServer) -> None:
    request = HTTPRequest()
    request.request(f"{srv.url}/redirect-to?url=/echo&status=303", [], Method.PUT, "x")
    done, _ = frames_until_done(request)
    assert _echo_request_line_and_body(done.body) == ("GET /echo HTTP/1.1", b"")
    request.request(f"{srv.url}/redirect-to?url=/headers&status=303", [], Method.HEAD)
    frames_until_done(request)
    assert [c.method for c in request.trace.cycles[-2:]] == ["HEAD", "HEAD"]


def test_relative_and_absolute_locations_resolve_against_the_request_url(
        srv: DemoServer) -> None:
    done, request = fetch(f"{srv.url}/redirect-to?url=echo")  # relative path, RFC 3986 §5
    assert done.result is Result.SUCCESS
    assert _echo_request_line_and_body(done.body)[0] == "GET /echo HTTP/1.1"
    with DemoServer() as other:
        target = quote(other.url + "/headers", safe="")
        request = HTTPRequest()
        request.request(f"{srv.url}/redirect-to?url={target}",
                        ["Authorization: Bearer secret", "X-Trace: 1"])
        done, _ = frames_until_done(request)
        sent = [name for name, _ in json.loads(done.body)["headers"]]
        # Another origin: the credentials stay behind, other fields go along.
        assert "Authorization" not in sent and "X-Trace" in sent
        assert request.visited[-1] == other.url + "/headers"
    request.request(f"{srv.url}/redirect-to?url=/headers", ["Authorization: Bearer secret"])
    done, _ = frames_until_done(request)
    assert ["Authorization", "Bearer secret"] in json.loads(done.body)["headers"]


def test_redirect_without_location_or_to_another_scheme_is_the_answer(srv: DemoServer) -> None:
    with serving(b"HTTP/1.1 302 Found\r\nContent-Length: 2\r\n\r\nno") as raw:
        done, _ = fetch(f"http://127.0.0.1:{raw.port}/")
    assert (done.result, done.response_code, done.body) == (Result.SUCCESS, 302, b"no")
    # (The demo server's /redirect-to refuses other schemes, so a raw server sends this one.)
    with serving(b"HTTP/1.1 302 Found\r\nLocation: ftp://example.org/x\r\n"
                 b"Content-Length: 3\r\n\r\nftp") as raw:
        done, _ = fetch(f"http://127.0.0.1:{raw.port}/")
    assert (done.result, done.response_code, done.body) == (Result.SUCCESS, 302, b"ftp")


def test_inspect_shows_the_inner_client_with_every_hop(srv: DemoServer) -> None:
    pytest.importorskip("ipywidgets")
    _, request = fetch(srv.url + "/redirect/2")
    inspector = request.inspect()
    assert inspector.client is request.client
    assert [c.target for c in inspector.trace.cycles] == ["/redirect/2", "/redirect/1",
                                                            "/headers"]


# -- gzip --------------------------------------------------------------------------------------

def test_gzip_is_asked_for_and_decoded(srv: DemoServer) -> None:
    done, request = fetch(srv.url + "/gzip")
    assert done.result is Result.SUCCESS and json.loads(done.body)["gzipped"] is True
    assert request.get_downloaded_bytes() == request.get_body_size() < len(done.body) + 20
    raw, _ = fetch(srv.url + "/gzip", accept_gzip=False)
    assert gzip.decompress(raw.body) == done.body  # not decoded when not asked for


def test_accept_encoding_of_the_caller_wins(srv: DemoServer) -> None:
    done, _ = fetch(srv.url + "/headers", "accept-encoding: identity")
    sent = json.loads(done.body)["headers"]
    assert ["accept-encoding", "identity"] in sent
    assert not any(name == "Accept-Encoding" for name, _ in sent)
    done, _ = fetch(srv.url + "/headers", accept_gzip=False)
    assert not any(n.lower() == "accept-encoding" for n, _ in json.loads(done.body)["headers"])


def _response(body: bytes, *fields: str) -> bytes:
    head = "".join(f"{f}\r\n" for f in fields)
    return (f"HTTP/1.1 200 OK\r\n{head}Content-Length: {len(body)}\r\n\r\n").encode() + body


@pytest.mark.parametrize(("encoding", "payload"), [
    ("gzip", b"this is not gzip at all"),
    ("gzip", gzip.compress(b"x" * 1000)[:-12]),          # cut short
    ("deflate", b"\x00\x01garbage"),
    ("gzip", gzip.compress(b"one") + b"trailing junk")])
def test_bad_compressed_body_is_decompress_failed(encoding: str, payload: bytes) -> None:
    with serving(_response(payload, f"Content-Encoding: {encoding}")) as raw:
        done, request = fetch(f"http://127.0.0.1:{raw.port}/")
    assert done.result is Result.BODY_DECOMPRESS_FAILED and done.body == b""
    assert done.response_code == 200 and encoding in request.error_message


def test_deflate_is_the_zlib_format() -> None:
    with serving(_response(zlib.compress(b"hello deflate"), "Content-Encoding: deflate")) as raw:
        done, _ = fetch(f"http://127.0.0.1:{raw.port}/")
    assert done.result is Result.SUCCESS and done.body == b"hello deflate"


# -- body_size_limit ----------------------------------------------------------------------------

def test_content_length_over_the_limit_stops_before_reading(srv: DemoServer) -> None:
    done, request = fetch(srv.url + "/bytes/5000", body_size_limit=1000)
    assert done.result is Result.BODY_SIZE_LIMIT_EXCEEDED and done.response_code == 200
    assert done.body == b"" and request.get_downloaded_bytes() == 0
    done, _ = fetch(srv.url + "/bytes/1000", body_size_limit=1000)
    assert done.result is Result.SUCCESS and len(done.body) == 1000


def test_chunked_body_over_the_limit_stops_the_download(srv: DemoServer) -> None:
    request = HTTPRequest()
    request.body_size_limit = 1000
    request.download_chunk_size = 256
    request.request(srv.url + "/chunked?chunks=200&size=256")
    done, _ = frames_until_done(request)
    assert done.result is Result.BODY_SIZE_LIMIT_EXCEEDED
    assert 1000 < request.get_downloaded_bytes() < 200 * 256


def test_limit_counts_decompressed_bytes() -> None:
    bomb = gzip.compress(b"\0" * 200_000)
    assert len(bomb) < 1000
    with serving(_response(bomb, "Content-Encoding: gzip")) as raw:
        done, request = fetch(f"http://127.0.0.1:{raw.port}/", body_size_limit=10_000)
    assert done.result is Result.BODY_SIZE_LIMIT_EXCEEDED
    assert request.get_downloaded_bytes() <= len(bomb)


# -- download_file ------------------------------------------------------------------------------

def test_download_file_streams_to_disk(srv: DemoServer, tmp_path: Path) -> None:
    expected, _ = fetch(srv.url + "/bytes/300000")
    target = tmp_path / "download.bin"
    request = HTTPRequest()
    request.download_file = str(target)
    request.download_chunk_size = 16384
    got = Collector(request)
    assert request.request(srv.url + "/bytes/300000") == OK
    sizes_seen: set[int] = set()
    while not got.calls:
        request.process(0.0)
        if target.exists():
            sizes_seen.add(target.stat().st_size)
    done = got.calls[0]
    assert done.result is Result.SUCCESS and done.body == b""  # the body went to the file
    assert target.read_bytes() == expected.body
    # The file grew piece by piece while the body arrived, in download_chunk_size steps.
    partial = sorted(s for s in sizes_seen if 0 < s < 300000)
    assert partial and all(b - a <= 16384 for a, b in zip([0, *partial], partial, strict=False))


def test_download_file_chunked_and_gzip(srv: DemoServer, tmp_path: Path) -> None:
    target = tmp_path / "g.json"
    done, _ = fetch(srv.url + "/gzip", download_file=str(target))
    assert done.result is Result.SUCCESS and json.loads(target.read_bytes())["gzipped"]
    done, _ = fetch(srv.url + "/chunked?chunks=5&size=100", download_file=str(target))
    assert done.result is Result.SUCCESS and len(target.read_bytes()) == 500


def test_download_file_errors(srv: DemoServer, tmp_path: Path) -> None:
    done, request = fetch(srv.url + "/bytes/100",
                          download_file=str(tmp_path / "no-such-dir" / "f.bin"))
    assert done.result is Result.DOWNLOAD_FILE_CANT_OPEN and done.response_code == 200
    assert "no-such-dir" in request.error_message
    if Path("/dev/full").exists():  # Linux: every write fails with ENOSPC
        done, request = fetch(srv.url + "/bytes/100", download_file="/dev/full")
        assert done.result is Result.DOWNLOAD_FILE_WRITE_ERROR
        assert "/dev/full" in request.error_message


# -- timeout ------------------------------------------------------------------------------------

def test_timeout_counts_frame_time_and_covers_the_whole_request(srv: DemoServer) -> None:
    request = HTTPRequest()
    request.timeout = 0.5
    got = Collector(request)
    assert request.request(srv.url + "/delay/5") == OK
    frames = 0
    while not got.calls:
        request.process(0.1)  # five frames of 0.1 s reach the timeout
        frames += 1
    assert frames == 5
    assert got.calls == [(Result.TIMEOUT, 0, [], b"")]
    assert "timeout" in request.error_message and not request.is_requesting()
    assert request.get_http_client_status() is Status.DISCONNECTED
    request.timeout = 0.0
    assert request.request(srv.url + "/status/200") == OK  # reusable at once
    done, _ = frames_until_done(request, delta=10.0)  # no timeout: any frame time is fine
    assert done.result is Result.SUCCESS


def test_timeout_with_threads(srv: DemoServer) -> None:
    request = HTTPRequest()
    request.use_threads, request.timeout = True, 0.3
    assert request.request(srv.url + "/delay/5") == OK
    done, _ = frames_until_done(request, delta=0.1)
    assert done.result is Result.TIMEOUT and not request.is_requesting()


# -- malformed responses ---------------------------------------------------------------------------

def _client_refuses(url: str) -> bool:
    """Whether the plain client's tutorial loop ends in an error for this URL."""
    done, request = fetch(url, accept_gzip=False)
    return request.client.get_status() in (Status.CONNECTION_ERROR, Status.TLS_HANDSHAKE_ERROR) \
        or done.result is not Result.SUCCESS


class _RefusesWhatFollowsTheBody(HTTPClient):
    """A client that turns CONNECTION_ERROR on the read that completes the body, as a client
    does when bytes it cannot accept arrive with the last ones."""

    def read_response_body_chunk(self) -> bytes:
        chunk = super().read_response_body_chunk()
        if chunk and self.get_status() is not Status.BODY:
            self._d._broken("unsolicited bytes after the response")  # (the driver's)
        return chunk


def test_a_client_error_on_the_last_read_is_not_success(srv: DemoServer) -> None:
    request = HTTPRequest(client=_RefusesWhatFollowsTheBody())
    assert request.request(srv.url + "/bytes/100") == OK
    done, _ = frames_until_done(request)
    assert done == (Result.CONNECTION_ERROR, 0, [], b"")
    assert request.error_message == "unsolicited bytes after the response"


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_responses_are_never_success(srv: DemoServer, name: str) -> None:
    client = HTTPClient(record=False)
    client.connect_to_host(srv.host, srv.port)
    while client.get_status() in (Status.CONNECTING, Status.RESOLVING):
        client.poll()
    client.request(Method.GET, f"/malformed/{name}", [])
    while client.get_status() is Status.REQUESTING:
        client.poll()
    while client.get_status() is Status.BODY:
        client.poll()
        client.read_response_body_chunk()
    refused = client.get_status() is Status.CONNECTION_ERROR
    done, request = fetch(f"{srv.url}/malformed/{name}")
    if refused:
        # What the client refuses can never be reported as a good response.
        assert done.result is Result.CONNECTION_ERROR, (name, done)
        assert done.body == b"" and request.error_message
    else:
        # Tolerated by the client (docs/malformed.md says which, and why): a normal answer.
        assert done.result is Result.SUCCESS, (name, done)
