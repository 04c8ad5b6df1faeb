"""`gym.make_vec("specgym/Maze-v0", num_envs=N)`: N mazes stepped by array operations."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from specgym.envs.maze.actions import NUM_ACTIONS
from specgym.envs.maze.batch import MAX_STEPS, MazeBatch, check_actions
from specgym.envs.maze.env import observation_space
from specgym.envs.maze.options import check_render_mode
from specgym.envs.maze.render import rgb_frame, to_ascii
from specgym.envs.maze.state import MazeState
from specgym.envs.maze.vector_helpers import VectorMazeHelpers

AUTORESET_MODES = {"next_step": AutoresetMode.NEXT_STEP, "same_step": AutoresetMode.SAME_STEP}


class MazeVectorEnv(VectorMazeHelpers, VectorEnv):
    """A batch of procgen-style mazes; environment i seeded with s + i equals `Maze-v0` seeded so.

    No Python loop runs over the environments in `step` or in rendering. Episodes that end
    restart automatically: by default on the next step (Gymnasium's NEXT_STEP mode, the
    action given to a finished env is ignored); with `autoreset_mode="same_step"` at once,
    the last observation and info going to `info["final_obs"]` / `info["final_info"]`.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        difficulty: str = "hard",
        cheese_region: int | None = None,
        obs_mode: str = "rgb",
        max_steps: int = MAX_STEPS,
        maze_size: int | None = None,
        render_mode: str | None = None,
        autoreset_mode: str | AutoresetMode = "next_step",
    ):
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs: expected an int >= 1, got {num_envs!r}")
        if isinstance(autoreset_mode, str):
            if autoreset_mode not in AUTORESET_MODES:
                raise ValueError(
                    f"autoreset_mode: expected one of {sorted(AUTORESET_MODES)}, got {autoreset_mode!r}"
                )
            autoreset_mode = AUTORESET_MODES[autoreset_mode]
        self.metadata = {**self.metadata, "autoreset_mode": autoreset_mode}
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.num_envs = int(num_envs)
        self.batch = MazeBatch(self.num_envs, difficulty, cheese_region, obs_mode, max_steps, maze_size)
        self.single_observation_space = observation_space(obs_mode, self.batch.world)
        self.single_action_space = spaces.Discrete(NUM_ACTIONS)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._all = np.arange(self.num_envs)
        self._ended = np.zeros(self.num_envs, dtype=bool)
        self._seeded = False

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        ids, seeds, options = self._reset_targets(seed, options)
        if seeds is not None:
            self.batch.seed(ids, seeds)
        elif not self._seeded:
            self.batch.seed(self._all, self.np_random.integers(2**63, size=self.num_envs))
        self._seeded = True
        self.batch.generate(ids)
        self._apply_reset_options(ids, options)
        self._ended[ids] = False
        return self.batch.obs.copy(), {}

    def step(self, actions):
        actions = check_actions(actions, self.num_envs)
        same_step = self.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
        restarting = np.flatnonzero(self._ended)
        if restarting.size:  # NEXT_STEP: envs that ended last step restart, ignoring the action
            self.batch.generate(restarting)
            reward, terminated, truncated = self.batch.step(actions, active=~self._ended)
        else:
            reward, terminated, truncated = self.batch.step(actions)
        ended = terminated | truncated
        info: dict[str, Any] = {}
        if ended.any():
            ended_ids = np.flatnonzero(ended)
            episode = self._masked_info(ended_ids, self.batch.episode_info(ended_ids))
            if same_step:
                info["final_obs"] = self._object_array(ended_ids, list(self.batch.obs[ended_ids].copy()))
                info["_final_obs"] = ended.copy()
                info["final_info"] = episode
                info["_final_info"] = ended.copy()
                self.batch.generate(ended_ids)
            else:
                info = episode
        self._ended = ended if not same_step else np.zeros(self.num_envs, dtype=bool)
        return self.batch.obs.copy(), reward, terminated, truncated, info

    # ----- state and rendering -------------------------------------------------------------
    def get_state(self, i: int) -> MazeState:
        return self.batch.get_state(self._check_index(i))

    def set_state(self, i: int, state: MazeState) -> None:
        self.batch.set_state(self._check_index(i), state)
        self._ended[i] = False

    def render(self):
        if self.render_mode == "rgb_array":
            return np.stack([rgb_frame(self.get_state(i)) for i in range(self.num_envs)])
        if self.render_mode == "ansi":
            return "\n\n".join(to_ascii(self.get_state(i)) for i in range(self.num_envs)) + "\n"
        return None
