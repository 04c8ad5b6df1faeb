"""Shared fixtures for the text-environment tests (real bubblewrap sandbox)."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from specgym.envs.text.sandbox import BwrapBackend, SandboxLimits

requires_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="needs bubblewrap: apt-get install bubblewrap"
)


def specgym_temp_entries() -> set[str]:
    """specgym's own entries in the temp folder (other processes may share it)."""
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("specgym")}


@pytest.fixture
def backend() -> BwrapBackend:
    """A backend with short limits so containment tests run fast."""
    return BwrapBackend(SandboxLimits(wall_time_s=2.0, output_bytes=4096, max_processes=32))


@pytest.fixture
def session(backend):
    with backend.start({"notes.txt": "hello\n", "sub/dir/data.txt": "42\n"}) as sess:
        yield sess
