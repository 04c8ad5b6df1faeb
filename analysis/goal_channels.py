"""Find the channels of a layer that track a goal (the cheese, or the maze's top-right corner).

Every channel is scored three ways over many maze states:
- `corr`: Pearson correlation between the channel map and the one-hot map of the goal's layer
  cell. With `groups` (the source maze of each state, as in a cheese sweep) both are centred
  within each maze first, so what counts is how the map *moves with the goal*, not the walls.
- `argmax_acc`: how often the channel's hottest cell (after the same centring) is the goal's
  cell; `argmax_near` allows one cell off. Chance is about 1 / (open cells of the map).
- `probe_acc`: a linear (ridge) probe from the channel's raw map to the one-hot goal map,
  fitted on half the mazes; accuracy of its argmax on the other half (unseen mazes).
Channels are ranked by `corr`; the "top" channels are those whose corr lies more than
`z` robust standard deviations (1.4826 MAD) above the median channel.

>>> sweep = cheese_sweep(sample_mazes(40, min_size=9))
>>> report = find_goal_channels(policy, sweep.states, sweep.cheese, "embedder.block1.res2.resadd_out",
...                             groups=sweep.maze_id)
>>> report["top"], report["scores"][report["top"][0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from specgym.analysis.activations import layer_activations, layer_cells

Z_TOP = 2.0


def _centre(x: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    if groups is None:
        return x - x.mean(axis=0, keepdims=True)
    out = np.empty_like(x)
    for g in np.unique(groups):
        m = groups == g
        out[m] = x[m] - x[m].mean(axis=0, keepdims=True)
    return out


def score_channels(acts: np.ndarray | torch.Tensor, goal_cells: np.ndarray,
                   groups: np.ndarray | None = None, seed: int = 0, ridge: float = 1.0) -> dict:
    """Per-channel scores of how well (N, C, H, W) activations track (N, 2) layer cells."""
    a = np.asarray(acts, dtype=np.float64)
    if a.ndim != 4:
        raise ValueError(f"acts: expected (N, C, H, W), got shape {a.shape}")
    n, c, h, w = a.shape
    goal_cells = np.asarray(goal_cells, dtype=np.int64)
    if goal_cells.shape != (n, 2):
        raise ValueError(f"goal_cells: expected shape ({n}, 2), got {goal_cells.shape}")
    target = np.zeros((n, h, w))
    target[np.arange(n), goal_cells[:, 0], goal_cells[:, 1]] = 1.0
    flat = a.reshape(n, c, h * w)
    dc = _centre(flat, groups)
    tc = _centre(target.reshape(n, h * w), groups)
    num = np.einsum("ncp,np->c", dc, tc)
    den = np.sqrt(np.einsum("ncp,ncp->c", dc, dc) * (tc * tc).sum()) + 1e-12
    corr = num / den
    goal_flat = goal_cells[:, 0] * w + goal_cells[:, 1]
    best = dc.argmax(axis=2)  # (N, C)
    exact = best == goal_flat[:, None]
    near = (np.abs(best // w - goal_cells[:, :1]) <= 1) & (np.abs(best % w - goal_cells[:, 1:]) <= 1)
    # ridge probe on raw maps, split by group (maze) so the test mazes are unseen
    ids = np.arange(n) if groups is None else np.asarray(groups)
    uniq = np.unique(ids)
    rng = np.random.default_rng(seed)
    test_groups = rng.choice(uniq, size=max(1, len(uniq) // 2), replace=False)
    test = np.isin(ids, test_groups)
    onehot = target.reshape(n, h * w)
    probe = np.zeros(c)
    for ch in range(c):
        x = np.concatenate([flat[:, ch], np.ones((n, 1))], axis=1)
        xt = x[~test]
        coef = np.linalg.solve(xt.T @ xt + ridge * np.eye(x.shape[1]), xt.T @ onehot[~test])
        probe[ch] = float(((x[test] @ coef).argmax(axis=1) == goal_flat[test]).mean())
    return {
        "corr": corr, "argmax_acc": exact.mean(axis=0), "argmax_near": near.mean(axis=0),
        "probe_acc": probe, "chance_argmax": 1.0 / max(1, len(np.unique(goal_flat))),
    }


def rank_channels(scores: dict, z: float = Z_TOP, key: str = "corr") -> dict:
    """Order channels by `key` (descending) and pick the outliers above the median."""
    values = np.asarray(scores[key])
    order = np.argsort(-values)
    med = float(np.median(values))
    mad = float(np.median(np.abs(values - med))) * 1.4826 + 1e-12
    top = [int(i) for i in order if (values[i] - med) / mad > z]
    if not top:
        top = [int(order[0])]
    return {"order": [int(i) for i in order], "top": top, "median": med, "mad_sigma": mad,
            "rule": f"{key} more than {z} robust sd (1.4826 MAD) above the median channel"}


def summarize(scores: dict, ranking: dict, k: int = 10) -> dict:
    """JSON-ready report: per-channel scores of the top k, and top vs median comparison."""
    top = ranking["top"]
    rows = {int(ch): {m: float(scores[m][ch]) for m in ("corr", "argmax_acc", "argmax_near", "probe_acc")}
            for ch in ranking["order"][:max(k, len(top))]}
    med = {m: float(np.median(scores[m])) for m in ("corr", "argmax_acc", "argmax_near", "probe_acc")}
    top_mean = {m: float(np.mean(np.asarray(scores[m])[top])) for m in med}
    return {"top": top, "rule": ranking["rule"], "channels": rows, "median_channel": med,
            "top_channels_mean": top_mean, "chance_argmax": float(scores["chance_argmax"]),
            "num_channels": int(len(scores["corr"]))}


def find_goal_channels(policy, states, goal_cells_world: np.ndarray, layer: str,
                       groups: np.ndarray | None = None, env: str = "native", z: float = Z_TOP,
                       seed: int = 0) -> dict:
    """Capture `layer` on `states`, score each channel against the goal cells, rank them.

    goal_cells_world: (N, 2) maze cells of the goal in each state (cheese or corner).
    Returns `summarize(...)` plus `layer`, `shape` and the full per-channel `scores`.
    """
    acts = layer_activations(policy, states, layer, env)
    if acts.dim() != 4:
        raise ValueError(f"layer: {layer} is not a spatial (N, C, H, W) layer")
    world = states[0].world_size
    cells = layer_cells([tuple(c) for c in np.asarray(goal_cells_world)], world, acts.shape[-1])
    scores = score_channels(acts.numpy(), cells, groups, seed)
    ranking = rank_channels(scores, z)
    report = summarize(scores, ranking)
    report.update(layer=layer, shape=list(acts.shape[1:]),
                  scores={k: np.asarray(v).tolist() for k, v in scores.items() if k != "chance_argmax"},
                  order=ranking["order"])
    return report


def channel_reference(acts: torch.Tensor, channels: Sequence[int]) -> float:
    """A typical strong activation of the channels: the mean over channels of their 99th percentile."""
    a = acts[:, list(channels)].transpose(0, 1).reshape(len(channels), -1)
    return float(torch.quantile(a, 0.99, dim=1).mean())


def save_channel_heatmaps(policy, state, layer: str, channels: Sequence[int], path, env: str = "native",
                          titles: Sequence[str] | None = None):
    """Heatmaps of the chosen channels over the maze (activation upsampled onto the cells)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from specgym.analysis.maze_plots import maze_image

    acts = layer_activations(policy, [state], layer, env)[0].numpy()
    world = state.world_size
    k = len(channels) + 1
    fig, axes = plt.subplots(1, k, figsize=(2.4 * k, 2.6), squeeze=False)
    axes = axes[0]
    axes[0].imshow(maze_image(state), interpolation="nearest")
    axes[0].set_title("maze", fontsize=8)
    for ax, ch in zip(axes[1:], channels, strict=True):
        ax.imshow(maze_image(state), interpolation="nearest")
        ax.imshow(acts[ch], extent=(-0.5, world - 0.5, world - 0.5, -0.5), cmap="magma", alpha=0.6,
                  interpolation="nearest")
        ax.set_title(f"channel {ch}" if titles is None else titles[list(channels).index(ch)], fontsize=8)
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


__all__ = [
    "channel_reference", "find_goal_channels", "rank_channels", "save_channel_heatmaps",
    "score_channels", "summarize",
]
