"""``docs/malformed.md`` is generated from the same case list the tests use; it must be current.
Regenerate with ``.venv/bin/python tests/robustness/gen_malformed_doc.py``."""

from __future__ import annotations

import gen_malformed_doc
from malformed_cases import CASES


def test_malformed_doc_is_current() -> None:
    expected = gen_malformed_doc.render()
    actual = gen_malformed_doc.DOC.read_text(encoding="utf-8")
    assert actual == expected, (
        "docs/malformed.md is stale: run .venv/bin/python tests/robustness/gen_malformed_doc.py")


def test_malformed_doc_lists_every_case_with_its_message() -> None:
    text = gen_malformed_doc.DOC.read_text(encoding="utf-8")
    for case in CASES:
        assert f"| `{case.name}` |" in text
    assert text.count("| CONNECTION_ERROR |") == sum(c.kind != "tolerated" for c in CASES)
