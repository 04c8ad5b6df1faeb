"""A sparse autoencoder on one layer's residual stream, trained with eai-sparsify.

`token_activations` replays episodes and keeps the residual stream at every token (or a
random subset per episode) at one layer: the text the model actually reads and writes in the
environments. `train_sae` fits eai-sparsify's TopK `SparseCoder` on it with Adam (the library's
own trainer drives a Hugging Face dataset end to end; here the activations are already
cached). `evaluate_sae` reports what SAE papers report:

=====================  ==========================================================================
metric                 meaning
=====================  ==========================================================================
``l0``                 mean number of active latents per token (TopK: at most ``k``)
``explained_variance`` 1 - FVU on held-out tokens (fraction of variance unexplained)
``dead_fraction``      latents that never fire on the held-out tokens
``loss_recovered``     (L_zero - L_sae) / (L_zero - L_clean): next-token loss with the SAE's
                       reconstruction spliced in, between the clean model (1) and the layer
                       mean-ablated (0)
=====================  ==========================================================================
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from specgym.analysis.lm.activations import _decoder
from specgym.analysis.lm.hooks import capture, hook_name, replace
from specgym.analysis.lm.replay import Replayed, tokenize_episode


def replayed(tokenizer: Any, records: Sequence[dict[str, Any]], max_tokens: int = 4096
             ) -> list[Replayed]:
    eps = [tokenize_episode(tokenizer, r, max_tokens=max_tokens) for r in records]
    return [e for e in eps if e is not None]


@torch.no_grad()
def token_activations(model: Any, episodes: Sequence[Replayed], layer: int,
                      per_episode: int = 256, seed: int = 0) -> np.ndarray:
    """float32 [T, d]: the residual stream after ``layer`` at up to ``per_episode`` random
    token positions of each episode (all positions when shorter)."""
    rng = np.random.default_rng(seed)
    name = hook_name(layer)
    rows = []
    for ep in episodes:
        ids = torch.tensor([ep.input_ids])
        with capture(model, [name]) as got:
            _decoder(model)(input_ids=ids)
        x = got[name][0][0].float()
        keep = rng.choice(len(x), min(per_episode, len(x)), replace=False)
        rows.append(x[np.sort(keep)].numpy())
    return np.concatenate(rows)


def train_sae(acts: np.ndarray, expansion: int = 8, k: int = 32, epochs: int = 5,
              batch: int = 512, lr: float = 1e-3, seed: int = 0) -> tuple[Any, dict[str, Any]]:
    """Fit a TopK SAE (eai-sparsify `SparseCoder`) on ``acts`` [T, d]; return it and a log."""
    from sparsify import SparseCoder, SparseCoderConfig

    torch.manual_seed(seed)
    x = torch.as_tensor(acts, dtype=torch.float32)
    sae = SparseCoder(x.shape[1], SparseCoderConfig(expansion_factor=expansion, k=k),
                      device="cpu")
    opt = torch.optim.Adam(sae.parameters(), lr=lr)
    # eai-sparsify's auxk loss revives latents idle for many tokens (dead_mask)
    since_fired = torch.zeros(sae.num_latents, dtype=torch.long)
    log, t0 = [], time.time()
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for start in range(0, len(x), batch):
            xb = x[order[start:start + batch]]
            out = sae(xb, dead_mask=since_fired > 10_000)
            loss = out.fvu + out.auxk_loss / 32
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sae.cfg.normalize_decoder:
                sae.set_decoder_norm_to_unit_norm()
            fired = torch.zeros(sae.num_latents, dtype=torch.bool)
            fired[out.latent_indices.flatten()] = True
            since_fired += len(xb)
            since_fired[fired] = 0
            total += float(out.fvu.detach()) * len(xb)
        log.append({"epoch": epoch, "train_fvu": total / len(x), "wall_s": round(time.time() - t0, 1)})
    return sae.eval(), {"epochs": log, "n_train_tokens": int(len(x)), "d_in": int(x.shape[1]),
                        "num_latents": int(sae.num_latents), "k": k}


@torch.no_grad()
def reconstruction_metrics(sae: Any, acts: np.ndarray, batch: int = 2048) -> dict[str, Any]:
    """L0, explained variance (1 - FVU over all tokens) and dead latents on ``acts``."""
    x = torch.as_tensor(acts, dtype=torch.float32)
    fired = torch.zeros(sae.num_latents, dtype=torch.bool)
    err, l0 = 0.0, 0.0
    for start in range(0, len(x), batch):
        xb = x[start:start + batch]
        out = sae(xb)
        err += float(((out.sae_out - xb) ** 2).sum())
        active = out.latent_acts > 0
        l0 += float(active.sum())
        fired[out.latent_indices[active]] = True
    var = float(((x - x.mean(0)) ** 2).sum())
    return {"n_tokens": int(len(x)), "l0": l0 / len(x), "explained_variance": 1 - err / var,
            "dead_fraction": float((~fired).float().mean()), "dead": int((~fired).sum())}


@torch.no_grad()
def loss_recovered(model: Any, episodes: Sequence[Replayed], layer: int, sae: Any,
                   mean_act: np.ndarray) -> dict[str, Any]:
    """Next-token cross-entropy over the episodes' tokens: clean, SAE-spliced, mean-ablated."""
    name = hook_name(layer)
    mean = torch.as_tensor(mean_act, dtype=torch.float32)

    def splice(x: torch.Tensor) -> torch.Tensor:
        return sae(x.reshape(-1, x.shape[-1]).float()).sae_out.reshape(x.shape).to(x.dtype)

    def ablate(x: torch.Tensor) -> torch.Tensor:
        return mean.to(x.dtype).expand_as(x).clone()

    def ce() -> float:
        tot, n = 0.0, 0
        for ep in episodes:
            ids = torch.tensor([ep.input_ids])
            out = model(input_ids=ids, labels=ids)
            tot += float(out.loss) * (len(ep.input_ids) - 1)
            n += len(ep.input_ids) - 1
        return tot / n

    clean = ce()
    with replace(model, name, splice):
        spliced = ce()
    with replace(model, name, ablate):
        ablated = ce()
    return {"ce_clean": clean, "ce_sae": spliced, "ce_mean_ablated": ablated,
            "loss_recovered": (ablated - spliced) / (ablated - clean),
            "n_episodes": len(episodes)}


__all__ = ["loss_recovered", "reconstruction_metrics", "replayed", "token_activations",
           "train_sae"]
