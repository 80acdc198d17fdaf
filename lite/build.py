"""Build the JupyterLite site into ``_lite/site`` (``make lite`` runs it with ``.lite-venv``).

Everything comes from the registries available to the project: the Pyodide core from the npm
``pyodide`` package (the same pinned core tests/pyodide runs), every Python package the kernel
or the notebooks import as a wheel from PyPI, and the JupyterLite toolchain from
``lite/requirements.txt``.  At run time the site fetches nothing from anywhere but itself.

Steps (docs/lite.md says why):

1. Stage a lite dir in ``_lite/src``: ``lite/jupyter-lite.json``, and the Pyodide core in its
   well-known place ``static/pyodide`` (the kernel addon copies it and points the kernel at it).
2. Rewrite the core's ``pyodide-lock.json``: the pure-Python packages the kernel loads from
   it (micropip, IPython and its dependencies, ...) get the PyPI wheel of exactly the locked
   version, with its sha256; ``ssl`` and ``sqlite3`` (compiled Pyodide packages, not on any
   registry here) become empty stubs so the kernel's unconditional install of them succeeds
   while ``import ssl`` still fails as it should (``sqlite3`` holds a stand-in module that
   lets IPython start and refuses to open a database); httpexplore, h11, ipywidgets and their
   dependencies are added; entries whose file the site does not ship are dropped, so asking
   for them fails with a plain "not found" instead of a request to a missing file.
3. ``jupyter lite build`` with the notebooks as contents (multi-line strings joined, see
   :func:`stage_notebooks`).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LITE = ROOT / "lite"
WORK = ROOT / "_lite"

# Lockfile packages the kernel (or IPython) loads; replaced by PyPI's wheel of the same version.
FROM_LOCKFILE = (
    "micropip", "packaging", "traitlets", "ipython", "asttokens", "decorator", "executing",
    "matplotlib-inline", "prompt-toolkit", "pure-eval", "pygments", "six", "stack-data",
    "wcwidth", "jedi", "parso", "typing-extensions",
)
# Compiled modules split out of Pyodide's standard library; the kernel installs them
# unconditionally.  Not available from any registry here, so they become empty stubs.
STUBS = ("ssl", "sqlite3")
# IPython imports sqlite3 unconditionally: that stub holds a stand-in module (see its docstring).
STANDINS = {"sqlite3": "sqlite3_standin.py"}
# Core files the site needs (the npm package also has docs, typings and source maps).
CORE_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm",
              "python_stdlib.zip", "package.json")


def _load_core_module() -> object:
    spec = importlib.util.spec_from_file_location("pyodide_core", ROOT / "tests/pyodide/core.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(command: list[str], **kwargs: object) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _site_pins() -> dict[str, str]:
    """``lite/site-packages.txt``: name==version of the packages added to the lockfile."""
    pins = {}
    for line in (LITE / "site-packages.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_normalize(name)] = version
    return pins


def _download(requirements: list[str], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
          "--only-binary=:all:", "--python-version", "3.12", "--implementation", "py",
          "--abi", "none", "--platform", "any", "-d", str(dest), *requirements])


def _wheel_for(name: str, wheelhouse: Path) -> Path:
    want = _normalize(name)
    found = [p for p in wheelhouse.glob("*.whl") if _normalize(p.name.split("-")[0]) == want]
    if len(found) != 1:
        raise SystemExit(f"expected one wheel for {name} in {wheelhouse}, found {found}")
    return found[0]


def _top_level(wheel: Path) -> list[str]:
    """Importable top-level names of a pure wheel (its packages and modules)."""
    names = set()
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            head = member.split("/")[0]
            if head.endswith((".dist-info", ".data")):
                continue
            names.add(head[:-3] if head.endswith(".py") else head)
    return sorted(names)


def _kernel_wheel(prefix: str) -> Path:
    static = (Path(sys.prefix) / "share/jupyter/labextensions/@jupyterlite"
              / "pyodide-kernel-extension/static/pypi")
    found = sorted(static.glob(f"{prefix}*.whl"))
    if not found:
        raise SystemExit(f"no {prefix} wheel in {static}")
    return found[-1]


def patch_lockfile(pyodide_dir: Path, wheelhouse: Path, added: dict[str, list[str]]) -> None:
    """Rewrite ``pyodide-lock.json`` in ``pyodide_dir`` as the module docstring says.

    ``added`` maps each new package to its lockfile dependencies.
    """
    lock_path = pyodide_dir / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    packages = lock["packages"]
    for name in FROM_LOCKFILE:
        entry = packages[name]
        wheel = _wheel_for(name, wheelhouse)
        shutil.copy2(wheel, pyodide_dir / wheel.name)
        entry.update(file_name=wheel.name, sha256=_sha256(wheel), unvendored_tests=False)
    for name in STUBS:
        stub = pyodide_dir / f"{name}-unavailable-stub.zip"
        with zipfile.ZipFile(stub, "w") as archive:
            if name in STANDINS:
                archive.write(LITE / STANDINS[name], f"{name}/__init__.py")
        packages[name].update(file_name=stub.name, sha256=_sha256(stub), depends=[],
                              imports=[], shared_library=False)
    for name, depends in added.items():
        wheel = _wheel_for(name, wheelhouse)
        shutil.copy2(wheel, pyodide_dir / wheel.name)
        packages[name] = {
            "name": name, "version": wheel.name.split("-")[1], "file_name": wheel.name,
            "install_dir": "site", "sha256": _sha256(wheel), "package_type": "package",
            "imports": _top_level(wheel), "depends": depends, "unvendored_tests": False,
            "shared_library": False,
        }
    shipped = {name: entry for name, entry in packages.items()
               if (pyodide_dir / entry["file_name"]).is_file()}
    # Pyodide normalises names when it resolves dependencies ("prompt_toolkit").
    missing = ({_normalize(dep) for entry in shipped.values() for dep in entry["depends"]}
               - {_normalize(name) for name in shipped})
    if missing:
        raise SystemExit(f"lockfile dependencies not shipped: {sorted(missing)}")
    lock["packages"] = shipped
    lock_path.write_text(json.dumps(lock, indent=1, sort_keys=True))


def stage_notebooks(dest: Path) -> None:
    """Copy ``notebooks/`` (every ``.ipynb``, folders kept) with each multi-line string joined.

    nbformat allows a cell's source (and text outputs) as a list of lines, which is how the
    repository stores them; JupyterLite serves the files as they are, and its front end
    expects strings (a list makes the notebook open empty, "split is not a function").
    """
    def join(value: object) -> object:
        return "".join(value) if isinstance(value, list) else value

    for source in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        nb = json.loads(source.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            cell["source"] = join(cell["source"])
            for output in cell.get("outputs", []):
                if "text" in output:
                    output["text"] = join(output["text"])
                for key, value in output.get("data", {}).items():
                    if not key.endswith("json"):
                        output["data"][key] = join(value)
        target = dest / source.relative_to(ROOT / "notebooks")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=WORK / "site")
    args = parser.parse_args()

    core = _load_core_module().install_core()  # type: ignore[attr-defined]
    src, wheelhouse, contents = WORK / "src", WORK / "wheels", WORK / "contents"
    for folder in (src, wheelhouse, contents, args.output):
        shutil.rmtree(folder, ignore_errors=True)
    pyodide_dir = src / "static" / "pyodide"
    pyodide_dir.mkdir(parents=True)
    for name in (*CORE_FILES, "pyodide-lock.json"):
        shutil.copy2(core / name, pyodide_dir / name)
    shutil.copy2(LITE / "jupyter-lite.json", src / "jupyter-lite.json")

    lock = json.loads((core / "pyodide-lock.json").read_text())["packages"]
    pins = _site_pins()
    _download([f"{lock[name]['name']}=={lock[name]['version']}" for name in FROM_LOCKFILE]
              + [f"{name}=={version}" for name, version in pins.items()], wheelhouse)
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheelhouse),
          str(ROOT)])
    shutil.copy2(_kernel_wheel("widgetsnbextension-4."), wheelhouse)
    added = {
        "h11": [],
        "comm": ["traitlets"],
        "jupyterlab-widgets": [],
        "widgetsnbextension": [],
        "ipywidgets": ["comm", "traitlets", "ipython", "widgetsnbextension",
                       "jupyterlab-widgets"],
        "httpexplore": ["h11", "ipywidgets"],
    }
    missing_pins = set(added) - set(pins) - {"httpexplore", "widgetsnbextension"}
    if missing_pins:
        raise SystemExit(f"lite/site-packages.txt lacks {sorted(missing_pins)}")
    patch_lockfile(pyodide_dir, wheelhouse, added)

    stage_notebooks(contents)
    _run([sys.executable, "-m", "jupyter", "lite", "build", "--lite-dir", str(src),
          "--output-dir", str(args.output.resolve()), "--contents", str(contents),
          "--apps", "lab", "--apps", "notebooks",
          "--apps", "tree", "--no-sourcemaps", "--no-unused-shared-packages"], cwd=src)
    size = sum(p.stat().st_size for p in args.output.rglob("*") if p.is_file())
    print(f"site: {args.output} ({size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
