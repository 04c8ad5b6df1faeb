"""Each analysis method on cases with a known answer."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from specgym.analysis.activations import layer_activations, layer_cell, layer_shape
from specgym.analysis.behaviour_stats import maze_features
from specgym.analysis.goal_channels import find_goal_channels
from specgym.analysis.interventions import Edit, intervene, rollout
from specgym.analysis.maze_datasets import (
    cheese_sweep,
    decision_square_mazes,
    open_to_world_corner,
    sample_mazes,
    without_cheese,
)
from specgym.analysis.retarget import path_probability
from specgym.analysis.stats import logistic_predict, logistic_regression
from specgym.analysis.steering import cheese_vectors, random_like
from specgym.analysis.vector_field import vector_field
from specgym.envs.maze import Action, from_ascii
from specgym.envs.maze.render import grid_planes

CONV = "embedder.block1.conv"
CORRIDOR = """
###############
###############
###############
###############
###############
###############
###############
#M...........C#
###############
###############
###############
###############
###############
###############
###############
"""


def test_layer_cell_mapping(cheese_policy):
    assert layer_shape(cheese_policy, "embedder.block1.res2.resadd_out") == (4, 8, 8)
    assert layer_cell((14, 14), 15, 8) == (7, 7)
    assert layer_cell((4, 2), 15, 8) == (2, 1)
    assert layer_cell((3, 9), 15, 15) == (3, 9)


def test_cheese_sweep_covers_every_open_cell():
    maze = sample_mazes(1, "easy", seed=3, min_size=9)[0]
    sweep = cheese_sweep([maze])
    assert len(sweep.states) == int((~maze.walls).sum()) - 1
    assert {tuple(c) for c in sweep.cheese} == {(int(r), int(c)) for r, c in np.argwhere(~maze.walls)} - {maze.start}
    opened = open_to_world_corner(maze)
    assert opened is None or not opened.walls[0, -1]


def test_goal_channel_discovery_finds_the_cheese_plane(cheese_policy):
    sweep = cheese_sweep(sample_mazes(6, "easy", seed=1, min_size=9))
    report = find_goal_channels(cheese_policy, sweep.states, sweep.cheese, CONV, groups=sweep.maze_id)
    assert report["top"] == [0]
    assert report["channels"][0]["argmax_acc"] == 1.0
    assert report["channels"][0]["corr"] > 0.99
    assert report["median_channel"]["argmax_acc"] < 0.2


def test_clamp_edit_changes_only_chosen_channels_and_cells():
    x = torch.zeros(2, 3, 4, 4)
    edit = Edit("x", [1], "clamp", 5.0, np.array([[0, 1], [3, 3]]))
    y = edit(x)
    assert y[0, 1, 0, 1] == 5 and y[1, 1, 3, 3] == 5
    assert y.sum() == 10
    added = Edit("x", None, "add", torch.ones(3, 4, 4))(x)
    assert torch.equal(added, torch.ones(2, 3, 4, 4))
    with pytest.raises(ValueError, match="mode"):
        Edit("x", [0], "multiply", 1.0)
    with pytest.raises(ValueError, match="cells"):
        Edit("x", [0], "clamp", 1.0, [(9, 9)])(x)


def test_intervention_changes_the_chosen_action(cheese_policy):
    state = from_ascii(CORRIDOR)
    obs = torch.as_tensor(grid_planes(state)[None])
    with intervene(cheese_policy, [Edit("fc_policy", [int(Action.UP)], "add", 100.0)]):
        assert int(cheese_policy(obs)[0].argmax()) == Action.UP
    with intervene(cheese_policy, [Edit("fc_policy", [int(Action.DOWN)], "add", 100.0)]):
        assert int(cheese_policy(obs)[0].argmax()) == Action.DOWN
    # hooks are gone after the block
    assert not cheese_policy.fc_policy._forward_hooks


def test_rollout_with_intervention_reaches_the_target(cheese_policy):
    state = from_ascii(CORRIDOR)
    target = [(7, 8)]
    right = [Edit("fc_policy", [int(Action.RIGHT)], "add", 100.0)]
    left = [Edit("fc_policy", [int(Action.LEFT)], "add", 100.0)]
    hit = rollout(cheese_policy, [state], right, max_steps=20, targets=target, deterministic=True)
    miss = rollout(cheese_policy, [state], left, max_steps=20, targets=target, deterministic=True)
    assert hit["reached_target"][0] and hit["steps"][0] == 7
    assert not miss["reached_target"][0] and miss["timed_out"][0]
    # path probability: forcing RIGHT makes the path to the target near-certain
    with intervene(cheese_policy, right):
        npp = path_probability(cheese_policy, [state], target)
    assert npp[0] > 0.99


def test_cheese_vector_is_the_cheese_plane(cheese_policy):
    maze = sample_mazes(1, "easy", seed=5, min_size=9)[0]
    vec = cheese_vectors(cheese_policy, [maze], CONV)[0]
    expected = torch.zeros_like(vec)
    expected[0][maze.cheese] = 1.0
    assert torch.allclose(vec, expected)
    rnd = random_like(vec[None], seed=1)[0]
    assert torch.isclose(rnd.norm(), vec.norm()) and not torch.allclose(rnd, vec)
    acts = layer_activations(cheese_policy, without_cheese([maze]), CONV)
    assert acts[0, 0].abs().sum() == 0


def test_logistic_regression_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 2))
    y = rng.random(4000) < 1 / (1 + np.exp(-(0.5 + 2.0 * x[:, 0])))
    fit = logistic_regression(x, y, ["a", "b"])
    assert abs(fit["coefficients"]["a"]["coef_per_sd"] - 2.0) < 0.25
    assert abs(fit["coefficients"]["b"]["coef_per_sd"]) < 0.15
    assert ((logistic_predict(fit, x) > 0.5) == y).mean() == fit["accuracy"]
    state, square = decision_square_mazes(1, "easy", seed=1)[0]
    f = maze_features(state, square)
    assert f.shape == (4,) and f[0] >= f[2] > 0  # steps >= Euclidean distance


def test_vector_field_follows_the_forced_action(cheese_policy):
    state = from_ascii(CORRIDOR)
    with intervene(cheese_policy, [Edit("fc_policy", [int(Action.RIGHT)], "add", 100.0)]):
        field = vector_field(cheese_policy, state)
    assert np.allclose(field[:, 2], 1.0, atol=1e-3) and np.allclose(field[:, 3], 0.0, atol=1e-3)


def test_cli_channels_and_bad_input(cheese_policy, tmp_path, capsys):
    import specgym.cli as cli
    from specgym.agents.policies import save_policy

    if "specgym.cli_analysis" not in cli.EXTENSIONS:
        cli.EXTENSIONS.append("specgym.cli_analysis")
    folder = save_policy(cheese_policy, tmp_path / "policy", {"env": {"difficulty": "easy"}})
    out = tmp_path / "out"
    code = cli.main(["analyze", "maze", "channels", "--checkpoint", str(folder), "--layer", CONV,
                     "--mazes", "3", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "channels.json").read_text())
    assert report["cheese"]["top"] == [0]
    assert (out / "channels.png").stat().st_size > 0
    assert "cheese channels [0]" in capsys.readouterr().out
    assert cli.main(["analyze", "maze", "channels", "--checkpoint", str(tmp_path / "nope")]) == 2
    assert cli.main(["analyze", "maze", "retarget", "--checkpoint", str(folder), "--layer", "bogus",
                     "--channels", "0", "--out", str(out)]) == 2
    assert "layer" in capsys.readouterr().err
