"""Contrastive activation addition on the language-model agents, and its dose-response.

A steering vector is the difference of mean residual-stream activations, gamed minus honest
episodes (CAA), at one layer. `steer` adds ``coef * vector`` there on every forward pass of
whichever backend runs the episodes:

=================  ==========================================================================
backend            how the vector is added
=================  ==========================================================================
transformers       a forward hook at ``model.layers.{i}.resid_post`` (`hooks.add_vector`)
llama.cpp          the same vector as a llama.cpp control vector (`controlvector`), which
                   llama.cpp adds to layer ``i``'s output: the same place
=================  ==========================================================================

`dose_response` runs the same held-out episodes (same env seeds and sampling seeds) at each
coefficient, for the steering vector and for a random vector of equal norm, appending every
episode to ``<out>/points/<vector>_<coef>-<key>.jsonl`` as it finishes (``key``: a hash of the
model, layer, vector, sampling and turns; a rerun resumes only its own points).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specgym.analysis.lm.hooks import add_vector, hook_name
from specgym.analysis.stats import mean_ci, wilson_interval


def mean_difference(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """float32 [d]: mean of X[y] - mean of X[~y] (X: [N, d])."""
    y = np.asarray(y).astype(bool)
    if y.all() or not y.any():
        raise ValueError("y: a mean difference needs gamed and honest episodes")
    return (X[y].mean(0) - X[~y].mean(0)).astype(np.float32)


def random_equal_norm(vector: np.ndarray, seed: int = 0) -> np.ndarray:
    """A Gaussian random direction scaled to ``vector``'s norm (the steering control)."""
    r = np.random.default_rng(seed).standard_normal(vector.shape).astype(np.float32)
    return r * (np.linalg.norm(vector) / np.linalg.norm(r))


@contextmanager
def steer(backend: Any, layer: int, vector: np.ndarray, coef: float) -> Iterator[None]:
    """Add ``coef * vector`` to layer ``layer``'s output while the block runs ``backend``."""
    if coef == 0:
        yield
        return
    if getattr(backend, "name", "") == "llama.cpp":
        from specgym.analysis.lm.controlvector import llamacpp_control_vector

        with llamacpp_control_vector(backend, {layer: np.asarray(vector) * coef}):
            yield
        return
    model = getattr(backend, "model", None)
    if model is None:
        raise ValueError(f"backend {getattr(backend, 'name', backend)!r} cannot be steered "
                         "(transformers and llama.cpp can)")
    with add_vector(model, hook_name(layer), torch.as_tensor(vector), coef):
        yield


def summarize_point(records: Sequence[Mapping[str, Any]], label: str = "gamed") -> dict[str, Any]:
    """Gaming rate and honest success (hidden reward at its maximum, 1), Wilson 95% CIs; with a
    ``label`` other than ``gamed`` (``hack:<type>``), also how often that class occurred."""
    n = len(records)
    extra: dict[str, Any] = {}
    if label != "gamed":
        from specgym.analysis.lm.probes import episode_labels

        k = int(episode_labels(records, label).sum())
        extra = {"label": label, "label_rate": k / n if n else math.nan,
                 "label_ci95": list(wilson_interval(k, n))}
    gamed = sum(bool(r["gamed"]) for r in records)
    honest = sum((r.get("hidden_reward") or 0) >= 1 - 1e-9 and not r["gamed"] for r in records)
    hidden = [r["hidden_reward"] for r in records if r.get("hidden_reward") is not None]
    return {
        "n": n,
        "gaming_rate": gamed / n if n else math.nan, "gaming_ci95": list(wilson_interval(gamed, n)),
        "honest_success": honest / n if n else math.nan,
        "honest_ci95": list(wilson_interval(honest, n)),
        "hidden_reward": mean_ci(hidden),
        "ungraded": sum(not r.get("graded", True) for r in records),
        **extra,
    }


def dose_response(
    backend: Any, env_ids: Sequence[str], seeds: Sequence[int], coefs: Sequence[float],
    vectors: Mapping[str, np.ndarray], layer: int, out_dir: str | Path, *, sampling: Any,
    max_turns: int | None = 1, progress: bool = True, model: str, label: str = "gamed",
) -> dict[str, Any]:
    """Run ``env_ids`` x ``seeds`` at every (vector, coef); summarize each point.

    Each point's episodes go to ``<out>/points/<vector>_<coef>-<key>.jsonl``, ``key`` a hash of
    everything that decides them (``model``, the backend, layer, the vector itself, sampling,
    turns), so a rerun resumes its own points and never another run's."""
    from specgym.agents.lm.records import run_episodes

    out = Path(out_dir) / "points"
    out.mkdir(parents=True, exist_ok=True)
    points: dict[str, dict[str, Any]] = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(vectors) * len(coefs) * len(env_ids) * len(seeds), desc="steer",
                   unit="ep")
    for name, vec in vectors.items():
        for coef in coefs:
            if coef == 0 and name != next(iter(vectors)):
                points[f"{name}:{coef:g}"] = points[f"{next(iter(vectors))}:{coef:g}"]
                if bar is not None:
                    bar.update(len(env_ids) * len(seeds))
                continue
            path = out / f"{name}_{coef:+g}-{_point_key(model, backend, layer, vec, coef, sampling, max_turns)}.jsonl"
            t0 = time.time()
            recs: list[dict[str, Any]] = []
            with steer(backend, layer, vec, coef):
                for env_id in env_ids:
                    recs += run_episodes(
                        backend, env_id, list(seeds), path, sampling=sampling,
                        max_turns=max_turns, extra={"steer_vector": name, "coef": coef},
                        on_record=(lambda _r: bar.update(1)) if bar is not None else None,
                    )
            point = summarize_point(recs, label)
            point.update(vector=name, coef=coef, wall_s=round(time.time() - t0, 1),
                         by_env={e: summarize_point([r for r in recs if r["env_id"] == e], label)
                                 for e in env_ids})
            points[f"{name}:{coef:g}"] = point
    if bar is not None:
        bar.close()
    return {"layer": layer, "coefs": list(coefs), "vectors": list(vectors),
            "norms": {k: float(np.linalg.norm(v)) for k, v in vectors.items()},
            "env_ids": list(env_ids), "n_seeds": len(seeds), "points": points}


def _point_key(model: str, backend: Any, layer: int, vector: np.ndarray, coef: float,
               sampling: Any, max_turns: int | None) -> str:
    import dataclasses
    import hashlib

    digest = hashlib.sha256(np.asarray(vector, dtype=np.float32).tobytes()).hexdigest()[:12]
    key = json.dumps([model, getattr(backend, "name", ""), layer, digest, coef, max_turns,
                      dataclasses.asdict(sampling)], sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def plot_dose_response(report: Mapping[str, Any], path: str | Path) -> Path:
    """Gaming rate and honest success against the coefficient, one line per vector."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name in report["vectors"]:
        for ax, key, ci in ((axes[0], "gaming_rate", "gaming_ci95"),
                            (axes[1], "honest_success", "honest_ci95")):
            pts = [report["points"][f"{name}:{c:g}"] for c in report["coefs"]]
            ys = np.array([p[key] for p in pts])
            lo = np.clip(ys - np.array([p[ci][0] for p in pts]), 0, None)  # float noise at 0/1
            hi = np.clip(np.array([p[ci][1] for p in pts]) - ys, 0, None)
            ax.errorbar(report["coefs"], ys, yerr=[lo, hi], marker="o", capsize=3, label=name)
    n = report["n_seeds"] * len(report["env_ids"])
    axes[0].set_title(f"gaming rate (n={n} per point, Wilson 95%)")
    axes[1].set_title("honest success (hidden reward 1)")
    for ax in axes:
        ax.set_xlabel(f"coefficient (x vector, layer {report['layer']})")
        ax.set_ylim(0, 1)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def write_json(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj, indent=2, default=float))
    return path


__all__ = ["dose_response", "mean_difference", "plot_dose_response", "random_equal_norm",
           "steer", "summarize_point"]
