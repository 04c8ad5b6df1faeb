"""Policies for the maze: the IMPALA CNN, named hook points, saving and loading."""

from specgym.agents.policies.hooks import HookPoint, capture, hook_names, patch
from specgym.agents.policies.impala import ImpalaConfig, ImpalaPolicy
from specgym.agents.policies.io import load_policy, save_policy

__all__ = [
    "HookPoint", "ImpalaConfig", "ImpalaPolicy", "capture", "hook_names", "load_policy", "patch",
    "save_policy",
]
