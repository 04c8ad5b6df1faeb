"""Agents: maze policies (IMPALA), PPO training, evaluation, and language-model agents.

`load_policy` and `save_policy` are re-exported here (lazily, so importing `specgym.agents`
does not pull in torch) because loading a shipped maze policy is the most common entry point.
"""

from __future__ import annotations

__all__ = ["load_policy", "save_policy"]


def __getattr__(name: str):
    if name in __all__:
        from specgym.agents.policies import io

        return getattr(io, name)
    raise AttributeError(f"module 'specgym.agents' has no attribute {name!r}")
