"""The `specgym` command line: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

# Modules with `register(subparsers, groups)` adding their commands; groups holds the
# "train" and "eval" sub-parsers (and "analyze", added by cli_analysis) so that e.g.
# `train lm` sits beside `train maze`.
EXTENSIONS: list[str] = ["specgym.cli_analysis", "specgym.cli_maze", "specgym.cli_lm"]


def cmd_envs(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    import specgym

    table = Table("id", "description", title="specgym environments")
    for env_id, description in specgym.ENV_DESCRIPTIONS.items():
        table.add_row(env_id, description)
    Console(width=max(120, len(max(specgym.ENV_DESCRIPTIONS, key=len)) + 60)).print(table)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from specgym.demo import run_maze_demo

    summary = run_maze_demo(Path(args.out), num_envs=args.envs, steps=args.steps)
    for name, row in summary.items():
        print(f"{name:8s} {row['env_steps']:,} random steps at {row['steps_per_second']:,}/s; "
              f"{row['episodes']} episodes, cheese {row['random_policy_cheese_rate']:.1%}, "
              f"corner first {row['random_policy_gamed_rate']:.1%}")
    print(f"wrote {args.out}/summary.json and maze PNGs")
    if not args.no_bench:
        from specgym.agents.lm.bench import specgym_demo_bench

        print("short specification-gaming benchmark of the default language model:")
        specgym_demo_bench(str(Path(args.out) / "bench"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="specgym", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("envs", help="list every registered environment id")
    p.set_defaults(func=cmd_envs)

    train = sub.add_parser("train", help="train agents").add_subparsers(dest="train_command", required=True)
    evaluate = sub.add_parser("eval", help="evaluate agents").add_subparsers(dest="eval_command", required=True)

    groups = {"train": train, "eval": evaluate}
    for module in EXTENSIONS:  # command families that live in their own modules
        importlib.import_module(module).register(sub, groups)

    p = sub.add_parser("demo", help="the main job on embedded defaults")
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--envs", type=int, default=256)
    p.add_argument("--steps", type=int, default=2000)
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
