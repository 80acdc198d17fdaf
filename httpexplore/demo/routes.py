"""The demo server's endpoints and their route table.

Each handler is short and says, in HTTP terms, what it sends; the framing itself (Content-
Length, chunked, close-delimited, HEAD) is applied by :class:`~.exchange.Exchange`. Every
delay and size is bounded (``MAX_DELAY`` seconds of waiting per response, ``MAX_BYTES`` of
body, ``MAX_CHUNKS`` chunks), so no URL can tie the server up for long or make it allocate much.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from http import HTTPStatus
from urllib.parse import urlsplit

from . import content
from .exchange import Exchange, reason_phrase
from .malformed import MALFORMED
from .plan import Plan
from .routing import Args, BadRequest, Param, Route, Router, RouteTable

__all__ = ["MAX_BYTES", "MAX_CHUNKS", "MAX_DELAY", "ROUTER", "ROUTES", "route_table"]

MAX_BYTES = 256 * 1024 * 1024
MAX_CHUNKS = 10_000
MAX_DELAY = 10.0
MAX_CHUNK_SIZE = 1024 * 1024

_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json"
_REDIRECTS = ("301", "302", "303", "307", "308")


def _check_delay(total: float) -> None:
    if total > MAX_DELAY:
        raise BadRequest(f"total delay {total:g} s exceeds the {MAX_DELAY:g} s limit")


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def _delay(doc: str, default: float, high: float = MAX_DELAY) -> Param:
    return Param("delay", "float", doc, default, 0, high)


# -- teaching pages --------------------------------------------------------------------------

def index(ex: Exchange, args: Args) -> Plan:
    page = ("<!doctype html>\n<html><head><meta charset=\"utf-8\">"
            "<title>httpexplore demo server</title></head>\n<body><h1>httpexplore demo server"
            f"</h1>\n{route_table()._repr_html_()}\n</body></html>\n")
    yield from ex.respond(200, page.encode("utf-8"), content_type="text/html; charset=utf-8")


def routes_json(ex: Exchange, args: Args) -> Plan:
    yield from ex.respond(200, (route_table().to_json() + "\n").encode("utf-8"), content_type=_JSON)


def changelog(ex: Exchange, args: Args) -> Plan:
    # The Godot tutorial's page, paced so that a learner polling by hand sees it grow.
    parts = content.split_even(content.changelog(), args.get_int("chunks"))
    yield from ex.stream(200, [("Content-Type", _TEXT)], parts, delay=args.get_float("delay"))


# -- bodies and framing ----------------------------------------------------------------------

def fixed_bytes(ex: Exchange, args: Args) -> Plan:
    size, kind = args.get_int("n"), args.get_str("kind")
    kind_type = _TEXT if kind == "text" else "application/octet-stream"
    yield from ex.stream(200, [("Content-Type", kind_type)],
              content.pieces(size, kind, args.get_int("seed")), length=size)


def chunked(ex: Exchange, args: Args) -> Plan:
    chunks, size, delay = args.get_int("chunks"), args.get_int("size"), args.get_float("delay")
    _check_delay(delay * (chunks - 1))
    if chunks * size > MAX_BYTES:
        raise BadRequest(f"chunks × size exceeds {MAX_BYTES} bytes")
    yield from ex.stream(200, [("Content-Type", _TEXT)], content.pieces(chunks * size, piece=size),
              framing="chunked", delay=delay)


def drip(ex: Exchange, args: Args) -> Plan:
    size, count, delay = args.get_int("bytes"), args.get_int("pieces"), args.get_float("delay")
    count = min(count, size)
    _check_delay(delay * (count - 1))
    parts = content.split_even(content.payload(size), count)
    yield from ex.stream(200, [("Content-Type", _TEXT)], parts, length=size, delay=delay)


def stream_lines(ex: Exchange, args: Args) -> Plan:
    count, delay = args.get_int("n"), args.get_float("delay")
    _check_delay(delay * (count - 1))
    lines = (json.dumps({"id": i, "text": f"line {i} of {count}"}).encode() + b"\n"
             for i in range(count))
    yield from ex.stream(200, [("Content-Type", "application/x-ndjson")], lines, delay=delay)


def close_delimited(ex: Exchange, args: Args) -> Plan:
    text = ("This body has neither Content-Length nor chunked coding.\n",
            "It ends when the server closes the connection (RFC 9112 §6.3 rule 8),\n",
            "so the client can only know it is complete by seeing the close.\n")
    yield from ex.stream(200, [("Content-Type", _TEXT)], [line.encode() for line in text],
              framing="close", delay=args.get_float("delay"))


def http10(ex: Exchange, args: Args) -> Plan:
    # Written by hand: Exchange always speaks HTTP/1.1. An HTTP/1.0 response without
    # "Connection: keep-alive" tells the client the connection closes after it (§9.3).
    body = b"An HTTP/1.0 response: the connection closes after this body.\n"
    head = (b"HTTP/1.0 200 OK\r\nServer: httpexplore-demo\r\nContent-Type: text/plain; "
            b"charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body))
    yield from ex.write(head if ex.head_only else head + body)
    ex.done(close=True)


def gzipped(ex: Exchange, args: Args) -> Plan:
    data = _json({"gzipped": True, "message": "this JSON was sent with Content-Encoding: gzip"})
    # mtime=0 keeps the compressed bytes identical from run to run.
    yield from ex.respond(200, gzip.compress(data, mtime=0), headers=[("Content-Encoding", "gzip")],
               content_type=_JSON)


def trailers(ex: Exchange, args: Args) -> Plan:
    parts = [b"Trailer fields come after the last chunk,\n", b"so a server can send values ",
             b"it only knows once the body is out (RFC 9112 section 7.1.2).\n"]
    digest = hashlib.sha256(b"".join(parts)).hexdigest()
    fields = [("Content-Type", _TEXT)]
    if not ex.request.http10:  # no chunked, hence no trailers, for HTTP/1.0
        fields.append(("Trailer", "X-Checksum, X-Chunk-Count"))
    yield from ex.stream(200, fields, parts, delay=args.get_float("delay"),
              trailers=[("X-Checksum", f"sha256={digest}"), ("X-Chunk-Count", str(len(parts)))])


def early_hints(ex: Exchange, args: Args) -> Plan:
    link = ("Link", "</style.css>; rel=preload; as=style")
    yield from ex.interim(103, [link])
    yield from ex.sleep(args.get_float("delay"))
    yield from ex.respond(200, b"The final response, sent after 103 Early Hints.\n", headers=[link])


def expect_continue(ex: Exchange, args: Args) -> Plan:
    declared, limit = ex.declared_length, args.get_int("max")
    if declared is not None and declared > limit:
        # Refuse before the body is sent: the point of Expect: 100-continue (RFC 9110
        # §10.1.1). The body may still be on its way, so the connection must close.
        ex.close_after = True
        yield from ex.respond(
            413, f"{declared} bytes is more than max={limit}; body not read\n".encode())
        return
    body = yield from ex.read_body()
    yield from ex.respond(200, _json({"expect": ex.request.get("Expect"),
                           "sent_100_continue": ex.sent_continue, "received": len(body)}),
               content_type=_JSON)


def echo(ex: Exchange, args: Args) -> Plan:
    kind = args.get_str("type")
    content_type = "application/octet-stream" if kind == "binary" else \
        "text/plain; charset=iso-8859-1"
    yield from ex.respond(200, ex.request.raw + ex.body_raw, content_type=content_type)


def headers(ex: Exchange, args: Args) -> Plan:
    yield from ex.respond(200, _json({"headers": [list(pair) for pair in ex.request.headers]}),
               content_type=_JSON)


def server_sent_events(ex: Exchange, args: Args) -> Plan:
    count, delay = args.get_int("count"), args.get_float("delay")
    _check_delay(delay * (count - 1))
    events = [f"id: {i}\nevent: tick\ndata: {{\"n\": {i}, \"of\": {count}}}\n\n".encode()
              for i in range(1, count + 1)]
    yield from ex.stream(200, [("Content-Type", "text/event-stream; charset=utf-8"),
                    ("Cache-Control", "no-store")], events, delay=delay)


def slow_head(ex: Exchange, args: Args) -> Plan:
    body = b"The head of this response arrived a few bytes at a time.\n"
    lines = [b"HTTP/1.1 200 OK\r\n", b"Server: httpexplore-demo\r\n",
             b"Content-Type: text/plain; charset=utf-8\r\n",
             b"Content-Length: %d\r\n" % len(body), b"X-Slow: yes\r\n"]
    lines += [b"Connection: close\r\n"] if ex.close_after else []
    lines.append(b"\r\n")
    halves = [half for line in lines for half in (line[: len(line) // 2], line[len(line) // 2:])]
    pause = args.get_float("delay") / len(halves)
    for half in halves:
        yield from ex.write(half)
        yield from ex.sleep(pause)
    if not ex.head_only:
        yield from ex.write(body)
    ex.done(close=ex.close_after)


def delay(ex: Exchange, args: Args) -> Plan:
    seconds = args.get_float("s")
    yield from ex.sleep(seconds)
    yield from ex.respond(200, _json({"delay": seconds}), content_type=_JSON)


# -- status codes and redirects --------------------------------------------------------------

def status(ex: Exchange, args: Args) -> Plan:
    code = args.get_int("code")
    if code < 200:
        raise BadRequest("1xx codes are interim responses: see /early-hints and /continue")
    extra: list[tuple[str, str]] = []
    if 300 <= code < 400 and code != 304:
        extra.append(("Location", "/"))
    elif code == HTTPStatus.UNAUTHORIZED:
        extra.append(("WWW-Authenticate", 'Basic realm="httpexplore-demo"'))
    elif code in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE):
        extra.append(("Retry-After", "1"))
    yield from ex.respond(code, f"{code} {reason_phrase(code)}\n".encode(), headers=extra)


def redirect_chain(ex: Exchange, args: Args) -> Plan:
    hops, code = args.get_int("n"), args.get_str("status")
    suffix = "" if code == "302" else f"?status={code}"
    target = "/headers" if hops == 1 else f"/redirect/{hops - 1}{suffix}"
    yield from ex.respond(int(code), f"redirecting to {target}\n".encode(),
                          headers=[("Location", target)])


def redirect_to(ex: Exchange, args: Args) -> Plan:
    url = args.get_str("url")
    # The value goes into a header: refuse anything that could end the field early.
    if not url or len(url) > 2048 or not url.isascii() or not url.isprintable() or " " in url:
        raise BadRequest("url must be 1 to 2048 visible ASCII characters")
    # Only http(s) URLs and paths: a "javascript:" or "data:" Location is a classic open-
    # redirect-to-script trick, and "//host" would leave the scheme to whoever follows it.
    scheme = urlsplit(url).scheme.lower()
    if url.startswith("//") or "\\" in url or scheme not in ("", "http", "https") or (
            scheme and not urlsplit(url).netloc):
        raise BadRequest("url must be an http:// or https:// URL or a path such as /headers")
    yield from ex.respond(int(args.get_str("status")), f"redirecting to {url}\n".encode(),
               headers=[("Location", url)])


# -- the malformed catalogue -----------------------------------------------------------------

def malformed_index(ex: Exchange, args: Args) -> Plan:
    yield from ex.respond(200, (str(MALFORMED) + "\n").encode("utf-8"))


def malformed(ex: Exchange, args: Args) -> Plan:
    entry = MALFORMED.get(args.get_str("name"))
    if entry is None:
        yield from ex.respond(404, f"no such entry; known: {', '.join(MALFORMED)}\n".encode())
        return
    yield from ex.write(entry.payload)
    if entry.later:
        yield from ex.sleep(entry.pause)
        yield from ex.write(entry.later)
    if entry.ending == "silence":
        yield from ex.sleep(ex.settings.silence_timeout)
    # "reset": the executor aborts the connection (on a socket: SO_LINGER 0, then close).
    ex.done(close=entry.ending != "keep-open", reset=entry.ending == "reset")


_N_BYTES = Param("n", "int", "body size in bytes", None, 0, MAX_BYTES)

ROUTES = (
    Route("/", index, "this table, as an HTML page"),
    Route("/routes.json", routes_json, "this table, as JSON"),
    Route("/ChangeLog-5.php", changelog,
          "the Godot tutorial's page: a generated ~6 KiB changelog, chunked and paced",
          (Param("chunks", "int", "number of chunks", 8, 1, 64),
           _delay("seconds between chunks", 0.05, 1))),
    Route("/bytes/<n>", fixed_bytes,
          "n deterministic bytes with Content-Length, streamed from a repeated 64 KiB block",
          (_N_BYTES, Param("kind", "choice", "text lines or binary", "binary",
                           choices=("text", "binary")),
           Param("seed", "int", "seed of the binary pattern", 0, 0, 2**32 - 1))),
    Route("/chunked", chunked, "chunked body with the chosen number and size of chunks",
          (Param("chunks", "int", "number of chunks", 4, 1, MAX_CHUNKS),
           Param("size", "int", "bytes per chunk", 64, 1, MAX_CHUNK_SIZE),
           _delay("seconds between chunks", 0.0))),
    Route("/drip", drip, "Content-Length body trickled out a piece at a time",
          (Param("bytes", "int", "body size", 10, 1, MAX_CHUNK_SIZE),
           Param("pieces", "int", "number of writes", 10, 1, 1000),
           _delay("seconds between pieces", 0.1))),
    Route("/stream/<n>", stream_lines, "n JSON lines, one chunk each",
          (Param("n", "int", "number of lines", None, 1, MAX_CHUNKS),
           _delay("seconds between lines", 0.0))),
    Route("/close", close_delimited,
          "close-delimited body: no Content-Length, no chunked, Connection: close",
          (_delay("seconds between lines", 0.0, 3),)),
    Route("/http10", http10, "an HTTP/1.0 response, then the server closes"),
    Route("/status/<code>", status, "a response with this status (204 and 304 have no body)",
          (Param("code", "int", "status code", None, 100, 599),), methods=None),
    Route("/redirect/<n>", redirect_chain, "n redirects in a row, ending at /headers",
          (Param("n", "int", "number of redirects", None, 1, 50),
           Param("status", "choice", "redirect status", "302", choices=_REDIRECTS)),
          methods=None),
    Route("/redirect-to", redirect_to, "one redirect to the given URL",
          (Param("url", "str", "the Location to send"),
           Param("status", "choice", "redirect status", "302", choices=_REDIRECTS)),
          methods=None),
    Route("/gzip", gzipped, "JSON compressed with Content-Encoding: gzip"),
    Route("/trailers", trailers, "chunked body with trailer fields announced by Trailer:",
          (_delay("seconds between chunks", 0.0, 3),)),
    Route("/early-hints", early_hints, "103 Early Hints, then the 200 response",
          (_delay("seconds between the 103 and the 200", 0.1, 3),)),
    Route("/continue", expect_continue,
          "honours Expect: 100-continue: 100 Continue, then reads the body, then answers",
          (Param("max", "int", "largest body accepted (else 413, body unread)", 1024 * 1024,
                 0, 8 * 1024 * 1024),), methods=None, reads_body=False),
    Route("/echo", echo, "the raw request bytes exactly as received, head and body",
          (Param("type", "choice", "response Content-Type", "binary",
                 choices=("binary", "text")),), methods=None),
    Route("/headers", headers, "the request's header fields as JSON, order and case kept",
          methods=None),
    Route("/sse", server_sent_events, "a short text/event-stream of events, then the end",
          (Param("count", "int", "number of events", 3, 1, 100),
           _delay("seconds between events", 0.2))),
    Route("/slow-head", slow_head, "the status line and header fields trickle in",
          (_delay("total seconds spent sending the head", 0.5),)),
    Route("/delay/<s>", delay, "waits s seconds, then answers",
          (Param("s", "float", "seconds to wait", None, 0, MAX_DELAY),), methods=None),
    Route("/malformed/", malformed_index, "the catalogue of malformed responses"),
    Route("/malformed/<name>", malformed,
          "sends that broken response raw, then closes (unsolicited-response: stays open)",
          (Param("name", "str", "catalogue entry (see /malformed/)"),)),
)

_TABLE = RouteTable(ROUTES)
ROUTER = Router(_TABLE)


def route_table() -> RouteTable:
    """The demo server's routes: path pattern, methods, query parameters, description.

    Displays as an HTML table in a notebook and as aligned plain text elsewhere.
    """
    return _TABLE
