"""The `specgym` command line: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


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
    from specgym.demo import run_maze_demo

    summary = run_maze_demo(Path(args.out), num_envs=args.envs, steps=args.steps)
    for name, row in summary.items():
        print(f"{name:8s} {row['env_steps']:,} random steps at {row['steps_per_second']:,}/s; "
              f"{row['episodes']} episodes, cheese {row['random_policy_cheese_rate']:.1%}, "
              f"corner first {row['random_policy_gamed_rate']:.1%}")
    print(f"wrote {args.out}/summary.json and maze PNGs")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="specgym", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("envs", help="list every registered environment id")
    p.set_defaults(func=cmd_envs)

    maze = sub.add_parser("maze", help="maze utilities").add_subparsers(dest="maze_command", required=True)
    p = maze.add_parser("show", help="draw a maze in the terminal (and as a PNG)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=None, help="odd maze size (default: random)")
    p.add_argument("--cheese-region", type=int, default=None, help="cheese in the top-right n x n cells")
    p.add_argument("--difficulty", choices=["hard", "easy"], default="hard")
    p.add_argument("--png", type=str, default=None, help="also write the maze as a PNG here")
    p.set_defaults(func=cmd_maze_show)

    p = sub.add_parser("demo", help="the main job on embedded defaults")
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--envs", type=int, default=256)
    p.add_argument("--steps", type=int, default=2000)
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
