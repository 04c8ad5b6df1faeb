"""Retarget a maze policy by clamping its goal channels at a chosen cell.

Measures, per (maze, target cell):
- normalized path probability (NPP): the geometric mean of the policy's probability of the
  step towards the target at every cell of the shortest path start -> target;
- success: a sampled rollout from the start stands on the target within `max_steps`.
Conditions: no intervention; the goal channels clamped at the target; the same number of
random channels of the same layer clamped the same way; the cheese physically moved there.
Mazes are used without their cheese (except the "cheese" condition), so the clamped channels
are the only goal signal. The clamp value is `scale` x the channels' 99th-percentile activation
(`channel_reference`); `choose_scale` picks the scale that maximizes NPP on separate mazes.

>>> report = retarget_experiment(policy, "embedder.block1.res2.resadd_out", channels=[10, 5, 13])
>>> report["success"]["channels"]["rate"], report["success"]["none"]["rate"]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from specgym.analysis.activations import (
    forward_obs,
    layer_activations,
    layer_cell,
    layer_shape,
    observe,
)
from specgym.analysis.goal_channels import channel_reference
from specgym.analysis.interventions import Edit, rollout
from specgym.analysis.maze_datasets import (
    random_open_cells,
    sample_mazes,
    with_cheese_at,
    without_cheese,
)
from specgym.analysis.stats import bootstrap_mean_ci, mean_ci, rate
from specgym.envs.maze.actions import ACTION_DCOL, ACTION_DROW
from specgym.envs.maze.geometry import in_top_right, shortest_path

SCALES = (1.0, 2.0, 4.0, 8.0)
CONDITIONS = ("none", "channels", "random", "cheese")


def clamp_edit(layer: str, channels: Sequence[int], value: float, cells: np.ndarray) -> Edit:
    """Clamp `channels` to `value` at one layer cell per sample ((N, 2) array)."""
    return Edit(layer, list(channels), "clamp", float(value), np.asarray(cells, dtype=np.int64))


def path_probability(policy, states, targets, layer: str | None = None, channels=(), value: float = 0.0,
                     env: str = "native") -> np.ndarray:
    """Normalized path probability of reaching each target from the state's mouse cell.

    With `layer` and `channels`, those channels are clamped to `value` at the target's layer cell
    in every forward pass. Returns one number per (state, target).
    """
    world = states[0].world_size
    side = layer_shape(policy, layer)[-1] if layer else 0
    rows, owner, moves, cells = [], [], [], []
    for k, (state, target) in enumerate(zip(states, targets, strict=True)):
        path = shortest_path(state.walls, state.mouse, tuple(target))
        for a, b in zip(path[:-1], path[1:], strict=True):
            t = state.copy()
            t.mouse = a
            if t.cheese is not None and tuple(t.cheese) == a:
                t.cheese = None
            rows.append(t)
            owner.append(k)
            moves.append((b[0] - a[0], b[1] - a[1]))
            if layer:
                cells.append(layer_cell(tuple(target), world, side))
    obs = observe(rows, policy.config.input, env)
    if layer and len(channels):
        from specgym.analysis.interventions import intervene

        with intervene(policy, [clamp_edit(layer, channels, value, np.array(cells))]):
            probs = forward_obs(policy, obs, batch=len(obs))[0].numpy()  # per-sample cells: one batch
    else:
        probs = forward_obs(policy, obs)[0].numpy()
    moves = np.array(moves)
    hits = (ACTION_DROW[None] == moves[:, :1]) & (ACTION_DCOL[None] == moves[:, 1:])
    logp = np.log(np.clip((probs * hits).sum(1), 1e-12, 1.0))
    owner = np.array(owner)
    out = np.zeros(len(states))
    for k in range(len(states)):
        out[k] = np.exp(logp[owner == k].mean()) if (owner == k).any() else 1.0
    return out


def make_targets(mazes, per_maze: int, seed: int, region: int = 5):
    """(states without cheese, targets, in_top_right flags): half the targets in the top-right."""
    rng = np.random.default_rng(seed)
    states, targets, tr = [], [], []
    for maze in without_cheese(mazes):
        inside = random_open_cells(maze, per_maze // 2, rng, [maze.start], region, inside=True)
        outside = random_open_cells(maze, per_maze - len(inside), rng, [maze.start], region, inside=False)
        for cell in inside + outside:
            states.append(maze)
            targets.append(cell)
            tr.append(in_top_right(maze, cell, region))
    return states, targets, np.array(tr)


def choose_scale(policy, layer: str, channels, ref: float, difficulty: str, env: str = "native",
                 scales=SCALES, mazes: int = 30, seed: int = 777, min_size: int = 9) -> dict:
    """Pick the clamp scale (x ref) with the highest mean NPP on separate calibration mazes."""
    cal = sample_mazes(mazes, difficulty, seed, min_size)
    states, targets, _ = make_targets(cal, 2, seed)
    table = {float(s): float(path_probability(policy, states, targets, layer, channels, s * ref, env).mean())
             for s in scales}
    best = max(table, key=table.get)
    return {"scale": best, "value": best * ref, "reference": ref, "npp_by_scale": table}


def random_channels(num_channels: int, exclude: Sequence[int], k: int, rng) -> list[int]:
    pool = [c for c in range(num_channels) if c not in set(exclude)]
    if len(pool) < k:
        raise ValueError(f"channels: {k} random controls need {k} channels outside the top ones, "
                         f"the layer has {len(pool)}")
    return [int(c) for c in rng.choice(pool, size=k, replace=False)]


def retarget_experiment(policy, layer: str, channels: Sequence[int], difficulty: str = "easy",
                        env: str = "native", mazes: int = 100, targets_per_maze: int = 4,
                        max_steps: int = 100, min_size: int = 9, seed: int = 2024,
                        scale: float | None = None, progress=None) -> dict:
    """Run the four conditions over `mazes` x `targets_per_maze` targets; JSON-ready report."""
    if not channels:
        raise ValueError("channels: expected at least one channel to clamp")
    rng = np.random.default_rng(seed)
    maze_list = sample_mazes(mazes, difficulty, seed, min_size)
    states, targets, tr = make_targets(maze_list, targets_per_maze, seed)
    shape = layer_shape(policy, layer)
    ref_states = sample_mazes(64, difficulty, seed + 1, min_size)
    ref_acts = layer_activations(policy, ref_states, layer, env)
    ref = channel_reference(ref_acts, channels)
    if scale is None:
        cal = choose_scale(policy, layer, channels, ref, difficulty, env, min_size=min_size)
    else:
        cal = {"scale": float(scale), "value": float(scale) * ref, "reference": ref, "npp_by_scale": {}}
    rand = random_channels(shape[0], channels, len(channels), rng)
    rand_value = cal["scale"] * channel_reference(ref_acts, rand)
    world = states[0].world_size
    cells = np.array([layer_cell(t, world, shape[-1]) for t in targets])
    cheese_states = [with_cheese_at(s, t) for s, t in zip(states, targets, strict=True)]
    npp = {
        "none": path_probability(policy, states, targets, env=env),
        "channels": path_probability(policy, states, targets, layer, channels, cal["value"], env),
        "random": path_probability(policy, states, targets, layer, rand, rand_value, env),
        "cheese": path_probability(policy, cheese_states, targets, env=env),
    }
    runs = {}
    for cond in CONDITIONS:
        if progress:
            progress(f"rollouts: {cond}")
        edits = []
        if cond == "channels":
            edits = [clamp_edit(layer, channels, cal["value"], cells)]
        elif cond == "random":
            edits = [clamp_edit(layer, rand, rand_value, cells)]
        src = cheese_states if cond == "cheese" else states
        runs[cond] = rollout(policy, src, edits, env, max_steps, targets, seed=seed,
                             difficulty=difficulty)["reached_target"]
    success = {c: rate(runs[c]) for c in CONDITIONS}
    by_region = {
        c: {"top_right_5x5": rate(runs[c][tr]), "elsewhere": rate(runs[c][~tr])} for c in CONDITIONS
    }
    diffs = {
        f"channels_minus_{c}": bootstrap_mean_ci(runs["channels"].astype(float) - runs[c].astype(float))
        for c in ("none", "random")
    }
    return {
        "layer": layer, "channels": [int(c) for c in channels], "random_channels": rand,
        "clamp": {**cal, "random_value": rand_value}, "env": env, "mazes": mazes,
        "targets": len(targets), "max_steps": max_steps, "min_maze_size": min_size,
        "success": success, "success_by_region": by_region, "success_differences": diffs,
        "npp": {c: mean_ci(v) for c, v in npp.items()},
        "npp_by_region": {c: {"top_right_5x5": mean_ci(v[tr]), "elsewhere": mean_ci(v[~tr])}
                          for c, v in npp.items()},
        "_per_target": {"targets": [list(t) for t in targets], "top_right": tr.tolist(),
                        **{f"success_{c}": runs[c].tolist() for c in CONDITIONS}},
    }


def target_heatmap(policy, state, layer: str, channels, value: float, env: str = "native") -> np.ndarray:
    """NPP with the clamp at every open cell of one maze (nan on walls and the start)."""
    base = without_cheese([state])[0]
    cells = [(int(r), int(c)) for r, c in np.argwhere(~base.walls) if (r, c) != base.mouse]
    vals = path_probability(policy, [base] * len(cells), cells, layer, channels, value, env)
    grid = np.full(base.walls.shape, np.nan)
    for (r, c), v in zip(cells, vals, strict=True):
        grid[r, c] = v
    return grid


def save_retarget_pictures(report: dict, world: int, heat: np.ndarray, state, path) -> None:
    """Success rate by target cell (world coordinates, all mazes) and one maze's NPP heatmap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from specgym.analysis.maze_plots import maze_image

    per = report["_per_target"]
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    for ax, cond in zip(axes[:2], ("none", "channels"), strict=True):
        tot = np.zeros((world, world))
        hit = np.zeros((world, world))
        for (r, c), s in zip(per["targets"], per[f"success_{cond}"], strict=True):
            tot[r, c] += 1
            hit[r, c] += s
        with np.errstate(invalid="ignore"):
            im = ax.imshow(np.where(tot > 0, hit / np.maximum(tot, 1), np.nan), vmin=0, vmax=1, cmap="viridis")
        ax.set_title(f"P(reach target): {cond}", fontsize=9)
        ax.axis("off")
    fig.colorbar(im, ax=axes[:2], shrink=0.7)
    axes[2].imshow(maze_image(without_cheese([state])[0]), interpolation="nearest")
    im2 = axes[2].imshow(heat, cmap="magma", alpha=0.75, vmin=0, vmax=1, interpolation="nearest")
    axes[2].set_title("one maze: NPP per target cell", fontsize=9)
    axes[2].axis("off")
    fig.colorbar(im2, ax=axes[2], shrink=0.7)
    fig.savefig(path, dpi=80)
    plt.close(fig)


__all__ = [
    "CONDITIONS", "choose_scale", "clamp_edit", "make_targets", "path_probability", "random_channels",
    "retarget_experiment", "save_retarget_pictures", "target_heatmap",
]
