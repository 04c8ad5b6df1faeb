"""The text helpers' bubblewrap sandbox, plus a read-only pytest for the system python.

The sandbox runs the host's /usr/bin/python3, which has no pytest. `PytestBwrapBackend` starts
the same sessions with one addition: a tmpfs over that python's `/usr/local/.../dist-packages`
into which pytest and its pure-Python dependencies are bound read-only from the environment
specgym runs in. Nothing else of that environment is visible inside the sandbox.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
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
        host = origin.parent if origin.name == "__init__.py" else origin
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
