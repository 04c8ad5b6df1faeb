"""Gymnasium ids of the goal-misgeneralization worlds."""

from __future__ import annotations

import gymnasium as gym

from specgym.envs.worlds.worlds import WORLDS


def register_world_envs() -> dict[str, str]:
    table = {}
    for name, spec in WORLDS.items():
        gym.register(id=spec.env_id, entry_point="specgym.envs.worlds.env:WorldEnv",
                     vector_entry_point="specgym.envs.worlds.env:WorldVectorEnv",
                     kwargs={"world": name})
        table[spec.env_id] = (f"goal-misgeneralization world: true goal vs proxy ({spec.proxy}); "
                              f"train: {spec.train}; test: {spec.test}")
    return table
