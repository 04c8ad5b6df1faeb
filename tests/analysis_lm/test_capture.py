"""Replaying episodes: positions land on the right tokens; batched, cached, resumed capture
equals one-at-a-time forward passes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from specgym.analysis.lm.activations import capture_episodes, forward_positions, load_activations
from specgym.analysis.lm.replay import tokenize_episode
from tests.analysis_lm.conftest import episode


def test_positions_point_at_prompt_end_and_reply_tokens(tokenizer):
    rec = episode(3, True, "specgym/A-v0")
    ep = tokenize_episode(tokenizer, rec)
    words = tokenizer.convert_ids_to_tokens(ep.input_ids)
    assert words[ep.prompt_end - 1: ep.prompt_end + 1] == ["<|im_start|>", "assistant"]
    assert " ".join(words[p] for p in ep.reply_positions) == rec["messages"][-1]["content"]
    assert ep.reply_end == len(ep.input_ids) - 1


def test_multi_turn_reply_positions(tokenizer):
    rec = episode(4, False, "specgym/A-v0")
    rec["messages"] += [{"role": "tool", "content": "w3 w4"},
                        {"role": "assistant", "content": "w5 cheat1"}]
    ep = tokenize_episode(tokenizer, rec)
    words = [tokenizer.convert_ids_to_tokens(ep.input_ids)[p] for p in ep.reply_positions]
    assert words[-2:] == ["w5", "cheat1"] and len(words) == 9 + 2
    first = tokenize_episode(tokenizer, episode(4, False, "specgym/A-v0"))
    assert ep.prompt_end == first.prompt_end


def test_batched_equals_single(model, tokenizer):
    eps = [tokenize_episode(tokenizer, episode(s, s % 2 == 0, "specgym/A-v0")) for s in range(5)]
    eps[2].input_ids += tokenizer.convert_tokens_to_ids(["w7"] * 9)  # uneven lengths: padding
    eps[2].reply_positions += list(range(eps[2].reply_positions[-1] + 1, len(eps[2].input_ids)))
    pos = ["prompt_end", "reply_end", "reply_mean", "reply_tokens"]
    batched = forward_positions(model, eps, [0, 2, 3], pos)
    singles = [forward_positions(model, [e], [0, 2, 3], pos) for e in eps]
    for p in ("prompt_end", "reply_end", "reply_mean"):
        np.testing.assert_allclose(batched[p], np.concatenate([s[p] for s in singles]),
                                   atol=1e-5)
    np.testing.assert_allclose(batched["tokens"], np.concatenate([s["tokens"] for s in singles]),
                               atol=1e-5)
    # reply_mean is the mean of the reply tokens; resid_post 3 read off hidden_states
    n0 = len(eps[0].reply_positions)
    np.testing.assert_allclose(batched["reply_mean"][0], batched["tokens"][:n0].mean(0),
                               atol=1e-5)
    with torch.no_grad():
        hs = model(input_ids=torch.tensor([eps[1].input_ids]), output_hidden_states=True)
    np.testing.assert_allclose(batched["reply_end"][1, 1], hs.hidden_states[3][0, -1], atol=1e-5)


def test_cache_resumes_and_refuses_other_settings(model, tokenizer, tmp_path):
    recs = [episode(s, s % 2 == 0, "specgym/A-v0") for s in range(10)]
    first = capture_episodes(model, tokenizer, recs[:6], [1, 2], tmp_path, batch_size=4,
                             progress=False)
    assert first["X"]["reply_mean"].shape == (6, 2, 128)
    shards = sorted(tmp_path.glob("shard-*.npz"))
    stamps = [p.stat().st_mtime_ns for p in shards]
    both = capture_episodes(model, tokenizer, recs, [1, 2], tmp_path, batch_size=4,
                            progress=False)
    assert len(both["keys"]) == 10 and len(set(both["keys"])) == 10
    assert [p.stat().st_mtime_ns for p in shards] == stamps  # old shards untouched
    fresh = capture_episodes(model, tokenizer, recs, [1, 2], tmp_path / "fresh", batch_size=3,
                             progress=False)
    order = [fresh["keys"].index(k) for k in both["keys"]]
    np.testing.assert_allclose(both["X"]["reply_end"], fresh["X"]["reply_end"][order], atol=2e-3)
    assert [lab["gamed"] for lab in both["labels"]] == [fresh["labels"][i]["gamed"] for i in order]
    with pytest.raises(ValueError, match="other settings"):
        capture_episodes(model, tokenizer, recs, [0, 1], tmp_path, progress=False)
    loaded = load_activations(tmp_path)
    assert json.loads((tmp_path / "meta.json").read_text())["layers"] == [1, 2]
    assert loaded["X"]["prompt_end"].dtype == np.float32


def test_tokens_position_is_stored_ragged(model, tokenizer, tmp_path):
    recs = [episode(s, False, "specgym/A-v0") for s in range(3)]
    acts = capture_episodes(model, tokenizer, recs, [1], tmp_path,
                            positions=["reply_end", "reply_tokens"], progress=False)
    assert acts["tokens"].shape == (27, 1, 128)
    assert np.bincount(acts["token_episode"]).tolist() == [9, 9, 9]
