"""SAE latents vs gaming, on a tiny model with a planted direction and a hand-built SAE whose
latent 0 reads and writes exactly that direction: ranking finds latent 0 on held-out
episodes; editing a latent by 1 changes nothing; clamping latent 0 produces the planted
behaviour and clamping a random latent does not; hooks are removed after every call."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("sparsify")

from specgym.analysis.lm.hooks import active_hooks, capture, hook_name  # noqa: E402
from specgym.analysis.lm.sae import replayed  # noqa: E402
from specgym.analysis.lm.sae_features import (  # noqa: E402
    dense_latents,
    edit_latents,
    episode_latents,
    latent_auroc,
    load_sae,
    random_live_latents,
    rank_latents,
)
from tests.analysis_lm.conftest import (  # noqa: E402
    HIDDEN,
    episode,
    plant_behaviour,
    plant_gaming_direction,
    unit,
)
from tests.analysis_lm.test_steering import p_target  # noqa: E402

LATENTS = 64


def planted_sae(d: torch.Tensor, k: int = 4):
    """A TopK SAE: latent 0 encodes and decodes along ``d``; the others along random
    directions orthogonal to it."""
    from sparsify import SparseCoder, SparseCoderConfig

    sae = SparseCoder(HIDDEN, SparseCoderConfig(num_latents=LATENTS, k=k), device="cpu")
    g = torch.Generator().manual_seed(7)
    R = torch.randn(LATENTS, HIDDEN, generator=g)
    R -= torch.outer(R @ d, d)
    R /= R.norm(dim=1, keepdim=True)
    R[0] = d
    with torch.no_grad():
        sae.encoder.weight.copy_(R)
        sae.encoder.bias.zero_()
        sae.W_dec.copy_(R)
        sae.b_dec.zero_()
    return sae.eval()


def test_latent_auroc_equals_sklearn_with_ties():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.random(60) < 0.4
    Z = np.round(rng.random((60, 5)) + 0.5 * y[:, None] * np.arange(5), 1)  # ties included
    Z[:, 0] = 0.0
    np.testing.assert_allclose(latent_auroc(Z, y), [roc_auc_score(y, Z[:, j]) for j in range(5)])
    with pytest.raises(ValueError, match="both gamed and honest"):
        latent_auroc(Z, np.ones(60, bool))


def test_ranking_finds_the_planted_latent_on_held_out_episodes(model, tokenizer):
    d = unit(5)
    plant_gaming_direction(model, d, alpha=6.0)
    sae = planted_sae(d)
    recs = [episode(s, s % 2 == 0, "specgym/A-v0") for s in range(40)]
    eps = replayed(tokenizer, recs)
    Z = episode_latents(model, sae, eps, layer=0)
    y = np.array([r["gamed"] for r in recs])
    top = rank_latents(Z[:24], y[:24], Z[24:], y[24:], top=5)
    assert top[0]["latent"] == 0 and top[0]["sign"] == 1
    assert top[0]["auroc_test"] > 0.95 and top[0]["mean_gamed"] > top[0]["mean_honest"]
    others = latent_auroc(Z[24:], y[24:])[1:]
    assert np.median(np.abs(others - 0.5)) < 0.25
    with pytest.raises(ValueError, match="pool"):
        episode_latents(model, sae, eps, layer=0, pool="everywhere")
    assert active_hooks(model) == 0


def test_editing_by_one_changes_nothing_and_clamping_moves_only_the_planted_behaviour(model, tokenizer):
    from specgym.agents.lm.backends.hf import TransformersBackend

    d = unit(3)
    target = plant_behaviour(model, d, scale=1.0)
    backend = TransformersBackend(model, tokenizer, max_batch=4)
    sae = planted_sae(d)
    ids = torch.tensor([[4, 5, 6, 7, 8]])
    with torch.no_grad():
        clean = model(input_ids=ids).logits
        with edit_latents(model, sae, 2, [0, 1, 2], scale=1.0):
            same = model(input_ids=ids).logits
    torch.testing.assert_close(same, clean, atol=1e-5, rtol=1e-5)
    base = p_target(backend, target)
    with edit_latents(model, sae, 2, [0], clamp=2.0):
        clamped = p_target(backend, target)
    with edit_latents(model, sae, 2, [9], clamp=2.0):
        random = p_target(backend, target)
    assert base < 0.1 and random < 0.1 and clamped > 0.9
    with edit_latents(model, sae, 2, [0], scale=0.0):  # latent 0 barely fires here: no effect
        assert abs(p_target(backend, target) - base) < 0.05
    with pytest.raises(ValueError, match="latents: each must be in 0..63"):
        with edit_latents(model, sae, 2, [64]):
            pass
    with edit_latents(model, sae, 2, [0, 0], clamp=2.0):  # a repeated latent counts once
        assert p_target(backend, target) == pytest.approx(clamped)
    assert active_hooks(model) == 0


def test_ablating_a_latent_removes_its_share_of_the_residual(model):
    d = unit(5)
    plant_gaming_direction(model, d, alpha=6.0)
    sae = planted_sae(d)
    ids = torch.tensor([[18, 19, 20, 4, 5]])  # cheat* words carry +6 d in their embedding
    name = hook_name(0)
    with torch.no_grad(), capture(model, [name]) as got:
        model(input_ids=ids)
    before = dense_latents(sae, got[name][0][0])[:, 0]
    assert before[:3].min() > 1.0
    with torch.no_grad(), edit_latents(model, sae, 0, [0], scale=0.0), capture(model, [name]) as got:
        model(input_ids=ids)
    assert dense_latents(sae, got[name][0][0])[:, 0].max() < 1e-4
    assert active_hooks(model) == 0


def test_random_control_latents_and_sae_file(tmp_path):
    alive = np.zeros(20, bool)
    alive[[1, 3, 5, 7, 9, 11]] = True
    picks = random_live_latents(alive, 3, exclude=[1, 3], seed=0)
    assert len(picks) == 3 and set(picks) <= {5, 7, 9, 11}
    assert picks == random_live_latents(alive, 3, exclude=[1, 3], seed=0)
    with pytest.raises(ValueError, match="only 4 live latents"):
        random_live_latents(alive, 5, exclude=[1, 3], seed=0)
    sae = planted_sae(unit(1))
    torch.save({"state_dict": {k: v.half() for k, v in sae.state_dict().items()},
                "cfg": vars(sae.cfg), "d_in": HIDDEN, "layer": 2}, tmp_path / "sae.pt")
    loaded, layer = load_sae(tmp_path / "sae.pt")
    assert layer == 2 and loaded.num_latents == LATENTS
    with pytest.raises(FileNotFoundError, match="--sae: no file"):
        load_sae(tmp_path / "missing.pt")


def test_matched_control_latents_fire_about_as_often_as_the_chosen_ones():
    from specgym.analysis.lm.sae_features import matched_random_latents

    freq = np.linspace(0, 1, 101)  # latent i fires in i% of episodes
    picks = matched_random_latents(freq, [90, 95, 50], seed=0, neighbours=6)
    assert len(set(picks)) == 3 and not set(picks) & {90, 95, 50}
    for p in picks:
        assert min(abs(p - c) for c in (90, 95, 50)) <= 6
    assert picks == matched_random_latents(freq, [90, 95, 50], seed=0, neighbours=6)
    assert 0 not in matched_random_latents(freq, [1, 2, 3], seed=1, neighbours=3)  # never a dead one


def test_sae_file_names_its_model(tmp_path):
    sae = planted_sae(unit(1))
    torch.save({"state_dict": sae.state_dict(), "cfg": vars(sae.cfg), "d_in": HIDDEN, "layer": 1,
                "model": "default"}, tmp_path / "sae.pt")
    assert load_sae(tmp_path / "sae.pt", model="default")[1] == 1
    with pytest.raises(ValueError, match="trained on model 'default', not 'helpful'"):
        load_sae(tmp_path / "sae.pt", model="helpful")


def test_the_shipped_sae_loads_and_its_record_holds_its_numbers():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "checkpoints" / "lm" / "sae_l15"
    assert (folder / "sae.pt").stat().st_size <= 20_000_000
    sae, layer = load_sae(folder / "sae.pt", model="default")
    assert layer == 15 and sae.num_latents == 8 * 576 and sae.cfg.k == 32
    import json

    rec = json.loads((folder / "sae.json").read_text())
    assert "analyze lm sae" in rec["command"] and rec["layer"] == 15
    assert 0.9 < rec["loss"]["loss_recovered"] <= 1.0 and rec["train"]["n_train_tokens"] > 100_000
