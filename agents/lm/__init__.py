"""Language models as agents for the text environments.

========================  ==============================================================
`load_backend`            a model spec (``default``, a .gguf file, a Hugging Face id or
                          folder, ``openai:NAME``) -> a `Backend` (llama.cpp,
                          transformers, or an OpenAI-compatible endpoint)
`RolloutEngine`           drives many episodes at once with one backend; returns `Episode`
                          transcripts with per-turn prompt/completion text and token ids
`SamplingConfig`          max_new_tokens, temperature, top_p, top_k, stop strings, seed
`converted_checkpoint`    the shipped GGUF as a plain trainable checkpoint (cached once)
========================  ==============================================================

>>> from specgym.agents.lm import RolloutEngine, SamplingConfig, load_backend  # doctest: +SKIP
>>> engine = RolloutEngine(load_backend("default"), SamplingConfig(max_new_tokens=64))  # doctest: +SKIP
>>> episodes = engine.run("specgym/ToolUseFlattery-v0", seeds=range(16))  # doctest: +SKIP
"""

from specgym.agents.lm.backends.base import Backend, Completion
from specgym.agents.lm.chat import to_chat_messages
from specgym.agents.lm.checkpoints import cache_dir, converted_checkpoint, default_gguf_path
from specgym.agents.lm.loading import BACKENDS, load_backend, resolve_backend
from specgym.agents.lm.rollout import Episode, RolloutEngine, Turn
from specgym.agents.lm.sampling import SamplingConfig
from specgym.agents.lm.spec import ModelSpec, parse_model_spec

__all__ = [
    "BACKENDS",
    "Backend",
    "Completion",
    "Episode",
    "ModelSpec",
    "RolloutEngine",
    "SamplingConfig",
    "Turn",
    "cache_dir",
    "converted_checkpoint",
    "default_gguf_path",
    "load_backend",
    "parse_model_spec",
    "resolve_backend",
    "to_chat_messages",
]
