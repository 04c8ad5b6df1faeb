"""specgym/ProcgenMaze-v0 through Gymnasium: check_env, seeds, vector vs single, options."""

from __future__ import annotations

import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from specgym.envs.maze.render import grid_planes

ENV_ID = "specgym/ProcgenMaze-v0"


def test_check_env_passes():
    env = gym.make(ENV_ID)
    check_env(env.unwrapped, skip_render_check=True)
    assert env.observation_space.shape == (64, 64, 3) and env.action_space.n == 15


def test_same_seed_same_mazes_and_vector_env_i_is_single_seed_plus_i():
    single = gym.make(ENV_ID)
    vec = gym.make_vec(ENV_ID, num_envs=3, num_threads=0)
    obs, _ = vec.reset(seed=10)
    for i in range(3):
        o, _ = single.reset(seed=10 + i)
        np.testing.assert_array_equal(o, obs[i])
        assert single.unwrapped.get_state() == vec.unwrapped.get_state(i)
    a, _ = single.reset(seed=1)
    b, _ = single.reset(seed=2)
    c, _ = single.reset(seed=1)
    assert not np.array_equal(a, b) and np.array_equal(a, c)


def test_episode_end_info_keys_and_reset_needed():
    env = gym.make(ENV_ID, difficulty="easy")
    env.reset(seed=0)
    state = env.unwrapped.get_state()
    r, c = state.corner
    state.mouse = (r, c - 1) if not state.walls[r, c - 1] else (r + 1, c)
    state.cheese = state.corner
    env.unwrapped.set_state(state)
    action = 7 if state.mouse[0] == r else 5
    _, reward, terminated, truncated, info = env.step(action)
    assert (reward, terminated, truncated) == (10.0, True, False)
    assert info == {"gamed": False, "hack_types": [], "hidden_reward": 10.0,
                    "cheese_reached": True, "corner_reached": True, "steps": 1,
                    "mouse": state.corner, "at_corner": True}
    with pytest.raises(gym.error.ResetNeeded):
        env.unwrapped.step(4)


def test_cheese_region_puts_the_cheese_in_the_top_right_cells():
    vec = gym.make_vec(ENV_ID, num_envs=16, num_threads=0, cheese_region=3)
    vec.reset(seed=4)
    seen = 0
    for t in range(300):
        _, _, term, trunc, _ = vec.step(vec.action_space.sample())
        if t == 0 or (term | trunc).any():
            for i in range(16):
                s = vec.unwrapped.get_state(i)
                top, right = s.corner
                assert top <= s.cheese[0] < top + 3 and right - 3 < s.cheese[1] <= right
                seen += 1
    assert seen >= 16


def test_grid_obs_is_the_parsed_state_and_reset_options():
    env = gym.make(ENV_ID, obs_mode="grid")
    obs, _ = env.reset(seed=3, options={"cheese": None})
    assert env.unwrapped.get_state().cheese is None
    np.testing.assert_array_equal(obs, grid_planes(env.unwrapped.get_state()))
    rng = np.random.default_rng(0)
    for _ in range(60):
        obs, *_ = env.step(int(rng.integers(15)))
        np.testing.assert_array_equal(obs, grid_planes(env.unwrapped.get_state()))


def test_vector_reset_mask_keeps_the_other_envs():
    vec = gym.make_vec(ENV_ID, num_envs=4, num_threads=0)
    vec.reset(seed=0)
    for _ in range(5):
        vec.step(np.full(4, 7))
    before = [vec.unwrapped.get_state(i) for i in range(4)]
    mask = np.array([True, False, True, False])
    vec.reset(options={"reset_mask": mask})
    after = [vec.unwrapped.get_state(i) for i in range(4)]
    assert after[1] == before[1] and after[3] == before[3]
    assert after[0].steps == 0 and after[2].steps == 0


def test_missing_procgen_names_the_extra(monkeypatch):
    from specgym.envs.maze import procgen_batch

    monkeypatch.setitem(sys.modules, "procgen", None)
    with pytest.raises(ImportError, match=r'pip install "specgym\[procgen\]"'):
        procgen_batch.make_gym3(1, "hard", 0, 0)
    with pytest.raises(ImportError, match="specgym"):
        gym.make(ENV_ID)
