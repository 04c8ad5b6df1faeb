"""Move mazes between the native maze and procgen's: `MazeState` is the common currency.

    native -> procgen:   procgen_env.unwrapped.set_state(native_env.unwrapped.get_state())
    procgen -> native:   native_env.unwrapped.set_state(procgen_env.unwrapped.get_state())
    raw bytes:           from_procgen_bytes(data) / to_procgen_bytes(state, template)

Both games share the world size per difficulty (hard 25x25, easy 15x15); `recentre` moves a
maze to the other world when it fits, so a hard maze of size <= 15 can be played in easy mode.
"""

from __future__ import annotations

import numpy as np

from specgym.envs.maze.procgen_state import read_state, write_state
from specgym.envs.maze.state import MazeState


def from_procgen_bytes(data: bytes) -> MazeState:
    """The `MazeState` of procgen's serialized maze (`ProcgenGym3Env.get_state()[i]`)."""
    return read_state(data)


def to_procgen_bytes(state: MazeState, template: bytes) -> bytes:
    """Serialized procgen state: `template` (any maze state of the same difficulty) with the
    walls, maze size, mouse, cheese and steps of `state`; pass it to `set_state`."""
    return write_state(template, state)


def recentre(state: MazeState, world: int) -> MazeState:
    """The same maze centred in a `world` x `world` world (ValueError if it does not fit)."""
    if not isinstance(world, (int, np.integer)) or world < 3 or world % 2 == 0:
        raise ValueError(f"world: expected an odd int >= 3, got {world!r}")
    if state.maze_size > world:
        raise ValueError(f"maze_size: a {state.maze_size}-cell maze does not fit a {world}x{world} world")
    shift = (world - state.maze_size) // 2 - state.margin
    walls = np.ones((world, world), dtype=bool)
    size, old, new = state.maze_size, state.margin, state.margin + shift
    walls[new:new + size, new:new + size] = state.walls[old:old + size, old:old + size]

    def move(cell):
        return None if cell is None else (cell[0] + shift, cell[1] + shift)

    return MazeState(
        walls, size, move(state.mouse), move(state.cheese), state.steps, state.corner_step,
        dict(state.extras),
    ).validate(world)
