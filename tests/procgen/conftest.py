"""Fixtures for the procgen bridge tests (skipped when procgen2 is not installed)."""

from __future__ import annotations

import contextlib
import io

import gymnasium as gym
import pytest

with contextlib.redirect_stderr(io.StringIO()):  # old gym's import banner
    procgen = pytest.importorskip("procgen")

import specgym  # noqa: E402,F401
from specgym.envs.maze.procgen_registry import register_procgen_envs  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def procgen_id():
    if "specgym/ProcgenMaze-v0" not in gym.registry:
        register_procgen_envs()
    return "specgym/ProcgenMaze-v0"


def raw_maze(num: int, seed: int, difficulty: str = "hard", num_threads: int = 2):
    """A plain procgen maze ProcgenGym3Env (no specgym code in the loop)."""
    return procgen.ProcgenGym3Env(
        num=num, env_name="maze", distribution_mode=difficulty, num_threads=num_threads,
        rand_seed=seed,
    )
