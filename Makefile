# The commands people type.  Both `make lab` and `make test` create .venv on first use and are
# cheap to run again: installs are redone only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Strict nbval on notebooks/ only (the browser tests' own notebooks are fixtures, not lessons).
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg \
	--nbval-cell-timeout=120 --ignore=tests/browser/notebooks

.PHONY: lab test test-fast bench bench-smoke lint notebooks pyodide-core lite serve-lite clean

# The JupyterLite site's own toolchain, in its own venv (never .venv): see docs/lite.md.
LITE_VENV := .lite-venv
LITE_SITE := _lite/site

# Debian's python3 without the python3-venv package cannot make a venv with pip in it; then the
# system pip installs pip into a pip-less venv (pip >= 22.3 knows --python).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV) && $(PYTHON) -m venv --without-pip $(VENV) \
		&& $(PYTHON) -m pip --python $(BIN)/python install --quiet pip; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.lab-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[lab]'
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.lab-installed

## lab: JupyterLab on notebooks/ (each notebook starts its own loopback demo server)
lab: $(VENV)/.lab-installed
	$(BIN)/httpexplore lab

## test: the whole suite: unit and live tests, strict nbval on every notebook, browser tests
## (including the JupyterLite site, built first by `make lite`)
test: $(VENV)/.test-installed
	@# Without npm the site cannot be built: its browser test then skips (and fails in CI).
	-$(MAKE) --no-print-directory lite
	$(BIN)/python -m pytest tests notebooks $(NBVAL)

## test-fast: everything but the browser tests and notebooks
test-fast: $(VENV)/.test-installed
	$(BIN)/python -m pytest tests -m "not browser"

## bench: the full benchmark (several minutes; prints a table with every goal met or not)
bench: $(VENV)/.test-installed
	$(BIN)/python -m benchmarks.run

bench-smoke: $(VENV)/.test-installed
	$(BIN)/python -m benchmarks.run --smoke

lint: $(VENV)/.test-installed
	$(BIN)/ruff check httpexplore tests benchmarks
	$(BIN)/mypy

## notebooks: re-execute every notebook in place so stored outputs are real
notebooks: $(VENV)/.test-installed
	$(BIN)/python -m tests.tools.run_notebooks

## pyodide-core: the npm Pyodide core that tests/pyodide runs the tutorial in (into .cache/;
## the test installs it on first use too; needs node and npm)
pyodide-core: $(VENV)/.test-installed
	$(BIN)/python -m tests.pyodide.core

$(LITE_VENV)/.installed: lite/requirements.txt
	$(PYTHON) -m venv $(LITE_VENV) || { rm -rf $(LITE_VENV) && $(PYTHON) -m venv --without-pip \
		$(LITE_VENV) && $(PYTHON) -m pip --python $(LITE_VENV)/bin/python install --quiet pip; }
	$(LITE_VENV)/bin/python -m pip install --quiet -r lite/requirements.txt
	touch $@

# Rebuilt when the package, the notebooks or the site's configuration change.
$(LITE_SITE)/index.html: $(LITE_VENV)/.installed pyproject.toml $(wildcard lite/*) \
		$(shell find httpexplore notebooks -name '*.py' -o -name '*.ipynb' 2>/dev/null)
	$(LITE_VENV)/bin/python lite/build.py --output $(LITE_SITE)
	touch $@  # the build copies index.html with its packaged (old) time stamp

## lite: the static JupyterLite site in _lite/site (notebooks, httpexplore, Pyodide; needs npm)
lite: $(LITE_SITE)/index.html

## serve-lite: serve the built site on http://127.0.0.1:8000/ (any static file server will do)
serve-lite: lite
	$(PYTHON) -m http.server --bind 127.0.0.1 --directory $(LITE_SITE) 8000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .cache $(LITE_VENV) _lite
