"""`specgym/ProcgenMaze-v0`: the real procgen maze (procgen2) behind the native maze's API."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from specgym.envs.maze.actions import NUM_ACTIONS
from specgym.envs.maze.batch import check_actions
from specgym.envs.maze.env import observation_space
from specgym.envs.maze.options import check_render_mode, check_reset_options, edit_state
from specgym.envs.maze.procgen_batch import ProcgenBatch
from specgym.envs.maze.render import to_ascii
from specgym.envs.maze.state import MazeState


class ProcgenMazeEnv(gym.Env):
    """procgen's own maze game (one `ProcgenGym3Env`), with the state editing of `Maze-v0`.

    | Observation (obs_mode)  | Shape        | Meaning                                            |
    |-------------------------|--------------|----------------------------------------------------|
    | "rgb" (default)         | (64, 64, 3)  | procgen's frame                                    |
    | "grid"                  | (3, W, W)    | wall, mouse, cheese planes of the same state       |

    Actions, reward (+10 and the end on the cheese), the 500-step limit, `difficulty`,
    `cheese_region` and the end-of-episode `info` keys are those of `specgym/Maze-v0`.
    `get_state()` parses procgen's serialized state into a `MazeState`; `set_state()` writes
    walls, maze size, mouse, cheese and steps back into procgen. `reset(seed=s)` reseeds
    procgen's level stream with s, so the same seed gives the same mazes; procgen draws its
    own mazes, which differ from `Maze-v0`'s for the same seed.

    Warning: procgen restarts an episode inside its own step; `reset()` after an episode
    ends continues with the level procgen started, while `reset(seed=...)` forces a new one.

    >>> import gymnasium as gym, specgym
    >>> env = gym.make("specgym/ProcgenMaze-v0", cheese_region=5)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (64, 64, 3)
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 15}

    def __init__(
        self,
        difficulty: str = "hard",
        cheese_region: int | None = None,
        obs_mode: str = "rgb",
        num_threads: int = 0,
        render_mode: str | None = None,
    ):
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.batch = ProcgenBatch(1, difficulty, cheese_region, obs_mode, num_threads)
        self.difficulty = difficulty
        self.observation_space = observation_space(obs_mode, self.batch.world)
        self.action_space = spaces.Discrete(NUM_ACTIONS)
        self._ids = np.zeros(1, dtype=np.int64)
        self._needs_reset = True
        self._seeded = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = check_reset_options(options)
        if seed is None and not self._seeded:  # unseeded first reset: a level stream from entropy
            seed = int(self.np_random.integers(2**32))
        self.batch.restart(self._ids, None if seed is None else np.array([seed]))
        self._seeded = True
        if options:
            self.set_state(edit_state(self.get_state(), options))
        self._needs_reset = False
        return self.batch.obs()[0].copy(), {}

    def step(self, action):
        if self._needs_reset:
            raise gym.error.ResetNeeded("step: call reset() before step() (the episode has ended)")
        action = check_actions(action, None).reshape(1)
        reward, terminated, truncated, ended, _ = self.batch.step(action)
        info: dict[str, Any] = {}
        if ended is not None:
            info = {k: (v[0].item() if isinstance(v, np.ndarray) else v[0]) for k, v in ended.items()}
            self._needs_reset = True
        return (self.batch.obs()[0].copy(), float(reward[0]), bool(terminated[0]),
                bool(truncated[0]), info)

    def get_state(self) -> MazeState:
        """procgen's current state as a `MazeState` (parsed from its serialized bytes)."""
        return self.batch.get_state(0)

    def set_state(self, state: MazeState) -> None:
        """Write a state into procgen (ValueError names a field procgen cannot take)."""
        self.batch.set_state(0, state)
        self._needs_reset = False

    def render(self):
        if self.render_mode == "rgb_array":
            return self.batch.frames[0].copy()
        if self.render_mode == "ansi":
            return to_ascii(self.get_state()) + "\n"
        return None

    def close(self):
        self.batch.close()

    def __str__(self) -> str:
        return to_ascii(self.get_state())
