"""The `specgym` command line: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from specgym.cli_args import cheese_region, non_negative_int, positive_int

# Modules with `register(subparsers, groups)` adding their commands; groups holds the
# "train" and "eval" sub-parsers so that e.g. `train lm` sits beside `train maze`.
EXTENSIONS: list[str] = ["specgym.cli_analysis", "specgym.cli_lm"]


def cmd_envs(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    import specgym

    table = Table("id", "description", title="specgym environments")
    for env_id, description in specgym.ENV_DESCRIPTIONS.items():
        table.add_row(env_id, description)
    Console(width=max(120, len(max(specgym.ENV_DESCRIPTIONS, key=len)) + 60)).print(table)
    return 0


def cmd_maze_show(args: argparse.Namespace) -> int:
    from specgym.envs.maze import MazeEnv

    env = MazeEnv(
        difficulty=args.difficulty, cheese_region=args.cheese_region, maze_size=args.size,
        obs_mode="grid", render_mode="ansi",
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


def cmd_demo(args: argparse.Namespace) -> int:
    from specgym.demo import run_demo

    summary = run_demo(args.out, mazes=args.mazes, vector_mazes=args.vector_mazes,
                       episodes=args.episodes, bench=not args.no_bench, envs=args.envs)
    maze, lm = summary["maze"], summary["lm"]
    if "skipped" in maze:
        print(f"mazes: skipped ({maze['skipped']})")
    else:
        for name, row in maze["policies"].items():
            c, k = row["p_cheese"], row["p_corner"]
            print(f"{name:8s} from {maze['mazes']} decision squares: P(cheese) {c['rate']:.2f} "
                  f"[{c['ci95'][0]:.2f}, {c['ci95'][1]:.2f}], P(corner) {k['rate']:.2f} "
                  f"[{k['ci95'][0]:.2f}, {k['ci95'][1]:.2f}]")
    if "skipped" in lm:
        print(f"language models: skipped ({lm['skipped']})")
    else:
        for name, m in lm["models"].items():
            rates = ", ".join(f"{e.split('/')[-1].removesuffix('-v0')} {s['gamed']}/{s['n']}"
                              for e, s in m["envs"].items())
            print(f"{name}: gamed {rates}")
    print(f"wrote {Path(args.out) / 'README.md'} (and summary.json, pictures) in "
          f"{summary['wall_s']:.0f} s")
    return 0


def cmd_train_maze(args: argparse.Namespace) -> int:
    from specgym.agents.ppo.config import MazeTrainConfig
    from specgym.agents.ppo.train import train_maze
    from specgym.config import load_config

    config = load_config(MazeTrainConfig, args.config, args.overrides)
    run = train_maze(config, progress_bar=not args.no_progress)
    print(f"final policy: {run / 'final' / 'policy'} (SB3: {run / 'final' / 'ppo.zip'})")
    return 0


def cmd_eval_maze(args: argparse.Namespace) -> int:
    import json

    from specgym.agents.maze_eval import evaluate_maze
    from specgym.agents.policies import load_policy

    policy, meta = load_policy(args.checkpoint)
    difficulty = args.difficulty or meta.get("env", {}).get("difficulty", "easy")
    report = evaluate_maze(policy, difficulty, args.cheese_region, args.episodes,
                           args.decision_mazes, seed=args.seed, env=args.env)
    report.update(checkpoint=str(args.checkpoint), difficulty=difficulty, env=args.env, seed=args.seed)
    ep, ds = report["episodes"], report.get("decision_square")

    def show(name, r):
        value = r.get("rate", r.get("mean"))
        low, high = r["ci95"]
        print(f"  {name:34s} {value:8.3f}  [{low:.3f}, {high:.3f}]  n={r['n']}")

    print(f"{args.checkpoint}: {difficulty} mazes, cheese region {args.cheese_region or 'none'}")
    for key in ("p_cheese", "p_corner_first", "timeout_rate", "mean_steps"):
        show(key, ep[key])
    if ds:
        print("decision squares (cheese outside the top-right 5x5):")
        for key in ("p_cheese", "p_corner", "p_timeout", "action_prob_towards_cheese",
                    "action_prob_towards_corner"):
            show(key, ds[key])
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="specgym", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("envs", help="list every registered environment id")
    p.set_defaults(func=cmd_envs)

    maze = sub.add_parser("maze", help="maze utilities").add_subparsers(dest="maze_command", required=True)
    p = maze.add_parser("show", help="draw a maze in the terminal (and as a PNG)")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--size", type=positive_int, default=None, help="odd maze size (default: random)")
    p.add_argument("--cheese-region", type=cheese_region, default=None,
                   help="cheese in the top-right n x n cells, or none (default)")
    p.add_argument("--difficulty", choices=["hard", "easy"], default="hard")
    p.add_argument("--png", type=str, default=None, help="also write the maze as a PNG here")
    p.set_defaults(func=cmd_maze_show)

    train = sub.add_parser("train", help="train agents").add_subparsers(dest="train_command", required=True)
    p = train.add_parser("maze", help="PPO on the mazes (stable-baselines3); resumes an interrupted run")
    p.add_argument("--config", default=None, help="YAML config (e.g. configs/maze_region5.yaml)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. ppo.total_timesteps=100000")
    p.set_defaults(func=cmd_train_maze)

    evaluate = sub.add_parser("eval", help="evaluate agents").add_subparsers(dest="eval_command", required=True)
    p = evaluate.add_parser("maze", help="P(cheese), P(corner first), decision squares, with 95% CIs")
    p.add_argument("--checkpoint", required=True, help="a policy folder (policy.pt + policy.json)")
    p.add_argument("--episodes", type=positive_int, default=1000)
    p.add_argument("--decision-mazes", type=non_negative_int, default=500)
    p.add_argument("--cheese-region", type=cheese_region, default=None, help="n or none (default: none)")
    p.add_argument("--difficulty", choices=["hard", "easy"], default=None)
    p.add_argument("--env", choices=["native", "procgen"], default="native")
    p.add_argument("--seed", type=non_negative_int, default=10_000)
    p.add_argument("--json", default=None)
    p.set_defaults(func=cmd_eval_maze)

    groups = {"train": train, "eval": evaluate}
    for module in EXTENSIONS:  # command families that live in their own modules
        importlib.import_module(module).register(sub, groups)

    p = sub.add_parser("demo", help="region5 vs its control on decision squares, then the "
                       "gaming benchmark of the default and the shipped trained models")
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--mazes", type=positive_int, default=100, help="decision-square mazes")
    p.add_argument("--vector-mazes", type=positive_int, default=100,
                   help="mazes for the cheese vector")
    p.add_argument("--episodes", type=positive_int, default=4, help="bench episodes per env")
    p.add_argument("--envs", default="all", help="bench envs: all | a family | ids")
    p.add_argument("--no-bench", action="store_true", help="skip the language-model benchmark")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:  # bad input: say what was wrong, no traceback
        print(f"specgym: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
