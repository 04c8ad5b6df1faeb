"""The text helpers' bubblewrap sandbox, plus a read-only pytest for the system python.

The sandbox runs the host's /usr/bin/python3, which has no pytest. `PytestBwrapBackend` starts
the same sessions with one addition: a tmpfs over that python's `/usr/local/.../dist-packages`
into which pytest and its pure-Python dependencies are bound read-only from the environment
specgym runs in. Nothing else of that environment is visible inside the sandbox.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from specgym.envs.text.sandbox import BwrapBackend, BwrapSession, FileTree, SandboxLimits

# pytest and what it imports (pygments for its terminal writer); all pure Python.
PYTEST_PACKAGES = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py")
SYSTEM_PYTHON = "/usr/bin/python3"


@functools.lru_cache(maxsize=1)
def system_site_dir() -> str:
    """The first `/usr/local/lib/pythonX.Y/dist-packages` of the sandbox's python."""
    version = subprocess.run(
        [SYSTEM_PYTHON, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    return f"/usr/local/lib/python{version}/dist-packages"


@functools.lru_cache(maxsize=1)
def staging_dir() -> Path:
    """A world-readable folder for the pytest copies.

    The sandbox runs as `nobody`, which cannot read a virtual environment inside a private
    folder (a clone in `mktemp -d`, a home with mode 700), so the packages are copied once per
    process to a folder everyone can read, and bound from there.
    """
    folder = Path(tempfile.mkdtemp(prefix="specgym-pytest-"))
    folder.chmod(0o755)
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _world_readable_copy(host: Path) -> Path:
    target = staging_dir() / host.name
    if not target.exists():
        if host.is_dir():
            shutil.copytree(host, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(host, target)
        for path in [target, *target.rglob("*")] if target.is_dir() else [target]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    return target


@functools.lru_cache(maxsize=1)
def pytest_binds() -> tuple[tuple[str, str], ...]:
    """(host path, sandbox path) of each pytest package, found through this process's imports."""
    site = system_site_dir()
    binds = []
    for name in PYTEST_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            if name in ("pytest", "_pytest", "pluggy"):
                raise RuntimeError(f"pytest grading needs the {name!r} package installed")
            continue
        origin = Path(spec.origin)
        host = _world_readable_copy(origin.parent if origin.name == "__init__.py" else origin)
        binds.append((str(host), f"{site}/{host.name}"))
    return tuple(binds)


class PytestBwrapSession(BwrapSession):
    """A `BwrapSession` whose system python can `import pytest`."""

    def _argv(self) -> list[str]:
        argv = super()._argv()
        extra = ["--tmpfs", system_site_dir()]
        for host, inside in pytest_binds():
            extra += ["--ro-bind", host, inside]
        at = argv.index("--clearenv") if "--clearenv" in argv else argv.index(SYSTEM_PYTHON)
        return argv[:at] + extra + argv[at:]


class PytestBwrapBackend(BwrapBackend):
    """`BwrapBackend` whose sessions have pytest available to `python3`."""

    name = "bwrap+pytest"

    def __init__(self, limits: SandboxLimits | None = None, bwrap_path: str | None = None):
        super().__init__(limits, bwrap_path)
        if not os.path.exists(system_site_dir().rsplit("/", 1)[0]):
            raise RuntimeError(f"{system_site_dir()} has no parent folder to mount pytest into")

    def start(self, files: FileTree, home: str = "/home/user") -> PytestBwrapSession:
        return PytestBwrapSession(self.bwrap_path, self.limits, files, home)
