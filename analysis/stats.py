"""Every statistic specgym reports, from well-kept libraries, in one leaf module.

=========================  ==========================================================
function                   computed by
=========================  ==========================================================
`wilson_interval`          statsmodels ``proportion_confint(method="wilson")``
`rate`                     a boolean sample's rate with its Wilson interval
`newcombe_diff`            statsmodels ``confint_proportions_2indep(method="newcomb")``
`mean_ci`                  the t interval of a mean (scipy ``stats.t``)
`bootstrap_mean_ci`        scipy ``stats.bootstrap`` (percentile) of a mean
`logistic_regression`      scikit-learn ``LogisticRegression`` on standardized features,
                           Wald standard errors from its Hessian (`logistic_predict` applies it)
=========================  ==========================================================

It imports nothing from specgym, so every layer that reports numbers can use it; tests check
each function against the library call it wraps and against known values.

>>> [round(x, 4) for x in wilson_interval(5, 10)]
[0.2366, 0.7634]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of ``successes`` in ``n`` (``(0, 1)`` when ``n`` is 0)."""
    from statsmodels.stats.proportion import proportion_confint

    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return (0.0, 1.0)
    low, high = proportion_confint(successes, n, alpha=alpha, method="wilson")
    return (max(0.0, float(low)), min(1.0, float(high)))


def rate(flags) -> dict:
    """``{"rate", "ci95", "n"}`` of a boolean sample (Wilson interval)."""
    flags = np.asarray(flags, dtype=bool)
    k, n = int(flags.sum()), int(flags.size)
    low, high = wilson_interval(k, n)
    return {"rate": k / n if n else float("nan"), "ci95": [low, high], "n": n}


def newcombe_diff(k1: int, n1: int, k2: int, n2: int, alpha: float = 0.05) -> dict:
    """``{"diff", "ci95"}`` of ``k1/n1 - k2/n2`` with Newcombe's hybrid score interval
    (nan when either sample is empty)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    if not (n1 and n2):
        return {"diff": float("nan"), "ci95": [float("nan"), float("nan")]}
    low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff",
                                           alpha=alpha)
    return {"diff": k1 / n1 - k2 / n2, "ci95": [max(-1.0, float(low)), min(1.0, float(high))]}


def mean_ci(values, alpha: float = 0.05) -> dict:
    """``{"mean", "ci95", "n"}``: the t interval of the mean (nan bounds below 2 values)."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    n = int(values.size)
    mean = float(values.mean()) if n else float("nan")
    if n < 2:
        return {"mean": mean, "ci95": [float("nan"), float("nan")], "n": n}
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * float(values.std(ddof=1)) / math.sqrt(n)
    return {"mean": mean, "ci95": [mean - half, mean + half], "n": n}


def bootstrap_mean_ci(values, n_boot: int = 2000, seed: int = 0, alpha: float = 0.05) -> dict:
    """``{"mean", "ci95", "n"}``: percentile bootstrap interval of a mean (for skewed
    per-maze effects); a constant sample gets a zero-width interval."""
    from scipy import stats

    values = np.asarray(values, dtype=float)
    n = int(values.size)
    if n == 0:
        return {"mean": float("nan"), "ci95": [float("nan"), float("nan")], "n": 0}
    mean = float(values.mean())
    if n == 1 or np.all(values == values[0]):
        return {"mean": mean, "ci95": [mean, mean], "n": n}
    res = stats.bootstrap((values,), np.mean, n_resamples=n_boot, confidence_level=1 - alpha,
                          method="percentile", random_state=np.random.default_rng(seed))
    ci = res.confidence_interval
    return {"mean": mean, "ci95": [float(ci.low), float(ci.high)], "n": n}


def logistic_regression(x, y, names: Sequence[str] | None = None, ridge: float = 1e-3,
                        alpha: float = 0.05) -> dict:
    """Logistic regression of boolean ``y`` on the columns of ``x`` (standardized first).

    Fitted by scikit-learn (L2 penalty ``ridge``, i.e. ``C = 1 / ridge``); Wald standard
    errors come from the penalized Hessian. Returns per feature the coefficient per standard
    deviation with its interval, z and two-sided p, plus intercept, accuracy, log
    likelihood and n.
    """
    from scipy import stats
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    if x.ndim != 2 or x.shape[0] != y.size:
        raise ValueError(f"x must be (n, features) with n = len(y) = {y.size}, got {x.shape}")
    if len(set(y.tolist())) < 2:
        raise ValueError("y must hold both outcomes")
    names = list(names) if names is not None else [f"x{i}" for i in range(x.shape[1])]
    if len(names) != x.shape[1]:
        raise ValueError(f"names must have {x.shape[1]} entries, got {len(names)}")
    sd = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    model = LogisticRegression(C=1.0 / ridge, tol=1e-10, max_iter=1000).fit(z, y)
    design = np.column_stack([np.ones(len(z)), z])
    p = model.predict_proba(z)[:, 1]
    hessian = design.T @ (design * (p * (1 - p))[:, None])
    hessian[1:, 1:] += ridge * np.eye(z.shape[1])
    se = np.sqrt(np.diag(np.linalg.inv(hessian)))[1:]
    q = float(stats.norm.ppf(1 - alpha / 2))
    coefs = {}
    for name, c, s in zip(names, model.coef_[0], se, strict=True):
        c, s = float(c), float(s)
        coefs[name] = {"coef_per_sd": c, "ci95": [c - q * s, c + q * s], "z": c / s,
                       "p": float(2 * stats.norm.sf(abs(c / s)))}
    eps = 1e-12
    loglik = float(np.sum(np.where(y, np.log(p + eps), np.log(1 - p + eps))))
    return {"coefficients": coefs, "intercept": float(model.intercept_[0]),
            "accuracy": float(model.score(z, y)), "log_likelihood": loglik, "n": int(y.size),
            "mean": x.mean(axis=0).tolist(), "sd": np.where(sd > 0, sd, 1.0).tolist()}


def logistic_predict(fit: dict, x) -> np.ndarray:
    """P(y = 1) of a `logistic_regression` fit on new rows ``x`` (same columns, unscaled)."""
    z = (np.asarray(x, dtype=float) - np.asarray(fit["mean"])) / np.asarray(fit["sd"])
    coef = np.array([v["coef_per_sd"] for v in fit["coefficients"].values()])
    return 1 / (1 + np.exp(-(fit["intercept"] + z @ coef)))
