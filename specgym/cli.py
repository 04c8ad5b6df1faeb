"""The `specgym` command line: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from specgym.cli_args import positive_int

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
