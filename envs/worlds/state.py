"""A world's state as plain data, its item flags and the four moves, shared by env, solver and tests.

| `WorldState` field | type            | meaning                                                       |
|--------------------|-----------------|---------------------------------------------------------------|
| walls              | bool[W, W]      | walls (the border row and column are always walls)            |
| items              | uint8[W, W]     | bit flags per cell (`Item`): cheese, dish, key, chest, lava   |
| mouse              | (row, col)      | the mouse's cell; rows grow downwards (image order)           |
| steps              | int             | steps taken in this episode                                   |
| inventory          | int             | keys held (keys and chests)                                   |
| proxy_step         | int             | step at which the proxy goal was first pursued (-1: never)    |
| true_step          | int             | step at which the true goal was completed (-1: not yet)       |
| ret                | float           | reward earned so far in this episode                          |
| keys_collected     | int             | keys picked up in this episode                                |

A level is a state at step 0. The corner of the cheese-in-the-corner world is the top-right
inner cell (1, W - 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

import numpy as np


class Item(IntFlag):
    CHEESE = 1
    DISH = 2
    KEY = 4
    CHEST = 8
    LAVA = 16


class Move(IntEnum):
    """The four actions (jaxgmg's order)."""

    UP = 0
    LEFT = 1
    DOWN = 2
    RIGHT = 3


MOVE_DROW = np.array([-1, 0, 1, 0], dtype=np.int64)
MOVE_DCOL = np.array([0, -1, 0, 1], dtype=np.int64)
NUM_MOVES = 4
ALL_ITEMS = int(sum(Item))


@dataclass(eq=False)
class WorldState:
    """Everything that defines an episode of a world at one moment (see the module table)."""

    walls: np.ndarray
    items: np.ndarray
    mouse: tuple[int, int]
    steps: int = 0
    inventory: int = 0
    proxy_step: int = -1
    true_step: int = -1
    ret: float = 0.0
    keys_collected: int = 0

    @property
    def size(self) -> int:
        return int(self.walls.shape[0])

    @property
    def corner(self) -> tuple[int, int]:
        return (1, self.size - 2)

    def cells(self, item: Item) -> list[tuple[int, int]]:
        """The cells holding `item`, in row-major order."""
        return [(int(r), int(c)) for r, c in np.argwhere(self.items & int(item))]

    def copy(self) -> WorldState:
        return WorldState(self.walls.copy(), self.items.copy(), self.mouse, self.steps,
                          self.inventory, self.proxy_step, self.true_step, self.ret,
                          self.keys_collected)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorldState):
            return NotImplemented
        return (np.array_equal(self.walls, other.walls) and np.array_equal(self.items, other.items)
                and self._scalars() == other._scalars())

    def _scalars(self):
        return (self.mouse, self.steps, self.inventory, self.proxy_step, self.true_step,
                float(self.ret), self.keys_collected)

    def validate(self, size: int | None = None) -> WorldState:
        """Raise ValueError naming the field if this is not a legal state."""
        walls, items = np.asarray(self.walls), np.asarray(self.items)
        if walls.ndim != 2 or walls.shape[0] != walls.shape[1] or walls.dtype != bool:
            raise ValueError(f"walls: expected a square bool array, got {walls.dtype} {walls.shape}")
        w = walls.shape[0]
        if size is not None and w != size:
            raise ValueError(f"walls: expected shape ({size}, {size}) for this env, got {walls.shape}")
        if w < 3 or not (walls[0].all() and walls[-1].all() and walls[:, 0].all() and walls[:, -1].all()):
            raise ValueError("walls: expected a border of walls around a grid at least 3 wide")
        if items.shape != walls.shape or items.dtype != np.uint8:
            raise ValueError(f"items: expected uint8 of shape {walls.shape}, got {items.dtype} {items.shape}")
        if np.any(items & ~np.uint8(ALL_ITEMS)):
            raise ValueError(f"items: unknown bits; allowed flags: {[i.name for i in Item]}")
        if np.any(walls & (items != 0)):
            raise ValueError(f"items: an item lies on a wall at {tuple(np.argwhere(walls & (items != 0))[0])}")
        ok = isinstance(self.mouse, tuple) and len(self.mouse) == 2 and all(
            isinstance(v, (int, np.integer)) and 0 <= v < w for v in self.mouse)
        if not ok:
            raise ValueError(f"mouse: expected a (row, col) tuple of ints on the grid, got {self.mouse!r}")
        if walls[self.mouse]:
            raise ValueError(f"mouse: cell {self.mouse} is a wall")
        for name in ("steps", "inventory", "keys_collected"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"{name}: expected an int >= 0, got {v!r}")
        for name in ("proxy_step", "true_step"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < -1:
                raise ValueError(f"{name}: expected an int >= -1, got {v!r}")
        return self


# ----- ASCII ----------------------------------------------------------------------------------
# One character per cell; a cell holds at most the combinations listed here.
CHARS = {
    "#": (True, 0), ".": (False, 0), "C": (False, Item.CHEESE), "D": (False, Item.DISH),
    "E": (False, Item.CHEESE | Item.DISH), "K": (False, Item.KEY), "X": (False, Item.CHEST),
    "L": (False, Item.LAVA),
}
LEGEND = "'#' wall, '.' floor, 'M' mouse, 'C' cheese, 'D' dish, 'E' cheese on a dish, 'K' key, " \
         "'X' chest, 'L' lava"


def parse_level(text: str) -> WorldState:
    """Parse a hand-drawn level (a square of the characters in `LEGEND`, one 'M').

    >>> s = parse_level('''
    ... #####
    ... #M.C#
    ... #.#.#
    ... #D..#
    ... #####''')
    >>> s.mouse, s.cells(Item.CHEESE), s.cells(Item.DISH)
    ((1, 1), [(1, 3)], [(3, 1)])
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    w = len(lines)
    if any(len(line) != w for line in lines):
        raise ValueError(f"text: expected a square drawing, got line lengths {[len(x) for x in lines]}")
    walls = np.zeros((w, w), dtype=bool)
    items = np.zeros((w, w), dtype=np.uint8)
    mice = []
    for r, line in enumerate(lines):
        for c, ch in enumerate(line):
            if ch == "M":
                mice.append((r, c))
                continue
            if ch not in CHARS:
                raise ValueError(f"text: unknown character {ch!r} at ({r}, {c}); allowed: {LEGEND}")
            walls[r, c], items[r, c] = CHARS[ch][0], int(CHARS[ch][1])
    if len(mice) != 1:
        raise ValueError(f"text: expected exactly one 'M', got {len(mice)}")
    return WorldState(walls, items, mice[0]).validate()


def draw_level(state: WorldState) -> str:
    """The inverse of `parse_level` (the mouse hides what lies under it)."""
    by_item = {int(v[1]): k for k, v in CHARS.items() if not v[0]}
    rows = []
    for r in range(state.size):
        row = ""
        for c in range(state.size):
            if (r, c) == tuple(state.mouse):
                row += "M"
            elif state.walls[r, c]:
                row += "#"
            else:
                row += by_item.get(int(state.items[r, c]), "?")
        rows.append(row)
    return "\n".join(rows)
