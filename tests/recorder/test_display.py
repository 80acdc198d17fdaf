"""Notebook display: deterministic, and every server-controlled string escaped."""

from __future__ import annotations

from recorderkit import fetch, rec, scripted

from httpexplore import HTTPClient, Status, export
from httpexplore.records import EventInfo
from httpexplore.trace import Trace
from httpexplore.transport import ScriptedTransport

S = Status
NASTY_HEAD = (b"HTTP/1.1 200 <script>alert('r')</script>\r\n"
              b"X-Img: <img src=x onerror=\"alert(1)\">\r\n"
              b"X-Rtl: abc\xe2\x80\xaetxt.exe\r\n"
              b"X-Bytes: \xff\xfe\r\n"
              b"Content-Length: 9\r\n\r\n<script>x")


def check_clean(text: str, *, html: bool = True) -> None:
    """No markup (in HTML) and no invisible or direction-changing characters (anywhere)."""
    for bad in ("\u202e", "\x00", "\udcff", "\ufffd"):
        assert bad not in text, repr(bad)
    if html:
        for bad in ("<script", "<img", 'onerror="'):
            assert bad not in text, bad


def test_hostile_response_is_escaped_in_html_and_text() -> None:
    client, trace = scripted([NASTY_HEAD])
    fetch(client, "/<script>", host="192.0.2.1", port=80)
    html = trace._repr_html_()
    check_clean(html)
    assert "&lt;script&gt;alert(&#x27;r&#x27;)&lt;/script&gt;" in html
    check_clean(export.snapshot(trace), html=False)
    check_clean(export.to_text(trace), html=False)
    assert "\\u202e" in export.to_text(trace) or "abc..." in export.to_text(trace)


def test_hostile_error_messages_and_events_are_escaped() -> None:
    trace = Trace()
    trace.add(rec(0, "connect_to_host", S.DISCONNECTED, S.CONNECTING))
    trace.add(rec(1, "poll", S.CONNECTING, S.CANT_CONNECT,
                  error="refused <script>x</script>\x00\u202e\"'",
                  events=[EventInfo(kind="<b>Error</b>", detail={"message": "<i>"})]))
    html = trace._repr_html_()
    check_clean(html)
    assert "<b>Error" not in html and "&lt;b&gt;Error" in html
    text = export.snapshot(trace)
    assert "\x00" not in text and "\u202e" not in text and "\\x00" in text


def run_records() -> list:
    client, trace = scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    fetch(client, "/p", host="example.test", port=8080)
    return list(trace.records)


def test_snapshot_is_deterministic_without_times() -> None:
    def run() -> tuple[str, str]:
        client, trace = scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
        fetch(client, "/p", host="example.test", port=8080)
        return export.snapshot(trace), trace._repr_html_()

    first, second = run(), run()
    assert first == second
    assert "8080" not in first[0] and "8080" not in first[1]
    sent = str(len(b"".join(r.sent for r in run_records())))
    assert first[0].splitlines() == [
        "Trace: 7 steps, 1 request cycle",
        "step  call                      status                     result  sent  recv  body"
        "  events",
        "0     connect_to_host           DISCONNECTED -> RESOLVING  OK      0     0     0",
        "1     poll                      RESOLVING -> CONNECTING    OK      0     0     0     "
        "Resolved",
        "2     poll                      CONNECTING -> CONNECTED    OK      0     0     0     "
        "TCPConnected",
        "3     request                   CONNECTED -> REQUESTING    OK      0     0     0",
        f"4     poll                      REQUESTING -> BODY         OK      {sent:<6}40    0"
        "     Response, Data, EndOfMessage",
        "5     poll                      BODY                       OK      0     0     0",
        "6     read_response_body_chunk  BODY -> CONNECTED          OK      0     0     2",
        "cycle 1: GET http://example.test/p -> 200 OK | 2 body bytes, Content-Length 2 | "
        "connection 1, new",
    ]
    timed = Trace()
    timed.add(rec(0, "connect_to_host", S.DISCONNECTED, S.CONNECTING, t=timed.started + 1))
    assert "start ms" in export.snapshot(timed, times=True)


def test_quiet_steps_are_folded() -> None:
    trace = Trace()
    trace.add(rec(0, "connect_to_host", S.DISCONNECTED, S.CONNECTING))
    for i in range(1, 6):
        trace.add(rec(i, "poll", S.CONNECTING, S.CONNECTING))
    trace.add(rec(6, "poll", S.CONNECTING, S.CONNECTED))
    lines = export.snapshot(trace).splitlines()
    assert lines[3].split()[:3] == ["1-5", "poll", "CONNECTING"]
    assert "(5 steps, nothing new)" in lines[3]
    assert "== Info: [1-5] 5 steps (poll), nothing new (CONNECTING)" in export.to_text(trace)


def test_recorder_factory_hook_and_no_copy_below_the_cap() -> None:
    transport = ScriptedTransport([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    original = HTTPClient.recorder_factory
    HTTPClient.recorder_factory = Trace
    try:
        hooked = HTTPClient(transport_factory=lambda: transport)
    finally:
        HTTPClient.recorder_factory = original
    assert isinstance(hooked.trace, Trace)
    seen = []
    hooked.on_poll(seen.append)
    fetch(hooked, "/", host="192.0.2.1", port=80)
    assert len(seen) == len(hooked.trace)
    assert seen == list(hooked.trace.records)
    # Below the cap the trace keeps the client's byte objects themselves, not copies.
    for a, b in zip(seen, hooked.trace.records, strict=True):
        assert a.sent is b.sent and a.received is b.received and a.body is b.body
