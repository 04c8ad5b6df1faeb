"""The four worlds as Gymnasium envs: check_env, vector/single lockstep, state and ASCII round trips."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import specgym  # noqa: F401
from specgym.envs.worlds import WORLDS, Item, WorldState, draw_level, parse_level
from tests.lockstep import assert_lockstep

IDS = [spec.env_id for spec in WORLDS.values()]


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("obs_mode", ["grid", "rgb"])
def test_check_env(env_id, obs_mode):
    env = gym.make(env_id, size=9, obs_mode=obs_mode, distribution="test")
    check_env(env.unwrapped, skip_render_check=False)


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("generator", ["kruskal", "blocks", "noise", "open"])
def test_vector_and_single_step_in_lockstep(env_id, generator):
    n, seed = 6, 11
    kw = {"size": 9, "generator": generator, "max_steps": 40, "test_share": 0.5}
    vec = gym.make_vec(env_id, num_envs=n, **kw)
    singles = [gym.make(env_id, **kw).unwrapped for _ in range(n)]
    endings = assert_lockstep(vec, singles, seed, 4, 300, final_keys=(
        "gamed", "hidden_reward", "proxy_step", "true_step", "keys_collected", "hack_types"))
    assert endings > n  # autoresets happened and were compared


@pytest.mark.parametrize("env_id", IDS)
def test_state_round_trip_and_replay(env_id):
    env = gym.make(env_id, size=11, distribution="test").unwrapped
    env.reset(seed=3)
    rng = np.random.default_rng(1)
    for _ in range(5):
        if any(env.step(int(rng.integers(4)))[2:4]):
            env.reset()
    saved = env.get_state()
    after = []
    for a in (0, 1, 2, 3, 3, 2):  # up to the end of the episode (lava may end it)
        after.append(env.step(a)[:4])
        if after[-1][2] or after[-1][3]:
            break
    env.set_state(saved)
    assert env.get_state() == saved
    replay = [env.step(a)[:4] for a in (0, 1, 2, 3, 3, 2)[:len(after)]]
    for (o1, *rest1), (o2, *rest2) in zip(after, replay, strict=True):
        np.testing.assert_array_equal(o1, o2)
        assert rest1 == rest2


def test_set_state_names_the_bad_field():
    env = gym.make("specgym/CheeseOnDish-v0", size=9).unwrapped
    env.reset(seed=0)
    state = env.get_state()
    bad = state.copy()
    bad.mouse = (0, 0)
    with pytest.raises(ValueError, match="mouse"):
        env.set_state(bad)
    bad = state.copy()
    bad.items = bad.items.astype(np.int64)
    with pytest.raises(ValueError, match="items"):
        env.set_state(bad)
    bad = state.copy()
    bad.walls = np.zeros((11, 11), dtype=bool)
    with pytest.raises(ValueError, match="walls"):
        env.set_state(bad)


@pytest.mark.parametrize("kwargs, field", [
    ({"generator": "maze"}, "generator"), ({"size": 10}, "size"), ({"distribution": "eval"}, "distribution"),
    ({"obs_mode": "pixels"}, "obs_mode"), ({"test_share": 1.5}, "test_share"),
    ({"keys_train_min": 3, "keys_train_max": 2}, "keys_train_min"), ({"lava": 1}, "unknown"),
])
def test_bad_options_are_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        gym.make("specgym/LavaLand-v0", **kwargs)


def test_ascii_round_trip_and_errors():
    text = """
    #######
    #M..KX#
    #.#.#.#
    #E.CDL#
    #.....#
    #.....#
    #######"""
    state = parse_level(text)
    assert state.mouse == (1, 1)
    assert state.items[3, 1] == Item.CHEESE | Item.DISH
    assert state.cells(Item.KEY) == [(1, 4)] and state.cells(Item.LAVA) == [(3, 5)]
    assert draw_level(state) == "\n".join(line.strip() for line in text.strip().splitlines())
    with pytest.raises(ValueError, match="unknown character 'Z'"):
        parse_level("###\n#Z#\n###")
    with pytest.raises(ValueError, match="exactly one 'M'"):
        parse_level("###\n#.#\n###")


def test_reset_with_a_drawn_level_and_rgb_render():
    level = parse_level("""
    #####
    #M.C#
    #...#
    #..D#
    #####""")
    env = gym.make("specgym/CheeseOnDish-v0", size=5, render_mode="rgb_array").unwrapped
    obs, _ = env.reset(seed=0, options={"state": level})
    assert env.get_state() == level
    assert obs[2, 1, 3] == 1 and obs[3, 3, 3] == 1 and obs[1, 1, 1] == 1
    frame = env.render()
    assert frame.shape == (64, 64, 3) and len(np.unique(frame.reshape(-1, 3), axis=0)) == 5


def test_vector_reset_writes_states_where_masked():
    vec = gym.make_vec("specgym/LavaLand-v0", num_envs=3, size=7)
    vec.reset(seed=0)
    level = parse_level("#######\n#M...C#\n#.....#\n#LLL..#\n#.....#\n#.....#\n#######")
    before = vec.unwrapped.get_state(0)
    mask = np.array([False, True, False])
    vec.reset(options={"states": [level] * 3, "reset_mask": mask})
    assert vec.unwrapped.get_state(1) == level
    assert vec.unwrapped.get_state(0) == before
    assert isinstance(vec.unwrapped.get_state(2), WorldState)
