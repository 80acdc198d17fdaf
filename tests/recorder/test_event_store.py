"""The recorder's flat event store (``trace._store_events``/``_load_events``) gives back what
it was given: every detail value, with sequences (header pairs, addresses) as tuples."""

from __future__ import annotations

import gc
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from httpexplore.records import EventInfo
from httpexplore.trace import _load_events, _store_events

atoms = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                  st.floats(allow_nan=False), st.binary(max_size=4))
values = st.recursive(atoms, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(st.text(max_size=4), inner, max_size=3)), max_leaves=12)
events = st.lists(st.builds(EventInfo, st.text(max_size=12),
                            st.dictionaries(st.text(max_size=8), values, max_size=5)),
                  max_size=4).map(tuple)


def as_stored(value: Any, depth: int = 0) -> Any:
    """What a value reads back as: lists within two levels become tuples."""
    if depth < 2 and isinstance(value, (list, tuple)):
        return tuple(as_stored(v, depth + 1) for v in value)
    return value


@given(events)
def test_stored_events_read_back_as_given(given_events: tuple[EventInfo, ...]) -> None:
    back = _load_events(_store_events(given_events))
    assert back == tuple(EventInfo(e.kind, {k: as_stored(v) for k, v in e.detail.items()})
                         for e in given_events)


def test_a_stored_response_is_one_flat_tuple_the_collector_stops_tracking() -> None:
    head = EventInfo("Response", {"status_code": 200, "reason": "OK", "http_version": "1.1",
                                  "headers": (("Server", "x"), ("Content-Length", "2")),
                                  "synthesised": True})
    body = EventInfo("Data", {"length": 2, "chunk_start": False, "chunk_end": False})
    stored = _store_events((head, body))
    assert all(type(item) is not tuple for item in stored)
    gc.collect()
    assert not gc.is_tracked(stored)
    assert _load_events(stored) == (head, body)
