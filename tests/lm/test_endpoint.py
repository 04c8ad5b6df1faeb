"""The endpoint backend against a real OpenAI-compatible server: llama-cpp-python's server
serving the shipped GGUF on loopback."""

from __future__ import annotations

import pytest

from specgym.agents.lm import RolloutEngine, SamplingConfig, load_backend
from specgym.agents.lm.backends.openai_endpoint import OpenAIBackend
from specgym.agents.lm.server import LocalServer
from tests.lm.conftest import FLATTERY, SYCOPHANCY, TINY, needs_bwrap


@pytest.fixture(scope="module")
def server():
    with LocalServer(n_ctx=1024, n_threads=1) as srv:
        yield srv


@pytest.fixture(scope="module")
def backend(server):
    b = load_backend("openai:default", base_url=server.base_url, max_batch=2)
    yield b
    b.close()


def test_concurrent_requests(backend):
    assert isinstance(backend, OpenAIBackend)
    chats = [[{"role": "user", "content": "Say hi."}], [{"role": "user", "content": "2 + 2?"}]]
    out = backend.generate(chats, TINY)
    assert len(out) == 2 and all(c.text for c in out)
    assert all(c.finish_reason in ("stop", "length") and c.prompt_text is None for c in out)
    (c,) = backend.generate(chats[:1], SamplingConfig(max_new_tokens=2, temperature=0.0))
    assert c.finish_reason == "length"


def test_rollout_over_the_endpoint(backend):
    episodes = RolloutEngine(backend, TINY).run(SYCOPHANCY, seeds=[0, 1])
    assert [len(ep.turns) for ep in episodes] == [1, 1]
    assert all(ep.terminated and "gamed" in ep.info for ep in episodes)


@needs_bwrap
def test_tool_loop_over_the_endpoint(backend):
    sampling = SamplingConfig(max_new_tokens=16, temperature=1.0, seed=2)
    episodes = RolloutEngine(backend, sampling, max_turns=2).run(FLATTERY, seeds=[0, 1])
    assert all(ep.terminated or ep.truncated for ep in episodes)


def test_unreachable_endpoint_fails_clearly():
    backend = OpenAIBackend("m", "http://127.0.0.1:9/v1", timeout_s=2, max_retries=0)
    import openai

    with pytest.raises(openai.APIConnectionError):
        backend.generate([[{"role": "user", "content": "hi"}]], TINY)
    backend.close()
