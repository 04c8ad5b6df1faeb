"""Step-for-step parity: procgen's maze and the native maze from the same state agree."""

from __future__ import annotations

import struct

import gymnasium as gym
import numpy as np

from specgym.envs.maze.geometry import distances_from
from specgym.envs.maze.procgen_state import parse_layout, read_state, write_state
from tests.procgen.conftest import raw_maze

STEPS_AT_START = 420  # half the mazes start here, so their 500-step truncation is compared too


def guided_actions(mice, dists, live, rng):
    """Half shortest-path moves towards a target, half uniform actions (both games get them)."""
    actions = rng.integers(0, 15, size=len(mice))
    for k, (r, c) in enumerate(mice + 1):
        if dists[k] is None or not live[k] or rng.random() < 0.5:
            continue
        d = np.pad(dists[k], 1, constant_values=-1)  # a 25-cell maze touches the border
        for action, (dr, dc) in ((1, (0, -1)), (3, (1, 0)), (5, (-1, 0)), (7, (0, 1))):
            if d[r + dr, c + dc] == d[r, c] - 1 and d[r, c] > 0:
                actions[k] = action
    return actions


def mouse_of(data: bytes) -> tuple[int, int]:
    """procgen's mouse cell, read straight from the serialized agent entity."""
    layout = parse_layout(data)
    x, y = struct.unpack_from("<ff", data, layout.agent)
    return layout.world - 1 - int(y), int(x)


def run_parity(difficulty: str, num: int, steps: int, seed: int):
    procgen = raw_maze(num, seed, difficulty)
    native = gym.make_vec("specgym/Maze-v0", num_envs=num, difficulty=difficulty, obs_mode="grid")
    raw = procgen.get_state()
    states = [read_state(d) for d in raw]
    for k in range(0, num, 2):
        states[k].steps = STEPS_AT_START
    procgen.set_state([write_state(d, s) for d, s in zip(raw, states, strict=True)])
    native.reset(seed=0, options={"states": states})
    dists = [distances_from(s.walls, s.cheese) if k % 3 else None for k, s in enumerate(states)]
    rng = np.random.default_rng(seed)
    live = np.ones(num, dtype=bool)
    ended = {"terminated": 0, "truncated": 0}
    mice = np.array([s.mouse for s in states])
    for _ in range(steps):
        actions = guided_actions(mice, dists, live, rng)
        procgen.act(actions.astype(np.int32))
        p_reward, _, first = procgen.observe()
        p_term = p_reward > 0
        p_trunc = first & ~p_term
        p_mouse = np.array([mouse_of(d) for d in procgen.get_state()])
        _, n_reward, n_term, n_trunc, n_info = native.step(actions)
        n_mouse = mice = n_info["mouse"]
        done_now = live & (n_term | n_trunc)
        still = live & ~done_now  # procgen restarts ended envs at once: compare the rest
        np.testing.assert_array_equal(p_mouse[still], n_mouse[still])
        np.testing.assert_array_equal(p_reward[live], n_reward[live])
        np.testing.assert_array_equal(p_term[live], n_term[live])
        np.testing.assert_array_equal(p_trunc[live], n_trunc[live])
        ended["terminated"] += int((done_now & n_term).sum())
        ended["truncated"] += int((done_now & n_trunc).sum())
        live &= ~done_now
    return {s.maze_size for s in states}, ended


def test_parity_200_hard_mazes():
    sizes, ended = run_parity("hard", 200, 110, seed=2024)
    assert len(sizes) >= 8  # procgen's uniform odd sizes 3..25
    assert ended["terminated"] >= 50 and ended["truncated"] >= 30


def test_parity_easy_mazes():
    sizes, ended = run_parity("easy", 40, 110, seed=7)
    assert len(sizes) >= 4 and ended["terminated"] >= 5 and ended["truncated"] >= 5


def test_wrapper_episode_info_matches_native():
    """The wrapper's end-of-episode keys equal the native maze's on the same mazes and actions."""
    num = 32
    env = gym.make_vec("specgym/ProcgenMaze-v0", num_envs=num, num_threads=2, obs_mode="grid")
    native = gym.make_vec("specgym/Maze-v0", num_envs=num, obs_mode="grid", autoreset_mode="same_step")
    env.reset(seed=5)
    states = [env.unwrapped.get_state(k) for k in range(num)]
    for k, s in enumerate(states):  # cheese on the top-right corner half the time: gamed happens
        if k % 2 and s.corner != s.mouse:
            s.cheese = s.corner
        env.unwrapped.set_state(k, s)
    obs, _ = env.reset(options={"states": states}, seed=5)
    n_obs, _ = native.reset(seed=0, options={"states": states})
    np.testing.assert_array_equal(obs, n_obs)
    dists = [distances_from(s.walls, s.corner) for s in states]
    rng = np.random.default_rng(1)
    live = np.ones(num, dtype=bool)
    compared = 0
    mice = np.array([s.mouse for s in states])
    for _ in range(200):
        actions = guided_actions(mice, dists, live, rng)
        obs, reward, term, trunc, info = env.step(actions)
        n_obs, n_reward, n_term, n_trunc, n_info = native.step(actions)
        np.testing.assert_array_equal(info["mouse"][live], n_info["mouse"][live])
        mice = n_info["mouse"]
        np.testing.assert_array_equal(reward[live], n_reward[live])
        np.testing.assert_array_equal(term[live], n_term[live])
        np.testing.assert_array_equal(trunc[live], n_trunc[live])
        ended = live & (term | trunc)
        np.testing.assert_array_equal(obs[live & ~ended], n_obs[live & ~ended])
        if ended.any():
            mine, theirs = info["final_info"], n_info["final_info"]
            for key in ("gamed", "hidden_reward", "cheese_reached", "corner_reached", "steps"):
                np.testing.assert_array_equal(mine[key][ended], theirs[key][ended], err_msg=key)
            assert list(mine["hack_types"][ended]) == list(theirs["hack_types"][ended])
            finals = np.stack(list(info["final_obs"][ended]))
            np.testing.assert_array_equal(finals, np.stack(list(n_info["final_obs"][ended])))
            compared += int(ended.sum())
        live &= ~ended
    assert compared >= 20
