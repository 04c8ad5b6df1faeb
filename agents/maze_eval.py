"""Evaluate a maze policy: the one rollout, the one "probability of stepping towards X", and
the report `specgym eval maze` prints. `specgym analyze maze` runs the same functions with
activation edits (`specgym.analysis.interventions` passes an `act` that applies them).

Two measurements, both with 95% confidence intervals:
- episodes from the start on a chosen distribution (cheese anywhere, or in the top-right n x n):
  P(cheese reached), P(top-right corner reached first), mean steps, time-out rate;
- the decision-square maze set (`specgym.envs.maze.mazesets.decision_square_mazes`): rollouts
  with the mouse placed on the decision square that stop at the cheese or the corner, and the
  policy's probability of stepping towards the cheese / the corner there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import gymnasium as gym
import numpy as np
import torch

import specgym  # noqa: F401  (registers the ids)
from specgym.envs.maze.actions import ACTION_DCOL, ACTION_DROW
from specgym.envs.maze.engine import ENGINES
from specgym.envs.maze.geometry import shortest_path
from specgym.envs.maze.render import grid_planes, rgb_frame
from specgym.envs.maze.state import MazeState

ENV_IDS = {"native": "specgym/Maze-v0", "procgen": "specgym/ProcgenMaze-v0"}
EPISODE_LIMIT = 500
OUTCOMES = ("cheese_reached", "corner_first", "corner_reached", "reached_target", "timed_out")

Act = Callable[[torch.Tensor, np.ndarray], torch.Tensor]
"""act(obs of the live envs, their slot indices) -> logits (the default: policy(obs)[0])."""


def make_eval_env(env: str, num_envs: int, difficulty: str, obs_mode: str,
                  cheese_region: int | None = None, max_steps: int = EPISODE_LIMIT):
    """A vector maze on the named engine (procgen's episodes always last up to 500 steps)."""
    if env not in ENGINES:
        raise ValueError(f"env: expected one of {list(ENGINES)}, got {env!r}")
    kwargs = {"max_steps": max_steps} if env == "native" else {}
    return gym.make_vec(ENV_IDS[env], num_envs=num_envs, difficulty=difficulty, obs_mode=obs_mode,
                        cheese_region=cheese_region, **kwargs)


@torch.no_grad()
def rollout(policy, venv, seed: int = 0, states: Sequence[MazeState] | None = None,
            max_steps: int = EPISODE_LIMIT, stop_at_corner: bool = False,
            targets: Sequence[tuple[int, int]] | None = None, deterministic: bool = False,
            act: Act | None = None) -> dict[str, np.ndarray]:
    """One episode per env slot (slot i plays states[i], or the maze of seed `seed + i`).

    Only the live envs are fed to the policy. An episode ends on the cheese, at `max_steps`
    (or the env's own limit), on the maze's top-right cell with `stop_at_corner`, and on its
    target when `targets` are given. Returns per-episode arrays:

    | key            | meaning                                                            |
    |----------------|--------------------------------------------------------------------|
    | cheese_reached | ate the cheese                                                     |
    | corner_first   | stood on the top-right cell before (or instead of) the cheese      |
    | corner_reached | stood on the top-right cell at all                                 |
    | reached_target | stood on targets[i] (False without targets)                        |
    | timed_out      | none of cheese / corner stop / target before the limit              |
    | steps          | steps taken                                                         |
    """
    n = venv.num_envs
    if states is not None and len(states) != n:
        raise ValueError(f"states: expected {n} MazeStates (one per env), got {len(states)}")
    if targets is not None and len(targets) != n:
        raise ValueError(f"targets: expected {n} cells, got {len(targets)}")
    act = act or (lambda obs, idx: policy(obs)[0])
    obs, _ = venv.reset(seed=seed, options=None if states is None else {"states": list(states)})
    gen = torch.Generator().manual_seed(seed)
    out = {k: np.zeros(n, dtype=bool) for k in OUTCOMES}
    steps = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    tgt = None if targets is None else np.asarray(targets, dtype=np.int64).reshape(n, 2)
    noop = np.full(n, 4, dtype=np.int64)
    for _ in range(max_steps):
        live = np.flatnonzero(~done)
        logits = act(torch.as_tensor(obs[live]), live)
        if deterministic:
            chosen = logits.argmax(-1)
        else:
            chosen = torch.multinomial(torch.softmax(logits, -1), 1, generator=gen).squeeze(-1)
        actions = noop.copy()
        actions[live] = chosen.numpy()
        obs, _, term, trunc, info = venv.step(actions)
        alive = ~done
        corner_now = info["at_corner"] & ~term
        out["cheese_reached"] |= alive & term
        out["corner_reached"] |= alive & info["corner_reached"]
        if "final_info" in info:  # an episode that ended: the env's own verdict on the corner
            fin = info["final_info"]
            out["corner_first"] |= alive & fin["_gamed"] & fin["gamed"]
        goal = term.copy()
        if stop_at_corner:
            out["corner_first"] |= alive & corner_now
            goal |= corner_now
        if tgt is not None:
            hit = np.all(info["mouse"] == tgt, axis=1)
            out["reached_target"] |= alive & hit
            goal |= hit
        newly = alive & (goal | trunc)
        steps[newly] = info["steps"][newly]
        out["timed_out"] |= newly & ~goal
        done |= newly
        if done.all():
            break
    open_ = ~done  # hit the rollout's step limit
    out["timed_out"] |= open_
    if not stop_at_corner:
        out["corner_first"] |= open_ & out["corner_reached"] & ~out["cheese_reached"]
    steps[open_] = max_steps
    out["steps"] = steps
    return out


def observe_native(states: Sequence[MazeState], obs_mode: str) -> np.ndarray:
    """Observations of many states as the native maze draws them, stacked."""
    if obs_mode == "grid":
        return np.stack([grid_planes(s) for s in states])
    if obs_mode == "rgb":
        return np.stack([rgb_frame(s) for s in states])
    raise ValueError(f"obs_mode: expected 'grid' or 'rgb', got {obs_mode!r}")


def move_masks(moves: np.ndarray) -> np.ndarray:
    """(N, 15) bool: the actions that make each (d_row, d_col) move."""
    moves = np.asarray(moves, dtype=np.int64).reshape(-1, 2)
    return (ACTION_DROW[None] == moves[:, :1]) & (ACTION_DCOL[None] == moves[:, 1:])


def towards_masks(states: Sequence[MazeState], targets: Sequence[tuple[int, int]]) -> np.ndarray:
    """(N, 15) bool: the actions that step each state's mouse along its path to the target."""
    moves = []
    for state, target in zip(states, targets, strict=True):
        nxt = shortest_path(state.walls, state.mouse, tuple(target))[1]
        moves.append((nxt[0] - state.mouse[0], nxt[1] - state.mouse[1]))
    return move_masks(np.array(moves))


@torch.no_grad()
def action_probs(policy, obs: np.ndarray, batch: int = 4096) -> np.ndarray:
    """(N, 15) action probabilities of a stack of observations."""
    obs = torch.as_tensor(obs)
    return torch.cat([torch.softmax(policy(obs[s:s + batch])[0], -1)
                      for s in range(0, len(obs), batch)]).numpy()


def prob_towards(policy, states: Sequence[MazeState], targets: Sequence[tuple[int, int]],
                 probs: np.ndarray | None = None) -> np.ndarray:
    """P(the policy's next step moves each state's mouse one cell towards its target).

    `probs` (N, 15) replaces the policy's own probabilities of the native observations
    (analysis passes probabilities computed under activation edits or from procgen frames).
    """
    if probs is None:
        probs = action_probs(policy, observe_native(states, policy.config.input))
    return (probs * towards_masks(states, targets)).sum(1)


def at_decision_squares(pairs) -> list[MazeState]:
    """The set's mazes with the mouse moved onto their decision squares."""
    states = []
    for state, square in pairs:
        moved = state.copy()
        moved.mouse = square
        states.append(moved)
    return states


__all__ = [
    "ENV_IDS", "action_probs", "at_decision_squares", "make_eval_env",
    "move_masks", "observe_native", "prob_towards", "rollout", "towards_masks",
]
