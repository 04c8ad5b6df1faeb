"""`generator=` on `specgym/Maze-v0`: the worlds' blocks / noise / open layouts in procgen's
maze square, solvable, seeded, batched = single, state round trip, and clear errors."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import specgym  # noqa: F401
from specgym.envs.maze import MazeEnv, MazeVectorEnv
from specgym.envs.maze.generator import GENERATORS
from tests.lockstep import assert_lockstep
from tests.maze_helpers import bfs_distances, count_edges, open_cells

OTHERS = [g for g in GENERATORS if g != "kruskal"]


def states(generator: str, n: int = 200, seed: int = 0, **kwargs):
    vec = MazeVectorEnv(num_envs=n, obs_mode="grid", generator=generator, **kwargs)
    vec.reset(seed=seed)
    return [vec.get_state(i) for i in range(n)]


@pytest.mark.parametrize("generator", OTHERS)
@pytest.mark.parametrize("difficulty", ["easy", "hard"])
def test_start_corner_and_cheese_are_connected_inside_the_maze_square(generator, difficulty):
    for s in states(generator, difficulty=difficulty):
        assert s.maze_size % 2 == 1 and s.mouse == s.start
        reach = bfs_distances(s, s.mouse)
        assert s.corner in reach and s.cheese in reach and s.cheese != s.mouse
        lo, hi = s.margin, s.margin + s.maze_size
        outside = s.walls.copy()
        outside[lo:hi, lo:hi] = True
        assert outside.all()  # the square is centred and padded with walls, as procgen's maze


@pytest.mark.parametrize("generator", OTHERS)
def test_cheese_region_stays_top_right_and_reachable(generator):
    for s in states(generator, cheese_region=3, difficulty="easy"):
        assert s.margin <= s.cheese[0] < s.margin + 3
        assert s.margin + s.maze_size - 3 <= s.cheese[1] < s.margin + s.maze_size
        assert s.cheese in bfs_distances(s, s.mouse)


def test_generators_make_what_they_say():
    def inner_wall_share(s):
        lo, hi = s.margin, s.margin + s.maze_size
        return s.walls[lo:hi, lo:hi].mean()

    kruskal = states("kruskal", 100, difficulty="easy")
    assert all(count_edges(s) == len(open_cells(s)) - 1 for s in kruskal)  # trees
    assert all(not s.walls[s.margin:s.margin + s.maze_size, s.margin:s.margin + s.maze_size].any()
               for s in states("open", 50))
    big = [s for s in states("blocks", 400, maze_size=21) if s.maze_size == 21]
    share = np.mean([inner_wall_share(s) for s in big])
    assert 0.18 < share < 0.27  # 0.25 per cell, minus the opened start and corner and redraws
    denser = np.mean([inner_wall_share(s) for s in states("blocks", 100, maze_size=21,
                                                          block_density=0.4)])
    assert denser > share + 0.05
    noise = states("noise", 100, maze_size=21)
    # smooth noise: walls come in blobs, so far fewer wall/floor borders than independent blocks
    def borders(s):
        w = s.walls[s.margin:s.margin + 21, s.margin:s.margin + 21].astype(int)
        return np.abs(np.diff(w, axis=0)).sum() + np.abs(np.diff(w, axis=1)).sum()
    per_wall = np.mean([borders(s) / max(inner_wall_share(s), 1e-9) for s in noise])
    assert per_wall < 0.6 * np.mean([borders(s) / inner_wall_share(s) for s in big])


@pytest.mark.parametrize("generator", GENERATORS)
def test_seeded_and_distinct(generator):
    a, b, c = states(generator, 8, seed=5), states(generator, 8, seed=5), states(generator, 8, seed=6)
    assert all(x == y for x, y in zip(a, b, strict=True))
    assert any(x != y for x, y in zip(a, c, strict=True))


def test_default_generator_is_procgens_kruskal_bit_for_bit():
    default, named = MazeVectorEnv(16, obs_mode="grid"), MazeVectorEnv(16, obs_mode="grid", generator="kruskal")
    assert np.array_equal(default.reset(seed=9)[0], named.reset(seed=9)[0])
    blocks = MazeVectorEnv(16, obs_mode="grid", generator="blocks")
    assert not np.array_equal(default.reset(seed=9)[0], blocks.reset(seed=9)[0])


@pytest.mark.parametrize("generator", OTHERS)
@pytest.mark.parametrize("obs_mode", ["grid", "rgb"])
def test_check_env(generator, obs_mode):
    check_env(MazeEnv(obs_mode=obs_mode, difficulty="easy", generator=generator), skip_render_check=True)


@pytest.mark.parametrize("generator", OTHERS)
def test_vector_equals_single_envs_in_lockstep(generator):
    n = 4
    kw = {"obs_mode": "grid", "difficulty": "easy", "generator": generator, "max_steps": 30}
    vec = gym.make_vec("specgym/Maze-v0", num_envs=n, **kw)
    singles = [MazeEnv(**kw) for _ in range(n)]
    ended = assert_lockstep(vec, singles, 40, 15, 200, step_keys=("mouse", "steps"))
    assert ended >= 2 * n  # the generator redrew levels on autoreset


@pytest.mark.parametrize("generator", OTHERS)
def test_state_round_trip(generator):
    vec = MazeVectorEnv(num_envs=3, obs_mode="grid", generator=generator, difficulty="easy")
    vec.reset(seed=1)
    env = MazeEnv(obs_mode="grid", generator="kruskal", difficulty="easy")
    env.reset(seed=0)
    state = vec.get_state(2)
    env.set_state(state)  # a blocks/noise/open maze is a legal state of any native maze
    assert env.get_state() == state
    obs, *_ = env.step(4)  # no-op
    vec.set_state(0, state)
    vobs, *_ = vec.step(np.array([4, 4, 4]))
    assert np.array_equal(vobs[0], obs)


@pytest.mark.parametrize("kwargs,field", [
    ({"generator": "prim"}, "generator"),
    ({"generator": None}, "generator"),
    ({"generator": "blocks", "block_density": 1.5}, "block_density"),
    ({"generator": "noise", "noise_density": -0.1}, "noise_density"),
    ({"generator": "noise", "noise_scale": 0}, "noise_scale"),
    ({"generator": "noise", "noise_scale": 2.5}, "noise_scale"),
])
def test_bad_generator_options_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        MazeEnv(obs_mode="grid", **kwargs)
    with pytest.raises(ValueError, match=field):
        gym.make_vec("specgym/Maze-v0", num_envs=2, obs_mode="grid", **kwargs)


@pytest.mark.parametrize("kwargs,field", [({"generator": "blocks"}, "generator"),
                                          ({"block_density": 0.3}, "block_density")])
def test_procgen_engine_refuses_other_generators(kwargs, field):
    with pytest.raises(ValueError, match=field):
        MazeEnv(engine="procgen", **kwargs)


def test_maze_training_config_takes_a_generator():
    from specgym.agents.ppo.config import MazeTrainConfig
    from specgym.agents.ppo.train import make_sb3_env
    from specgym.config import load_config

    config = load_config(MazeTrainConfig, "configs/maze_region5.yaml",
                         ["env.kwargs.generator=open", "env.num_envs=4", "ppo.normalize_reward=false"])
    sb3 = make_sb3_env(config)
    sb3.reset()
    engine = sb3.venv.env.unwrapped.engine
    assert engine.generator == "open"
    s = engine.get_state(0)
    assert not s.walls[s.margin:s.margin + s.maze_size, s.margin:s.margin + s.maze_size].any()
    with pytest.raises(ValueError, match="generator"):
        make_sb3_env(load_config(MazeTrainConfig, "configs/maze_region5.yaml",
                                 ["env.kwargs.generator=prim", "env.num_envs=4"]))


def test_maze_show_draws_any_generator(capsys):
    from specgym.cli import main

    assert main(["maze", "show", "--seed", "1", "--size", "7", "--difficulty", "easy",
                 "--generator", "open"]) == 0
    rows = capsys.readouterr().out.splitlines()[:15]
    assert sum(row.count(".") for row in rows) == 7 * 7 - 2  # open: all but the mouse and cheese
    assert main(["maze", "show", "--generator", "prim"]) == 2
    assert "generator" in capsys.readouterr().err
