"""Shared pieces of the sandboxed coding tests."""

from __future__ import annotations

import shutil

import gymnasium as gym
import pytest

import specgym  # noqa: F401 - registers the ids

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")


def make_env(env_id: str = "specgym/CodingTask-v0", **kwargs):
    return gym.make(env_id, **kwargs)
