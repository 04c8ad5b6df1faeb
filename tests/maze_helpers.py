"""Helpers for maze tests: open cells, breadth-first distances, centred mazes, a constant policy."""

from __future__ import annotations

from collections import deque

import numpy as np
import torch

from specgym.agents.policies import ImpalaConfig, ImpalaPolicy
from specgym.envs.maze.state import MazeState


def open_cells(state: MazeState) -> set[tuple[int, int]]:
    return {(int(r), int(c)) for r, c in np.argwhere(~state.walls)}


def bfs_distances(state: MazeState, source: tuple[int, int]) -> dict[tuple[int, int], int]:
    cells = open_cells(state)
    dist = {source: 0}
    queue = deque([source])
    while queue:
        r, c = queue.popleft()
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            nxt = (r + dr, c + dc)
            if nxt in cells and nxt not in dist:
                dist[nxt] = dist[(r, c)] + 1
                queue.append(nxt)
    return dist


def count_edges(state: MazeState) -> int:
    cells = open_cells(state)
    return sum((r + 1, c) in cells for r, c in cells) + sum((r, c + 1) in cells for r, c in cells)


def centred(text: str, world: int) -> MazeState:
    """A small ASCII maze (walls around it included) placed at the centre of a world."""
    from specgym.envs.maze import from_ascii

    small = from_ascii(text)
    k = small.world_size
    offset = (world - k) // 2
    walls = np.ones((world, world), dtype=bool)
    walls[offset:offset + k, offset:offset + k] = small.walls

    def shift(cell):
        return None if cell is None else (cell[0] + offset, cell[1] + offset)

    return MazeState(walls, small.maze_size, shift(small.mouse), shift(small.cheese)).validate(world)



class ConstantPolicy(ImpalaPolicy):
    """Always the same action (logit 30 against -30): its outcomes are known exactly."""

    def __init__(self, action: int):
        super().__init__(ImpalaConfig(input="grid", world_size=15, channels=[1, 1, 1], hidden=4))
        self.action = action

    def forward(self, obs):
        logits = torch.full((obs.shape[0], 15), -30.0)
        logits[:, self.action] = 30.0
        return logits, torch.zeros(obs.shape[0])
