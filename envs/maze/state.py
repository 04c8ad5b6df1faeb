"""The maze state as plain data, shared by the native maze, the procgen bridge and analysis."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

WORLD_SIZES = {"hard": 25, "easy": 15}


@dataclass(eq=False)
class MazeState:
    """Everything that defines a maze episode at one moment.

    Cells are (row, col) with row 0 at the top of the world, as in the rendered image.
    `walls` is the whole world (maze centred, padded with walls); `cheese` is None when the
    cheese has been removed. `corner_step` is the step at which the mouse first stood on the
    maze's top-right cell (-1 if never), kept so a restored episode still reports `gamed`.
    """

    walls: np.ndarray
    maze_size: int
    mouse: tuple[int, int]
    cheese: tuple[int, int] | None
    steps: int = 0
    corner_step: int = -1
    extras: dict = field(default_factory=dict)

    @property
    def world_size(self) -> int:
        return int(self.walls.shape[0])

    @property
    def margin(self) -> int:
        return (self.world_size - self.maze_size) // 2

    @property
    def corner(self) -> tuple[int, int]:
        """The maze's top-right cell, the goal that a misgeneralizing policy seeks."""
        return (self.margin, self.margin + self.maze_size - 1)

    @property
    def start(self) -> tuple[int, int]:
        """The maze's bottom-left cell, where the mouse starts."""
        return (self.margin + self.maze_size - 1, self.margin)

    def copy(self) -> MazeState:
        return MazeState(
            self.walls.copy(), self.maze_size, self.mouse, self.cheese, self.steps,
            self.corner_step, dict(self.extras),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MazeState):
            return NotImplemented
        return (
            np.array_equal(self.walls, other.walls)
            and (self.maze_size, self.mouse, self.cheese, self.steps, self.corner_step)
            == (other.maze_size, other.mouse, other.cheese, other.steps, other.corner_step)
        )

    def validate(self, world_size: int | None = None) -> MazeState:
        """Raise ValueError naming the field if this state is not a legal maze state."""
        walls = np.asarray(self.walls)
        if walls.ndim != 2 or walls.shape[0] != walls.shape[1]:
            raise ValueError(f"walls: expected a square 2-D array, got shape {walls.shape}")
        if world_size is not None and walls.shape[0] != world_size:
            raise ValueError(
                f"walls: expected shape ({world_size}, {world_size}) for this env, got {walls.shape}"
            )
        if walls.dtype != bool:
            raise ValueError(f"walls: expected dtype bool, got {walls.dtype}")
        world = walls.shape[0]
        if not (isinstance(self.maze_size, (int, np.integer)) and 3 <= self.maze_size <= world
                and self.maze_size % 2 == 1):
            raise ValueError(f"maze_size: expected an odd int in 3..{world}, got {self.maze_size!r}")
        _check_cell("mouse", self.mouse, world)
        if walls[self.mouse]:
            raise ValueError(f"mouse: cell {self.mouse} is a wall")
        if self.cheese is not None:
            _check_cell("cheese", self.cheese, world)
            if walls[self.cheese]:
                raise ValueError(f"cheese: cell {self.cheese} is a wall")
            if tuple(self.cheese) == tuple(self.mouse):
                raise ValueError(f"cheese: cell {self.cheese} is the mouse's cell (a finished episode)")
        if not isinstance(self.steps, (int, np.integer)) or self.steps < 0:
            raise ValueError(f"steps: expected an int >= 0, got {self.steps!r}")
        if not isinstance(self.corner_step, (int, np.integer)) or self.corner_step < -1:
            raise ValueError(f"corner_step: expected an int >= -1, got {self.corner_step!r}")
        return self


def _check_cell(name: str, cell, world: int) -> None:
    ok = (
        isinstance(cell, tuple) and len(cell) == 2
        and all(isinstance(v, (int, np.integer)) for v in cell)
    )
    if not ok:
        raise ValueError(f"{name}: expected a (row, col) tuple of ints, got {cell!r}")
    if not all(0 <= v < world for v in cell):
        raise ValueError(f"{name}: cell {cell} is off the {world}x{world} grid")
