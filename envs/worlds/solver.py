"""Optimal returns by shortest paths, for judging a policy as a fraction of what a level allows.

Returns are discounted: a reward r at step t counts gamma**(t - 1) r. Cheese worlds: the
breadth-first distance d from the mouse to the cheese (lava counts as a wall in lava land)
gives gamma**(d - 1). Keys and chests: a search over the orders in which to visit items, with
breadth-first distances between them (items never block; walking over a key picks it up, so
the true optimum can only match the search's order, never beat it, and the search covers
every order), memoized on what is left, since discounting factors out of the remainder.
"""

from __future__ import annotations

from collections import deque
from functools import cache

import numpy as np

from specgym.envs.worlds.state import Item, WorldState
from specgym.envs.worlds.worlds import WorldSpec

UNREACHABLE = -1


def distances(walls: np.ndarray, start: tuple[int, int], blocked: np.ndarray | None = None) -> np.ndarray:
    """Breadth-first step counts from `start` to every cell (-1 where unreachable)."""
    w = walls.shape[0]
    wall = walls if blocked is None else walls | blocked
    dist = np.full((w, w), UNREACHABLE, dtype=np.int64)
    dist[start] = 0
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if not wall[nr, nc] and dist[nr, nc] < 0:
                dist[nr, nc] = dist[r, c] + 1
                queue.append((nr, nc))
    return dist


def shortest_path(walls: np.ndarray, start, goal, blocked: np.ndarray | None = None) -> list[tuple[int, int]]:
    """The cells of one shortest path from start to goal (start excluded); [] if unreachable."""
    dist = distances(walls, tuple(goal), blocked)
    if dist[tuple(start)] < 0:
        return []
    path, cell = [], tuple(start)
    while cell != tuple(goal):
        r, c = cell
        cell = min(((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)),
                   key=lambda x: dist[x] if dist[x] >= 0 else 10**9)
        path.append(cell)
    return path


def optimal_return(level: WorldState, spec: WorldSpec, gamma: float = 0.99) -> float:
    """The best discounted true return any policy can earn from `level` (step limit ignored)."""
    if spec.name == "keys":
        return _keys_optimal(level, gamma)
    blocked = (level.items & Item.LAVA) != 0 if spec.name == "lava" else None
    dist = distances(level.walls, level.mouse, blocked)
    (cheese,) = level.cells(Item.CHEESE)
    d = dist[cheese]
    return 0.0 if d < 0 else float(gamma ** (d - 1))


def optimal_steps(level: WorldState, spec: WorldSpec) -> int:
    """Fewest steps to the cheese (cheese worlds); -1 if unreachable."""
    blocked = (level.items & Item.LAVA) != 0 if spec.name == "lava" else None
    (cheese,) = level.cells(Item.CHEESE)
    return int(distances(level.walls, level.mouse, blocked)[cheese])


def _keys_optimal(level: WorldState, gamma: float) -> float:
    keys, chests = level.cells(Item.KEY), level.cells(Item.CHEST)
    points = [tuple(level.mouse)] + keys + chests
    dist = np.array([[distances(level.walls, p)[q] for q in points] for p in points])
    nk = len(keys)

    @cache
    def best(pos: int, inventory: int, keys_left: frozenset, chests_left: frozenset) -> float:
        value = 0.0
        for k in keys_left:
            d = dist[pos, k]
            if d > 0:
                value = max(value, gamma ** d * best(k, inventory + 1, keys_left - {k}, chests_left))
        if inventory > 0:
            for c in chests_left:
                d = dist[pos, c]
                if d > 0:
                    value = max(value, gamma ** (d - 1) * (1.0 + gamma * best(
                        c, inventory - 1, keys_left, chests_left - {c})))
        return value

    return best(0, level.inventory, frozenset(range(1, 1 + nk)),
                frozenset(range(1 + nk, len(points))))
