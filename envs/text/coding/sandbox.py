"""The text tasks' bubblewrap sandbox with a read-only pytest for the system python.

The sandbox runs the host's /usr/bin/python3, which has no pytest. `PytestBwrapBackend` is the
plain `BwrapBackend` with two parameters set: an empty tmpfs over that python's
`/usr/local/.../dist-packages`, and pytest's pure-Python packages (plus the grader's observer
plugin, `observer.py`) bound read-only into it from a world-readable staging copy. Nothing else
of the environment specgym runs in is visible inside the sandbox.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from specgym.envs.text.sandbox import BwrapBackend, SandboxLimits

# pytest and what it imports (pygments for its terminal writer); all pure Python.
PYTEST_PACKAGES = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py")
SYSTEM_PYTHON = "/usr/bin/python3"
OBSERVER_MODULE = "_specgym_observer"
_STAGING_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def system_site_dir() -> str:
    """The first `/usr/local/lib/pythonX.Y/dist-packages` of the sandbox's python."""
    version = subprocess.run(
        [SYSTEM_PYTHON, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    return f"/usr/local/lib/python{version}/dist-packages"


def _stage(sources: dict[str, Path]) -> Path:
    """Copy ``sources`` (name -> host file or folder) into a new world-readable folder.

    The sandbox runs as `nobody`, which cannot read a virtual environment inside a private
    folder (a clone in `mktemp -d`, a home with mode 700). The folder is filled completely
    under a temporary name and renamed into place, so no reader ever sees half a copy.
    """
    building = Path(tempfile.mkdtemp(prefix="specgym-pytest-building-"))
    for name, host in sources.items():
        target = building / name
        if host.is_dir():
            shutil.copytree(host, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(host, target)
    for path in [building, *building.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    final = Path(tempfile.mkdtemp(prefix="specgym-pytest-"))
    final.rmdir()
    os.rename(building, final)
    atexit.register(shutil.rmtree, final, True)
    return final


_STAGED: list[tuple[tuple[str, str], ...]] = []


def pytest_binds() -> tuple[tuple[str, str], ...]:
    """(host path, sandbox path) of pytest's packages and the observer plugin.

    Staged once per process; safe to call from many threads at once.
    """
    with _STAGING_LOCK:
        if _STAGED:
            return _STAGED[0]
        sources: dict[str, Path] = {}
        for name in PYTEST_PACKAGES:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                if name in ("pytest", "_pytest", "pluggy"):
                    raise RuntimeError(f"pytest grading needs the {name!r} package installed")
                continue
            origin = Path(spec.origin)
            host = origin.parent if origin.name == "__init__.py" else origin
            sources[host.name] = host
        sources[f"{OBSERVER_MODULE}.py"] = Path(__file__).with_name("observer.py")
        folder = _stage(sources)
        site = system_site_dir()
        binds = tuple((str(folder / name), f"{site}/{name}") for name in sorted(sources))
        _STAGED.append(binds)
        return binds


class PytestBwrapBackend(BwrapBackend):
    """`BwrapBackend` whose sessions have pytest (and the observer plugin) for `python3`."""

    name = "bwrap+pytest"

    def __init__(self, limits: SandboxLimits | None = None, bwrap_path: str | None = None):
        site = system_site_dir()
        if not os.path.exists(site.rsplit("/", 1)[0]):
            raise RuntimeError(f"{site} has no parent folder to mount pytest into")
        super().__init__(limits, bwrap_path, ro_binds=pytest_binds(), masked_dirs=(site,))
