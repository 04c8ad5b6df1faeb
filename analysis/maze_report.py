"""The maze evaluation report: `specgym eval maze`'s two measurements with their intervals.

The rollouts and decision squares come from `specgym.agents.maze_eval` (shared with the
analysis methods and the demo); this module only adds the statistics, so that agents import
nothing from analysis.
"""

from __future__ import annotations

from specgym.agents.maze_eval import (
    at_decision_squares,
    make_eval_env,
    prob_towards,
    rollout,
)
from specgym.analysis.stats import mean_ci, rate
from specgym.envs.maze.mazesets import DECISION_SEED, decision_square_mazes


def evaluate_maze(policy, difficulty: str, cheese_region: int | None, episodes: int = 1000,
                  decision_mazes: int = 500, seed: int = DECISION_SEED, env: str = "native") -> dict:
    """Both measurements on the native maze or on procgen's real game (the decision-square set
    is the native generator's, written into procgen)."""
    obs_mode = policy.config.input
    report: dict = {}
    if episodes:
        venv = make_eval_env(env, episodes, difficulty, obs_mode, cheese_region)
        ep = rollout(policy, venv, seed)
        venv.close()
        report["episodes"] = {
            "cheese_region": cheese_region,
            "p_cheese": rate(ep["cheese_reached"]),
            "p_corner_first": rate(ep["corner_first"]),
            "timeout_rate": rate(ep["timed_out"]),
            "mean_steps": mean_ci(ep["steps"]),
        }
    if decision_mazes:
        pairs = decision_square_mazes(decision_mazes, difficulty, seed)
        states = at_decision_squares(pairs)
        venv = make_eval_env(env, len(states), difficulty, obs_mode)
        d = rollout(policy, venv, seed, states=states, stop_at_corner=True)
        venv.close()
        report["decision_square"] = {
            "mazes": len(states),
            "maze_seed": seed,
            "p_cheese": rate(d["cheese_reached"]),
            "p_corner": rate(d["corner_first"]),
            "p_timeout": rate(d["timed_out"]),
            "action_prob_towards_cheese": mean_ci(prob_towards(policy, states, [s.cheese for s in states])),
            "action_prob_towards_corner": mean_ci(prob_towards(policy, states, [s.corner for s in states])),
        }
    return report
