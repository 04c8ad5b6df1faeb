"""The llama.cpp backend on the shipped GGUF: batched slots equal one-at-a-time, stop
strings, context limits, and a multi-turn rollout in the real sandbox."""

from __future__ import annotations

import pytest

from specgym.agents.lm import RolloutEngine, SamplingConfig, load_backend
from specgym.agents.lm.backends.llamacpp import LlamaCppBackend
from tests.lm.conftest import FLATTERY, TINY, needs_bwrap

CHATS = [
    [{"role": "user", "content": "Say hi."}],
    [{"role": "system", "content": "You are terse."},
     {"role": "user", "content": "Name three colours of the rainbow, please."}],
    [{"role": "user", "content": "What is 2 + 2?"}],
]  # fmt: skip


def test_shipped_gguf_is_found(gguf_path):
    assert gguf_path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and gguf_path.stat().st_size > 1e7


def test_batched_slots_equal_one_at_a_time(llama_backend):
    batched = llama_backend.generate(CHATS, TINY)
    single = [llama_backend.generate([c], TINY)[0] for c in CHATS]
    assert [c.text for c in batched] == [c.text for c in single]
    for c in batched:
        assert c.text and c.finish_reason in ("stop", "length")
        assert c.prompt_text.startswith("<|im_start|>")
        assert c.prompt_text.endswith("<|im_start|>assistant\n")
        assert len(c.completion_token_ids) <= TINY.max_new_tokens


def test_sampling_is_reproducible_per_seed(llama_backend):
    cfg = SamplingConfig(max_new_tokens=8, temperature=1.0, seed=0)
    a = llama_backend.generate(CHATS, cfg, seeds=[7, 8, 9])
    b = llama_backend.generate(CHATS[::-1], cfg, seeds=[9, 8, 7])[::-1]
    assert [c.text for c in a] == [c.text for c in b]


def test_stop_string_length_and_context(llama_backend):
    (c,) = llama_backend.generate(CHATS[1:2], SamplingConfig(max_new_tokens=16, temperature=0.0,
                                                             stop=("e",)))  # fmt: skip
    assert c.finish_reason == "stop" and c.text.endswith("e") and c.text.count("e") == 1
    (c,) = llama_backend.generate(CHATS[1:2], SamplingConfig(max_new_tokens=2, temperature=0.0))
    assert c.finish_reason == "length" and len(c.completion_token_ids) == 2
    long = [{"role": "user", "content": "word " * 2000}]
    over, ok = llama_backend.generate([long, CHATS[0]], TINY)
    assert (over.finish_reason, over.text) == ("context", "")
    assert ok.text


def test_load_backend_default_is_llama_cpp(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECGYM_CACHE_DIR", str(tmp_path))
    backend = load_backend("default", max_batch=2, context_tokens=512, n_threads=1)
    try:
        assert isinstance(backend, LlamaCppBackend) and backend.max_batch == 2
        assert backend.gguf_path.endswith(".Q8_0.gguf")  # the cached fast copy
    finally:
        backend.close()
    with pytest.raises(ValueError, match="lora needs the transformers backend"):
        load_backend("default", backend="llama.cpp", lora={"r": 4})


@needs_bwrap
def test_rollout_with_the_real_model(llama_backend):
    sampling = SamplingConfig(max_new_tokens=16, temperature=1.0, seed=1)
    episodes = RolloutEngine(llama_backend, sampling, max_turns=3).run(FLATTERY, seeds=range(5))
    assert len(episodes) == 5
    for ep in episodes:
        assert ep.terminated or ep.truncated
        assert 1 <= len(ep.turns) <= 3
        first = ep.turns[0]
        assert first.prompt_text.startswith("<|im_start|>system\nYou are a helpful assistant")
        assert ep.messages[2] == {"role": "assistant", "content": first.completion_text}
        if ep.terminated:
            assert {"gamed", "hack_types", "hidden_reward", "oversight_passed"} <= set(ep.info)


def test_slot_cache_reuse_gives_the_same_replies(gguf_path):
    """A second turn reuses its slot's cache; replies equal those of an empty cache."""
    warm = LlamaCppBackend(gguf_path, max_batch=2, context_tokens=512, n_threads=1)
    cold = LlamaCppBackend(gguf_path, max_batch=2, context_tokens=512, n_threads=1)
    try:
        first = warm.generate(CHATS[:2], TINY)
        turn2 = [c + [{"role": "assistant", "content": r.text}, {"role": "tool", "content": "ok"}]
                 for c, r in zip(CHATS[:2], first, strict=True)]  # fmt: skip
        turn2 = turn2[::-1]  # each chat must find its own slot again
        assert [c.text for c in warm.generate(turn2, TINY)] == [
            cold.generate([c], TINY)[0].text for c in turn2
        ]
        assert warm._cached[0][:5] == cold._cached[0][:5]  # same template start
    finally:
        warm.close()
        cold.close()


def test_requantized_default_model_agrees(tmp_path, monkeypatch, gguf_path, llama_backend):
    from specgym.agents.lm.checkpoints import requantized_gguf

    monkeypatch.setenv("SPECGYM_CACHE_DIR", str(tmp_path))
    path = requantized_gguf(gguf_path, "q8_0")
    assert path.parent == tmp_path / "models" and path.name.endswith(".Q8_0.gguf")
    assert requantized_gguf(gguf_path, "q8_0") == path  # cached
    with pytest.raises(ValueError, match="ftype must be one of"):
        requantized_gguf(gguf_path, "q3")
    q8 = LlamaCppBackend(path, max_batch=3, context_tokens=512, n_threads=1)
    try:
        first = SamplingConfig(max_new_tokens=2, temperature=0.0)
        assert [c.completion_token_ids for c in q8.generate(CHATS, first)] == [
            c.completion_token_ids for c in llama_backend.generate(CHATS, first)
        ]
    finally:
        q8.close()
