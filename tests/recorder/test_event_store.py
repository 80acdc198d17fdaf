"""The recorder's flat event store (``_rowstore.store_events``/``load_events``) gives back what
it was given: every detail value, with sequences (header pairs, addresses) as tuples, and only
strings and numbers go into it."""

from __future__ import annotations

import gc
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from httpexplore._rowstore import load_events as _load_events
from httpexplore._rowstore import store_events as _store_events
from httpexplore.records import EventInfo

atoms = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                  st.floats(allow_nan=False), st.binary(max_size=4))
values = st.recursive(atoms, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(st.text(max_size=4), inner, max_size=3)), max_leaves=12)
kinds = st.one_of(st.sampled_from(["Data", "Response", "EndOfMessage"]), st.text(max_size=12))
events = st.lists(st.builds(EventInfo, kinds,
                            st.dictionaries(st.text(max_size=8), values, max_size=5)),
                  max_size=4).map(tuple)


def as_stored(kind: str, value: Any, depth: int = 0) -> Any:
    """What a value reads back as: lists within two levels become tuples (but in a ``Data``
    event, whose values are numbers and flags, they are kept as given)."""
    if kind != "Data" and depth < 2 and isinstance(value, (list, tuple)):
        return tuple(as_stored(kind, v, depth + 1) for v in value)
    return value


@given(st.lists(events, min_size=1, max_size=3))
def test_stored_events_read_back_as_given(records: list[tuple[EventInfo, ...]]) -> None:
    items: list[Any] = ["something stored before"]
    starts = [_store_events(items, record) for record in records]
    for at, record in zip(starts, records, strict=True):
        assert _load_events(items, at) == tuple(
            EventInfo(e.kind, {k: as_stored(e.kind, v) for k, v in e.detail.items()})
            for e in record)


def test_a_stored_response_adds_only_strings_and_numbers() -> None:
    head = EventInfo("Response", {"status_code": 200, "reason": "OK", "http_version": "1.1",
                                  "headers": (("Server", "x"), ("Content-Length", "2")),
                                  "synthesised": True})
    body = EventInfo("Data", {"length": 2, "chunk_start": False, "chunk_end": False})
    items: list[Any] = []
    at = _store_events(items, (head, body))
    assert not any(gc.is_tracked(item) for item in items)  # (tuples, dicts, lists would be)
    assert all(type(item) not in (tuple, list, dict) for item in items)
    assert _load_events(items, at) == (head, body)
