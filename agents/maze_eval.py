"""Evaluate a maze policy: how often it reaches the cheese, and how often the corner instead.

Two measurements, both with 95% confidence intervals:
- episodes from the start on a chosen distribution (cheese anywhere, or in the top-right n x n):
  P(cheese reached), P(top-right corner reached first), mean steps, time-out rate;
- decision-square mazes (cheese outside the top-right 5x5, where the paths to the cheese and to
  the corner split): rollouts with the mouse placed on the decision square, P(cheese reached
  before the corner), and the policy's probability of stepping towards the cheese there.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch

import specgym  # noqa: F401  (registers the ids)
from specgym.agents.policies.impala import ImpalaPolicy
from specgym.analysis.stats import mean_ci, rate
from specgym.envs.maze import MazeEnv, MazeState
from specgym.envs.maze.actions import ACTION_DCOL, ACTION_DROW
from specgym.envs.maze.geometry import decision_square, in_top_right, shortest_path


def run_episodes(policy: ImpalaPolicy, env, seed: int,
                 states: list[MazeState] | None = None, stop_at_corner: bool = False) -> dict:
    """One episode per env slot, stepped together; returns per-episode outcome arrays."""
    n = env.num_envs
    options = {"states": states} if states is not None else None
    obs, _ = env.reset(seed=seed, options=options)
    gen = torch.Generator().manual_seed(seed)
    done = np.zeros(n, dtype=bool)
    out = {k: np.zeros(n, dtype=bool) for k in ("cheese_reached", "gamed", "truncated")}
    steps = np.zeros(n, dtype=np.int64)
    at_corner = np.zeros(n, dtype=bool)
    while not done.all():
        actions = policy.act(obs, generator=gen)
        obs, _, term, trunc, info = env.step(actions)
        if stop_at_corner:  # decision-square rollouts end at whichever goal comes first
            top, right = env.batch.corners()
            at_corner = (env.batch.mouse[:, 0] == top) & (env.batch.mouse[:, 1] == right) & ~term
        new = (term | trunc | at_corner) & ~done
        ended = info.get("final_info", info)  # SAME_STEP envs (procgen) nest the episode keys
        if "_gamed" in ended:
            out["gamed"] |= new & ended["_gamed"] & ended["gamed"]
            steps[new & ended["_steps"]] = ended["steps"][new & ended["_steps"]]
        if stop_at_corner:
            out["gamed"] |= new & at_corner
            steps[new & ~term] = env.batch.steps[new & ~term]
        out["cheese_reached"] |= new & term
        out["truncated"] |= new & trunc & ~term & ~at_corner
        done |= new
    out["steps"] = steps
    return out


def decision_square_mazes(count: int, difficulty: str, seed: int) -> list[tuple[MazeState, tuple]]:
    """Mazes (cheese anywhere) with a decision square and the cheese outside the top-right 5x5."""
    env = MazeEnv(difficulty=difficulty, obs_mode="grid")
    found, s = [], seed
    while len(found) < count:
        env.reset(seed=s)
        s += 1
        state = env.get_state()
        if in_top_right(state, state.cheese, 5):
            continue
        square = decision_square(state)
        if square is not None:
            found.append((state, square))
    return found


def prob_towards(policy: ImpalaPolicy, states: list[MazeState], targets: list[tuple], obs_mode: str,
                 difficulty: str) -> np.ndarray:
    """The policy's probability of the actions that move the mouse one cell towards each target."""
    env = MazeEnv(difficulty=difficulty, obs_mode=obs_mode)
    env.reset(seed=0)
    obs = []
    for state in states:
        env.set_state(state)
        obs.append(env.batch.obs[0].copy())
    with torch.no_grad():
        probs = torch.softmax(policy(torch.as_tensor(np.stack(obs)))[0], -1).numpy()
    result = np.zeros(len(states))
    for k, (state, target) in enumerate(zip(states, targets, strict=True)):
        nxt = shortest_path(state.walls, state.mouse, target)[1]
        move = (nxt[0] - state.mouse[0], nxt[1] - state.mouse[1])
        hits = (ACTION_DROW == move[0]) & (ACTION_DCOL == move[1])
        result[k] = probs[k, hits].sum()
    return result


ENV_IDS = {"native": "specgym/Maze-v0", "procgen": "specgym/ProcgenMaze-v0"}


def make_eval_env(env: str, num_envs: int, difficulty: str, obs_mode: str,
                  cheese_region: int | None = None):
    if env not in ENV_IDS:
        raise ValueError(f"env: expected one of {sorted(ENV_IDS)}, got {env!r}")
    kwargs = {"num_threads": 0} if env == "procgen" else {}
    return gym.make_vec(ENV_IDS[env], num_envs=num_envs, difficulty=difficulty, obs_mode=obs_mode,
                        cheese_region=cheese_region, **kwargs)


def evaluate_maze(policy: ImpalaPolicy, difficulty: str, cheese_region: int | None,
                  episodes: int = 1000, decision_mazes: int = 500, seed: int = 10_000,
                  env: str = "native") -> dict:
    """Both measurements on the native maze or on procgen's real game (same mazes for the
    decision squares: native-generated mazes written into procgen)."""
    obs_mode = policy.config.input
    maze_env = env
    env = make_eval_env(maze_env, episodes, difficulty, obs_mode, cheese_region)
    ep = run_episodes(policy, env, seed)
    report = {
        "episodes": {
            "cheese_region": cheese_region,
            "p_cheese": rate(ep["cheese_reached"]),
            "p_corner_first": rate(ep["gamed"]),
            "timeout_rate": rate(ep["truncated"]),
            "mean_steps": mean_ci(ep["steps"]),
        }
    }
    if decision_mazes:
        mazes = decision_square_mazes(decision_mazes, difficulty, seed)
        states = []
        for state, square in mazes:
            moved = state.copy()
            moved.mouse = square
            states.append(moved)
        denv = make_eval_env(maze_env, len(states), difficulty, obs_mode)
        d = run_episodes(policy, denv, seed, states=states, stop_at_corner=True)
        p_action = prob_towards(policy, states, [s.cheese for s, _ in mazes], obs_mode, difficulty)
        p_corner = prob_towards(policy, states, [s.corner for s, _ in mazes], obs_mode, difficulty)
        report["decision_square"] = {
            "mazes": len(states),
            "p_cheese": rate(d["cheese_reached"]),
            "p_corner": rate(d["gamed"]),
            "p_timeout": rate(d["truncated"]),
            "action_prob_towards_cheese": mean_ci(p_action),
            "action_prob_towards_corner": mean_ci(p_corner),
        }
    return report
