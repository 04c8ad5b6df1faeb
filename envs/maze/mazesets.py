"""Seeded sets of maze states: generated mazes, and the one decision-square maze set.

Maze i of a set is the native maze of seed `seed + i` (the same as `Maze-v0` reset with that
seed), so a set is reproducible and a larger set extends a smaller one. `decision_square_mazes`
is the set every decision-square measurement uses (`specgym eval maze` and `specgym analyze
maze`): mazes with the cheese anywhere except the top-right `exclude_region` x `exclude_region`
cells and a decision square, where the path from the start to the cheese leaves the path to
the top-right corner.

>>> pairs = decision_square_mazes(3, "easy")
>>> state, square = pairs[0]
"""

from __future__ import annotations

import numpy as np

from specgym.envs.maze.batch import MazeBatch
from specgym.envs.maze.geometry import decision_square, in_top_right
from specgym.envs.maze.state import MazeState

DECISION_SEED = 10_000
EXCLUDE_REGION = 5
BATCH = 512


def generated_mazes(n: int, difficulty: str = "easy", seed: int = 0, min_size: int = 3,
                    cheese_region: int | None = None) -> list[MazeState]:
    """The first n mazes of seeds seed, seed + 1, ... at least `min_size` wide."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected an int >= 1, got {n!r}")
    batch = MazeBatch(BATCH, difficulty, cheese_region, "grid")
    if not 3 <= min_size <= batch.world:
        raise ValueError(f"min_size: expected an int in 3..{batch.world}, got {min_size!r}")
    found: list[MazeState] = []
    ids = np.arange(BATCH)
    s = seed
    while len(found) < n:
        batch.restart(ids, s + ids)
        s += BATCH
        for i in np.flatnonzero(batch.sizes >= min_size):
            found.append(batch.get_state(int(i)))
            if len(found) == n:
                break
    return found


def decision_square_mazes(n: int, difficulty: str = "easy", seed: int = DECISION_SEED,
                          exclude_region: int = EXCLUDE_REGION) -> list[tuple[MazeState, tuple]]:
    """(maze with the mouse at the start, its decision square): the first n of the seeds from
    `seed` whose cheese lies outside the top-right `exclude_region` cells and that have one."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected an int >= 1, got {n!r}")
    batch = MazeBatch(BATCH, difficulty, None, "grid")
    ids = np.arange(BATCH)
    found: list[tuple[MazeState, tuple]] = []
    s = seed
    while len(found) < n:
        batch.restart(ids, s + ids)
        s += BATCH
        for i in ids:
            state = batch.get_state(int(i))
            if state.cheese is None or in_top_right(state, state.cheese, exclude_region):
                continue
            square = decision_square(state)
            if square is not None:
                found.append((state, square))
                if len(found) == n:
                    break
    return found


__all__ = ["DECISION_SEED", "EXCLUDE_REGION", "decision_square_mazes", "generated_mazes"]
