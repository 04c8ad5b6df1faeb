"""The transformers backend: converting the shipped GGUF once, caching it, training it,
batched generation equal to one-at-a-time, and its transcripts in a real rollout."""

from __future__ import annotations

import json

import pytest

from specgym.agents.lm import RolloutEngine, SamplingConfig, converted_checkpoint, load_backend
from tests.lm.conftest import FLATTERY, TINY, needs_bwrap

pytestmark = pytest.mark.slow  # the conversion alone takes ~20 s on 2 cores

CHATS = [
    [{"role": "user", "content": "Say hi."}],
    [{"role": "system", "content": "You are terse."},
     {"role": "user", "content": "Name three colours of the rainbow, please."}],
    [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "4"},
     {"role": "tool", "content": "ok"}],
]  # fmt: skip


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A fresh cache folder, so the conversion really runs here."""
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("specgym-cache")
        mp.setenv("SPECGYM_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def checkpoint(cache):
    return converted_checkpoint()


@pytest.fixture(scope="module")
def backend(checkpoint):
    return load_backend("default", backend="transformers", max_batch=3)


def test_conversion_is_cached_and_plain(cache, checkpoint):
    assert checkpoint.parent == cache / "models"
    assert (checkpoint / "model.safetensors").is_file()
    assert (checkpoint / "tokenizer.json").is_file()
    assert "quantization_config" not in json.loads((checkpoint / "config.json").read_text())
    stamp = (checkpoint / "model.safetensors").stat().st_mtime_ns
    assert converted_checkpoint() == checkpoint  # second call: no new conversion
    assert (checkpoint / "model.safetensors").stat().st_mtime_ns == stamp
    assert [p.name for p in (cache / "models").iterdir()] == [checkpoint.name]


def test_converted_model_trains_and_saves(backend, tmp_path):
    import torch

    model, tok = backend.model, backend.tokenizer
    model.train()
    ids = tok("The cat sat on the mat.", return_tensors="pt")["input_ids"]
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    assert torch.isfinite(loss) and model.get_input_embeddings().weight.grad is not None
    model.zero_grad()
    model.eval()
    model.save_pretrained(tmp_path / "saved")  # refused while marked quantized
    assert (tmp_path / "saved" / "model.safetensors").is_file()


def test_lora_adapter_trains_only_adapters(checkpoint):
    lora = load_backend("default", backend="transformers", lora={"r": 4, "target_modules":
                        ["q_proj", "v_proj"]})  # fmt: skip
    trainable = [n for n, p in lora.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    (c,) = lora.generate(CHATS[:1], TINY)
    assert c.text


def test_batched_generation_equals_one_at_a_time(backend):
    batched = backend.generate(CHATS, TINY)
    single = [backend.generate([c], TINY)[0] for c in CHATS]
    assert [c.text for c in batched] == [c.text for c in single]
    assert [c.completion_token_ids for c in batched] == [c.completion_token_ids for c in single]
    for c in batched:
        assert c.prompt_text.endswith("<|im_start|>assistant\n")
        assert backend.tokenizer.decode(c.completion_token_ids, skip_special_tokens=True) == c.text
    assert "Tool output:\nok" in batched[2].prompt_text


def test_stop_string_and_length(backend):
    cfg = SamplingConfig(max_new_tokens=16, temperature=0.0, stop=("e",))
    (c,) = backend.generate(CHATS[1:2], cfg)
    assert c.finish_reason == "stop" and c.text.endswith("e") and c.text.count("e") == 1
    (c,) = backend.generate(CHATS[1:2], SamplingConfig(max_new_tokens=2, temperature=0.0))
    assert c.finish_reason == "length" and len(c.completion_token_ids) == 2


def test_same_prompt_as_llama_cpp(backend, llama_backend):
    for chat in CHATS:
        (ours,) = backend.generate([chat], TINY)
        (theirs,) = llama_backend.generate([chat], TINY)
        assert ours.prompt_text == theirs.prompt_text
        assert ours.prompt_token_ids == theirs.prompt_token_ids


@needs_bwrap
def test_rollout_records_training_transcripts(backend):
    sampling = SamplingConfig(max_new_tokens=12, temperature=1.0, seed=3)
    episodes = RolloutEngine(backend, sampling, max_turns=2).run(FLATTERY, seeds=[0, 1])
    assert len(episodes) == 2
    for ep in episodes:
        assert ep.terminated or ep.truncated
        for turn in ep.turns:
            assert turn.prompt_text.startswith("<|im_start|>system\n")
            assert 0 < len(turn.completion_token_ids) <= 12
            assert (
                turn.prompt_token_ids[-3:]
                == backend.tokenizer("<|im_start|>assistant\n", add_special_tokens=False)[
                    "input_ids"
                ][-3:]
            )
        assert [m["content"] for m in ep.messages if m["role"] == "assistant"] == [
            t.completion_text for t in ep.turns
        ]
