"""Drawing mazes: one-hot grid planes, 64x64 RGB images like procgen's, and ASCII text.

RGB frames are painted incrementally: a reset paints the whole frame, a step repaints only
the two cells the mouse left and entered, so rendering costs almost nothing per step.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from specgym.envs.maze.state import MazeState

IMAGE_SIZE = 64


class Plane(IntEnum):
    """Channels of the `grid` observation, shared with policies and analysis."""

    WALL = 0
    MOUSE = 1
    CHEESE = 2


class Tile(IntEnum):
    FLOOR = 0
    WALL = 1
    MOUSE = 2
    CHEESE = 3


PALETTE = np.array(
    [[222, 212, 184], [48, 44, 58], [110, 70, 40], [250, 200, 30]], dtype=np.uint8
)  # floor, wall, mouse, cheese
ASCII = {Tile.FLOOR: ".", Tile.WALL: "#", Tile.MOUSE: "M", Tile.CHEESE: "C"}


class PixelMap:
    """Which world cell each of the 64 pixel rows/columns shows (nearest pixel centre)."""

    def __init__(self, world_size: int, image_size: int = IMAGE_SIZE):
        pixels = np.arange(image_size)
        self.cell_of_pixel = ((pixels + 0.5) * world_size / image_size).astype(np.int64)
        blocks = [np.flatnonzero(self.cell_of_pixel == c) for c in range(world_size)]
        width = max(len(b) for b in blocks)
        # Each cell's pixel run, padded by repeating its last pixel (repaints are idempotent).
        self.pixels_of_cell = np.array(
            [np.concatenate([b, np.repeat(b[-1:], width - len(b))]) for b in blocks]
        )
        # The pixel at the centre of each cell, for decoding frames back into cells.
        self.center_pixel = ((np.arange(world_size) + 0.5) * image_size / world_size).astype(
            np.int64
        )

    def paint_full(self, tiles: np.ndarray) -> np.ndarray:
        """(k, W, W) tile codes -> (k, 64, 64, 3) uint8 frames."""
        m = self.cell_of_pixel
        return PALETTE[tiles[:, m[:, None], m[None, :]]]

    def paint_cells(self, frames, env_ids, rows, cols, tile: int) -> None:
        """Paint one cell per listed environment with `tile`, in place."""
        pr = self.pixels_of_cell[rows][:, :, None]
        pc = self.pixels_of_cell[cols][:, None, :]
        frames[env_ids[:, None, None], pr, pc] = PALETTE[tile]


def tiles_of(state: MazeState) -> np.ndarray:
    """The (W, W) tile codes of one state."""
    tiles = state.walls.astype(np.uint8) * np.uint8(Tile.WALL)
    if state.cheese is not None:
        tiles[state.cheese] = Tile.CHEESE
    tiles[state.mouse] = Tile.MOUSE
    return tiles


def grid_planes(state: MazeState) -> np.ndarray:
    """(3, W, W) uint8 one-hot planes (wall, mouse, cheese) of one state."""
    planes = np.zeros((3, *state.walls.shape), dtype=np.uint8)
    planes[Plane.WALL] = state.walls
    planes[Plane.MOUSE][state.mouse] = 1
    if state.cheese is not None:
        planes[Plane.CHEESE][state.cheese] = 1
    return planes


def rgb_frame(state: MazeState) -> np.ndarray:
    """(64, 64, 3) uint8 image of one state."""
    return PixelMap(state.world_size).paint_full(tiles_of(state)[None])[0]


def to_ascii(state: MazeState) -> str:
    """Draw a state as text: '#' wall, '.' floor, 'M' mouse, 'C' cheese."""
    chars = np.array([ASCII[t] for t in Tile])
    return "\n".join("".join(row) for row in chars[tiles_of(state)])


def from_ascii(text: str) -> MazeState:
    """Parse a drawing made by `to_ascii` (the maze is the bounding box of its open cells)."""
    lines = [line.strip() for line in text.strip().splitlines()]
    world = len(lines)
    if any(len(line) != world for line in lines):
        raise ValueError(f"text: expected a square drawing, got line lengths {[len(x) for x in lines]}")
    legal = set("#.MC")
    bad = {ch for line in lines for ch in line} - legal
    if bad:
        raise ValueError(f"text: unknown characters {sorted(bad)}; allowed: '#', '.', 'M', 'C'")
    grid = np.array([list(line) for line in lines])
    mice = np.argwhere(grid == "M")
    cheeses = np.argwhere(grid == "C")
    if len(mice) != 1 or len(cheeses) > 1:
        raise ValueError(f"text: expected one 'M' and at most one 'C', got {len(mice)} and {len(cheeses)}")
    walls = grid == "#"
    open_rows, open_cols = np.nonzero(~walls)
    size = int(max(open_rows.max() - open_rows.min(), open_cols.max() - open_cols.min()) + 1)
    cheese = tuple(int(v) for v in cheeses[0]) if len(cheeses) else None
    return MazeState(walls, size, tuple(int(v) for v in mice[0]), cheese).validate()
