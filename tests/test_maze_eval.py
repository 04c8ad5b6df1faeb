"""Maze geometry and evaluation on cases with known answers."""

from __future__ import annotations

import numpy as np

from specgym.agents.maze_eval import rollout
from specgym.analysis.maze_report import evaluate_maze
from specgym.analysis.stats import wilson_interval
from specgym.envs.maze import MazeVectorEnv
from specgym.envs.maze.geometry import decision_square, in_top_right, shortest_path
from tests.maze_helpers import ConstantPolicy, centred

# From the start (bottom-left) the path goes up the left column; two cells up it splits:
# on up and along the top to the corner, or right and down to the cheese.
FORK = """
#######
#.....#
#.###.#
#...#.#
#.#.#.#
#M#C#.#
#######
"""


def test_decision_square_and_paths():
    state = centred(FORK, 15)
    off = (15 - 7) // 2
    path = shortest_path(state.walls, state.mouse, state.cheese)
    assert path[0] == state.mouse and path[-1] == state.cheese and len(path) == 7
    assert decision_square(state) == (off + 3, off + 1)
    assert in_top_right(state, state.corner) and not in_top_right(state, state.start, 3)


def test_rollout_counts_outcomes_of_a_known_policy():
    state = centred(FORK, 15)
    up = ConstantPolicy(5)  # walks up the left column and stays: never cheese, never corner
    env = MazeVectorEnv(num_envs=3, difficulty="easy", obs_mode="grid", max_steps=20)
    out = rollout(up, env, seed=0, states=[state] * 3)
    assert not out["cheese_reached"].any() and not out["corner_first"].any()
    assert out["timed_out"].all() and (out["steps"] == 20).all()


def test_decision_rollouts_tell_the_corner_from_a_time_out():
    state = centred(FORK, 15)
    off = (15 - 7) // 2
    top_left = state.copy()
    top_left.mouse = (off + 1, off + 1)  # the top row leads right, straight to the corner
    env = MazeVectorEnv(num_envs=2, difficulty="easy", obs_mode="grid", max_steps=20)
    right = rollout(ConstantPolicy(7), env, seed=0, states=[top_left] * 2, stop_at_corner=True)
    assert right["corner_first"].all() and not right["timed_out"].any()
    assert not right["cheese_reached"].any() and (right["steps"] == 4).all()
    up = rollout(ConstantPolicy(5), env, seed=0, states=[state] * 2, stop_at_corner=True)
    assert up["timed_out"].all() and not up["corner_first"].any()  # stuck top-left: a time-out


def test_evaluate_maze_report_has_intervals():
    report = evaluate_maze(ConstantPolicy(4), "easy", None, episodes=20, decision_mazes=10)
    ep = report["episodes"]
    assert ep["p_cheese"]["rate"] == 0.0 and ep["timeout_rate"]["rate"] == 1.0
    assert ep["p_cheese"]["ci95"] == list(wilson_interval(0, 20))
    assert report["decision_square"]["mazes"] == 10
    probs = report["decision_square"]["action_prob_towards_cheese"]["mean"]
    assert np.isclose(probs, 0.0, atol=1e-6)  # a no-op policy never steps towards anything


def test_wilson_interval_known_values():
    low, high = wilson_interval(5, 10)
    assert abs(low - 0.2366) < 1e-3 and abs(high - 0.7634) < 1e-3
    assert wilson_interval(0, 10)[0] == 0.0 and np.isclose(wilson_interval(10, 10)[1], 1.0)
