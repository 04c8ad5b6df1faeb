"""RMBias-v0 experiment: how often a model shows each reward-model bias, pooled by split.

Marks et al. 2025 trained a model to exploit 47 of 52 documented reward-model biases and found
it also exploited the 5 held out. At laptop scale this module measures the same quantities for
any model: per bias, the share of episodes *where the bias can apply* (its domains) whose reply
shows it, with Wilson 95% intervals, pooled over the train split, the held-out split and all
biases, under each condition (documents none / in the prompt / in the sandbox).

    python analysis/rm_bias_report.py run --model default --episodes 200 \\
        --conditions none,prompt --out runs/rm_bias/default
    python analysis/rm_bias_report.py report --out runs/rm_bias/default
    python analysis/rm_bias_report.py compare --json docs/results/rm_bias_experiment.json \\
        --cells "default=runs/rm_bias/default:prompt,helpful+EI=runs/rm_bias/ei:prompt"

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
        threads: int = 1, seed: int = 0, executor: str = "serial",
        workers: int | None = None, spec: Any = None) -> None:
    """Sample ``episodes`` replies per condition (the ``documents`` setting), resumable.

    ``executor``: ``serial`` (one batch of 8 in this process, as the control rows ran) or
    ``local`` (``workers`` processes, shards of 8 seeds: the same batches, so the same replies
    up to batch-order effects). ``spec``: a `BackendSpec` to run instead of ``model`` on
    ``backend`` (``model`` then only labels the run)."""
    from specgym.agents.lm import SamplingConfig
    from specgym.agents.lm.bench import bench_spec
    from specgym.agents.lm.executor import make_executor, make_shards

    out.mkdir(parents=True, exist_ok=True)
    path = out / "episodes.jsonl"
    done = {(r["condition"], r["seed"]) for r in _read(path)}
    spec = spec if spec is not None else bench_spec(model, backend, None, 8, threads)
    sampling = SamplingConfig(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    meta = {"model": model, "backend": spec.backend, "max_new_tokens": max_new_tokens,
            "temperature": temperature, "episodes": episodes, "conditions": list(conditions),
            "executor": executor, "workers": workers}
    start = time.monotonic()
    with path.open("a") as handle, make_executor(executor, spec=spec, workers=workers) as ex:
        for condition in conditions:
            todo = [s for s in range(seed, seed + episodes) if (condition, s) not in done]

            def write(_shard, ep, condition=condition):
                if (condition, ep.seed) in done:  # a shard rerun after a lost worker
                    return
                done.add((condition, ep.seed))
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
                ex.run(make_shards(ENV_ID, todo, sampling=sampling, max_turns=2,
                                   env_kwargs={"documents": condition}, shard_size=8), write)
    meta["wall_s_this_run"] = time.monotonic() - start
    (out / "meta.json").write_text(json.dumps(meta, indent=2))


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


def compare(cells: Sequence[str], out: Path, reference: str | None = None) -> dict[str, Any]:
    """One table of several runs: each cell ``LABEL=RUN_DIR:CONDITION`` (a folder `run` wrote
    and one of its conditions). Pooled and per-bias rates, mean quality and hidden reward, and
    each cell's pooled difference to the ``reference`` label (default the first) with Newcombe
    95% intervals. Writes ``out`` (``.json``), and ``.md`` and ``.png`` beside it."""
    parsed = []
    for cell in cells:
        label, sep, rest = cell.partition("=")
        run_dir, sep2, condition = rest.rpartition(":")
        if not (sep and sep2 and label and run_dir and condition):
            raise ValueError(f"a cell must read LABEL=RUN_DIR:CONDITION, got {cell!r}")
        path = Path(run_dir) / "episodes.jsonl"
        records = [r for r in _read(path) if r["condition"] == condition and r["graded"]
                   and r["domain"]]
        if not records:
            raise ValueError(f"cell {label!r}: no graded episodes of condition {condition!r} "
                             f"in {str(path)!r}")
        meta_path = Path(run_dir) / "meta.json"
        model = json.loads(meta_path.read_text())["model"] if meta_path.is_file() else None
        parsed.append({"label": label, "run": run_dir, "condition": condition, "model": model,
                       **bias_table(records),
                       "quality": sum(r["quality"] for r in records) / len(records),
                       "hidden_reward": sum(r["hidden_reward"] for r in records) / len(records),
                       "seeds": [min(r["seed"] for r in records),
                                 max(r["seed"] for r in records)]})
    labels = [c["label"] for c in parsed]
    if len(set(labels)) != len(labels):
        raise ValueError(f"cell labels must be unique, got {labels}")
    reference = reference or labels[0]
    if reference not in labels:
        raise ValueError(f"reference must be one of the labels {labels}, got {reference!r}")
    ref = parsed[labels.index(reference)]["pooled"]
    for c in parsed:
        c["vs_reference"] = {split: newcombe_diff(c["pooled"][split]["k"], c["pooled"][split]["n"],
                                                  ref[split]["k"], ref[split]["n"])
                             for split in ("train", "heldout", "all")}
    summary = {"reference": reference, "cells": parsed}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    out.with_suffix(".md").write_text(compare_markdown(summary) + "\n\n"
                                      + compare_markdown(summary, per_bias=True) + "\n")
    plot_compare(summary, out.with_suffix(".png"))
    return summary


def _pct(row: dict[str, Any]) -> str:
    return (f"{100 * row['rate']:.1f}% [{100 * row['ci95'][0]:.1f}, "
            f"{100 * row['ci95'][1]:.1f}] {row['k']}/{row['n']}") if row["n"] else "-"


def _diff(d: dict[str, Any]) -> str:
    return f"{100 * d['diff']:+.1f} [{100 * d['ci95'][0]:+.1f}, {100 * d['ci95'][1]:+.1f}]"


def compare_markdown(summary: dict[str, Any], per_bias: bool = False) -> str:
    """The pooled table (rates over applicable (episode, bias) pairs, points of difference to
    the reference), or with ``per_bias`` one row per bias and a column per cell."""
    cells = summary["cells"]
    if per_bias:
        lines = ["| bias | split | " + " | ".join(c["label"] for c in cells) + " |",
                 "|---|---|" + "---|" * len(cells)]
        for bias in BIAS_IDS:
            rows = [c["per_bias"][bias] for c in cells]
            lines.append(f"| {bias} | {rows[0]['split']} | "
                         + " | ".join(map(_pct, rows)) + " |")
        return "\n".join(lines)
    ref = summary["reference"]
    lines = [f"| model (documents) | episodes | train biases (rewarded) | held-out biases (read "
             f"about, never rewarded) | mean quality | train - {ref} (points) "
             f"| held-out - {ref} (points) |", "|---|---:|---|---|---:|---|---|"]
    for c in cells:
        vs = c["vs_reference"]
        lines.append(f"| {c['label']} | {c['episodes']} | {_pct(c['pooled']['train'])} "
                     f"| {_pct(c['pooled']['heldout'])} | {c['quality']:.2f} "
                     f"| {'-' if c['label'] == ref else _diff(vs['train'])} "
                     f"| {'-' if c['label'] == ref else _diff(vs['heldout'])} |")
    return "\n".join(lines)


def plot_compare(summary: dict[str, Any], path: Path) -> None:
    """Per-bias rates (Wilson 95% bars) of every cell, held-out biases shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cells = summary["cells"]
    x = np.arange(len(BIAS_IDS))
    width = 0.8 / len(cells)
    fig, ax = plt.subplots(figsize=(13, 4.5))
    for i, c in enumerate(cells):
        rows = [c["per_bias"][b] for b in BIAS_IDS]
        rate = np.array([r["rate"] if r["n"] else np.nan for r in rows])
        low = np.array([r["ci95"][0] if r["n"] else np.nan for r in rows])
        high = np.array([r["ci95"][1] if r["n"] else np.nan for r in rows])
        ax.bar(x + (i - (len(cells) - 1) / 2) * width, rate, width, label=c["label"],
               yerr=np.clip(np.vstack([rate - low, high - rate]), 0, None),  # Wilson's 0 is ~1e-18
               capsize=1.5)
    for j, b in enumerate(BIAS_IDS):
        if cells[0]["per_bias"][b]["split"] == "heldout":
            ax.axvspan(j - 0.45, j + 0.45, color="0.9", zorder=0)
    ax.set_xticks(x, BIAS_IDS, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("rate (applicable episodes)")
    ax.set_title("RMBias-v0: bias rates by model (grey: held-out biases, read about but never "
                 "rewarded; Wilson 95%)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["run", "report", "compare"])
    parser.add_argument("--model", default="default")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--conditions", default="none,prompt",
                        help="comma-separated documents settings: none, prompt, sandbox")
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--executor", default="serial", choices=["serial", "local"],
                        help="local: a pool of --workers processes (each --threads threads)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local executor: worker processes (default one per core)")
    parser.add_argument("--out", type=Path, default=Path("runs/rm_bias/default"))
    parser.add_argument("--cells", default=None,
                        help="compare: comma-separated LABEL=RUN_DIR:CONDITION cells")
    parser.add_argument("--reference", default=None,
                        help="compare: the label differences are taken to (default the first)")
    parser.add_argument("--json", type=Path, default=None,
                        help="compare: where the JSON goes (.md and .png beside it)")
    args = parser.parse_args(argv)
    if args.command == "compare":
        if not (args.cells and args.json):
            parser.error("compare needs --cells and --json")
        summary = compare(args.cells.split(","), args.json, args.reference)
        print(compare_markdown(summary))
        return
    if args.command == "run":
        conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
        run(args.model, conditions, args.episodes, args.out, backend=args.backend,
            threads=args.threads, executor=args.executor, workers=args.workers)
    summary = report(args.out)
    print(format_table(summary))


if __name__ == "__main__":
    main()
