"""Gymnasium id of the real procgen maze (registered even when procgen2 is not installed)."""

from __future__ import annotations

import gymnasium as gym


def register_procgen_envs() -> dict[str, str]:
    gym.register(
        id="specgym/ProcgenMaze-v0",
        entry_point="specgym.envs.maze.env:MazeEnv",
        vector_entry_point="specgym.envs.maze.vector:MazeVectorEnv",
        kwargs={"engine": "procgen"},
    )
    return {
        "specgym/ProcgenMaze-v0": "procgen's real maze (procgen2) behind Maze-v0's API: state "
        "editing through procgen's serialized state, cheese_region=n, step-for-step parity "
        '(pip install "specgym[procgen]")',
    }
