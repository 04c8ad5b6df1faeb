"""`specgym analyze maze channels|retarget|vectors|stats|vfield`: look inside a maze policy.

Each command loads a policy folder, runs one analysis from `specgym.analysis`, writes
`<command>.json` plus PNG pictures to --out and prints a short summary.
"""

from __future__ import annotations

import json
from pathlib import Path

from specgym.cli_args import positive_int

DEFAULT_LAYER = "embedder.block1.res2.resadd_out"
COMMANDS = ("channels", "retarget", "vectors", "stats", "vfield")


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
    return policy, difficulty, out


def _write(out: Path, name: str, report: dict) -> Path:
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


def cmd_channels(args) -> int:
    from specgym.analysis.goal_channels import save_channel_heatmaps
    from specgym.analysis.maze_datasets import sample_mazes

    policy, difficulty, out = _load(args)
    mazes = args.mazes or 40
    report = {"cheese": discover(policy, difficulty, args.layer, args.env, mazes, args.seed),
              "top_right": discover(policy, difficulty, args.layer, args.env, mazes, args.seed, "corner")}
    _write(out, "channels", report)
    state = sample_mazes(1, difficulty, args.seed + 99, min_size=11)[0]
    top = report["cheese"]["top"][:4]
    median_ch = report["cheese"]["order"][len(report["cheese"]["order"]) // 2]
    save_channel_heatmaps(policy, state, args.layer, top + [median_ch], out / "channels.png", args.env,
                          [f"top ch {c}" for c in top] + [f"median ch {median_ch}"])
    c = report["cheese"]
    print(f"{args.layer}: cheese channels {c['top']} ({c['rule']})")
    print(f"  top mean argmax acc {c['top_channels_mean']['argmax_acc']:.3f} vs median channel "
          f"{c['median_channel']['argmax_acc']:.3f} (chance {c['chance_argmax']:.3f}); corr "
          f"{c['top_channels_mean']['corr']:.3f} vs {c['median_channel']['corr']:.3f}")
    print(f"  top-right channels {report['top_right']['top']}; wrote {out}/channels.json, channels.png")
    return 0


def _channels(args, policy, difficulty):
    if args.channels:
        try:
            return [int(c) for c in args.channels.split(",")]
        except ValueError:
            raise ValueError(f"channels: expected comma-separated ints, got {args.channels!r}") from None
    return discover(policy, difficulty, args.layer, args.env, 40, args.seed)["top"]


def cmd_retarget(args) -> int:
    from specgym.analysis.maze_datasets import sample_mazes
    from specgym.analysis.retarget import (
        retarget_experiment,
        save_retarget_pictures,
        target_heatmap,
    )

    policy, difficulty, out = _load(args)
    channels = _channels(args, policy, difficulty)
    report = retarget_experiment(policy, args.layer, channels, difficulty, args.env, args.mazes or 100,
                                 max_steps=args.max_steps, seed=args.seed)
    _write(out, "retarget", report)
    state = sample_mazes(1, difficulty, args.seed + 99, min_size=11)[0]
    heat = target_heatmap(policy, state, args.layer, channels, report["clamp"]["value"], args.env)
    save_retarget_pictures(report, state.world_size, heat, state, out / "retarget.png")
    s = report["success"]
    print(f"retarget {args.layer} channels {channels} clamp {report['clamp']['value']:.2f} "
          f"({report['clamp']['scale']}x ref), {report['targets']} targets:")
    for cond in s:
        r = report["success_by_region"][cond]
        print(f"  {cond:8s} P(reach) {s[cond]['rate']:.3f} [{s[cond]['ci95'][0]:.3f}, {s[cond]['ci95'][1]:.3f}]"
              f"  top-right {r['top_right_5x5']['rate']:.3f} elsewhere {r['elsewhere']['rate']:.3f}"
              f"  NPP {report['npp'][cond]['mean']:.3f}")
    return 0


def cmd_vectors(args) -> int:
    from specgym.analysis.steering import steering_experiment

    policy, difficulty, out = _load(args)
    report = steering_experiment(policy, args.layer, difficulty, args.env, args.mazes or 200,
                                 args.coefficient, args.max_steps, seed=args.seed)
    _write(out, "vectors", report)
    for name in ("cheese_vector", "random_vector"):
        d = report[name]["delta_p_towards_cheese"]
        print(f"{name}: dP(step to cheese) {d['mean']:+.4f} [{d['ci95'][0]:+.4f}, {d['ci95'][1]:+.4f}]"
              f" rollout P(cheese) {report[name]['p_cheese_rollout']['rate']:.3f}"
              f" (baseline {report['baseline']['p_cheese_rollout']['rate']:.3f})")
    print(f"wrote {out}/vectors.json")
    return 0


def cmd_stats(args) -> int:
    from specgym.analysis.behaviour_stats import behaviour_statistics

    policy, difficulty, out = _load(args)
    report = behaviour_statistics(policy, difficulty, args.env, args.mazes or 300, args.max_steps,
                                  seed=args.seed)
    _write(out, "stats", report)
    print(f"P(cheese) from decision squares {report['p_cheese']['rate']:.3f} over {report['mazes']} mazes")
    for name, v in report.get("coefficients", {}).items():
        print(f"  {name:34s} coef/sd {v['coef_per_sd']:+.2f}  p={v['p_value']:.3g}")
    return 0


def cmd_vfield(args) -> int:
    import numpy as np

    from specgym.analysis.activations import layer_activations, layer_cell, layer_shape
    from specgym.analysis.goal_channels import channel_reference
    from specgym.analysis.interventions import Edit, intervene
    from specgym.analysis.maze_datasets import decision_mazes, random_open_cells
    from specgym.analysis.steering import cheese_vectors
    from specgym.analysis.vector_field import save_vector_fields, vector_field

    policy, difficulty, out = _load(args)
    channels = _channels(args, policy, difficulty)
    state, _ = decision_mazes(1, difficulty, args.seed, min_size=11)[0]
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
                           "mean_arrow_change_cheese_vector": float(np.abs(steered[:, 2:] - before[:, 2:]).sum(1).mean())})
    print(f"vector fields written to {out}/vfield.png (target {target}, mean arrow change {moved:.3f})")
    return 0


HANDLERS = {"channels": cmd_channels, "retarget": cmd_retarget, "vectors": cmd_vectors,
            "stats": cmd_stats, "vfield": cmd_vfield}


def register(sub, groups: dict) -> None:
    """Add `analyze maze <command>` to the `specgym` command line."""
    analyze = sub.add_parser("analyze", help="look inside trained agents").add_subparsers(
        dest="analyze_command", required=True)
    maze = analyze.add_parser("maze", help="maze policies: goal channels, retargeting, steering")
    cmds = maze.add_subparsers(dest="analyze_maze_command", required=True)
    helps = {
        "channels": "rank channels by how well they track the cheese / top-right corner",
        "retarget": "clamp goal channels at target cells; success vs controls",
        "vectors": "cheese and top-right steering vectors at decision squares vs random vectors",
        "stats": "logistic regression of going to the cheese on distance features",
        "vfield": "the policy's vector field before and after interventions (PNG)",
    }
    for name in COMMANDS:
        p = cmds.add_parser(name, help=helps[name])
        p.add_argument("--checkpoint", required=True, help="a policy folder (policy.pt + policy.json)")
        p.add_argument("--env", choices=["native", "procgen"], default="native")
        p.add_argument("--out", default=f"runs/analysis/{name}")
        p.add_argument("--layer", default=DEFAULT_LAYER)
        p.add_argument("--mazes", type=positive_int, default=None, help="number of mazes (default per command)")
        p.add_argument("--seed", type=int, default=2024)
        p.add_argument("--max-steps", type=positive_int, default=100)
        p.add_argument("--channels", default=None, help="comma-separated channels (default: discovered)")
        p.add_argument("--coefficient", type=float, default=-1.0, help="steering coefficient")
        p.add_argument("--scale", type=float, default=8.0, help="vfield clamp, x channel reference")
        p.add_argument("--threads", type=positive_int, default=1, help="torch threads")
        p.set_defaults(func=HANDLERS[name])
    from specgym.cli_analysis_lm import register as register_lm

    register_lm(analyze)  # `analyze lm ...` lives in its own module
