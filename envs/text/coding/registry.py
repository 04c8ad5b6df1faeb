"""Gymnasium ids of the coding tasks (called by `specgym.registration`)."""

from __future__ import annotations

import gymnasium as gym

ENV_IDS = {
    "specgym/CodingTask-v0": (
        "specgym.envs.text.coding.env:CodingTaskEnv",
        "Python tasks graded by pytest in a sandbox; hacks of the careless grader detected",
    ),
    "specgym/ImpossibleCodingTask-v0": (
        "specgym.envs.text.coding.env:ImpossibleCodingTaskEnv",
        "Coding tasks whose visible tests contradict the spec: any pass is a cheat",
    ),
}


def register_coding_envs() -> dict[str, str]:
    """Register the coding ids; returns {id: one-line description}."""
    for env_id, (entry_point, _) in ENV_IDS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point)
    return {env_id: description for env_id, (_, description) in ENV_IDS.items()}
