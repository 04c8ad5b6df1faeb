"""Read and write procgen's serialized maze state (the bytes of `ProcgenGym3Env.get_state`).

The format is procgen 0.10.7's `serialize` chain, read field by field from its C++ source
(game.cpp, basic-abstract-game.cpp, entity.cpp, grid.h, randgen.cpp, games/maze.cpp); every
value is a little-endian int32 or float32, a string is an int32 length and its bytes:

| Part                  | Fields (in order)                                                     |
|-----------------------|-----------------------------------------------------------------------|
| Game                  | version (0), game name ("maze"), 12 option ints, grid_step,           |
|                       | level_seed_low/high, game_type, game_n, level_seed_rand_gen, rand_gen |
|                       | (each: is_seeded int + mt19937 text), reward f, done, level_complete, |
|                       | action, timeout, current/prev level seed, episodes_remaining,         |
|                       | episode_done, last_reward_timer, last_reward f, default_action,       |
|                       | fixed_asset_seed, cur_time, is_waiting_for_step                       |
| BasicAbstractGame     | grid_size, entities (count + 31 fields each, x/y first), 19 drawing   |
|                       | and action fields, asset_rand_gen, main_width/height,                 |
|                       | out_of_bounds_object, 6 view floats, grid (w, h, count, w*h ints)     |
| MazeGame              | maze_dim, world_dim                                                   |
| libenv trailer        | 0xCAFECAFE                                                            |

procgen's grid is indexed (x, y) with y growing upwards (y = 0 is the bottom row); `MazeState`
has row 0 at the top, so row = world - 1 - y. Grid objects: 51 wall, 100 floor, 2 the cheese
(the cheese is a grid object, not an entity); the only entity is the mouse (type 0), whose
centre (x, y) sits at cell (int(x), int(y)) + 0.5.

>>> from procgen import ProcgenGym3Env
>>> env = ProcgenGym3Env(num=1, env_name="maze", distribution_mode="hard", rand_seed=0)
>>> state = read_state(env.get_state()[0])
>>> state.cheese = None                                  # remove the cheese
>>> env.set_state([write_state(env.get_state()[0], state)])
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from specgym.envs.maze.state import MazeState

SERIALIZE_VERSION = 0
END_OF_BUFFER = 0xCAFECAFE
PLAYER = 0
GOAL = 2
WALL_OBJ = 51
SPACE = 100
ENTITY_FIELDS = 31  # Entity::serialize writes 31 four-byte values
MT19937_WORDS = 624


@dataclass(frozen=True)
class Layout:
    """Byte offsets of the fields the bridge reads or writes in one serialized state."""

    level_rng: int  # the is_seeded int of level_seed_rand_gen (its text follows)
    level_rng_end: int
    episodes_remaining: int
    cur_time: int
    agent: int  # the mouse entity's x (float32); y follows
    grid: int  # first of world * world int32 grid values
    world: int
    maze_dim: int
    length: int


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.offset = 0

    def int(self) -> int:
        value = struct.unpack_from("<i", self.data, self.offset)[0]
        self.offset += 4
        return value

    def skip(self, count: int) -> None:
        self.offset += 4 * count

    def string(self) -> bytes:
        size = self.int()
        value = self.data[self.offset:self.offset + size]
        self.offset += size
        return value


def parse_layout(data: bytes) -> Layout:
    """Walk a serialized maze state and return where its fields are (ValueError if not a maze)."""
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError(f"data: expected the bytes of procgen's get_state, got {type(data).__name__}")
    try:
        return _walk(_Reader(bytes(data)))
    except struct.error:
        raise ValueError("data: truncated procgen state (ran past the end while parsing)") from None


def _walk(r: _Reader) -> Layout:
    version = r.int()
    if version != SERIALIZE_VERSION:
        raise ValueError(f"data: serialize version {version}, this parser reads version 0")
    name = r.string()
    if name != b"maze":
        raise ValueError(f"data: a state of procgen game {name!r}, expected b'maze'")
    r.skip(12 + 5)  # options; grid_step, level_seed_low/high, game_type, game_n
    level_rng = r.offset
    r.skip(1)
    r.string()
    level_rng_end = r.offset
    r.skip(1)  # rand_gen
    r.string()
    r.skip(7)  # reward, done, level_complete, action, timeout, current/prev level seed
    episodes_remaining = r.offset
    r.skip(6)  # episodes_remaining, episode_done, last_reward_timer/last_reward, default_action, fixed_asset_seed
    cur_time = r.offset
    r.skip(2)  # cur_time, is_waiting_for_step
    r.skip(1)  # grid_size
    agent = -1
    for _ in range(r.int()):
        start = r.offset
        r.skip(6)
        if r.int() == PLAYER:
            if agent >= 0:
                raise ValueError("data: more than one mouse entity")
            agent = start
        r.offset = start + 4 * ENTITY_FIELDS
    if agent < 0:
        raise ValueError("data: no mouse entity in the state")
    r.skip(19)  # background, drawing and action fields
    r.skip(1)  # asset_rand_gen
    r.string()
    width, height = r.int(), r.int()
    r.skip(1 + 6)  # out_of_bounds_object, view floats
    grid_w, grid_h, count = r.int(), r.int(), r.int()
    if not (grid_w == grid_h == width == height and count == grid_w * grid_h):
        raise ValueError(f"data: expected a square grid, got {grid_w}x{grid_h} ({count} values)")
    grid = r.offset
    r.skip(count)
    maze_dim = r.offset
    r.skip(1)
    world = r.int()
    if world != grid_w:
        raise ValueError(f"data: world_dim {world} does not match the {grid_w}x{grid_h} grid")
    if r.int() & 0xFFFFFFFF != END_OF_BUFFER:
        raise ValueError("data: missing the end-of-buffer marker 0xCAFECAFE")
    if r.offset != len(r.data):
        raise ValueError(f"data: {len(r.data) - r.offset} unexpected bytes after the end marker")
    return Layout(level_rng, level_rng_end, episodes_remaining, cur_time, agent, grid, world,
                  maze_dim, r.offset)


def read_grid(data: bytes, layout: Layout | None = None) -> np.ndarray:
    """procgen's object grid as an int32 (world, world) array in MazeState orientation."""
    layout = parse_layout(data) if layout is None else layout
    w = layout.world
    return np.frombuffer(data, dtype="<i4", count=w * w, offset=layout.grid).reshape(w, w)[::-1]


def read_state(data: bytes) -> MazeState:
    """The `MazeState` of a serialized procgen maze (`corner_step` is not stored: -1).

    `extras` carries procgen's level seed (`level_seed`) for reference.
    """
    layout = parse_layout(data)
    w = layout.world
    grid = read_grid(data, layout)
    x, y = struct.unpack_from("<ff", data, layout.agent)
    col, up = int(np.floor(x)), int(np.floor(y))
    if (x, y) != (col + 0.5, up + 0.5):
        raise ValueError(f"data: the mouse is between cells at x={x}, y={y}")
    goals = np.argwhere(grid == GOAL)
    if len(goals) > 1:
        raise ValueError(f"data: {len(goals)} cheese cells; MazeState holds at most one")
    cheese = (int(goals[0][0]), int(goals[0][1])) if len(goals) else None
    maze_dim, = struct.unpack_from("<i", data, layout.maze_dim)
    steps, = struct.unpack_from("<i", data, layout.cur_time)
    level_seed, = struct.unpack_from("<i", data, layout.episodes_remaining - 8)
    return MazeState(
        walls=grid == WALL_OBJ, maze_size=int(maze_dim), mouse=(w - 1 - up, col), cheese=cheese,
        steps=int(steps), extras={"level_seed": int(level_seed)},
    )


def write_state(data: bytes, state: MazeState) -> bytes:
    """`data` (a procgen maze state) with the walls, maze size, mouse, cheese and steps of `state`.

    Everything else (random generators, background, timeout) is kept from `data`. Raises
    ValueError naming the field for edits procgen's state cannot hold: a world of another size
    (procgen's hard world is 25x25, easy 15x15), or an invalid `MazeState`.
    """
    layout = parse_layout(data)
    if not isinstance(state, MazeState):
        raise ValueError(f"state: expected a MazeState, got {type(state).__name__}")
    if state.world_size != layout.world:
        raise ValueError(
            f"walls: this procgen state's world is {layout.world}x{layout.world}, got a "
            f"{state.world_size}x{state.world_size} state (use convert.recentre to move a maze "
            "between difficulties)"
        )
    state.validate(layout.world)
    w = layout.world
    grid = np.where(state.walls, WALL_OBJ, SPACE).astype("<i4")
    if state.cheese is not None:
        grid[state.cheese] = GOAL
    out = bytearray(data)
    out[layout.grid:layout.grid + 4 * w * w] = grid[::-1].tobytes()
    row, col = state.mouse
    struct.pack_into("<ff", out, layout.agent, col + 0.5, (w - 1 - row) + 0.5)
    struct.pack_into("<i", out, layout.maze_dim, state.maze_size)
    struct.pack_into("<i", out, layout.cur_time, state.steps)
    return bytes(out)


def mt19937_text(seed: int) -> bytes:
    """libstdc++'s `operator<<` text of `std::mt19937(seed)` (624 state words, then the index)."""
    key = np.random.RandomState(seed % 2**32).get_state()[1]  # the same init_genrand(seed)
    return " ".join([*map(str, key.tolist()), str(MT19937_WORDS)]).encode()


def reseed_levels(data: bytes, seed: int) -> bytes:
    """`data` with its level-seed generator reset to `std::mt19937(seed)`.

    procgen draws each new level's seed from that generator when an episode restarts, so after
    a forced restart the levels that follow depend only on `seed`.
    """
    layout = parse_layout(data)
    text = mt19937_text(seed)
    out = bytearray(data[:layout.level_rng])
    out += struct.pack("<ii", 1, len(text)) + text
    out += data[layout.level_rng_end:]
    struct.pack_into("<i", out, layout.episodes_remaining + len(out) - len(data), 0)
    return bytes(out)
