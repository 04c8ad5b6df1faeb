"""Mazes: procgen's maze rebuilt natively (batched) and the real procgen game, as two engines
(`MazeEngine`) under one env class and one vector class."""

from specgym.envs.maze.actions import NUM_ACTIONS, Action
from specgym.envs.maze.engine import MazeEngine, StepResult, make_engine
from specgym.envs.maze.env import MazeEnv
from specgym.envs.maze.render import Plane, from_ascii, to_ascii
from specgym.envs.maze.state import MazeState
from specgym.envs.maze.vector import MazeVectorEnv

__all__ = [
    "NUM_ACTIONS", "Action", "MazeEngine", "MazeEnv", "MazeState", "MazeVectorEnv", "Plane",
    "StepResult", "from_ascii", "make_engine", "to_ascii",
]
