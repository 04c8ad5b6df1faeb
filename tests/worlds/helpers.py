"""Scripted agents for the worlds tests: they read only the grid observation."""

from __future__ import annotations

import numpy as np

from specgym.envs.worlds.solver import shortest_path
from specgym.envs.worlds.state import Move

STEP_TO_MOVE = {(-1, 0): Move.UP, (0, -1): Move.LEFT, (1, 0): Move.DOWN, (0, 1): Move.RIGHT}


def moves_along(start, cells) -> list[int]:
    """The moves that walk from `start` through `cells` (each a neighbour of the last)."""
    out, (r, c) = [], start
    for nr, nc in cells:
        out.append(int(STEP_TO_MOVE[(nr - r, nc - c)]))
        r, c = nr, nc
    return out


def shortest_path_policy(channels: tuple[str, ...], avoid: str | None = None):
    """Walk a shortest path to the cheese plane (never onto `avoid`), from grid observations."""
    cheese, mouse = channels.index("cheese"), channels.index("mouse")
    blocked = channels.index(avoid) if avoid else None

    def policy(obs: np.ndarray) -> np.ndarray:
        actions = np.zeros(len(obs), dtype=np.int64)
        for i, o in enumerate(obs):
            start = tuple(int(v) for v in np.argwhere(o[mouse])[0])
            goal = tuple(int(v) for v in np.argwhere(o[cheese])[0])
            path = shortest_path(o[0].astype(bool), start, goal,
                                 None if blocked is None else o[blocked].astype(bool))
            actions[i] = moves_along(start, path[:1])[0]
        return actions

    return policy
