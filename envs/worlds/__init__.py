"""Goal-misgeneralization worlds on the native batched engine: corner, dish, keys and chests, lava."""

from specgym.envs.worlds.env import WorldEnv, WorldVectorEnv
from specgym.envs.worlds.state import Item, Move, WorldState, draw_level, parse_level
from specgym.envs.worlds.worlds import WORLDS, world_spec

__all__ = ["WORLDS", "Item", "Move", "WorldEnv", "WorldState", "WorldVectorEnv", "draw_level",
           "parse_level", "world_spec"]
