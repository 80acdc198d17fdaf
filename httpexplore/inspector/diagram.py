"""The client's state diagram, drawn as SVG from :data:`httpexplore.status.TRANSITIONS`.

Theory of operation
-------------------
Nothing about the machine is written here: the states are :class:`~httpexplore.status.Status`,
the arrows are the keys and values of ``TRANSITIONS``, so the picture a learner sees is the
table the client runs.  Only the *layout* is decided here, by a small rule:

* the states a healthy exchange goes through form the top row, ordered by the longest path from
  ``DISCONNECTED`` (after dropping the edges that close a cycle, found by a depth-first walk);
* the error states (:data:`~httpexplore.status.ERROR_STATUSES`) form the bottom row, each under
  the states that lead to it;
* an input that leads to the same state from *every* state (``close()``) is written once, as a
  caption, instead of as ten arrows; such an arrow is drawn only when the path used it.

Every label is an enum name or a fixed string, never text from a server, so the SVG needs no
escaping beyond what :func:`~httpexplore._render.escape_html` does for titles anyway.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from .._render import escape_html
from ..status import ERROR_STATUSES, TRANSITIONS, Input, Status

__all__ = ["FAMILY_COLOURS", "family_colour", "path_edges", "state_diagram"]

#: Colour per family of statuses (idle, connecting, ready, exchanging, body, error).
FAMILY_COLOURS: dict[str, str] = {
    "idle": "#757575", "connecting": "#1e88e5", "ready": "#2e7d32", "requesting": "#ef6c00",
    "body": "#8e24aa", "error": "#c62828",
}
_FAMILY: dict[Status, str] = {
    Status.DISCONNECTED: "idle", Status.RESOLVING: "connecting",
    Status.CONNECTING: "connecting", Status.CONNECTED: "ready",
    Status.REQUESTING: "requesting", Status.BODY: "body",
}

# Sized so the whole diagram (six columns, about 940 px) fits a notebook at 1400 px; narrower
# panels scroll it sideways instead of shrinking it.
_W, _H = 140, 40            # node box: room for TLS_HANDSHAKE_ERROR at 11.5 px
_DX, _ROW0, _ROW1 = 156, 150, 260  # column pitch, y of the two rows (top of the boxes)
_MARGIN = 12


def family_colour(status: Status) -> str:
    """The colour of ``status``'s family (errors are red)."""
    return FAMILY_COLOURS["error" if status in ERROR_STATUSES else _FAMILY[status]]


@dataclass(frozen=True)
class _Edge:
    source: Status
    target: Status
    inputs: tuple[Input, ...]
    universal: bool  # the input leads here from every status (close())


@dataclass(frozen=True)
class _Layout:
    pos: dict[Status, tuple[float, float]]
    edges: tuple[_Edge, ...]
    universal: tuple[tuple[Input, Status], ...]
    width: float
    height: float


def _universal_inputs() -> set[Input]:
    return {i for i in Input if all((s, i) in TRANSITIONS for s in Status)}


def _edges() -> tuple[_Edge, ...]:
    universal = _universal_inputs()
    grouped: dict[tuple[Status, Status], list[Input]] = {}
    for (source, what), target in TRANSITIONS.items():
        grouped.setdefault((source, target), []).append(what)
    return tuple(_Edge(s, t, tuple(ins), all(i in universal for i in ins))
                 for (s, t), ins in grouped.items())


def _ranks(edges: Sequence[_Edge]) -> dict[Status, int]:
    """Longest-path rank from DISCONNECTED after removing the edges that close cycles."""
    succ: dict[Status, list[Status]] = {s: [] for s in Status}
    for e in edges:
        if not e.universal and e.source is not e.target:
            succ[e.source].append(e.target)
    acyclic: dict[Status, list[Status]] = {s: [] for s in Status}
    on_stack: set[Status] = set()
    seen: set[Status] = set()

    def walk(node: Status) -> None:  # the machine has ten states: recursion is fine
        seen.add(node)
        on_stack.add(node)
        for nxt in sorted(succ[node]):
            if nxt in on_stack:
                continue  # a back edge: it closes a cycle
            acyclic[node].append(nxt)
            if nxt not in seen:
                walk(nxt)
        on_stack.discard(node)

    walk(Status.DISCONNECTED)
    rank = {s: 0 for s in Status}
    for _ in Status:  # relax |V| times: longest paths in a DAG this small
        for s, nexts in acyclic.items():
            for n in nexts:
                rank[n] = max(rank[n], rank[s] + 1)
    return rank


@cache
def _layout() -> _Layout:
    edges = _edges()
    rank = _ranks(edges)
    top = sorted((s for s in Status if s not in ERROR_STATUSES), key=lambda s: (rank[s], s))
    col = {s: float(i) for i, s in enumerate(top)}
    wanted: list[tuple[float, Status]] = []
    for s in Status:
        if s in ERROR_STATUSES:
            preds = [col[e.source] for e in edges
                     if e.target is s and not e.universal and e.source in col]
            wanted.append((sum(preds) / len(preds) if preds else 0.0, s))
    last = -1.0
    for x, s in sorted(wanted):
        col[s] = last = max(x, last + 1.0)
    pos = {s: (_MARGIN + col[s] * _DX, float(_ROW1 if s in ERROR_STATUSES else _ROW0))
           for s in Status}
    width = _MARGIN * 2 + max(col.values()) * _DX + _W
    universal = tuple(sorted({(i, t) for e in edges if e.universal for i in e.inputs
                              for t in (e.target,)}, key=lambda p: p[0].value))
    return _Layout(pos, edges, universal, width, _ROW1 + _H + 40)


def path_edges(path: Sequence[Status]) -> list[tuple[Status, Status]]:
    """The diagram edges a sequence of statuses went through.

    Consecutive statuses joined by one edge give that edge; a step that crossed several
    transitions at once (``RESOLVING`` → ``CONNECTED`` in one poll) is expanded along the
    shortest route in the table.
    """
    out: list[tuple[Status, Status]] = []
    for a, b in itertools.pairwise(path):
        if a is not b:
            out.extend(_route(a, b))
    return out


@cache
def _route(a: Status, b: Status) -> tuple[tuple[Status, Status], ...]:
    succ: dict[Status, list[Status]] = {}
    for (source, _what), target in TRANSITIONS.items():
        succ.setdefault(source, []).append(target)
    prev: dict[Status, Status] = {}
    queue = deque([a])
    while queue:
        node = queue.popleft()
        if node is b:
            break
        for nxt in succ.get(node, ()):
            if nxt not in prev and nxt is not a:
                prev[nxt] = node
                queue.append(nxt)
    if b not in prev:
        return ((a, b),)
    hops = []
    node = b
    while node is not a:
        hops.append((prev[node], node))
        node = prev[node]
    return tuple(reversed(hops))


def _edge_svg(e: _Edge, layout: _Layout, on: bool, last: bool) -> str:
    (x1, y1), (x2, y2) = layout.pos[e.source], layout.pos[e.target]
    colour = "#1565c0" if on else "#b0b0b0"
    width = 3.5 if last else (2.4 if on else 1.2)
    dash = ' stroke-dasharray="5 4"' if e.universal else ""
    marker = "hx-arr-on" if on else "hx-arr"
    same_row = y1 == y2
    if same_row and x2 - x1 == _DX:  # neighbours: a straight arrow
        d = f"M{x1 + _W:.0f},{y1 + _H / 2:.0f} L{x2:.0f},{y2 + _H / 2:.0f}"
    elif same_row:  # skip or go back: an arc above the row
        sign = 1 if x2 > x1 else -1
        span = abs(x2 - x1) / _DX
        spread = 20 + 9 * span  # longer arcs land further out, so arrowheads stay apart
        sx, ex = x1 + _W / 2 + sign * spread, x2 + _W / 2 - sign * spread
        lift = 22 + 16 * span + (12 if sign < 0 else 0)
        d = f"M{sx:.0f},{y1:.0f} Q{(sx + ex) / 2:.0f},{y1 - 2 * lift:.0f} {ex:.0f},{y2:.0f}"
    elif y2 > y1:  # down to an error
        d = f"M{x1 + _W / 2:.0f},{y1 + _H:.0f} L{x2 + _W / 2:.0f},{y2:.0f}"
    else:  # up (only a traversed close() from an error state)
        d = f"M{x1 + _W / 2 - 30:.0f},{y1:.0f} L{x2 + _W / 2 + 30:.0f},{y2 + _H:.0f}"
    title = "; ".join(i.value for i in e.inputs)
    return (f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}"{dash} '
            f'marker-end="url(#{marker})"><title>{escape_html(e.source.name)} → '
            f'{escape_html(e.target.name)}: {escape_html(title)}</title></path>')


def _node_svg(s: Status, layout: _Layout, current: Status | None, visited: set[Status]) -> str:
    x, y = layout.pos[s]
    colour = family_colour(s)
    is_current = s is current
    fill = colour if is_current else ("#f3f6fb" if s in visited else "#ffffff")
    text = "#ffffff" if is_current else "#212121"
    stroke_w = 3 if is_current else (2.2 if s in visited else 1)
    stroke = colour if (is_current or s in visited) else "#9e9e9e"
    cls = "hx-node hx-current" if is_current else ("hx-node hx-visited" if s in visited
                                                   else "hx-node")
    return (f'<g class="{cls}" data-status="{s.name}"><rect x="{x:.0f}" y="{y:.0f}" '
            f'width="{_W}" height="{_H}" rx="8" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{stroke_w}"/><text x="{x + _W / 2:.0f}" y="{y + 17:.0f}" '
            f'text-anchor="middle" font-size="11.5" font-family="monospace" fill="{text}" '
            f'font-weight="{"bold" if is_current else "normal"}">{s.name}</text>'
            f'<text x="{x + _W / 2:.0f}" y="{y + 32:.0f}" text-anchor="middle" font-size="10" '
            f'font-family="monospace" fill="{text}">= {s.value}</text></g>')


def state_diagram(path: Iterable[Status] = (), current: Status | None = None) -> str:
    """An SVG of the transition table, ``current`` filled in and ``path`` highlighted.

    Parameters
    ----------
    path:
        Statuses in the order they were reached (repeats allowed).
    current:
        The status to fill; defaults to the last of ``path``.
    """
    statuses = list(path)
    if current is None and statuses:
        current = statuses[-1]
    layout = _layout()
    walked = path_edges(statuses)
    on = set(walked)
    last_edge = walked[-1] if walked else None
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout.width:.0f} '
             f'{layout.height:.0f}" width="{layout.width:.0f}" height="{layout.height:.0f}" '
             # A fixed size: in a narrow panel the diagram scrolls instead of shrinking
             # until its labels cannot be read.
             f'style="max-width:none;flex:none" role="img" '
             f'aria-label="HTTPClient status diagram">',
             '<defs>' + "".join(
                 f'<marker id="{mid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
                 f'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
                 f'<path d="M0,0 L10,5 L0,10 z" fill="{fill}"/></marker>'
                 for mid, fill in (("hx-arr", "#b0b0b0"), ("hx-arr-on", "#1565c0"))) + '</defs>']
    drawn = {(e.source, e.target) for e in layout.edges if not e.universal}
    for e in layout.edges:
        key = (e.source, e.target)
        if e.universal and (key not in on or key in drawn):
            continue  # written in the caption; drawn only when the path took it
        parts.append(_edge_svg(e, layout, key in on, key == last_edge))
    visited = set(statuses) | {s for edge in walked for s in edge}
    parts.extend(_node_svg(s, layout, current, visited) for s in Status)
    for n, (what, target) in enumerate(layout.universal):
        parts.append(f'<text x="{_MARGIN}" y="{layout.height - 12 - 14 * n:.0f}" '
                     f'font-size="11" font-family="sans-serif" fill="#616161">'
                     f'{escape_html(what.value)}: from every state → {target.name} '
                     f'(dashed when taken)</text>')
    parts.append("</svg>")
    return "".join(parts)
