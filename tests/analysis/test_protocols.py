"""The evaluation's shared pieces on known answers: the rollout on both engines, the
maze-clustered bootstrap against a direct computation, and the decision-square set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from specgym.agents.maze_eval import make_eval_env, prob_towards, rollout
from specgym.analysis.interventions import Edit
from specgym.analysis.interventions import rollout as edited_rollout
from specgym.analysis.maze_bootstrap import bootstrap_median, maze_bootstrap_mean
from specgym.envs.maze import Action
from specgym.envs.maze.mazesets import decision_square_mazes, generated_mazes
from tests.maze_helpers import ConstantPolicy, centred
from tests.test_maze_engines import ENGINES, FORK, cell


@pytest.mark.parametrize("engine", ENGINES)
def test_rollout_stops_at_the_corner_and_times_out_as_computed_by_hand(engine):
    fork = centred(FORK, 15)
    top_left = fork.copy()
    top_left.mouse = cell(1, 1)  # the top row leads right: 4 steps to the corner
    venv = make_eval_env(engine, 3, "easy", "grid")
    # slot 0: RIGHT from the top-left -> corner at step 4; slot 1: the same without the corner
    # stop -> stands on the corner until the limit (corner first, a time-out); slot 2: RIGHT
    # from the start is a wall -> a time-out at the limit
    out = rollout(ConstantPolicy(int(Action.RIGHT)), venv, seed=0, states=[top_left, top_left, fork],
                  max_steps=12, stop_at_corner=True)
    assert out["corner_first"].tolist() == [True, True, False]
    assert out["steps"].tolist() == [4, 4, 12] and out["timed_out"].tolist() == [False, False, True]
    free = rollout(ConstantPolicy(int(Action.RIGHT)), venv, seed=0, states=[top_left, top_left, fork],
                   max_steps=12)
    assert free["corner_reached"].tolist() == [True, True, False]
    assert free["corner_first"].tolist() == [True, True, False]
    assert free["timed_out"].all() and (free["steps"] == 12).all() and not free["cheese_reached"].any()
    venv.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_edited_rollout_feeds_each_live_slot_its_own_edit(engine, cheese_policy):
    """A per-slot edit of the action logits sends slot 0 up and slot 1 right; slot 1 keeps its
    own row after slot 0 stopped at the corner and left the live batch."""
    fork = centred(FORK, 15)
    below_corner = fork.copy()
    below_corner.mouse = cell(2, 5)  # one step below the corner
    top_left = fork.copy()
    top_left.mouse = cell(1, 1)  # four steps left of it
    push = torch.zeros(2, 15)
    push[0, int(Action.UP)] = 100.0
    push[1, int(Action.RIGHT)] = 100.0
    out = edited_rollout(cheese_policy, [below_corner, top_left], [Edit("fc_policy", None, "add", push)],
                         engine, max_steps=10, stop_at_corner=True, difficulty="easy")
    assert out["corner_first"].tolist() == [True, True] and out["steps"].tolist() == [1, 4]


def test_maze_bootstrap_matches_a_direct_computation():
    values = np.array([1, 0, 1, 1, 0, 0, 1, 1, 1], dtype=float)
    mazes = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    got = maze_bootstrap_mean(values, mazes, n_boot=500, seed=3)
    draws = np.random.default_rng(3).integers(0, 3, size=(500, 3))
    direct = []
    for row in draws:  # pool every sample of the drawn mazes, then average
        pooled = np.concatenate([values[mazes == m] for m in row])
        direct.append(pooled.mean())
    low, high = np.percentile(direct, [2.5, 97.5])
    assert got["ci95"] == pytest.approx([low, high]) and got["mean"] == pytest.approx(6 / 9)
    assert got["mazes"] == 3 and got["n"] == 9
    # one value per maze: the interval is that of the plain bootstrap of the maze means
    single = maze_bootstrap_mean([0.0, 1.0], [5, 7], n_boot=200, seed=0)
    assert 0.0 <= single["ci95"][0] <= single["ci95"][1] <= 1.0
    with pytest.raises(ValueError, match="clusters"):
        maze_bootstrap_mean([1.0, 2.0], [0])


def test_bootstrap_median_of_a_constant_sample():
    assert bootstrap_median([0.3] * 10) == {"median": 0.3, "ci95": [0.3, 0.3], "n": 10}


def test_decision_square_set_is_one_set_whatever_its_size():
    small = decision_square_mazes(5, "easy", seed=10)
    large = decision_square_mazes(12, "easy", seed=10)
    assert all(a[0] == b[0] and a[1] == b[1] for a, b in zip(small, large[:5], strict=True))
    for state, square in large:
        assert state.mouse == state.start and square not in (state.cheese, state.corner)
    assert generated_mazes(3, "easy", seed=0, min_size=9)[0].maze_size >= 9


def test_prob_towards_a_constant_policy():
    fork = centred(FORK, 15)
    square = fork.copy()
    square.mouse = cell(3, 1)  # the decision square: up to the corner, right to the cheese
    right = prob_towards(ConstantPolicy(int(Action.RIGHT)), [square, square], [fork.cheese, fork.corner])
    assert right == pytest.approx([1.0, 0.0], abs=1e-6)


def test_cli_vectors_writes_its_pictures_and_paper_resumes(cheese_policy, tmp_path, capsys):
    import json

    import specgym.cli as cli
    from specgym.agents.policies import save_policy

    folder = save_policy(cheese_policy, tmp_path / "policy", {"env": {"difficulty": "easy"}})
    out = tmp_path / "vectors"
    assert cli.main(["analyze", "maze", "vectors", "--checkpoint", str(folder), "--mazes", "4",
                     "--layer", "embedder.block1.conv", "--out", str(out)]) == 0
    report = json.loads((out / "vectors.json").read_text())
    assert report["mazes"] == 4 and "median_p_towards_cheese" in report["cheese_vector"]
    assert (out / "vectors.png").stat().st_size > 0
    paper = tmp_path / "paper"
    args = ["analyze", "maze", "paper", "--checkpoint", str(folder), "--parts", "start",
            "--sizes", "start=30", "--out", str(paper)]
    assert cli.main(args) == 0
    start = json.loads((paper / "start.json").read_text())
    assert start["mazes"] == 30 and start["start_square"]["p_cheese"]["n"] == 30
    assert cli.main(args) == 0 and "exists, skipped" in capsys.readouterr().out
    assert cli.main(args[:-2] + ["--sizes", "bogus=3", "--out", str(paper)]) == 2
