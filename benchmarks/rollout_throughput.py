"""Rollout throughput: episodes per minute of the default model on one text environment.

One run, three ways of driving the same episodes (same env, seeds and sampling settings):

==========================  ===========================================================
transformers sequential     one episode at a time, one chat per ``generate`` call
transformers batched        ``--batch`` episodes at once, one padded ``generate`` call
llama.cpp batched           ``--batch`` episodes at once in llama.cpp's parallel slots
==========================  ===========================================================

Model loading is not timed (the GGUF conversion for transformers is cached after the first
run). Prints one table with ratios and writes the numbers as JSON (--json PATH).

    python benchmarks/rollout_throughput.py --episodes 16 --json runs/bench/rollout.json

Warning: with sampling, each backend draws different replies, so episode lengths differ;
compare the generated tokens/s column too.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

import specgym  # noqa: F401  (registers the ids)
from specgym.agents.lm import RolloutEngine, SamplingConfig, load_backend
from specgym.agents.lm.backends.llamacpp import default_threads

MODES = ("transformers-sequential", "transformers-batched", "llama.cpp")


def run_mode(mode: str, args: argparse.Namespace, sampling: SamplingConfig) -> dict:
    """Load the backend for ``mode``, warm it up, then time ``args.episodes`` episodes."""
    batch = 1 if mode == "transformers-sequential" else args.batch
    backend_name = "llama.cpp" if mode == "llama.cpp" else "transformers"
    load_start = time.perf_counter()
    options = {"n_threads": args.threads} if backend_name == "llama.cpp" else {}
    backend = load_backend("default", backend=backend_name, max_batch=batch, **options)
    load_s = time.perf_counter() - load_start
    try:
        chat = [{"role": "user", "content": "Hi"}]
        backend.generate([chat], SamplingConfig(max_new_tokens=2, temperature=0.0))
        engine = RolloutEngine(backend, sampling, max_turns=args.max_turns)
        n = args.sequential_episodes if mode == "transformers-sequential" else args.episodes
        start = time.perf_counter()
        episodes = engine.run(args.env, seeds=range(args.seed, args.seed + n))
        seconds = time.perf_counter() - start
    finally:
        backend.close()
    turns = sum(len(ep.turns) for ep in episodes)
    tokens = sum(len(t.completion_token_ids or ()) for ep in episodes for t in ep.turns)
    return {
        "mode": mode,
        "max_batch": batch,
        "episodes": len(episodes),
        "turns": turns,
        "generated_tokens": tokens,
        "seconds": seconds,
        "episodes_per_min": 60 * len(episodes) / seconds,
        "tokens_per_s": tokens / seconds,
        "gamed": sum(ep.gamed for ep in episodes),
        "load_seconds": load_s,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default="specgym/ToolUseFlattery-v0")
    p.add_argument("--episodes", type=int, default=32, help="episodes per batched mode")
    p.add_argument(
        "--sequential-episodes",
        type=int,
        default=8,
        help="episodes for transformers one at a time (the slow mode)",
    )
    p.add_argument("--batch", type=int, default=16, help="episodes in flight (batched modes)")
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--max-turns", type=int, default=3)
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument(
        "--threads",
        type=int,
        default=default_threads(),
        help="CPU threads for both torch and llama.cpp (default: all cores)",
    )
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    sampling = SamplingConfig(
        max_new_tokens=args.max_new_tokens, temperature=args.temperature, seed=args.seed
    )
    config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    config.update(cpu_cores=default_threads(), machine=platform.machine())
    print("config:", json.dumps(config))

    rows = []
    for mode in args.modes:
        rows.append(run_mode(mode, args, sampling))
        r = rows[-1]
        print(f"  {mode}: {r['episodes']} episodes in {r['seconds']:.1f} s", flush=True)
    by_mode = {r["mode"]: r for r in rows}
    for r in rows:
        for base in ("transformers-sequential", "transformers-batched"):
            if base in by_mode and base != r["mode"]:
                key = "x_" + base.split("-")[1]
                r[key] = r["episodes_per_min"] / by_mode[base]["episodes_per_min"]

    head = f"{'mode':<25}{'batch':>6}{'eps':>5}{'turns':>6}{'tokens':>8}{'s':>8}"
    head += f"{'eps/min':>9}{'tok/s':>8}{'x seq':>7}{'x batched':>10}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['mode']:<25}{r['max_batch']:>6}{r['episodes']:>5}{r['turns']:>6}"
            f"{r['generated_tokens']:>8}{r['seconds']:>8.1f}{r['episodes_per_min']:>9.1f}"
            f"{r['tokens_per_s']:>8.1f}{_ratio(r, 'x_sequential'):>7}{_ratio(r, 'x_batched'):>10}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"config": config, "results": rows}, indent=2))
        print(f"wrote {args.json}")


def _ratio(row: dict, key: str) -> str:
    return f"{row[key]:.2f}" if key in row else "-"


if __name__ == "__main__":
    main()
