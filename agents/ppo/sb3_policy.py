"""The IMPALA network inside stable-baselines3's actor-critic policy, and its export.

SB3 sees our `ImpalaEmbedder` as its features extractor, with empty MLP heads, so its
`action_net` and `value_net` are exactly the IMPALA policy's `fc_policy` and `fc_value`:
exporting is a renaming of the state dict, not a conversion.
"""

from __future__ import annotations

from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

from specgym.agents.policies.impala import ImpalaConfig, ImpalaEmbedder, ImpalaPolicy


class ImpalaExtractor(BaseFeaturesExtractor):
    def __init__(self, observation_space: spaces.Box, impala: dict):
        config = ImpalaConfig(**impala)
        super().__init__(observation_space, config.hidden)
        self.embedder = ImpalaEmbedder(config)

    def forward(self, obs):
        return self.embedder(obs)


def sb3_policy_kwargs(config: ImpalaConfig) -> dict:
    """`policy_kwargs` for `PPO(ActorCriticPolicy, ...)` that build the IMPALA network."""
    return {
        "features_extractor_class": ImpalaExtractor,
        "features_extractor_kwargs": {"impala": config.to_dict()},
        "net_arch": {"pi": [], "vf": []},
        "normalize_images": False,  # the embedder scales RGB itself; grid planes stay 0/1
        "ortho_init": True,
    }


def export_policy(sb3_policy: ActorCriticPolicy) -> ImpalaPolicy:
    """Copy a trained SB3 policy into a standalone `ImpalaPolicy` (same weights, our names)."""
    extractor: ImpalaExtractor = sb3_policy.features_extractor
    policy = ImpalaPolicy(extractor.embedder.config)
    policy.embedder.load_state_dict(extractor.embedder.state_dict())
    policy.fc_policy.load_state_dict(sb3_policy.action_net.state_dict())
    policy.fc_value.load_state_dict(sb3_policy.value_net.state_dict())
    return policy.eval()
