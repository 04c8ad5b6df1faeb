"""Language-model commands: `specgym train lm`, `specgym curriculum run`, `specgym bench`.

Registered through `specgym.cli.EXTENSIONS` (``register(sub, groups)``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from specgym.cli_args import non_negative_int, positive_int
from specgym.envs.text.cues import CONTEXT_CUES
from specgym.envs.text.registry import FAMILIES


def cmd_train_lm(args: argparse.Namespace) -> int:
    from specgym.agents.lm.train import LMTrainConfig, train_lm
    from specgym.analysis.stats import wilson_interval
    from specgym.config import load_config

    overrides = list(args.overrides)
    if args.env:
        overrides.append(f"env.id={args.env if args.env.startswith('specgym/') else 'specgym/' + args.env}")
    if args.method:
        overrides.append(f"method={args.method}")
    if args.model:
        overrides.append(f"model={args.model}")
    if args.run_dir:
        overrides.append(f"run_dir={args.run_dir}")
    config = load_config(LMTrainConfig, args.config, overrides)
    final = train_lm(config, progress_bar=not args.no_progress)
    run = Path(config.run_dir)
    print(f"final model: {final}  (metrics: {run / 'metrics.jsonl'})")
    for name in ("eval_before", "eval_after"):
        p = run / f"{name}.json"
        if p.is_file():
            s = json.loads(p.read_text())
            lo, hi = wilson_interval(s["gamed"], s["n"])
            print(f"  {name:11s} gaming rate {s['gaming_rate']:.3f} [{lo:.3f}, {hi:.3f}] "
                  f"({s['gamed']}/{s['n']}), reward {s['mean_visible_reward']:.3f}")
    return 0


def cmd_curriculum_snapshot(args: argparse.Namespace) -> int:
    from specgym.curricula.run_snapshot import snapshot_run

    for reason in snapshot_run(args.run_dir, args.out):
        print(f"not shipped: {reason}")
    print(f"wrote {args.out}")
    return 0


def cmd_curriculum_run(args: argparse.Namespace) -> int:
    from specgym.config import load_config
    from specgym.curricula.runner import CurriculumConfig, run_curriculum

    config = load_config(CurriculumConfig, args.config, args.overrides)
    if args.resume_from:
        from specgym.curricula.run_snapshot import restore_run

        copied = restore_run(args.resume_from, config.run_dir)
        print(f"resuming from {args.resume_from}" if copied
              else f"{config.run_dir} already holds a run: continuing it, not {args.resume_from}")
    matrix = run_curriculum(config, progress_bar=not args.no_progress)
    width = max(len(c) for c in matrix["columns"]) + 2
    print("gaming rate (rows: trained through; columns: evaluated on)")
    print(" " * 36 + "".join(f"{c[:width - 1]:>{width}}" for c in matrix["columns"]))
    for r, rates in zip(matrix["rows"], matrix["gaming_rate"], strict=True):
        cells = "".join(f"{'-' if v is None else f'{v:.3f}':>{width}}" for v in rates)
        print(f"{r:36s}{cells}")
    print(f"wrote {Path(config.run_dir) / 'matrix.json'} and matrix.png")
    return 0


BENCH_OPTIONS = ("model", "envs", "episodes", "context_cue", "out", "backend", "base_url",
                 "max_new_tokens", "temperature", "max_turns", "max_batch", "threads", "seed",
                 "executor", "workers", "ray_address")
"""Keys of a `specgym bench --config` YAML file (the long options, with underscores)."""


def bench_settings(args: argparse.Namespace) -> dict:
    """The command line's bench options over those of ``--config`` (a flag given on the
    command line wins over the file; the file wins over the defaults)."""
    import yaml

    settings = {k: getattr(args, k) for k in BENCH_OPTIONS}
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise ValueError(f"config: file {path} does not exist")
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"config: {path} must hold a mapping at the top level")
        unknown = sorted(set(data) - set(BENCH_OPTIONS))
        if unknown:
            raise ValueError(f"config: unknown key(s) {unknown}; allowed: {list(BENCH_OPTIONS)}")
        for k, v in data.items():
            if settings[k] == args.bench_defaults[k]:
                settings[k] = v
    return settings


def cmd_bench(args: argparse.Namespace) -> int:
    from specgym.agents.lm.bench import run_bench
    from specgym.analysis.gaming_report import write_bench_report

    s = bench_settings(args)
    print("bench settings: " + json.dumps(s))
    run = run_bench(
        s["model"], envs=s["envs"], episodes=s["episodes"], out_dir=s["out"],
        context_cues=s["context_cue"], backend=s["backend"], base_url=s["base_url"],
        max_new_tokens=s["max_new_tokens"], temperature=s["temperature"],
        max_turns=s["max_turns"], max_batch=s["max_batch"], threads=s["threads"],
        seed=s["seed"], progress=not args.no_progress, executor=s["executor"],
        workers=s["workers"], ray_address=s["ray_address"],
    )
    write_bench_report(run, s["out"])
    return 0


def register(sub: argparse._SubParsersAction, groups: dict) -> None:
    p = groups["train"].add_parser(
        "lm", help="train a language model on a text env (GRPO or expert iteration, TRL); resumes")
    p.add_argument("--config", default=None, help="YAML config (e.g. configs/lm_grpo_rubric_cpu.yaml)")
    p.add_argument("--env", default=None, help="env id (overrides env.id)")
    p.add_argument("--method", choices=["grpo", "expert-iteration", "expert_iteration"], default=None)
    p.add_argument("--model", default=None, help="default | HF id or folder | file.gguf")
    p.add_argument("--run-dir", default=None)
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. grpo.steps=10")
    p.set_defaults(func=cmd_train_lm)

    cur = sub.add_parser("curriculum", help="curricula of text environments").add_subparsers(
        dest="curriculum_command", required=True)
    p = cur.add_parser("run", help="train stage by stage; gaming-rate matrix (JSON + heatmap); resumes")
    p.add_argument("--config", default=None, help="YAML config (e.g. configs/subterfuge.yaml)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("overrides", nargs="*", help="dotted overrides, e.g. eval.episodes=32")
    p.add_argument("--resume-from", default=None, metavar="SNAPSHOT",
                   help="a folder `specgym curriculum snapshot` wrote (e.g. docs/results/subterfuge): "
                        "copied into run_dir first if run_dir holds no run")
    p.set_defaults(func=cmd_curriculum_run)

    p = cur.add_parser("snapshot", help="copy what a resume needs (matrix, state, adapters) for shipping")
    p.add_argument("run_dir", help="a curriculum run folder (e.g. runs/subterfuge)")
    p.add_argument("out", help="the snapshot folder, replaced (e.g. docs/results/subterfuge)")
    p.set_defaults(func=cmd_curriculum_snapshot)

    p = sub.add_parser("bench", help="gaming rates of a language model on every text env; resumes")
    p.add_argument("--model", default="default", help="default | HF id or folder | file.gguf | openai:NAME")
    p.add_argument("--envs", default="all",
                   help=f"all | {' | '.join(FAMILIES)} | comma-separated text-env ids")
    p.add_argument("--episodes", type=positive_int, default=16, help="episodes per env and cue")
    p.add_argument("--context-cue", default="none",
                   help=f"comma-separated cues, from: {', '.join(CONTEXT_CUES)} "
                        "(the first is the reference for the gap)")
    p.add_argument("--out", default="runs/bench")
    p.add_argument("--backend", default="auto", choices=["auto", "llama.cpp", "transformers", "openai"])
    p.add_argument("--base-url", default=None, help="endpoint URL for openai:NAME")
    p.add_argument("--max-new-tokens", type=positive_int, default=128)
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--max-turns", type=positive_int, default=4)
    p.add_argument("--max-batch", type=positive_int, default=16)
    p.add_argument("--threads", type=positive_int, default=1,
                   help="CPU threads of each worker (llama.cpp / torch)")
    p.add_argument("--executor", default="local", choices=["serial", "local", "ray"],
                   help="where episodes run: one process, a local process pool (default), or "
                        "Ray (pip install 'specgym[dist]'); the records are the same")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="worker processes or Ray actors (default: one per core / cluster CPU)")
    p.add_argument("--ray-address", default=None,
                   help="a running Ray cluster (e.g. 127.0.0.1:6379 or auto; default: "
                        "$RAY_ADDRESS, else a Ray started for this run)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="first episode seed")
    p.add_argument("--config", default=None,
                   help="YAML file of these options (e.g. configs/bench_endpoint_gpu.yaml); "
                        "flags given here win")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_bench, bench_defaults={k: p.get_default(k) for k in BENCH_OPTIONS})
