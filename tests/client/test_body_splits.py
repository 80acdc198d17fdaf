"""Body reassembly is independent of how the bytes are split into reads.

Each valid response below is delivered whole, then split in two at every byte boundary (so
every CRLF is also cut between its CR and its LF), then one byte per read, then one byte per
read with a would-block step after each byte, then at random cut points (hypothesis, with a
small ``read_chunk_size`` too).  Every delivery must give the same status path, code, headers,
trailers and body as the unsplit one.  (Invalid responses get the same treatment in
``tests/robustness/test_malformed.py``.)
"""

from __future__ import annotations

import itertools

import pytest
from clientkit import Outcome, exchange
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httpexplore import Method, Status
from httpexplore.transport import EOF, WOULD_BLOCK, ScriptStep

S = Status


def chunked(*chunks: bytes, ext: bytes = b"", trailers: bytes = b"") -> bytes:
    out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: chunked\r\n\r\n"
    for i, chunk in enumerate(chunks):
        size = f"{len(chunk):x}" if i % 2 else f"{len(chunk):X}"  # both hex cases
        out += size.encode() + (ext if i % 3 == 1 else b"") + b"\r\n" + chunk + b"\r\n"
    return out + b"0" + ext + b"\r\n" + trailers + b"\r\n"


SIZES = [1, 2, 9, 10, 15, 16, 17, 31, 100, 255, 256, 257]
BODY = bytes((i * 7 + 3) % 251 for i in range(sum(SIZES)))


def _pieces(data: bytes, sizes: list[int]) -> list[bytes]:
    out, at = [], 0
    for n in sizes:
        out.append(data[at:at + n])
        at += n
    return out


#: name -> (response bytes, ends with EOF?, method, expected body)
VALID: dict[str, tuple[bytes, bool, Method, bytes]] = {
    "content_length": (b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: 1\r\n\r\nhello world",
                       False, Method.GET, b"hello world"),
    "content_length_zero": (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", False, Method.GET,
                            b""),
    "content_length_binary": (b"HTTP/1.1 200 OK\r\nContent-Length: 256\r\n\r\n"
                              + bytes(range(256)), False, Method.GET, bytes(range(256))),
    "chunked_many_sizes": (chunked(*_pieces(BODY, SIZES)), False, Method.GET, BODY),
    "chunked_extensions_trailers": (
        chunked(b"abc", b"\r\n\r\n", b"0123456789abcdef", ext=b";name=value;q=\"a;b\"",
                trailers=b"X-Checksum: 1234\r\nX-Other: two words\r\n"),
        False, Method.GET, b"abc\r\n\r\n0123456789abcdef"),
    "chunked_leading_zeros": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"0005\r\nhello\r\n000\r\n\r\n", False, Method.GET, b"hello"),
    "close_delimited": (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end\r\n",
                        True, Method.GET, b"until the end\r\n"),
    "http10_no_length": (b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nold style body", True,
                         Method.GET, b"old style body"),
    "http10_content_length": (b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nabcd", False,
                              Method.GET, b"abcd"),
    "interim_then_final": (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
                           b"Link: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                           False, Method.POST, b"ok"),
    "no_content": (b"HTTP/1.1 204 No Content\r\nX: y\r\n\r\n", False, Method.DELETE, b""),
    "head": (b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n", False, Method.HEAD, b""),
    "bare_lf_head": (b"HTTP/1.1 200 OK\nContent-Length: 3\nX: y\n\nabc", False, Method.GET,
                     b"abc"),
    "obs_fold_header": (b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\nContent-Length: 1\r\n\r\nz",
                        False, Method.GET, b"z"),
    "no_reason_phrase": (b"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nz", False, Method.GET,
                         b"z"),
}


def run(name: str, pieces: list[ScriptStep], chunk_size: int | None = None) -> Outcome:
    _data, eof, method, _body = VALID[name]
    steps = list(pieces) + ([EOF] if eof else [])
    out, _client, _t = exchange(steps, method=method, chunk_size=chunk_size)
    return out


def signature(out: Outcome) -> tuple[object, ...]:
    return (out.statuses, out.final, out.code, out.headers, out.trailers, out.body, out.message)


BASELINE = {name: signature(run(name, [VALID[name][0]])) for name in VALID}


@pytest.mark.parametrize("name", sorted(VALID))
def test_unsplit_response_is_read_correctly(name: str) -> None:
    data, eof, _method, body = VALID[name]
    out = run(name, [data])
    assert out.body == body
    assert out.message == "" and out.final in (S.CONNECTED, S.DISCONNECTED)
    closes = eof or name.startswith("http10")  # HTTP/1.0 closes (README, divergence 3)
    assert out.final is (S.DISCONNECTED if closes else S.CONNECTED)
    assert out.code in (200, 204)


def test_expected_headers_and_trailers() -> None:
    assert BASELINE["chunked_extensions_trailers"][4] == ["X-Checksum: 1234",
                                                           "X-Other: two words"]
    assert BASELINE["obs_fold_header"][3][0] == "X-Folded: a b"
    assert BASELINE["no_content"][0] == [S.REQUESTING, S.CONNECTED]
    assert BASELINE["head"][0] == [S.REQUESTING, S.BODY, S.CONNECTED]
    assert BASELINE["close_delimited"][0] == [S.REQUESTING, S.BODY, S.DISCONNECTED]


@pytest.mark.parametrize("name", sorted(VALID))
def test_split_in_two_at_every_byte_boundary(name: str) -> None:
    data = VALID[name][0]
    for cut in range(1, len(data)):
        out = run(name, [data[:cut], data[cut:]])
        assert signature(out) == BASELINE[name], f"differs when cut at byte {cut}"
    # ... and with a would-block read between the halves
    for cut in range(1, len(data), 7):
        out = run(name, [data[:cut], WOULD_BLOCK, data[cut:]])
        assert signature(out) == BASELINE[name], f"differs when cut at byte {cut} + wait"


@pytest.mark.parametrize("name", sorted(VALID))
def test_one_byte_per_read(name: str) -> None:
    data = VALID[name][0]
    singles = [data[i:i + 1] for i in range(len(data))]
    assert signature(run(name, list(singles))) == BASELINE[name]
    waiting: list[ScriptStep] = []
    for piece in singles:
        waiting += [piece, WOULD_BLOCK]
    assert signature(run(name, waiting, chunk_size=256)) == BASELINE[name]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(VALID)), data=st.data(),
       chunk_size=st.sampled_from([256, 257, 4096, 65536]))
def test_random_splits(name: str, data: st.DataObject, chunk_size: int) -> None:
    raw = VALID[name][0]
    cuts = sorted(data.draw(st.sets(st.integers(1, len(raw) - 1), max_size=min(40, len(raw))),
                            label="cuts"))
    bounds = [0, *cuts, len(raw)]
    pieces: list[ScriptStep] = []
    for a, b in itertools.pairwise(bounds):
        pieces.append(raw[a:b])
        if data.draw(st.booleans(), label="would-block"):
            pieces.append(WOULD_BLOCK)
    out = run(name, pieces, chunk_size=chunk_size)
    assert signature(out) == BASELINE[name]
    assert all(n <= chunk_size for n in out.reads)
