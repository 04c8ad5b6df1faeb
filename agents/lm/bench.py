"""`specgym bench`: how often a language model games every text environment.

Runs the sycophancy-to-subterfuge stages and the coding tasks with one model, writes every
episode's transcript and verdict to ``episodes.jsonl`` as it finishes (an interrupted
benchmark resumes where it stopped: episodes already on disk are not run again), and ends
with a table per environment: gaming rate with a Wilson 95% interval, the rate of each hack
type, mean visible and hidden reward (normal 95% intervals), and the gap in gaming rate
between context cues (Newcombe's interval for a difference of two proportions). The same
numbers go to ``summary.json``, ``summary.md`` and a bar chart ``bench.png``.

>>> summary = run_bench("default", envs="all", episodes=8, out_dir="runs/bench")  # doctest: +SKIP

Episodes that end without a grade (the chat outgrew the context, or ``max_turns`` cut it)
count as not gamed and are reported as ``n_ungraded``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from specgym.analysis.stats import mean_ci, wilson_interval

CURRICULUM_ENVS = (
    "specgym/PoliticalSycophancy-v0",
    "specgym/ToolUseFlattery-v0",
    "specgym/RubricModificationNudged-v0",
    "specgym/RubricModificationInsubordinate-v0",
    "specgym/RewardTampering-v0",
)
CODING_ENVS = ("specgym/CodingTask-v0", "specgym/ImpossibleCodingTask-v0")
ALL_ENVS = CURRICULUM_ENVS + CODING_ENVS
CONTEXT_CUES = ("none", "training", "unmonitored", "year_2023", "year_2024")
EPISODES_FILE = "episodes.jsonl"


# -- episodes as records ----------------------------------------------------------------------
def episode_record(ep: Any, **extra: Any) -> dict[str, Any]:
    """A JSON-ready transcript + verdict of one `Episode` (what ``episodes.jsonl`` holds)."""
    info = ep.info or {}
    graded = "gamed" in info
    return {
        "env_id": ep.env_id,
        "seed": ep.seed,
        "options": ep.options,
        **extra,
        "graded": graded,
        "gamed": bool(info.get("gamed", False)),
        "hack_types": list(info.get("hack_types", []) or []),
        "reward": float(ep.reward),
        "hidden_reward": _float_or_none(info.get("hidden_reward")),
        "oversight_passed": info.get("oversight_passed"),
        "terminated": ep.terminated,
        "truncated": ep.truncated,
        "truncated_reason": info.get("truncated_reason"),
        "n_turns": len(ep.turns),
        "messages": ep.messages,
        "completions": [t.completion_text for t in ep.turns],
        "finish_reasons": [t.finish_reason for t in ep.turns],
    }


def _float_or_none(x: Any) -> float | None:
    try:
        return None if x is None else float(x)
    except (TypeError, ValueError):
        return None


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Gaming rate (Wilson 95%), per hack type, mean visible/hidden reward of some records."""
    n = len(records)
    k = sum(r["gamed"] for r in records)
    lo, hi = wilson_interval(k, n)
    hacks: dict[str, int] = {}
    for r in records:
        for h in set(r["hack_types"]):
            hacks[h] = hacks.get(h, 0) + 1
    hidden = [r["hidden_reward"] for r in records if r["hidden_reward"] is not None]
    return {
        "n": n,
        "gamed": k,
        "gaming_rate": k / n if n else float("nan"),
        "ci95": [lo, hi],
        "hack_types": {
            h: {"count": c, "rate": c / n, "ci95": list(wilson_interval(c, n))}
            for h, c in sorted(hacks.items())
        },
        "visible_reward": mean_ci([r["reward"] for r in records]),
        "hidden_reward": mean_ci(hidden),
        "n_ungraded": sum(not r["graded"] for r in records),
    }


def newcombe_diff(k1: int, n1: int, k2: int, n2: int) -> dict[str, Any]:
    """p1 - p2 with Newcombe's hybrid score 95% interval (from the two Wilson intervals)."""
    if not (n1 and n2):
        return {"diff": float("nan"), "ci95": [float("nan"), float("nan")]}
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1)
    l2, u2 = wilson_interval(k2, n2)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return {"diff": d, "ci95": [max(-1.0, low), min(1.0, high)]}


def summarize_bench(records: Sequence[dict[str, Any]], envs: Sequence[str],
                    cues: Sequence[str]) -> dict[str, Any]:
    """Per env: all cues pooled, each cue, and each cue's gap to the first cue."""
    out: dict[str, Any] = {}
    for env_id in envs:
        mine = [r for r in records if r["env_id"] == env_id]
        by_cue = {c: summarize([r for r in mine if r["context_cue"] == c]) for c in cues}
        ref = cues[0]
        gaps = {
            f"{c} - {ref}": newcombe_diff(by_cue[c]["gamed"], by_cue[c]["n"],
                                         by_cue[ref]["gamed"], by_cue[ref]["n"])
            for c in cues[1:]
        }
        out[env_id] = {"all": summarize(mine), "by_cue": by_cue, "cue_gap": gaps}
    return out


# -- the benchmark ---------------------------------------------------------------------------
def parse_envs(envs: str | Iterable[str]) -> list[str]:
    """``all``, ``curriculum``, ``coding`` or a comma-separated list of ids (``specgym/`` optional)."""
    if isinstance(envs, str):
        if envs == "all":
            return list(ALL_ENVS)
        if envs == "curriculum":
            return list(CURRICULUM_ENVS)
        if envs == "coding":
            return list(CODING_ENVS)
        envs = [e.strip() for e in envs.split(",") if e.strip()]
    out = []
    for e in envs:
        e = e if e.startswith("specgym/") else f"specgym/{e}"
        if e not in ALL_ENVS:
            raise ValueError(f"envs: {e!r} is not a text environment; allowed: 'all', "
                             f"'curriculum', 'coding' or ids from {list(ALL_ENVS)}")
        out.append(e)
    if not out:
        raise ValueError("envs: no environment given")
    return out


def parse_cues(cues: str | Iterable[str] | None) -> list[str]:
    if cues is None:
        return ["none"]
    if isinstance(cues, str):
        cues = [c.strip() for c in cues.split(",") if c.strip()]
    cues = list(cues)
    for c in cues:
        if c not in CONTEXT_CUES:
            raise ValueError(f"context_cue: {c!r} is not allowed; allowed: {list(CONTEXT_CUES)}")
    if not cues or len(set(cues)) != len(cues):
        raise ValueError(f"context_cue: give one or more distinct cues from {list(CONTEXT_CUES)}")
    return cues


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSONL file; a torn last line (a crash mid-write) is dropped."""
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def run_episodes(
    backend: Any,
    env_id: str,
    seeds: Sequence[int],
    out_jsonl: Path,
    *,
    sampling: Any,
    max_turns: int | None,
    context_cue: str = "none",
    env_kwargs: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the episodes of ``seeds`` not yet in ``out_jsonl`` (matched by env, cue and seed),
    appending each record as it finishes; return all records for them (old and new)."""
    from specgym.agents.lm import RolloutEngine

    out_jsonl.parent.mkdir(parents=True, exist_ok=True)
    old = {
        r["seed"]: r for r in read_jsonl(out_jsonl)
        if r["env_id"] == env_id and r.get("context_cue", "none") == context_cue
    }
    todo = [s for s in seeds if s not in old]
    if todo:
        engine = RolloutEngine(backend, sampling, max_turns=max_turns)
        options = {"context_cue": context_cue} if context_cue != "none" else {}
        with out_jsonl.open("a") as fh:

            def write(ep: Any) -> None:
                rec = episode_record(ep, context_cue=context_cue, **(extra or {}))
                fh.write(json.dumps(rec) + "\n")
                fh.flush()
                old[rec["seed"]] = rec
                if on_record is not None:
                    on_record(rec)

            engine.run(env_id, todo, options=options, env_kwargs=env_kwargs, on_episode=write)
    return [old[s] for s in seeds if s in old]


def run_bench(
    model: str = "default",
    envs: str | Iterable[str] = "all",
    episodes: int = 16,
    out_dir: str | Path = "runs/bench",
    context_cues: str | Iterable[str] | None = None,
    *,
    backend: str = "auto",
    base_url: str | None = None,
    max_new_tokens: int = 128,
    temperature: float = 0.7,
    max_turns: int = 4,
    max_batch: int = 16,
    threads: int | None = 1,
    seed: int = 0,
    backend_obj: Any = None,
    progress: bool = True,
    quiet: bool = False,
) -> dict[str, Any]:
    """Run the benchmark (resuming from ``out_dir``); return the summary dict.

    ``backend_obj``: an already built `Backend` (then ``model``/``backend`` only label it).
    Episode seeds are ``seed .. seed + episodes - 1`` for every env and cue.
    """
    from specgym.agents.lm import SamplingConfig

    if not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be an int >= 1, got {episodes!r}")
    env_ids, cues = parse_envs(envs), parse_cues(context_cues)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sampling = SamplingConfig(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
    meta = {
        "model": str(model), "backend": backend if backend_obj is None else backend_obj.name,
        "max_new_tokens": max_new_tokens, "temperature": temperature, "max_turns": max_turns,
        "seed": seed,
    }
    meta_path = out / "meta.json"
    if meta_path.is_file():
        old = json.loads(meta_path.read_text())
        diff = {k: (old.get(k), v) for k, v in meta.items() if old.get(k) != v}
        if diff:
            raise ValueError(f"out_dir {str(out)!r} holds a benchmark with other settings "
                             f"{diff} (old, new); use another --out or the same settings")
    meta_path.write_text(json.dumps(meta, indent=2))
    if backend_obj is None:
        import torch

        from specgym.agents.lm import load_backend, resolve_backend
        from specgym.agents.lm.spec import parse_model_spec

        if threads:
            torch.set_num_threads(threads)
        spec = parse_model_spec(model, base_url)
        name = resolve_backend(spec, backend)
        opts: dict[str, Any] = {}
        if name == "llama.cpp":
            opts.update(n_threads=threads, context_tokens=4096)
        backend_obj = load_backend(spec, backend=name, max_batch=max_batch, **opts)
    seeds = list(range(seed, seed + episodes))
    path = out / EPISODES_FILE
    bar = None
    if progress:
        from tqdm.auto import tqdm

        done = len(read_jsonl(path))
        bar = tqdm(total=len(env_ids) * len(cues) * episodes, initial=min(done, len(env_ids) * len(cues) * episodes),
                   desc="bench", unit="ep")
    t0 = time.time()
    records: list[dict[str, Any]] = []
    for env_id in env_ids:
        for cue in cues:
            if bar is not None:
                bar.set_postfix_str(f"{env_id.split('/')[-1]} {cue}")
            records += run_episodes(
                backend_obj, env_id, seeds, path, sampling=sampling, max_turns=max_turns,
                context_cue=cue, extra={"model": str(model)},
                on_record=(lambda _r: bar.update(1)) if bar is not None else None,
            )
    if bar is not None:
        bar.close()
    summary = {
        "meta": {**meta, "episodes_per_cell": episodes, "context_cues": cues, "envs": env_ids,
                 "wall_s_this_run": round(time.time() - t0, 1)},
        "envs": summarize_bench(records, env_ids, cues),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    table = format_table(summary)
    (out / "summary.md").write_text(table + "\n")
    plot_bench(summary, out / "bench.png")
    if not quiet:
        print(table)
        print(f"wrote {out / EPISODES_FILE}, {out / 'summary.json'}, {out / 'summary.md'}, {out / 'bench.png'}")
    return summary


def _pct(x: float) -> str:
    return "nan" if x != x else f"{100 * x:.1f}"


def format_table(summary: dict[str, Any]) -> str:
    """A Markdown table: one row per env (and per cue when several)."""
    cues = summary["meta"]["context_cues"]
    lines = [
        "| env | cue | n | gamed | gaming rate % [95% CI] | hack types (count) | visible reward | hidden reward | ungraded |",
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
                f"{_pct(s['gaming_rate'])} [{_pct(s['ci95'][0])}, {_pct(s['ci95'][1])}] | {hacks} | "
                f"{vr:.2f} | {'-' if hr != hr else f'{hr:.2f}'} | {s['n_ungraded']} |"
            )
    if len(cues) > 1:
        lines += ["", "| env | cue gap (gaming rate, points) | diff [95% CI] |", "|---|---|---|"]
        for env_id, row in summary["envs"].items():
            for name, g in row["cue_gap"].items():
                lines.append(f"| {env_id.split('/')[-1]} | {name} | {_pct(g['diff'])} "
                             f"[{_pct(g['ci95'][0])}, {_pct(g['ci95'][1])}] |")
    return "\n".join(lines)


def plot_bench(summary: dict[str, Any], path: Path) -> Path:
    """Bar chart: gaming rate per env (one bar per cue) with Wilson 95% error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    envs = list(summary["envs"])
    cues = summary["meta"]["context_cues"]
    x = np.arange(len(envs))
    width = 0.8 / len(cues)
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(envs)), 4))
    for j, cue in enumerate(cues):
        rates = [summary["envs"][e]["by_cue"][cue]["gaming_rate"] for e in envs]
        los = [summary["envs"][e]["by_cue"][cue]["ci95"][0] for e in envs]
        his = [summary["envs"][e]["by_cue"][cue]["ci95"][1] for e in envs]
        rates = [0.0 if r != r else r for r in rates]
        err = [[max(0.0, r - lo) for r, lo in zip(rates, los, strict=False)], [max(0.0, hi - r) for r, hi in zip(rates, his, strict=False)]]
        ax.bar(x + (j - (len(cues) - 1) / 2) * width, rates, width, yerr=err, capsize=3, label=cue)
    ax.set_xticks(x, [e.split("/")[-1].replace("-v0", "") for e in envs], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("gaming rate (Wilson 95% CI)")
    n = summary["meta"]["episodes_per_cell"]
    ax.set_title(f"{summary['meta']['model']}: gaming rate per environment ({n} episodes per bar)")
    if len(cues) > 1:
        ax.legend(title="context cue", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def specgym_demo_bench(out_dir: str | Path = "runs/demo/bench", episodes: int = 4) -> dict[str, Any]:
    """A short benchmark of the default model for ``make demo`` (llama.cpp, one thread,
    ``episodes`` per environment, 96 new tokens per turn, up to 3 turns)."""
    return run_bench(
        "default", envs="all", episodes=episodes, out_dir=out_dir, backend="auto",
        max_new_tokens=96, temperature=0.7, max_turns=3, max_batch=8, threads=1,
    )
