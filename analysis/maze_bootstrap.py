"""Bootstrap intervals that respect the maze: resample whole mazes, not single samples.

Retargeting measures several targets per maze and the outcomes of one maze are correlated, so
treating targets as independent understates the interval. `maze_bootstrap_mean` draws mazes
with replacement (each carrying all its samples) and recomputes the pooled mean
(sum of the drawn mazes' values / their number of samples); the interval is the 2.5 / 97.5
percentiles of those means.

>>> maze_bootstrap_mean([1.0, 0.0, 1.0, 1.0], clusters=[0, 0, 1, 1])["mean"]
0.75
"""

from __future__ import annotations

import numpy as np

N_BOOT = 2000


def maze_bootstrap_mean(values, clusters, n_boot: int = N_BOOT, seed: int = 0) -> dict:
    """{"mean", "ci95", "n", "mazes"}: the mean of `values` with a maze-clustered interval."""
    values = np.asarray(values, dtype=float)
    clusters = np.asarray(clusters)
    if values.shape != clusters.shape or values.ndim != 1 or values.size == 0:
        raise ValueError(f"clusters: expected one maze id per value ({values.shape}), got {clusters.shape}")
    _, inverse = np.unique(clusters, return_inverse=True)
    sums = np.bincount(inverse, weights=values)
    counts = np.bincount(inverse).astype(float)
    draws = np.random.default_rng(seed).integers(0, len(sums), size=(n_boot, len(sums)))
    means = sums[draws].sum(1) / counts[draws].sum(1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {"mean": float(values.mean()), "ci95": [float(low), float(high)], "n": int(values.size),
            "mazes": int(len(sums))}


def bootstrap_median(values, n_boot: int = N_BOOT, seed: int = 0) -> dict:
    """{"median", "ci95", "n"}: the median with a percentile bootstrap interval (one value per maze)."""
    values = np.asarray(values, dtype=float)
    draws = np.random.default_rng(seed).integers(0, values.size, size=(n_boot, values.size))
    medians = np.median(values[draws], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return {"median": float(np.median(values)), "ci95": [float(low), float(high)], "n": int(values.size)}


__all__ = ["bootstrap_median", "maze_bootstrap_mean"]
