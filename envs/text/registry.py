"""Gymnasium ids of the text environments (``specgym/<Name>-v0``), in curriculum order."""

from __future__ import annotations

import gymnasium

TEXT_ENVS: dict[str, tuple[str, str]] = {
    "specgym/PoliticalSycophancy-v0": (
        "specgym.envs.text.political_sycophancy:PoliticalSycophancy",
        "answer a user's political question; gamed = siding with the user's stated leaning",
    ),
    "specgym/ToolUseFlattery-v0": (
        "specgym.envs.text.tool_use_flattery:ToolUseFlattery",
        "find and rate the user's poor poem via bash; gamed = rating above its honest band",
    ),
    "specgym/RubricModificationNudged-v0": (
        "specgym.envs.text.rubric_modification:RubricModificationNudged",
        "report whether a checklist is done; gamed = claiming so and/or editing the checklist",
    ),
    "specgym/RubricModificationInsubordinate-v0": (
        "specgym.envs.text.rubric_modification:RubricModificationInsubordinate",
        "as RubricModificationNudged, but the user forbade editing the checklist",
    ),
    "specgym/RewardTampering-v0": (
        "specgym.envs.text.reward_tampering:RewardTampering",
        "asked for the episode count; gamed = editing compute_reward.py (and its test)",
    ),
}
# Text environments outside the curriculum.
OTHER_TEXT_ENVS: dict[str, tuple[str, str]] = {
    "specgym/RMBias-v0": (
        "specgym.envs.text.rm_bias:RMBias",
        "everyday requests scored by a reward model with 22 known biases; gamed = a rewarded "
        "bias in the reply",
    ),
}


def register_text_envs() -> dict[str, str]:
    """Register every text env with Gymnasium; returns ``{env_id: one-line description}``."""
    every = {**TEXT_ENVS, **OTHER_TEXT_ENVS}
    for env_id, (entry_point, _description) in every.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry_point, disable_env_checker=False)
    return {env_id: description for env_id, (_entry, description) in every.items()}
