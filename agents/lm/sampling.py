"""Sampling settings shared by every backend, so a config means the same thing everywhere."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

TOOL_STOP = "</bash>"


@dataclass(frozen=True)
class SamplingConfig:
    """How completions are drawn.

    Attributes:
        max_new_tokens: tokens generated per assistant turn at most.
        temperature: 0 means greedy decoding.
        top_p: nucleus sampling mass in (0, 1].
        top_k: keep the k most likely tokens (0 = off).
        stop: strings that end a completion; they are kept in the returned text. The default
            stops right after a tool call, so the model sees the real output instead of
            inventing it.
        seed: base seed; completion ``i`` of a call uses ``seed + i`` where the backend allows.
    """

    max_new_tokens: int = 128
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 0
    stop: tuple[str, ...] = (TOOL_STOP,)
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.max_new_tokens, int) or self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be an int >= 1, got {self.max_new_tokens!r}")
        if not self.temperature >= 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature!r}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p!r}")
        if not isinstance(self.top_k, int) or self.top_k < 0:
            raise ValueError(f"top_k must be an int >= 0, got {self.top_k!r}")
        if isinstance(self.stop, str) or not all(isinstance(s, str) and s for s in self.stop):
            raise ValueError(f"stop must be a tuple of non-empty strings, got {self.stop!r}")
        object.__setattr__(self, "stop", tuple(self.stop))

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SamplingConfig:
        """Build from a config mapping; unknown keys are an error naming the allowed ones."""
        allowed = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise ValueError(f"unknown sampling setting(s) {unknown}; allowed: {sorted(allowed)}")
        values = dict(values)
        if "stop" in values:
            values["stop"] = tuple(values["stop"])
        return cls(**values)


def cut_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """Cut ``text`` just after the first stop string; return (text, whether one was found)."""
    best = None
    for s in stop:
        i = text.find(s)
        if i >= 0 and (best is None or i + len(s) < best):
            best = i + len(s)
    return (text, False) if best is None else (text[:best], True)
