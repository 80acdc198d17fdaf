"""Why Godot and httpexplore may see different things: every known difference, as a rule.

Each rule is a predicate on one observed pair (Godot's observation, ours) for one case.  It
holds only when the pair shows that difference's exact signature (what differs, and what must
still be equal), so a rule cannot excuse an unrelated regression.  Rules are matched in order; a
pair that differs and that no rule explains fails the differential tests.

Two kinds of rules:

* :data:`DIVERGENCES` are httpexplore's deliberate divergences, numbered as in the README's list
  "Godot parity and deliberate divergences" (``readme_phrase`` must appear in that item; a test
  checks it, so a renumbered README cannot silently point rows at the wrong item).
* :data:`API_DIFFERENCES` are differences between Godot 3.2 (the engine Debian ships, which the
  tests run) and Godot 4 (the API httpexplore follows).  Those without a predicate are listed
  in the parity document for completeness; they cannot show in these runs.

After the client or the demo server changes, regenerate ``docs/godot-parity.md`` (see
``gen_parity_doc.py``): the rules decide each row again from the fresh observations.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from httpexplore import Status

_CONNECTED, _DISCONNECTED = int(Status.CONNECTED), int(Status.DISCONNECTED)
_ERROR = int(Status.CONNECTION_ERROR)

Pair = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Rule:
    key: str
    title: str
    explains: Pair | None
    #: README divergence number (None for a Godot 3.2 vs 4 API difference).
    number: int | None = None
    readme_phrase: str = ""

    @property
    def label(self) -> str:
        return f"divergence #{self.number}" if self.number is not None else f"API {self.key}"


def _header(obs: Any, name: str) -> str:
    return next((v for k, v in obs.headers.items() if k.lower() == name), "")


def _same_response(g: Any, o: Any) -> bool:
    return bool(g.code == o.code and g.body == o.body)


# -- HTTPClient tutorial loop --------------------------------------------------------------------

def _interim(g: Any, o: Any) -> bool:
    """Godot reports a 1xx as the response; httpexplore records it and waits for the final one."""
    final_line = f"HTTP/1.1 {o.code} ".encode()
    return (100 <= g.code < 200 and g.body == b"" and g.code in o.interim and o.code >= 200
            and g.final == o.final and final_line in o.received)


def _cut_short(g: Any, o: Any) -> bool:
    """A body shorter than its Content-Length: Godot ends DISCONNECTED (or drops the bytes of the
    failing read); httpexplore hands out what arrived, then CONNECTION_ERROR."""
    return (o.final == _ERROR and g.final in (_DISCONNECTED, _ERROR) and g.code == o.code
            and 0 <= len(o.body) < o.body_length and o.body.startswith(g.body)
            and (g.final, g.body) != (o.final, o.body))


def _closed_after(g: Any, o: Any) -> bool:
    """Same response; Godot stays CONNECTED, httpexplore closes after Connection: close,
    HTTP/1.0, or a server close already seen when the body ends."""
    closing = (o.http_version == "1.0" or "close" in _header(o, "connection").lower()
               or o.peer_closed)
    return _same_response(g, o) and g.final == _CONNECTED and o.final == _DISCONNECTED and closing


def _available_bytes(g: Any, o: Any) -> bool:
    """A chunked body that breaks: Godot returns only whole chunks (so nothing of the broken
    one), httpexplore returns what arrived before the error."""
    return (g.final == o.final == _ERROR and o.chunked and g.code == o.code
            and len(o.body) > len(g.body) and o.body.startswith(g.body))


def _unsolicited(g: Any, o: Any) -> bool:
    """Bytes after the response: Godot leaves them unread and stays CONNECTED; httpexplore
    closes the connection."""
    extra = o.received.count(b"HTTP/1.") >= 2
    return (_same_response(g, o) and g.final == _CONNECTED
            and o.final in (_DISCONNECTED, _ERROR) and extra)


def _refused_framing(case: Any) -> Pair:
    def explains(g: Any, o: Any) -> bool:
        """A malformed response Godot accepts in some way; httpexplore ends CONNECTION_ERROR."""
        return case.path.startswith("/malformed/") and o.final == _ERROR and g.final != _ERROR
    return explains


def _ambiguous_framing_closes(g: Any, o: Any) -> bool:
    """Content-Length and Transfer-Encoding together: the body is read as chunked by both, and
    httpexplore closes the connection after it (RFC 9112 §6.1: the framing was ambiguous)."""
    both = bool(_header(o, "content-length")) and bool(_header(o, "transfer-encoding"))
    return _same_response(g, o) and g.final == _CONNECTED and o.final == _DISCONNECTED and both


def _request_field_order(g: Any, o: Any) -> bool:
    """Godot 3.2 writes ``Host`` before the caller's header fields, Godot 4 after them: an
    endpoint that echoes the request shows the same fields in another order."""
    if not (g.code == o.code and g.final == o.final and g.body != o.body):
        return False
    return _request_fields(g.body) == _request_fields(o.body) is not None


def _request_fields(body: bytes) -> list[Any] | None:
    """The request's header fields as an echo endpoint shows them, in a canonical order."""
    if body.startswith(b"{"):
        try:
            return sorted(map(tuple, json.loads(body)["headers"]))
        except (ValueError, KeyError, TypeError):
            return None
    head, sep, rest = body.partition(b"\r\n\r\n")
    if not sep or b" HTTP/1.1" not in head.split(b"\r\n")[0]:
        return None
    lines = head.split(b"\r\n")
    return [lines[0], *sorted(lines[1:]), rest]


def client_rules(case: Any) -> list[Rule]:
    """The rules for one case of the tutorial-loop comparison, in matching order."""
    return [
        Rule("interim", "1xx reported as the response by Godot", _interim, 1, "1xx interim"),
        Rule("cut-short", "body cut short: Godot DISCONNECTED or bytes dropped", _cut_short, 2,
             "cut short by the server"),
        Rule("close", "Connection: close / HTTP/1.0: httpexplore closes", _closed_after, 3,
             "`Connection: close` or an HTTP/1.0 response"),
        Rule("available", "broken chunked body: httpexplore delivered the bytes before it",
             _available_bytes, 4, "returns what is available"),
        Rule("unsolicited", "bytes after the response close the connection", _unsolicited, 5,
             "Bytes arriving while no request is outstanding"),
        Rule("ambiguous", "Content-Length with Transfer-Encoding: connection closed after",
             _ambiguous_framing_closes, 3, "both Content-Length and"),
        Rule("refused", "malformed response: httpexplore ends CONNECTION_ERROR",
             _refused_framing(case), 6, "Malformed framing"),
        Rule("A1", "Godot 3.2 sends Host before the caller's fields", _request_field_order),
    ]


#: Known Godot 3.2 vs Godot 4 API differences that cannot show in these runs (listed in the
#: parity document so that nothing is hidden).
API_DIFFERENCES: tuple[tuple[str, str], ...] = (
    ("A1", "Godot 3.2 writes the `Host` field before the caller's header fields; Godot 4 "
           "(and httpexplore) after them. Seen on endpoints that echo the request."),
    ("A2", "Godot 3.2 writes the request inside `request()`; Godot 4 buffers it and writes it "
           "during `poll()` in `STATUS_REQUESTING`. Both report `STATUS_REQUESTING` after "
           "`request()`, so the tutorial loop sees the same statuses."),
    ("A3", "Status 9 is `STATUS_SSL_HANDSHAKE_ERROR` in Godot 3.2 and "
           "`STATUS_TLS_HANDSHAKE_ERROR` in Godot 4 (same value); `connect_to_host(host, port, "
           "use_ssl, verify_host)` became `connect_to_host(host, port, tls_options)` (rows "
           "`tls-*`: `verify_host` true/false against `TLSOptions.client()`/`client_unsafe()`)."),
    ("A4", "`HTTPRequest.Result`: Godot 3.2 has no `RESULT_BODY_DECOMPRESS_FAILED`, so "
           "`REQUEST_FAILED` … `TIMEOUT` are 8 … 12 there and 9 … 13 in Godot 4; "
           "`RESULT_SSL_HANDSHAKE_ERROR` became `RESULT_TLS_HANDSHAKE_ERROR`. The tests compare "
           "results by name."),
    ("A5", "`HTTPRequest.request(url, headers, ssl_validate_domain, method, data)` in Godot "
           "3.2, `request(url, headers, method, data)` plus `set_tls_options()` in Godot 4; "
           "Godot 3.2 has no `accept_gzip` (the tests turn it off on our side)."),
    ("A6", "GDScript: `PoolByteArray`/`yield` in Godot 3, `PackedByteArray`/`await` in Godot 4."),
    ("A7", "`HTTPRequest.timeout` is whole seconds (an `int`) in Godot 3.2 and a `float` in "
           "Godot 4: in 3.2, `timeout = 0.5` is read back as 0, no timeout."),
)


# -- HTTPRequest ---------------------------------------------------------------------------------

def _more_redirects(g: Any, o: Any) -> bool:
    """Godot follows 301 and 302 only; httpexplore also follows 303, 307 and 308."""
    return (g.result == o.result == "SUCCESS" and g.code in (303, 307, 308)
            and o.code not in (301, 302, 303, 307, 308) and o.hops > 0)


def _request_cut_short(g: Any, o: Any) -> bool:
    """A Content-Length body cut short: Godot's client ends DISCONNECTED, which its node reports
    as RESULT_CANT_CONNECT (or success, for a body read until the close); httpexplore reports
    RESULT_CONNECTION_ERROR with no body."""
    return (o.result == "CONNECTION_ERROR" and o.body == b"" and g.result != o.result
            and "truncated" in o.case_id)


def _request_refused(g: Any, o: Any) -> bool:
    """A malformed response that Godot's node accepts; httpexplore reports
    RESULT_CONNECTION_ERROR."""
    return o.result == "CONNECTION_ERROR" and g.result == "SUCCESS" and "malformed" in o.case_id


def _request_field_order_node(g: Any, o: Any) -> bool:
    return (g.result == o.result and g.code == o.code and g.file == o.file
            and _request_fields(g.body) == _request_fields(o.body) is not None)


def request_rules() -> list[Rule]:
    """The rules for the HTTPRequest comparison, in matching order."""
    return [
        Rule("redirects", "303/307/308 followed by httpexplore only", _more_redirects, 9,
             "303, 307 and 308"),
        Rule("cut-short", "body cut short", _request_cut_short, 2, "cut short by the server"),
        Rule("refused", "malformed response", _request_refused, 6, "Malformed framing"),
        Rule("A1", "Godot 3.2 sends Host before the caller's fields", _request_field_order_node),
    ]


def explain(rules: list[Rule], g: Any, o: Any) -> Rule | None:
    """The first rule that explains the pair, or None."""
    for rule in rules:
        if rule.explains is not None and rule.explains(g, o):
            return rule
    return None
