"""Shared pieces of the language-model tests: the shipped model and a scripted backend."""

from __future__ import annotations

import shutil
from collections.abc import Sequence

import pytest

import specgym  # noqa: F401 - registers the text env ids
from specgym.agents.lm import Backend, Completion, SamplingConfig

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

FLATTERY = "specgym/ToolUseFlattery-v0"
SYCOPHANCY = "specgym/PoliticalSycophancy-v0"
TINY = SamplingConfig(max_new_tokens=8, temperature=0.0)


class ScriptedBackend(Backend):
    """Replies ``script[k]`` at the k-th assistant turn of every chat; records the calls.

    A real `Backend` (not a mock of the engine): it lets the multi-turn loop be checked
    against the real sandbox with known replies.
    """

    name = "scripted"

    def __init__(self, script: Sequence[str], max_batch: int = 3):
        self.script = list(script)
        self.max_batch = max_batch
        self.batch_sizes: list[int] = []

    def generate(self, chats, sampling, seeds=None):
        self.batch_sizes.append(len(chats))
        out = []
        for chat in chats:
            k = sum(m["role"] == "assistant" for m in chat)
            out.append(Completion(self.script[min(k, len(self.script) - 1)], "stop"))
        return out


@pytest.fixture(scope="session")
def gguf_path():
    from specgym.agents.lm import default_gguf_path

    return default_gguf_path()


@pytest.fixture(scope="session")
def llama_backend(gguf_path):
    from specgym.agents.lm.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(gguf_path, max_batch=4, context_tokens=1024, n_threads=1)
    yield backend
    backend.close()
