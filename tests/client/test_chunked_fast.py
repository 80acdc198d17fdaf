"""The chunk-payload fast path (issue #8): inside a chunk's data the client counts the payload
itself and gives h11 only the framing.  Nothing a caller, a test or the recorder can see may
change, so every check here compares with plain h11:

* body, trailers and status path, for chunk sizes 1, 2, 3, 16 KiB and 64 KiB + 1, with
  extensions and trailers, delivered whole, in 64 KiB reads, in odd-sized reads, cut at every
  byte (small bodies) or at every byte near the framing (large ones), one byte per read;
* the ``Data`` events of every step: the same lengths and ``chunk_start``/``chunk_end`` flags as
  h11 gives for the bytes that step read, adding up to the body;
* malformed framing met by the fast path (a bad CRLF after chunk data, a truncated chunk, an
  oversized chunk-size line) fails with the same message however the reads are cut;
* the next response on the kept-alive connection is parsed correctly.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import h11
import pytest
from clientkit import ADDRESS, Outcome, exchange, scripted_client, tutorial

from httpexplore import Error, Method, PollRecord, Status
from httpexplore.transport import AFTER_SEND, EOF, WOULD_BLOCK, ScriptStep

S = Status
HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: fast\r\n\r\n"
KIB = 1024


def payload(size: int, seed: int = 0) -> bytes:
    """Body bytes that contain CR, LF and digits, so the payload looks like framing."""
    pattern = bytes((i * 37 + seed) % 256 for i in range(251)) + b"\r\n0\r\n\r\n"
    return (pattern * (size // len(pattern) + 1))[:size]


def chunked(sizes: list[int], *, ext: bytes = b"", trailers: bytes = b"") -> tuple[bytes, bytes]:
    """(wire bytes of a chunked response, its body) with chunks of ``sizes`` bytes."""
    wire, body = [HEAD], []
    for i, size in enumerate(sizes):
        data = payload(size, i)
        body.append(data)
        wire.append(b"%x" % size + (ext if i % 2 else b"") + b"\r\n" + data + b"\r\n")
    wire.append(b"0" + ext + b"\r\n" + trailers + b"\r\n")
    return b"".join(wire), b"".join(body)


#: name -> chunk sizes, extension, trailers
SHAPES: dict[str, tuple[list[int], bytes, bytes]] = {
    "tiny": ([1, 2, 3, 1, 1, 2, 3], b"", b""),
    "tiny_ext_trailers": ([1, 2, 3, 5], b";a=b;q=\"x;y\"", b"X-Sum: 1\r\nX-Two: 2 3\r\n"),
    "mixed": ([3, 16 * KIB, 1, 2, 16 * KIB + 7], b";n=v", b"X-Sum: 9\r\n"),
    "frames_16k": ([16 * KIB] * 9, b"", b""),
    "frames_64k": ([64 * KIB] * 3, b"", b""),
    "chunk_64k_plus_1": ([64 * KIB + 1, 2, 64 * KIB + 1], b";ext", b"X-End: yes\r\n"),
}

SMALL = ["tiny", "tiny_ext_trailers"]
LARGE = ["mixed", "frames_16k", "frames_64k", "chunk_64k_plus_1"]


def shape(name: str) -> tuple[bytes, bytes]:
    """(wire, body) of the response named in :data:`SHAPES`."""
    sizes, ext, trailers = SHAPES[name]
    return chunked(sizes, ext=ext, trailers=trailers)


def reference(wire: bytes) -> tuple[bytes, list[str]]:
    """Body and trailers as plain h11 reads them from ``wire`` fed whole."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", ADDRESS)]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(wire)
    body, trailers = bytearray(), []
    while True:
        event = conn.next_event()
        if isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            trailers = [f"{n.decode()}: {v.decode()}" for n, v in event.headers.raw_items()]
            return bytes(body), trailers
        else:
            assert event is not h11.NEED_DATA and event is not h11.PAUSED, event


def h11_data_per_read(records: list[PollRecord]) -> list[list[tuple[int, bool, bool]]]:
    """The ``Data`` events plain h11 gives when fed what each step read, one read at a time."""
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=64 * KIB)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", ADDRESS)]))
    conn.send(h11.EndOfMessage())
    out = []
    for record in records:
        step: list[tuple[int, bool, bool]] = []
        if record.received:
            conn.receive_data(record.received)
            while (event := conn.next_event()) not in (h11.NEED_DATA, h11.PAUSED):
                if isinstance(event, h11.Data):
                    step.append((len(event.data), event.chunk_start, event.chunk_end))
        out.append(step)
    return out


def recorded_data(records: list[PollRecord]) -> list[list[tuple[int, bool, bool]]]:
    return [[(e.detail["length"], e.detail["chunk_start"], e.detail["chunk_end"])
             for e in r.events if e.kind == "Data"] for r in records]


def deliver(wire: bytes, pieces: list[ScriptStep], *, chunk_size: int | None = None,
            ) -> tuple[Outcome, list[PollRecord]]:
    records: list[PollRecord] = []
    out, _client, _t = exchange(pieces, on_poll=records.append, chunk_size=chunk_size)
    received = b"".join(r.received for r in records)
    assert received == wire[:len(received)], "the records carry the wire bytes"
    return out, records


def check(name: str, pieces: list[ScriptStep], chunk_size: int | None = None) -> None:
    wire, body = shape(name)
    out, records = deliver(wire, pieces, chunk_size=chunk_size)
    assert out.message == "" and out.final is S.CONNECTED
    assert out.statuses == [S.REQUESTING, S.BODY, S.CONNECTED]
    assert out.body == body
    assert (out.body, out.trailers) == reference(wire)
    assert out.headers == ["Transfer-Encoding: chunked", "X-Kind: fast"]
    got = recorded_data(records)
    assert got == h11_data_per_read(records), "Data events differ from h11's for the same reads"
    assert sum(length for step in got for length, _s, _e in step) == len(body)


def payload_spans(wire: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of each chunk's data in a valid chunked ``wire``."""
    at = wire.index(b"\r\n\r\n") + 4
    while (size := int(wire[at:wire.index(b"\r\n", at)].split(b";")[0], 16)):
        at = wire.index(b"\r\n", at) + 2
        yield at, at + size
        at += size + 2


def framing_offsets(wire: bytes) -> Iterator[int]:
    """Every offset within a few bytes of a chunk's framing (CRLF, size line, last chunk)."""
    last = wire.index(b"\r\n\r\n")
    for start, end in payload_spans(wire):
        yield from range(last - 4, start + 4)
        last = end
    yield from range(last - 4, len(wire))


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_whole_and_in_reads_of_many_sizes(name: str) -> None:
    wire = shape(name)[0]
    check(name, [wire])  # the transport cuts it into read_chunk_size reads
    for size in (1000, 4097, 16 * KIB + 1, 40000):
        check(name, [wire[i:i + size] for i in range(0, len(wire), size)])
    check(name, [wire], chunk_size=256)


@pytest.mark.parametrize("name", SMALL)
def test_small_bodies_cut_at_every_byte_and_byte_by_byte(name: str) -> None:
    wire = shape(name)[0]
    for cut in range(1, len(wire)):
        check(name, [wire[:cut], wire[cut:]])
        check(name, [wire[:cut], WOULD_BLOCK, wire[cut:]])
    check(name, [wire[i:i + 1] for i in range(len(wire))])
    # two cuts: every byte read alone at each position of the body
    head = wire.index(b"\r\n\r\n") + 4
    for cut in range(head, len(wire) - 1):
        check(name, [wire[:cut], wire[cut:cut + 1], wire[cut + 1:]])


@pytest.mark.parametrize("name", LARGE)
def test_large_bodies_cut_near_every_framing_byte(name: str) -> None:
    wire = shape(name)[0]
    for cut in sorted(set(framing_offsets(wire))):
        if 0 < cut < len(wire):
            check(name, [wire[:cut], wire[cut:]])


def fed_to_h11(wire: bytes, pieces: list[bytes], monkeypatch: pytest.MonkeyPatch
               ) -> list[bytes]:
    """What h11 is given while the client reads ``wire`` delivered as ``pieces``."""
    fed: list[bytes] = []
    receive_data = h11.Connection.receive_data

    def spy(self: h11.Connection, data: bytes) -> None:
        fed.append(bytes(data))
        receive_data(self, data)

    monkeypatch.setattr(h11.Connection, "receive_data", spy)
    out, _records = deliver(wire, list(pieces))
    monkeypatch.undo()
    assert (out.body, out.trailers) == reference(wire)
    return fed


def is_subsequence(small: bytes, big: bytes) -> bool:
    it = iter(big)
    return all(byte in it for byte in small)


@pytest.mark.parametrize("name", ["mixed", "chunk_64k_plus_1", "frames_16k"])
def test_h11_gets_framing_bytes_only(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the first read (fed whole), h11 is given framing bytes only, in order, never
    chunk data: the size lines the engine does not read itself (extensions, split over
    reads), the last chunk and the trailers."""
    wire = shape(name)[0]
    pieces = [wire[i:i + 7000] for i in range(0, len(wire), 7000)]
    fed = fed_to_h11(wire, pieces, monkeypatch)
    assert fed[0] == pieces[0]
    in_payload = bytearray(len(wire))
    for start, end in payload_spans(wire):
        in_payload[start:end] = b"\x01" * (end - start)
    framing = bytes(b for i, b in enumerate(wire) if i >= len(pieces[0]) and not in_payload[i])
    rest = b"".join(fed[1:])
    assert is_subsequence(rest, framing)
    last_end = max(end for _start, end in payload_spans(wire))
    assert rest.endswith(wire[last_end:])  # the CRLF, last chunk and trailers: h11's


def test_the_engine_reads_the_usual_size_lines_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hex digits and CRLF, complete in the read: h11 sees none of them (nor the CRLF after
    each chunk's data), only what follows the last chunk's data; with an extension h11
    reads the line."""
    wire = shape("frames_16k")[0]
    head_end = wire.index(b"\r\n\r\n") + 4
    fed = fed_to_h11(wire, [wire[:head_end], wire[head_end:]], monkeypatch)
    assert b"".join(fed[1:]) == b"\r\n0\r\n\r\n"
    wire = chunked([5, 3], ext=b";x=1", trailers=b"")[0]
    head_end = wire.index(b"\r\n\r\n") + 4
    fed = fed_to_h11(wire, [wire[:head_end], wire[head_end:]], monkeypatch)
    # (the extension is on every other chunk: the first size line is the engine's)
    assert b"".join(fed[1:]) == b"\r\n3;x=1\r\n\r\n0;x=1\r\n\r\n"


def test_blocking_mode_reads_the_same_body() -> None:
    wire, body = shape("mixed")
    client, _t = scripted_client([wire[i:i + 5000] for i in range(0, len(wire), 5000)])
    records: list[PollRecord] = []
    client.on_poll(records.append)
    client.blocking_mode_enabled = True
    client.connect_to_host(ADDRESS, 80)
    while client.get_status() is not S.CONNECTED:
        client.poll()
    assert client.request(Method.GET, "/", []) is Error.OK
    out = tutorial(client)
    assert (out.body, out.final, out.message) == (body, S.CONNECTED, "")
    assert out.trailers == ["X-Sum: 9"]
    assert sum(length for step in recorded_data(records) for length, _s, _e in step) == len(body)


# ------------------------------------------------------------------ malformed framing ----
def bad_crlf_wire() -> bytes:
    data = payload(20000)
    return HEAD + b"4e20\r\n" + data + b"XY5\r\nhello\r\n0\r\n\r\n"


def outcome(pieces: list[ScriptStep]) -> tuple[object, ...]:
    out, _client, _t = exchange([*pieces, EOF])
    assert S.CONNECTED not in out.statuses, "a malformed response must never look complete"
    return out.final, out.message, out.body, out.error


def test_bad_crlf_after_chunk_data_same_message_at_every_cut() -> None:
    wire = bad_crlf_wire()
    # Whole, the response fits the first 64 KiB read, which h11 parses entirely.
    expected = outcome([wire])
    assert expected[0] is S.CONNECTION_ERROR and expected[3] is Error.ERR_CONNECTION_ERROR
    assert "not followed by CRLF" in str(expected[1])
    assert expected[2] == payload(20000)
    end = wire.index(b"XY5")
    for cut in [*range(len(HEAD), len(HEAD) + 12), *range(end - 6, end + 8), 30000]:
        assert outcome([wire[:cut], wire[cut:]]) == expected, f"cut at {cut}"
    assert outcome([wire[i:i + 997] for i in range(0, len(wire), 997)]) == expected


@pytest.mark.parametrize("tail", [b"", b"\r", b"\r\n", b"\r\n1", b"\r\n1\r\n", b"\r\n0\r\n",
                                  b"\r\n0\r\n\r"])
def test_truncated_chunk_is_never_complete(tail: bytes) -> None:
    data = payload(70000)
    for arrived in (20000, 69999):  # closed inside the chunk's data
        wire = HEAD + b"11170\r\n" + data[:arrived]
        final, message, body, _error = outcome([wire[i:i + 30000]
                                                for i in range(0, len(wire), 30000)])
        assert (final, body) == (S.CONNECTION_ERROR, data[:arrived])
        assert f"{arrived} body bytes arrived" in str(message)
    wire = HEAD + b"11170\r\n" + data + tail  # the chunk is complete, the message is not
    final, message, body, _error = outcome([wire[:40000], wire[40000:]])
    assert (final, body) == (S.CONNECTION_ERROR, data)
    assert "70000 body bytes arrived" in str(message)


def test_oversized_chunk_size_line_refused_however_cut() -> None:
    """A chunk-size line longer than 64 KiB is refused wherever the reads end (a read ending
    right after the line used to let it through: h11 gave no ``chunk_start``)."""
    line = b"3;" + b"e" * 70000 + b"\r\n"
    wire = HEAD + line + b"abc\r\n0\r\n\r\n"
    expected = outcome([wire])
    assert "larger than 65536" in str(expected[1])
    line_end = len(HEAD) + len(line)
    for cut in (line_end - 1, line_end, line_end + 1, line_end + 3, 65536):
        assert outcome([wire[:cut], wire[cut:]]) == expected, f"cut at {cut}"


# ------------------------------------------------------------------ keep-alive -----------
def test_next_response_on_the_connection_is_parsed_after_a_fast_body() -> None:
    first, body = chunked([16 * KIB] * 5 + [3], ext=b";x=1", trailers=b"X-T: 1\r\n")
    second = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Second: 1\r\n\r\nhello"
    third, body3 = chunked([2, 64 * KIB + 1])
    pieces = [first[i:i + 10000] for i in range(0, len(first), 10000)]
    client, transport = scripted_client(pieces)
    client.connect_to_host(ADDRESS, 80)
    client.poll()
    assert client.request(Method.GET, "/1", []) is Error.OK
    out = tutorial(client)
    assert (out.body, out.trailers, out.final) == (body, ["X-T: 1"], S.CONNECTED)
    assert not transport.incoming, "the whole first response was read, nothing more"
    transport.incoming.extend([AFTER_SEND, second[:7], second[7:]])
    assert client.request(Method.GET, "/2", []) is Error.OK
    out = tutorial(client)
    assert (out.body, out.headers, out.final) == (b"hello", ["Content-Length: 5",
                                                              "X-Second: 1"], S.CONNECTED)
    transport.incoming.append(AFTER_SEND)
    transport.incoming.extend(third[i:i + 3000] for i in range(0, len(third), 3000))
    assert client.request(Method.GET, "/3", []) is Error.OK
    out = tutorial(client)
    assert (out.body, out.final, out.message) == (body3, S.CONNECTED, "")
    assert client.connection_count == 1


def test_unsolicited_bytes_after_the_last_chunk_end_in_connection_error() -> None:
    wire, body = chunked([16 * KIB, 5])
    extra = b"HTTP/1.1 200 OK\r\n"
    out, _client, transport = exchange([wire[:10000], wire[10000:] + extra])
    assert (out.body, out.final) == (body, S.CONNECTION_ERROR)
    assert "RFC 9112 §9.3.2" in out.message
    assert transport.closed


def test_every_split_of_a_tiny_body_into_three_reads() -> None:
    """Each pair of cuts in a short response: the fast path starts and stops anywhere."""
    wire = chunked([1, 3, 2], ext=b";e")[0]
    head = wire.index(b"\r\n\r\n") + 4
    for a, b in itertools.combinations(range(head - 2, len(wire)), 2):
        check_pieces = [wire[:a], wire[a:b], wire[b:]]
        out, records = deliver(wire, check_pieces)
        assert (out.body, out.final) == (payload(1, 0) + payload(3, 1) + payload(2, 2),
                                         S.CONNECTED)
        assert recorded_data(records) == h11_data_per_read(records)
