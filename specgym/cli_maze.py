"""Maze commands: `specgym maze show`, `train maze`, `eval maze`, `analyze maze <command>`.

Registered through `specgym.cli.EXTENSIONS` (``register(sub, groups)``). Each analysis command
loads a policy folder, prints its resolved settings, runs one analysis from `specgym.analysis`,
writes `<command>.json` (settings included) plus PNG pictures to --out and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from specgym.cli_args import cheese_region, non_negative_int, positive_int

DEFAULT_LAYER = "embedder.block1.res2.resadd_out"
ANALYSES = ("channels", "retarget", "vectors", "stats", "vfield", "paper")


# ----- maze show / train / eval --------------------------------------------------------------
def cmd_maze_show(args: argparse.Namespace) -> int:
    from specgym.envs.maze import MazeEnv

    env = MazeEnv(
        difficulty=args.difficulty, cheese_region=args.cheese_region, maze_size=args.size,
        obs_mode="grid", render_mode="ansi", generator=args.generator,
    )
    env.reset(seed=args.seed)
    state = env.get_state()
    print(env.render(), end="")
    print(f"seed {args.seed}: maze {state.maze_size}x{state.maze_size}, mouse {state.mouse}, "
          f"cheese {state.cheese}, top-right corner {state.corner}")
    if args.png:
        from specgym.analysis.maze_plots import save_maze_grid

        path = save_maze_grid([state], args.png, columns=1)
        print(f"wrote {path}")
    return 0


def cmd_train_maze(args: argparse.Namespace) -> int:
    from specgym.agents.ppo.config import MazeTrainConfig
    from specgym.agents.ppo.train import train_maze
    from specgym.config import load_config

    config = load_config(MazeTrainConfig, args.config, args.overrides)
    wrap_env, callbacks = None, None
    if config.env.world is not None:  # a world: its levels come from the configured sampler
        from specgym.curricula.levels import CurriculumParts

        Path(config.run_dir).mkdir(parents=True, exist_ok=True)
        parts = CurriculumParts(config.sampler, config.env.world,
                                int(config.env.kwargs.get("corner_size", 1)),
                                Path(config.run_dir) / "levels.jsonl")
        wrap_env, callbacks = parts.wrap_env, [parts.callback()]
    run = train_maze(config, progress_bar=not args.no_progress, wrap_env=wrap_env,
                     callbacks=callbacks)
    print(f"final policy: {run / 'final' / 'policy'} (SB3: {run / 'final' / 'ppo.zip'})")
    return 0


def cmd_eval_maze(args: argparse.Namespace) -> int:
    import time

    import torch

    from specgym.agents.policies import load_policy
    from specgym.analysis.maze_report import evaluate_maze

    torch.set_num_threads(args.threads)
    start = time.time()
    policy, meta = load_policy(args.checkpoint)
    difficulty = args.difficulty or meta.get("env", {}).get("difficulty", "easy")
    report = evaluate_maze(policy, difficulty, args.cheese_region, args.episodes,
                           args.decision_mazes, seed=args.seed, env=args.env)
    report.update(checkpoint=str(args.checkpoint), difficulty=difficulty, env=args.env, seed=args.seed,
                  wall_s=round(time.time() - start, 1))
    ep, ds = report.get("episodes"), report.get("decision_square")

    def show(name, r):
        value = r.get("rate", r.get("mean"))
        low, high = r["ci95"]
        print(f"  {name:34s} {value:8.3f}  [{low:.3f}, {high:.3f}]  n={r['n']}")

    print(f"{args.checkpoint}: {difficulty} mazes, cheese region {args.cheese_region or 'none'}")
    if ep:
        for key in ("p_cheese", "p_corner_first", "timeout_rate", "mean_steps"):
            show(key, ep[key])
    if ds:
        print("decision squares (the decision-square maze set, cheese outside the top-right 5x5):")
        for key in ("p_cheese", "p_corner", "p_timeout", "action_prob_towards_cheese",
                    "action_prob_towards_corner"):
            show(key, ds[key])
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    return 0


# ----- analyze maze ----------------------------------------------------------------------------
def _load(args):
    import torch

    from specgym.agents.policies import load_policy
    from specgym.analysis.activations import difficulty_of

    torch.set_num_threads(args.threads)
    try:
        policy, meta = load_policy(args.checkpoint)
    except FileNotFoundError as err:
        raise ValueError(str(err)) from None
    difficulty = meta.get("env", {}).get("difficulty") or difficulty_of(policy)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k != "func" and not k.endswith("_command")}
    print("settings: " + json.dumps({**settings, "difficulty": difficulty}))
    return policy, difficulty, out


def _write(out: Path, name: str, report: dict, args) -> Path:
    report["settings"] = {k: v for k, v in vars(args).items() if k != "func" and not k.endswith("_command")}
    report["command"] = "specgym " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["analyze"] else None
    path = out / f"{name}.json"
    path.write_text(json.dumps(report, indent=2, default=float))
    return path


def discover(policy, difficulty, layer, env, mazes, seed, target="cheese"):
    """Goal-channel report for the cheese (cheese sweep) or the top-right corner."""
    import numpy as np

    from specgym.analysis.goal_channels import find_goal_channels
    from specgym.analysis.maze_datasets import cheese_sweep, sample_mazes

    if target == "cheese":
        sweep = cheese_sweep(sample_mazes(mazes, difficulty, seed, min_size=9))
        return find_goal_channels(policy, sweep.states, sweep.cheese, layer, sweep.maze_id, env, seed=seed)
    states = sample_mazes(mazes * 10, difficulty, seed + 1)
    corners = np.array([s.corner for s in states])
    return find_goal_channels(policy, states, corners, layer, None, env, seed=seed)


def picture_maze(difficulty: str, min_size: int = 11):
    """The first maze of the decision-square set at least `min_size` wide (for pictures)."""
    from specgym.envs.maze.mazesets import decision_square_mazes

    for state, square in decision_square_mazes(50, difficulty):
        if state.maze_size >= min_size:
            return state, square
    raise ValueError(f"min_size: no decision-square maze of size >= {min_size} among the first 50")


def cmd_channels(args) -> int:
    from specgym.analysis.goal_channels import save_channel_heatmaps
    from specgym.analysis.maze_datasets import sample_mazes

    policy, difficulty, out = _load(args)
    mazes = args.mazes or 40
    report = {"cheese": discover(policy, difficulty, args.layer, args.env, mazes, args.seed),
              "top_right": discover(policy, difficulty, args.layer, args.env, mazes, args.seed, "corner")}
    _write(out, "channels", report, args)
    state = sample_mazes(1, difficulty, args.seed + 99, min_size=11)[0]
    top = report["cheese"]["top"][:4]
    median_ch = report["cheese"]["order"][len(report["cheese"]["order"]) // 2]
    save_channel_heatmaps(policy, state, args.layer, top + [median_ch], out / "channels.png", args.env,
                          [f"top ch {c}" for c in top] + [f"median ch {median_ch}"])
    c = report["cheese"]
    print(f"{args.layer}: cheese channels {c['top']} ({c['rule']}); ranking {c['order'][:6]}...")
    print(f"  top mean argmax acc {c['top_channels_mean']['argmax_acc']:.3f} vs median channel "
          f"{c['median_channel']['argmax_acc']:.3f} (chance {c['chance_argmax']:.3f}); corr "
          f"{c['top_channels_mean']['corr']:.3f} vs {c['median_channel']['corr']:.3f}")
    print(f"  top-right channels {report['top_right']['top']}; wrote {out}/channels.json, channels.png")
    return 0


def _ranking(args, policy, difficulty):
    if args.channels:
        try:
            return [int(c) for c in args.channels.split(",")]
        except ValueError:
            raise ValueError(f"channels: expected comma-separated ints, got {args.channels!r}") from None
    return discover(policy, difficulty, args.layer, args.env, 40, args.seed)["order"]


def _ks(text: str) -> list[int]:
    try:
        ks = [int(k) for k in text.split(",")]
    except ValueError:
        raise ValueError(f"ks: expected comma-separated ints, got {text!r}") from None
    if not ks or min(ks) < 1:
        raise ValueError(f"ks: expected ints >= 1, got {text!r}")
    return ks


def cmd_retarget(args) -> int:
    from specgym.analysis.maze_datasets import sample_mazes
    from specgym.analysis.retarget import (
        retarget_experiment,
        save_retarget_pictures,
        target_heatmap,
    )

    policy, difficulty, out = _load(args)
    ranking = _ranking(args, policy, difficulty)
    ks = [k for k in _ks(args.ks) if k <= len(ranking)] or [1]
    report = retarget_experiment(policy, args.layer, ranking, difficulty, args.env, args.mazes or 100,
                                 max_steps=args.max_steps, seed=args.seed, ks=ks)
    _write(out, "retarget", report, args)
    state = sample_mazes(1, difficulty, args.seed + 99, min_size=11)[0]
    first = report["clamps"][f"top{ks[0]}"]
    heat = target_heatmap(policy, state, args.layer, first["channels"], first["value"], args.env)
    save_retarget_pictures(report, state.world_size, heat, state, out / "retarget.png")
    s, d = report["success"], report["success_differences"]
    print(f"retarget {args.layer}, {report['targets']} targets on {report['mazes']} mazes "
          f"(95% maze-clustered bootstrap):")
    for cond, r in s.items():
        print(f"  {cond:9s} P(reach) {r['mean']:.3f} [{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]"
              f"  NPP {report['npp'][cond]['mean']:.3f}")
    for name, r in d.items():
        print(f"  {name:22s} {r['mean']:+.3f} [{r['ci95'][0]:+.3f}, {r['ci95'][1]:+.3f}]")
    return 0


def cmd_vectors(args) -> int:
    from specgym.analysis.steering import save_vector_pictures, steering_experiment

    policy, difficulty, out = _load(args)
    report = steering_experiment(policy, args.layer, difficulty, args.env, args.mazes or 200,
                                 args.coefficient, args.max_steps, seed=args.seed)
    _write(out, "vectors", report, args)
    state, _ = picture_maze(difficulty)
    save_vector_pictures(policy, state, args.layer, args.coefficient, out / "vectors.png", args.env)
    for name in ("cheese_vector", "random_vector", "top_right_vector"):
        if name not in report:
            continue
        r = report[name]
        base = r.get("baseline", report["baseline"])["median_p_towards_cheese"]["median"]
        d = r["delta_p_towards_cheese"]
        print(f"{name}: median P(step to cheese) {base:.3f} -> {r['median_p_towards_cheese']['median']:.3f};"
              f" mean change {d['mean']:+.4f} [{d['ci95'][0]:+.4f}, {d['ci95'][1]:+.4f}];"
              f" rollout P(cheese) {r['p_cheese_rollout']['rate']:.3f}"
              f" (baseline {report['baseline']['p_cheese_rollout']['rate']:.3f})")
    print(f"wrote {out}/vectors.json, vectors.png")
    return 0


def cmd_stats(args) -> int:
    from specgym.analysis.behaviour_stats import behaviour_statistics

    policy, difficulty, out = _load(args)
    report = behaviour_statistics(policy, difficulty, args.env, args.mazes or 1000, max_steps=500,
                                  seed=args.seed)
    _write(out, "stats", report, args)
    st = report["start_square"]
    print(f"from the start, {report['mazes']} decision-square mazes: P(cheese) {st['p_cheese']['rate']:.3f}"
          f" P(corner first) {st['p_corner_first']['rate']:.3f} P(time-out) {st['p_timeout']['rate']:.3f}")
    if "heldout_accuracy" in report:
        print(f"  held-out accuracy {report['heldout_accuracy']['rate']:.3f} vs base rate "
              f"{report['heldout_base_rate']['rate']:.3f}")
    for name, v in report.get("coefficients", {}).items():
        print(f"  {name:34s} coef/sd {v['coef_per_sd']:+.2f}  p={v['p_value']:.3g}"
              f"  sign as the paper's: {v['sign_matches_paper']}")
    return 0


def cmd_vfield(args) -> int:
    import numpy as np

    from specgym.analysis.activations import layer_activations, layer_cell, layer_shape
    from specgym.analysis.goal_channels import channel_reference
    from specgym.analysis.interventions import Edit, intervene
    from specgym.analysis.maze_datasets import random_open_cells
    from specgym.analysis.steering import cheese_vectors
    from specgym.analysis.vector_field import save_vector_fields, vector_field

    policy, difficulty, out = _load(args)
    channels = _ranking(args, policy, difficulty)[:1] if not args.channels else _ranking(args, policy, difficulty)
    state, _ = picture_maze(difficulty)
    target = random_open_cells(state, 1, np.random.default_rng(args.seed), [state.start, state.cheese])[0]
    side = layer_shape(policy, args.layer)[-1]
    ref = channel_reference(layer_activations(policy, [state], args.layer, args.env), channels)
    clamp = Edit(args.layer, channels, "clamp", args.scale * ref, [layer_cell(target, state.world_size, side)])
    before = vector_field(policy, state, args.env)
    with intervene(policy, [clamp]):
        after = vector_field(policy, state, args.env)
    vec = cheese_vectors(policy, [state], args.layer, args.env)[0]
    with intervene(policy, [Edit(args.layer, None, "add", args.coefficient * vec)]):
        steered = vector_field(policy, state, args.env)
    save_vector_fields(state, [before, after, steered],
                       ["original", f"channels {channels} clamped at {target}",
                        f"cheese vector x {args.coefficient}"], out / "vfield.png", marks=[target])
    moved = float(np.abs(after[:, 2:] - before[:, 2:]).sum(1).mean())
    _write(out, "vfield", {"target": list(target), "channels": channels, "clamp_value": args.scale * ref,
                           "mean_arrow_change_retarget": moved,
                           "mean_arrow_change_cheese_vector": float(np.abs(steered[:, 2:] - before[:, 2:]).sum(1).mean())},
           args)
    print(f"vector fields written to {out}/vfield.png (target {target}, mean arrow change {moved:.3f})")
    return 0


def _sizes(text: str | None) -> dict:
    from specgym.analysis.paper_protocols import PARTS

    sizes = {}
    for item in (text or "").split(","):
        if not item:
            continue
        name, _, value = item.partition("=")
        if name not in PARTS or not value.isdigit() or int(value) < 1:
            raise ValueError(f"sizes: expected part=count with part in {PARTS}, got {item!r}")
        sizes[name] = int(value)
    return sizes


def cmd_paper(args) -> int:
    from specgym.analysis.paper_protocols import PARTS, run_protocols

    policy, difficulty, out = _load(args)
    parts = tuple(args.parts.split(","))
    bad = [p for p in parts if p not in PARTS]
    if bad:
        raise ValueError(f"parts: expected a comma-separated subset of {PARTS}, got {bad}")
    run_protocols(policy, difficulty, out, args.layer, args.env, parts, _sizes(args.sizes), args.seed)
    return 0


HANDLERS = {"channels": cmd_channels, "retarget": cmd_retarget, "vectors": cmd_vectors,
            "stats": cmd_stats, "vfield": cmd_vfield, "paper": cmd_paper}
HELPS = {
    "channels": "rank channels by how well they track the cheese / top-right corner",
    "retarget": "clamp the top-k goal channels at target cells; success vs every other channel",
    "vectors": "cheese and top-right vectors at decision squares vs random vectors (JSON + PNG)",
    "stats": "start-square rollouts on decision-square mazes and the behavioural regression",
    "vfield": "the policy's vector field before and after interventions (PNG)",
    "paper": "the original work's protocols (start, vectors, retarget), each to its JSON; resumes",
}


def register(sub, groups: dict) -> None:
    """Add the maze commands to the `specgym` command line."""
    maze = sub.add_parser("maze", help="maze utilities").add_subparsers(dest="maze_command", required=True)
    p = maze.add_parser("show", help="draw a maze in the terminal (and as a PNG)")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--size", type=positive_int, default=None, help="odd maze size (default: random)")
    p.add_argument("--cheese-region", type=cheese_region, default=None,
                   help="cheese in the top-right n x n cells, or none (default)")
    p.add_argument("--difficulty", choices=["hard", "easy"], default="hard")
    p.add_argument("--generator", default="kruskal",
                   help="maze layout: kruskal (procgen's, the default), blocks, noise or open")
    p.add_argument("--png", type=str, default=None, help="also write the maze as a PNG here")
    p.set_defaults(func=cmd_maze_show)

    p = groups["train"].add_parser(
        "maze", help="PPO on the mazes or a world (specgym/CheeseInCorner-v0, ...; sampler.name = "
        "dr, plr or accel) with stable-baselines3; resumes")
    p.add_argument("--config", default=None, help="YAML config (e.g. configs/maze_region5.yaml)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. ppo.total_timesteps=100000")
    p.set_defaults(func=cmd_train_maze)

    p = groups["eval"].add_parser("maze", help="P(cheese), P(corner first), decision squares, with 95% CIs")
    p.add_argument("--checkpoint", required=True, help="a policy folder (policy.pt + policy.json)")
    p.add_argument("--episodes", type=positive_int, default=1000)
    p.add_argument("--decision-mazes", type=non_negative_int, default=500)
    p.add_argument("--cheese-region", type=cheese_region, default=None, help="n or none (default: none)")
    p.add_argument("--difficulty", choices=["hard", "easy"], default=None)
    p.add_argument("--env", choices=["native", "procgen"], default="native")
    p.add_argument("--seed", type=non_negative_int, default=10_000, help="rollout seed and decision-set seed")
    p.add_argument("--threads", type=positive_int, default=1, help="torch threads")
    p.add_argument("--json", default=None)
    p.set_defaults(func=cmd_eval_maze)

    cmds = groups["analyze"].add_parser(
        "maze", help="maze policies: goal channels, retargeting, steering, behaviour").add_subparsers(
        dest="analyze_maze_command", required=True)
    for name in ANALYSES:
        p = cmds.add_parser(name, help=HELPS[name])
        p.add_argument("--checkpoint", required=True, help="a policy folder (policy.pt + policy.json)")
        p.add_argument("--env", choices=["native", "procgen"], default="native")
        p.add_argument("--out", default=f"runs/analysis/{name}")
        p.add_argument("--layer", default=DEFAULT_LAYER)
        p.add_argument("--mazes", type=positive_int, default=None, help="number of mazes (default per command)")
        p.add_argument("--seed", type=int, default=2024)
        p.add_argument("--max-steps", type=positive_int, default=100)
        p.add_argument("--channels", default=None, help="comma-separated channel ranking (default: discovered)")
        p.add_argument("--ks", default="1,3", help="retarget: clamp the top k of the ranking, for each k")
        p.add_argument("--coefficient", type=float, default=-1.0, help="steering coefficient")
        p.add_argument("--scale", type=float, default=8.0, help="vfield clamp, x channel reference")
        p.add_argument("--parts", default="start,vectors,retarget", help="paper: which protocols")
        p.add_argument("--sizes", default=None, help="paper: e.g. start=5000,vectors=2000,retarget=200")
        p.add_argument("--threads", type=positive_int, default=1, help="torch threads")
        p.set_defaults(func=HANDLERS[name])

