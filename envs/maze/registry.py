"""Gymnasium ids of the maze family."""

from __future__ import annotations

import gymnasium as gym


def register_maze_envs() -> dict[str, str]:
    gym.register(
        id="specgym/Maze-v0",
        entry_point="specgym.envs.maze.env:MazeEnv",
        vector_entry_point="specgym.envs.maze.vector:MazeVectorEnv",
    )
    return {
        "specgym/Maze-v0": "procgen's maze rebuilt natively and batched (rgb 64x64 or grid planes; "
        "cheese_region=n for the goal-misgeneralization training distribution; "
        "generator=kruskal|blocks|noise|open)",
    }
