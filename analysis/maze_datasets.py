"""Maze states for analysis, made by editing generated mazes (state editing, no rendering tricks).

Layouts come from the native generator (seeded, so reproducible); the same states can be set
into the real procgen game, whose `set_state` accepts any walls, mouse and cheese.

- `sample_mazes`: n mazes (optionally at least `min_size` wide), mouse at the start.
- `cheese_sweep`: each maze with the cheese moved to every open cell (the goal-channel data).
- `without_cheese`, `with_mouse_at`: the same mazes with the cheese removed / the mouse moved.
- `decision_mazes`: mazes whose paths to the cheese and to the corner split at a decision square.
- `open_to_world_corner`: the maze with a corridor from its top-right cell to the world's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from specgym.envs.maze import MazeVectorEnv
from specgym.envs.maze.geometry import decision_square, in_top_right, open_cells
from specgym.envs.maze.state import MazeState

Cell = tuple[int, int]


def sample_mazes(n: int, difficulty: str = "easy", seed: int = 0, min_size: int = 3,
                 cheese_region: int | None = None) -> list[MazeState]:
    """n generated mazes (seeds seed, seed+1, ...; those smaller than `min_size` skipped)."""
    if n < 1:
        raise ValueError(f"n: expected an int >= 1, got {n!r}")
    found: list[MazeState] = []
    batch = max(64, 2 * n)
    env = MazeVectorEnv(num_envs=batch, difficulty=difficulty, obs_mode="grid",
                        cheese_region=cheese_region)
    world = env.batch.world
    if not 3 <= min_size <= world:
        raise ValueError(f"min_size: expected an int in 3..{world}, got {min_size!r}")
    s = seed
    while len(found) < n:
        env.reset(seed=s)
        s += batch
        for i in range(batch):
            state = env.get_state(i)
            if state.maze_size >= min_size:
                found.append(state)
                if len(found) == n:
                    break
    return found


def without_cheese(states: Sequence[MazeState]) -> list[MazeState]:
    out = []
    for s in states:
        t = s.copy()
        t.cheese = None
        out.append(t)
    return out


def with_cheese_at(state: MazeState, cell: Cell | None) -> MazeState:
    t = state.copy()
    t.cheese = cell
    return t


def with_mouse_at(state: MazeState, cell: Cell) -> MazeState:
    t = state.copy()
    t.mouse = cell
    return t


@dataclass
class CheeseSweep:
    """States with the cheese on every open cell of each maze (mouse fixed)."""

    states: list[MazeState]
    maze_id: np.ndarray
    """(N,) index of the source maze of each state."""
    cheese: np.ndarray
    """(N, 2) cheese cell of each state."""


def cheese_sweep(mazes: Sequence[MazeState], mouse: str = "start") -> CheeseSweep:
    """Every maze with the cheese moved across every open cell except the mouse's.

    mouse: "start" (bottom-left of the maze) or "decision" (the decision square of the maze's
    own cheese; mazes without one are skipped).
    """
    if mouse not in ("start", "decision"):
        raise ValueError(f"mouse: expected 'start' or 'decision', got {mouse!r}")
    states, ids, cells = [], [], []
    for k, maze in enumerate(mazes):
        where = maze.start
        if mouse == "decision":
            square = decision_square(maze)
            if square is None:
                continue
            where = square
        for cell in open_cells(maze):
            if cell == where:
                continue
            t = maze.copy()
            t.mouse, t.cheese = where, cell
            states.append(t)
            ids.append(k)
            cells.append(cell)
    return CheeseSweep(states, np.array(ids, dtype=np.int64), np.array(cells, dtype=np.int64))


def decision_mazes(n: int, difficulty: str = "easy", seed: int = 10_000, min_size: int = 3,
                   exclude_region: int = 5) -> list[tuple[MazeState, Cell]]:
    """(maze, decision square) pairs: cheese outside the top-right `exclude_region` cells."""
    found: list[tuple[MazeState, Cell]] = []
    s = seed
    while len(found) < n:
        for state in sample_mazes(64, difficulty, s, min_size):
            if state.cheese is None or in_top_right(state, state.cheese, exclude_region):
                continue
            square = decision_square(state)
            if square is not None:
                found.append((state, square))
                if len(found) == n:
                    break
        s += 100_000
    return found


def open_to_world_corner(state: MazeState) -> MazeState | None:
    """The maze with a corridor from its top-right cell up and right to the world's top-right.

    Returns None when the maze fills the world (its corner already is the world's).
    """
    top, right = state.corner
    world = state.world_size
    if top == 0 and right == world - 1:
        return None
    t = state.copy()
    t.walls[:top + 1, right] = False
    t.walls[0, right:] = False
    return t


def random_open_cells(state: MazeState, k: int, rng: np.random.Generator,
                      exclude: Sequence[Cell] = (), region: int | None = None,
                      inside: bool = True) -> list[Cell]:
    """Up to k distinct open cells, optionally only inside (or outside) the top-right n x n."""
    cells = [c for c in open_cells(state) if c not in set(map(tuple, exclude))]
    if region is not None:
        cells = [c for c in cells if in_top_right(state, c, region) == inside]
    if not cells:
        return []
    pick = rng.choice(len(cells), size=min(k, len(cells)), replace=False)
    return [cells[i] for i in pick]


__all__ = [
    "CheeseSweep", "cheese_sweep", "decision_mazes", "open_to_world_corner", "random_open_cells",
    "sample_mazes", "with_cheese_at", "with_mouse_at", "without_cheese",
]
