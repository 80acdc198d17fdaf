"""The leaf helpers that make untrusted bytes safe to show."""

from __future__ import annotations

import pytest

from httpexplore import _render as r

HOSTILE = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "a\"b'c", "nul\x00",
           "rtl\u202egnp.exe", "isolate\u2066x\u2069", "bell\x07", "zw\u200bj", "\ufeffbom"]


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_html_leaves_no_markup_and_no_invisible_characters(text: str) -> None:
    out = r.escape_html(text)
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out
    assert all(ch.isprintable() and ch.isascii() for ch in out)


def test_printable_shows_what_it_escaped() -> None:
    assert r.printable("plain text") == "plain text"
    assert r.printable(b"a\x00b\xffc\xe2\x80\xaed") == "a\\x00b\\xffc\\u202ed"
    assert r.printable("tab\there\nline", keep="\n\t") == "tab\there\nline"
    assert r.printable("é ü 漢字") == "é ü 漢字"  # ordinary letters stay readable
    assert r.printable("\U000e0001") == "\\U000e0001"


def test_visible_crlf() -> None:
    assert r.visible_crlf(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n") == (
        "GET / HTTP/1.1␍␊\nHost: a␍␊\n␍␊\n")
    assert r.visible_crlf(b"a\nb\rc\x00", symbols=False) == "a\\n\nb\\rc\\x00"


def test_hexdump_and_ascii_dump() -> None:
    assert r.hexdump(b"GET / HTTP/1.1\r\nHost", offset=16).splitlines() == [
        "00000010  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|",
        "00000020  48 6f 73 74                                       |Host|"]
    assert r.ascii_dump(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n") == [
        "0000: GET / HTTP/1.1\\r\\n", "0010: Host: a\\r\\n", "0019: \\r\\n"]
    assert r.ascii_dump(b"x" * 70 + b"\x01") == ["0000: " + "x" * 64, "0040: xxxxxx."]
    assert r.ascii_dump(b"") == []


def test_html_table_escapes_cells_but_not_markup() -> None:
    table = r.html_table(["<h>"], [["<b>"], [r.Markup("<i>ok</i>")], [None], [b"\xff<"]],
                         cls='x" onclick="y', caption="<c>")
    assert "<th>&lt;h&gt;</th>" in table and "<td>&lt;b&gt;</td>" in table
    assert "<td><i>ok</i></td>" in table and "<td></td>" in table
    assert "<td>\\xff&lt;</td>" in table and "onclick=&quot;" in table
    assert "<caption>&lt;c&gt;</caption>" in table and isinstance(table, r.Markup)


def test_sizes_and_times() -> None:
    assert [r.format_size(n) for n in (0, 1023, 1024, 1536, 4 << 20, 3 << 30)] == [
        "0 B", "1023 B", "1 KiB", "1.5 KiB", "4 MiB", "3 GiB"]
    assert [r.format_ms(v) for v in (-1, 0, 12.34, 1500)] == ["-", "0.0 ms", "12.3 ms",
                                                              "1.50 s"]
