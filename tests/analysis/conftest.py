"""A hand-built IMPALA policy whose first conv channel is exactly the cheese plane."""

from __future__ import annotations

import pytest
import torch

from specgym.agents.policies import ImpalaConfig, ImpalaPolicy
from specgym.envs.maze.render import Plane

torch.set_num_threads(1)


def cheese_plane_policy(seed: int = 0) -> ImpalaPolicy:
    """block1.conv channel 0 = the cheese plane; channels 1..3 read only the walls."""
    torch.manual_seed(seed)
    policy = ImpalaPolicy(ImpalaConfig(input="grid", world_size=15, channels=[4, 4, 4], hidden=16))
    with torch.no_grad():
        conv = policy.embedder.block1.conv
        conv.weight.zero_()
        conv.bias.zero_()
        conv.weight[0, Plane.CHEESE, 1, 1] = 1.0
        conv.weight[1:, Plane.WALL] = torch.randn(3, 3, 3)
    return policy.eval()


@pytest.fixture
def cheese_policy() -> ImpalaPolicy:
    return cheese_plane_policy()
