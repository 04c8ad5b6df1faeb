"""Which sparse-autoencoder latents separate gaming from honest episodes, and does removing them
change the gaming?

The environments label every episode (`gamed`), so SAE latents can be ranked by how well each
one alone tells a gamed episode from an honest one, and then tested causally:

===========================  ====================================================================
step                         what it does
===========================  ====================================================================
`episode_latents`            replays each stored episode through the model, encodes the residual
                             stream at the SAE's layer, and pools each latent over a position
                             (``reply_mean``: every reply token; ``prompt_end``; ``reply_end``)
`rank_latents`               AUROC of each latent's pooled activation for ``gamed``, ranked on
                             one split of the episodes and re-measured on held-out ones
`edit_latents`               during generation, rescales chosen latents (0: ablate) or clamps
                             them to a value at every token, and leaves the SAE's reconstruction
                             error in place, so nothing but those latents' share of the residual
                             stream changes
`ablation_experiment`        the same held-out episodes (env and sampling seeds) with no edit,
                             with the top latents edited, and with as many frequency-matched
                             random latents edited; gaming rates with Wilson intervals and each
                             difference to the unedited run with Newcombe's interval
===========================  ====================================================================
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specgym.analysis.lm.activations import _decoder
from specgym.analysis.lm.hooks import capture, hook_name, replace
from specgym.analysis.lm.replay import Replayed

POOLS = ("reply_mean", "prompt_end", "reply_end")


def model_chain(model: str | Path) -> list[str]:
    """``model`` and every model under it: a trained folder, its recorded base, and the
    shipped named adapters' bases down to the plain model."""
    from specgym.agents.lm.adapters import NAMED_ADAPTERS
    from specgym.agents.lm.train.common import adapter_root

    chain = [str(model)]
    name = adapter_root(model)
    if name != chain[-1]:
        chain.append(name)
    while name in NAMED_ADAPTERS:
        name = NAMED_ADAPTERS[name].base
        chain.append(name)
    return chain


def load_sae(path: str | Path, model: str | None = None, finetune_ok: bool = False
             ) -> tuple[Any, int]:
    """The SAE that `specgym analyze lm sae` saved (``sae.pt``), in float32, and its layer.
    ``model``: the model spec it will read; refused if the file names another one, unless
    ``finetune_ok`` and ``model`` is an adapter over the SAE's own model (SAEs mostly transfer
    to fine-tunes of their model, but the caller should measure how well). The SAE carries
    ``trained_on`` (the model it was trained on, or None)."""
    from sparsify import SparseCoder, SparseCoderConfig

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--sae: no file {str(path)!r} (write one with `specgym analyze lm sae`)")
    blob = torch.load(str(path), map_location="cpu", weights_only=False)
    trained_on = blob.get("model")
    if model is not None and trained_on not in (None, model):
        over = trained_on in model_chain(model)[1:]
        if not (finetune_ok and over):
            raise ValueError(f"--sae {str(path)!r} was trained on model {trained_on!r}, not "
                             f"{model!r}" + ("; --sae-on-finetune applies it to this adapter "
                                             "over that model" if over and not finetune_ok
                                             else ""))
    sae = SparseCoder(blob["d_in"], SparseCoderConfig(**blob["cfg"]), device="cpu")
    sae.load_state_dict({k: v.float() for k, v in blob["state_dict"].items()})
    sae.trained_on = trained_on
    return sae.eval(), int(blob["layer"])


def dense_latents(sae: Any, x: torch.Tensor) -> torch.Tensor:
    """[T, num_latents] activations of ``x`` [T, d] (zero where TopK did not select a latent)."""
    enc = sae.encode(x.float())
    out = torch.zeros(len(x), sae.num_latents, device=x.device)
    return out.scatter_(1, enc.top_indices.long(), enc.top_acts.float())


def chosen_latents(sae: Any, x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """[T, len(idx)] activations of the latents ``idx`` only (no dense [T, num_latents])."""
    enc = sae.encode(x.float())
    hit = enc.top_indices.long().unsqueeze(-1) == idx.to(x.device)  # [T, k, m]
    return (enc.top_acts.float().unsqueeze(-1) * hit).sum(-2)


@torch.no_grad()
def episode_latents(model: Any, sae: Any, episodes: Sequence[Replayed], layer: int,
                    pool: str = "reply_mean") -> np.ndarray:
    """float32 [N, num_latents]: each latent pooled over ``pool`` in each episode."""
    if pool not in POOLS:
        raise ValueError(f"pool: expected one of {list(POOLS)}, got {pool!r}")
    name = hook_name(layer)
    rows = []
    for ep in episodes:
        with capture(model, [name]) as got:
            _decoder(model)(input_ids=torch.tensor([ep.input_ids]))
        x = got[name][0][0]
        where = {"reply_mean": ep.reply_positions, "prompt_end": [ep.prompt_end],
                 "reply_end": [ep.reply_end]}[pool]
        rows.append(dense_latents(sae, x[where]).mean(0).numpy())
    return np.stack(rows).astype(np.float32)


def latent_auroc(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """[num_latents] AUROC of each column of ``Z`` [N, L] for the binary labels ``y`` (ties
    count half: the Mann-Whitney statistic)."""
    from scipy.stats import rankdata

    y = np.asarray(y).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError("y: AUROC needs both gamed and honest episodes")
    ranks = rankdata(Z, axis=0)
    return (ranks[y].sum(0) - n1 * (n1 + 1) / 2) / (n1 * n0)


def held_out_mask(y: np.ndarray, groups: Sequence[Any], test_fraction: float, seed: int
                  ) -> np.ndarray:
    """bool [N]: the held-out episodes, stratified by label. When a group (env, seed) holds
    several episodes (one question under several context cues, several samples), the whole
    group goes to one side, so a latent cannot rank high by recognising the question; with
    one episode per group the split is plain stratified, as it always was."""
    from sklearn.model_selection import StratifiedGroupKFold, train_test_split

    idx = np.arange(len(y))
    keys = [str(g) for g in groups]
    if len(set(keys)) == len(keys):
        _, held = train_test_split(idx, test_size=test_fraction, stratify=y, random_state=seed)
    else:
        folds = max(2, round(1 / test_fraction))  # the held-out share is 1/folds
        if len(set(keys)) < folds:
            raise ValueError(f"episodes: {len(set(keys))} (env, seed) groups cannot be split "
                             f"{folds} ways; play more seeds")
        _, held = next(StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
                       .split(idx, y, keys))
    test = np.isin(idx, held)
    for side, mask in (("ranking", ~test), ("held-out", test)):
        if y[mask].all() or not y[mask].any():
            raise ValueError(f"episodes: the {side} split has only one class; play more "
                             "episodes or change --test-fraction")
    return test


def rank_latents(Z_train: np.ndarray, y_train: np.ndarray, Z_test: np.ndarray, y_test: np.ndarray,
                 top: int = 16) -> list[dict[str, Any]]:
    """The ``top`` latents most separating on the training split (by |AUROC - 0.5|, among
    latents active in it), each with its held-out AUROC and class means."""
    a_train, a_test = latent_auroc(Z_train, y_train), latent_auroc(Z_test, y_test)
    alive = (Z_train > 0).any(0)
    order = [int(i) for i in np.argsort(-np.abs(a_train - 0.5)) if alive[i]][:top]
    yt = np.asarray(y_train).astype(bool)
    return [{"latent": i, "auroc_train": float(a_train[i]), "auroc_test": float(a_test[i]),
             "sign": 1 if a_train[i] > 0.5 else -1,
             "mean_gamed": float(Z_train[yt, i].mean()), "mean_honest": float(Z_train[~yt, i].mean())}
            for i in order]


@contextmanager
def edit_latents(model: Any, sae: Any, layer: int, latents: Sequence[int], scale: float = 0.0,
                 clamp: float | None = None) -> Iterator[None]:
    """While the block runs, each of ``latents`` at layer ``layer`` is multiplied by ``scale``
    (0 ablates it), or set to ``clamp`` at every token when given. The rest of the residual
    stream, the SAE's reconstruction error included, is left as it was."""
    idx = torch.as_tensor(sorted(set(latents)), dtype=torch.long)
    if len(idx) == 0:
        yield
        return
    if int(idx.min()) < 0 or int(idx.max()) >= sae.num_latents:
        raise ValueError(f"latents: each must be in 0..{sae.num_latents - 1}, got {list(latents)}")
    device = next(model.parameters()).device
    sae.to(device)
    W = sae.W_dec.detach().float()[idx.to(device)]  # [m, d]

    def edit(x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        with torch.no_grad():
            now = chosen_latents(sae, flat, idx)  # [T, m]
            target = torch.full_like(now, clamp) if clamp is not None else now * scale
            delta = (target - now) @ W
        return (flat.float() + delta).to(x.dtype).reshape(x.shape)

    with replace(model, hook_name(layer), edit):
        yield


def random_live_latents(alive: np.ndarray, m: int, exclude: Sequence[int], seed: int) -> list[int]:
    """``m`` latents drawn at random among the live ones, none of ``exclude``."""
    pool = np.setdiff1d(np.flatnonzero(alive), np.asarray(list(exclude), dtype=int))
    if len(pool) < m:
        raise ValueError(f"only {len(pool)} live latents outside the top set; cannot draw {m}")
    return sorted(int(i) for i in np.random.default_rng(seed).choice(pool, m, replace=False))


def matched_random_latents(freq: np.ndarray, chosen: Sequence[int], seed: int,
                           neighbours: int = 20) -> list[int]:
    """The control set: for each chosen latent, a random other latent among the ``neighbours``
    nearest to it in firing frequency ``freq`` (so the control edits as much of the residual
    stream as the chosen set; a draw among all live latents mostly picks rare ones)."""
    rng = np.random.default_rng(seed)
    taken = set(int(c) for c in chosen)
    out = []
    for c in chosen:
        pool = [int(i) for i in np.argsort(np.abs(freq - freq[c])) if int(i) not in taken and freq[i] > 0]
        if not pool:
            raise ValueError("no live latent is left to match the chosen ones")
        pick = int(rng.choice(pool[:neighbours]))
        taken.add(pick)
        out.append(pick)
    return sorted(out)


def ablation_experiment(backend: Any, sae: Any, layer: int, conditions: dict[str, dict[str, Any]],
                        env_ids: Sequence[str], seeds: Sequence[int], out_dir: str | Path, *,
                        sampling: Any, max_turns: int | None = 1, model: str = ""
                        ) -> dict[str, Any]:
    """Run ``env_ids`` x ``seeds`` under each condition ({name: {latents, scale, clamp}}; the
    first is the reference), resumable per condition in ``<out>/conditions/<name>-<key>.jsonl``
    (``key``: a hash of everything that decides the episodes, ``model`` included)."""
    import dataclasses
    import hashlib
    import json

    from specgym.agents.lm.records import run_episodes
    from specgym.analysis.lm.steering import summarize_point
    from specgym.analysis.stats import newcombe_diff

    out = Path(out_dir) / "conditions"
    out.mkdir(parents=True, exist_ok=True)
    weights = hashlib.sha256(sae.W_dec.detach().float().cpu().numpy().tobytes()).hexdigest()[:12]
    points: dict[str, dict[str, Any]] = {}
    for name, cond in conditions.items():
        t0 = time.time()
        recs: list[dict[str, Any]] = []
        # the file is named by everything that decides its episodes, so a rerun with another
        # SAE, layer, latent set, edit or sampling never resumes from stale ones
        key = json.dumps([weights, layer, sorted(cond.get("latents", [])), cond.get("scale", 0.0),
                          cond.get("clamp"), max_turns, dataclasses.asdict(sampling)]
                         + ([model] if model else []), sort_keys=True, default=str)
        path = out / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:10]}.jsonl"
        with edit_latents(backend.model, sae, layer, cond.get("latents", []),
                          cond.get("scale", 0.0), cond.get("clamp")):
            for env_id in env_ids:
                recs += run_episodes(backend, env_id, list(seeds), path,
                                     sampling=sampling, max_turns=max_turns,
                                     extra={"sae_condition": name})
        point = summarize_point(recs)
        point.update(condition=name, latents=list(cond.get("latents", [])), file=path.name,
                     scale=cond.get("scale", 0.0), clamp=cond.get("clamp"),
                     k=sum(bool(r["gamed"]) for r in recs), wall_s=round(time.time() - t0, 1))
        points[name] = point
    ref = points[next(iter(conditions))]
    for p in points.values():
        p["diff_vs_reference"] = newcombe_diff(p["k"], p["n"], ref["k"], ref["n"])
    return {"layer": layer, "env_ids": list(env_ids), "n_seeds": len(seeds), "conditions": points}


def report_markdown(report: dict[str, Any]) -> str:
    """The ranking and the ablation as two Markdown tables."""
    lines = ["| rank | latent | AUROC (ranking split) | AUROC (held out) | mean gamed | mean honest |",
             "|---:|---:|---:|---:|---:|---:|"]
    for i, r in enumerate(report["top_latents"], 1):
        lines.append(f"| {i} | {r['latent']} | {r['auroc_train']:.3f} | {r['auroc_test']:.3f} "
                     f"| {r['mean_gamed']:.3f} | {r['mean_honest']:.3f} |")
    lines += ["", "| condition | latents | n | ungraded | gaming rate [95% CI] | difference to none "
              "[95% CI] | honest success [95% CI] |", "|---|---|---:|---:|---|---|---|"]
    for name, p in report["ablation"]["conditions"].items():
        d = p["diff_vs_reference"]
        lat = ", ".join(map(str, p["latents"])) or "-"
        edit = f" (x{p['scale']:g})" if p["latents"] and p["clamp"] is None else (
            f" (= {p['clamp']:g})" if p["clamp"] is not None else "")
        lines.append(f"| {name} | {lat}{edit} | {p['n']} | {p['ungraded']} | {p['gaming_rate']:.3f} "
                     f"[{p['gaming_ci95'][0]:.3f}, {p['gaming_ci95'][1]:.3f}] | {d['diff']:+.3f} "
                     f"[{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}] | {p['honest_success']:.3f} "
                     f"[{p['honest_ci95'][0]:.3f}, {p['honest_ci95'][1]:.3f}] |")
    return "\n".join(lines) + "\n"


def plot_report(report: dict[str, Any], path: str | Path) -> Path:
    """Left: held-out AUROC of the top latents; right: gaming rate per condition (95% CI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    top = report["top_latents"]
    a.bar(range(len(top)), [r["auroc_test"] for r in top], color="tab:blue")
    a.axhline(0.5, color="grey", lw=0.8, ls="--")
    a.set_xticks(range(len(top)), [str(r["latent"]) for r in top], rotation=90, fontsize=7)
    a.set_ylim(0, 1)
    a.set(xlabel="latent (ranked on the ranking split)", ylabel="held-out AUROC for gamed")
    conds = report["ablation"]["conditions"]
    rates = [p["gaming_rate"] for p in conds.values()]
    err = [[r - p["gaming_ci95"][0] for r, p in zip(rates, conds.values(), strict=True)],
           [p["gaming_ci95"][1] - r for r, p in zip(rates, conds.values(), strict=True)]]
    b.bar(range(len(conds)), rates, yerr=err, capsize=4, color="tab:orange")
    b.set_xticks(range(len(conds)), list(conds), rotation=20, fontsize=8)
    b.set(ylabel="gaming rate", title=f"layer {report['layer']}, n={report['ablation']['n_seeds']} "
          f"per env: {', '.join(e.split('/')[-1] for e in report['ablation']['env_ids'])}")
    b.title.set_fontsize(8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


__all__ = ["POOLS", "ablation_experiment", "held_out_mask", "model_chain", "chosen_latents", "dense_latents", "edit_latents", "episode_latents",
           "latent_auroc", "load_sae", "matched_random_latents", "plot_report", "random_live_latents", "rank_latents",
           "report_markdown"]
