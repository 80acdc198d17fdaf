"""Routes as data: path patterns, documented parameters, and the dispatcher.

A :class:`Route` names its path pattern (``/bytes/<n>``), its parameters with their types,
bounds and defaults, the methods it accepts and a one-line summary. The same data drives
three things, so they cannot drift apart: parsing the request's parameters (out-of-range or
unknown values get ``400`` with a plain reason), the route table shown by ``route_table()``,
and the pages ``/`` and ``/routes.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from ._table import html_table, text_table
from .exchange import Exchange
from .plan import Plan

__all__ = ["Args", "BadRequest", "Handler", "Param", "Route", "RouteTable", "Router"]

#: A handler plans one response (a generator of plan actions, see :mod:`.plan`).
Handler = Callable[[Exchange, "Args"], Plan]

# Error pages quote what the client sent (a path, a method, a parameter): plain text, and a
# browser told not to sniff it into HTML.
_NOSNIFF = ("X-Content-Type-Options", "nosniff")
Value = int | float | str


class BadRequest(Exception):
    """A well-formed request with unusable parameters: answer 400 with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Param:
    """One path or query parameter: its type, bounds, default (None: required) and meaning."""

    name: str
    kind: Literal["int", "float", "str", "choice"]
    doc: str
    default: Value | None = None
    low: float = 0
    high: float = math.inf
    choices: tuple[str, ...] = ()

    def signature(self) -> str:
        """A compact form for tables, e.g. ``chunks=1..10000 (4)``."""
        if self.kind == "choice":
            shape = "|".join(self.choices)
        elif self.kind == "str":
            shape = "text"
        else:
            shape = "..".join(self._bounds())
        default = "" if self.default is None else f" ({self.default:g})" if isinstance(
            self.default, float) else f" ({self.default})"
        return f"{self.name}={shape}{default}"

    def _bounds(self) -> tuple[str, str]:
        style = ".0f" if self.kind == "int" else "g"
        return format(self.low, style), format(self.high, style)

    def in_path(self, pattern: str) -> bool:
        return f"<{self.name}>" in pattern

    def parse(self, text: str) -> Value:
        """Convert ``text``; raises :class:`BadRequest` with the reason when it does not fit."""
        if self.kind == "str":
            return text
        if self.kind == "choice":
            if text not in self.choices:
                raise BadRequest(f"{self.name} must be one of {', '.join(self.choices)}, "
                                 f"not {text!r}")
            return text
        try:
            number: int | float = int(text) if self.kind == "int" else float(text)
        except ValueError:
            what = "an integer" if self.kind == "int" else "a number"
            raise BadRequest(f"{self.name} must be {what}, not {text!r}") from None
        if not self.low <= number <= self.high:  # also refuses nan
            low, high = self._bounds()
            raise BadRequest(f"{self.name} must be between {low} and {high}, not {text}")
        return number


class Args:
    """The parsed parameters of one request, with typed accessors."""

    def __init__(self, values: dict[str, Value]) -> None:
        self._values = values

    def get_int(self, name: str) -> int:
        value = self._values[name]
        assert isinstance(value, int)
        return value

    def get_float(self, name: str) -> float:
        value = self._values[name]
        assert isinstance(value, (int, float))
        return float(value)

    def get_str(self, name: str) -> str:
        value = self._values[name]
        assert isinstance(value, str)
        return value


@dataclass(frozen=True)
class Route:
    """One endpoint. ``methods=None`` accepts any method; ``reads_body=False`` leaves reading
    the request body to the handler (to decide on ``Expect: 100-continue`` first)."""

    pattern: str
    handler: Handler
    summary: str
    params: tuple[Param, ...] = ()
    methods: tuple[str, ...] | None = ("GET", "HEAD")
    reads_body: bool = True

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters if ``path`` matches the pattern, else None."""
        want = self.pattern.rstrip("/").split("/")
        got = path.rstrip("/").split("/")
        if len(want) != len(got):
            return None
        captured = {}
        for pattern_part, part in zip(want, got, strict=True):
            if pattern_part.startswith("<"):
                if not part:
                    return None
                captured[pattern_part[1:-1]] = part
            elif pattern_part != part:
                return None
        return captured

    def parse_args(self, path_values: dict[str, str], query: Sequence[tuple[str, str]]) -> Args:
        known = {param.name: param for param in self.params}
        given = dict(path_values)
        for name, value in query:
            if name not in known or name in path_values:
                names = ", ".join(p.name for p in self.params if p.name not in path_values)
                raise BadRequest(f"unknown query parameter {name!r} (known: {names or 'none'})")
            if name in given:
                raise BadRequest(f"query parameter {name!r} given twice")
            given[name] = value
        values: dict[str, Value] = {}
        for param in self.params:
            if param.name in given:
                values[param.name] = param.parse(given[param.name])
            elif param.default is None:
                raise BadRequest(f"missing required query parameter {param.name!r}")
            else:
                values[param.name] = param.default
        return Args(values)

    def methods_text(self) -> str:
        return "any" if self.methods is None else ", ".join(self.methods)



class RouteTable(Sequence[Route]):
    """The demo server's routes, displayable in a notebook (HTML) and as plain text."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = tuple(routes)

    def __getitem__(self, index: int) -> Route:  # type: ignore[override]
        return self._routes[index]

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes)

    _HEADER = ("path", "methods", "parameters", "description")

    def _rows(self, sep: str) -> list[tuple[str, str, str, str]]:
        return [(r.pattern, r.methods_text(), sep.join(p.signature() for p in r.params),
                 r.summary) for r in self._routes]

    def __str__(self) -> str:
        return text_table(self._HEADER, self._rows(" "))

    def __repr__(self) -> str:
        return f"<DemoServer routes: {len(self)}>\n{self}"

    def _repr_html_(self) -> str:
        return html_table(self._HEADER, self._rows("\n"))

    def to_json(self) -> str:
        """The table as JSON (served at ``/routes.json``)."""
        return json.dumps([{
            "path": r.pattern,
            "methods": None if r.methods is None else list(r.methods),
            "description": r.summary,
            "params": [{"name": p.name, "in": "path" if p.in_path(r.pattern) else "query",
                        "signature": p.signature(), "description": p.doc} for p in r.params],
        } for r in self._routes], indent=2)


class Router:
    """Find the route for an exchange, check method and parameters, call the handler."""

    def __init__(self, table: RouteTable) -> None:
        self.table = table

    def __call__(self, ex: Exchange) -> Plan:
        path = ex.request.path
        found = next(((r, m) for r in self.table if (m := r.match(path)) is not None), None)
        if found is None:
            yield from ex.read_body()
            yield from ex.respond(404, f"no route for {path!r}; GET / lists the routes\n"
                                  .encode(), headers=[_NOSNIFF])
            return
        route, path_values = found
        if route.methods is not None and ex.request.method not in route.methods:
            yield from ex.read_body()
            allow = ", ".join(route.methods)
            yield from ex.respond(405, f"{ex.request.method} is not allowed here (Allow: "
                                  f"{allow})\n".encode(), headers=[("Allow", allow), _NOSNIFF])
            return
        try:
            args = route.parse_args(path_values, ex.request.query)
            if route.reads_body:
                yield from ex.read_body()
            yield from route.handler(ex, args)
        except BadRequest as error:
            if ex.started:
                raise RuntimeError(f"{route.pattern} refused a request after answering") from error
            yield from ex.read_body()
            yield from ex.respond(400, (error.reason + "\n").encode(), headers=[_NOSNIFF])
