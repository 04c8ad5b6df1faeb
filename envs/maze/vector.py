"""`gym.make_vec("specgym/Maze-v0" | "specgym/ProcgenMaze-v0", num_envs=N)`: N mazes, one engine."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from specgym.envs.maze.actions import NUM_ACTIONS
from specgym.envs.maze.batch import check_actions
from specgym.envs.maze.engine import MAX_STEPS, generator_params, make_engine
from specgym.envs.maze.env import observation_space, step_info
from specgym.envs.maze.options import check_render_mode
from specgym.envs.maze.render import to_ascii
from specgym.envs.maze.state import MazeState
from specgym.envs.maze.vector_helpers import VectorMazeHelpers

AUTORESET_MODES = ("same_step",)


class MazeVectorEnv(VectorMazeHelpers, VectorEnv):
    """A batch of mazes on one engine; env i seeded with s + i equals the single env seeded so.

    No Python loop runs over the environments in a native `step`. Autoreset is Gymnasium's
    SAME_STEP for both engines: the observation returned with an episode's last step is
    already the next episode's first; the ended episode's keys (`gamed`, `hack_types`,
    `hidden_reward`, `cheese_reached`, `corner_reached`, `steps`) go to `info["final_info"]`
    (mask `info["_final_info"]`) and its last observation to `info["final_obs"]`.
    Every step's `info` also holds, for all envs, `mouse` (N, 2), `at_corner`,
    `corner_reached` and `steps`, where the mouse stood after the action (before a restart).

    Warning: gym3 never shows an episode's last frame, so the procgen engine with
    `obs_mode="rgb"` gives no `final_obs`.

    >>> import gymnasium as gym, specgym
    >>> envs = gym.make_vec("specgym/Maze-v0", num_envs=8, obs_mode="grid", difficulty="easy")
    >>> obs, info = envs.reset(seed=0)
    >>> obs.shape
    (8, 3, 15, 15)
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        difficulty: str = "hard",
        cheese_region: int | None = None,
        obs_mode: str = "rgb",
        max_steps: int = MAX_STEPS,
        maze_size: int | None = None,
        render_mode: str | None = None,
        autoreset_mode: str | AutoresetMode = "same_step",
        engine: str = "native",
        num_threads: int = 0,
        generator: str = "kruskal",
        block_density: float | None = None,
        noise_density: float | None = None,
        noise_scale: int | None = None,
    ):
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs: expected an int >= 1, got {num_envs!r}")
        if autoreset_mode not in AUTORESET_MODES + (AutoresetMode.SAME_STEP,):
            raise ValueError(f"autoreset_mode: expected one of {AUTORESET_MODES}, got {autoreset_mode!r}")
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.num_envs = int(num_envs)
        self.engine = make_engine(engine, self.num_envs, difficulty, cheese_region, obs_mode,
                                  max_steps, maze_size, num_threads, generator,
                                  **generator_params(block_density, noise_density, noise_scale))
        self.engine_name = engine
        self.single_observation_space = observation_space(obs_mode, self.engine.world)
        self.single_action_space = spaces.Discrete(NUM_ACTIONS)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._all = np.arange(self.num_envs)
        self._seeded = False

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        ids, seeds, options = self._reset_targets(seed, options)
        if seeds is None and not self._seeded:  # unseeded first reset: streams from entropy
            seeds = self.np_random.integers(2**31, size=ids.size)
        self._seeded = True
        self.engine.restart(ids, seeds)
        self._apply_reset_options(ids, options)
        return self.engine.observations(), {}

    def step(self, actions):
        actions = check_actions(actions, self.num_envs)
        result = self.engine.step(actions)
        info: dict[str, Any] = {}
        for key, value in step_info(result).items():
            info[key] = value
            info[f"_{key}"] = np.ones(self.num_envs, dtype=bool)
        ids = result.ended_ids
        if ids.size:
            mask = result.terminated | result.truncated
            info["final_info"] = self._masked_info(ids, result.episode)
            info["_final_info"] = mask
            if result.final_obs is not None:
                info["final_obs"] = self._object_array(ids, list(result.final_obs))
                info["_final_obs"] = mask.copy()
        return (self.engine.observations(), result.reward, result.terminated, result.truncated,
                info)

    # ----- state and rendering -------------------------------------------------------------
    def get_state(self, i: int) -> MazeState:
        """Env i's state as data."""
        return self.engine.get_state(self._check_index(i))

    def set_state(self, i: int, state: MazeState) -> None:
        """Write a `MazeState` into env i (ValueError names a bad field)."""
        self.engine.set_state(self._check_index(i), state)

    def render(self):
        if self.render_mode == "rgb_array":
            return self.engine.frames()
        if self.render_mode == "ansi":
            return "\n\n".join(to_ascii(self.get_state(i)) for i in range(self.num_envs)) + "\n"
        return None

    def close_extras(self, **kwargs):
        self.engine.close()
