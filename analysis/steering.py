"""Steering vectors for maze policies: the cheese vector and the top-right vector.

- cheese vector of a maze: activations at `layer` with the cheese minus without it, mouse at
  the start (Mini et al.: computed and applied per maze);
- top-right vector: the maze with a corridor opened from its top-right cell to the world's
  top-right corner, minus the maze as it is (mouse at the start).
A vector is added with a coefficient (default -1: "subtract the cheese vector") at every cell
of the layer in every forward pass. Effects are measured on decision-square mazes (mouse on the
square where the paths to the cheese and to the corner split): the change in the probability of
the step towards the cheese (paired per maze, bootstrap 95% CI) and in the rate of reaching
the cheese before the corner in rollouts (Wilson CIs), against random vectors of equal norm;
and, as Mini et al. report it, the median over mazes of P(step towards the cheese | decision
square) with and without the vector (for the top-right vector also towards the corner).

>>> report = steering_experiment(policy, "embedder.block1.res2.resadd_out", coefficient=-1.0)
>>> report["cheese_vector"]["delta_p_towards_cheese"], report["random_vector"]["delta_p_towards_cheese"]
"""

from __future__ import annotations

import numpy as np
import torch

from specgym.agents.maze_eval import at_decision_squares
from specgym.agents.maze_eval import prob_towards as eval_prob_towards
from specgym.analysis.activations import forward_obs, layer_activations, observe
from specgym.analysis.interventions import Edit, intervene, rollout
from specgym.analysis.maze_bootstrap import bootstrap_median
from specgym.analysis.maze_datasets import open_to_world_corner, with_mouse_at, without_cheese
from specgym.analysis.stats import bootstrap_mean_ci, mean_ci, rate
from specgym.envs.maze.mazesets import DECISION_SEED, decision_square_mazes


def cheese_vectors(policy, mazes, layer: str, env: str = "native") -> torch.Tensor:
    """(N, C, H, W) per-maze cheese vectors (with cheese minus without, mouse at the start)."""
    at_start = [with_mouse_at(m, m.start) for m in mazes]
    return (layer_activations(policy, at_start, layer, env)
            - layer_activations(policy, without_cheese(at_start), layer, env))


def top_right_vectors(policy, mazes, layer: str, env: str = "native") -> tuple[torch.Tensor, np.ndarray]:
    """Per-maze top-right vectors and a mask of the mazes that have one (smaller than the world)."""
    at_start = [with_mouse_at(m, m.start) for m in mazes]
    opened = [open_to_world_corner(m) for m in at_start]
    ok = np.array([o is not None for o in opened])
    filled = [o if o is not None else m for o, m in zip(opened, at_start, strict=True)]
    vec = layer_activations(policy, filled, layer, env) - layer_activations(policy, at_start, layer, env)
    return vec, ok


def random_like(vectors: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Gaussian vectors with the same per-sample norm as `vectors`."""
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(vectors.shape, generator=gen)
    shape = (-1,) + (1,) * (vectors.dim() - 1)
    norm = vectors.flatten(1).norm(dim=1).reshape(shape)
    return noise * norm / noise.flatten(1).norm(dim=1).reshape(shape).clamp_min(1e-12)


def steer_edit(layer: str, vectors: torch.Tensor, coefficient: float) -> Edit:
    """Add coefficient x vector (one per sample) at every channel and cell of `layer`."""
    return Edit(layer, None, "add", coefficient * vectors)


def prob_towards(policy, states, targets, edits=(), env: str = "native") -> np.ndarray:
    """P(step from each state's mouse towards its target), with `edits` on the forward pass."""
    obs = observe(states, policy.config.input, env)
    with intervene(policy, list(edits)):
        probs = forward_obs(policy, obs, batch=len(obs))[0].numpy()
    return eval_prob_towards(policy, states, targets, probs)


def _effect(policy, states, vectors, layer, coefficient, env, max_steps, seed, base, base_roll,
            difficulty) -> dict:
    """Effect of adding coefficient x vectors: P(step towards cheese / corner), rollouts."""
    edits = [steer_edit(layer, vectors, coefficient)]
    p = {goal: prob_towards(policy, states, [getattr(s, goal) for s in states], edits, env)
         for goal in ("cheese", "corner")}
    roll = rollout(policy, states, edits, env, max_steps, stop_at_corner=True, seed=seed,
                   difficulty=difficulty)["cheese_reached"]
    return {
        "p_towards_cheese": mean_ci(p["cheese"]),
        "median_p_towards_cheese": bootstrap_median(p["cheese"], seed=seed),
        "median_p_towards_corner": bootstrap_median(p["corner"], seed=seed),
        "delta_p_towards_cheese": bootstrap_mean_ci(p["cheese"] - base["cheese"], seed=seed),
        "delta_p_towards_corner": bootstrap_mean_ci(p["corner"] - base["corner"], seed=seed),
        "p_cheese_rollout": rate(roll),
        "delta_p_cheese_rollout": bootstrap_mean_ci(roll.astype(float) - base_roll.astype(float), seed=seed),
        "mean_vector_norm": float(vectors.flatten(1).norm(dim=1).mean()),
    }


def _baseline(policy, states, env, max_steps, seed, difficulty):
    base = {goal: prob_towards(policy, states, [getattr(s, goal) for s in states], (), env)
            for goal in ("cheese", "corner")}
    roll = rollout(policy, states, (), env, max_steps, stop_at_corner=True, seed=seed,
                   difficulty=difficulty)["cheese_reached"]
    return base, roll


def steering_experiment(policy, layer: str, difficulty: str = "easy", env: str = "native",
                        mazes: int = 200, coefficient: float = -1.0, max_steps: int = 100,
                        seed: int = 4242, maze_seed: int = DECISION_SEED) -> dict:
    """Cheese vector and top-right vector effects on the decision-square set, with random controls."""
    pairs = decision_square_mazes(mazes, difficulty, maze_seed)
    base_mazes = [m for m, _ in pairs]
    states = at_decision_squares(pairs)
    base, base_roll = _baseline(policy, states, env, max_steps, seed, difficulty)
    cv = cheese_vectors(policy, base_mazes, layer, env)
    report = {
        "layer": layer, "coefficient": coefficient, "env": env, "mazes": len(states),
        "maze_seed": maze_seed, "max_steps": max_steps,
        "baseline": {"p_towards_cheese": mean_ci(base["cheese"]),
                     "median_p_towards_cheese": bootstrap_median(base["cheese"], seed=seed),
                     "median_p_towards_corner": bootstrap_median(base["corner"], seed=seed),
                     "p_cheese_rollout": rate(base_roll)},
        "cheese_vector": _effect(policy, states, cv, layer, coefficient, env, max_steps, seed,
                                 base, base_roll, difficulty),
        "random_vector": _effect(policy, states, random_like(cv, seed), layer, coefficient, env,
                                 max_steps, seed, base, base_roll, difficulty),
    }
    tv, ok = top_right_vectors(policy, base_mazes, layer, env)
    sub = [s for s, k in zip(states, ok, strict=True) if k]
    if sub:
        idx = torch.as_tensor(np.flatnonzero(ok))
        sub_base = {goal: v[ok] for goal, v in base.items()}
        report["top_right_vector"] = {
            "mazes": len(sub),
            "baseline": {"median_p_towards_cheese": bootstrap_median(sub_base["cheese"], seed=seed),
                         "median_p_towards_corner": bootstrap_median(sub_base["corner"], seed=seed),
                         "p_cheese_rollout": rate(base_roll[ok])},
            **_effect(policy, sub, tv[idx], layer, coefficient, env, max_steps, seed, sub_base,
                      base_roll[ok], difficulty),
            "random_vector": _effect(policy, sub, random_like(tv[idx], seed + 1), layer, coefficient,
                                     env, max_steps, seed, sub_base, base_roll[ok], difficulty),
        }
    return report


def save_vector_pictures(policy, state, layer: str, coefficient: float, path, env: str = "native"):
    """The policy's vector field on one maze: as it is, with the cheese vector, with the
    top-right vector (each x coefficient), side by side."""
    from specgym.analysis.vector_field import save_vector_fields, vector_field

    fields = [vector_field(policy, state, env)]
    titles = ["original"]
    cv = cheese_vectors(policy, [state], layer, env)[0]
    with intervene(policy, [Edit(layer, None, "add", coefficient * cv)]):
        fields.append(vector_field(policy, state, env))
    titles.append(f"cheese vector x {coefficient:g}")
    tv, ok = top_right_vectors(policy, [state], layer, env)
    if ok[0]:
        with intervene(policy, [Edit(layer, None, "add", coefficient * tv[0])]):
            fields.append(vector_field(policy, state, env))
        titles.append(f"top-right vector x {coefficient:g}")
    return save_vector_fields(state, fields, titles, path)


__all__ = [
    "cheese_vectors", "prob_towards", "random_like", "save_vector_pictures", "steer_edit",
    "steering_experiment", "top_right_vectors",
]
