"""Godot 3.2 (the real engine) and httpexplore, side by side on every demo endpoint.

One run (three engine processes at most, a few seconds) feeds every test here: each difference
must be explained by a rule of ``divergences.py``, and ``docs/godot-parity.md`` must be what
that run writes.
"""

from __future__ import annotations

import gen_parity_doc
import godotkit
import pytest


@pytest.fixture(scope="module")
def run(godot_engine: str) -> gen_parity_doc.Run:
    return gen_parity_doc.collect()


def test_every_difference_is_a_numbered_divergence_or_an_api_difference(
        run: gen_parity_doc.Run) -> None:
    assert [(row.case, row.verdict) for row in run.unexplained()] == []
    # Every case of both comparisons was run.
    ids = [row.case for row in run.rows]
    assert ids == [c.id for c in godotkit.all_cases()] + [c.id for c in godotkit.REQUEST_CASES]


def test_the_tutorial_agrees_on_the_seed_page(run: gen_parity_doc.Run) -> None:
    # The issue's own observation: the engine reads the tutorial's page in full, chunked.
    row = next(row for row in run.rows if row.case == "changelog")
    assert row.verdict == "same" and row.godot.startswith("200, 6238 B")


def test_godot_consumes_the_headers_and_httpexplore_does_not(run: gen_parity_doc.Run) -> None:
    # Divergence #7, seen in the engine: has_response() after reading the headers.
    assert len(run.header_reads) > 20
    assert all(godot is False and ours is True for _, godot, ours in run.header_reads)


def test_parity_doc_is_current(run: gen_parity_doc.Run) -> None:
    expected = gen_parity_doc.render(run)
    actual = gen_parity_doc.DOC.read_text(encoding="utf-8")
    assert actual == expected, (
        "docs/godot-parity.md is stale: run .venv/bin/python tests/godot/gen_parity_doc.py")
