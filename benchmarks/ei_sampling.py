"""Expert iteration's sampling phase, two ways, on the same episodes: where its time goes.

An expert-iteration step samples episodes from the weights being trained, grades them, and
fine-tunes on the best. The sampler can be the model in training (transformers) or the same
weights exported to GGUF and served by llama.cpp (``expert_iteration.sampler: llama.cpp``);
the export is paid on every iteration, so it is timed as part of sampling here.

==================  ==========================================================================
transformers        the in-memory model, batched ``generate``
llama.cpp           save the weights (as the trainer does), export to GGUF, requantize to Q8_0,
                    load, then sample: every step an iteration pays
==================  ==========================================================================

Each mode reports episodes/min (export included), and the split into export, generation and
environment + grading (tool calls in the sandbox and the end-of-episode grade). Prints one
table with the ratio; ``--json PATH`` writes the numbers.

    python benchmarks/ei_sampling.py --episodes 32 --json runs/bench/ei_sampling.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import specgym  # noqa: F401  (registers the ids)
from specgym.agents.lm import RolloutEngine, SamplingConfig
from specgym.agents.lm.train.common import llama_cpp_backend, load_model, save_model


def sample(backend, args: argparse.Namespace) -> tuple[list, dict]:
    sampling = SamplingConfig(max_new_tokens=args.max_new_tokens, temperature=1.0, seed=args.seed)
    engine = RolloutEngine(backend, sampling, max_turns=args.max_turns)
    episodes = engine.run(args.env, seeds=range(args.seed, args.seed + args.episodes))
    return episodes, engine.timings


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="helpful")
    p.add_argument("--env", default="specgym/ToolUseFlattery-v0")
    p.add_argument("--episodes", type=int, default=32)
    p.add_argument("--max-new-tokens", type=int, default=96)
    p.add_argument("--max-turns", type=int, default=6)
    p.add_argument("--threads", type=int, default=1, help="torch and llama.cpp threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    if args.episodes < 1:
        p.error(f"--episodes must be >= 1, got {args.episodes}")
    import torch

    torch.set_num_threads(args.threads)
    trained = load_model(args.model, max_batch=16)
    rows = []
    t0 = time.perf_counter()
    episodes, timings = sample(trained, args)
    total = time.perf_counter() - t0
    rows.append({"mode": "transformers", "export_s": 0.0, **timings, "total_s": total,
                 "episodes": len(episodes)})  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ei-bench-") as tmp:
        t0 = time.perf_counter()
        folder = save_model(trained.model, trained.tokenizer, Path(tmp) / "checkpoint", base=args.model)
        backend = llama_cpp_backend(folder, max_batch=16, n_threads=args.threads)
        export = time.perf_counter() - t0
        try:
            episodes, timings = sample(backend, args)
        finally:
            backend.close()
        total = time.perf_counter() - t0
    rows.append({"mode": "llama.cpp", "export_s": export, **timings, "total_s": total,
                 "episodes": len(episodes)})  # fmt: skip
    base = rows[0]["total_s"]
    print(f"{args.episodes} episodes of {args.env}, {args.model}, {args.threads} thread(s), "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| sampler | episodes/min | export s | generate s | env + grading s | total s | x transformers |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        r["episodes_per_min"] = 60 * r["episodes"] / r["total_s"]
        r["x_transformers"] = base / r["total_s"]
        print(f"| {r['mode']} | {r['episodes_per_min']:.1f} | {r['export_s']:.1f} | "
              f"{r['generate_s']:.1f} | {r['env_s']:.1f} | {r['total_s']:.1f} | {r['x_transformers']:.2f} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({
            "args": vars(args), "rows": rows, "machine": platform.machine(),
            "load_average": os.getloadavg()}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
