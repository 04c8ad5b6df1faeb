"""Which maze features predict that a policy goes to the cheese (logistic regression, no sklearn).

For decision-square mazes (cheese outside the top-right 5x5) the outcome is whether a rollout
from the decision square reaches the cheese before the maze's top-right corner. Features:
step and Euclidean distances cheese-to-decision-square, cheese-to-top-right corner, and
decision-square-to-top-right 5x5 (nearest cell of that region). Features are standardized and
the model is fitted by Newton's method (IRLS) with a small ridge; standard errors come from the
inverse Hessian, so each coefficient has a z score and a 95% interval.

>>> report = behaviour_statistics(policy, mazes=300)
>>> report["coefficients"]["d_step_cheese_decision"]
"""

from __future__ import annotations

import math

import numpy as np

from specgym.analysis.interventions import rollout
from specgym.analysis.maze_datasets import decision_mazes, with_mouse_at
from specgym.analysis.stats import Z95, rate
from specgym.envs.maze.geometry import distances_from, in_top_right, open_cells

FEATURES = (
    "d_step_cheese_decision", "d_euclid_cheese_decision", "d_step_cheese_top_right",
    "d_euclid_cheese_top_right", "d_step_decision_top_right_5x5", "d_euclid_decision_top_right_5x5",
)


def maze_features(state, square) -> np.ndarray:
    """The six distance features of one (maze, decision square)."""
    cheese, corner = np.array(state.cheese), np.array(state.corner)
    sq = np.array(square)
    from_sq = distances_from(state.walls, square)
    from_cheese = distances_from(state.walls, state.cheese)
    region = np.array([c for c in open_cells(state) if in_top_right(state, c, 5)])
    return np.array([
        from_sq[state.cheese], np.linalg.norm(cheese - sq),
        from_cheese[state.corner], np.linalg.norm(cheese - corner),
        min(from_sq[tuple(c)] for c in region), np.linalg.norm(region - sq, axis=1).min(),
    ], dtype=float)


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1e-3, iters: int = 50) -> dict:
    """Logistic regression by IRLS on standardized x; coefficients, SEs, z, accuracy."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x: expected (N, F) matching y of length {len(y)}, got {x.shape}")
    mu, sd = x.mean(0), x.std(0) + 1e-12
    z = np.concatenate([np.ones((len(x), 1)), (x - mu) / sd], axis=1)
    w = np.zeros(z.shape[1])
    reg = ridge * np.eye(z.shape[1])
    reg[0, 0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-z @ w))
        hess = z.T @ (z * (p * (1 - p))[:, None]) + reg
        step = np.linalg.solve(hess, z.T @ (y - p) - reg @ w)
        w += step
        if np.abs(step).max() < 1e-8:
            break
    p = 1 / (1 + np.exp(-z @ w))
    hess = z.T @ (z * (p * (1 - p))[:, None]) + reg
    se = np.sqrt(np.diag(np.linalg.inv(hess)))
    loglik = float(np.sum(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
    return {"coef": w, "se": se, "accuracy": float(((p > 0.5) == (y > 0.5)).mean()),
            "log_likelihood": loglik, "mean": mu, "sd": sd}


def _pvalue(zscore: float) -> float:
    return math.erfc(abs(zscore) / math.sqrt(2))


def behaviour_statistics(policy, difficulty: str = "easy", env: str = "native", mazes: int = 300,
                         max_steps: int = 100, min_size: int = 7, seed: int = 31337) -> dict:
    """Roll out from each decision square and regress "reached the cheese" on the features."""
    pairs = decision_mazes(mazes, difficulty, seed, min_size)
    states = [with_mouse_at(m, sq) for m, sq in pairs]
    y = rollout(policy, states, (), env, max_steps, stop_at_corner=True, seed=seed,
                difficulty=difficulty)["cheese_reached"]
    x = np.stack([maze_features(m, sq) for m, sq in pairs])
    report = {"mazes": len(states), "env": env, "max_steps": max_steps, "p_cheese": rate(y),
              "features": list(FEATURES)}
    if y.all() or not y.any():
        report["note"] = "every rollout had the same outcome: nothing to regress"
        return report
    fit = fit_logistic(x, y)
    coefs = {}
    for k, name in enumerate(FEATURES):
        c, s = float(fit["coef"][k + 1]), float(fit["se"][k + 1])
        single = fit_logistic(x[:, [k]], y)
        coefs[name] = {"coef_per_sd": c, "ci95": [c - Z95 * s, c + Z95 * s], "z": c / s,
                       "p_value": _pvalue(c / s), "alone_accuracy": single["accuracy"],
                       "alone_coef_per_sd": float(single["coef"][1])}
    report.update(
        coefficients=coefs, accuracy=fit["accuracy"], base_rate_accuracy=float(max(y.mean(), 1 - y.mean())),
        log_likelihood=fit["log_likelihood"],
        significant=[n for n, v in coefs.items() if v["p_value"] < 0.05],
    )
    return report


__all__ = ["FEATURES", "behaviour_statistics", "fit_logistic", "maze_features"]
