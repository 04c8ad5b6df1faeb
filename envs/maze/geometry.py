"""Paths in a maze: distances, shortest paths, and the decision square.

Mazes are trees, so the path between two cells is unique. The decision square is the cell
where the path from the start to the cheese and the path from the start to the top-right
corner split: there a policy chooses between the two goals (the goal-misgeneralization work
measures P(cheese) from it).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from specgym.envs.maze.actions import MOVE_TO_ACTION, Action
from specgym.envs.maze.state import MazeState

Cell = tuple[int, int]
STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def distances_from(walls: np.ndarray, source: Cell) -> np.ndarray:
    """Breadth-first step distance from `source` to every cell (-1 for walls / unreachable)."""
    world = walls.shape[0]
    dist = np.full(walls.shape, -1, dtype=np.int64)
    dist[source] = 0
    queue = deque([source])
    while queue:
        r, c = queue.popleft()
        for dr, dc in STEPS:
            nr, nc = r + dr, c + dc
            if 0 <= nr < world and 0 <= nc < world and not walls[nr, nc] and dist[nr, nc] < 0:
                dist[nr, nc] = dist[r, c] + 1
                queue.append((nr, nc))
    return dist


def shortest_path(walls: np.ndarray, source: Cell, target: Cell) -> list[Cell]:
    """Cells from source to target inclusive (ValueError if target is unreachable)."""
    dist = distances_from(walls, target)
    if dist[source] < 0:
        raise ValueError(f"target: cell {target} is not reachable from {source}")
    path = [source]
    while path[-1] != target:
        r, c = path[-1]
        path.append(next(
            (r + dr, c + dc) for dr, dc in STEPS
            if 0 <= r + dr < walls.shape[0] and 0 <= c + dc < walls.shape[1]
            and dist[r + dr, c + dc] == dist[r, c] - 1
        ))
    return path


def action_towards(a: Cell, b: Cell) -> Action:
    """The canonical action that moves from cell a to the neighbouring cell b."""
    return MOVE_TO_ACTION[(b[0] - a[0], b[1] - a[1])]


def decision_square(state: MazeState, start: Cell | None = None) -> Cell | None:
    """Where the paths start->cheese and start->corner split, or None if one contains the other."""
    if state.cheese is None:
        return None
    start = state.start if start is None else start
    to_cheese = shortest_path(state.walls, start, state.cheese)
    to_corner = shortest_path(state.walls, start, state.corner)
    k = 0
    while k + 1 < min(len(to_cheese), len(to_corner)) and to_cheese[k + 1] == to_corner[k + 1]:
        k += 1
    split = to_cheese[k]
    if split in (state.cheese, state.corner):
        return None
    return split


def in_top_right(state: MazeState, cell: Cell, n: int = 5) -> bool:
    """Is `cell` inside the maze's top-right n x n cells?"""
    top, right = state.corner
    return top <= cell[0] < top + n and right - n < cell[1] <= right


def open_cells(state: MazeState) -> list[Cell]:
    return [(int(r), int(c)) for r, c in np.argwhere(~state.walls)]
