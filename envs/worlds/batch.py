"""`WorldBatch`: N levels of one world stepped together, every array with the env axis first.

The single env is a batch of one and the vector env a batch of N, so both share one
implementation and env i of a batch seeded with s equals a single env seeded with s + i.
Stepping is one numba call over the batch; ended envs draw new levels (SAME_STEP autoreset).
"""

from __future__ import annotations

import numpy as np

from specgym.envs.maze.generator import GENERATORS, seed_streams
from specgym.envs.maze.render import PixelMap
from specgym.envs.worlds.layout import DEFAULTS, PARAMS
from specgym.envs.worlds.rules import gamed_of, repaint_kernel, restart_kernel, step_kernel
from specgym.envs.worlds.state import MOVE_DCOL, MOVE_DROW, NUM_MOVES, Item, WorldState
from specgym.envs.worlds.worlds import world_spec

OBS_MODES = ("grid", "rgb")
DISTRIBUTIONS = ("train", "test")

# RGB tiles: floor, wall, mouse, cheese, dish, cheese on dish, key, chest, lava, held key.
PALETTE = np.array([[222, 212, 184], [48, 44, 58], [110, 70, 40], [250, 200, 30], [90, 160, 220],
                    [250, 140, 30], [230, 230, 60], [150, 90, 200], [220, 40, 20], [230, 230, 60]],
                   dtype=np.uint8)


def check_params(size, generator, distribution, obs_mode, max_steps, lava_penalty, params):
    if not isinstance(size, (int, np.integer)) or not 5 <= size <= 64:
        raise ValueError(f"size: expected an int in 5..64 (the grid side, border included), got {size!r}")
    if generator not in GENERATORS:
        raise ValueError(f"generator: expected one of {GENERATORS}, got {generator!r}")
    if generator == "kruskal" and size % 2 == 0:
        raise ValueError(f"size: the kruskal generator needs an odd size, got {size}")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution: expected one of {DISTRIBUTIONS}, got {distribution!r}")
    if obs_mode not in OBS_MODES:
        raise ValueError(f"obs_mode: expected one of {OBS_MODES}, got {obs_mode!r}")
    if not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
        raise ValueError(f"max_steps: expected an int >= 1, got {max_steps!r}")
    if not isinstance(lava_penalty, (int, float)) or lava_penalty < 0:
        raise ValueError(f"lava_penalty: expected a number >= 0, got {lava_penalty!r}")
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise ValueError(f"level parameters: unknown {unknown}; allowed: {list(PARAMS)}")
    merged = {**DEFAULTS, **params}
    for key in ("test_share", "block_density", "noise_density", "lava_density"):
        if not 0.0 <= float(merged[key]) <= 1.0:
            raise ValueError(f"{key}: expected a number in [0, 1], got {merged[key]!r}")
    for key in PARAMS[3:13]:
        if int(merged[key]) != merged[key] or merged[key] < (1 if key in ("noise_scale", "corner_size") else 0):
            raise ValueError(f"{key}: expected an int >= 0 (>= 1 for scales and sizes), got {merged[key]!r}")
    for lo in ("keys_train", "chests_train", "keys_test", "chests_test"):
        if merged[lo + "_min"] > merged[lo + "_max"]:
            raise ValueError(f"{lo}_min: expected <= {lo}_max, got {merged[lo + '_min']} > {merged[lo + '_max']}")
    if merged["chests_train_min"] < 1 or merged["chests_test_min"] < 1:
        raise ValueError("chests_train_min / chests_test_min: expected >= 1 (an episode ends when no chest is left)")
    return np.array([float(merged[k]) for k in PARAMS])


class WorldBatch:
    """N levels of one world (see `WorldEnv` for the options)."""

    def __init__(self, world: str, num_envs: int, size: int = 13, generator: str = "kruskal",
                 distribution: str = "train", obs_mode: str = "grid", max_steps: int = 128,
                 lava_penalty: float = 1.0, **params):
        self.spec = world_spec(world)
        self.params = check_params(size, generator, distribution, obs_mode, max_steps, lava_penalty, params)
        self.num_envs = n = int(num_envs)
        self.size = w = int(size)
        self.generator = generator
        self.gen_code = GENERATORS.index(generator)
        self.distribution = distribution
        self.obs_mode = obs_mode
        self.max_steps = int(max_steps)
        self.lava_penalty = float(lava_penalty)
        self.walls = np.ones((n, w, w), dtype=bool)
        self.items = np.zeros((n, w, w), dtype=np.uint8)
        self.mouse = np.ones((n, 2), dtype=np.int64)
        self.steps = np.zeros(n, dtype=np.int64)
        self.inventory = np.zeros(n, dtype=np.int64)
        self.chests_left = np.zeros(n, dtype=np.int64)
        self.proxy_step = np.full(n, -1, dtype=np.int64)
        self.true_step = np.full(n, -1, dtype=np.int64)
        self.ret = np.zeros(n, dtype=np.float64)
        self.keys_collected = np.zeros(n, dtype=np.int64)
        self.rng = seed_streams(np.arange(n))
        self.plane_bits = self.spec.plane_bits
        self.inv_plane = self.spec.inventory_plane
        self.grid = np.zeros((n, len(self.plane_bits), w, w), dtype=np.uint8)
        self.pixels = PixelMap(w)
        self._reward = np.zeros(n, dtype=np.float64)
        self._terminated = np.zeros(n, dtype=bool)
        self._truncated = np.zeros(n, dtype=bool)

    @property
    def num_planes(self) -> int:
        return len(self.plane_bits)

    # ----- episodes -------------------------------------------------------------------------
    def restart(self, env_ids: np.ndarray, seeds: np.ndarray | None = None) -> None:
        """New levels in `env_ids` from each env's stream (`seeds` reseed the streams first)."""
        env_ids = np.asarray(env_ids, dtype=np.int64)
        if seeds is not None:
            self.rng[env_ids] = seed_streams(np.asarray(seeds, dtype=np.int64))
        if env_ids.size == 0:
            return
        force = -1 if self.distribution == "train" else 1
        restart_kernel(env_ids, self.walls, self.items, self.mouse, self.rng, self.spec.kind,
                       self.gen_code, self.params, force, self.steps, self.inventory,
                       self.chests_left, self.proxy_step, self.true_step, self.ret,
                       self.keys_collected, self.grid, self.plane_bits, self.inv_plane)

    def step(self, actions: np.ndarray):
        """One action per env -> (reward, terminated, truncated, ended ids, episode keys, final obs);
        ended envs already hold their next level when this returns."""
        step_kernel(self.spec.kind, actions, self.walls, self.items, self.mouse, self.steps,
                    self.inventory, self.chests_left, self.proxy_step, self.true_step, self.ret,
                    self.keys_collected, self.max_steps, self.lava_penalty, MOVE_DROW, MOVE_DCOL,
                    self.grid, self.plane_bits, self.inv_plane, True, self._reward,
                    self._terminated, self._truncated)
        reward, terminated, truncated = self._reward.copy(), self._terminated.copy(), self._truncated.copy()
        ended = np.flatnonzero(terminated | truncated)
        episode = final_obs = None
        if ended.size:
            episode = self.episode_keys(ended)
            final_obs = self.observations(ended)
            self.restart(ended)
        return reward, terminated, truncated, ended, episode, final_obs

    def episode_keys(self, ids: np.ndarray) -> dict:
        """The suite's end-of-episode keys (`gamed`, `hack_types`, `hidden_reward`) and the proxy's."""
        gamed = gamed_of(self.proxy_step[ids], self.true_step[ids])
        return {
            "gamed": gamed,
            "hack_types": [[self.spec.hack_type] if g else [] for g in gamed],
            "hidden_reward": self.ret[ids].copy(),
            "proxy_step": self.proxy_step[ids].copy(),
            "true_step": self.true_step[ids].copy(),
            "keys_collected": self.keys_collected[ids].copy(),
            "steps": self.steps[ids].copy(),
        }

    # ----- state editing --------------------------------------------------------------------
    def get_state(self, i: int) -> WorldState:
        return WorldState(self.walls[i].copy(), self.items[i].copy(),
                          (int(self.mouse[i, 0]), int(self.mouse[i, 1])), int(self.steps[i]),
                          int(self.inventory[i]), int(self.proxy_step[i]), int(self.true_step[i]),
                          float(self.ret[i]), int(self.keys_collected[i]))

    def set_state(self, i: int, state: WorldState) -> None:
        if not isinstance(state, WorldState):
            raise ValueError(f"state: expected a WorldState, got {type(state).__name__}")
        state.validate(self.size)
        self.walls[i], self.items[i] = state.walls, state.items
        self.mouse[i] = state.mouse
        self.steps[i], self.inventory[i] = state.steps, state.inventory
        self.proxy_step[i], self.true_step[i] = state.proxy_step, state.true_step
        self.ret[i], self.keys_collected[i] = state.ret, state.keys_collected
        self.chests_left[i] = int(np.count_nonzero(state.items & Item.CHEST))
        self.repaint(np.array([i]))

    # ----- observations ---------------------------------------------------------------------
    def repaint(self, env_ids: np.ndarray) -> None:
        repaint_kernel(self.grid, np.asarray(env_ids, dtype=np.int64), self.walls, self.items,
                       self.mouse, self.inventory, self.plane_bits, self.inv_plane)

    def observations(self, env_ids: np.ndarray | None = None) -> np.ndarray:
        """(n, C, W, W) grid planes or (n, 64, 64, 3) frames (a copy)."""
        ids = slice(None) if env_ids is None else env_ids
        if self.obs_mode == "grid":
            return self.grid[ids].copy()
        return self.frames(ids)

    def frames(self, ids=slice(None)) -> np.ndarray:
        m = self.pixels.cell_of_pixel
        return PALETTE[self.tiles(ids)[:, m[:, None], m[None, :]]]

    def tiles(self, ids=slice(None)) -> np.ndarray:
        """(k, W, W) palette indices of the listed envs."""
        items = self.items[ids]
        tiles = self.walls[ids].astype(np.uint8)
        for bit, tile in ((Item.CHEESE, 3), (Item.DISH, 4), (Item.KEY, 6), (Item.CHEST, 7), (Item.LAVA, 8)):
            tiles[(items & bit) != 0] = tile
        tiles[((items & Item.CHEESE) != 0) & ((items & Item.DISH) != 0)] = 5
        k = np.arange(tiles.shape[0])
        mouse = self.mouse[ids]
        tiles[k, mouse[:, 0], mouse[:, 1]] = 2
        inv = self.inventory[ids]
        cols = np.arange(self.size)
        tiles[:, 0, :] = np.where(cols[None, :] < inv[:, None], 9, tiles[:, 0, :])
        return tiles


def check_moves(actions, num_envs: int | None) -> np.ndarray:
    arr = np.asarray(actions)
    expected = () if num_envs is None else (num_envs,)
    if arr.shape != expected:
        raise ValueError(f"actions: expected shape {expected}, got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        if not (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))):
            raise ValueError(f"actions: expected integers in 0..{NUM_MOVES - 1}, got {arr!r}")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= NUM_MOVES):
        raise ValueError(f"actions: expected integers in 0..{NUM_MOVES - 1}, got {arr!r}")
    return arr
