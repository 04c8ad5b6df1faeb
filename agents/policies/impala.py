"""The IMPALA CNN policy of the procgen literature, with every activation named for analysis.

Module names follow the maze-policy interpretability work: `embedder.block1.conv`,
`embedder.block1.maxpool_out`, `embedder.block2.res1.resadd_out`, `embedder.fc`,
`embedder.relufc_out`, `fc_policy`, `fc_value`. Inputs are raw observations: 64x64x3 RGB
(uint8, scaled by 1/255 inside) or the native maze's (3, W, W) grid planes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from specgym.agents.policies.hooks import HookPoint, capture

INPUTS = ("rgb", "grid")


@dataclass
class ImpalaConfig:
    """Architecture of an IMPALA policy (saved next to its weights as JSON)."""

    input: str = "grid"
    """"rgb": (64, 64, 3) uint8 frames; "grid": (3, W, W) planes."""
    world_size: int = 15
    """Side of the grid observation (25 hard, 15 easy); ignored for rgb."""
    channels: list[int] = field(default_factory=lambda: [16, 32, 32])
    """Output channels of the three blocks (16/32/32 CleanRL; 64/128/128 the original work)."""
    hidden: int = 256
    num_actions: int = 15
    in_channels: int = 3
    """Planes of a grid observation (3 for the maze; the worlds have 3-5); rgb is always 3."""

    def __post_init__(self):
        if self.input not in INPUTS:
            raise ValueError(f"input: expected one of {INPUTS}, got {self.input!r}")
        if len(self.channels) != 3 or any(int(c) < 1 for c in self.channels):
            raise ValueError(f"channels: expected three positive ints, got {self.channels!r}")

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) after the policy's own layout change."""
        if self.input == "rgb":
            return (3, 64, 64)
        return (int(self.in_channels), self.world_size, self.world_size)

    def to_dict(self) -> dict:
        return asdict(self)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.relu1_out = HookPoint()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.relu2_out = HookPoint()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.resadd_out = HookPoint()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(self.relu1_out(torch.relu(x)))
        out = self.conv2(self.relu2_out(torch.relu(out)))
        return self.resadd_out(x + out)


class ImpalaBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.maxpool_out = HookPoint()
        self.res1 = ResidualBlock(out_channels)
        self.res2 = ResidualBlock(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res2(self.res1(self.maxpool_out(self.maxpool(self.conv(x)))))


def pooled(size: int) -> int:
    return (size + 1) // 2


class ImpalaEmbedder(nn.Module):
    """Observation -> 256 features: three IMPALA blocks, ReLU, fully connected, ReLU."""

    def __init__(self, config: ImpalaConfig):
        super().__init__()
        self.config = config
        c1, c2, c3 = (int(c) for c in config.channels)
        self.block1 = ImpalaBlock(config.input_shape[0], c1)
        self.block2 = ImpalaBlock(c1, c2)
        self.block3 = ImpalaBlock(c2, c3)
        self.relu3_out = HookPoint()
        side = pooled(pooled(pooled(config.input_shape[1])))
        self.flatten_out = HookPoint()
        self.fc = nn.Linear(c3 * side * side, config.hidden)
        self.relufc_out = HookPoint()
        self.output_dim = config.hidden

    def prepare(self, obs: torch.Tensor) -> torch.Tensor:
        """Raw observations (any numeric dtype) -> float (N, C, H, W) in [0, 1]."""
        if obs.dim() == 3:
            obs = obs.unsqueeze(0)
        obs = obs.float()
        if self.config.input == "rgb":
            if obs.shape[-1] == 3:  # HWC frames from the env
                obs = obs.permute(0, 3, 1, 2)
            obs = obs / 255.0
        expected = self.config.input_shape
        if tuple(obs.shape[1:]) != expected:
            raise ValueError(f"obs: expected shape (N, {expected}), got {tuple(obs.shape)}")
        # channels-last input lets oneDNN pick its fast convolution kernels on CPU: the PPO
        # update measured 1.3x faster (benchmarks/ppo_throughput.py); the values are unchanged.
        return obs.contiguous(memory_format=torch.channels_last)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = self.block3(self.block2(self.block1(self.prepare(obs))))
        x = self.flatten_out(torch.flatten(self.relu3_out(torch.relu(x)), 1))
        return self.relufc_out(torch.relu(self.fc(x)))


class ImpalaPolicy(nn.Module):
    """IMPALA actor-critic: `forward(obs)` returns (action logits, value)."""

    def __init__(self, config: ImpalaConfig):
        super().__init__()
        self.config = config
        self.embedder = ImpalaEmbedder(config)
        self.fc_policy = nn.Linear(config.hidden, config.num_actions)
        self.fc_value = nn.Linear(config.hidden, 1)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.embedder(obs)
        return self.fc_policy(features), self.fc_value(features).squeeze(-1)

    def forward_with_activations(self, obs: torch.Tensor, names: list[str]):
        """(logits, value, {name: activation}) in one pass."""
        with capture(self, names) as acts:
            logits, value = self(obs)
        return logits, value, dict(acts)

    @torch.no_grad()
    def act(self, obs, deterministic: bool = False, generator: torch.Generator | None = None):
        """Actions for a batch of raw numpy/tensor observations."""
        logits, _ = self(torch.as_tensor(obs))
        if deterministic:
            return logits.argmax(-1).numpy()
        probs = torch.softmax(logits, -1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(-1).numpy()
