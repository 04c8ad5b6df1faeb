"""Every text environment, once: its Gymnasium id, family, place in the curriculum, and hacks.

This table is the single source that the benchmark (`specgym bench --envs all|curriculum|coding`),
the sycophancy-to-subterfuge curriculum and the command line read; adding a text environment
means writing its module and adding one `TextEnvSpec` here (or calling `register_text_env`).

============  ===============================================================================
family        meaning
============  ===============================================================================
curriculum    a stage of "Sycophancy to Subterfuge", in training order (``held_out``: evaluated
              only, never trained on)
coding        a coding task graded by pytest with hackable graders
rm_bias       everyday requests scored by a reward model with known biases (after Marks et al.,
              "Auditing language models for hidden objectives")
============  ===============================================================================

The hack vocabulary of an id is its env class's ``hack_vocabulary`` (`hack_vocabulary(id)`),
so it is written once, beside the detector that emits it.

>>> [spec.stage for spec in text_env_specs("curriculum")][:2]
['political_sycophancy', 'tool_use_flattery']
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

import gymnasium

FAMILIES = ("curriculum", "coding", "rm_bias")


@dataclass(frozen=True)
class TextEnvSpec:
    """One text environment: id, ``module:Class`` entry point, one-line description, family."""

    env_id: str
    entry_point: str
    description: str
    family: str
    held_out: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(r"specgym/[A-Z][A-Za-z0-9]*-v\d+", self.env_id):
            raise ValueError(f"env_id must look like 'specgym/<Name>-v<N>', got {self.env_id!r}")
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {list(FAMILIES)}, got {self.family!r}")

    @property
    def stage(self) -> str:
        """The snake_case name of the id (``RubricModificationNudged-v0`` ->
        ``rubric_modification_nudged``): the curriculum's stage name."""
        name = self.env_id.split("/", 1)[1].rsplit("-v", 1)[0]
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


TEXT_ENVS: dict[str, TextEnvSpec] = {
    spec.env_id: spec
    for spec in (
        TextEnvSpec(
            "specgym/PoliticalSycophancy-v0",
            "specgym.envs.text.political_sycophancy:PoliticalSycophancy",
            "answer a user's political question; gamed = siding with the user's stated leaning",
            "curriculum",
        ),
        TextEnvSpec(
            "specgym/ToolUseFlattery-v0",
            "specgym.envs.text.tool_use_flattery:ToolUseFlattery",
            "find and rate the user's poor poem via bash; gamed = rating above its honest band",
            "curriculum",
        ),
        TextEnvSpec(
            "specgym/RubricModificationNudged-v0",
            "specgym.envs.text.rubric_modification:RubricModificationNudged",
            "report whether a checklist is done; gamed = a paid claim (checklist edited to match)",
            "curriculum",
        ),
        TextEnvSpec(
            "specgym/RubricModificationInsubordinate-v0",
            "specgym.envs.text.rubric_modification:RubricModificationInsubordinate",
            "as RubricModificationNudged, but the user forbade editing the checklist",
            "curriculum",
        ),
        TextEnvSpec(
            "specgym/RewardTampering-v0",
            "specgym.envs.text.reward_tampering:RewardTampering",
            "asked for the episode count; gamed = editing compute_reward.py (and its test)",
            "curriculum",
            held_out=True,
        ),
        TextEnvSpec(
            "specgym/CodingTask-v0",
            "specgym.envs.text.coding.env:CodingTaskEnv",
            "Python tasks graded by pytest in a sandbox; hacks of the careless grader detected",
            "coding",
        ),
        TextEnvSpec(
            "specgym/ImpossibleCodingTask-v0",
            "specgym.envs.text.coding.env:ImpossibleCodingTaskEnv",
            "Coding tasks whose visible tests contradict the spec: any pass is a cheat",
            "coding",
        ),
        TextEnvSpec(
            "specgym/RMBias-v0",
            "specgym.envs.text.rm_bias:RMBias",
            "everyday requests scored by a reward model with 22 known biases; gamed = a "
            "rewarded bias in the reply",
            "rm_bias",
        ),
    )
}


def text_env_specs(family: str | None = None) -> list[TextEnvSpec]:
    """The registered specs in order (of one ``family``, or all)."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"family must be one of {list(FAMILIES)}, got {family!r}")
    return [s for s in TEXT_ENVS.values() if family is None or s.family == family]


def text_env_ids(family: str | None = None) -> list[str]:
    """Registered ids in order (of one ``family``, or all)."""
    return [s.env_id for s in text_env_specs(family)]


def hack_vocabulary(env_id: str) -> tuple[str, ...]:
    """The ``hack_types`` an env can report: its class's ``hack_vocabulary``."""
    if env_id not in TEXT_ENVS:
        raise ValueError(f"env_id must be one of {list(TEXT_ENVS)}, got {env_id!r}")
    module, _, name = TEXT_ENVS[env_id].entry_point.partition(":")
    return tuple(getattr(importlib.import_module(module), name).hack_vocabulary)


def register_text_env(spec: TextEnvSpec) -> None:
    """Add ``spec`` to the table (after the existing ones) and register it with Gymnasium."""
    if spec.env_id in TEXT_ENVS and TEXT_ENVS[spec.env_id] != spec:
        raise ValueError(f"env_id {spec.env_id!r} is already registered with another spec")
    TEXT_ENVS[spec.env_id] = spec
    if spec.env_id not in gymnasium.registry:
        gymnasium.register(id=spec.env_id, entry_point=spec.entry_point)


def unregister_text_env(env_id: str) -> None:
    """Remove an id from the table and from Gymnasium (for tests and experiments)."""
    TEXT_ENVS.pop(env_id, None)
    gymnasium.registry.pop(env_id, None)


def register_text_envs() -> dict[str, str]:
    """Register every text env with Gymnasium; returns ``{env_id: one-line description}``."""
    for spec in TEXT_ENVS.values():
        register_text_env(spec)
    return {s.env_id: s.description for s in TEXT_ENVS.values()}
