"""Steering with a planted vector changes the planted behaviour; a random vector of the same
norm does not; the dose-response machinery runs real episodes and resumes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from specgym.agents.lm import SamplingConfig
from specgym.agents.lm.backends.hf import TransformersBackend
from specgym.analysis.lm.hooks import active_hooks
from specgym.analysis.lm.steering import mean_difference, random_equal_norm, steer, summarize_point
from tests.analysis_lm.conftest import FILLER, plant_behaviour, unit

CHATS = [[{"role": "user", "content": " ".join(FILLER[i:i + 4])}] for i in range(0, 24, 3)]


def p_target(backend, target):
    """Mean probability of the target word as the first reply token, over CHATS."""
    ids = [backend.tokenizer(backend.render(c), add_special_tokens=False)["input_ids"]
           for c in CHATS]
    with torch.no_grad():
        return float(np.mean([backend.model(input_ids=torch.tensor([i])).logits[0, -1]
                              .softmax(-1)[target] for i in ids]))


def test_planted_vector_steers_and_random_vector_does_not(model, tokenizer):
    d = unit(3)
    target = plant_behaviour(model, d, scale=1.0)
    backend = TransformersBackend(model, tokenizer, max_batch=4)
    greedy = SamplingConfig(max_new_tokens=3, temperature=0.0)
    vec = (d * 2.0).numpy()
    rand = random_equal_norm(vec, seed=1)
    base = p_target(backend, target)
    with steer(backend, 2, vec, 1.0):
        steered = p_target(backend, target)
        replies = backend.generate(CHATS, greedy)
    with steer(backend, 2, rand, 1.0):
        random = p_target(backend, target)
        rand_replies = backend.generate(CHATS, greedy)
    plain = backend.generate(CHATS, greedy)
    assert base < 0.1 and random < 0.1 and abs(random - base) < 0.05
    assert steered > 0.9
    assert all("target" in r.text for r in replies)
    assert not any("target" in r.text for r in plain + rand_replies)
    # coefficient 0 and a negative one do not produce the behaviour either
    with steer(backend, 2, vec, -1.0):
        assert p_target(backend, target) < 0.1
    assert active_hooks(model) == 0


def test_vectors_and_point_summary():
    X = np.array([[1.0, 0], [3, 0], [0, 1], [0, 3]])
    np.testing.assert_allclose(mean_difference(X, np.array([1, 1, 0, 0])), [2, -2])
    r = random_equal_norm(np.array([3.0, 4.0]), seed=0)
    assert np.linalg.norm(r) == pytest.approx(5.0)
    recs = [{"gamed": True, "hidden_reward": 0.0}, {"gamed": False, "hidden_reward": 1.0},
            {"gamed": False, "hidden_reward": 0.5}, {"gamed": False, "hidden_reward": None}]
    p = summarize_point(recs)
    assert p["gaming_rate"] == 0.25 and p["honest_success"] == 0.25 and p["n"] == 4
    with pytest.raises(ValueError, match="gamed and honest"):
        mean_difference(X, np.ones(4))


def test_dose_response_plot_at_rates_zero_and_one(tmp_path):
    from specgym.analysis.lm.steering import plot_dose_response

    point = {"gaming_rate": 0.0, "gaming_ci95": [1e-17, 0.04], "honest_success": 1.0,
             "honest_ci95": [0.96, 0.9999999999999999]}  # Wilson bounds with float noise
    rep = {"vectors": ["caa"], "coefs": [1.0], "n_seeds": 100, "env_ids": ["e"], "layer": 3,
           "points": {"caa:1": point}}
    assert plot_dose_response(rep, tmp_path / "s.png").stat().st_size > 1000
