"""The native maze engine: the mechanics of a whole batch of mazes, as plain arrays.

`MazeBatch` implements `MazeEngine` (see `engine.py`). It owns every array (walls, mouse and
cheese cells, step counters, rng streams, observation buffers) with the environment axis first.
The single env is a batch of one and the vector env is a batch of N, so both share one
implementation and the same seeds give the same mazes. Stepping is pure numpy; only maze
generation is compiled (numba).
"""

from __future__ import annotations

import numpy as np

from specgym.envs.maze.actions import ACTION_DCOL, ACTION_DROW, NUM_ACTIONS
from specgym.envs.maze.engine import CHEESE_REWARD, MAX_STEPS, StepResult, episode_keys
from specgym.envs.maze.generator import (
    GENERATOR_DEFAULTS,
    check_generator,
    draw_cell,
    generate_batch,
    seed_streams,
)
from specgym.envs.maze.render import PixelMap, Plane, Tile, rgb_frame
from specgym.envs.maze.state import WORLD_SIZES, MazeState

__all__ = ["CHEESE_REWARD", "MAX_STEPS", "MazeBatch", "check_actions", "check_config"]
OBS_MODES = ("rgb", "grid")
NONE = -1  # row/col of a removed cheese


def check_config(
    difficulty: str, cheese_region: int | None, obs_mode: str, max_steps: int, maze_size: int | None
) -> int:
    """Validate constructor arguments; returns the world size."""
    if difficulty not in WORLD_SIZES:
        raise ValueError(f"difficulty: expected one of {sorted(WORLD_SIZES)}, got {difficulty!r}")
    world = WORLD_SIZES[difficulty]
    if cheese_region is not None and (
        isinstance(cheese_region, bool)
        or not isinstance(cheese_region, (int, np.integer))
        or cheese_region < 1
    ):
        raise ValueError(f"cheese_region: expected None or an int >= 1, got {cheese_region!r}")
    if obs_mode not in OBS_MODES:
        raise ValueError(f"obs_mode: expected one of {OBS_MODES}, got {obs_mode!r}")
    if not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
        raise ValueError(f"max_steps: expected an int >= 1, got {max_steps!r}")
    if maze_size is not None and (
        not isinstance(maze_size, (int, np.integer)) or not 3 <= maze_size <= world or maze_size % 2 == 0
    ):
        raise ValueError(f"maze_size: expected None or an odd int in 3..{world}, got {maze_size!r}")
    return world


class MazeBatch:
    """N procgen-style mazes stepped together (`generator`: see `generator.GENERATORS`)."""

    def __init__(
        self,
        num_envs: int,
        difficulty: str = "hard",
        cheese_region: int | None = None,
        obs_mode: str = "rgb",
        max_steps: int = MAX_STEPS,
        maze_size: int | None = None,
        generator: str = "kruskal",
        block_density: float = GENERATOR_DEFAULTS["block_density"],
        noise_density: float = GENERATOR_DEFAULTS["noise_density"],
        noise_scale: int = GENERATOR_DEFAULTS["noise_scale"],
    ):
        self.world = check_config(difficulty, cheese_region, obs_mode, max_steps, maze_size)
        self.gen_code = check_generator(generator, block_density, noise_density, noise_scale)
        self.generator = generator
        self.gen_params = (float(block_density), float(noise_density), int(noise_scale))
        self.maze_size = maze_size
        self.num_envs = n = int(num_envs)
        self.cheese_region = cheese_region
        self.obs_mode = obs_mode
        self.max_steps = int(max_steps)
        w = self.world
        # Walls carry a one-cell wall border so that moves never index off the array.
        self._walls_padded = np.ones((n, w + 2, w + 2), dtype=bool)
        self.walls = self._walls_padded[:, 1:-1, 1:-1]
        self.sizes = np.zeros(n, dtype=np.int64)
        self.mouse = np.zeros((n, 2), dtype=np.int64)
        self.cheese = np.zeros((n, 2), dtype=np.int64)
        self.steps = np.zeros(n, dtype=np.int64)
        self.corner_step = np.full(n, -1, dtype=np.int64)
        self.rng = seed_streams(np.arange(n))
        self._all = np.arange(n)
        self.pixels = PixelMap(w)
        if obs_mode == "grid":
            self.obs = np.zeros((n, 3, w, w), dtype=np.uint8)
        else:
            self.obs = np.zeros((n, 64, 64, 3), dtype=np.uint8)

    # ----- episodes -------------------------------------------------------------------------
    def restart(self, env_ids: np.ndarray, seeds: np.ndarray | None = None) -> None:
        """New mazes in `env_ids` (from each env's stream; `seeds` reseed the streams first)."""
        env_ids = np.asarray(env_ids, dtype=np.int64)
        if seeds is not None:
            self.rng[env_ids] = seed_streams(np.asarray(seeds, dtype=np.int64))
        self.generate(env_ids)

    def generate(self, env_ids: np.ndarray) -> None:
        """Start new episodes with freshly generated mazes."""
        env_ids = np.asarray(env_ids, dtype=np.int64)
        if env_ids.size == 0:
            return
        generate_batch(
            self.walls, self.sizes, self.mouse, self.cheese, self.rng, env_ids, self.world,
            self.cheese_region or 0, self.maze_size or 0, self.gen_code, *self.gen_params,
        )
        self.steps[env_ids] = 0
        self.corner_step[env_ids] = -1
        self.repaint(env_ids)

    def corners(self) -> np.ndarray:
        """(n, 2) each maze's top-right cell."""
        margin = (self.world - self.sizes) // 2
        return np.stack([margin, margin + self.sizes - 1], axis=1)

    def mouse_cells(self) -> np.ndarray:
        return self.mouse.copy()

    def cheese_cells(self) -> np.ndarray:
        return self.cheese.copy()

    # ----- state editing --------------------------------------------------------------------
    def get_state(self, i: int) -> MazeState:
        cheese = None if self.cheese[i, 0] == NONE else (int(self.cheese[i, 0]), int(self.cheese[i, 1]))
        return MazeState(
            walls=self.walls[i].copy(),
            maze_size=int(self.sizes[i]),
            mouse=(int(self.mouse[i, 0]), int(self.mouse[i, 1])),
            cheese=cheese,
            steps=int(self.steps[i]),
            corner_step=int(self.corner_step[i]),
        )

    def set_state(self, i: int, state: MazeState) -> None:
        if not isinstance(state, MazeState):
            raise ValueError(f"state: expected a MazeState, got {type(state).__name__}")
        state.validate(self.world)
        self.walls[i] = state.walls
        self.sizes[i] = state.maze_size
        self.mouse[i] = state.mouse
        self.cheese[i] = state.cheese if state.cheese is not None else (NONE, NONE)
        self.steps[i] = state.steps
        self.corner_step[i] = state.corner_step
        self.repaint(np.array([i]))

    def move_cheese_to_region(self, i: int, region: int) -> None:
        """Redraw env i's cheese uniformly among the open cells of its top-right region."""
        size = int(self.sizes[i])
        margin = (self.world - size) // 2
        n = min(region, size)
        r, c = draw_cell(self.rng, i, self.walls[i], margin, margin + size - n, n, *self.mouse[i])
        self.cheese[i] = (r, c)
        self.repaint(np.array([i]))

    # ----- dynamics -------------------------------------------------------------------------
    def step(self, actions: np.ndarray) -> StepResult:
        """One action per env; the envs whose episode ended restart before this returns."""
        reward, terminated, truncated = self.advance(actions)
        result = self.result(reward, terminated, truncated)
        if result.ended_ids.size:
            result.final_obs = self.obs[result.ended_ids].copy()
            self.generate(result.ended_ids)
        return result

    def result(self, reward, terminated, truncated) -> StepResult:
        """The `StepResult` of the step just taken (before any restart)."""
        at_corner = np.all(self.mouse == self.corners(), axis=1)
        ended = np.flatnonzero(terminated | truncated)
        episode = None
        if ended.size:
            episode = episode_keys(self.corner_step[ended], self.steps[ended], terminated[ended])
        return StepResult(
            reward=reward, terminated=terminated, truncated=truncated, mouse=self.mouse.copy(),
            at_corner=at_corner, corner_reached=self.corner_step >= 0, steps=self.steps.copy(),
            ended_ids=ended, episode=episode,
        )

    def advance(self, actions: np.ndarray):
        """The mechanics of one step, no restarts: (reward, terminated, truncated) arrays."""
        rows, cols = self.mouse[:, 0], self.mouse[:, 1]
        new_rows = rows + ACTION_DROW[actions]
        new_cols = cols + ACTION_DCOL[actions]
        blocked = self._walls_padded[self._all, new_rows + 1, new_cols + 1]
        moved = np.flatnonzero(~blocked)
        if moved.size:
            self._move_mouse(moved, new_rows[moved], new_cols[moved])
        self.steps += 1
        at_corner = np.all(self.mouse == self.corners(), axis=1)
        first_visit = at_corner & (self.corner_step < 0)
        self.corner_step[first_visit] = self.steps[first_visit]
        terminated = (self.mouse[:, 0] == self.cheese[:, 0]) & (self.mouse[:, 1] == self.cheese[:, 1])
        truncated = (self.steps >= self.max_steps) & ~terminated
        reward = terminated * CHEESE_REWARD
        return reward, terminated, truncated

    def _move_mouse(self, env_ids, new_rows, new_cols) -> None:
        old_rows, old_cols = self.mouse[env_ids, 0], self.mouse[env_ids, 1]
        if self.obs_mode == "grid":
            self.obs[env_ids, Plane.MOUSE, old_rows, old_cols] = 0
            self.obs[env_ids, Plane.MOUSE, new_rows, new_cols] = 1
        else:
            self.pixels.paint_cells(self.obs, env_ids, old_rows, old_cols, Tile.FLOOR)
            self.pixels.paint_cells(self.obs, env_ids, new_rows, new_cols, Tile.MOUSE)
        self.mouse[env_ids, 0] = new_rows
        self.mouse[env_ids, 1] = new_cols

    # ----- observations ---------------------------------------------------------------------
    def observations(self) -> np.ndarray:
        return self.obs.copy()

    def frames(self) -> np.ndarray:
        if self.obs_mode == "rgb":
            return self.obs.copy()
        return np.stack([rgb_frame(self.get_state(i)) for i in range(self.num_envs)])

    def close(self) -> None:
        pass

    def tiles(self, env_ids: np.ndarray) -> np.ndarray:
        tiles = self.walls[env_ids].astype(np.uint8)  # Tile.WALL == 1
        k = np.arange(len(env_ids))
        has_cheese = self.cheese[env_ids, 0] != NONE
        c = self.cheese[env_ids]
        tiles[k[has_cheese], c[has_cheese, 0], c[has_cheese, 1]] = Tile.CHEESE
        m = self.mouse[env_ids]
        tiles[k, m[:, 0], m[:, 1]] = Tile.MOUSE
        return tiles

    def repaint(self, env_ids: np.ndarray) -> None:
        """Redraw the observation buffer of the listed environments from their state."""
        if self.obs_mode == "rgb":
            self.obs[env_ids] = self.pixels.paint_full(self.tiles(env_ids))
            return
        planes = self.obs
        planes[env_ids] = 0
        planes[env_ids, Plane.WALL] = self.walls[env_ids]
        planes[env_ids, Plane.MOUSE, self.mouse[env_ids, 0], self.mouse[env_ids, 1]] = 1
        c = self.cheese[env_ids]
        has = c[:, 0] != NONE
        planes[env_ids[has], Plane.CHEESE, c[has, 0], c[has, 1]] = 1


def check_actions(actions, num_envs: int | None) -> np.ndarray:
    """Validate actions and return them as an int64 array (shape (num_envs,) or scalar)."""
    arr = np.asarray(actions)
    if num_envs is not None and arr.shape != (num_envs,):
        raise ValueError(f"actions: expected shape ({num_envs},), got {arr.shape}")
    if num_envs is None and arr.shape != ():
        raise ValueError(f"action: expected a scalar in 0..{NUM_ACTIONS - 1}, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        if not (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))):
            raise ValueError(f"action: expected integers in 0..{NUM_ACTIONS - 1}, got {arr!r}")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= NUM_ACTIONS):
        raise ValueError(f"action: expected integers in 0..{NUM_ACTIONS - 1}, got {arr!r}")
    return arr
