"""The sparse autoencoder recovers a toy dictionary; splicing it into a tiny model and the
loss-recovered arithmetic behave as defined."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("sparsify")

from specgym.analysis.lm.hooks import active_hooks  # noqa: E402
from specgym.analysis.lm.sae import (  # noqa: E402
    loss_recovered,
    reconstruction_metrics,
    replayed,
    token_activations,
    train_sae,
)
from tests.analysis_lm.conftest import episode  # noqa: E402


def toy_dictionary(n: int = 6000, d: int = 64, atoms: int = 64, active: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((atoms, d))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    codes = np.zeros((n, atoms))
    for i in range(n):
        codes[i, rng.choice(atoms, active, replace=False)] = rng.uniform(1, 3, active)
    return (codes @ D).astype(np.float32), D


def test_sae_round_trips_a_toy_dictionary():
    torch.set_num_threads(1)
    X, D = toy_dictionary()
    sae, log = train_sae(X[:5000], expansion=2, k=3, epochs=30, batch=256, lr=3e-3)
    m = reconstruction_metrics(sae, X[5000:])
    assert m["explained_variance"] > 0.97
    assert m["l0"] <= 3 + 1e-9
    W = sae.W_dec.detach().numpy()
    W = W / np.linalg.norm(W, axis=1, keepdims=True)
    best = (np.abs(D @ W.T)).max(1)  # each true atom's closest learned latent
    assert np.mean(best > 0.9) > 0.8, np.sort(best)[:10]
    assert log["epochs"][-1]["train_fvu"] < log["epochs"][0]["train_fvu"]


def test_loss_recovered_on_a_tiny_model(model, tokenizer):
    eps = replayed(tokenizer, [episode(s, s % 2 == 0, "specgym/A-v0") for s in range(12)])
    acts = token_activations(model, eps, 1, per_episode=1000)
    assert acts.shape == (sum(len(e.input_ids) for e in eps), 128)
    sae, _ = train_sae(acts, expansion=4, k=16, epochs=20, batch=64, lr=3e-3)
    rep = loss_recovered(model, eps[:4], 1, sae, acts.mean(0))
    assert rep["ce_clean"] <= rep["ce_sae"] + 1e-3 or rep["loss_recovered"] > 0.5
    assert rep["loss_recovered"] == pytest.approx(
        (rep["ce_mean_ablated"] - rep["ce_sae"]) / (rep["ce_mean_ablated"] - rep["ce_clean"]))
    assert active_hooks(model) == 0
