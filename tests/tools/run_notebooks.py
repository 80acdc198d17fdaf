"""Re-execute every notebook in place, so that the outputs stored in them are real.

Usage::

    python -m tests.tools.run_notebooks                 # every notebook under notebooks/
    python -m tests.tools.run_notebooks notebooks/03-chunked-encoding.ipynb -j 1

Strict nbval (``make test``) compares the stored outputs with a fresh run, so the stored outputs
must come from the same kind of headless run: this script executes each notebook with nbclient,
in a kernel started from this interpreter, with the notebook's folder as working directory (as
nbval does), and writes the notebook back only if every cell succeeded.

Cells follow nbval's markers, read with nbval's own parser so the two never disagree:

* ``# NBVAL_SKIP`` (or tag ``nbval-skip``/``skip-execution``): never executed; the stored cell is
  left unexecuted (``execution_count: null``, no outputs), which nbval does not compare.  This
  is how cells that would reach the internet are kept out of generated outputs.
* ``# NBVAL_RAISES_EXCEPTION`` (or tag ``raises-exception``): an error is expected and stored.

Widgets: a cell that displays one must be ``# NBVAL_IGNORE_OUTPUT`` (its display carries a new
model id every run).  Only the display's text form is stored: no widget view and no widget state.
A stored view without its state reads "Error displaying widget: model not found" when the
notebook is reopened, and the state (hundreds of KiB, new ids every run) would make every run a
large diff; the text form (the widget's ``repr``) reads well on a static page, and running the
cell brings the live widget back.

Anything else that goes wrong fails loudly (exit status 1, the cell and its traceback printed):
an unexpected exception, a cell timeout, a dead kernel, output on stderr (warnings would make
the stored outputs differ from the next run), or a widget display in a checked cell.  Each
notebook's run time is printed.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 120  # seconds, the same as the Makefile's --nbval-cell-timeout
STARTUP_TIMEOUT = 60

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_SKIP_TAGS = frozenset({"nbval-skip", "skip-execution"})
_RAISES_TAGS = frozenset({"nbval-raises-exception", "raises-exception"})


def cell_options(cell: Any) -> dict[str, Any]:
    """nbval's options for a code cell (``skip``, ``check``, ``check_exception``), read with
    nbval's own marker parser; metadata tags first, comments win (as in nbval)."""
    from nbval.plugin import find_comment_markers, find_metadata_tags

    options: dict[str, Any] = dict(find_metadata_tags(cell.get("metadata", {})))
    options.update(find_comment_markers(cell.source))
    tags = set(cell.get("metadata", {}).get("tags", []))
    if tags & _SKIP_TAGS:
        options["skip"] = True
    if tags & _RAISES_TAGS:
        options["check_exception"] = True
    return options


def find_notebooks(paths: list[str] | None = None) -> list[Path]:
    """The notebooks to run: the given files/folders, or everything under ``notebooks/``."""
    roots = [Path(p).resolve() for p in paths] if paths else [NOTEBOOKS]
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
            continue
        if not root.is_dir():
            raise SystemExit(f"run_notebooks: no such notebook or folder: {root}")
        found += [p for p in sorted(root.rglob("*.ipynb"))
                  if ".ipynb_checkpoints" not in p.parts]
    if not found:
        raise SystemExit(f"run_notebooks: no notebooks under {', '.join(map(str, roots))}")
    return found


class _Client(NotebookClient):
    """nbclient, plus nbval's skip and raises-exception markers (comments and tags).

    With ``run_skipped`` the ``NBVAL_SKIP`` cells run too, as Run All in JupyterLab runs them
    (the Run All test; outputs are then not written back)."""

    run_skipped = False

    async def async_execute_cell(self, cell: Any, cell_index: int,
                                 execution_count: int | None = None,
                                 store_history: bool = True) -> Any:
        if cell.cell_type != "code":
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        options = cell_options(cell)
        if options.get("skip") and not self.run_skipped:
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
            return cell
        allow = self.allow_errors
        self.allow_errors = bool(options.get("check_exception")) or allow
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        finally:
            self.allow_errors = allow


@dataclass
class Outcome:
    path: Path
    seconds: float
    error: str = ""
    notebook: Any = None  # the executed notebook, with its outputs


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _problems(nb: Any) -> list[str]:
    """Outputs that would make strict nbval fail on the next run."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        options = cell_options(cell)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr" \
                    and not options.get("check_exception"):
                text = "".join(out.get("text", ""))
                problems.append(f"cell {index} wrote to stderr:\n{text.rstrip()}")
            if WIDGET_VIEW in out.get("data", {}) and options.get("check", True):
                problems.append(f"cell {index} displays a widget but lacks # NBVAL_IGNORE_OUTPUT:"
                                f"\n{cell.source[:300]}")
    return problems


def _sanitizers() -> list[tuple[str, str]]:
    from nbval.plugin import get_sanitize_patterns

    return get_sanitize_patterns((NOTEBOOKS / "sanitize.cfg").read_text(encoding="utf-8"))


def _keep_widget_text_only(nb: Any) -> None:
    """Drop widget views (their text/plain form and static HTML copy stay) and any stored
    widget state.  The static copy (``Inspector.static_html()``) shows ports and dates: they
    are replaced as nbval's sanitizers replace them, so a re-run changes the file only where
    what the panel showed changed."""
    nb.metadata.pop("widgets", None)
    patterns = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW in data and len(data) > 1:
                del data[WIDGET_VIEW]
                if "text/html" in data:
                    patterns = patterns if patterns is not None else _sanitizers()
                    page = "".join(data["text/html"])
                    for regex, replace in patterns:  # "<PORT>" as text, not as a tag
                        page = re.sub(regex, html.escape(replace, quote=False), page)
                    data["text/html"] = page


def run_one(path: Path, write: bool = True, *, run_skipped: bool = False,
            extra_cells: tuple[str, ...] = ()) -> Outcome:
    """Execute one notebook; write it back if everything succeeded.

    ``run_skipped`` runs the ``NBVAL_SKIP`` cells too (like Run All); ``extra_cells`` are
    appended to the notebook and run after it (checks of the state it leaves).  Either one
    means the notebook is not written back."""
    started = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    if run_skipped or extra_cells:
        write = False
        nb.cells.extend(nbformat.v4.new_code_cell(code) for code in extra_cells)
    client = _Client(
        nb,
        timeout=CELL_TIMEOUT,
        startup_timeout=STARTUP_TIMEOUT,
        kernel_name="python3",  # jupyter_client runs "python" as this interpreter
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # no timestamps in cell metadata: stable files, small diffs
        store_widget_state=False,  # see the module docstring
        allow_errors=False,
    )
    client.run_skipped = run_skipped
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        return Outcome(path, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
    except Exception:  # kernel start-up and the like: report, don't hide
        return Outcome(path, time.perf_counter() - started, traceback.format_exc())
    seconds = time.perf_counter() - started
    problems = _problems(nb)
    if problems:
        return Outcome(path, seconds, "\n\n".join(problems), nb)
    _keep_widget_text_only(nb)
    if write:
        nbformat.validate(nb)
        nbformat.write(nb, path)
    return Outcome(path, seconds, notebook=nb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.run_notebooks",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: notebooks/)")
    parser.add_argument("-j", "--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="notebooks run at once, each in its own kernel (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true",
                        help="execute and check, but do not write the notebooks back")
    args = parser.parse_args(argv)
    paths = find_notebooks(args.paths)
    wall = time.perf_counter()
    outcomes: list[Outcome] = []
    print(f"Executing {len(paths)} notebook(s), {args.jobs} at a time...", flush=True)
    if args.jobs <= 1:
        for path in paths:
            outcomes.append(run_one(path, not args.dry_run))
            _report(outcomes[-1])
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(run_one, path, not args.dry_run) for path in paths]
            for future in as_completed(futures):
                outcomes.append(future.result())
                _report(outcomes[-1])
    failed = [o for o in outcomes if o.error]
    print(f"\n{'notebook':<48} {'seconds':>8}")
    for outcome in sorted(outcomes, key=lambda o: o.path):
        mark = "  FAILED" if outcome.error else ""
        print(f"{_rel(outcome.path):<48} {outcome.seconds:8.1f}{mark}")
    print(f"{len(outcomes) - len(failed)} ok, {len(failed)} failed, "
          f"{time.perf_counter() - wall:.1f} s wall time")
    if failed:
        for outcome in failed:
            print(f"\n===== {_rel(outcome.path)} FAILED (not written) =====\n{outcome.error}",
                  file=sys.stderr)
        return 1
    return 0


def _report(outcome: Outcome) -> None:
    state = "FAILED" if outcome.error else "ok"
    print(f"  {state:<6} {outcome.seconds:6.1f} s  {_rel(outcome.path)}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
