"""The ``helpful`` model spec: the shipped helpful-only LoRA adapter, ready for either backend.

The adapter (``checkpoints/lm/helpful/``, a few MB; how it was trained is in its
``helpful.json``, see `specgym.agents.lm.train.helpful_sft`) sits on the default model. It is
one of the named adapters of `specgym.agents.lm.adapters` (merged checkpoint for transformers,
merged GGUF for llama.cpp, cached by content hash); these are its shortcuts.

``SPECGYM_HELPFUL_ADAPTER`` points at another adapter folder (same layout).
"""

from __future__ import annotations

from pathlib import Path

from specgym.agents.lm.adapters import adapter_checkpoint, adapter_dir, adapter_gguf

ADAPTER_ENV = "SPECGYM_HELPFUL_ADAPTER"


def helpful_adapter_dir() -> Path:
    """The adapter folder: ``$SPECGYM_HELPFUL_ADAPTER`` or the repository's shipped one."""
    return adapter_dir("helpful")


def helpful_gguf() -> Path:
    """The default GGUF with the adapter merged in (built once, cached)."""
    return adapter_gguf("helpful")


def helpful_checkpoint() -> Path:
    """A plain transformers checkpoint of the merged model (built once, cached)."""
    return adapter_checkpoint("helpful")
