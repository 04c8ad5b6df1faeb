"""Mazes: procgen's maze rebuilt natively (batched), and the real procgen game behind the same API."""

from specgym.envs.maze.actions import NUM_ACTIONS, Action
from specgym.envs.maze.env import MazeEnv
from specgym.envs.maze.render import Plane, from_ascii, to_ascii
from specgym.envs.maze.state import MazeState
from specgym.envs.maze.vector import MazeVectorEnv

__all__ = ["NUM_ACTIONS", "Action", "MazeEnv", "MazeState", "MazeVectorEnv", "Plane", "from_ascii", "to_ascii"]
