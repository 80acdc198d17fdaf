"""Leaf helpers that turn untrusted bytes and text into something safe to show.

Theory of operation
-------------------
Everything a server sends is untrusted: header values, the reason phrase, the body and the
error messages that quote them.  Before such text reaches a terminal or a notebook it goes
through two steps here:

1. :func:`printable` makes every invisible or misleading character visible: C0 controls and DEL
   become ``\\x00``-style escapes, bidirectional overrides (``U+202E`` …) and other format
   characters become ``\\u202e``-style escapes, and undecodable bytes become ``\\xff``.  Text that
   went through it cannot reorder a line, hide a NUL or ring a bell.
2. :func:`escape_html` additionally escapes ``& < > " '`` so that the result can be placed in an
   HTML element *or* an attribute value.

:class:`Markup` marks a string that is already safe HTML (built here from escaped parts); table
helpers escape every other cell.  This module imports nothing from httpexplore: the recorder and
the inspector both build on it.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = [
    "Markup",
    "ascii_dump",
    "decode",
    "eol_html",
    "escape_html",
    "format_ms",
    "format_size",
    "hexdump",
    "html_table",
    "printable",
    "visible_crlf",
]


class Markup(str):
    """A string that is already safe HTML; :func:`html_table` inserts it unescaped."""

    __slots__ = ()


# Unicode "format" (Cf) characters include the bidi overrides and isolates (U+202A-U+202E,
# U+2066-U+2069), zero-width joiners and the BOM: all can make displayed text lie about its
# content, so they are always shown as escapes.
def _is_hidden(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn")


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not valid UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def decode(data: bytes) -> str:
    """Decode wire bytes as UTF-8, keeping undecodable bytes as lone surrogates for
    :func:`printable` to show as ``\\xNN``."""
    return data.decode("utf-8", "surrogateescape")


def printable(text: str | bytes, *, keep: str = "") -> str:
    """Return ``text`` with every control, format or undecodable character escaped.

    Parameters
    ----------
    text:
        A string, or bytes (decoded as UTF-8; invalid bytes become ``\\xNN``).
    keep:
        Characters to leave as they are (for example ``"\\n"`` for multi-line text, ``"\\t"``).
    """
    if isinstance(text, bytes):
        text = decode(text)
    if text.isascii() and text.isprintable():
        return text  # the common case: nothing to do
    table = _TABLES.get(keep)
    if table is None:
        table = _TABLES[keep] = _Escapes(keep)
    return text.translate(table)


class _Escapes(dict[int, str]):
    """``str.translate`` table for :func:`printable`: code point → itself or its escape,
    worked out on first sight and cached (BMP only, so at most 65,536 entries per ``keep``).
    Translating in C is about ten times faster than a Python loop over characters, which
    matters for a binary body or wire view of 64 KiB."""

    def __init__(self, keep: str) -> None:
        super().__init__()
        self.keep = keep

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        out = ch if (ch in self.keep or not _is_hidden(ch)) else _escape_char(ch)
        if code < 0x10000:
            self[code] = out
        return out


_TABLES: dict[str, _Escapes] = {}


def escape_html(text: str | bytes, *, keep: str = "") -> str:
    """:func:`printable`, then HTML-escape (quotes included, so attributes are safe too)."""
    return html.escape(printable(text, keep=keep), quote=True)


def visible_crlf(data: bytes, *, symbols: bool = True) -> str:
    """Show line endings: ``\\r`` as ``␍`` and ``\\n`` as ``␊`` followed by a real line break.

    With ``symbols=False`` the markers are the ASCII escapes ``\\r`` and ``\\n`` (for terminals
    and text dumps).  Every other control or format character is escaped by :func:`printable`.
    HTML views use :func:`eol_html` instead: many fonts (DejaVu, Liberation) have no glyph for
    the control pictures and draw empty boxes.
    """
    cr, lf = ("␍", "␊") if symbols else ("\\r", "\\n")
    lines = (cr.join(printable(part) for part in line.split(b"\r")) for line in data.split(b"\n"))
    return (lf + "\n").join(lines)


#: How a CR and an LF byte look in HTML views: small badges with the letters, which every font
#: draws (the Unicode control pictures U+240D/U+240A are missing from DejaVu and Liberation,
#: the fonts of typical Binder and Docker images, and show as empty boxes there).
EOL_STYLE = ("font:bold 9px/1 sans-serif;padding:0 2px;margin:0 1px;border-radius:3px;"
             "border:1px solid #8d6e63;color:#5d4037;background:#fff;vertical-align:1px")
CR_HTML = (f'<span class="hx-eol hx-cr" title="CR: carriage return, byte 0x0d" '
           f'style="{EOL_STYLE}">CR</span>')
LF_HTML = (f'<span class="hx-eol hx-lf" title="LF: line feed, byte 0x0a" '
           f'style="{EOL_STYLE}">LF</span>')


def eol_html(data: bytes) -> str:
    """``data`` as escaped HTML with every CR and LF byte shown as a ``CR``/``LF`` badge, and a
    real line break after each LF (for a ``<pre>``).  Other controls are escaped as in
    :func:`escape_html`."""
    lines = (CR_HTML.join(escape_html(part) for part in line.split(b"\r"))
             for line in data.split(b"\n"))
    return (LF_HTML + "\n").join(lines)


def hexdump(data: bytes, offset: int = 0, width: int = 16) -> str:
    """Classic hex dump: offset, hex bytes, and the printable ASCII column.

    >>> print(hexdump(b"GET / HTTP/1.1\\r\\n"))
    00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|
    """
    lines = []
    half = width // 2
    for start in range(0, len(data), width):
        row = data[start:start + width]
        hexes = [f"{b:02x}" for b in row] + ["  "] * (width - len(row))
        hex_col = " ".join(hexes[:half]) + "  " + " ".join(hexes[half:])
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in row)
        lines.append(f"{offset + start:08x}  {hex_col}  |{text}|")
    return "\n".join(lines)


def ascii_dump(data: bytes, width: int = 64, *, show_crlf: bool = True) -> list[str]:
    """``curl --trace-ascii`` lines: ``"0000: text"``, a new line after each LF or ``width`` bytes.

    Non-printable bytes are ``.``; with ``show_crlf`` line endings are written ``\\r\\n`` so a
    reader can see exactly which bytes ended each line (curl hides them).
    """
    lines = []
    digits = max(4, len(f"{max(len(data) - 1, 0):x}"))
    start = 0
    while start < len(data):
        end = min(start + width, len(data))
        lf = data.find(b"\n", start, end)
        if lf != -1:
            end = lf + 1
        row = data[start:end]
        text = []
        for b in row:
            if b == 0x0D and show_crlf:
                text.append("\\r")
            elif b == 0x0A and show_crlf:
                text.append("\\n")
            else:
                text.append(chr(b) if 0x20 <= b < 0x7F else ".")
        lines.append(f"{start:0{digits}x}: {''.join(text)}")
        start = end
    return lines


def html_table(header: Sequence[str], rows: Iterable[Sequence[object]], *, cls: str = "",
               caption: str = "") -> Markup:
    """An HTML table; every cell is escaped unless it is :class:`Markup`.

    Parameters
    ----------
    header:
        Column titles (escaped).
    rows:
        Cell values; ``None`` renders empty, other values through ``str()``.
    cls:
        CSS class names for the ``<table>`` element (escaped).
    caption:
        Optional caption (escaped).
    """
    parts = [f'<table class="{escape_html(cls)}">' if cls else "<table>"]
    if caption:
        parts.append(f"<caption>{escape_html(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{escape_html(h)}</th>" for h in header)
                 + "</tr></thead><tbody>")
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>")
    parts.append("</tbody></table>")
    return Markup("".join(parts))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, bytes):
        return escape_html(value)
    return escape_html(str(value))


def format_size(n: int) -> str:
    """``format_size(4194304) == "4 MiB"``; exact byte counts below 1 KiB."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"


def format_ms(ms: float) -> str:
    """Milliseconds for display: ``-1`` (not applicable) becomes ``"-"``."""
    if ms < 0:
        return "-"
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"
