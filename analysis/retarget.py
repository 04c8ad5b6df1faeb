"""Retarget a maze policy by clamping its goal channels at a chosen cell.

Measures, per (maze, target cell):
- normalized path probability (NPP): the geometric mean of the policy's probability of the
  step towards the target at every cell of the shortest path start -> target;
- success: a sampled rollout from the start stands on the target within `max_steps`.
Conditions: no intervention (`none`); the cheese physically moved there (`cheese`); for each
k in `ks`, the top k channels of the goal-channel ranking clamped at the target (`top<k>`, the
analogue of the paper's 11 of 128 channels) and its control `random<k>`: every other channel of
the layer clamped alone (k = 1), or `draws` random sets of k channels outside the top k,
each clamped the same way, their success averaged per target. Mazes are used without their
cheese (except `cheese`), so the clamped channels are the only goal signal. A clamp value is
`scale` x the clamped channels' 99th-percentile activation (`channel_reference`);
`choose_scale` picks the scale that maximizes NPP on separate mazes, and each control channel
set uses the same scale on its own reference. The 4 targets of a maze are not independent:
differences get maze-clustered bootstrap intervals (`maze_bootstrap_mean`).

>>> report = retarget_experiment(policy, "embedder.block1.res2.resadd_out", ranking=[5, 10, 13])
>>> report["success"]["top1"]["mean"], report["success"]["random1"]["mean"]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from specgym.agents.maze_eval import move_masks
from specgym.analysis.activations import (
    forward_obs,
    layer_activations,
    layer_cell,
    layer_shape,
    observe,
)
from specgym.analysis.goal_channels import channel_reference
from specgym.analysis.interventions import Edit, intervene, rollout
from specgym.analysis.maze_bootstrap import maze_bootstrap_mean
from specgym.analysis.maze_datasets import (
    random_open_cells,
    sample_mazes,
    with_cheese_at,
    without_cheese,
)
from specgym.analysis.stats import mean_ci
from specgym.envs.maze.geometry import in_top_right, shortest_path

SCALES = (1.0, 2.0, 4.0, 8.0)
KS = (1, 3)
DRAWS = 10


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
        with intervene(policy, [clamp_edit(layer, channels, value, np.array(cells))]):
            probs = forward_obs(policy, obs, batch=len(obs))[0].numpy()  # per-sample cells: one batch
    else:
        probs = forward_obs(policy, obs)[0].numpy()
    hits = move_masks(np.array(moves))
    logp = np.log(np.clip((probs * hits).sum(1), 1e-12, 1.0))
    owner = np.array(owner)
    out = np.zeros(len(states))
    for k in range(len(states)):
        out[k] = np.exp(logp[owner == k].mean()) if (owner == k).any() else 1.0
    return out


def make_targets(mazes, per_maze: int, seed: int, region: int = 5, with_ids: bool = False):
    """(states without cheese, targets, in_top_right flags[, maze ids]): half the targets in
    the top-right."""
    rng = np.random.default_rng(seed)
    states, targets, tr, ids = [], [], [], []
    for k, maze in enumerate(without_cheese(mazes)):
        inside = random_open_cells(maze, per_maze // 2, rng, [maze.start], region, inside=True)
        outside = random_open_cells(maze, per_maze - len(inside), rng, [maze.start], region, inside=False)
        for cell in inside + outside:
            states.append(maze)
            targets.append(cell)
            tr.append(in_top_right(maze, cell, region))
            ids.append(k)
    if with_ids:
        return states, targets, np.array(tr), np.array(ids)
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


def control_sets(num_channels: int, top: Sequence[int], k: int, draws: int, rng) -> list[list[int]]:
    """The random-channel controls of a top-k clamp: every other channel alone (k = 1), or
    `draws` random k-sets of the channels outside the top k."""
    pool = [c for c in range(num_channels) if c not in set(top)]
    if len(pool) < k:
        raise ValueError(f"ks: a control for k={k} needs {k} channels outside the top ones, "
                         f"the layer has {len(pool)}")
    if k == 1:
        return [[c] for c in pool]
    return [sorted(int(c) for c in rng.choice(pool, size=k, replace=False)) for _ in range(draws)]


def retarget_experiment(policy, layer: str, ranking: Sequence[int], difficulty: str = "easy",
                        env: str = "native", mazes: int = 100, targets_per_maze: int = 4,
                        max_steps: int = 100, min_size: int = 9, seed: int = 2024,
                        scale: float | None = None, ks: Sequence[int] = KS, draws: int = DRAWS,
                        progress=None) -> dict:
    """Clamp the top-k channels of `ranking` at targets, against every control; JSON-ready."""
    if not ranking:
        raise ValueError("ranking: expected at least one channel to clamp")
    if any(k < 1 or k > len(ranking) for k in ks):
        raise ValueError(f"ks: expected values in 1..{len(ranking)} (the ranking's length), got {list(ks)}")
    rng = np.random.default_rng(seed)
    maze_list = sample_mazes(mazes, difficulty, seed, min_size)
    states, targets, tr, maze_id = make_targets(maze_list, targets_per_maze, seed, with_ids=True)
    shape = layer_shape(policy, layer)
    ref_acts = layer_activations(policy, sample_mazes(64, difficulty, seed + 1, min_size), layer, env)
    world = states[0].world_size
    cells = np.array([layer_cell(t, world, shape[-1]) for t in targets])
    cheese_states = [with_cheese_at(s, t) for s, t in zip(states, targets, strict=True)]

    def run(channels, value, src=states):
        if progress:
            progress(f"rollouts: channels {list(channels)}")
        edits = [clamp_edit(layer, channels, value, cells)] if channels else []
        return rollout(policy, src, edits, env, max_steps, targets, seed=seed,
                       difficulty=difficulty)["reached_target"].astype(float)

    runs = {"none": run([], 0.0), "cheese": run([], 0.0, cheese_states)}
    npp = {"none": path_probability(policy, states, targets, env=env),
           "cheese": path_probability(policy, cheese_states, targets, env=env)}
    clamps, controls = {}, {}
    for k in ks:
        top = [int(c) for c in ranking[:k]]
        ref = channel_reference(ref_acts, top)
        if scale is None:
            cal = choose_scale(policy, layer, top, ref, difficulty, env, min_size=min_size)
        else:
            cal = {"scale": float(scale), "value": float(scale) * ref, "reference": ref, "npp_by_scale": {}}
        clamps[f"top{k}"] = {"channels": top, **cal}
        runs[f"top{k}"] = run(top, cal["value"])
        npp[f"top{k}"] = path_probability(policy, states, targets, layer, top, cal["value"], env)
        sets = control_sets(shape[0], top, k, draws, rng)
        per_set, npp_sets = [], []
        for channels in sets:
            value = cal["scale"] * channel_reference(ref_acts, channels)
            per_set.append(run(channels, value))
            npp_sets.append(path_probability(policy, states, targets, layer, channels, value, env))
        runs[f"random{k}"] = np.mean(per_set, axis=0)
        npp[f"random{k}"] = np.mean(npp_sets, axis=0)
        controls[f"random{k}"] = [{"channels": c, "success": float(r.mean())}
                                  for c, r in zip(sets, per_set, strict=True)]
    success = {c: maze_bootstrap_mean(v, maze_id, seed=seed) for c, v in runs.items()}
    by_region = {c: {"top_right_5x5": float(v[tr].mean()), "elsewhere": float(v[~tr].mean())}
                 for c, v in runs.items()}
    diffs = {}
    for k in ks:
        for other in ("none", f"random{k}"):
            diffs[f"top{k}_minus_{other}"] = maze_bootstrap_mean(runs[f"top{k}"] - runs[other], maze_id,
                                                                 seed=seed)
    return {
        "layer": layer, "ranking": [int(c) for c in ranking], "ks": list(ks), "clamps": clamps,
        "controls": controls, "env": env, "mazes": mazes, "targets": len(targets),
        "targets_per_maze": targets_per_maze, "max_steps": max_steps, "min_maze_size": min_size,
        "interval": "95% maze-clustered bootstrap (mazes resampled with all their targets)",
        "success": success, "success_by_region": by_region, "success_differences": diffs,
        "npp": {c: mean_ci(v) for c, v in npp.items()},
        "_per_target": {"targets": [list(t) for t in targets], "maze": maze_id.tolist(),
                        "top_right": tr.tolist(), **{f"success_{c}": v.tolist() for c, v in runs.items()}},
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
    clamp = f"top{report['ks'][0]}"
    for ax, cond in zip(axes[:2], ("none", clamp), strict=True):
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
    "KS", "choose_scale", "clamp_edit", "control_sets", "make_targets", "path_probability",
    "retarget_experiment", "save_retarget_pictures", "target_heatmap",
]
