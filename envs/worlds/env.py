"""The goal-misgeneralization worlds as Gymnasium envs: `WorldEnv` (single) and `WorldVectorEnv`."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from specgym.envs.maze.vector_helpers import per_env_seeds
from specgym.envs.worlds.batch import WorldBatch, check_moves
from specgym.envs.worlds.state import NUM_MOVES, WorldState, draw_level

RENDER_MODES = ["rgb_array", "ansi"]
RESET_OPTIONS = ("state",)
VECTOR_RESET_OPTIONS = ("states", "reset_mask")


def observation_space(batch: WorldBatch) -> spaces.Box:
    if batch.obs_mode == "grid":
        return spaces.Box(0, 1, (batch.num_planes, batch.size, batch.size), np.uint8)
    return spaces.Box(0, 255, (64, 64, 3), np.uint8)


def _check_options(options, allowed) -> dict:
    options = {} if options is None else options
    if not isinstance(options, dict):
        raise ValueError(f"options: expected a dict or None, got {type(options).__name__}")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"options: unknown keys {unknown}; allowed: {list(allowed)}")
    return options


def _check_render_mode(render_mode):
    if render_mode is not None and render_mode not in RENDER_MODES:
        raise ValueError(f"render_mode: expected one of {RENDER_MODES} or None, got {render_mode!r}")
    return render_mode


class WorldEnv(gym.Env):
    """A goal-misgeneralization world on the native batched engine (a batch of one).

    | id                          | true goal                 | proxy learned in training      |
    |-----------------------------|---------------------------|--------------------------------|
    | specgym/CheeseInCorner-v0   | cheese (+1)               | the top-right corner           |
    | specgym/CheeseOnDish-v0     | cheese (+1)               | the dish                       |
    | specgym/KeysAndChests-v0    | chests opened (+1 each)   | collecting keys                |
    | specgym/LavaLand-v0         | cheese (+1), lava -1 ends | the lava-blind shortest path   |

    | Observation (obs_mode) | Shape        | Meaning                                           |
    |------------------------|--------------|---------------------------------------------------|
    | "grid" (default)       | (C, W, W)    | one-hot planes: wall, mouse, then the world's     |
    |                        |              | (`env.unwrapped.spec_.channels`)                  |
    | "rgb"                  | (64, 64, 3)  | the whole grid                                    |

    Actions: Discrete(4), UP, LEFT, DOWN, RIGHT (`Move`). `distribution="train"` draws the
    training levels (with `test_share` = the probability of a test level instead), "test" the
    levels where proxy and true goal part. `generator` is "kruskal", "blocks", "noise" or
    "open"; `size` is the grid side including the border walls. The step that ends an episode
    reports `gamed` (the proxy was pursued before or instead of the true goal), `hack_types`,
    `hidden_reward` (the true goal's return), `proxy_step`, `true_step`, `keys_collected`.

    Warning: the next level is drawn inside the step that ends an episode (SAME_STEP, like
    the maze); `reset()` after an ended episode continues with that level.

    >>> import gymnasium as gym, specgym
    >>> env = gym.make("specgym/CheeseOnDish-v0", size=9)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (4, 9, 9)
    """

    metadata = {"render_modes": RENDER_MODES, "render_fps": 10}

    def __init__(self, world: str = "corner", size: int = 13, generator: str = "kruskal",
                 distribution: str = "train", obs_mode: str = "grid", max_steps: int = 128,
                 lava_penalty: float = 1.0, render_mode: str | None = None, **params):
        self.render_mode = _check_render_mode(render_mode)
        self.batch = WorldBatch(world, 1, size, generator, distribution, obs_mode, max_steps,
                                lava_penalty, **params)
        self.spec_ = self.batch.spec
        self.observation_space = observation_space(self.batch)
        self.action_space = spaces.Discrete(NUM_MOVES)
        self._ids = np.zeros(1, dtype=np.int64)
        self._needs_reset = True
        self._restarted = False
        self._seeded = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = _check_options(options, RESET_OPTIONS)
        if seed is None and not self._seeded:
            seed = int(self.np_random.integers(2**31))
        if seed is not None or not self._restarted:
            self.batch.restart(self._ids, None if seed is None else np.array([seed]))
        self._seeded, self._restarted, self._needs_reset = True, False, False
        if "state" in options:
            self.batch.set_state(0, options["state"])
        return self.batch.observations()[0], {}

    def step(self, action):
        if self._needs_reset:
            raise gym.error.ResetNeeded("step: call reset() before step() (the episode has ended)")
        reward, terminated, truncated, ended, episode, final_obs = self.batch.step(
            check_moves(action, None).reshape(1))
        info: dict[str, Any] = {"steps": int(self.batch.steps[0]) if not ended.size else int(episode["steps"][0])}
        obs = self.batch.observations()[0]
        if ended.size:
            info.update({k: (v[0].item() if isinstance(v, np.ndarray) else v[0]) for k, v in episode.items()})
            obs = final_obs[0]
            self._needs_reset, self._restarted = True, True
        return obs, float(reward[0]), bool(terminated[0]), bool(truncated[0]), info

    def get_state(self) -> WorldState:
        return self.batch.get_state(0)

    def set_state(self, state: WorldState) -> None:
        self.batch.set_state(0, state)
        self._needs_reset, self._restarted = False, False

    def render(self):
        if self.render_mode == "rgb_array":
            return self.batch.frames()[0]
        if self.render_mode == "ansi":
            return draw_level(self.get_state()) + "\n"
        return None

    def __str__(self) -> str:
        return draw_level(self.get_state())


class WorldVectorEnv(VectorEnv):
    """N levels of a world in one batch; env i seeded with s + i equals `WorldEnv` seeded so.

    SAME_STEP autoreset: the observation returned with an episode's last step is the next
    level's first; the ended episode's keys go to `info["final_info"]` (mask
    `info["_final_info"]`), its last observation to `info["final_obs"]`. `reset(options=
    {"states": [...], "reset_mask": mask})` writes levels; `set_state(i, s)` edits one env
    (what the level samplers of `specgym.curricula.levels` use).

    >>> import gymnasium as gym, specgym
    >>> envs = gym.make_vec("specgym/KeysAndChests-v0", num_envs=8, size=9)
    >>> obs, info = envs.reset(seed=0)
    >>> obs.shape
    (8, 5, 9, 9)
    """

    metadata = {"render_modes": RENDER_MODES, "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, num_envs: int = 1, world: str = "corner", size: int = 13,
                 generator: str = "kruskal", distribution: str = "train", obs_mode: str = "grid",
                 max_steps: int = 128, lava_penalty: float = 1.0, render_mode: str | None = None,
                 autoreset_mode: str | AutoresetMode = "same_step", **params):
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs: expected an int >= 1, got {num_envs!r}")
        if autoreset_mode not in ("same_step", AutoresetMode.SAME_STEP):
            raise ValueError(f"autoreset_mode: expected 'same_step', got {autoreset_mode!r}")
        self.render_mode = _check_render_mode(render_mode)
        self.num_envs = int(num_envs)
        self.batch = WorldBatch(world, self.num_envs, size, generator, distribution, obs_mode,
                                max_steps, lava_penalty, **params)
        self.spec_ = self.batch.spec
        self.single_observation_space = observation_space(self.batch)
        self.single_action_space = spaces.Discrete(NUM_MOVES)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._seeded = False

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = _check_options(options, VECTOR_RESET_OPTIONS)
        ids = np.arange(self.num_envs)
        if "reset_mask" in options:
            mask = np.asarray(options["reset_mask"])
            if mask.dtype != bool or mask.shape != (self.num_envs,):
                raise ValueError(f"reset_mask: expected a bool array of shape ({self.num_envs},)")
            ids = np.flatnonzero(mask)
        seeds = per_env_seeds(seed, self.num_envs, ids)
        if seeds is None and not self._seeded:
            seeds = self.np_random.integers(2**31, size=ids.size)
        self._seeded = True
        self.batch.restart(ids, seeds)
        if "states" in options:
            states = options["states"]
            if len(states) != self.num_envs:
                raise ValueError(f"states: expected {self.num_envs} WorldStates, got {len(states)}")
            for i in ids:
                self.batch.set_state(int(i), states[i])
        return self.batch.observations(), {}

    def step(self, actions):
        reward, terminated, truncated, ended, episode, final_obs = self.batch.step(
            check_moves(actions, self.num_envs))
        info: dict[str, Any] = {}
        if ended.size:
            mask = np.zeros(self.num_envs, dtype=bool)
            mask[ended] = True
            final: dict[str, Any] = {}
            for key, value in episode.items():
                if isinstance(value, np.ndarray):
                    full = np.zeros(self.num_envs, dtype=value.dtype)
                    full[ended] = value
                else:
                    full = np.full(self.num_envs, None, dtype=object)
                    for i, v in zip(ended, value, strict=True):
                        full[i] = v
                final[key], final[f"_{key}"] = full, mask
            obs_full = np.full(self.num_envs, None, dtype=object)
            for k, i in enumerate(ended):
                obs_full[i] = final_obs[k]
            info.update(final_info=final, _final_info=mask, final_obs=obs_full, _final_obs=mask.copy())
        return self.batch.observations(), reward, terminated, truncated, info

    def get_state(self, i: int) -> WorldState:
        return self.batch.get_state(self._index(i))

    def set_state(self, i: int, state: WorldState) -> None:
        self.batch.set_state(self._index(i), state)

    def observations(self) -> np.ndarray:
        """The current observations of every env (after `set_state` edits)."""
        return self.batch.observations()

    def _index(self, i) -> int:
        if not isinstance(i, (int, np.integer)) or not 0 <= i < self.num_envs:
            raise ValueError(f"i: expected an env index in 0..{self.num_envs - 1}, got {i!r}")
        return int(i)

    def render(self):
        if self.render_mode == "rgb_array":
            return self.batch.frames()
        if self.render_mode == "ansi":
            return "\n\n".join(draw_level(self.get_state(i)) for i in range(self.num_envs)) + "\n"
        return None
