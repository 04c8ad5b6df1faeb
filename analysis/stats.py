"""Confidence intervals for the rates and means the suite reports."""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (well-behaved at 0 and 1)."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(flags) -> dict:
    """{"rate", "ci95", "n"} of a boolean sample."""
    flags = np.asarray(flags, dtype=bool)
    k, n = int(flags.sum()), int(flags.size)
    low, high = wilson_interval(k, n)
    return {"rate": k / n if n else float("nan"), "ci95": [low, high], "n": n}


def mean_ci(values) -> dict:
    """{"mean", "ci95", "n"} by the normal approximation."""
    values = np.asarray(values, dtype=float)
    n = values.size
    mean = float(values.mean()) if n else float("nan")
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else float("nan")
    return {"mean": mean, "ci95": [mean - half, mean + half], "n": int(n)}


def bootstrap_mean_ci(values, n_boot: int = 2000, seed: int = 0) -> dict:
    """Percentile bootstrap interval of a mean (for skewed per-maze effects)."""
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(n_boot, values.size)).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {"mean": float(values.mean()), "ci95": [float(low), float(high)], "n": int(values.size)}
