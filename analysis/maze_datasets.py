"""Maze states for analysis, made by editing generated mazes (state editing, no rendering tricks).

Layouts come from the native generator (seeded, so reproducible); the same states can be set
into the real procgen game, whose `set_state` accepts any walls, mouse and cheese.

- `sample_mazes`: n mazes (optionally at least `min_size` wide), mouse at the start.
- `cheese_sweep`: each maze with the cheese moved to every open cell (the goal-channel data).
- `without_cheese`, `with_mouse_at`: the same mazes with the cheese removed / the mouse moved.
- `decision_square_mazes` (from `specgym.envs.maze.mazesets`): the one decision-square maze set.
- `open_to_world_corner`: the maze with a corridor from its top-right cell to the world's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from specgym.envs.maze.geometry import decision_square, in_top_right, open_cells
from specgym.envs.maze.mazesets import decision_square_mazes, generated_mazes
from specgym.envs.maze.state import MazeState

Cell = tuple[int, int]


def sample_mazes(n: int, difficulty: str = "easy", seed: int = 0, min_size: int = 3,
                 cheese_region: int | None = None) -> list[MazeState]:
    """n generated mazes (seeds seed, seed+1, ...; those smaller than `min_size` skipped)."""
    return generated_mazes(n, difficulty, seed, min_size, cheese_region)


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
    "CheeseSweep", "cheese_sweep", "decision_square_mazes", "open_to_world_corner", "random_open_cells",
    "sample_mazes", "with_cheese_at", "with_mouse_at", "without_cheese",
]
