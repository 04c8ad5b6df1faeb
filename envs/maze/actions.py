"""procgen's 15 discrete actions and what each does in the maze.

procgen's action combos are (LEFT,DOWN) (LEFT) (LEFT,UP) (DOWN) () (UP) (RIGHT,DOWN) (RIGHT)
(RIGHT,UP) (D) (A) (W) (S) (Q) (E). The maze drops the vertical part of a diagonal, so
LEFT = 0, 1, 2; DOWN = 3; UP = 5; RIGHT = 6, 7, 8; everything else is a no-op.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

NUM_ACTIONS = 15


class Action(IntEnum):
    """Canonical action for each move (any of LEFT = 0, 1, 2 moves left, and so on)."""

    LEFT = 1
    DOWN = 3
    NOOP = 4
    UP = 5
    RIGHT = 7


# Row and column change of each of the 15 actions; rows grow downwards (image order).
ACTION_DROW = np.array([0, 0, 0, 1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=np.int64)
ACTION_DCOL = np.array([-1, -1, -1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=np.int64)

# The canonical action that moves by (drow, dcol), for planning and analysis.
MOVE_TO_ACTION = {(0, -1): Action.LEFT, (1, 0): Action.DOWN, (-1, 0): Action.UP, (0, 1): Action.RIGHT}
