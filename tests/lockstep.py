"""Step a vector env and its single envs (env i seeded with seed + i) with the same random
actions and compare everything; the one lockstep check of the mazes and the worlds."""

from __future__ import annotations

import numpy as np


def assert_lockstep(vec, singles, seed: int, num_actions: int, steps: int,
                    final_keys: tuple[str, ...] = ("gamed",), step_keys: tuple[str, ...] = ()) -> int:
    """Compare observations, rewards and endings every step, `step_keys` of every step's info
    and `final_keys` of the ended episodes' info; returns how many episodes ended."""
    n = len(singles)
    obs, _ = vec.reset(seed=seed)
    np.testing.assert_array_equal(obs, np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(singles)]))
    rng = np.random.default_rng(seed)
    endings = 0
    for _ in range(steps):
        actions = rng.integers(0, num_actions, n)
        obs, rew, term, trunc, info = vec.step(actions)
        for i, env in enumerate(singles):
            o, r, te, tr, inf = env.step(int(actions[i]))
            assert (r, te, tr) == (rew[i], term[i], trunc[i])
            for key in step_keys:
                np.testing.assert_array_equal(np.asarray(info[key][i]), np.asarray(inf[key]), key)
            if te or tr:  # SAME_STEP: the vector env has already restarted env i
                endings += 1
                assert info["_final_info"][i]
                np.testing.assert_array_equal(info["final_obs"][i], o)
                for key in final_keys:
                    assert info["final_info"][key][i] == inf[key], key
                o, _ = env.reset()  # continues with the level the engine already started
            np.testing.assert_array_equal(obs[i], o)
    return endings
