"""What predicts that a policy gets the cheese: the behavioural regression of Mini et al.

Protocol (as in "Understanding and controlling a maze-solving policy network" and its
follow-up "Behavioural statistics for a maze-solving agent"): on the decision-square maze set
(`decision_square_mazes`), one rollout per maze from the start square, the whole episode
(500 steps); the outcome is whether the mouse ate the cheese. The same rollouts give the
start-square P(cheese), P(corner first) and P(time-out) that the paper reports (69.1% cheese).
Features, the paper's: legal-step distance decision square -> cheese, Euclidean distance
cheese -> top-right cell, Euclidean distance decision square -> cheese, and (the one the
follow-up found to be an artefact) Euclidean distance cheese -> top-right 5x5 region. The
paper's intuition, which its regressions support: closeness makes cheese-getting more likely,
so every distance should carry a negative coefficient.

The logistic regression is scikit-learn's on standardized features with a small ridge, Wald
standard errors from the Hessian (`specgym.analysis.stats.logistic_regression`). Accuracy is measured on held-out mazes
(a random 20%) against the base rate (always predicting the training majority).

>>> report = behaviour_statistics(policy, mazes=5000)
>>> report["heldout_accuracy"], report["heldout_base_rate"]
"""

from __future__ import annotations

import numpy as np

from specgym.analysis.interventions import rollout
from specgym.analysis.stats import logistic_predict, logistic_regression, mean_ci, rate
from specgym.envs.maze.geometry import distances_from, in_top_right, open_cells
from specgym.envs.maze.mazesets import DECISION_SEED, decision_square_mazes

FEATURES = (
    "d_step_decision_cheese", "d_euclid_cheese_top_right", "d_euclid_decision_cheese",
    "d_euclid_cheese_top_right_5x5",
)
MODEL = FEATURES[:3]
"""The paper's three-feature model (the fourth is fitted alone only)."""
PAPER = {
    "mazes": 5239, "heldout_accuracy": 0.841, "base_rate": 0.714, "p_cheese_from_start": 0.691,
    "signs": {name: -1 for name in FEATURES},
}


def maze_features(state, square) -> np.ndarray:
    """The four distance features of one (maze, decision square), in `FEATURES` order."""
    cheese, corner, sq = np.array(state.cheese), np.array(state.corner), np.array(square)
    from_sq = distances_from(state.walls, square)
    region = np.array([c for c in open_cells(state) if in_top_right(state, c, 5)])
    return np.array([
        from_sq[state.cheese], np.linalg.norm(cheese - corner), np.linalg.norm(cheese - sq),
        np.linalg.norm(region - cheese, axis=1).min(),
    ], dtype=float)


def start_outcomes(rolls: dict) -> dict:
    """P(cheese), P(corner first), P(time-out) and steps of start-square rollouts."""
    return {"p_cheese": rate(rolls["cheese_reached"]), "p_corner_first": rate(rolls["corner_first"]),
            "p_timeout": rate(rolls["timed_out"]), "mean_steps": mean_ci(rolls["steps"])}


def behaviour_statistics(policy, difficulty: str = "easy", env: str = "native", mazes: int = 5000,
                         max_steps: int = 500, seed: int = 31337, maze_seed: int = DECISION_SEED,
                         holdout: float = 0.2) -> dict:
    """Start-square rollouts on the decision-square set, and the regression on their outcome."""
    pairs = decision_square_mazes(mazes, difficulty, maze_seed)
    rolls = rollout(policy, [m for m, _ in pairs], (), env, max_steps, seed=seed, difficulty=difficulty)
    y = rolls["cheese_reached"]
    x = np.stack([maze_features(m, sq) for m, sq in pairs])
    report = {"mazes": len(pairs), "maze_seed": maze_seed, "env": env, "max_steps": max_steps,
              "start_square": start_outcomes(rolls), "features": list(FEATURES),
              "model": list(MODEL), "paper": PAPER}
    if y.all() or not y.any():
        report["note"] = "every rollout had the same outcome: nothing to regress"
        return report
    cols = [FEATURES.index(f) for f in MODEL]
    fit = logistic_regression(x[:, cols], y, MODEL)
    coefs = {name: {**row, "p_value": row["p"],
                    "sign_matches_paper": bool(np.sign(row["coef_per_sd"]) == PAPER["signs"][name])}
             for name, row in fit["coefficients"].items()}
    alone = {}
    for k, name in enumerate(FEATURES):
        single = logistic_regression(x[:, [k]], y, [name])
        row = single["coefficients"][name]
        alone[name] = {"coef_per_sd": row["coef_per_sd"], "ci95": row["ci95"],
                       "p_value": row["p"], "accuracy": single["accuracy"]}
    rng = np.random.default_rng(seed)
    test = rng.permutation(len(y))[: int(round(holdout * len(y)))]
    train = np.setdiff1d(np.arange(len(y)), test)
    held = logistic_regression(x[train][:, cols], y[train], MODEL)
    p_test = logistic_predict(held, x[test][:, cols])
    majority = bool(y[train].mean() >= 0.5)
    report.update(
        coefficients=coefs, single_feature=alone, in_sample_accuracy=fit["accuracy"],
        heldout={"train": int(len(train)), "test": int(len(test))},
        heldout_accuracy=rate((p_test > 0.5) == y[test]),
        heldout_base_rate=rate(y[test] == majority),
        log_likelihood=fit["log_likelihood"],
        significant=[n for n, v in coefs.items() if v["p_value"] < 0.05],
    )
    return report
