"""`specgym/Maze-v0`: procgen's maze game as a single Gymnasium environment."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from specgym.envs.maze.actions import NUM_ACTIONS
from specgym.envs.maze.batch import MAX_STEPS, MazeBatch, check_actions
from specgym.envs.maze.options import check_render_mode, check_reset_options, edit_state
from specgym.envs.maze.render import rgb_frame, to_ascii
from specgym.envs.maze.state import MazeState


def observation_space(obs_mode: str, world: int) -> spaces.Box:
    if obs_mode == "grid":
        return spaces.Box(0, 1, (3, world, world), np.uint8)
    return spaces.Box(0, 255, (64, 64, 3), np.uint8)


class MazeEnv(gym.Env):
    """Find the cheese in a randomized Kruskal maze (procgen's maze, rebuilt natively).

    | Observation (obs_mode)  | Shape        | Meaning                                          |
    |-------------------------|--------------|--------------------------------------------------|
    | "rgb" (default)         | (64, 64, 3)  | the whole world, as procgen draws it             |
    | "grid"                  | (3, W, W)    | one-hot planes: wall, mouse, cheese (W = 25/15)  |

    Actions are procgen's Discrete(15): LEFT = 0, 1, 2; DOWN = 3; UP = 5; RIGHT = 6, 7, 8;
    the rest are no-ops. Reaching the cheese gives +10 and ends the episode; 500 steps
    truncate it (`max_steps`). `maze_size` fixes the maze size (default: procgen's uniform
    odd size in 3..W). With `cheese_region=n` the cheese is drawn from the maze's top-right n x n
    cells, the training distribution of the goal-misgeneralization work.

    >>> import gymnasium as gym, specgym
    >>> env = gym.make("specgym/Maze-v0", obs_mode="grid", cheese_region=5)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (3, 25, 25)
    """

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 15}

    def __init__(
        self,
        difficulty: str = "hard",
        cheese_region: int | None = None,
        obs_mode: str = "rgb",
        max_steps: int = MAX_STEPS,
        maze_size: int | None = None,
        render_mode: str | None = None,
    ):
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.batch = MazeBatch(1, difficulty, cheese_region, obs_mode, max_steps, maze_size)
        self.difficulty = difficulty
        self.observation_space = observation_space(obs_mode, self.batch.world)
        self.action_space = spaces.Discrete(NUM_ACTIONS)
        self._ids = np.zeros(1, dtype=np.int64)
        self._needs_reset = True
        self._seeded = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = check_reset_options(options)
        if seed is not None:
            self.batch.seed(self._ids, np.array([seed]))
        elif not self._seeded:  # unseeded first reset: draw the maze stream from entropy
            self.batch.seed(self._ids, self.np_random.integers(2**63, size=1))
        self._seeded = True
        self.batch.generate(self._ids)
        if options:
            self.set_state(edit_state(self.get_state(), options))
        self._needs_reset = False
        return self.batch.obs[0].copy(), {}

    def step(self, action):
        if self._needs_reset:
            raise gym.error.ResetNeeded("step: call reset() before step() (the episode has ended)")
        action = check_actions(action, None).reshape(1)
        reward, terminated, truncated = self.batch.step(action)
        info: dict[str, Any] = {}
        if terminated[0] or truncated[0]:
            ended = self.batch.episode_info(self._ids)
            info = {k: (v[0].item() if isinstance(v, np.ndarray) else v[0]) for k, v in ended.items()}
            self._needs_reset = True
        return self.batch.obs[0].copy(), float(reward[0]), bool(terminated[0]), bool(truncated[0]), info

    def get_state(self) -> MazeState:
        """The full episode state as data (see `MazeState`)."""
        return self.batch.get_state(0)

    def set_state(self, state: MazeState) -> None:
        """Restore a state (validated; ValueError names the bad field)."""
        self.batch.set_state(0, state)
        self._needs_reset = False

    def render(self):
        if self.render_mode == "rgb_array":
            return rgb_frame(self.get_state())
        if self.render_mode == "ansi":
            return to_ascii(self.get_state()) + "\n"
        return None

    def __str__(self) -> str:
        return to_ascii(self.get_state())
