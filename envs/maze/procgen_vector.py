"""`gym.make_vec("specgym/ProcgenMaze-v0", num_envs=N)`: N procgen mazes in one gym3 instance."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from specgym.envs.maze.actions import NUM_ACTIONS
from specgym.envs.maze.batch import check_actions
from specgym.envs.maze.env import observation_space
from specgym.envs.maze.options import check_render_mode
from specgym.envs.maze.procgen_batch import ProcgenBatch
from specgym.envs.maze.render import to_ascii
from specgym.envs.maze.state import MazeState
from specgym.envs.maze.vector_helpers import VectorMazeHelpers


class ProcgenMazeVectorEnv(VectorMazeHelpers, VectorEnv):
    """N real procgen mazes stepped by one `ProcgenGym3Env(num=N, num_threads=k)`.

    Autoreset is procgen's own (Gymnasium's SAME_STEP mode): the observation returned with
    the last step of an episode is already the next episode's first frame. The ended episode's
    keys (`gamed`, `hack_types`, `hidden_reward`, `cheese_reached`, `corner_reached`, `steps`)
    go to `info["final_info"]` with the mask `info["_final_info"]`, as in `Maze-v0` with
    `autoreset_mode="same_step"`.

    Warning: gym3 never shows an episode's last frame, so with `obs_mode="rgb"` there is no
    `info["final_obs"]`; with `obs_mode="grid"` `final_obs` holds the last grid planes.
    Env i of a batch reset with seed s plays the levels of `ProcgenMaze-v0` reset with s + i.
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        difficulty: str = "hard",
        cheese_region: int | None = None,
        obs_mode: str = "rgb",
        num_threads: int = 4,
        render_mode: str | None = None,
    ):
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs: expected an int >= 1, got {num_envs!r}")
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.num_envs = int(num_envs)
        self.batch = ProcgenBatch(self.num_envs, difficulty, cheese_region, obs_mode, num_threads)
        self.single_observation_space = observation_space(obs_mode, self.batch.world)
        self.single_action_space = spaces.Discrete(NUM_ACTIONS)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._all = np.arange(self.num_envs)
        self._seeded = False

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        ids, seeds, options = self._reset_targets(seed, options)
        if seeds is None and not self._seeded:
            seeds = self.np_random.integers(2**32, size=ids.size)
        self._seeded = True
        self.batch.restart(ids, seeds)
        self._apply_reset_options(ids, options)
        return self.batch.obs(), {}

    def step(self, actions):
        actions = check_actions(actions, self.num_envs)
        reward, terminated, truncated, ended, final_planes = self.batch.step(actions)
        info: dict[str, Any] = {}
        if ended is not None:
            mask = terminated | truncated
            ids = np.flatnonzero(mask)
            info["final_info"] = self._masked_info(ids, ended)
            info["_final_info"] = mask
            if self.batch.obs_mode == "grid":
                info["final_obs"] = self._object_array(ids, list(final_planes))
                info["_final_obs"] = mask.copy()
        return self.batch.obs(), reward, terminated, truncated, info

    # ----- state and rendering -------------------------------------------------------------
    def get_state(self, i: int) -> MazeState:
        """Env i's procgen state, parsed into a `MazeState`."""
        return self.batch.get_state(self._check_index(i))

    def set_state(self, i: int, state: MazeState) -> None:
        """Write a `MazeState` into env i's procgen game (ValueError names a bad field)."""
        self.batch.set_state(self._check_index(i), state)

    def render(self):
        if self.render_mode == "rgb_array":
            return self.batch.frames.copy()
        if self.render_mode == "ansi":
            return "\n\n".join(to_ascii(self.get_state(i)) for i in range(self.num_envs)) + "\n"
        return None

    def close_extras(self, **kwargs):
        self.batch.close()
