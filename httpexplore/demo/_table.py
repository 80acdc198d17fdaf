"""Plain-text and HTML tables for the route table and the malformed catalogue.

Both renderings are deterministic (no ids, ports or times) because notebooks store them and
nbval compares them. Every cell is escaped before it reaches HTML.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["html_table", "text_table"]

Row = Sequence[str]


def text_table(header: Row, rows: Sequence[Row]) -> str:
    """Left-aligned columns separated by two spaces; the last column is not padded."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]

    def line(row: Row) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        return "  ".join([*cells, row[-1]]).rstrip()

    rule = "  ".join(["-" * width for width in widths] + ["-" * len(header[-1])])
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def html_table(header: Row, rows: Sequence[Row]) -> str:
    """An HTML ``<table>``, every cell left-aligned; newlines inside a cell become ``<br>``."""
    # JupyterLab right-aligns table cells by default (made for numbers): prose reads badly
    # that way, so every cell says left.
    def cell(tag: str, text: str) -> str:
        inner = "<br>".join(html.escape(part) for part in text.split("\n"))
        return f'<{tag} style="text-align:left">{inner}</{tag}>'

    head = "<tr>" + "".join(cell("th", name) for name in header) + "</tr>"
    body = "".join("<tr>" + "".join(cell("td", text) for text in row) + "</tr>" for row in rows)
    return f'<table class="httpexplore-demo"><thead>{head}</thead><tbody>{body}</tbody></table>'
