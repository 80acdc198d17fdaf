"""Static checks of the Binder set-up (no Docker here, so no image is built).

repo2docker reads ``binder/`` and then ignores the root ``pyproject.toml``; these tests check the
files it reads, that they install what the notebooks import, and that the README's Binder badge
opens a notebook that exists.  If repo2docker itself is installed, it renders the Dockerfile
(``--no-build``, which needs neither Docker nor the network) as a last check.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
BADGE = re.compile(
    r"\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]"
    r"\((https://mybinder\.org/v2/gh/[^/\s]+/[^/\s]+/[^?\s]+)\?urlpath=lab/tree/([^)\s]+)\)")
# Files that would make repo2docker pick another build pack or override ours.
OVERRIDING = ("environment.yml", "Pipfile", "Pipfile.lock", "Dockerfile", "default.nix",
              "Project.toml", "install.R")


def _lines(path: Path) -> list[str]:
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def _pins() -> dict[str, Requirement]:
    pins = {}
    for line in _lines(BINDER / "requirements.txt"):
        if line == ".":
            continue
        pins[canonicalize_name(Requirement(line).name)] = Requirement(line)
    return pins


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_binder_folder_is_the_only_config_location():
    assert BINDER.is_dir()
    assert not (ROOT / ".binder").exists(), "binder/ and .binder/ together is a repo2docker error"
    for name in OVERRIDING:
        assert not (BINDER / name).exists(), f"binder/{name} would override requirements.txt"
    assert (BINDER / "requirements.txt").is_file()


def test_requirements_parse_and_are_pinned():
    lines = _lines(BINDER / "requirements.txt")
    assert lines, "binder/requirements.txt is empty"
    for line in lines:
        if line == ".":
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:  # pragma: no cover - the assertion message matters
            pytest.fail(f"binder/requirements.txt: {line!r} does not parse: {exc}")
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{line!r} is not pinned with =="


def test_requirements_install_the_package_itself():
    # binder/ hides pyproject.toml from repo2docker: without "." httpexplore is not installed.
    assert "." in _lines(BINDER / "requirements.txt")


def test_pins_cover_what_the_notebooks_need_and_fit_pyproject():
    project = _pyproject()["project"]
    needed = [Requirement(r) for r in project["dependencies"]]
    extras = project["optional-dependencies"]
    for r in extras["lab"]:
        req = Requirement(r)
        if canonicalize_name(req.name) == canonicalize_name(project["name"]):
            needed += [Requirement(x) for extra in req.extras for x in extras[extra]]
        else:
            needed.append(req)
    pins = _pins()
    for req in needed:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} (needed by the notebooks) is not pinned in binder/"
        pinned = Version(next(iter(pins[name].specifier)).version)
        assert req.specifier.contains(pinned, prereleases=True), (
            f"binder pins {req.name}=={pinned}, outside pyproject's {req.specifier}")


def test_runtime_is_a_supported_python():
    runtime = BINDER / "runtime.txt"
    if not runtime.exists():  # optional: repo2docker then picks its default Python
        return
    text = runtime.read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(3\.\d+)", text)
    assert match, f"runtime.txt must read python-3.X, not {text!r}"
    requires = SpecifierSet(_pyproject()["project"]["requires-python"])
    assert requires.contains(Version(match.group(1))), f"{text} is outside {requires}"


def test_readme_badge_opens_an_existing_notebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = BADGE.search(readme)
    assert match, "README.md has no Binder badge with ?urlpath=lab/tree/<notebook>"
    target = ROOT / match.group(2)
    assert target.suffix == ".ipynb", f"the badge opens {match.group(2)}, not a notebook"
    assert target.is_file(), f"the Binder badge opens {match.group(2)}, which does not exist"


def _repo2docker() -> list[str] | None:
    exe = shutil.which("repo2docker")
    if exe:
        return [exe]
    if importlib.util.find_spec("repo2docker") is not None:
        return [sys.executable, "-m", "repo2docker"]
    return None


def test_repo2docker_renders_the_dockerfile(tmp_path):
    command = _repo2docker()
    # jupyter-repo2docker is in the [test] extra: missing, it is a broken setup, not a skip.
    assert command is not None, "repo2docker is not installed (pip install jupyter-repo2docker)"
    # A copy of just what repo2docker looks at keeps it away from .venv and .git.
    shutil.copytree(BINDER, tmp_path / "binder")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run([*command, "--no-build", "--debug", str(tmp_path)],
                            capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    runtime = BINDER / "runtime.txt"
    if runtime.exists():
        version = runtime.read_text(encoding="utf-8").strip().removeprefix("python-")
        assert f"python={version}" in output
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in output
