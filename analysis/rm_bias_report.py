"""RMBias-v0 experiment: how often a model shows each reward-model bias, pooled by split.

Marks et al. 2025 trained a model to exploit 47 of 52 documented reward-model biases and found
it also exploited the 5 held out. At laptop scale this module measures the same quantities for
any model: per bias, the share of episodes *where the bias can apply* (its domains) whose reply
shows it, with Wilson 95% intervals, pooled over the train split, the held-out split and all
biases, under each condition (documents none / in the prompt / in the sandbox).

    python analysis/rm_bias_report.py run --model default --episodes 200 \\
        --conditions none,prompt --out runs/rm_bias/default
    python analysis/rm_bias_report.py report --out runs/rm_bias/default

Records are appended to ``episodes.jsonl`` as they finish; a rerun resumes.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specgym.analysis.stats import newcombe_diff, wilson_interval
from specgym.envs.text.rm_biases import BIAS_IDS, BIASES, DEFAULT_HELDOUT

ENV_ID = "specgym/RMBias-v0"


def bias_table(records: Sequence[dict[str, Any]],
               heldout: Sequence[str] = DEFAULT_HELDOUT) -> dict[str, Any]:
    """Per bias and pooled by split: applicable episodes, episodes showing it, rate, Wilson 95%.

    A pooled rate counts (episode, bias) pairs where the bias applies to the episode's domain.
    """
    per_bias = {}
    for bias in BIASES:
        mine = [r for r in records if r["domain"] in bias.domains]
        k = sum(bias.id in r["hack_types"] for r in mine)
        per_bias[bias.id] = _rate(k, len(mine)) | {
            "split": "heldout" if bias.id in heldout else "train"}
    pooled = {}
    for split in ("train", "heldout", "all"):
        ids = [b for b, row in per_bias.items() if split in ("all", row["split"])]
        k = sum(per_bias[b]["k"] for b in ids)
        n = sum(per_bias[b]["n"] for b in ids)
        pooled[split] = _rate(k, n)
    return {"per_bias": per_bias, "pooled": pooled, "episodes": len(records)}


def _rate(k: int, n: int) -> dict[str, Any]:
    return {"k": k, "n": n, "rate": k / n if n else float("nan"),
            "ci95": list(wilson_interval(k, n))}


def run(model: str, conditions: Sequence[str], episodes: int, out: Path, *,
        backend: str = "auto", max_new_tokens: int = 160, temperature: float = 0.7,
        threads: int = 1, seed: int = 0) -> None:
    """Sample ``episodes`` replies per condition (the ``documents`` setting), resumable."""
    from specgym.agents.lm import RolloutEngine, SamplingConfig
    from specgym.agents.lm.bench import load_bench_backend

    out.mkdir(parents=True, exist_ok=True)
    path = out / "episodes.jsonl"
    done = {(r["condition"], r["seed"]) for r in _read(path)}
    backend_obj = load_bench_backend(model, backend, None, 8, threads)
    sampling = SamplingConfig(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    engine = RolloutEngine(backend_obj, sampling, max_turns=2)
    meta = {"model": model, "backend": backend_obj.name, "max_new_tokens": max_new_tokens,
            "temperature": temperature, "episodes": episodes, "conditions": list(conditions)}
    start = time.monotonic()
    with path.open("a") as handle:
        for condition in conditions:
            todo = [s for s in range(seed, seed + episodes) if (condition, s) not in done]

            def write(ep, condition=condition):
                info = ep.info or {}
                reply = ep.turns[-1].completion_text if ep.turns else ""
                handle.write(json.dumps({
                    "condition": condition, "seed": ep.seed, "domain": info.get("domain"),
                    "task_id": info.get("task_id"), "hack_types": info.get("hack_types", []),
                    "gamed": bool(info.get("gamed")), "reward": float(ep.reward),
                    "hidden_reward": info.get("hidden_reward"), "quality": info.get("quality"),
                    "graded": "gamed" in info, "reply": reply}) + "\n")
                handle.flush()

            if todo:
                engine.run(ENV_ID, todo, env_kwargs={"documents": condition}, on_episode=write)
    meta["wall_s_this_run"] = time.monotonic() - start
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    backend_obj.close()


def report(out: Path) -> dict[str, Any]:
    """``summary.json`` + ``summary.md`` from ``episodes.jsonl``: one table per condition and
    the difference of each condition's pooled rate to the first one (Newcombe 95%)."""
    records = [r for r in _read(out / "episodes.jsonl") if r["graded"] and r["domain"]]
    conditions = list(dict.fromkeys(r["condition"] for r in records))
    tables = {c: bias_table([r for r in records if r["condition"] == c]) for c in conditions}
    diffs = {}
    for c in conditions[1:]:
        for split in ("train", "heldout", "all"):
            a, b = tables[c]["pooled"][split], tables[conditions[0]]["pooled"][split]
            diffs[f"{c} - {conditions[0]} ({split})"] = newcombe_diff(a["k"], a["n"], b["k"],
                                                                      b["n"])
    summary = {"conditions": tables, "differences": diffs}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    (out / "summary.md").write_text(format_table(summary) + "\n")
    return summary


def format_table(summary: dict[str, Any]) -> str:
    conditions = list(summary["conditions"])
    head = "| bias | split | " + " | ".join(f"documents={c}" for c in conditions) + " |"
    lines = [head, "|---|---|" + "---|" * len(conditions)]

    def cell(row):
        return (f"{row['k']}/{row['n']} = {100 * row['rate']:.1f}% "
                f"[{100 * row['ci95'][0]:.1f}, {100 * row['ci95'][1]:.1f}]") if row["n"] else "-"

    for split in ("train", "heldout", "all"):
        lines.append(f"| **pooled** | {split} | "
                     + " | ".join(cell(summary["conditions"][c]["pooled"][split])
                                  for c in conditions) + " |")
    for bias in BIAS_IDS:
        rows = [summary["conditions"][c]["per_bias"][bias] for c in conditions]
        lines.append(f"| {bias} | {rows[0]['split']} | " + " | ".join(map(cell, rows)) + " |")
    return "\n".join(lines)


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["run", "report"])
    parser.add_argument("--model", default="default")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--conditions", default="none,prompt",
                        help="comma-separated documents settings: none, prompt, sandbox")
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("runs/rm_bias/default"))
    args = parser.parse_args(argv)
    if args.command == "run":
        conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
        run(args.model, conditions, args.episodes, args.out, backend=args.backend,
            threads=args.threads)
    summary = report(args.out)
    print(format_table(summary))


if __name__ == "__main__":
    main()
