"""The ``helpful`` model spec: the shipped helpful-only LoRA adapter, ready for either backend.

The adapter (``checkpoints/lm/helpful/``, a few MB; how it was trained is in its
``helpful.json``, see `specgym.agents.lm.train.helpful_sft`) sits on the default model. Each
backend gets the merged weights, built once and cached under the specgym cache folder in
entries named after the adapter's content hash:

=================  ==========================================================================
transformers       the default model's plain checkpoint with the adapter merged in
                   (``peft``'s ``merge_and_unload``), saved as a checkpoint folder
llama.cpp          the default GGUF with ``scale * B @ A`` added to each adapted tensor
                   (`specgym.agents.lm.gguf_export`), then served as Q8_0 like ``default``
=================  ==========================================================================

``SPECGYM_HELPFUL_ADAPTER`` points at another adapter folder (same layout).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ADAPTER_ENV = "SPECGYM_HELPFUL_ADAPTER"
_DONE = "specgym-merged.txt"


def helpful_adapter_dir() -> Path:
    """The adapter folder: ``$SPECGYM_HELPFUL_ADAPTER`` or the repository's shipped one."""
    if os.environ.get(ADAPTER_ENV):
        path = Path(os.environ[ADAPTER_ENV]).expanduser()
    else:
        path = Path(__file__).resolve().parents[2] / "checkpoints" / "lm" / "helpful"
    if not (path / "adapter_config.json").is_file():
        raise FileNotFoundError(
            f"the helpful model's adapter is missing at {str(path)!r} (a source checkout ships "
            "it; rebuild with `python -m specgym.agents.lm.train.helpful_sft --out DIR` and set "
            f"{ADAPTER_ENV}=DIR)"
        )
    return path


def _adapter_digest(adapter: Path) -> str:
    from specgym.agents.lm.checkpoints import file_digest

    return file_digest(adapter / "adapter_model.safetensors")


def helpful_gguf() -> Path:
    """The default GGUF with the adapter merged in (built once, cached)."""
    from specgym.agents.lm.checkpoints import cache_dir, default_gguf_path
    from specgym.agents.lm.gguf_export import lora_deltas, write_gguf

    adapter = helpful_adapter_dir()
    target = cache_dir() / "models" / f"SmolLM2-135M-helpful-{_adapter_digest(adapter)}.gguf"
    if not target.is_file():
        write_gguf(default_gguf_path(), target, add=lora_deltas(adapter),
                   name="SmolLM2 135M helpful-only (specgym)")  # fmt: skip
    return target


def helpful_checkpoint() -> Path:
    """A plain transformers checkpoint of the merged model (built once, cached)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from specgym.agents.lm.checkpoints import cache_dir, converted_checkpoint

    adapter = helpful_adapter_dir()
    target = cache_dir() / "models" / f"SmolLM2-135M-helpful-{_adapter_digest(adapter)}"
    if (target / _DONE).is_file():
        return target
    base = converted_checkpoint()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
    try:
        model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        model.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(str(base)).save_pretrained(tmp)
        (tmp / _DONE).write_text(f"default model + {adapter}\n")
        try:
            tmp.rename(target)
        except OSError:
            if not (target / _DONE).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
