"""Activations of a maze policy over many maze states, and where a maze cell lands in a layer.

Observations are a pure function of the state: the native maze's grid planes or RGB frame,
or (``env="procgen"`` with RGB input) the real game's frame, read back from procgen after
`set_state`. Activations are captured with the policy's named hook points
(`specgym.agents.policies.capture`), in batches, without gradients.

>>> from specgym.agents.policies import load_policy
>>> policy, _ = load_policy("checkpoints/maze/region5")
>>> acts = layer_activations(policy, states, "embedder.block1.res2.resadd_out")  # (N, C, H, W)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from specgym.agents.maze_eval import observe_native
from specgym.agents.policies.hooks import capture, hook_names
from specgym.envs.maze.state import WORLD_SIZES, MazeState

ENVS = ("native", "procgen")
BATCH = 512

Cell = tuple[int, int]


def check_env(env: str) -> str:
    if env not in ENVS:
        raise ValueError(f"env: expected one of {ENVS}, got {env!r}")
    return env


def difficulty_of(policy) -> str:
    """The maze difficulty a policy was built for ("easy" 15x15 or "hard" 25x25 world)."""
    cfg = policy.config
    if cfg.input == "grid":
        by_size = {v: k for k, v in WORLD_SIZES.items()}
        if cfg.world_size not in by_size:
            raise ValueError(f"world_size: expected one of {sorted(by_size)}, got {cfg.world_size}")
        return by_size[cfg.world_size]
    return getattr(policy, "difficulty", "hard")


def observe(states: Sequence[MazeState], obs_mode: str, env: str = "native") -> np.ndarray:
    """Observations of many states, stacked: (N, 3, W, W) grid planes or (N, 64, 64, 3) frames.

    Grid planes are the same for both mazes (procgen's are decoded into the same planes);
    RGB frames differ (procgen draws sprites), so with ``env="procgen"`` they come from the game.
    """
    check_env(env)
    if obs_mode not in ("grid", "rgb"):
        raise ValueError(f"obs_mode: expected 'grid' or 'rgb', got {obs_mode!r}")
    if obs_mode == "grid" or env == "native":
        return observe_native(states, obs_mode)
    from specgym.agents.maze_eval import make_eval_env

    world = states[0].world_size
    difficulty = {v: k for k, v in WORLD_SIZES.items()}[world]
    frames = []
    venv = make_eval_env("procgen", min(len(states), 64), difficulty, "rgb")
    try:
        for start in range(0, len(states), venv.num_envs):
            chunk = list(states[start:start + venv.num_envs])
            padded = chunk + [chunk[-1]] * (venv.num_envs - len(chunk))
            obs, _ = venv.reset(seed=start, options={"states": padded})
            frames.append(obs[:len(chunk)].copy())
    finally:
        venv.close()
    return np.concatenate(frames)


def check_layer(policy, layer: str) -> str:
    names = hook_names(policy)
    if layer not in names:
        raise ValueError(f"layer: unknown name {layer!r}; known: {names}")
    return layer


@torch.no_grad()
def forward_obs(policy, obs: np.ndarray | torch.Tensor, layers: Sequence[str] = (),
                batch: int = BATCH) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Action probabilities (N, 15) and the named activations, in batches."""
    for layer in layers:
        check_layer(policy, layer)
    obs = torch.as_tensor(obs)
    probs, acts = [], {name: [] for name in layers}
    for start in range(0, len(obs), batch):
        with capture(policy, list(layers)) as got:
            logits, _ = policy(obs[start:start + batch])
        probs.append(torch.softmax(logits, -1))
        for name in layers:
            acts[name].append(got[name])
    return torch.cat(probs), {k: torch.cat(v) for k, v in acts.items()}


def layer_activations(policy, states: Sequence[MazeState], layer: str, env: str = "native") -> torch.Tensor:
    """The named layer's output for every state: (N, C, H, W) (or (N, F) for linear layers)."""
    obs = observe(states, policy.config.input, env)
    return forward_obs(policy, obs, [layer])[1][layer]


def layer_shape(policy, layer: str) -> tuple[int, ...]:
    """Shape of one sample's activation at `layer` (e.g. (16, 8, 8))."""
    check_layer(policy, layer)
    dummy = torch.zeros((1, *policy.config.input_shape))
    if policy.config.input == "rgb":
        dummy = dummy.permute(0, 2, 3, 1)
    with torch.no_grad(), capture(policy, [layer]) as got:
        policy(dummy)
    return tuple(got[layer].shape[1:])


def layer_cell(cell: Cell, world: int, side: int) -> Cell:
    """The activation cell (of a side x side map) whose receptive-field centre covers a maze cell.

    A maze cell's centre sits at (r + 0.5) / world of the image; the layer cell at that
    fraction of its map. For a 15x15 grid and an 8x8 map this is r // 2 rounded to the cell
    whose pooling window is centred on r (r = 2i).
    """
    r, c = cell
    return (int((r + 0.5) * side / world), int((c + 0.5) * side / world))


def layer_cells(cells: Sequence[Cell], world: int, side: int) -> np.ndarray:
    """(N, 2) int array of `layer_cell` for many cells."""
    return np.array([layer_cell(c, world, side) for c in cells], dtype=np.int64).reshape(-1, 2)


__all__ = [
    "ENVS", "check_env", "check_layer", "difficulty_of", "forward_obs", "layer_activations",
    "layer_cell", "layer_cells", "layer_shape", "observe",
]
