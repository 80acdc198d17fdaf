"""A static HTML copy of the inspector, for notebooks read without a kernel.

A notebook stored with a widget display shows, on GitHub, nbviewer or a docs site, only the
widget's text form: ``<Inspector …>``.  The inspector therefore puts a second rendering in its
display data: this module's fragment, built from the HTML its views already hold.  JupyterLab
prefers the live widget view; a page without a kernel shows this.

The fragment holds no scripts and no clock times, and every server-controlled string in it was
escaped by :mod:`.views` already; the body text is escaped here.
"""

from __future__ import annotations

import html

__all__ = ["BODY_CHARS", "render"]

#: Characters of the body text shown.
BODY_CHARS = 2000

_BOX = "border:1px solid #e0e0e0;border-radius:4px;padding:6px 8px;margin:4px 0"
_MONO = "font-family:var(--jp-code-font-family,monospace);font-size:12px"


def render(status: str, error: str, headers: str, count: str, body: str, wire: str) -> str:
    """One ``<div class="hx-static">`` from the views' current values."""
    shown = body if len(body) <= BODY_CHARS else body[:BODY_CHARS] + "\n…"
    parts = [
        f'<div class="hx-static" style="{_BOX}">',
        '<div style="color:#616161;font-size:11px">httpexplore inspector, as it was when this '
        "output was saved (a static copy: run the notebook for the live panel with its "
        "buttons, history slider, diagram and timings)</div>",
        status, error,
        f'<div style="display:flex;flex-wrap:wrap;gap:16px"><div style="flex:1 1 400px;'
        f'min-width:0"><b>Response headers</b>{headers}</div>'
        f'<div style="flex:1 1 400px;min-width:0"><b>Body</b> ({html.escape(count)})'
        f'<pre style="white-space:pre-wrap;word-break:normal;max-height:16em;overflow:auto;'
        f'margin:2px 0;{_MONO}">'
        f"{html.escape(shown)}</pre></div></div>",
        f"<b>On the wire (this request cycle)</b>{wire}",
        "</div>",
    ]
    return "".join(parts)
