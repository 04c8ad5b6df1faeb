"""Residual-stream activations of stored episodes, captured in batches and cached on disk.

`capture_episodes` replays every episode of a list of ``episodes.jsonl`` records
(`specgym.analysis.lm.replay`), runs the model's decoder once per batch (right-padded, no LM
head, no gradients) with `specgym.analysis.lm.hooks.capture` at the chosen layers, and keeps
only the chosen positions. Results go to ``cache_dir`` as ``shard-NNNNN.npz`` files, one per
batch, written atomically; a rerun skips episodes already cached (matched by content hash),
so a killed capture resumes. `load_activations` reads a cache back:

======================  =====================================================================
array                   shape / meaning
======================  =====================================================================
``X[pos]``              float32 [N, L, d]: ``prompt_end``, ``reply_end``, ``reply_mean``
``tokens``              float32 [T, L, d]: every reply token (only if ``reply_tokens`` was
                        captured); ``token_episode`` int [T] says whose token it is
``labels``              list of N dicts (``gamed``, ``env_id``, ``hack_types``, ...)
``layers``              the L layer indices
======================  =====================================================================

>>> acts = capture_episodes(model, tok, records, layers=range(30), cache_dir="runs/acts")  # doctest: +SKIP
>>> acts["X"]["reply_mean"].shape  # doctest: +SKIP
(384, 30, 576)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specgym.analysis.lm.hooks import capture, hook_name, n_layers
from specgym.analysis.lm.replay import POSITIONS, Replayed, tokenize_episode

POOLED = ("prompt_end", "reply_end", "reply_mean")
META = "meta.json"


def check_positions(positions: Iterable[str]) -> list[str]:
    out = list(positions)
    bad = [p for p in out if p not in POSITIONS]
    if bad or not out:
        raise ValueError(f"positions: {bad or 'none given'}; allowed: {list(POSITIONS)}")
    return out


def check_layers(model: Any, layers: Iterable[int]) -> list[int]:
    count = n_layers(model)
    out = sorted({int(i) for i in layers})
    bad = [i for i in out if not 0 <= i < count]
    if bad or not out:
        raise ValueError(f"layers: {bad or 'none given'}; allowed: 0..{count - 1}")
    return out


def _decoder(model: Any) -> Any:
    """The transformer body without the LM head (its logits are not needed here)."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    return getattr(inner, "model", inner)


@torch.no_grad()
def forward_positions(
    model: Any, episodes: Sequence[Replayed], layers: Sequence[int], positions: Sequence[str],
    kind: str = "resid_post", pad_id: int = 0,
) -> dict[str, np.ndarray]:
    """One right-padded forward pass over ``episodes``; activations at the chosen positions.

    Returns ``{pos: float32 [B, L, d]}`` for pooled positions and, with ``reply_tokens``,
    ``tokens`` [sum of reply lengths, L, d] in episode order.
    """
    device = next(model.parameters()).device
    width = max(len(e.input_ids) for e in episodes)
    ids = torch.full((len(episodes), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(episodes), width), dtype=torch.long)
    for b, e in enumerate(episodes):
        ids[b, : len(e.input_ids)] = torch.tensor(e.input_ids)
        mask[b, : len(e.input_ids)] = 1
    rows = torch.cat([torch.full((len(e.reply_positions),), b) for b, e in enumerate(episodes)])
    cols = torch.cat([torch.tensor(e.reply_positions) for e in episodes])
    ends = torch.tensor([e.prompt_end for e in episodes])
    rends = torch.tensor([e.reply_end for e in episodes])
    counts = torch.tensor([len(e.reply_positions) for e in episodes], dtype=torch.float32)
    batch = torch.arange(len(episodes))

    def reduce(x: torch.Tensor) -> dict[str, torch.Tensor]:
        x = x.float()
        out: dict[str, torch.Tensor] = {}
        if "prompt_end" in positions:
            out["prompt_end"] = x[batch, ends]
        if "reply_end" in positions:
            out["reply_end"] = x[batch, rends]
        tok = x[rows, cols]
        if "reply_mean" in positions:
            summed = torch.zeros((len(episodes), x.shape[-1])).index_add_(0, rows, tok)
            out["reply_mean"] = summed / counts[:, None]
        if "reply_tokens" in positions:
            out["tokens"] = tok
        return out

    names = [hook_name(i, kind) for i in layers]
    with capture(model, names, reduce=reduce) as got:
        _decoder(model)(input_ids=ids.to(device), attention_mask=mask.to(device))
    keys = got[names[0]][0].keys()
    return {k: torch.stack([got[n][0][k] for n in names], 1).cpu().numpy() for k in keys}


def _cached_keys(cache: Path) -> set[str]:
    keys: set[str] = set()
    for shard in sorted(cache.glob("shard-*.npz")):
        with np.load(shard, allow_pickle=False) as z:
            keys.update(z["keys"].tolist())
    return keys


def _check_meta(cache: Path, meta: dict[str, Any]) -> None:
    path = cache / META
    if path.is_file():
        old = json.loads(path.read_text())
        diff = {k: (old.get(k), v) for k, v in meta.items() if old.get(k) != v}
        if diff:
            raise ValueError(f"cache_dir {str(cache)!r} holds activations with other settings "
                             f"{diff} (old, new); use another folder")
    path.write_text(json.dumps(meta, indent=2))


def capture_episodes(
    model: Any, tokenizer: Any, records: Sequence[dict[str, Any]], layers: Iterable[int],
    cache_dir: str | Path, positions: Iterable[str] = POOLED, kind: str = "resid_post",
    batch_size: int = 8, max_tokens: int = 4096, model_name: str = "model",
    progress: bool = True,
) -> dict[str, Any]:
    """Capture (or finish capturing) activations of ``records`` into ``cache_dir``; load them.

    Episodes are sorted by length so a batch pads little; each batch becomes one shard.
    Records without an assistant reply are skipped (counted in ``meta.json``).
    """
    layers, positions = check_layers(model, layers), check_positions(positions)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    _check_meta(cache, {"model": model_name, "layers": layers, "positions": positions,
                        "kind": kind, "template": tokenizer.chat_template[:200]})
    done = _cached_keys(cache)
    todo: list[Replayed] = []
    seen = set(done)
    for r in records:
        ep = tokenize_episode(tokenizer, r, max_tokens=max_tokens)
        if ep is not None and ep.key not in seen:
            todo.append(ep)
            seen.add(ep.key)
    todo.sort(key=lambda e: len(e.input_ids))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    start = len(list(cache.glob("shard-*.npz")))
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="capture", unit="ep")
    for k in range(0, len(todo), batch_size):
        chunk = todo[k:k + batch_size]
        acts = forward_positions(model, chunk, layers, positions, kind, pad)
        arrays = {name: a.astype(np.float16) for name, a in acts.items()}
        if "tokens" in arrays:
            arrays["token_counts"] = np.array([len(e.reply_positions) for e in chunk])
        arrays["keys"] = np.array([e.key for e in chunk])
        arrays["labels"] = np.array([json.dumps(e.labels) for e in chunk])
        path = cache / f"shard-{start + k // batch_size:05d}.npz"
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.close()
    return load_activations(cache)


def load_activations(cache_dir: str | Path) -> dict[str, Any]:
    """Read a cache written by `capture_episodes` (see the module docstring for the layout)."""
    cache = Path(cache_dir)
    if not (cache / META).is_file():
        raise FileNotFoundError(f"{str(cache)!r} holds no activation cache ({META} missing)")
    meta = json.loads((cache / META).read_text())
    pooled: dict[str, list[np.ndarray]] = {p: [] for p in meta["positions"] if p in POOLED}
    tokens, token_ep, labels, keys = [], [], [], []
    for shard in sorted(cache.glob("shard-*.npz")):
        with np.load(shard, allow_pickle=False) as z:
            base = len(keys)
            keys += z["keys"].tolist()
            labels += [json.loads(s) for s in z["labels"].tolist()]
            for p in pooled:
                pooled[p].append(z[p].astype(np.float32))
            if "tokens" in z:
                tokens.append(z["tokens"].astype(np.float32))
                token_ep.append(np.repeat(np.arange(base, len(keys)), z["token_counts"]))
    out: dict[str, Any] = {
        "meta": meta, "layers": meta["layers"], "keys": keys, "labels": labels,
        "X": {p: np.concatenate(v) if v else np.zeros((0, len(meta["layers"]), 0))
              for p, v in pooled.items()},
    }
    if tokens:
        out["tokens"] = np.concatenate(tokens)
        out["token_episode"] = np.concatenate(token_ep)
    return out


__all__ = ["POOLED", "capture_episodes", "check_layers", "check_positions", "forward_positions",
           "load_activations"]
