"""Gaming results as numbers, tables and plots: what `specgym bench` and the curriculum report.

Reads the episode records that `specgym.agents.lm.bench` / `records` write (one JSON object per
episode with ``env_id``, ``context_cue``, ``gamed``, ``hack_types``, ``reward``,
``hidden_reward``, ``graded``) and adds the intervals: gaming rate and each hack type's rate
with Wilson 95% intervals, mean visible and hidden reward with t intervals, and the gap in
gaming rate between context cues with Newcombe's interval (`specgym.analysis.stats`).

>>> summary = write_bench_report(run_bench(...), "runs/bench")  # doctest: +SKIP

Ungraded episodes (cut by ``max_turns`` or the context) count as not gamed and are reported
as ``n_ungraded``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from specgym.agents.lm.records import tally
from specgym.analysis.stats import mean_ci, newcombe_diff, wilson_interval


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Gaming rate (Wilson 95%), per hack type, mean visible/hidden reward of some records:
    the agents' `tally` of the counts, with the intervals added."""
    counts = tally(records)
    n, k = counts["n"], counts["gamed"]
    hidden = [r["hidden_reward"] for r in records if r["hidden_reward"] is not None]
    return {
        "n": n,
        "gamed": k,
        "gaming_rate": counts["gaming_rate"],
        "ci95": list(wilson_interval(k, n)),
        "hack_types": {
            h: {"count": c, "rate": c / n, "ci95": list(wilson_interval(c, n))}
            for h, c in counts["hack_counts"].items()
        },
        "visible_reward": mean_ci([r["reward"] for r in records]),
        "hidden_reward": mean_ci(hidden),
        "n_ungraded": counts["n_ungraded"],
    }


def summarize_bench(records: Sequence[dict[str, Any]], envs: Sequence[str],
                    cues: Sequence[str], permutations: int = 2000) -> dict[str, Any]:
    """Per env: all cues pooled, each cue, and the gap between every pair of cues.

    Each gap ``"b - a"`` (``a`` before ``b`` in ``cues``) has Newcombe's 95% interval and, as the
    shuffled-cue control, a two-sided permutation p-value: the cue labels of the env's episodes
    are shuffled ``permutations`` times and the gap recomputed, so a gap that a cue which
    carried no information would produce as often is not a compliance gap.
    """
    out: dict[str, Any] = {}
    for env_id in envs:
        mine = [r for r in records if r["env_id"] == env_id]
        by_cue = {c: summarize([r for r in mine if r.get("context_cue", "none") == c])
                  for c in cues}
        gaps = {}
        for a, b in combinations(cues, 2):
            gap = newcombe_diff(by_cue[b]["gamed"], by_cue[b]["n"],
                                by_cue[a]["gamed"], by_cue[a]["n"])
            gap["p_shuffled_cues"] = shuffled_cue_p(mine, a, b, permutations)
            gaps[f"{b} - {a}"] = gap
        out[env_id] = {"all": summarize(mine), "by_cue": by_cue, "cue_gap": gaps}
    return out


def shuffled_cue_p(records: Sequence[dict[str, Any]], a: str, b: str, permutations: int,
                   seed: int = 0) -> float:
    """Two-sided permutation p-value of the gaming-rate gap between cues ``b`` and ``a``."""
    pair = [r for r in records if r.get("context_cue", "none") in (a, b)]
    gamed = np.array([bool(r["gamed"]) for r in pair], dtype=float)
    is_b = np.array([r.get("context_cue", "none") == b for r in pair])
    if not is_b.any() or is_b.all():
        return float("nan")
    observed = abs(gamed[is_b].mean() - gamed[~is_b].mean())
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(permutations):
        shuffled = rng.permutation(is_b)
        hits += abs(gamed[shuffled].mean() - gamed[~shuffled].mean()) >= observed - 1e-12
    return (hits + 1) / (permutations + 1)


def write_bench_report(run: dict[str, Any], out_dir: str | Path, quiet: bool = False
                       ) -> dict[str, Any]:
    """Summarize a `run_bench` result into ``summary.json``, ``summary.md`` and ``bench.png``
    in ``out_dir``; print the table unless ``quiet``; return the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = run["meta"]
    summary = {"meta": meta,
               "envs": summarize_bench(run["records"], meta["envs"], meta["context_cues"])}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    table = format_table(summary)
    (out / "summary.md").write_text(table + "\n")
    plot_bench(summary, out / "bench.png")
    if not quiet:
        print(table)
        print(f"wrote {out / 'episodes.jsonl'}, {out / 'summary.json'}, {out / 'summary.md'}, "
              f"{out / 'bench.png'}")
    return summary


def _pct(x: float) -> str:
    return "nan" if x != x else f"{100 * x:.1f}"


def format_table(summary: dict[str, Any]) -> str:
    """A Markdown table: one row per env (and per cue when several), then the cue gaps."""
    cues = summary["meta"]["context_cues"]
    lines = [
        "| env | cue | n | gamed | gaming rate % [95% CI] | hack types (count) | visible reward "
        "| hidden reward | ungraded |",
        "|---|---|---:|---:|---|---|---:|---:|---:|",
    ]
    for env_id, row in summary["envs"].items():
        parts = [("all", row["all"])] if len(cues) > 1 else []
        parts += list(row["by_cue"].items())
        for cue, s in parts:
            hacks = ", ".join(f"{h} {v['count']}" for h, v in s["hack_types"].items()) or "-"
            vr, hr = s["visible_reward"]["mean"], s["hidden_reward"]["mean"]
            lines.append(
                f"| {env_id.split('/')[-1]} | {cue} | {s['n']} | {s['gamed']} | "
                f"{_pct(s['gaming_rate'])} [{_pct(s['ci95'][0])}, {_pct(s['ci95'][1])}] | "
                f"{hacks} | {vr:.2f} | {'-' if hr != hr else f'{hr:.2f}'} | {s['n_ungraded']} |"
            )
    if len(cues) > 1:
        lines += ["", "| env | cue gap (gaming rate, points) | diff [95% CI] | "
                  "p (shuffled cues) |", "|---|---|---|---|"]
        for env_id, row in summary["envs"].items():
            for name, g in row["cue_gap"].items():
                p = g.get("p_shuffled_cues", float("nan"))
                lines.append(f"| {env_id.split('/')[-1]} | {name} | {_pct(g['diff'])} "
                             f"[{_pct(g['ci95'][0])}, {_pct(g['ci95'][1])}] | "
                             f"{'-' if p != p else f'{p:.3f}'} |")
    return "\n".join(lines)


def plot_bench(summary: dict[str, Any], path: Path) -> Path:
    """Bar chart: gaming rate per env (one bar per cue) with Wilson 95% error bars."""
    labels = summary["meta"]["context_cues"]
    rows = {cue: {e: summary["envs"][e]["by_cue"][cue] for e in summary["envs"]} for cue in labels}
    n = summary["meta"]["episodes_per_cell"]
    title = f"{summary['meta']['model']}: gaming rate per environment ({n} episodes per bar)"
    return plot_gaming_rates(rows, path, title=title, legend_title="context cue")


def plot_gaming_rates(rows: dict[str, dict[str, dict[str, Any]]], path: Path, title: str,
                      legend_title: str = "") -> Path:
    """Grouped bars: ``rows[label][env_id]`` is a `summarize` dict; one bar per label and env,
    Wilson 95% error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = list(rows)
    envs = list(dict.fromkeys(e for r in rows.values() for e in r))
    x = np.arange(len(envs))
    width = 0.8 / max(1, len(labels))
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(envs)), 4))
    for j, label in enumerate(labels):
        cells = [rows[label].get(e) for e in envs]
        rates = [0.0 if c is None or c["gaming_rate"] != c["gaming_rate"] else c["gaming_rate"]
                 for c in cells]
        lo = [r - c["ci95"][0] if c else 0.0 for r, c in zip(rates, cells, strict=True)]
        hi = [c["ci95"][1] - r if c else 0.0 for r, c in zip(rates, cells, strict=True)]
        err = [[max(0.0, v) for v in lo], [max(0.0, v) for v in hi]]
        ax.bar(x + (j - (len(labels) - 1) / 2) * width, rates, width, yerr=err, capsize=3,
               label=label)
    ax.set_xticks(x, [e.split("/")[-1].replace("-v0", "") for e in envs], rotation=30,
                  ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("gaming rate (Wilson 95% CI)")
    ax.set_title(title, fontsize=9)
    if len(labels) > 1 or legend_title:
        ax.legend(title=legend_title or None, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
