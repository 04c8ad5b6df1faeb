"""Which maze features predict that a policy goes to the cheese (logistic regression).

For decision-square mazes (cheese outside the top-right 5x5) the outcome is whether a rollout
from the decision square reaches the cheese before the maze's top-right corner. Features:
step and Euclidean distances cheese-to-decision-square, cheese-to-top-right corner, and
decision-square-to-top-right 5x5 (nearest cell of that region). Features are standardized and
the model is fitted by scikit-learn with a small ridge (`specgym.analysis.stats.logistic_regression`);
standard errors come from the inverse Hessian, so each coefficient has a z score and a 95% interval.

>>> report = behaviour_statistics(policy, mazes=300)
>>> report["coefficients"]["d_step_cheese_decision"]
"""

from __future__ import annotations

import numpy as np

from specgym.analysis.interventions import rollout
from specgym.analysis.maze_datasets import decision_mazes, with_mouse_at
from specgym.analysis.stats import logistic_regression, rate
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
    fit = logistic_regression(x, y, FEATURES)
    coefs = {}
    for k, name in enumerate(FEATURES):
        row = fit["coefficients"][name]
        single = logistic_regression(x[:, [k]], y, [name])
        coefs[name] = {"coef_per_sd": row["coef_per_sd"], "ci95": row["ci95"], "z": row["z"],
                       "p_value": row["p"], "alone_accuracy": single["accuracy"],
                       "alone_coef_per_sd": single["coefficients"][name]["coef_per_sd"]}
    report.update(
        coefficients=coefs, accuracy=fit["accuracy"], base_rate_accuracy=float(max(y.mean(), 1 - y.mean())),
        log_likelihood=fit["log_likelihood"],
        significant=[n for n, v in coefs.items() if v["p_value"] < 0.05],
    )
    return report


__all__ = ["FEATURES", "behaviour_statistics", "maze_features"]
