"""Every case of the malformed catalogue (``malformed_cases.py``), delivered whole, cut at every
byte boundary, one byte per read, at random cut points, and over a real loopback socket: the
same final status, message and handed-out body every time; malformed responses end in
CONNECTION_ERROR with a message naming the problem and are never reported complete; ``poll()``
never raises; nothing hangs (every run is bounded in calls, live runs in time too).
"""

from __future__ import annotations

import itertools

import pytest
from clientkit import LoopbackServer, Outcome, connect_live, exchange, live_exchange, respond
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from malformed_cases import CASES, Case, by_name

from httpexplore import Error, HTTPClient, Method, PollRecord, Status
from httpexplore.transport import EOF, WOULD_BLOCK, ScriptStep

S = Status
NAMES = [c.name for c in CASES]
BAD = [c.name for c in CASES if c.kind != "tolerated"]


def run(case: Case, pieces: list[ScriptStep], chunk_size: int | None = None) -> Outcome:
    out, client, _t = exchange([*pieces, EOF], method=Method[case.method],
                               chunk_size=chunk_size)
    check_invariants(case, out, client)
    return out


def check_invariants(case: Case, out: Outcome, client: HTTPClient) -> None:
    assert out.body == case.body_before, "exactly the good body bytes are handed out"
    if case.kind == "tolerated":
        assert out.final in (S.CONNECTED, S.DISCONNECTED) and out.message == ""
        return
    assert out.final is S.CONNECTION_ERROR, f"{case.name}: ended {out.final.name}"
    assert S.CONNECTED not in out.statuses and S.DISCONNECTED not in out.statuses, (
        "a malformed response must never look complete")
    assert out.error is Error.ERR_CONNECTION_ERROR
    for word in case.keywords:
        assert word in out.message, f"{case.name}: {word!r} not in {out.message!r}"
    assert set(out.results) <= {Error.OK, Error.ERR_CONNECTION_ERROR}
    assert client.poll() is Error.ERR_CONNECTION_ERROR
    assert client.read_response_body_chunk() == b""
    assert not client.has_response() or client.get_response_code() > 0


def signature(out: Outcome) -> tuple[object, ...]:
    # CONNECTED and DISCONNECTED both end a complete response: which one depends on whether
    # the server's close (the EOF that ends each script) was already readable when the body
    # ended, which is timing, not parsing (the client looks once, without blocking).
    final = S.CONNECTED if out.final is S.DISCONNECTED else out.final
    return (out.statuses[0], final, out.message, out.body, out.code, out.headers,
            out.trailers)


_BASELINE: dict[str, tuple[object, ...]] = {}


def baseline(case: Case) -> tuple[object, ...]:
    if case.name not in _BASELINE:
        _BASELINE[case.name] = signature(run(case, [case.wire]))
    return _BASELINE[case.name]


def cut_points(wire: bytes) -> list[int]:
    """Every boundary for small cases; for the big ones (over 64 KiB), the boundaries near the
    start, near the end, around the 64 KiB limit (counted from the start of the response and
    from the start of a trailer section a few dozen bytes in), and every 10007th elsewhere."""
    n = len(wire)
    if n <= 600:
        return list(range(1, n))
    near = {*range(1, 20), *range(n - 20, n), *range(65526, 65546), *range(65586, 65616)}
    return sorted(i for i in near | set(range(1, n, 10007)) if 0 < i < n)


def test_catalogue_is_large_and_names_are_unique() -> None:
    assert len(NAMES) == len(set(NAMES))
    assert sum(c.kind == "malformed" for c in CASES) >= 40
    assert {c.group for c in CASES} >= {"status line", "header", "framing", "chunked",
                                        "truncation", "resource"}
    assert all(c.keywords for c in CASES if c.kind != "tolerated")


@pytest.mark.parametrize("name", NAMES)
def test_case_delivered_whole(name: str) -> None:
    case = by_name(name)
    records: list[PollRecord] = []
    out, client, transport = exchange([case.wire, EOF], method=Method[case.method],
                                      on_poll=records.append)
    check_invariants(case, out, client)
    if case.kind != "tolerated":
        assert transport.closed, "the connection is closed after a protocol error"
        failing = [r for r in records if r.status_after is S.CONNECTION_ERROR
                   and r.status_before is not S.CONNECTION_ERROR]
        assert len(failing) == 1 and failing[0].error_message == out.message
        assert any(e.kind == "Error" for e in failing[0].events), "the failure is recorded"


@pytest.mark.parametrize("name", NAMES)
def test_case_cut_at_every_boundary(name: str) -> None:
    case = by_name(name)
    expected = baseline(case)
    for cut in cut_points(case.wire):
        out = run(case, [case.wire[:cut], case.wire[cut:]])
        assert signature(out) == expected, f"{name}: differs when cut at byte {cut}"


@pytest.mark.parametrize("name", NAMES)
def test_case_one_byte_per_read(name: str) -> None:
    case = by_name(name)
    wire = case.wire
    pieces: list[ScriptStep] = [wire[i:i + 1] for i in range(len(wire))]
    if len(wire) < 2000:
        pieces = list(itertools.chain.from_iterable((p, WOULD_BLOCK) for p in pieces))
    assert signature(run(case, pieces, chunk_size=256)) == baseline(case)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), data=st.data(),
       chunk_size=st.sampled_from([256, 1000, 65536, 1 << 20]))
def test_case_random_splits(name: str, data: st.DataObject, chunk_size: int) -> None:
    case = by_name(name)
    wire = case.wire
    if len(wire) < 2:
        return
    cuts = data.draw(st.sets(st.integers(1, len(wire) - 1), max_size=30), label="cuts")
    bounds = [0, *sorted(cuts), len(wire)]
    pieces: list[ScriptStep] = []
    for a, b in itertools.pairwise(bounds):
        pieces.append(wire[a:b])
        if data.draw(st.booleans(), label="would-block"):
            pieces.append(WOULD_BLOCK)
    assert signature(run(case, pieces, chunk_size=chunk_size)) == baseline(case)


@pytest.mark.parametrize("name", NAMES)
def test_case_over_a_loopback_socket(name: str) -> None:
    """The server sends the bytes and closes: same status, message and body as scripted."""
    case = by_name(name)
    with LoopbackServer(respond(case.wire, close=True)) as server:
        client = HTTPClient(record=False)
        assert connect_live(client, "127.0.0.1", server.port)[-1] is S.CONNECTED
        out = live_exchange(client, Method[case.method], deadline=15)
        check_invariants(case, out, client)
        assert signature(out)[1:] == baseline(case)[1:]
        client.close()
    assert server.errors == [] and len(server.requests) == 1
