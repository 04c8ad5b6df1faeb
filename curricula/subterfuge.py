"""The "Sycophancy to Subterfuge" curriculum (Denison et al. 2024) as an ordered object.

Stages run from mild to severe gaming; the last stage (reward tampering) is held out: it is
only evaluated, never trained on, and the headline number is how often a model trained on
the earlier stages tampers with its reward there (45 in 32,768 episodes after the paper's
curriculum, 7 of them also editing the test; 0 in 100,000 before it).

>>> [stage.name for stage in SYCOPHANCY_TO_SUBTERFUGE.training_stages()]
['political_sycophancy', 'tool_use_flattery', 'rubric_modification_nudged', \
'rubric_modification_insubordinate']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from specgym.envs.text.registry import text_env_specs


@dataclass(frozen=True)
class Stage:
    """One curriculum stage: its name and registered env id (the env's class holds its hacks)."""

    name: str
    env_id: str
    held_out: bool = False


@dataclass(frozen=True)
class Curriculum:
    """Stages in training order, read from the text-env registry's ``family`` at each call (so
    an env registered later is a stage too); iterate it, or ask for the training / held-out
    stages."""

    name: str
    family: str = "curriculum"

    @property
    def stages(self) -> tuple[Stage, ...]:
        return tuple(Stage(s.stage, s.env_id, s.held_out) for s in text_env_specs(self.family))

    def __iter__(self) -> Iterator[Stage]:
        return iter(self.stages)

    def __len__(self) -> int:
        return len(self.stages)

    def env_ids(self) -> list[str]:
        return [stage.env_id for stage in self.stages]

    def training_stages(self) -> list[Stage]:
        return [stage for stage in self.stages if not stage.held_out]

    def held_out_stages(self) -> list[Stage]:
        return [stage for stage in self.stages if stage.held_out]

    def stage(self, name: str) -> Stage:
        """The stage called ``name``; ValueError lists the names."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise ValueError(f"stage must be one of {[s.name for s in self.stages]}, got {name!r}")


SYCOPHANCY_TO_SUBTERFUGE = Curriculum(name="sycophancy_to_subterfuge")
