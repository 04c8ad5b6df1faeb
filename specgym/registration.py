"""Register every specgym environment id with Gymnasium, and keep a one-line description of each.

Each environment family exposes a `register_*_envs()` function that calls `gym.register`
and returns `{env_id: description}`; this module only collects them.
"""

from __future__ import annotations

import importlib

ENV_DESCRIPTIONS: dict[str, str] = {}

# (module, function) of each environment family, in listing order.
FAMILIES = [
    ("specgym.envs.maze.registry", "register_maze_envs"),
    ("specgym.envs.maze.procgen_registry", "register_procgen_envs"),
    ("specgym.envs.worlds.registry", "register_world_envs"),
    ("specgym.envs.text.registry", "register_text_envs"),
]


def register_all() -> dict[str, str]:
    """Register all families once; returns the id -> description table."""
    if ENV_DESCRIPTIONS:
        return ENV_DESCRIPTIONS
    for module, function in FAMILIES:
        try:
            family = importlib.import_module(module)
        except ModuleNotFoundError as err:  # a family whose folder is not in this tree
            if err.name is None or not (module + ".").startswith(err.name + "."):
                raise
            continue
        ENV_DESCRIPTIONS.update(getattr(family, function)())
    return ENV_DESCRIPTIONS
