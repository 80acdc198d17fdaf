"""Static checks of the stored notebooks: the rules that keep strict nbval meaningful.

nbval (``pytest notebooks --nbval``) re-runs each notebook and compares outputs.  These tests
check what nbval cannot: that the stored outputs come from one complete top-to-bottom run
(``make notebooks``), that cells which reach the internet are marked and were never run, that
checked cells avoid the widget patterns nbval cannot compare, and that the French tutorial runs
the same code as the English one.  They read files only, so they are fast.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import find_comment_markers, find_metadata_tags, get_sanitize_patterns

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = [
    "01-tutorial.ipynb",
    "02-inspector-tour.ipynb",
    "03-chunked-encoding.ipynb",
    "04-keep-alive.ipynb",
    "05-when-things-go-wrong.ipynb",
    "06-tls.ipynb",
    "07-async-polling.ipynb",
    "08-timings-and-har.ipynb",
    "09-httprequest.ipynb",
    "fr/01-tutoriel.ipynb",
    "fr/09-httprequest.ipynb",
]
ALL = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Patterns nbval cannot compare in a checked cell (NOTEBOOKS.md: observed behaviour).
UNCOMPARABLE = [
    (re.compile(r"\bclear_output\s*\("), "clear_output()"),
    (re.compile(r"display_id\s*="), "display(..., display_id=...) updates"),
    (re.compile(r"\bupdate_display\s*\("), "update_display()"),
    (re.compile(r"with\s+[\w.]*[Oo]utput\s*\("), "capturing into an Output widget"),
    (re.compile(r"\.capture\s*\("), "Output.capture()"),
]
# A host name that is not loopback and not reserved for documentation/failure (RFC 6761, 2606).
_REMOTE = re.compile(
    r"""(?:https?://|connect_to_host\(\s*["'])(?!127\.|localhost|\[::1\]|["'])"""
    r"""([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)""")
_RESERVED = (".invalid", ".test", ".example", "example.com", "example.org", "example.net")
_DOCUMENTATION_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")  # RFC 5737: never routed


def _id(path: Path) -> str:
    return str(path.relative_to(NOTEBOOKS))


def _options(cell) -> dict:
    options = dict(find_metadata_tags(cell.get("metadata", {})))
    options.update(find_comment_markers(cell.source))
    return options


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(params=ALL, ids=_id)
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_every_expected_notebook_exists():
    missing = [name for name in EXPECTED if not (NOTEBOOKS / name).is_file()]
    assert not missing, f"missing notebooks: {missing}"


def test_notebook_is_valid_and_uses_the_python3_kernel(notebook):
    path, nb = notebook
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", path.name
    assert nb.cells and nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source.startswith("# "), "the first cell should hold the title"


def test_outputs_come_from_one_complete_run(notebook):
    """Every checked cell was executed, in order, by one kernel (``make notebooks``)."""
    path, nb = notebook
    counts = []
    for cell in _code_cells(nb):
        if _options(cell).get("skip"):
            continue
        assert cell.execution_count is not None, (
            f"{path.name}: a cell was never executed; run `make notebooks`:\n{cell.source[:200]}")
        counts.append(cell.execution_count)
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..n: re-run `make notebooks`")


def test_skipped_cells_were_never_run(notebook):
    """NBVAL_SKIP cells stay unexecuted: nothing from the internet is stored or compared."""
    path, nb = notebook
    for cell in _code_cells(nb):
        if _options(cell).get("skip"):
            assert cell.execution_count is None and not cell.outputs, (
                f"{path.name}: an NBVAL_SKIP cell has stored outputs:\n{cell.source[:200]}")


def test_no_errors_or_stderr_in_stored_outputs(notebook):
    path, nb = notebook
    for cell in _code_cells(nb):
        if _options(cell).get("check_exception"):
            continue
        for out in cell.outputs:
            assert out.output_type != "error", (
                f"{path.name}: stored error {out.get('ename')}: {out.get('evalue')}")
            assert not (out.output_type == "stream" and out.name == "stderr"), (
                f"{path.name}: stderr output (warnings differ from run to run):\n{out.text[:300]}")


def test_only_skipped_cells_reach_the_network(notebook):
    path, nb = notebook
    for cell in _code_cells(nb):
        hosts = [h for h in _REMOTE.findall(cell.source)
                 if not h.endswith(_RESERVED) and not h.startswith(_DOCUMENTATION_NETS)]
        if hosts:
            assert _options(cell).get("skip"), (
                f"{path.name}: a cell contacting {hosts} must be marked # NBVAL_SKIP")


def test_each_notebook_starts_its_own_loopback_server(notebook):
    path, nb = notebook
    code = "\n".join(c.source for c in _code_cells(nb))
    assert "DemoServer(" in code, f"{path.name} does not start a DemoServer"


def test_no_widget_views_or_state_are_stored(notebook):
    """``make notebooks`` keeps a widget display's text form only: a stored widget view without
    its state reads "Error displaying widget: model not found" when the notebook is reopened,
    and stored state (hundreds of KiB, new ids every run) would make every run a large diff.
    (It also checks, while executing, that widget-display cells are # NBVAL_IGNORE_OUTPUT.)"""
    path, nb = notebook
    assert "widgets" not in nb.metadata, f"{path.name}: widget state stored in metadata"
    for cell in _code_cells(nb):
        for out in cell.outputs:
            assert WIDGET_VIEW not in out.get("data", {}), (
                f"{path.name}: a stored widget view:\n{cell.source[:200]}")


def test_checked_cells_avoid_what_nbval_cannot_compare(notebook):
    path, nb = notebook
    for cell in _code_cells(nb):
        if _options(cell).get("check") is False or _options(cell).get("skip"):
            continue
        for pattern, what in UNCOMPARABLE:
            assert not pattern.search(cell.source), (
                f"{path.name}: {what} in a checked cell fails strict nbval:\n{cell.source[:200]}")


def test_no_timestamps_in_cell_metadata(notebook):
    path, nb = notebook
    for cell in nb.cells:
        assert "execution" not in cell.get("metadata", {}), (
            f"{path.name}: nbclient timing metadata makes every run a diff")


def test_notebooks_mentioned_in_text_exist(notebook):
    path, nb = notebook
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for name in set(re.findall(r"\b0\d-[a-z0-9-]+\.ipynb\b", text)):
        assert (NOTEBOOKS / name).is_file() or (path.parent / name).is_file(), (
            f"{path.name} mentions {name}, which does not exist")


def test_french_tutorial_runs_the_same_code():
    english = nbformat.read(NOTEBOOKS / "01-tutorial.ipynb", as_version=4)
    french = nbformat.read(NOTEBOOKS / "fr" / "01-tutoriel.ipynb", as_version=4)
    assert [c.source for c in _code_cells(french)] == [c.source for c in _code_cells(english)]
    assert french.metadata.get("language_info", {}).get("name") == "python"


def test_sanitize_file_is_well_formed():
    text = (NOTEBOOKS / "sanitize.cfg").read_text(encoding="utf-8")
    patterns = get_sanitize_patterns(text)  # nbval's own reader
    assert len(patterns) == len(re.findall(r"^regex:", text, flags=re.MULTILINE)), (
        "every 'regex:' line must be followed directly by a 'replace:' line")
    assert patterns
    for regex, replace in patterns:
        compiled = re.compile(regex)
        compiled.sub(replace, "")  # the replacement's group references must exist


@pytest.mark.parametrize(("text", "expected"), [
    ("Host: 127.0.0.1:54321", "Host: 127.0.0.1:<PORT>"),
    ("http://localhost:8080/x", "http://localhost:<PORT>/x"),
    ("('127.0.0.1', 41169)", "('127.0.0.1', <PORT>)"),
    ("'127.0.0.1' port 41169 (tried", "'127.0.0.1' port <PORT> (tried"),
    ("port 443", "port 443"),
    ("Date: Wed, 26 Nov 2025 03:31:00 GMT", "Date: <DATE>"),
    ("2025-11-26T03:31:00.123456+00:00", "<DATETIME>"),
    ("wait 0.412 ms", "wait <MS>"),
    ("<object at 0x7f3a2c1b9e50>", "<object at 0x<ADDRESS>>"),
])
def test_sanitizers_replace_what_varies(text, expected):
    patterns = get_sanitize_patterns((NOTEBOOKS / "sanitize.cfg").read_text(encoding="utf-8"))
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    assert text == expected


def test_stored_inspector_displays_carry_a_sanitised_static_copy(notebook):
    """On GitHub or nbviewer a stored widget display shows its static HTML copy (issue #13);
    ``make notebooks`` replaces its ports and dates as nbval's sanitizers do, so the stored
    file does not change from run to run for that reason alone."""
    path, nb = notebook
    for cell in _code_cells(nb):
        for out in cell.outputs:
            text = "".join(out.get("data", {}).get("text/plain", ""))
            if not text.startswith("<Inspector"):
                continue
            page = "".join(out["data"].get("text/html", ""))
            assert 'class="hx-static"' in page, f"{path.name}: no static copy:\n{cell.source}"
            assert not re.search(r"127\.0\.0\.1:\d", page), f"{path.name}: a port is stored"
            assert "<PORT>" not in page, f"{path.name}: <PORT> would be read as a tag"
