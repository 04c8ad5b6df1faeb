"""`specgym/Maze-v0` and `specgym/ProcgenMaze-v0`: one Gymnasium env over either maze engine."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from specgym.envs.maze.actions import NUM_ACTIONS
from specgym.envs.maze.batch import check_actions
from specgym.envs.maze.engine import MAX_STEPS, StepResult, generator_params, make_engine
from specgym.envs.maze.options import check_render_mode, check_reset_options, edit_state
from specgym.envs.maze.render import to_ascii
from specgym.envs.maze.state import MazeState

STEP_KEYS = ("mouse", "at_corner", "corner_reached", "steps")


def observation_space(obs_mode: str, world: int) -> spaces.Box:
    if obs_mode == "grid":
        return spaces.Box(0, 1, (3, world, world), np.uint8)
    return spaces.Box(0, 255, (64, 64, 3), np.uint8)


def step_info(result: StepResult) -> dict[str, np.ndarray]:
    """The per-step keys every maze step reports, for the whole batch."""
    return {"mouse": result.mouse, "at_corner": result.at_corner,
            "corner_reached": result.corner_reached, "steps": result.steps}


class MazeEnv(gym.Env):
    """Find the cheese in a randomized Kruskal maze: procgen's maze, native or the real game.

    | engine              | id                        | what steps                                  |
    |---------------------|---------------------------|---------------------------------------------|
    | "native" (default)  | specgym/Maze-v0           | numpy arrays (any `max_steps`, `maze_size`) |
    | "procgen"           | specgym/ProcgenMaze-v0    | procgen2's game (500 steps, its own sizes)  |

    | Observation (obs_mode)  | Shape        | Meaning                                          |
    |-------------------------|--------------|--------------------------------------------------|
    | "rgb" (default)         | (64, 64, 3)  | the whole world (procgen's own frame on procgen) |
    | "grid"                  | (3, W, W)    | one-hot planes: wall, mouse, cheese (W = 25/15)  |

    Actions are procgen's Discrete(15): LEFT = 0, 1, 2; DOWN = 3; UP = 5; RIGHT = 6, 7, 8;
    the rest are no-ops. Reaching the cheese gives +10 and ends the episode; 500 steps
    truncate it. With `cheese_region=n` the cheese is drawn from the maze's top-right n x n
    cells, the training distribution of the goal-misgeneralization work.

    | generator (native)  | the maze square (procgen's sizes, centred in walls)                  |
    |---------------------|----------------------------------------------------------------------|
    | "kruskal" (default) | procgen's randomized Kruskal maze, a tree (the procgen engine's only)|
    | "blocks"            | each cell a wall with probability `block_density` (0.25)             |
    | "noise"             | smooth value noise, lattice `noise_scale` (3), walls below `noise_density` (0.35) |
    | "open"              | no walls                                                             |

    Whatever the generator, the mouse starts on the bottom-left cell, the top-right cell is
    open and reachable, and the cheese is drawn among the cells the mouse can reach.

    Every step's `info` has `mouse` (row, col), `at_corner`, `corner_reached` (this episode)
    and `steps`; the step that ends an episode adds `gamed`, `hack_types`, `hidden_reward`,
    `cheese_reached`. `get_state()` / `set_state()` read and write the state as data.

    Warning: the engine starts the next episode inside the step that ends one (procgen can do
    nothing else); `reset()` after an episode ended continues with that maze, while
    `reset(seed=...)` reseeds and draws a new one.

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
        engine: str = "native",
        num_threads: int = 0,
        generator: str = "kruskal",
        block_density: float | None = None,
        noise_density: float | None = None,
        noise_scale: int | None = None,
    ):
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.engine = make_engine(engine, 1, difficulty, cheese_region, obs_mode, max_steps,
                                  maze_size, num_threads, generator,
                                  **generator_params(block_density, noise_density, noise_scale))
        self.engine_name = engine
        self.difficulty = difficulty
        self.observation_space = observation_space(obs_mode, self.engine.world)
        self.action_space = spaces.Discrete(NUM_ACTIONS)
        self._ids = np.zeros(1, dtype=np.int64)
        self._needs_reset = True
        self._restarted = False  # the engine already began a new episode (after an ended one)
        self._seeded = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = check_reset_options(options)
        if seed is None and not self._seeded:  # unseeded first reset: a maze stream from entropy
            seed = int(self.np_random.integers(2**31))
        if seed is not None or not self._restarted:
            self.engine.restart(self._ids, None if seed is None else np.array([seed]))
        self._seeded = True
        self._restarted = False
        if options:
            self.set_state(edit_state(self.get_state(), options))
        self._needs_reset = False
        return self.engine.observations()[0], {}

    def step(self, action):
        if self._needs_reset:
            raise gym.error.ResetNeeded("step: call reset() before step() (the episode has ended)")
        action = check_actions(action, None).reshape(1)
        result = self.engine.step(action)
        info: dict[str, Any] = {
            "mouse": tuple(int(v) for v in result.mouse[0]), "at_corner": bool(result.at_corner[0]),
            "corner_reached": bool(result.corner_reached[0]), "steps": int(result.steps[0]),
        }
        obs = self.engine.observations()[0]
        if result.episode is not None:
            info.update({k: (v[0].item() if isinstance(v, np.ndarray) else v[0])
                         for k, v in result.episode.items()})
            if result.final_obs is not None:
                obs = result.final_obs[0]
            self._needs_reset = True
            self._restarted = True
        return (obs, float(result.reward[0]), bool(result.terminated[0]),
                bool(result.truncated[0]), info)

    def get_state(self) -> MazeState:
        """The full episode state as data (see `MazeState`)."""
        return self.engine.get_state(0)

    def set_state(self, state: MazeState) -> None:
        """Restore a state (validated; ValueError names the bad field)."""
        self.engine.set_state(0, state)
        self._needs_reset = False
        self._restarted = False

    def render(self):
        if self.render_mode == "rgb_array":
            return self.engine.frames()[0]
        if self.render_mode == "ansi":
            return to_ascii(self.get_state()) + "\n"
        return None

    def close(self):
        self.engine.close()

    def __str__(self) -> str:
        return to_ascii(self.get_state())
